//! One contract's window onto the journal.

use state::Journal;
use types::{ContractStorage, StorageError};

/// The storage a contract call sees: the block's journal, every key prefixed with the
/// contract's address. Owns the journal for the duration of the call (wasmtime's store
/// data must be `'static`); the runtime takes it back afterwards.
pub struct ContractView {
    pub(crate) journal: Journal,
    prefix: [u8; 21],
    key: Vec<u8>,
}

impl ContractView {
    pub(crate) fn new(journal: Journal, prefix: [u8; 21]) -> ContractView {
        ContractView { journal, prefix, key: Vec::with_capacity(64) }
    }

    fn full_key(&mut self, key: &[u8]) -> &[u8] {
        self.key.clear();
        self.key.extend_from_slice(&self.prefix);
        self.key.extend_from_slice(key);
        &self.key
    }
}

impl ContractStorage for ContractView {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.full_key(key);
        self.journal.get(&self.key)
    }

    fn write(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.full_key(key);
        self.journal.set(&self.key, value);
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        self.full_key(key);
        self.journal.delete(&self.key)
    }
}
