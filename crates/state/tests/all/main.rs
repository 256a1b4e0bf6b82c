//! Integration tests for cove-state, one module per topic.

mod block_log;
mod crash;
mod damage;
mod fault;
mod history;
mod io_fault;
mod journal;
mod layered;
mod live_keys;
mod model;
mod persistence;
mod scan;
mod snapshot;
mod sorted;
mod twin;

use std::sync::Arc;

use cove_state::{Backend, ChangeSet, Hash, Journal, MemBackend, RedbBackend, StorageError};
use tempfile::TempDir;
use types::BlockInfo;

/// A fresh, empty backend of each kind. The `TempDir` (if any) must outlive the backend.
pub(crate) fn backends() -> Vec<(&'static str, Arc<dyn Backend>, Option<TempDir>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let redb = RedbBackend::open(dir.path()).expect("open redb");
    vec![("mem", Arc::new(MemBackend::new()), None), ("redb", Arc::new(redb), Some(dir))]
}

/// `(key, value)` pairs as owned vectors, for comparing with scan results.
pub(crate) fn pairs(items: &[(&[u8], &[u8])]) -> Vec<(Vec<u8>, Vec<u8>)> {
    items.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
}

/// Commits `items` straight to `backend`, bypassing any journal.
pub(crate) fn seed(backend: &dyn Backend, items: &[(&[u8], &[u8])]) {
    let cs: ChangeSet = items.iter().map(|(k, v)| (k.to_vec(), Some(v.to_vec()))).collect();
    apply(backend, cs).expect("seed commit");
}

/// The block after `backend`'s head (time 0).
pub(crate) fn next_block(backend: &dyn Backend) -> BlockInfo {
    let height = backend.head().expect("head").map_or(0, |h| h.height) + 1;
    BlockInfo { height, timestamp: 0 }
}

/// Commits `changes` to `backend` as its next block.
pub(crate) fn apply(backend: &dyn Backend, changes: ChangeSet) -> Result<Option<Hash>, StorageError> {
    backend.commit(&next_block(backend), changes).map_err(|(e, _)| e)
}

/// Commits `j` as the next block of its backend.
pub(crate) fn commit(j: &mut Journal) -> Result<Option<Hash>, StorageError> {
    let block = next_block(j.backend().as_ref());
    j.commit(&block)
}
