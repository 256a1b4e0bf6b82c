//! The seam between a VM and storage.

/// A storage backend failed (I/O, corruption). Never a contract's fault: it aborts the
/// whole transaction and surfaces as a node error, not as a consensus result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage backend: {message}")]
pub struct StorageError {
    kind: StorageErrorKind,
    message: String,
}

/// What kind of storage failure a [`StorageError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The operating system or the storage engine failed (a full disk, a read error, a
    /// lock held elsewhere, a bad configuration): retrying later may succeed.
    Io,
    /// Stored data is damaged or does not agree with what was committed: the store is
    /// refused rather than believed, and retrying cannot help.
    Corrupt,
}

impl StorageError {
    /// An I/O or engine failure.
    pub fn io(message: impl Into<String>) -> StorageError {
        StorageError { kind: StorageErrorKind::Io, message: message.into() }
    }

    /// Damaged or inconsistent stored data.
    pub fn corrupt(message: impl Into<String>) -> StorageError {
        StorageError { kind: StorageErrorKind::Corrupt, message: message.into() }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> StorageErrorKind {
        self.kind
    }

    /// Whether stored data was found damaged.
    pub fn is_corrupt(&self) -> bool {
        self.kind == StorageErrorKind::Corrupt
    }

    /// The message, with its context (operation, file).
    pub fn message(&self) -> &str {
        &self.message
    }
}

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
