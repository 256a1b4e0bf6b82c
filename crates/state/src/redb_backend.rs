//! The redb backend: one file, one table, one write transaction per commit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use types::StorageError;

use crate::backend::{Backend, ChangeSet};

/// The single table holding all state.
const STATE: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("state");

/// The database file's name inside the data directory.
const FILE_NAME: &str = "state.redb";

/// redb backend: a single file in a directory, one table "state" (&[u8] -> &[u8]),
/// one write transaction per commit, default (immediate) durability.
pub struct RedbBackend {
    db: Database,
    path: PathBuf,
    /// Commits applied through this handle ([`Backend::generation`]); redb locks the file,
    /// so no other writer can change it meanwhile.
    commits: AtomicU64,
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBackend").field("path", &self.path).finish_non_exhaustive()
    }
}

impl RedbBackend {
    /// Opens or creates `<dir>/state.redb` (creating `dir` if needed).
    ///
    /// Fails (never panics) if the directory cannot be created, the file is not a redb
    /// database, or another `RedbBackend` in this process already has it open.
    pub fn open(dir: &Path) -> Result<RedbBackend, StorageError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError(format!("redb: create data dir {}: {e}", dir.display())))?;
        let path = dir.join(FILE_NAME);
        let db = Database::create(&path)
            .map_err(|e| StorageError(format!("redb: open {}: {e}", path.display())))?;
        let backend = RedbBackend { db, path, commits: AtomicU64::new(0) };
        // Create the table up front so reads never see `TableDoesNotExist`.
        backend.commit_with(|_| Ok(()))?;
        Ok(backend)
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StorageError {
        StorageError(format!("redb: {what} ({}): {e}", self.path.display()))
    }

    /// Runs `f` on the `state` table inside one write transaction and commits it durably.
    /// If `f` or the commit fails, the transaction is dropped, which aborts it.
    fn commit_with(
        &self,
        f: impl FnOnce(&mut redb::Table<'_, &'static [u8], &'static [u8]>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut txn = self.db.begin_write().map_err(|e| self.err("begin write transaction", e))?;
        // Immediate is redb's default; set it explicitly because the Backend contract
        // (a commit that returned Ok survives a crash) depends on it.
        txn.set_durability(Durability::Immediate).map_err(|e| self.err("set durability", e))?;
        {
            let mut table = txn.open_table(STATE).map_err(|e| self.err("open table for write", e))?;
            f(&mut table)?;
        }
        txn.commit().map_err(|e| self.err("commit", e))
    }

    fn read_table(&self) -> Result<redb::ReadOnlyTable<&'static [u8], &'static [u8]>, StorageError> {
        let txn = self.db.begin_read().map_err(|e| self.err("begin read transaction", e))?;
        txn.open_table(STATE).map_err(|e| self.err("open table for read", e))
    }
}

impl Backend for RedbBackend {
    /// Opens a read transaction per call. That costs a lock round-trip in redb's
    /// transaction tracker on top of the B-tree lookup (on the order of a microsecond);
    /// acceptable while the journal's overlay absorbs repeated reads. If it shows up in
    /// profiles, cache a `ReadOnlyTable` snapshot and refresh it after each commit.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let table = self.read_table()?;
        let value = table.get(key).map_err(|e| self.err("get", e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let table = self.read_table()?;
        let range = table.range::<&[u8]>(prefix..).map_err(|e| self.err("scan", e))?;
        let mut out = Vec::new();
        for entry in range {
            let (k, v) = entry.map_err(|e| self.err("scan", e))?;
            let key = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn commit(&self, changes: &ChangeSet) -> Result<(), StorageError> {
        let result = self.commit_with(|table| {
            for (key, value) in changes.iter() {
                match value {
                    Some(value) => {
                        table.insert(key, value).map_err(|e| self.err("insert", e))?;
                    }
                    None => {
                        table.remove(key).map_err(|e| self.err("remove", e))?;
                    }
                }
            }
            Ok(())
        });
        // Counted after the data is visible, and whatever the result: see `Journal::stamp`
        // for why a reader comparing the number before and after its reads is then safe.
        self.commits.fetch_add(1, Ordering::Release);
        result
    }

    fn generation(&self) -> Option<u64> {
        Some(self.commits.load(Ordering::Acquire))
    }
}
