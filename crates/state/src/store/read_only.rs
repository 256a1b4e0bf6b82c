//! Read-only opens: a store read without writing a byte, neither `state.redb` nor
//! `state.wal` (`docs/state.md`, "The block log").
//!
//! The blocks the log holds above the tables' head are committed, so a read-only
//! handle serves them too: their changes overlay the tables for reads at the head and
//! at any height the log holds, and their records (height, time, root) come from the
//! log. It cannot replay them (that needs a write transaction), so their roots are the
//! ones recorded in the log, checksummed but not recomputed until the next read-write
//! open; and what reads the tables' tree pages (proofs, snapshots) cannot reach a
//! height only the log holds: that is an error saying so, never an answer from older
//! tables.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use merkle::Hash;
use redb::{DatabaseError, ReadOnlyDatabase, ReadTransaction};
use types::{BlockInfo, StorageError};

use super::tables::{self, DEPTH, FORMAT, FORMAT_NO_LIVE_KEYS, FORMAT_VERSION, INTERVAL, META};
use super::wal::{self, LoggedBlock};
use super::{DirLock, FILE_NAME, Handle, Inner, RedbBackend, apply_prefix, guard, keyset};
use crate::backend::{Backend, ChangeSet, Order, check_next, merge_overlay, range_bounds};
use crate::{BlockRecord, StoreConfig};

/// What a read-only handle took from the block log.
pub(super) struct LogOnly {
    /// The tables' head height (0 if they hold no block).
    tables_at: u64,
    /// The logged blocks above it, in height order.
    blocks: Vec<LoggedBlock>,
}

impl RedbBackend {
    /// Opens the store in `dir` for reading only: nothing is written, neither the redb
    /// file nor the block log (a torn tail stays in place; damage is an error, as for
    /// [`RedbBackend::open_with`]). Commits are refused.
    ///
    /// Fails if there is no store in `dir`, if it was not closed cleanly (redb then
    /// needs a repair, which writes: a read-write open does it), if another process
    /// has it open for writing, or if its format, tree depth or checkpoint interval are
    /// not `config`'s.
    pub fn open_read_only(dir: &Path, config: StoreConfig) -> Result<RedbBackend, StorageError> {
        config.validate()?;
        let path = dir.join(FILE_NAME);
        if !path.exists() {
            return Err(StorageError::io(format!(
                "no store in {}: nothing has been committed there yet",
                dir.display()
            )));
        }
        let lock = Arc::new(DirLock::shared(dir)?);
        let db = guard::catch_open(&path, || {
            ReadOnlyDatabase::open(&path).map_err(|e| match e {
                DatabaseError::RepairAborted => StorageError::io(format!(
                    "{} was not closed cleanly and needs a repair, which writes: \
                     open it read-write once (any command that commits)",
                    path.display()
                )),
                e => guard::redb_error(format!("redb: open {} read-only", path.display()), e),
            })
        })?;
        let logged = wal::read_only(dir)?;
        let mut inner = Inner::new(guard::Db::new(Handle::Read(db)), path, config, None, None, lock);
        // The tables' pages must give the root recorded for their head, as on a
        // read-write open: reads check what they return against those pages.
        let (mut head, format) = inner.guard("open", || {
            let format = inner.check_format()?;
            let head = inner.table_head()?;
            let mut tree = inner.tree_at(&inner.read()?, head.map_or(0, |h| h.height))?;
            inner.check_root(&mut tree, head.as_ref())?;
            // No integrity check here (redb's read-only database has none): the digest
            // of the keys table stands in for it where the check would have run.
            if std::fs::metadata(&inner.path).is_ok_and(|m| m.len() <= inner.config.integrity_check_bytes) {
                keyset::check(&inner.read()?)?;
            }
            Ok::<_, StorageError>((head, format))
        })?;
        // A format-2 store has no `live_keys` until its next read-write open: scans at the
        // head walk `keys`, as format 2 did (the same pairs, more entries walked).
        inner.live_keys = format == FORMAT_VERSION;
        let tables_at = head.map_or(0, |h| h.height);
        let mut overlay = BTreeMap::new();
        let mut blocks = Vec::new();
        for entry in logged.into_iter().filter(|b| b.block.height > tables_at) {
            check_next(head.as_ref(), &entry.block)
                .map_err(|e| tables::corrupt(&format!("the block log does not follow the tables: {e}")))?;
            apply(&mut overlay, &entry.changes);
            let block = entry.block;
            head = Some(BlockRecord {
                height: block.height,
                timestamp: block.timestamp,
                root: Some(entry.root),
            });
            blocks.push(entry);
        }
        inner.lock().head = head;
        *inner.overlay.get_mut().unwrap_or_else(|e| e.into_inner()) = overlay;
        inner.log_only = Some(LogOnly { tables_at, blocks });
        Ok(RedbBackend { inner: Arc::new(inner) })
    }
}

fn apply(overlay: &mut BTreeMap<Vec<u8>, Option<Vec<u8>>>, changes: &ChangeSet) {
    for (key, value) in changes.iter() {
        overlay.insert(key.to_vec(), value.map(<[u8]>::to_vec));
    }
}

impl Inner {
    /// The checks of [`Inner::init`] that need no write: a store of this format (or of
    /// format 2, which has all but `live_keys`) with `config`'s tree depth and checkpoint
    /// interval. Returns the format.
    fn check_format(&self) -> Result<u64, StorageError> {
        let txn = self.read()?;
        let meta = txn.open_table(META).map_err(|e| self.err("open meta (is this a cove store?)", e))?;
        let get = |name: &str| tables::meta_u64(&meta, name);
        let format = match get(FORMAT)? {
            Some(format @ (FORMAT_NO_LIVE_KEYS | FORMAT_VERSION)) => format,
            Some(other) => {
                return Err(StorageError::io(format!(
                    "{} has store format {other}; a read-only open reads formats {FORMAT_NO_LIVE_KEYS} \
                     and {FORMAT_VERSION} (a read-write open upgrades format 1)",
                    self.path.display()
                )));
            }
            None => return Err(tables::corrupt("no format record")),
        };
        let depth = get(DEPTH)?.ok_or_else(|| tables::corrupt("no tree depth"))?;
        let interval = get(INTERVAL)?.ok_or_else(|| tables::corrupt("no checkpoint interval"))?;
        if (depth, interval) != (u64::from(self.config.tree_depth), self.config.checkpoint_interval) {
            return Err(StorageError::io(format!(
                "{} was created with tree_depth {depth} and checkpoint_interval {interval}; \
                 the config asks for {} and {}: use the store's values",
                self.path.display(),
                self.config.tree_depth,
                self.config.checkpoint_interval
            )));
        }
        Ok(format)
    }

    /// In a read-only handle, the logged blocks up to `height` if the tables do not
    /// hold it (`None`: the tables do, or this handle writes and settles instead).
    fn logged_up_to(&self, height: u64) -> Option<&[LoggedBlock]> {
        let log = self.log_only.as_ref()?;
        let above = height.checked_sub(log.tables_at).filter(|&n| n > 0)?;
        let n = usize::try_from(above).ok()?;
        log.blocks.get(..n)
    }

    /// In a read-only handle, the record of block `height` if only the log holds it.
    pub(super) fn logged_record(&self, height: u64) -> Option<BlockRecord> {
        let last = self.logged_up_to(height)?.last()?;
        Some(BlockRecord { height, timestamp: last.block.timestamp, root: Some(last.root) })
    }

    /// In a read-only handle, the state right after block `height` if only the log
    /// holds it: the tables overlaid with the logged blocks up to it.
    pub(super) fn log_view(self: &Arc<Self>, height: u64) -> Result<Option<Arc<dyn Backend>>, StorageError> {
        let Some(blocks) = self.logged_up_to(height) else { return Ok(None) };
        let Some(last) = blocks.last() else { return Ok(None) };
        let mut overlay = BTreeMap::new();
        for entry in blocks {
            apply(&mut overlay, &entry.changes);
        }
        let block = BlockRecord { height, timestamp: last.block.timestamp, root: Some(last.root) };
        Ok(Some(Arc::new(LogView { inner: self.clone(), txn: self.read()?, overlay, block })))
    }

    /// Refuses, in a read-only handle, a height only the log holds, for what must read
    /// the tables' tree there (proofs, snapshots).
    pub(super) fn check_in_tables(&self, height: u64) -> Result<(), StorageError> {
        if self.logged_up_to(height).is_some() {
            let tables_at = self.log_only.as_ref().map_or(0, |l| l.tables_at);
            return Err(StorageError::io(format!(
                "block {height} is only in the block log of {} (its tables reach block {tables_at}); \
                 a read-only open cannot write it back: open the store read-write once",
                self.path.display()
            )));
        }
        Ok(())
    }
}

/// The state right after a block only the log holds, read-only.
struct LogView {
    inner: Arc<Inner>,
    txn: ReadTransaction,
    overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    block: BlockRecord,
}

impl Backend for LogView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(value) = self.overlay.get(key) {
            return Ok(value.clone());
        }
        self.inner.guard("get", || self.inner.head_value(&self.txn, key))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let mut out: BTreeMap<Vec<u8>, Vec<u8>> =
            self.inner.guard("scan", || self.inner.head_scan(&self.txn, prefix))?.into_iter().collect();
        apply_prefix(&mut out, &self.overlay, prefix);
        Ok(out.into_iter().collect())
    }

    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let Some((low, high)) = range_bounds(prefix, start, end) else { return Ok(Vec::new()) };
        let bounds = (low.as_slice(), high.as_deref());
        merge_overlay(&self.overlay, bounds, order, limit, |part, n| {
            self.inner.guard("scan", || self.inner.head_scan_range(&self.txn, part, order, n))
        })
    }

    fn commit(&self, _: &BlockInfo, changes: ChangeSet) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        let e = StorageError::io(format!("the state at height {} is read-only", self.block.height));
        Err((e, changes))
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        Ok(Some(self.block))
    }

    /// Never changes: a snapshot.
    fn generation(&self) -> Option<u64> {
        Some(0)
    }
}
