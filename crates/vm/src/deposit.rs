//! Storage deposits: every contract holds native balance in proportion to the bytes it
//! keeps in the state (`docs/gas.md`, "Storage deposits"; `docs/state.md`, key layout).
//!
//! This module owns the deposit record's key and encoding, what counts as a contract's
//! stored bytes, and [`settle`], which the runtime runs once at the end of every
//! successful transaction. It must not run contracts, charge gas or decide when a
//! transaction ends: it only reads what the transaction changed and moves balance
//! between a contract's free balance and its deposit.
//!
//! Invariants (each a test in the runtime):
//! * with a price of zero nothing is counted and nothing is written: a chain that never
//!   prices storage has no deposit records and the roots it always had;
//! * after every transaction that succeeded, a contract's record holds the bytes it keeps
//!   (as counted since deposits were priced) and exactly `bytes × per_byte` at the price
//!   of the transaction that last changed them;
//! * a transaction that would leave any contract unable to pay is failed whole
//!   ([`ErrorKind::StorageDeposit`]) and changes nothing; a deletion releases the deposit
//!   back to the contract's free balance in the same transaction.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use state::{Checkpoint, Journal, KeyChange};
use types::{Address, CallError, ErrorKind, StorageError, VmType};

use crate::{Balance, ContractInfo, accounts, keys};

/// `0x12 ++ address`: a contract's deposit record, `bytes (u64 BE) ++ held (32 bytes BE)`.
pub const DEPOSIT: u8 = 0x12;

/// The largest [`StorageDeposit::entry_overhead`] accepted: 4 KiB counted per entry.
pub const MAX_ENTRY_OVERHEAD: u64 = 4_096;

/// Default of [`StorageDeposit::entry_overhead`]: what an entry costs the store beside
/// its key and value (the tree leaf's hash and the tables' per-pair bookkeeping), as
/// NEAR counts 40 bytes per record.
pub const DEFAULT_ENTRY_OVERHEAD: u64 = 40;

/// The price of stored bytes (TOML `[storage_deposit]`, part of the chain's
/// configuration). Off (`per_byte = 0`) by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageDeposit {
    /// Native units each stored byte holds; 0 turns deposits off.
    pub per_byte: u64,
    /// Bytes counted for each entry besides its key and value, in
    /// `0..=MAX_ENTRY_OVERHEAD`.
    pub entry_overhead: u64,
}

impl Default for StorageDeposit {
    fn default() -> Self {
        StorageDeposit { per_byte: 0, entry_overhead: DEFAULT_ENTRY_OVERHEAD }
    }
}

impl StorageDeposit {
    /// Checks `entry_overhead` against `0..=MAX_ENTRY_OVERHEAD`.
    pub fn validate(&self) -> Result<(), String> {
        if self.entry_overhead > MAX_ENTRY_OVERHEAD {
            return Err(format!(
                "storage_deposit.entry_overhead must be in 0..={MAX_ENTRY_OVERHEAD}, got {}",
                self.entry_overhead
            ));
        }
        Ok(())
    }

    /// Whether this is the default (off, the default overhead).
    pub fn is_default(&self) -> bool {
        *self == StorageDeposit::default()
    }

    /// Whether deposits are priced at all.
    pub fn is_on(&self) -> bool {
        self.per_byte > 0
    }

    /// The deposit `bytes` hold at this price.
    pub fn price(&self, bytes: u64) -> Balance {
        Balance::from_u128(bytes as u128 * self.per_byte as u128)
    }
}

/// What a contract's deposit record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deposit {
    /// The bytes the contract keeps, counted since deposits were priced.
    pub bytes: u64,
    /// The native balance held for them, outside the contract's free balance.
    pub held: Balance,
}

/// The key of `address`'s deposit record.
pub fn key(address: &Address) -> [u8; 21] {
    let mut k = [0u8; 21];
    k[0] = DEPOSIT;
    k[1..].copy_from_slice(&address.0);
    k
}

/// `address`'s deposit (zero if it has no record).
pub fn read(journal: &Journal, address: &Address) -> Result<Deposit, StorageError> {
    journal.get_with(&key(address), |v| match v {
        None => Ok(Deposit::default()),
        Some(v) if v.len() == 40 => {
            let bytes = u64::from_be_bytes(v[..8].try_into().expect("8 bytes"));
            Ok(Deposit { bytes, held: Balance(v[8..].try_into().expect("32 bytes")) })
        }
        Some(v) => Err(StorageError::io(format!("deposit record of {address} is {} bytes, not 40", v.len()))),
    })?
}

fn write(journal: &mut Journal, address: &Address, deposit: Deposit) -> Result<(), StorageError> {
    if deposit.bytes == 0 && deposit.held.is_zero() {
        journal.delete(&key(address))?;
    } else {
        let mut v = [0u8; 40];
        v[..8].copy_from_slice(&deposit.bytes.to_be_bytes());
        v[8..].copy_from_slice(&deposit.held.0);
        journal.set(&key(address), &v);
    }
    Ok(())
}

/// The keys whose bytes a contract pays for: its storage (`0x00`, every VM's, EVM slots
/// included) and its record (`0x02`, which for an EVM contract also counts its code).
fn counted(key: &[u8]) -> bool {
    match key.first() {
        // An empty contract key (exactly `0x00 ++ address`) is an entry too.
        Some(&keys::STORAGE) => key.len() >= 21,
        Some(&keys::CONTRACT) => key.len() == 21,
        _ => false,
    }
}

/// The bytes one entry counts for when it holds `value`.
fn entry_bytes(
    journal: &Journal,
    price: &StorageDeposit,
    key: &[u8],
    value: Option<&[u8]>,
) -> Result<u64, StorageError> {
    let Some(value) = value else { return Ok(0) };
    let mut bytes = (key.len() - 1 - 20 + value.len()) as u64 + price.entry_overhead;
    if key[0] == keys::CONTRACT {
        // The record itself is counted under its address; an EVM contract also keeps
        // its runtime code (content-addressed, but one contract's to pay for).
        bytes += 20;
        if let Some(info) = ContractInfo::decode(value)
            && info.vm == VmType::Evm
        {
            let code = journal.get_with(&keys::evm_code(&info.code_id.0), |c| c.map_or(0, <[u8]>::len))?;
            bytes += code as u64;
        }
    }
    Ok(bytes)
}

/// Settles the deposits of what the transaction since `cp` changed, at `price`: each
/// contract whose stored bytes grew pays `bytes × per_byte` more from its balance into
/// its deposit, each whose bytes shrank gets the difference back. `Ok(Err(..))` with
/// kind [`ErrorKind::StorageDeposit`] if a contract cannot pay (the caller reverts the
/// transaction: some deposits may already have moved). Does nothing with deposits off.
///
/// Bytes are counted from the first transaction that ran with a price: entries stored
/// before were free, and deleting them lowers the count to no less than zero.
pub fn settle(
    journal: &mut Journal,
    cp: Checkpoint,
    price: &StorageDeposit,
) -> Result<Result<(), CallError>, StorageError> {
    if !price.is_on() {
        return Ok(Ok(()));
    }
    let changes = journal.changes_since(cp, counted)?;
    let mut grown: BTreeMap<Address, i128> = BTreeMap::new();
    for KeyChange { key, before, after } in &changes {
        let then = entry_bytes(journal, price, key, before.as_deref())?;
        let now = entry_bytes(journal, price, key, after.as_deref())?;
        if then != now {
            let address = Address(key[1..21].try_into().expect("counted keys hold an address"));
            *grown.entry(address).or_default() += now as i128 - then as i128;
        }
    }
    for (address, delta) in grown {
        if delta == 0 {
            continue;
        }
        let old = read(journal, &address)?;
        let bytes = u64::try_from((old.bytes as i128 + delta).max(0)).unwrap_or(u64::MAX);
        // Shrinking never costs more: after a price rise, a contract that deletes keeps
        // what it held for the rest (re-priced when it next grows), never owes.
        let held = if delta < 0 { price.price(bytes).min(old.held) } else { price.price(bytes) };
        let free = accounts::balance(journal, &address)?;
        let free = if held > old.held {
            let owed = held.checked_sub(old.held).unwrap_or_default();
            let Some(left) = free.checked_sub(owed) else {
                return Ok(Err(CallError::new(
                    ErrorKind::StorageDeposit,
                    format!(
                        "{address} must hold a storage deposit of {held} for {bytes} stored bytes \
                         ({} per byte): {owed} more than it holds, and its balance is {free}",
                        price.per_byte
                    ),
                )));
            };
            left
        } else {
            let released = old.held.checked_sub(held).unwrap_or_default();
            let Some(total) = free.checked_add(released) else {
                return Ok(Err(CallError::new(
                    ErrorKind::StorageDeposit,
                    format!(
                        "releasing {released} of {address}'s storage deposit would take its balance past 2^256 - 1"
                    ),
                )));
            };
            total
        };
        accounts::set_balance(journal, &address, free)?;
        write(journal, &address, Deposit { bytes, held })?;
    }
    Ok(Ok(()))
}
