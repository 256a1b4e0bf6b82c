//! EVM transient storage (EIP-1153) across the EVM messages of one transaction.
//!
//! revm keeps a message's transient storage in memory and drops it when the message
//! ends. In cove a transaction may hold several EVM messages: an EVM contract calls a
//! contract of another VM (`cross.rs`), which enters the EVM again. For `TLOAD` and
//! `TSTORE` to behave as in one Ethereum transaction, the messages share their
//! transient storage through the journal's transient entries
//! ([`state::Journal::set_transient`]: reverted with checkpoints, never committed,
//! dropped by the runtime when the transaction ends):
//!
//! * before a call to another VM the message writes its transient storage into the
//!   journal ([`store`]), and after it reads back what the callee left ([`refresh`],
//!   through revm journal entries, so a revert of the calling frame undoes it);
//! * an EVM message starts with the journal's entries ([`load`]) and, when it is a
//!   nested message that succeeds, leaves its transient storage there ([`store`]);
//!   a failed one changes nothing (the runtime reverts its checkpoint).
//!
//! A message that neither calls another VM nor runs below one touches none of this.
//!
//! Key: the contract's address (20 bytes) then the slot (32, big-endian); value: the
//! 32-byte big-endian word, never zero (a zero word is no entry, as in revm).

use revm::context::journal::JournalEntry;
use revm::context::journal::JournalInner;
use revm::primitives::{Address as EvmAddress, StorageKey, StorageValue};
use revm::state::TransientStorage;
use state::Journal;

const KEY_LEN: usize = 52;

fn key(address: &EvmAddress, slot: &StorageKey) -> [u8; KEY_LEN] {
    let mut key = [0; KEY_LEN];
    key[..20].copy_from_slice(address.as_slice());
    key[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    key
}

/// The address, slot and value of one journal entry; `None` for an entry that is not
/// the EVM's.
fn entry(key: &[u8], value: &[u8]) -> Option<(EvmAddress, StorageKey, StorageValue)> {
    if key.len() != KEY_LEN || value.len() != 32 {
        return None;
    }
    let address = EvmAddress::from_slice(&key[..20]);
    let slot = StorageKey::from_be_slice(&key[20..]);
    Some((address, slot, StorageValue::from_be_slice(value)))
}

/// Fills revm's (empty) transient storage from the journal, as a message starts.
pub(crate) fn load(journal: &Journal, into: &mut TransientStorage) {
    for (address, slot, value) in journal.transient_entries().filter_map(|(k, v)| entry(k, v)) {
        if !value.is_zero() {
            into.insert_value(address, slot, value);
        }
    }
}

/// Makes the journal's transient entries exactly `from`.
pub(crate) fn store(journal: &mut Journal, from: &TransientStorage) {
    if journal.transient_is_empty() && from.values().all(|slots| slots.is_empty()) {
        return;
    }
    let stale: Vec<[u8; KEY_LEN]> = journal
        .transient_entries()
        .filter_map(|(k, v)| entry(k, v))
        .filter(|(address, slot, _)| from.get_value(*address, *slot).is_zero())
        .map(|(address, slot, _)| key(&address, &slot))
        .collect();
    for k in stale {
        journal.set_transient(&k, None);
    }
    for (address, slots) in from.iter() {
        for (slot, value) in slots.iter().filter(|(_, v)| !v.is_zero()) {
            let (k, word) = (key(address, slot), value.to_be_bytes::<32>());
            if journal.transient(&k) != Some(&word[..]) {
                journal.set_transient(&k, Some(&word));
            }
        }
    }
}

/// Brings revm's transient storage in line with the journal after a call to another
/// VM, through `TSTORE`'s own journal entries: a revert of the calling frame undoes it.
pub(crate) fn refresh(journal: &Journal, inner: &mut JournalInner<JournalEntry>) {
    if journal.transient_is_empty() && inner.transient_storage.values().all(|slots| slots.is_empty()) {
        return;
    }
    let now: Vec<_> = journal.transient_entries().filter_map(|(k, v)| entry(k, v)).collect();
    for (address, slot, value) in now {
        if inner.transient_storage.get_value(address, slot) != value {
            inner.tstore(address, slot, value);
        }
    }
    let gone: Vec<(EvmAddress, StorageKey)> = inner
        .transient_storage
        .iter()
        .flat_map(|(address, slots)| slots.keys().map(move |slot| (*address, *slot)))
        .filter(|(address, slot)| journal.transient(&key(address, slot)).is_none())
        .collect();
    for (address, slot) in gone {
        inner.tstore(address, slot, StorageValue::ZERO);
    }
}

/// How many transient slots revm holds (each is written out and read back by a call to
/// another VM).
pub(crate) fn held(storage: &TransientStorage) -> u64 {
    storage.values().map(|slots| slots.len() as u64).sum()
}
