//! Storage faults are node errors (`Err(RuntimeError)`), never contract outcomes or panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cove_runtime::{Config, Runtime, RuntimeError};
use state::{Backend, BlockRecord, ChangeSet, Hash, MemBackend};
use types::{Address, BlockInfo, StorageError};

use crate::support::*;

/// A `MemBackend` whose reads of contract storage and whose commits fail on demand.
#[derive(Default)]
struct FaultyBackend {
    inner: MemBackend,
    /// Fail `get` of keys in the contract-storage namespace (first byte 0x00, see
    /// `docs/state.md`), i.e. the reads a contract makes through `storage_read`.
    fail_storage_get: AtomicBool,
    /// Fail every `get` and `head`.
    fail_all_get: AtomicBool,
    fail_commit: AtomicBool,
}

impl Backend for FaultyBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if self.fail_all_get.load(Ordering::SeqCst)
            || (self.fail_storage_get.load(Ordering::SeqCst) && key.first() == Some(&0x00))
        {
            return Err(StorageError::io("injected: read failed".to_owned()));
        }
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
        if self.fail_commit.load(Ordering::SeqCst) {
            return Err((StorageError::io("injected: disk full".to_owned()), changes));
        }
        self.inner.commit(block, changes)
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        if self.fail_all_get.load(Ordering::SeqCst) {
            return Err(StorageError::io("injected: read failed".to_owned()));
        }
        self.inner.head()
    }
}

fn faulty() -> (Arc<FaultyBackend>, Runtime) {
    let backend = Arc::new(FaultyBackend::default());
    let rt = Runtime::with_backend(backend.clone(), Config::default()).unwrap();
    (backend, rt)
}

#[test]
fn failing_commit_is_an_error_and_applies_nothing() {
    let (backend, rt) = faulty();
    let existing = deploy_committed(&rt, ALICE, &token(), Some(("init", Vec::new())));
    let last = rt.last_block().unwrap();

    backend.fail_commit.store(true, Ordering::SeqCst);
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let c = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
    ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap());
    ok(&block.call(ALICE, existing, "transfer", transfer_input(BOB, 5), None).unwrap());
    let err = block.commit().expect_err("commit must fail");
    assert!(matches!(err, RuntimeError::Storage(_)), "{err:?}");
    assert!(err.to_string().contains("disk full"), "{err}");

    assert_eq!(rt.last_block().unwrap(), last);
    assert_eq!(rt.contract(&c).unwrap(), None);
    assert_eq!(rt.codes().unwrap().len(), 1, "the counter's code was not stored");
    assert_eq!(balance(&rt, existing, BOB), 0);

    // Once the disk recovers, the same block goes through, and its code really is stored:
    // a second runtime over the same backend (an empty module cache) can run it.
    backend.fail_commit.store(false, Ordering::SeqCst);
    let mut block = rt.begin_block(T0 + 1).unwrap();
    assert_eq!(block.info(), BlockInfo { height: last.height + 1, timestamp: T0 + 1 });
    assert_eq!(block.deploy(ALICE, &counter(), None, None).unwrap().address, Some(c));
    assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(1));
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap().len(), 2);
    let fresh = Runtime::with_backend(backend.clone(), Config::default()).unwrap();
    assert_eq!(ok(&fresh.query(BOB, c, "get", Vec::new(), None).unwrap()), u32le(1));
}

#[test]
fn failing_read_inside_a_call_is_an_error_not_an_outcome() {
    let (backend, rt) = faulty();
    let mut block = rt.begin_block(T0).unwrap();
    let a = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
    let b = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
    ok(&block.call(BOB, b, "increment", Vec::new(), None).unwrap());
    block.commit().unwrap();

    let mut block = rt.begin_block(T0 + 1).unwrap();
    // a's counter is now in the block's overlay; b's is only in the backend.
    assert_eq!(ok(&block.call(BOB, a, "increment", Vec::new(), None).unwrap()), u32le(1));
    backend.fail_storage_get.store(true, Ordering::SeqCst);
    let err = block.call(BOB, b, "increment", Vec::new(), None).expect_err("read fault must be an error");
    assert!(matches!(err, RuntimeError::Storage(_)), "{err:?}");
    assert!(err.to_string().contains("read failed"), "{err}");
    // Reads the overlay answers still work.
    assert_eq!(ok(&block.call(BOB, a, "increment", Vec::new(), None).unwrap()), u32le(2));
    // A deploy whose init hits the fault fails as a whole, consuming no nonce.
    let err =
        block.deploy(BOB, &counter(), Some(("increment", Vec::new())), None).expect_err("init read fault");
    assert!(matches!(err, RuntimeError::Storage(_)), "{err:?}");
    backend.fail_storage_get.store(false, Ordering::SeqCst);

    // The block is still usable; the failed transactions left nothing.
    assert_eq!(ok(&block.call(BOB, b, "increment", Vec::new(), None).unwrap()), u32le(2));
    let r = block.deploy(BOB, &counter(), None, None).unwrap();
    assert_eq!(r.address, Some(Address::contract(&BOB, 0)));
    block.commit().unwrap();
    assert_eq!(rt.contract_state(&a).unwrap(), vec![(b"counter".to_vec(), u32le(2))]);
    assert_eq!(rt.contract_state(&b).unwrap(), vec![(b"counter".to_vec(), u32le(2))]);
}

#[test]
fn failing_reads_outside_contracts_are_errors_too() {
    let (backend, rt) = faulty();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    backend.fail_all_get.store(true, Ordering::SeqCst);
    assert!(matches!(rt.begin_block(T0 + 1), Err(RuntimeError::Storage(_))));
    assert!(matches!(rt.query(BOB, c, "get", Vec::new(), None), Err(RuntimeError::Storage(_))));
    assert!(matches!(rt.contract(&c), Err(RuntimeError::Storage(_))));
    backend.fail_all_get.store(false, Ordering::SeqCst);

    let mut block = rt.begin_block(T0 + 1).unwrap();
    backend.fail_all_get.store(true, Ordering::SeqCst);
    assert!(matches!(block.call(BOB, c, "increment", Vec::new(), None), Err(RuntimeError::Storage(_))));
    assert!(matches!(block.upgrade(ALICE, c, &counter_plus_ten(), None), Err(RuntimeError::Storage(_))));
    backend.fail_all_get.store(false, Ordering::SeqCst);
    assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(1));
    block.commit().unwrap();
    assert_eq!(rt.contract(&c).unwrap().unwrap().code_id, types::CodeId::of(&counter()));
}
