//! What stands between a damaged `state.redb` and cove (`docs/state.md`, "Damaged
//! files"): redb's integrity check on open, panics from redb turned into `corrupt`
//! errors at the backend's boundary, and the check that the tree rebuilt from the pages
//! gives the head's recorded root.
//!
//! redb trusts the lengths and page numbers it reads from the file; on a damaged page it
//! may panic (a slice out of range) instead of returning an error. Every entry point of
//! [`super::RedbBackend`] runs inside [`Inner::guard`], which catches such a panic. A
//! handle that saw one is *poisoned*: every later call fails `corrupt` without touching
//! redb, and dropping it neither writes back nor closes the database: the file handle,
//! and redb's lock on it, are leaked until the process exits.
//!
//! Closing is guarded too: redb's close writes its allocator state into the file, and
//! on a damaged allocator state it panics inside `Drop` (exit 101; a second panic while
//! a first one unwinds aborts the process: SIGABRT). A panic while closing is caught
//! and dropped: the file is left as the last commit made it.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use merkle::{Hash, Tree, ZERO};
use redb::Database;
use types::StorageError;

use super::tables::corrupt;
use super::{Handle, Inner};
use crate::BlockRecord;

/// The database of a handle, with whether redb panicked on it (poisoned).
pub(super) struct Db {
    /// `None` only while it is dropped.
    db: Option<Handle>,
    poison: AtomicBool,
}

impl Db {
    pub(super) fn new(db: Handle) -> Db {
        Db { db: Some(db), poison: AtomicBool::new(false) }
    }

    pub(super) fn is_poisoned(&self) -> bool {
        self.poison.load(Ordering::Acquire)
    }

    fn poison(&self) {
        self.poison.store(true, Ordering::Release);
    }
}

impl std::ops::Deref for Db {
    type Target = Handle;

    fn deref(&self) -> &Handle {
        // Taken only by `drop`, after which nothing can deref.
        self.db.as_ref().expect("the database is there until the handle is dropped")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some(db) = self.db.take() else { return };
        if self.is_poisoned() {
            std::mem::forget(db);
        } else {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(db)));
        }
    }
}

impl Inner {
    /// Runs `f` (a call into redb) so that a panic inside it becomes a `corrupt` error
    /// and poisons the handle; fails at once if the handle is already poisoned.
    pub(super) fn guard<T, E: From<StorageError>>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        if self.db.is_poisoned() {
            return Err(corrupt(&format!(
                "redb failed on {} earlier; this handle refuses every call (a new process can open it again)",
                self.path.display()
            ))
            .into());
        }
        catch(&self.path, what, f).map_err(|e| match e {
            Caught::Err(e) => e,
            Caught::Panic(e) => {
                self.db.poison();
                e.into()
            }
        })
    }

    /// Checks that `tree`, rebuilt from the tables' pages at `head`, gives the root
    /// recorded for `head` (an empty tree before the first block).
    pub(super) fn check_root(&self, tree: &mut Tree, head: Option<&BlockRecord>) -> Result<(), StorageError> {
        let recorded: Hash = head.and_then(|h| h.root).unwrap_or(ZERO);
        if tree.root() != recorded {
            return Err(corrupt(&format!(
                "the tree in {} does not give the root recorded for block {}",
                self.path.display(),
                head.map_or(0, |h| h.height)
            )));
        }
        Ok(())
    }
}

/// What [`catch`] caught.
enum Caught<E> {
    /// `f` returned this error.
    Err(E),
    /// `f` panicked; this is the `corrupt` error that stands for it.
    Panic(StorageError),
}

fn catch<T, E: From<StorageError>>(
    path: &Path,
    what: &str,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, Caught<E>> {
    // Unwind safety: after a panic the handle is poisoned and nothing it holds is used
    // again (not even by `Drop`), so no broken invariant can be observed.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(Caught::Err),
        Err(payload) => Err(Caught::Panic(corrupt(&format!(
            "redb failed on {} during {what}: {}",
            path.display(),
            panic_message(payload.as_ref())
        )))),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// A redb error as a [`StorageError`]: `corrupt` where redb says the file is
/// corrupted, `io` otherwise.
pub(super) fn redb_error(what: String, e: impl Into<redb::Error>) -> StorageError {
    match e.into() {
        redb::Error::Corrupted(msg) => StorageError::corrupt(format!("{what}: {msg}")),
        e => StorageError::io(format!("{what}: {e}")),
    }
}

/// Opens the database at `path` with `open`, then checks it with redb's integrity check
/// if the file holds at most `check_bytes`. A panic inside redb is an error here too.
pub(super) fn open_database(
    path: &Path,
    check_bytes: u64,
    open: impl FnOnce() -> Result<Database, StorageError>,
) -> Result<Database, StorageError> {
    let open = || -> Result<Database, StorageError> {
        let mut db = open()?;
        let size =
            std::fs::metadata(path).map_err(|e| StorageError::io(format!("{}: {e}", path.display())))?;
        if size.len() <= check_bytes {
            let clean = db
                .check_integrity()
                .map_err(|e| redb_error(format!("redb: integrity check of {}", path.display()), e))?;
            if !clean {
                // redb found damage that its open did not, and repaired it (perhaps by
                // going back to the previous commit): what the store now holds may be
                // older than what was reported committed.
                return Err(corrupt(&format!(
                    "{} was damaged; redb repaired what it could, and it may now hold an \
                     older state than was committed: compare its root with another node's",
                    path.display()
                )));
            }
        }
        Ok(db)
    };
    match catch(path, "open", open) {
        Ok(db) => Ok(db),
        Err(Caught::Err(e) | Caught::Panic(e)) => Err(e),
    }
}

/// A value (a redb write transaction held on the stack) dropped as usual, or leaked if it
/// is dropped while a panic unwinds: dropping an uncommitted transaction rolls it back
/// through redb's allocator state, and on a damaged file that can panic again, which
/// aborts the process before [`Inner::guard`] can catch the first panic.
pub(super) struct LeakOnPanic<T>(Option<T>);

impl<T> LeakOnPanic<T> {
    pub(super) fn new(value: T) -> LeakOnPanic<T> {
        LeakOnPanic(Some(value))
    }

    pub(super) fn into_inner(mut self) -> T {
        self.0.take().expect("taken only here or by drop")
    }
}

impl<T> std::ops::Deref for LeakOnPanic<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("taken only by into_inner or drop")
    }
}

impl<T> std::ops::DerefMut for LeakOnPanic<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_mut().expect("taken only by into_inner or drop")
    }
}

impl<T> Drop for LeakOnPanic<T> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(value) = self.0.take()
        {
            std::mem::forget(value);
        }
    }
}

/// Runs `open` (an open of the database at `path` other than [`open_database`]'s) so
/// that a panic inside redb is a `corrupt` error.
pub(super) fn catch_open<T>(
    path: &Path,
    open: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    match catch(path, "open", open) {
        Ok(value) => Ok(value),
        Err(Caught::Err(e) | Caught::Panic(e)) => Err(e),
    }
}

impl Inner {
    /// Drops the pending write transaction (which may close the database) inside a
    /// guard, or leaks it if the handle is poisoned (see the module doc); the database
    /// is closed after, by [`Db`]'s `Drop`.
    pub(super) fn close(&self) {
        let txn = self.lock().txn.take();
        if self.db.is_poisoned() {
            std::mem::forget(txn);
        } else {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(txn)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::RedbBackend;
    use super::*;
    use crate::Backend;

    #[test]
    fn a_panic_inside_redb_is_a_corrupt_error_and_poisons_the_handle() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbBackend::open(dir.path()).unwrap();
        let e = store
            .inner
            .guard("a read", || -> Result<(), StorageError> { panic!("a damaged page") })
            .unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("during a read: a damaged page"), "{e}");
        // Poisoned: every call after fails without reaching redb, and dropping the
        // handle neither writes back nor closes the database.
        let e = store.get(b"k").unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("refuses every call"), "{e}");
        assert!(store.inner.guard("anything", || Ok::<_, StorageError>(())).unwrap_err().is_corrupt());
        drop(store);
    }

    #[test]
    fn a_value_held_for_a_panic_is_leaked_not_dropped_and_dropped_otherwise() {
        use std::sync::atomic::AtomicUsize;
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct Counted;
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::SeqCst);
            }
        }
        drop(LeakOnPanic::new(Counted));
        assert_eq!(DROPS.load(Ordering::SeqCst), 1);
        let held = LeakOnPanic::new(Counted);
        let caught = catch_unwind(AssertUnwindSafe(move || {
            let _held = held;
            panic!("a damaged page");
        }));
        assert!(caught.is_err());
        assert_eq!(DROPS.load(Ordering::SeqCst), 1, "dropped while unwinding: leaked instead");
        drop(LeakOnPanic::new(Counted).into_inner());
        assert_eq!(DROPS.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn redb_corruption_is_kind_corrupt_and_other_errors_io() {
        let e = redb_error("x".into(), redb::StorageError::Corrupted("bad page".into()));
        assert!(e.is_corrupt() && e.message() == "x: bad page", "{e}");
        let e = redb_error("x".into(), redb::StorageError::ValueTooLarge(1));
        assert!(!e.is_corrupt(), "{e}");
    }

    #[test]
    fn the_root_check_refuses_a_tree_that_does_not_give_the_recorded_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbBackend::open(dir.path()).unwrap();
        let mut tree = Tree::new(store.inner.config.tree_depth).unwrap();
        assert!(store.inner.check_root(&mut tree, None).is_ok());
        let head = BlockRecord { height: 3, timestamp: 3, root: Some([1; 32]) };
        let e = store.inner.check_root(&mut tree, Some(&head)).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("block 3"), "{e}");
    }
}
