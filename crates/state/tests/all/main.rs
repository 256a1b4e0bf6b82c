//! Integration tests for cove-state, one module per topic.

mod fault;
mod journal;
mod model;
mod persistence;

use std::sync::Arc;

use cove_state::{Backend, MemBackend, RedbBackend};
use tempfile::TempDir;

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
    let cs: cove_state::ChangeSet = items.iter().map(|(k, v)| (k.to_vec(), Some(v.to_vec()))).collect();
    backend.commit(&cs).expect("seed commit");
}
