//! The seam between the journal and committed storage.

use std::collections::BTreeMap;

use types::StorageError;

/// A set of writes to apply atomically; `None` = delete.
///
/// Ordered by key, so applying a change set is deterministic and backends see keys in
/// ascending order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Key to new value; `None` deletes the key (deleting an absent key is a no-op).
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl ChangeSet {
    /// Whether the change set writes nothing.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The number of keys written or deleted.
    pub fn len(&self) -> usize {
        self.writes.len()
    }
}

/// Committed state. Implementations must be Send + Sync.
pub trait Backend: Send + Sync {
    /// The committed value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Hands the committed value under `key` to `f` without copying it out, where the
    /// backend can (the default copies, through [`Backend::get`]).
    fn get_with(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StorageError> {
        f(self.get(key)?.as_deref());
        Ok(())
    }

    /// All committed (key, value) pairs whose key starts with `prefix`, in ascending key order.
    #[expect(
        clippy::type_complexity,
        reason = "the plain type is the documented signature; an alias would hide it"
    )]
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError>;

    /// Applies every change in one atomic, durable transaction: after it returns Ok, a crash
    /// or restart loses nothing; if it returns Err or the process dies midway, none of it applied.
    fn commit(&self, changes: &ChangeSet) -> Result<(), StorageError>;
}
