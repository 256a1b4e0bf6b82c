//! The I/O seam under the store's two files, in redb's `StorageBackend` pattern: the
//! block log is reached through [`LogFile`], the redb file through
//! [`redb::StorageBackend`], and a [`StoreIo`] opens both. [`FileIo`] is the real
//! thing (std files, redb's [`FileBackend`]); tests plug in implementations that fail
//! on demand (`crates/state/tests/all/io_fault.rs`) to check that no failure of a write,
//! a sync, a truncation or a read ever loses a committed block.
//!
//! Only read-write opens go through the seam: a read-only open
//! ([`super::RedbBackend::open_read_only`]) reads the files and writes nothing.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use std::ops::Bound;

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// The block log's file, as the store uses it: whole reads and writes at an offset,
/// truncation, and a data sync. Each call either does all it says or returns an error.
#[allow(clippy::len_without_is_empty)] // as redb's `StorageBackend`: a file, not a collection
pub trait LogFile: Debug + Send + Sync {
    /// The file's length in bytes.
    fn len(&self) -> io::Result<u64>;

    /// Fills `out` from `offset`; reading past the end is an error.
    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()>;

    /// Writes all of `data` at `offset`, extending the file if needed.
    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()>;

    /// Cuts (or extends with zeros) the file to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;

    /// Makes everything written so far, and the length, survive a crash (`fdatasync`).
    fn sync_data(&self) -> io::Result<()>;
}

/// Opens the files of a store opened read-write.
pub trait StoreIo: Debug + Send + Sync {
    /// Opens the block log at `path` for reading and writing, creating it empty if it
    /// does not exist (and then syncing its directory, so the new entry survives a
    /// crash).
    fn open_log(&self, path: &Path) -> io::Result<Box<dyn LogFile>>;

    /// Opens the redb file at `path` for reading and writing, creating it empty if it
    /// does not exist.
    fn open_db(&self, path: &Path) -> io::Result<Box<dyn StorageBackend>>;
}

/// The real files: [`StdLogFile`] and redb's [`FileBackend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct FileIo;

impl StoreIo for FileIo {
    fn open_log(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        Ok(Box::new(StdLogFile::open(path)?))
    }

    fn open_db(&self, path: &Path) -> io::Result<Box<dyn StorageBackend>> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let backend = FileBackend::new(file).map_err(io::Error::other)?;
        Ok(Box::new(backend))
    }
}

/// A [`LogFile`] on a std [`File`].
#[derive(Debug)]
pub struct StdLogFile {
    file: Mutex<File>,
}

impl StdLogFile {
    /// Opens `path` read-write, creating it (and syncing its directory) if needed.
    pub fn open(path: &Path) -> io::Result<StdLogFile> {
        let created = !path.exists();
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        if created && let Some(dir) = path.parent() {
            // The file's directory entry must survive a crash as well as its contents.
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            File::open(dir)?.sync_all()?;
        }
        Ok(StdLogFile { file: Mutex::new(file) })
    }

    fn file(&self) -> std::sync::MutexGuard<'_, File> {
        self.file.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LogFile for StdLogFile {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file().metadata()?.len())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let mut file = self.file();
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(out)
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut file = self.file();
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(data)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file().set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file().sync_data()
    }
}

/// A boxed [`StorageBackend`] as one (redb takes a backend by value): forwards every
/// call, locks included.
#[derive(Debug)]
pub(super) struct Boxed(pub(super) Box<dyn StorageBackend>);

impl StorageBackend for Boxed {
    fn len(&self) -> io::Result<u64> {
        self.0.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.0.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.0.write(offset, data)
    }

    fn close(&self) -> io::Result<()> {
        self.0.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.0.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.0.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.0.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.0.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.0.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.0.query_lock_range(start, end)
    }
}
