//! The in-memory backend.

use std::collections::{BTreeMap, HashMap};
use std::sync::{RwLock, RwLockReadGuard};

use types::StorageError;

use crate::backend::{Backend, ChangeSet};

/// In-memory backend, behind a RwLock. For tests, benchmarks and dry runs.
///
/// Keys live twice: in a hash map for point reads (one hash of the key instead of a
/// B-tree descent comparing long common prefixes) and in a B-tree for ordered prefix
/// scans. Commits are atomic with respect to readers (they run under the write lock)
/// but, being in memory, not durable: everything is lost when the value is dropped.
#[derive(Debug, Default)]
pub struct MemBackend {
    map: RwLock<Map>,
}

#[derive(Debug, Default)]
struct Map {
    index: HashMap<Vec<u8>, Vec<u8>, foldhash::fast::RandomState>,
    ordered: BTreeMap<Vec<u8>, ()>,
}

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
        Ok(self.read()?.index.get(key).cloned())
    }

    fn get_with(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StorageError> {
        f(self.read()?.index.get(key).map(Vec::as_slice));
        Ok(())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let map = self.read()?;
        Ok(map
            .ordered
            .range::<[u8], _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .map(|(k, ())| k)
            .take_while(|k| k.starts_with(prefix))
            .map(|k| (k.clone(), map.index[k].clone()))
            .collect())
    }

    fn commit(&self, changes: &ChangeSet) -> Result<(), StorageError> {
        let mut map = self.map.write().map_err(|_| StorageError("mem backend: lock poisoned".to_owned()))?;
        for (key, value) in &changes.writes {
            match value {
                Some(value) => {
                    if map.index.insert(key.clone(), value.clone()).is_none() {
                        map.ordered.insert(key.clone(), ());
                    }
                }
                None => {
                    if map.index.remove(key.as_slice()).is_some() {
                        map.ordered.remove(key.as_slice());
                    }
                }
            }
        }
        Ok(())
    }
}
