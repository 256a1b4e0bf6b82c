//! Fault injection: a backend whose commits fail on demand.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cove_state::{Backend, BlockRecord, ChangeSet, Hash, Journal, MemBackend, StorageError};
use types::BlockInfo;

use crate::{commit, seed};

/// Wraps a `MemBackend`; `commit` fails without applying anything while `fail` is set.
#[derive(Default)]
struct FlakyBackend {
    inner: MemBackend,
    fail: AtomicBool,
    commits: AtomicUsize,
}

impl Backend for FlakyBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.inner.scan_prefix(prefix)
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err((StorageError::io("injected: disk full".to_owned()), changes));
        }
        self.inner.commit(block, changes)
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        self.inner.head()
    }
}

#[test]
fn failed_commit_keeps_the_overlay_and_a_retry_succeeds() {
    let backend = Arc::new(FlakyBackend::default());
    seed(&backend.inner, &[(b"doomed", b"x"), (b"kept", b"k")]);
    let mut j = Journal::new(backend.clone());
    j.set(b"a", b"1");
    assert!(j.delete(b"doomed").unwrap());
    let cp = j.checkpoint();
    j.set(b"b", b"2");
    let before = j.changes();
    let scan_before = j.scan_prefix(b"").unwrap();

    backend.fail.store(true, Ordering::SeqCst);
    let err = commit(&mut j).expect_err("injected failure");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(backend.commits.load(Ordering::SeqCst), 1);

    // Nothing reached the backend, nothing left the journal.
    assert_eq!(backend.inner.get(b"a").unwrap(), None);
    assert_eq!(backend.inner.get(b"doomed").unwrap(), Some(b"x".to_vec()));
    assert_eq!(j.changes(), before);
    assert_eq!(j.scan_prefix(b"").unwrap(), scan_before);
    assert_eq!(j.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(j.get(b"doomed").unwrap(), None);

    // The undo log survived too: the checkpoint still reverts exactly.
    j.revert(cp);
    assert_eq!(j.get(b"b").unwrap(), None);
    assert_eq!(j.get(b"a").unwrap(), Some(b"1".to_vec()));

    backend.fail.store(false, Ordering::SeqCst);
    commit(&mut j).unwrap();
    assert!(j.is_empty());
    assert_eq!(backend.commits.load(Ordering::SeqCst), 2);
    assert_eq!(backend.inner.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(backend.inner.get(b"doomed").unwrap(), None);
    assert_eq!(backend.inner.get(b"b").unwrap(), None);
    assert_eq!(backend.inner.get(b"kept").unwrap(), Some(b"k".to_vec()));
}

#[test]
fn an_empty_block_is_committed_and_recorded() {
    let backend = Arc::new(FlakyBackend::default());
    let mut j = Journal::new(backend.clone());
    // Changes reverted away leave an empty block: it is still a block.
    let cp = j.checkpoint();
    j.set(b"a", b"1");
    j.revert(cp);
    commit(&mut j).unwrap();
    assert_eq!(backend.commits.load(Ordering::SeqCst), 1);
    assert_eq!(backend.head().unwrap().map(|h| h.height), Some(1));
    assert_eq!(backend.scan_prefix(b"").unwrap(), Vec::new());
}
