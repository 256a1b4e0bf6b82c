//! The native bank: balances of many denominations per address. The native denomination
//! is cove's one balance (`vm::accounts`, which the EVM and cove's WASM contracts see);
//! every other denomination lives under `vm::keys::bank`.

use state::Journal;
use types::{Address, CallError, ErrorKind, StorageError};
use vm::{Balance, accounts, keys};

use crate::msg::Coin;

/// The longest denomination (Cosmos SDK: 128 characters).
pub const MAX_DENOM_LEN: usize = 128;
/// The most coins in one list of funds given as text ([`parse_coins`]).
pub const MAX_COINS: usize = 64;

/// Whether `denom` is a Cosmos SDK denomination: a letter, then 2 to 127 letters,
/// digits or `/:._-`.
pub fn valid_denom(denom: &str) -> bool {
    let b = denom.as_bytes();
    (3..=MAX_DENOM_LEN).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[1..].iter().all(|c| c.is_ascii_alphanumeric() || b"/:._-".contains(c))
}

/// Coins as the Cosmos SDK writes them, `100ucove,5uatom`: each a positive decimal
/// amount and a valid denomination, no denomination twice. Sorted by denomination.
pub fn parse_coins(text: &str) -> Result<Vec<Coin>, String> {
    let mut coins = Vec::new();
    for part in text.split(',').map(str::trim) {
        let digits = part.bytes().take_while(u8::is_ascii_digit).count();
        let (amount, denom) = part.split_at(digits);
        let amount: u128 = amount.parse().map_err(|_| {
            format!("{part:?} is not a coin: write an amount then a denomination, e.g. 100ucove")
        })?;
        if amount == 0 {
            return Err(format!("{part:?}: amounts must be positive"));
        }
        if !valid_denom(denom) {
            return Err(format!(
                "{denom:?} is not a denomination: a letter, then 2 to {} letters, digits or /:._-",
                MAX_DENOM_LEN - 1
            ));
        }
        coins.push(Coin { denom: denom.to_string(), amount });
        if coins.len() > MAX_COINS {
            return Err(format!("more than {MAX_COINS} coins"));
        }
    }
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    if let Some(w) = coins.windows(2).find(|w| w[0].denom == w[1].denom) {
        return Err(format!("{} is given twice", w[0].denom));
    }
    Ok(coins)
}

/// The bank, for one native denomination.
#[derive(Debug, Clone)]
pub struct Bank {
    native: String,
}

impl Bank {
    /// A bank whose native denomination is `native`.
    pub fn new(native: &str) -> Bank {
        Bank { native: native.to_string() }
    }

    /// The native denomination.
    pub fn native(&self) -> &str {
        &self.native
    }

    /// `address`'s balance of `denom`.
    pub fn balance(&self, journal: &Journal, address: &Address, denom: &str) -> Result<u128, StorageError> {
        if denom == self.native {
            // CosmWasm's `Uint128`: a native balance above it reads as the maximum, not wrapped.
            return Ok(accounts::balance(journal, address)?.to_u128().unwrap_or(u128::MAX));
        }
        Ok(journal
            .get(&keys::bank(address, denom))?
            .and_then(|v| <[u8; 16]>::try_from(v.as_slice()).ok())
            .map_or(0, u128::from_be_bytes))
    }

    /// Every non-zero balance of `address`, sorted by denomination.
    pub fn all_balances(&self, journal: &Journal, address: &Address) -> Result<Vec<Coin>, StorageError> {
        let prefix = keys::bank_prefix(address);
        let mut coins: Vec<Coin> = journal
            .scan_prefix(&prefix)?
            .into_iter()
            .filter_map(|(k, v)| {
                let denom = String::from_utf8(k[prefix.len()..].to_vec()).ok()?;
                let amount = u128::from_be_bytes(v.as_slice().try_into().ok()?);
                (amount != 0).then_some(Coin { denom, amount })
            })
            .collect();
        let native = self.balance(journal, address, &self.native.clone())?;
        if native != 0 {
            coins.push(Coin { denom: self.native.clone(), amount: native });
        }
        coins.sort_by(|a, b| a.denom.cmp(&b.denom));
        Ok(coins)
    }

    fn set(
        &self,
        journal: &mut Journal,
        address: &Address,
        denom: &str,
        amount: u128,
    ) -> Result<(), StorageError> {
        if denom == self.native {
            return accounts::set_balance(journal, address, Balance::from_u128(amount));
        }
        let key = keys::bank(address, denom);
        if amount == 0 {
            journal.delete(&key)?;
        } else {
            journal.set(&key, &amount.to_be_bytes());
        }
        Ok(())
    }

    /// Moves `coins` from `from` to `to`; a failure (nothing moved, once the caller
    /// reverts) if `from` lacks any of them.
    pub fn send(
        &self,
        journal: &mut Journal,
        from: &Address,
        to: &Address,
        coins: &[Coin],
    ) -> Result<Result<(), CallError>, StorageError> {
        if let Err(e) = self.burn(journal, from, coins)? {
            return Ok(Err(e));
        }
        self.mint(journal, to, coins)
    }

    /// Removes `coins` from `from`.
    pub fn burn(
        &self,
        journal: &mut Journal,
        from: &Address,
        coins: &[Coin],
    ) -> Result<Result<(), CallError>, StorageError> {
        for coin in coins {
            let have = self.balance(journal, from, &coin.denom)?;
            let Some(left) = have.checked_sub(coin.amount) else {
                return Ok(Err(CallError::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "insufficient funds: {from} has {have}{d}, needs {}{d}",
                        coin.amount,
                        d = coin.denom
                    ),
                )));
            };
            self.set(journal, from, &coin.denom, left)?;
        }
        Ok(Ok(()))
    }

    /// Adds `coins` to `to` (the dev faucet).
    pub fn mint(
        &self,
        journal: &mut Journal,
        to: &Address,
        coins: &[Coin],
    ) -> Result<Result<(), CallError>, StorageError> {
        for coin in coins {
            let have = self.balance(journal, to, &coin.denom)?;
            let Some(sum) = have.checked_add(coin.amount) else {
                return Ok(Err(CallError::new(
                    ErrorKind::InvalidArgument,
                    format!("the {} balance of {to} would overflow", coin.denom),
                )));
            };
            self.set(journal, to, &coin.denom, sum)?;
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coins_parse_as_the_cosmos_sdk_writes_them() {
        let coins = parse_coins("5uatom, 100ucove").unwrap();
        assert_eq!(
            coins,
            vec![Coin { denom: "uatom".into(), amount: 5 }, Coin { denom: "ucove".into(), amount: 100 }]
        );
        let ibc = format!("1ibc/{}", "A".repeat(64));
        assert_eq!(parse_coins(&ibc).unwrap()[0].denom.len(), 68);
        for bad in
            ["", "ucove", "100", "0ucove", "1u", "1 ucove", "-1ucove", "1ucove,2ucove", "1ucove,", "1u!x"]
        {
            assert!(parse_coins(bad).is_err(), "{bad:?} parsed");
        }
        let long = format!("1a{}", "b".repeat(MAX_DENOM_LEN));
        assert!(parse_coins(&long).unwrap_err().contains("not a denomination"));
        let many: Vec<String> = (0..=MAX_COINS).map(|i| format!("1denom{i}")).collect();
        assert!(parse_coins(&many.join(",")).unwrap_err().contains("more than"));
    }
}
