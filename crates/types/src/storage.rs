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

    /// The entry with a life under `key` (a key space apart from [`ContractStorage::read`]'s;
    /// `docs/state.md`, "Storage with a life"), alive or expired: the caller decides with
    /// [`Lived::alive_at`]. By default this storage keeps none (a node fault).
    fn read_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        let _ = key;
        Err(no_lived())
    }

    /// Stores `value` under `key` until block `expires` (exclusive), replacing any entry
    /// with a life there.
    fn write_lived(&mut self, key: &[u8], value: &[u8], expires: u64) -> Result<(), StorageError> {
        let _ = (key, value, expires);
        Err(no_lived())
    }

    /// Removes the entry with a life under `key`, alive or expired; returns what was there.
    fn remove_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        let _ = key;
        Err(no_lived())
    }
}

fn no_lived() -> StorageError {
    StorageError::io("this storage keeps no entries with a life")
}

/// An entry stored with a life: its value and the first block height at which it is
/// absent. Written at block `b` with a life of `L` blocks, it expires at `b + L`: alive
/// in blocks `b..=b + L - 1` and in the states right after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lived {
    /// The value (never empty).
    pub value: Vec<u8>,
    /// The first height at which the entry is absent.
    pub expires: u64,
}

impl Lived {
    /// Whether the entry is alive at block `height` (in that block, and in the state
    /// right after it).
    pub fn alive_at(&self, height: u64) -> bool {
        height < self.expires
    }

    /// The blocks it still lives at `height`, that one included (0 once expired).
    pub fn life_at(&self, height: u64) -> u64 {
        self.expires.saturating_sub(height)
    }
}
