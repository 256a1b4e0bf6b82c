//! The data directory's lock: `<dir>/LOCK`, an `flock` held by whatever uses the
//! directory, so two processes never write it at once (`docs/state.md`, "The data
//! directory's lock").
//!
//! Exclusive for a read-write open of the store ([`super::RedbBackend::open_with`]) and
//! for a snapshot import (which holds it from its check that the directory holds no
//! blocks until the imported store is in place and open); shared for a read-only open.
//! Taking it never waits: a directory in use is an error that says so at once, never
//! a hang. The lock goes with the handle (the file is closed when the [`DirLock`] is
//! dropped, or when the process dies, even by SIGKILL), so it can never be left stale.
//! The file itself holds nothing and is never removed: removing a lock file while
//! another process holds it open would let a third lock a new one.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use types::StorageError;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "LOCK";

/// A held lock on a data directory; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    /// Held open for the lock's lifetime: the lock belongs to this open file.
    _file: File,
    path: PathBuf,
    exclusive: bool,
}

impl DirLock {
    /// Locks `dir` (which must exist) for writing: fails at once if any other
    /// [`DirLock`] on it is held, by this process or another.
    pub fn exclusive(dir: &Path) -> Result<DirLock, StorageError> {
        DirLock::take(dir, true)
    }

    /// Locks `dir` (which must exist) for reading: any number of shared locks may be
    /// held at once, never with an exclusive one. Creates the (empty) lock file only if
    /// it is missing, and writes nothing else.
    pub fn shared(dir: &Path) -> Result<DirLock, StorageError> {
        DirLock::take(dir, false)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this is a write (exclusive) lock.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    fn take(dir: &Path, exclusive: bool) -> Result<DirLock, StorageError> {
        let path = dir.join(LOCK_FILE);
        let err = |what: &str, e: std::io::Error| {
            StorageError::io(format!("data directory lock {}: {what}: {e}", path.display()))
        };
        // An existing lock file is only read (`flock` needs no write access); a
        // missing one is created empty.
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| err("create", e))?,
            Err(e) => return Err(err("open", e)),
        };
        let locked = if exclusive { file.try_lock() } else { file.try_lock_shared() };
        match locked {
            Ok(()) => Ok(DirLock { _file: file, path, exclusive }),
            Err(TryLockError::WouldBlock) => Err(StorageError::io(format!(
                "the data directory {} is in use by another cove process (or another open \
                 handle in this one), which holds its lock {}; try again once it is done",
                dir.display(),
                path.display()
            ))),
            Err(TryLockError::Error(e)) => Err(err("lock", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_excludes_everything_and_shared_excludes_only_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let a = DirLock::exclusive(dir.path()).unwrap();
        assert!(a.is_exclusive());
        let e = DirLock::exclusive(dir.path()).unwrap_err();
        assert!(e.message().contains("is in use by another cove process"), "{e}");
        assert!(DirLock::shared(dir.path()).is_err());
        drop(a);
        let r1 = DirLock::shared(dir.path()).unwrap();
        let r2 = DirLock::shared(dir.path()).unwrap();
        assert!(!r1.is_exclusive());
        let e = DirLock::exclusive(dir.path()).unwrap_err();
        assert!(e.message().contains("in use"), "{e}");
        drop((r1, r2));
        let again = DirLock::exclusive(dir.path()).unwrap();
        assert_eq!(again.path(), dir.path().join(LOCK_FILE));
        assert_eq!(std::fs::metadata(again.path()).unwrap().len(), 0, "the lock file holds nothing");
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = DirLock::exclusive(&dir.path().join("absent")).unwrap_err();
        assert!(e.message().contains(LOCK_FILE), "{e}");
    }
}
