//! Fault injection under the store's files (`docs/state.md`, "The block log"): the
//! block log and the redb file are opened through a [`StoreIo`] whose operations
//! (opens, reads, writes, syncs, truncations, over both files, counted in order) fail
//! at the Nth one with "no space left" or an I/O error, once or from then on. A
//! scripted run of commits spans write-backs and reopens; for every N it records which
//! commits returned Ok, then reopens with healthy I/O: every block reported committed
//! must be there with its root, the state must be exactly that of the blocks held, the
//! store must take the next block, and nothing may panic (each step runs under
//! `catch_unwind`, which says where a panic happened).
//!
//! The default run tries every other N (about 110 runs: 30 s in debug on a busy 2-core
//! machine), alternating
//! the mode and the error; with `COVE_FAULT_ALL=1` (the long mode) every N is tried with
//! both modes and both errors.

use std::collections::BTreeMap;
use std::io;
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cove_state::merkle::{self, Hash};
use cove_state::{Backend, ChangeSet, FileIo, History, LogFile, RedbBackend, StoreConfig, StoreIo};
use redb::{BackendError, StorageBackend};
use types::BlockInfo;

const LONG: &str = "COVE_FAULT_ALL";

/// Commits per open: write-backs every 3 blocks, so sessions end with blocks both
/// written back and only in the log.
const SESSIONS: [u64; 3] = [4, 2, 4];

fn config() -> StoreConfig {
    StoreConfig {
        tree_depth: 4,
        checkpoint_interval: 5,
        keep_recent: 3,
        write_back_blocks: 3,
        ..StoreConfig::default()
    }
}

/// Block `height`'s changes: a function of the height alone.
fn block(height: u64) -> ChangeSet {
    let h = height as u8;
    let mut writes = vec![
        (format!("key/{}", height % 7).into_bytes(), Some(vec![h; 1 + (height % 5) as usize])),
        (format!("key/{}", (height * 3 + 1) % 7).into_bytes(), Some(vec![h ^ 0x5a; 40])),
    ];
    if height.is_multiple_of(4) {
        writes.push((format!("key/{}", (height + 2) % 7).into_bytes(), None));
    }
    ChangeSet::new(writes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Once,
    Sticky,
}

/// Which operation fails, how, and how many have run.
#[derive(Debug)]
struct Plan {
    at: AtomicU64,
    mode: Mode,
    no_space: bool,
    /// Only the redb file's operations fail (the log's never do).
    db_only: bool,
    ops: AtomicU64,
}

impl Plan {
    fn new(at: u64, mode: Mode, no_space: bool) -> Arc<Plan> {
        Arc::new(Plan { at: AtomicU64::new(at), mode, no_space, db_only: false, ops: AtomicU64::new(0) })
    }

    fn tick(&self, op: &str) -> io::Result<()> {
        if self.db_only && op.starts_with("log") {
            return Ok(());
        }
        let n = self.ops.fetch_add(1, Ordering::SeqCst);
        let at = self.at.load(Ordering::SeqCst);
        let fail = match self.mode {
            Mode::Once => n == at,
            Mode::Sticky => n >= at,
        };
        if !fail {
            return Ok(());
        }
        Err(if self.no_space {
            io::Error::new(io::ErrorKind::StorageFull, format!("injected: no space left on device ({op})"))
        } else {
            io::Error::other(format!("injected: input/output error ({op})"))
        })
    }
}

#[derive(Debug)]
struct FaultyIo(Arc<Plan>);

impl StoreIo for FaultyIo {
    fn open_log(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        self.0.tick("log open")?;
        Ok(Box::new(FaultyLog { plan: self.0.clone(), inner: FileIo.open_log(path)? }))
    }

    fn open_db(&self, path: &Path) -> io::Result<Box<dyn StorageBackend>> {
        self.0.tick("db open")?;
        Ok(Box::new(FaultyDb { plan: self.0.clone(), inner: FileIo.open_db(path)? }))
    }
}

#[derive(Debug)]
struct FaultyLog {
    plan: Arc<Plan>,
    inner: Box<dyn LogFile>,
}

impl LogFile for FaultyLog {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.plan.tick("log read")?;
        self.inner.read(offset, out)
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.plan.tick("log write")?;
        self.inner.write(offset, data)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.plan.tick("log set_len")?;
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.plan.tick("log sync")?;
        self.inner.sync_data()
    }
}

/// redb's file backend with failures; locks pass through untouched.
#[derive(Debug)]
struct FaultyDb {
    plan: Arc<Plan>,
    inner: Box<dyn StorageBackend>,
}

impl StorageBackend for FaultyDb {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.plan.tick("db read")?;
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.plan.tick("db set_len")?;
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.plan.tick("db sync")?;
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.plan.tick("db write")?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> io::Result<()> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

/// What a scripted run under `plan` saw: the blocks reported committed, and where a
/// panic happened, if one did.
struct Run {
    reported: BTreeMap<u64, Hash>,
    panics: Vec<String>,
}

fn run_script(dir: &Path, plan: &Arc<Plan>) -> Run {
    let io = FaultyIo(plan.clone());
    let mut run = Run { reported: BTreeMap::new(), panics: Vec::new() };
    for (session, &commits) in SESSIONS.iter().enumerate() {
        let store = match catch_unwind(AssertUnwindSafe(|| RedbBackend::open_with_io(dir, config(), &io))) {
            Err(_) => {
                run.panics.push(format!("open {session}"));
                continue;
            }
            Ok(Err(_)) => continue,
            Ok(Ok(store)) => store,
        };
        for i in 0..commits {
            let committed = catch_unwind(AssertUnwindSafe(|| {
                let height = store.head().ok()?.map_or(0, |h| h.height) + 1;
                let info = BlockInfo { height, timestamp: height };
                store.commit(&info, block(height)).ok().map(|root| (height, root))
            }));
            match committed {
                Err(_) => run.panics.push(format!("session {session}, commit {i}")),
                Ok(Some((height, Some(root)))) => {
                    run.reported.insert(height, root);
                }
                Ok(Some((height, None))) => panic!("block {height}: redb commits to a root"),
                Ok(None) => {}
            }
        }
        if catch_unwind(AssertUnwindSafe(|| drop(store))).is_err() {
            run.panics.push(format!("drop {session}"));
        }
    }
    run
}

/// Reopens `dir` with healthy I/O and checks it holds every reported block and exactly
/// the state of the blocks it holds, then takes one more block.
fn check(dir: &Path, run: &Run, what: &str) {
    assert!(run.panics.is_empty(), "{what}: panics at {:?}", run.panics);
    let store = match catch_unwind(|| RedbBackend::open_with(dir, config())) {
        Err(_) => panic!("{what}: the healthy reopen panicked"),
        Ok(opened) => opened.unwrap_or_else(|e| panic!("{what}: the healthy reopen failed: {e}")),
    };
    let head = store.head().unwrap().map_or(0, |h| h.height);
    let last = run.reported.keys().next_back().copied().unwrap_or(0);
    assert!(head >= last, "{what}: reported block {last} lost (head {head})");
    for (&height, root) in &run.reported {
        let record = store.block(height).unwrap();
        assert_eq!(record.and_then(|r| r.root), Some(*root), "{what}: block {height}'s root");
    }
    let mut model = BTreeMap::new();
    for height in 1..=head {
        for (k, v) in block(height).iter() {
            match v {
                Some(v) => model.insert(k.to_vec(), v.to_vec()),
                None => model.remove(k),
            };
        }
    }
    let expected = merkle::root_of(4, model.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap();
    let root = store.head().unwrap().map_or(merkle::ZERO, |h| h.root.expect("redb keeps roots"));
    assert_eq!(root, expected, "{what}: root at {head}");
    let stored: BTreeMap<Vec<u8>, Vec<u8>> = store.scan_prefix(b"key/").unwrap().into_iter().collect();
    assert_eq!(stored, model, "{what}: contents at {head}");
    let next = BlockInfo { height: head + 1, timestamp: head + 1 };
    store.commit(&next, block(head + 1)).map_err(|(e, _)| e).unwrap_or_else(|e| {
        panic!("{what}: the store must take a block again once the disk is healthy: {e}")
    });
}

#[test]
fn no_io_failure_at_any_step_loses_a_reported_block_or_panics() {
    // How many operations the script performs when nothing fails.
    let healthy = Plan::new(u64::MAX, Mode::Once, true);
    let dir = tempfile::tempdir().unwrap();
    let run = run_script(dir.path(), &healthy);
    let total = healthy.ops.load(Ordering::SeqCst);
    let blocks: u64 = SESSIONS.iter().sum();
    assert_eq!(run.reported.len() as u64, blocks, "the healthy run commits every block");
    check(dir.path(), &run, "healthy");

    let long = std::env::var_os(LONG).is_some();
    let (mut lost_reports, mut runs) = (0, 0);
    for at in (0..total).step_by(if long { 1 } else { 2 }) {
        let cases: Vec<(Mode, bool)> = if long {
            vec![(Mode::Once, true), (Mode::Once, false), (Mode::Sticky, true), (Mode::Sticky, false)]
        } else {
            let mode = if at % 4 == 0 { Mode::Once } else { Mode::Sticky };
            vec![(mode, at % 8 < 4)]
        };
        for (mode, no_space) in cases {
            let plan = Plan::new(at, mode, no_space);
            let dir = tempfile::tempdir().unwrap();
            let run = run_script(dir.path(), &plan);
            let what = format!("failing operation {at} of {total} ({mode:?}, no_space {no_space})");
            check(dir.path(), &run, &what);
            runs += 1;
            lost_reports += blocks - run.reported.len() as u64;
        }
    }
    // The failures did land: some commits were refused (never reported) along the way.
    assert!(lost_reports > 0, "no injected failure ever failed a commit");
    eprintln!("{runs} runs over {total} operations; {lost_reports} commits refused in all");
}

/// The full-disk case: the tables' file runs out of space at a write-back while the log
/// still takes appends. The block that triggered the write-back is committed (its
/// record was synced); the next commit fails cleanly; dropping the store must not empty
/// the log (it once did: the failed write-back had used up the pending transaction, so
/// the write-back on drop found nothing to commit, cleared the overlay and truncated
/// the log); and a healthy reopen holds every reported block.
#[test]
fn a_write_back_that_runs_out_of_space_keeps_the_log_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Arc::new(Plan {
        at: AtomicU64::new(u64::MAX),
        mode: Mode::Sticky,
        no_space: true,
        db_only: true,
        ops: AtomicU64::new(0),
    });
    let store = RedbBackend::open_with_io(dir.path(), config(), &FaultyIo(plan.clone())).unwrap();
    let commit = |h: u64| store.commit(&BlockInfo { height: h, timestamp: h }, block(h)).map_err(|(e, _)| e);
    let mut roots = vec![commit(1).unwrap().unwrap(), commit(2).unwrap().unwrap()];
    // From now on the redb file is full; block 3 fills the write-back cycle.
    plan.at.store(plan.ops.load(Ordering::SeqCst), Ordering::SeqCst);
    roots.push(commit(3).expect("block 3 is in the log: committed").unwrap());
    let log = dir.path().join("state.wal");
    let logged = std::fs::read(&log).unwrap();
    assert!(!logged.is_empty(), "the failed write-back must leave the log");
    assert_eq!(
        store.get(b"key/3").unwrap(),
        block(3).iter().find(|(k, _)| *k == b"key/3").unwrap().1.map(<[u8]>::to_vec)
    );
    let e = commit(4).expect_err("the tables are still full: block 4 is refused");
    // (redb refuses a handle's transactions after an I/O error until a reopen: the
    // error says what failed first.)
    assert!(!e.is_corrupt() && e.message().contains("after a failed write-back"), "{e}");
    assert!(e.message().contains("no space left"), "{e}");
    assert_eq!(store.head().unwrap().map(|h| h.height), Some(3));
    drop(store);
    assert_eq!(std::fs::read(&log).unwrap(), logged, "dropping the store must leave the log as it was");
    // Space is freed: everything reported is there.
    let run = Run {
        reported: roots.into_iter().enumerate().map(|(i, r)| (i as u64 + 1, r)).collect(),
        panics: Vec::new(),
    };
    check(dir.path(), &run, "after a full disk");
}
