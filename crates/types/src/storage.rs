//! The seam between a VM and storage.

/// A storage backend failed (I/O, corruption). Never a contract's fault: it aborts the
/// whole transaction and surfaces as a node error, not as a consensus result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage backend: {0}")]
pub struct StorageError(pub String);

/// One contract's view of its own storage.
///
/// Keys are the contract's own keys: the implementation binds the view to a single
/// contract and prefixes every key with that contract's address, so a VM holding a
/// `ContractStorage` cannot name another contract's keys at all. Writes go to a journal
/// that the caller commits or rolls back; the VM never sees the database.
pub trait ContractStorage {
    /// The value stored under `key`, if any.
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores `value` under `key`.
    fn write(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError>;
    /// Removes `key`; returns whether a value was there.
    fn remove(&mut self, key: &[u8]) -> Result<bool, StorageError>;
}
