//! The native bank: balances of many denominations per address. The native denomination
//! is cove's one balance (`vm::accounts`, which the EVM and cove's WASM contracts see);
//! every other denomination lives under `vm::keys::bank`.

use state::Journal;
use types::{Address, CallError, ErrorKind, StorageError};
use vm::{Balance, accounts, keys};

use crate::msg::Coin;

/// The bank, for one native denomination.
#[derive(Debug, Clone)]
pub struct Bank {
    native: String,
}

/// A balance as a u128 (CosmWasm's `Uint128`); native balances above it are reported as
/// the maximum rather than wrapped.
fn to_u128(b: Balance) -> u128 {
    let hi = u128::from_be_bytes(b.0[..16].try_into().expect("16 bytes"));
    if hi != 0 { u128::MAX } else { u128::from_be_bytes(b.0[16..].try_into().expect("16 bytes")) }
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
            return Ok(to_u128(accounts::balance(journal, address)?));
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
