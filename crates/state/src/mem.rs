//! The in-memory backend.

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard};

use types::StorageError;

use crate::backend::{Backend, ChangeSet};

/// In-memory backend (BTreeMap behind a RwLock). For tests, benchmarks and dry runs.
///
/// Commits are atomic with respect to readers (they run under the write lock) but, being
/// in memory, not durable: everything is lost when the value is dropped.
#[derive(Debug, Default)]
pub struct MemBackend {
    map: RwLock<Map>,
}

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

impl MemBackend {
    /// An empty store.
    pub fn new() -> MemBackend {
        MemBackend::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Map>, StorageError> {
        self.map.read().map_err(|_| StorageError("mem backend: lock poisoned".to_owned()))
    }
}

impl Backend for MemBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.read()?.get(key).cloned())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let map = self.read()?;
        Ok(map
            .range::<[u8], _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn commit(&self, changes: &ChangeSet) -> Result<(), StorageError> {
        let mut map = self.map.write().map_err(|_| StorageError("mem backend: lock poisoned".to_owned()))?;
        for (key, value) in &changes.writes {
            match value {
                Some(value) => {
                    map.insert(key.clone(), value.clone());
                }
                None => {
                    map.remove(key.as_slice());
                }
            }
        }
        Ok(())
    }
}
