//! Files written under a unique name beside their target and renamed into place once
//! complete and durable: a snapshot export's output ([`SnapshotFile`]) and an import's
//! new store. Until then a drop removes the staged file, so a failure never leaves a
//! half-written file under the target's name nor beside it (only a crash can, under a
//! staged name nothing reads). Two writers never share a staged file: each creates its
//! own (`create_new`), named after the process and a counter.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use types::StorageError;

/// Tries at names already taken before giving up (a counter makes a clash rare; only
/// files left by a crashed process with the same pid can cause one).
const MAX_NAME_TRIES: u64 = 1_000;

/// A file being written under a unique name in some directory.
#[derive(Debug)]
pub(super) struct Staged {
    path: PathBuf,
    file: Option<File>,
    persisted: bool,
}

impl Staged {
    /// Creates a new, empty file `{prefix}.{pid}-{n}{suffix}` in `dir`; never opens an
    /// existing one.
    pub(super) fn new_in(dir: &Path, prefix: &str, suffix: &str) -> io::Result<Staged> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        for _ in 0..MAX_NAME_TRIES {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("{prefix}.{pid}-{n}{suffix}"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok(Staged { path, file: Some(file), persisted: false }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("no free name for {prefix}.* in {}", dir.display()),
        ))
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Closes this handle (another, e.g. redb's, writes the file); `persist` then
    /// leaves syncing the data to that writer.
    pub(super) fn close(&mut self) {
        self.file = None;
    }

    /// Syncs the file (if this handle wrote it), renames it to `target` and syncs
    /// `target`'s directory, so the rename survives a crash too.
    pub(super) fn persist(mut self, target: &Path) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            file.flush()?;
            file.sync_all()?;
        }
        std::fs::rename(&self.path, target)?;
        self.persisted = true;
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().ok_or_else(|| io::Error::other("the staged file is closed"))?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.persisted {
            self.file = None;
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A snapshot export's output: written beside the target under a unique staged name
/// and renamed over it by [`SnapshotFile::persist`]; dropped before that, it removes
/// what it wrote.
///
/// The target must lie outside the store's data directory, symbolic links and relative
/// paths resolved: a snapshot written over the store, its block log, its lock or its
/// module cache (or merely beside them) would destroy or shadow them.
#[derive(Debug)]
pub struct SnapshotFile {
    staged: Staged,
    target: PathBuf,
}

impl SnapshotFile {
    /// Checks that `file` is outside `data_dir` and not a directory, then creates the
    /// staged file beside it (`{name}.{pid}-{n}.partial`).
    pub fn create(data_dir: &Path, file: &Path) -> Result<SnapshotFile, StorageError> {
        let target = resolve(file)?;
        let dir =
            std::fs::canonicalize(data_dir).or_else(|_| std::path::absolute(data_dir)).map_err(|e| {
                StorageError::io(format!(
                    "snapshot export: resolve the data directory {}: {e}",
                    data_dir.display()
                ))
            })?;
        if target.starts_with(&dir) {
            return Err(StorageError::io(format!(
                "snapshot export: {} is inside the data directory {}: write the snapshot outside it \
                 (it would replace or sit among the store's files)",
                file.display(),
                dir.display()
            )));
        }
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(StorageError::io(format!("snapshot export: {} names no file", file.display())));
        };
        let staged = Staged::new_in(parent, &name.to_string_lossy(), ".partial").map_err(|e| {
            StorageError::io(format!("snapshot export: create a file beside {}: {e}", target.display()))
        })?;
        Ok(SnapshotFile { staged, target })
    }

    /// The file the snapshot goes to, resolved (absolute, symbolic links followed).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where it is written until [`SnapshotFile::persist`].
    pub fn staged_path(&self) -> &Path {
        self.staged.path()
    }

    /// Syncs what was written and renames it over the target.
    pub fn persist(self) -> Result<PathBuf, StorageError> {
        let SnapshotFile { staged, target } = self;
        staged
            .persist(&target)
            .map_err(|e| StorageError::io(format!("snapshot export: write {}: {e}", target.display())))?;
        Ok(target)
    }
}

impl Write for SnapshotFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.staged.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.staged.flush()
    }
}

/// `file` made absolute with every symbolic link resolved: its longest existing
/// ancestor (itself, if it exists) canonicalized, the rest appended (so a target in a
/// missing directory inside the data dir is still seen to be inside); refused if it is
/// a directory or lies under a link to nothing.
fn resolve(file: &Path) -> Result<PathBuf, StorageError> {
    let err = |what: &str| StorageError::io(format!("snapshot export: {}: {what}", file.display()));
    let absolute = std::path::absolute(file).map_err(|e| err(&e.to_string()))?;
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    let base = loop {
        match std::fs::canonicalize(existing) {
            Ok(base) => break base,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(existing).is_ok() {
                    return Err(err("is, or lies under, a symbolic link to nothing"));
                }
                // No name: the path ends in `..`, which cannot follow a missing directory.
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(err("no such directory"));
                };
                missing.push(name);
                existing = parent;
            }
            Err(e) => return Err(err(&e.to_string())),
        }
    };
    if missing.is_empty() && base.is_dir() {
        return Err(err("is a directory"));
    }
    Ok(missing.iter().rev().fold(base, |path, name| path.join(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_staged_file_is_unique_removed_on_drop_and_renamed_on_persist() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Staged::new_in(dir.path(), "x", ".partial").unwrap();
        let b = Staged::new_in(dir.path(), "x", ".partial").unwrap();
        assert_ne!(a.path(), b.path());
        drop(b);
        a.write_all(b"hello").unwrap();
        assert_eq!(names(dir.path()).len(), 1);
        let target = dir.path().join("x");
        a.persist(&target).unwrap();
        assert_eq!(names(dir.path()), ["x"]);
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
    }

    #[test]
    fn a_snapshot_file_inside_the_data_dir_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir_all(data.join("cache")).unwrap();
        std::fs::write(data.join("state.redb"), b"store").unwrap();
        std::os::unix::fs::symlink(&data, root.path().join("link")).unwrap();
        std::os::unix::fs::symlink(data.join("state.redb"), root.path().join("store-link")).unwrap();
        let inside = [
            data.join("state.redb"),
            data.join("state.wal"),
            data.join("LOCK"),
            data.join("cache"),
            data.join("cache/new"),
            data.join("new"),
            data.join("missing/dir/new"),
            root.path().join("data/../data/state.redb"),
            root.path().join("link/state.redb"),
            root.path().join("store-link"),
        ];
        for file in inside {
            let e = SnapshotFile::create(&data, &file).unwrap_err();
            let m = e.message();
            assert!(
                m.contains("inside the data directory") || m.contains("is a directory"),
                "{}: {e}",
                file.display()
            );
        }
        // Through a data dir given by a link, too.
        let e = SnapshotFile::create(&root.path().join("link"), &data.join("x")).unwrap_err();
        assert!(e.message().contains("inside the data directory"), "{e}");
        assert_eq!(std::fs::read(data.join("state.redb")).unwrap(), b"store");
        assert_eq!(names(&data), ["cache", "state.redb"], "nothing written in the data dir");
        assert_eq!(names(root.path()), ["data", "link", "store-link"]);
    }

    #[test]
    fn a_snapshot_file_is_written_only_on_persist_and_never_over_a_directory() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let e = SnapshotFile::create(&data, root.path()).unwrap_err();
        assert!(e.message().contains("is a directory"), "{e}");
        let target = root.path().join("snap");
        let mut out = SnapshotFile::create(&data, &target).unwrap();
        out.write_all(b"abc").unwrap();
        assert!(out.staged_path().to_string_lossy().ends_with(".partial"));
        drop(out);
        assert_eq!(names(root.path()), ["data"], "a dropped export leaves nothing");
        let mut out = SnapshotFile::create(&data, &target).unwrap();
        out.write_all(b"abc").unwrap();
        assert_eq!(out.persist().unwrap(), std::fs::canonicalize(&target).unwrap());
        assert_eq!(names(root.path()), ["data", "snap"]);
        assert_eq!(std::fs::read(&target).unwrap(), b"abc");
    }
}
