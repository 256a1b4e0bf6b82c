//! The state under a [`crate::TestVM`]: cove-state's in-memory backend, behind a handle
//! that a snapshot can replace whole.
//!
//! It owns the swap and nothing else: every read and commit goes to the current
//! [`MemBackend`] unchanged. It must not answer anything itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use state::{Backend, BlockRecord, ChangeSet, Hash, MemBackend, Order};
use types::{BlockInfo, StorageError};

/// A [`MemBackend`] that [`Swappable::replace`] can exchange for another.
#[derive(Debug, Default)]
pub(crate) struct Swappable {
    current: RwLock<Arc<MemBackend>>,
    /// Bumped on every commit and every replacement, so readers that cache decoded
    /// values ([`Backend::generation`]) see a restored state as changed.
    generation: AtomicU64,
}

impl Swappable {
    fn current(&self) -> Result<Arc<MemBackend>, StorageError> {
        self.current
            .read()
            .map(|g| g.clone())
            .map_err(|_| StorageError::io("test backend: lock poisoned".to_owned()))
    }

    /// An independent copy of the current state.
    pub(crate) fn fork(&self) -> Result<MemBackend, StorageError> {
        self.current()?.fork()
    }

    /// Makes `backend` the current state.
    pub(crate) fn replace(&self, backend: MemBackend) -> Result<(), StorageError> {
        let mut current =
            self.current.write().map_err(|_| StorageError::io("test backend: lock poisoned".to_owned()))?;
        *current = Arc::new(backend);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

impl Backend for Swappable {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.current()?.get(key)
    }

    fn get_with(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StorageError> {
        self.current()?.get_with(key, f)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.current()?.scan_prefix(prefix)
    }

    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.current()?.scan_range(prefix, start, end, order, limit)
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        let current = match self.current() {
            Ok(current) => current,
            Err(e) => return Err((e, changes)),
        };
        let root = current.commit(block, changes)?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(root)
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        self.current()?.head()
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::Acquire))
    }
}
