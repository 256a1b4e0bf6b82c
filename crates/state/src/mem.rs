//! The in-memory backend.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};
use merkle::Hash;
use types::{BlockInfo, StorageError};

use crate::BlockRecord;
use crate::backend::{Backend, ChangeSet, Order, check_next, range_bounds};

/// In-memory backend, behind a reader-writer lock. For tests, benchmarks and dry runs.
/// It keeps the latest state only: no history and no root ([`Backend::history`] is
/// `None`).
///
/// The lock is sharded by thread (crossbeam's `ShardedLock`): a read locks its thread's
/// shard only, so threads reading at once (a parallel batch's) do not pass one lock word
/// back and forth between their cores; a commit locks every shard.
///
/// Keys live twice: in a hash map for point reads (one hash of the key instead of a
/// B-tree descent comparing long common prefixes) and in a B-tree for ordered prefix
/// scans. Commits are atomic with respect to readers (they run under the write lock)
/// but, being in memory, not durable: everything is lost when the value is dropped.
#[derive(Debug, Default)]
pub struct MemBackend {
    /// On cache lines of its own: a read loads the lock's shard pointers, and the
    /// reference count of an `Arc<MemBackend>`, which threads update as they make
    /// journals over it, would otherwise share their line.
    map: CachePadded<ShardedLock<Map>>,
    /// Commits applied so far ([`Backend::generation`]).
    commits: AtomicU64,
}

#[derive(Debug, Default, Clone)]
struct Map {
    index: HashMap<Vec<u8>, Vec<u8>, foldhash::fast::RandomState>,
    ordered: BTreeMap<Vec<u8>, ()>,
    /// The last committed block.
    head: Option<BlockRecord>,
}

impl MemBackend {
    /// An empty store.
    pub fn new() -> MemBackend {
        MemBackend::default()
    }

    /// A copy of everything the store holds (its keys and its head), independent of it
    /// from then on: a fixture's saved state (`cove-testvm`'s snapshots).
    pub fn fork(&self) -> Result<MemBackend, StorageError> {
        let map = self.read()?.clone();
        Ok(MemBackend { map: CachePadded::new(ShardedLock::new(map)), commits: AtomicU64::new(0) })
    }

    fn write(&self) -> Result<ShardedLockWriteGuard<'_, Map>, StorageError> {
        self.map.write().map_err(|_| StorageError::io("mem backend: lock poisoned".to_owned()))
    }

    /// Applies `writes` under the write lock `map`, keeping their bytes.
    fn apply(&self, map: &mut Map, writes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>) {
        for (key, value) in writes {
            match value {
                Some(value) => match map.index.get_mut(&key) {
                    Some(slot) => *slot = value,
                    None => {
                        map.ordered.insert(key.clone(), ());
                        map.index.insert(key, value);
                    }
                },
                None => {
                    if map.index.remove(&key).is_some() {
                        map.ordered.remove(&key);
                    }
                }
            }
        }
        self.commits.fetch_add(1, Ordering::Release);
    }

    fn read(&self) -> Result<ShardedLockReadGuard<'_, Map>, StorageError> {
        self.map.read().map_err(|_| StorageError::io("mem backend: lock poisoned".to_owned()))
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

    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let Some((low, high)) = range_bounds(prefix, start, end) else { return Ok(Vec::new()) };
        let map = self.read()?;
        let upper = high.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let range = map.ordered.range::<[u8], _>((Bound::Included(low.as_slice()), upper));
        let pair = |(k, ()): (&Vec<u8>, &())| (k.clone(), map.index[k].clone());
        Ok(match order {
            Order::Ascending => range.take(limit).map(pair).collect(),
            Order::Descending => range.rev().take(limit).map(pair).collect(),
        })
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        let mut map = match self.write() {
            Ok(map) => map,
            Err(e) => return Err((e, changes)),
        };
        if let Err(e) = check_next(map.head.as_ref(), block) {
            return Err((e, changes));
        }
        self.apply(&mut map, changes.into_writes());
        map.head = Some(BlockRecord { height: block.height, timestamp: block.timestamp, root: None });
        Ok(None)
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        Ok(self.read()?.head)
    }

    fn generation(&self) -> Option<u64> {
        Some(self.commits.load(Ordering::Acquire))
    }
}
