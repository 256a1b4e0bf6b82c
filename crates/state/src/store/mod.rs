//! The redb backend: one file, the latest state plus versions, a Merkle root per block,
//! one write transaction per block.
//!
//! Layout and invariants: `docs/state.md`, "Authenticated state". The tables are in
//! [`tables`]; [`commit`] writes a block; [`versions`] reads versions; [`view`] serves
//! reads and proofs at past heights.

mod commit;
mod snapshot;
mod tables;
mod versions;
mod view;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use merkle::{Hash, Tree};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use types::{BlockInfo, StorageError};

use self::tables::{
    BLOCKS, DEPTH, FORMAT, FORMAT_VERSION, HISTORY, INTERVAL, KEYS, META, PAGES, STALE_KEYS, STALE_PAGES,
    STATE, decode_block, decode_page, page_buckets, page_count,
};
use crate::backend::{Backend, ChangeSet, check_next};
use crate::{BlockRecord, History, StoreConfig};

pub use self::snapshot::{ChunkInfo, MAX_SNAPSHOT_CHUNK_BYTES, MAX_SNAPSHOT_MANIFEST_BYTES, Manifest};

/// The database file's name inside the data directory.
pub(super) const FILE_NAME: &str = "state.redb";

/// The redb backend: `<dir>/state.redb`, authenticated ([`History`]).
///
/// Cheap to clone handles share one database. redb locks the file, so one process
/// has it open at a time.
#[derive(Clone)]
pub struct RedbBackend {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    path: PathBuf,
    config: StoreConfig,
    /// The tree of the head, or `None` after a failed commit (rebuilt when next needed).
    tree: Mutex<Option<Tree>>,
    /// Commits applied through this handle ([`Backend::generation`]).
    commits: AtomicU64,
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBackend").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

impl RedbBackend {
    /// Opens or creates `<dir>/state.redb` (creating `dir` if needed) with the default
    /// [`StoreConfig`].
    pub fn open(dir: &Path) -> Result<RedbBackend, StorageError> {
        RedbBackend::open_with(dir, StoreConfig::default())
    }

    /// Opens or creates `<dir>/state.redb` with `config`.
    ///
    /// Fails (never panics) if the config is out of range, the directory cannot be
    /// created, the file is not a cove store of this format, its tree depth or checkpoint
    /// interval differ from `config`'s, or another handle in this process has it open.
    pub fn open_with(dir: &Path, config: StoreConfig) -> Result<RedbBackend, StorageError> {
        config.validate()?;
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError(format!("redb: create data dir {}: {e}", dir.display())))?;
        let path = dir.join(FILE_NAME);
        let db = Database::create(&path)
            .map_err(|e| StorageError(format!("redb: open {}: {e}", path.display())))?;
        let inner = Inner { db, path, config, tree: Mutex::new(None), commits: AtomicU64::new(0) };
        inner.init()?;
        Ok(RedbBackend { inner: Arc::new(inner) })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How much the store holds.
    pub fn stats(&self) -> Result<StoreStats, StorageError> {
        let inner = &self.inner;
        let txn = inner.read()?;
        let len = |n: Result<u64, redb::StorageError>| n.map_err(|e| inner.err("count", e));
        Ok(StoreStats {
            keys: len(txn.open_table(STATE).map_err(|e| inner.err("open state", e))?.len())?,
            versions: len(txn.open_table(HISTORY).map_err(|e| inner.err("open history", e))?.len())?,
            page_versions: len(txn.open_table(PAGES).map_err(|e| inner.err("open pages", e))?.len())?,
            blocks: len(txn.open_table(BLOCKS).map_err(|e| inner.err("open blocks", e))?.len())?,
        })
    }
}

/// What a [`RedbBackend`] holds ([`RedbBackend::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    /// Keys with a value now.
    pub keys: u64,
    /// Versions of keys kept (values and deletions), at every retained height.
    pub versions: u64,
    /// Versions of tree pages kept.
    pub page_versions: u64,
    /// Block records (never pruned).
    pub blocks: u64,
}

impl Inner {
    fn err(&self, what: &str, e: impl std::fmt::Display) -> StorageError {
        StorageError(format!("redb: {what} ({}): {e}", self.path.display()))
    }

    /// Creates the tables and parameters of a new store, or checks an existing one's.
    fn init(&self) -> Result<(), StorageError> {
        let txn = self.db.begin_write().map_err(|e| self.err("begin write transaction", e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| self.err("open meta", e))?;
            let state = txn.open_table(STATE).map_err(|e| self.err("open state", e))?;
            let get = |name: &str| tables::meta_u64(&meta, name);
            match get(FORMAT)? {
                Some(FORMAT_VERSION) => {
                    let depth = get(DEPTH)?.ok_or_else(|| tables::corrupt("no tree depth"))?;
                    let interval = get(INTERVAL)?.ok_or_else(|| tables::corrupt("no checkpoint interval"))?;
                    let want = (u64::from(self.config.tree_depth), self.config.checkpoint_interval);
                    if (depth, interval) != want {
                        return Err(StorageError(format!(
                            "{} was created with tree_depth {depth} and checkpoint_interval {interval}; \
                             the config asks for {} and {}, which would change every root: \
                             use the store's values",
                            self.path.display(),
                            want.0,
                            want.1
                        )));
                    }
                }
                Some(other) => {
                    return Err(StorageError(format!(
                        "{} has store format {other}; this cove reads format {FORMAT_VERSION}",
                        self.path.display()
                    )));
                }
                None if !state.is_empty().map_err(|e| self.err("read state", e))? => {
                    return Err(StorageError(format!(
                        "{} holds state from a cove without authenticated state (no format record); \
                         start from an empty data directory",
                        self.path.display()
                    )));
                }
                None => {
                    let put = |meta: &mut redb::Table<&str, &[u8]>, name: &str, v: u64| {
                        meta.insert(name, &v.to_be_bytes()[..])
                            .map(|_| ())
                            .map_err(|e| self.err("write meta", e))
                    };
                    put(&mut meta, FORMAT, FORMAT_VERSION)?;
                    put(&mut meta, DEPTH, u64::from(self.config.tree_depth))?;
                    put(&mut meta, INTERVAL, self.config.checkpoint_interval)?;
                }
            }
            // Create every table up front so reads never see `TableDoesNotExist`.
            txn.open_table(KEYS).map_err(|e| self.err("open keys", e))?;
            txn.open_table(HISTORY).map_err(|e| self.err("open history", e))?;
            txn.open_table(STALE_KEYS).map_err(|e| self.err("open stale_keys", e))?;
            txn.open_table(PAGES).map_err(|e| self.err("open pages", e))?;
            txn.open_table(STALE_PAGES).map_err(|e| self.err("open stale_pages", e))?;
            txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        }
        txn.commit().map_err(|e| self.err("commit", e))
    }

    fn read(&self) -> Result<redb::ReadTransaction, StorageError> {
        self.db.begin_read().map_err(|e| self.err("begin read transaction", e))
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        let txn = self.read()?;
        let blocks = txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        let last = blocks.last().map_err(|e| self.err("read blocks", e))?;
        last.map(|(k, v)| {
            let (timestamp, root) = decode_block(v.value())?;
            Ok(BlockRecord { height: k.value(), timestamp, root: Some(root) })
        })
        .transpose()
    }

    /// The tree at `height` from its pages: for each page, its last version at or
    /// before `height` (a page never written is empty).
    fn tree_at(&self, txn: &redb::ReadTransaction, height: u64) -> Result<Tree, StorageError> {
        let depth = self.config.tree_depth;
        let mut tree = Tree::new(depth).map_err(|e| StorageError(e.to_string()))?;
        let pages = txn.open_table(PAGES).map_err(|e| self.err("open pages", e))?;
        for page in 0..page_count(depth) {
            let last = pages
                .range((page, 0)..=(page, height))
                .map_err(|e| self.err("pages range", e))?
                .next_back()
                .transpose()
                .map_err(|e| self.err("pages read", e))?;
            if let Some((_, v)) = last {
                let hashes = decode_page(v.value(), depth, page)?;
                for (bucket, hash) in page_buckets(page, depth).zip(hashes) {
                    tree.set_bucket(bucket, hash);
                }
            }
        }
        Ok(tree)
    }

    /// Commits one block; see [`Backend::commit`].
    fn commit(&self, block: &BlockInfo, changes: &ChangeSet) -> Result<Hash, StorageError> {
        let mut slot = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        let head = self.head()?;
        check_next(head.as_ref(), block)?;
        let mut tree = match slot.take() {
            Some(tree) => tree,
            None => self.tree_at(&self.read()?, head.map_or(0, |h| h.height))?,
        };
        let mut txn = self.db.begin_write().map_err(|e| self.err("begin write transaction", e))?;
        // Immediate is redb's default; set it explicitly because the Backend contract
        // (a commit that returned Ok survives a crash) depends on it.
        txn.set_durability(Durability::Immediate).map_err(|e| self.err("set durability", e))?;
        // On any error `tree` is dropped (it may hold this block's buckets) and the
        // transaction aborts; the next commit rebuilds the tree from the pages.
        let root = commit::write_block(&txn, &mut tree, &self.config, block, changes)?;
        txn.commit().map_err(|e| self.err("commit", e))?;
        *slot = Some(tree);
        Ok(root)
    }
}

impl Backend for RedbBackend {
    /// Opens a read transaction per call. That costs a lock round-trip in redb's
    /// transaction tracker on top of the B-tree lookup (on the order of a microsecond);
    /// acceptable while the journal's overlay absorbs repeated reads.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let txn = self.inner.read()?;
        let table = txn.open_table(STATE).map_err(|e| self.inner.err("open state", e))?;
        let value = table.get(key).map_err(|e| self.inner.err("get", e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let txn = self.inner.read()?;
        let table = txn.open_table(STATE).map_err(|e| self.inner.err("open state", e))?;
        let range = table.range::<&[u8]>(prefix..).map_err(|e| self.inner.err("scan", e))?;
        let mut out = Vec::new();
        for entry in range {
            let (k, v) = entry.map_err(|e| self.inner.err("scan", e))?;
            let key = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        let result = self.inner.commit(block, &changes);
        // Counted after the data is visible, and whatever the result: see `Journal::stamp`
        // for why a reader comparing the number before and after its reads is then safe.
        self.inner.commits.fetch_add(1, Ordering::Release);
        match result {
            Ok(root) => Ok(Some(root)),
            Err(e) => Err((e, changes)),
        }
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        self.inner.head()
    }

    fn generation(&self) -> Option<u64> {
        Some(self.inner.commits.load(Ordering::Acquire))
    }

    fn history(&self) -> Option<&dyn History> {
        Some(self)
    }
}
