//! The redb backend: one file of versions (a key's value now is its last one), a Merkle
//! root per block; each block durable in the block log ([`wal`]) and written back into
//! the tables with the others of its cycle in one write transaction.
//!
//! Layout and invariants: `docs/state.md`, "Authenticated state". The tables are in
//! [`tables`]; [`commit`] writes a block; [`buckets`] keeps what recent blocks wrote of
//! each bucket; [`versions`] reads versions; [`view`] serves reads and proofs at past
//! heights; [`io`] is the seam under the two files; [`read_only`] opens a store without
//! writing anything; [`guard`] keeps a damaged file from crashing cove or being believed;
//! [`keyset`] keeps the digests of the key tables (and builds `live_keys`, which scans at
//! the head walk, for a store that has none).
//!
//! A block is committed once its record is synced in the log, and stays committed
//! through any later failure: the log is emptied only after a write-back transaction
//! committed, a failed write-back leaves the store needing a recovery (the log replayed
//! into a new transaction, on the next commit or open), and an open that fails never
//! writes the block log.

mod buckets;
mod commit;
mod guard;
mod io;
mod keyset;
mod lock;
mod read_only;
mod snapshot;
mod staged;
mod tables;
mod versions;
mod view;
mod wal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use merkle::{Hash, Tree};
use redb::{
    Database, Durability, ReadOnlyDatabase, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    WriteTransaction,
};
use types::{BlockInfo, StorageError};

use self::tables::{
    BLOCKS, DEPTH, FORMAT, FORMAT_NO_LIVE_KEYS, FORMAT_VERSION, HISTORY, INTERVAL, KEYS, LEGACY_STATE,
    LIVE_KEYS, META, PAGES, STALE_KEYS, STALE_PAGES, decode_block, decode_page, page_buckets, page_count,
};
use crate::backend::{Backend, ChangeSet, Order, check_next, merge_overlay, range_bounds};
use crate::{BlockRecord, History, StoreConfig};

use self::buckets::BucketCache;
pub use self::io::{FileIo, LogFile, StdLogFile, StoreIo};
pub use self::lock::{DirLock, LOCK_FILE};
use self::read_only::LogOnly;
pub use self::snapshot::{ChunkInfo, MAX_SNAPSHOT_CHUNK_BYTES, MAX_SNAPSHOT_MANIFEST_BYTES, Manifest};
pub use self::staged::SnapshotFile;
use self::wal::Wal;

/// The database file's name inside the data directory.
pub(super) const FILE_NAME: &str = "state.redb";

/// The redb backend: `<dir>/state.redb`, authenticated ([`History`]), with its block
/// log `<dir>/state.wal`.
///
/// Cheap to clone handles share one database. They hold the data directory's lock
/// ([`DirLock`]; exclusive), so one process has it open at a time. Dropping the last
/// handle writes the logged blocks back into the tables (after a crash, the next open
/// replays them from the log instead). A handle from [`RedbBackend::open_read_only`]
/// holds the lock shared, writes nothing and refuses commits.
#[derive(Clone)]
pub struct RedbBackend {
    inner: Arc<Inner>,
}

struct Inner {
    /// Closed inside a guard, or leaked once redb panicked on it ([`guard`]).
    db: guard::Db,
    path: PathBuf,
    config: StoreConfig,
    /// The blocks not yet written back into the tables, and what commits need.
    pending: Mutex<Pending>,
    /// The latest value of every key the blocks in `pending` changed (`None`: deleted),
    /// which reads consult before the tables. Emptied only after a write-back commits.
    overlay: RwLock<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    /// Commits applied through this handle ([`Backend::generation`]).
    commits: AtomicU64,
    /// Set once the open succeeded: only then may dropping the handle write back.
    ready: AtomicBool,
    /// In a read-only handle, the blocks only the log holds ([`read_only`]).
    log_only: Option<LogOnly>,
    /// Whether scans at the head walk `live_keys` (`keys` only in a read-only handle of a
    /// format-2 store, which has none yet).
    live_keys: bool,
    /// Entries of the key tables scans walked ([`RedbBackend::scan_walked`]).
    walked: AtomicU64,
    /// The data directory's lock (shared in a read-only handle): last, so it is
    /// released after the rest.
    _lock: Arc<DirLock>,
}

/// The redb file, open read-write or read-only.
enum Handle {
    Write(Database),
    Read(ReadOnlyDatabase),
}

/// The blocks committed (durable in the log) but not yet written back into the tables.
struct Pending {
    /// The write transaction that holds them, uncommitted; `None` if there are none.
    txn: Option<WriteTransaction>,
    /// How many there are, and the bytes of their keys and values.
    blocks: u64,
    bytes: u64,
    /// The head, counting them.
    head: Option<BlockRecord>,
    /// The tree of `head`; `None` after a failure left `txn` or the tree unusable (a
    /// failed commit or write-back), in which case both are rebuilt from the tables and
    /// the log (a recovery) before the next use.
    tree: Option<Tree>,
    /// The block log where they are durable (`None` in a read-only handle).
    wal: Option<Wal>,
    /// The buckets recent blocks wrote, as `txn` holds them; emptied with `tree`.
    buckets: BucketCache,
    /// Why the last write-back failed, until one succeeds: said with the errors of the
    /// recoveries that follow (redb refuses a handle's transactions after an I/O error).
    write_back_failed: Option<String>,
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
    /// interval differ from `config`'s, the block log is damaged, or another handle (of
    /// this process or another) holds the directory's lock ([`DirLock`]). A failed open
    /// writes nothing to the block log.
    pub fn open_with(dir: &Path, config: StoreConfig) -> Result<RedbBackend, StorageError> {
        RedbBackend::open_with_io(dir, config, &FileIo)
    }

    /// [`RedbBackend::open_with`], with the files opened through `io` (the seam tests
    /// inject failures through).
    pub fn open_with_io(
        dir: &Path,
        config: StoreConfig,
        io: &dyn StoreIo,
    ) -> Result<RedbBackend, StorageError> {
        config.validate()?;
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError::io(format!("redb: create data dir {}: {e}", dir.display())))?;
        RedbBackend::open_locked_io(dir, config, Arc::new(DirLock::exclusive(dir)?), io)
    }

    /// [`RedbBackend::open_with`] in `dir`, which exists, under its exclusive `lock`.
    fn open_locked(dir: &Path, config: StoreConfig, lock: Arc<DirLock>) -> Result<RedbBackend, StorageError> {
        RedbBackend::open_locked_io(dir, config, lock, &FileIo)
    }

    fn open_locked_io(
        dir: &Path,
        config: StoreConfig,
        lock: Arc<DirLock>,
        io: &dyn StoreIo,
    ) -> Result<RedbBackend, StorageError> {
        let path = dir.join(FILE_NAME);
        let open_err =
            |e: &dyn std::fmt::Display| StorageError::io(format!("redb: open {}: {e}", path.display()));
        // A new store only where there is none: any other failure to stat the file (a
        // dangling symlink to an unmounted disk, a permission) is an error, never a
        // reason to lay an empty store over it.
        let missing = match std::fs::metadata(&path) {
            Ok(meta) => meta.len() == 0,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::symlink_metadata(&path) {
                Ok(_) => return Err(open_err(&"a symbolic link to a file that does not exist")),
                Err(_) => true,
            },
            Err(e) => return Err(open_err(&e)),
        };
        if missing {
            create_db(dir, &path, io).map_err(|e| open_err(&e))?;
        }
        let db = guard::open_database(&path, config.integrity_check_bytes, || {
            let backend = io.open_db(&path).map_err(|e| open_err(&e))?;
            redb::Builder::new().create_with_backend(io::Boxed(backend)).map_err(|e| open_err(&e))
        })?;
        let wal = Wal::open(io, dir)?;
        let inner = Inner::new(guard::Db::new(Handle::Write(db)), path, config, Some(wal), None, lock);
        // Replay what the log holds beyond the tables (a crash came before the last
        // write-back): if that fails, the open fails and nothing was written.
        let check_keys =
            std::fs::metadata(&inner.path).is_ok_and(|m| m.len() <= config.integrity_check_bytes);
        inner.guard("open", || {
            inner.init()?;
            if check_keys {
                keyset::check(&inner.read()?)?;
            }
            inner.recover(&mut inner.lock())
        })?;
        inner.ready.store(true, Ordering::Release);
        // Then write it back, so the store starts settled. If that fails (a full disk),
        // the blocks stay in the log and the overlay, and the next commit retries.
        let _ = inner.guard("write-back", || inner.settle());
        Ok(RedbBackend { inner: Arc::new(inner) })
    }

    /// Writes the blocks held only in the block log back into the tables now (one redb
    /// transaction) and empties the log. Never needed for durability; reads at past
    /// heights, proofs, snapshots and [`RedbBackend::stats`] do it first themselves.
    pub fn write_back(&self) -> Result<(), StorageError> {
        self.inner.guard("write-back", || self.inner.settle())
    }

    /// Entries of the key tables visited by the scans of this handle (and of the views at
    /// past heights taken from it) so far, whether they held a value or not: what the
    /// scans walked, which is what their time is proportional to. A scan at the head
    /// visits only keys of its range that hold a value there, and no more than its limit;
    /// a scan at a past height also visits the keys of its range deleted since.
    pub fn scan_walked(&self) -> u64 {
        self.inner.walked.load(Ordering::Relaxed)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How much the store holds.
    pub fn stats(&self) -> Result<StoreStats, StorageError> {
        self.inner.guard("stats", || self.stats_unguarded())
    }

    fn stats_unguarded(&self) -> Result<StoreStats, StorageError> {
        let inner = &self.inner;
        inner.settle()?;
        let txn = inner.read()?;
        let len = |n: Result<u64, redb::StorageError>| n.map_err(|e| inner.err("count", e));
        Ok(StoreStats {
            keys: { inner.head_scan(&txn, b"")?.len() as u64 },
            versions: len(txn.open_table(HISTORY).map_err(|e| inner.err("open history", e))?.len())?,
            page_versions: len(txn.open_table(PAGES).map_err(|e| inner.err("open pages", e))?.len())?,
            blocks: len(txn.open_table(BLOCKS).map_err(|e| inner.err("open blocks", e))?.len())?,
        })
    }
}

/// Creates an empty redb file at `path`: in a staging file first, renamed into place
/// once whole, so a failure or a crash while redb lays out a new file can never leave a
/// half-made `state.redb` that no later open accepts.
fn create_db(dir: &Path, path: &Path, io: &dyn StoreIo) -> Result<(), String> {
    let staging = dir.join(format!("{FILE_NAME}.new"));
    match std::fs::remove_file(&staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("remove {}: {e}", staging.display()));
        }
        _ => {}
    }
    let backend = io.open_db(&staging).map_err(|e| format!("create {}: {e}", staging.display()))?;
    let db = redb::Builder::new()
        .create_with_backend(io::Boxed(backend))
        .map_err(|e| format!("create {}: {e}", staging.display()))?;
    drop(db);
    std::fs::rename(&staging, path).map_err(|e| format!("rename {} into place: {e}", staging.display()))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("sync {}: {e}", dir.display()))
}

impl RedbBackend {
    /// A scan at the head read in the pending write transaction, if it holds the blocks
    /// not yet written back (`None`: there are none, or a failed write-back left them
    /// only in the block log; the tables and the overlay serve the scan then).
    ///
    /// The tables lag the head by those blocks, so a scan of the tables alone would read
    /// keys they deleted and hide them behind the overlay: a walk over deleted keys that
    /// depends on when this node last wrote back, which no gas can price. The pending
    /// transaction's `live_keys` is the head's. Reading it takes the pending blocks'
    /// lock, so such a scan waits for a commit in progress (and scans for each other).
    #[expect(clippy::type_complexity, reason = "the `Backend::scan_range` result")]
    fn pending_scan(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Option<Vec<(Vec<u8>, Vec<u8>)>>, StorageError> {
        let inner = &self.inner;
        let p = inner.lock();
        let (Some(txn), Some(tree)) = (p.txn.as_ref(), p.tree.as_ref()) else { return Ok(None) };
        let Some((low, high)) = range_bounds(prefix, start, end) else { return Ok(Some(Vec::new())) };
        let bounds = (low.as_slice(), high.as_deref());
        inner.guard("scan", || inner.pending_scan_range((txn, tree), bounds, order, limit)).map(Some)
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
    fn new(
        db: guard::Db,
        path: PathBuf,
        config: StoreConfig,
        wal: Option<Wal>,
        log_only: Option<LogOnly>,
        lock: Arc<DirLock>,
    ) -> Inner {
        let buckets = BucketCache::new(config.bucket_cache_leaves);
        let pending = Pending {
            txn: None,
            blocks: 0,
            bytes: 0,
            head: None,
            tree: None,
            wal,
            buckets,
            write_back_failed: None,
        };
        Inner {
            db,
            path,
            config,
            pending: Mutex::new(pending),
            overlay: RwLock::new(BTreeMap::new()),
            commits: AtomicU64::new(0),
            ready: AtomicBool::new(false),
            log_only,
            live_keys: true,
            walked: AtomicU64::new(0),
            _lock: lock,
        }
    }

    fn err(&self, what: &str, e: impl Into<redb::Error>) -> StorageError {
        guard::redb_error(format!("redb: {what} ({})", self.path.display()), e)
    }

    /// Creates the tables and parameters of a new store, or checks an existing one's.
    fn init(&self) -> Result<(), StorageError> {
        let txn = guard::LeakOnPanic::new(
            self.write_db()?.begin_write().map_err(|e| self.err("begin write transaction", e))?,
        );
        // Format 1's latest-value table (and a store from before authenticated state,
        // which had only that table and no format record).
        let legacy = {
            let names = txn.list_tables().map_err(|e| self.err("list tables", e))?;
            let has = names.into_iter().any(|t| redb::TableHandle::name(&t) == "state");
            if has {
                let table = txn.open_table(LEGACY_STATE).map_err(|e| self.err("open state", e))?;
                Some(table.len().map_err(|e| self.err("read state", e))?)
            } else {
                None
            }
        };
        {
            let mut meta = txn.open_table(META).map_err(|e| self.err("open meta", e))?;
            let get = |name: &str| tables::meta_u64(&meta, name);
            match get(FORMAT)? {
                // Format 1 is format 2 plus the latest-value table dropped below, format
                // 2 format 3 without `live_keys`, built below.
                Some(1 | FORMAT_NO_LIVE_KEYS | FORMAT_VERSION) => {
                    let depth = get(DEPTH)?.ok_or_else(|| tables::corrupt("no tree depth"))?;
                    let interval = get(INTERVAL)?.ok_or_else(|| tables::corrupt("no checkpoint interval"))?;
                    let want = (u64::from(self.config.tree_depth), self.config.checkpoint_interval);
                    if (depth, interval) != want {
                        return Err(StorageError::io(format!(
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
                    return Err(StorageError::io(format!(
                        "{} has store format {other}; this cove reads format {FORMAT_VERSION}",
                        self.path.display()
                    )));
                }
                None if legacy.is_some_and(|rows| rows > 0) => {
                    return Err(StorageError::io(format!(
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
                    put(&mut meta, DEPTH, u64::from(self.config.tree_depth))?;
                    put(&mut meta, INTERVAL, self.config.checkpoint_interval)?;
                }
            }
            meta.insert(FORMAT, &FORMAT_VERSION.to_be_bytes()[..]).map_err(|e| self.err("write meta", e))?;
        }
        if legacy.is_some() {
            txn.delete_table(LEGACY_STATE).map_err(|e| self.err("drop the format-1 state table", e))?;
        }
        {
            // Create every table up front so reads never see `TableDoesNotExist`.
            txn.open_table(KEYS).map_err(|e| self.err("open keys", e))?;
            txn.open_table(LIVE_KEYS).map_err(|e| self.err("open live_keys", e))?;
            txn.open_table(HISTORY).map_err(|e| self.err("open history", e))?;
            txn.open_table(STALE_KEYS).map_err(|e| self.err("open stale_keys", e))?;
            txn.open_table(PAGES).map_err(|e| self.err("open pages", e))?;
            txn.open_table(STALE_PAGES).map_err(|e| self.err("open stale_pages", e))?;
            txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        }
        // A new store, or one written before the digest of its keys existed.
        if !keyset::ALL.is_recorded(&txn)? {
            keyset::ALL.record(&txn)?;
        }
        // A new store (an empty table), or one written before `live_keys` existed: the
        // table and its digest are written together, so a store with the digest has
        // the table.
        if !keyset::LIVE.is_recorded(&txn)? {
            keyset::build_live(&txn)?;
        }
        txn.into_inner().commit().map_err(|e| self.err("commit", e))
    }

    fn read(&self) -> Result<redb::ReadTransaction, StorageError> {
        match &*self.db {
            Handle::Write(db) => db.begin_read(),
            Handle::Read(db) => db.begin_read(),
        }
        .map_err(|e| self.err("begin read transaction", e))
    }

    /// The database, if this handle may write.
    fn write_db(&self) -> Result<&Database, StorageError> {
        match &*self.db {
            Handle::Write(db) => Ok(db),
            Handle::Read(_) => Err(StorageError::io(format!("{} is open read-only", self.path.display()))),
        }
    }

    /// The block log, if this handle may write.
    fn wal<'p>(&self, p: &'p mut Pending) -> Result<&'p mut Wal, StorageError> {
        p.wal.as_mut().ok_or_else(|| StorageError::io(format!("{} is open read-only", self.path.display())))
    }

    /// The last block written back into the tables.
    /// Checked against the head `META` records with each block, so a lost record of
    /// the last block is `corrupt`, not a store one block older.
    fn table_head(&self) -> Result<Option<BlockRecord>, StorageError> {
        let txn = self.read()?;
        let blocks = txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        let last = blocks.last().map_err(|e| self.err("read blocks", e))?;
        let head = last
            .map(|(k, v)| {
                let (timestamp, root) = decode_block(k.value(), v.value())?;
                Ok::<_, StorageError>(BlockRecord { height: k.value(), timestamp, root: Some(root) })
            })
            .transpose()?;
        let meta = txn.open_table(META).map_err(|e| self.err("open meta", e))?;
        if let Some(recorded) = tables::meta_u64(&meta, tables::HEAD)?
            && recorded != head.map_or(0, |h| h.height)
        {
            return Err(tables::corrupt(&format!(
                "the last block record is of block {}, but block {recorded} was committed",
                head.map_or(0, |h| h.height)
            )));
        }
        Ok(head)
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tree at `height` from its pages: for each page, its last version at or
    /// before `height` (a page never written is empty).
    fn tree_at(&self, txn: &redb::ReadTransaction, height: u64) -> Result<Tree, StorageError> {
        let depth = self.config.tree_depth;
        let mut tree = Tree::new(depth).map_err(|e| StorageError::io(e.to_string()))?;
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

    fn begin_write(&self) -> Result<WriteTransaction, StorageError> {
        let mut txn = self.write_db()?.begin_write().map_err(|e| self.err("begin write transaction", e))?;
        // Immediate is redb's default; set it explicitly because a write-back empties the
        // block log right after, which is only safe once the tables are durable.
        txn.set_durability(Durability::Immediate).map_err(|e| self.err("set durability", e))?;
        Ok(txn)
    }

    /// Commits one block; see [`Backend::commit`].
    ///
    /// The block goes into the pending write transaction (which computes its root),
    /// then into the block log, synced: from then on it is committed. Every
    /// `write_back_blocks` blocks (or `write_back_bytes`) the transaction commits.
    fn commit(&self, block: &BlockInfo, changes: &ChangeSet) -> Result<Hash, StorageError> {
        self.write_db()?;
        let mut p = self.lock();
        if p.tree.is_none()
            && let Err(e) = self.recover(&mut p)
        {
            return Err(match &p.write_back_failed {
                Some(why) if !e.is_corrupt() => StorageError::io(format!(
                    "{} (after a failed write-back of the logged blocks: {why}; they are kept in the \
                     block log, and the next commit or open writes them back again)",
                    e.message()
                )),
                _ => e,
            });
        }
        check_next(p.head.as_ref(), block)?;
        let root = match self.log_block(&mut p, block, changes) {
            Ok(root) => root,
            Err(e) => {
                // The transaction may hold part of this block: drop it (and the tree)
                // and rebuild both from the tables and the log before the next commit.
                p.txn = None;
                p.tree = None;
                return Err(e);
            }
        };
        let config = &self.config;
        if p.blocks >= config.write_back_blocks || p.bytes >= config.write_back_bytes {
            // The block is durable in the log, so it is committed whatever the tables
            // say. A failed write-back left the store needing a recovery: the next
            // commit (or open) replays the log and writes back again, and reports the
            // error then if the disk still fails. A panic inside redb there poisons the
            // handle (its own guard) but cannot turn this committed block into an error.
            let _ = self.guard("write-back", || self.write_back(&mut p));
        }
        Ok(root)
    }

    /// Applies `block` to the pending transaction and logs it; see [`Inner::commit`].
    fn log_block(
        &self,
        p: &mut Pending,
        block: &BlockInfo,
        changes: &ChangeSet,
    ) -> Result<Hash, StorageError> {
        if p.txn.is_none() {
            p.txn = Some(self.begin_write()?);
        }
        let (Some(txn), Some(tree)) = (p.txn.as_ref(), p.tree.as_mut()) else {
            unreachable!("the transaction was just opened; `commit` rebuilt the tree")
        };
        let root = commit::write_block(txn, tree, &mut p.buckets, &self.config, block, changes)?;
        self.wal(p)?.append(block, &root, changes)?;
        // Committed: make it visible to reads.
        let mut overlay = self.overlay.write().unwrap_or_else(|e| e.into_inner());
        for (key, value) in changes.iter() {
            overlay.insert(key.to_vec(), value.map(<[u8]>::to_vec));
        }
        p.head = Some(BlockRecord { height: block.height, timestamp: block.timestamp, root: Some(root) });
        p.blocks += 1;
        p.bytes += change_bytes(changes);
        Ok(root)
    }

    /// Commits the pending transaction (the tables then hold every block), then empties
    /// the overlay and the log, in that order, so no read ever misses a block.
    ///
    /// Only a committed transaction empties anything. If the commit fails, the blocks
    /// stay in the log and the overlay, and the store needs a recovery (`tree` is
    /// dropped): the next commit, write-back or open replays the log into a new
    /// transaction and tries again.
    fn write_back(&self, p: &mut Pending) -> Result<(), StorageError> {
        let committed = match p.txn.take() {
            Some(txn) => txn.commit().map_err(|e| self.err("write back (commit)", e)),
            None if p.blocks == 0 => Ok(()),
            // Pending blocks with no transaction holding them: only a recovery can
            // put them back in one.
            None => Err(StorageError::io(format!(
                "redb: write back ({}): the pending blocks need a replay from the block log",
                self.path.display()
            ))),
        };
        if let Err(e) = committed {
            p.tree = None;
            p.buckets.clear();
            p.write_back_failed = Some(e.message().to_owned());
            return Err(e);
        }
        p.write_back_failed = None;
        self.overlay.write().unwrap_or_else(|e| e.into_inner()).clear();
        p.blocks = 0;
        p.bytes = 0;
        // A failed truncation loses nothing: the blocks stay in the log, already in
        // the tables, and a replay skips them (the log refuses appends until a reopen).
        let _ = self.wal(p)?.reset();
        Ok(())
    }

    /// Rebuilds the pending state from the tables and the block log: the tree of the
    /// tables' head, then every logged block above it applied again in a new
    /// transaction, each checked against the root it was committed with. On error the
    /// previous overlay stays (it holds exactly the committed blocks) and the next
    /// operation tries again.
    fn recover(&self, p: &mut Pending) -> Result<(), StorageError> {
        p.txn = None;
        p.tree = None;
        p.buckets.clear();
        let logged = self.wal(p)?.read()?;
        let mut head = self.table_head()?;
        let mut tree = self.tree_at(&self.read()?, head.map_or(0, |h| h.height))?;
        self.check_root(&mut tree, head.as_ref())?;
        let (mut txn, mut overlay, mut blocks, mut bytes) = (None, BTreeMap::new(), 0, 0);
        let tables_at = head.map_or(0, |h| h.height);
        for entry in logged.into_iter().filter(|b| b.block.height > tables_at) {
            let height = entry.block.height;
            check_next(head.as_ref(), &entry.block)
                .map_err(|e| tables::corrupt(&format!("the block log does not follow the tables: {e}")))?;
            let txn = match &mut txn {
                Some(txn) => txn,
                None => txn.insert(guard::LeakOnPanic::new(self.begin_write()?)),
            };
            let root = commit::write_block(
                txn,
                &mut tree,
                &mut p.buckets,
                &self.config,
                &entry.block,
                &entry.changes,
            )?;
            if root != entry.root {
                return Err(tables::corrupt(&format!(
                    "block {height} replayed from the log gives another root than it was committed with"
                )));
            }
            for (key, value) in entry.changes.iter() {
                overlay.insert(key.to_vec(), value.map(<[u8]>::to_vec));
            }
            blocks += 1;
            bytes += change_bytes(&entry.changes);
            head = Some(BlockRecord { height, timestamp: entry.block.timestamp, root: Some(root) });
        }
        *self.overlay.write().unwrap_or_else(|e| e.into_inner()) = overlay;
        let txn = txn.map(guard::LeakOnPanic::into_inner);
        (p.txn, p.blocks, p.bytes, p.head, p.tree) = (txn, blocks, bytes, head, Some(tree));
        Ok(())
    }

    /// Brings the tables up to the head: what reads at past heights, proofs and
    /// snapshots (which read the tables) need first. A read-only handle cannot: it
    /// serves the blocks only its log holds itself ([`read_only`]).
    fn settle(&self) -> Result<(), StorageError> {
        if self.log_only.is_some() {
            return Ok(());
        }
        let mut p = self.lock();
        if p.tree.is_none() {
            self.recover(&mut p)?;
        }
        if p.blocks > 0 { self.write_back(&mut p) } else { Ok(()) }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Best effort, and only for a store that opened: whatever is not written back
        // now is replayed from the log at the next open. A write-back empties the log
        // only once its transaction committed, so this can lose nothing.
        if self.ready.load(Ordering::Acquire) && self.log_only.is_none() {
            let _ = self.guard("write-back on close", || self.settle());
        }
        self.close();
    }
}

/// Applies what `overlay` (blocks not yet in the tables) holds under `prefix` to `out`,
/// a scan of the tables: its values win, its deletions remove.
fn apply_prefix(
    out: &mut BTreeMap<Vec<u8>, Vec<u8>>,
    overlay: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    prefix: &[u8],
) {
    let from = (std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded);
    for (key, value) in overlay.range::<[u8], _>(from).take_while(|(k, _)| k.starts_with(prefix)) {
        match value {
            Some(value) => out.insert(key.clone(), value.clone()),
            None => out.remove(key),
        };
    }
}

/// The bytes of keys and values in `changes` (what the overlay holds for them).
fn change_bytes(changes: &ChangeSet) -> u64 {
    changes.iter().map(|(k, v)| (k.len() + v.map_or(0, <[u8]>::len)) as u64).sum()
}

impl Backend for RedbBackend {
    /// The blocks not yet written back first, then the key's last version in the
    /// tables, through a read transaction per call. That costs a lock round-trip in
    /// redb's transaction tracker on top of the B-tree lookup (on the order of a
    /// microsecond); acceptable while the journal's overlay absorbs repeated reads.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(value) = self.inner.overlay.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            return Ok(value.clone());
        }
        self.inner.guard("get", || self.inner.head_value(&self.inner.read()?, key))
    }

    /// As [`Backend::scan_range`] over the whole prefix.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        if let Some(pairs) = self.pending_scan(prefix, None, None, Order::Ascending, usize::MAX)? {
            return Ok(pairs);
        }
        // Held across the table read: a write-back that commits meanwhile cannot empty
        // the overlay before this scan has merged it.
        let overlay = self.inner.overlay.read().unwrap_or_else(|e| e.into_inner());
        let mut out: BTreeMap<Vec<u8>, Vec<u8>> = self
            .inner
            .guard("scan", || self.inner.head_scan(&self.inner.read()?, prefix))?
            .into_iter()
            .collect();
        apply_prefix(&mut out, &overlay, prefix);
        Ok(out.into_iter().collect())
    }

    /// Blocks not yet written back are read in the pending write transaction, which
    /// holds them with the rest ([`RedbBackend::pending_scan`]). Otherwise (none, or
    /// a failed write-back left them only in the block log and the overlay) the range of
    /// the overlay is merged over the range of the tables, both read under the overlay's
    /// lock (as in `scan_prefix`), each walked only until enough pairs are found
    /// (`merge_overlay`).
    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        if let Some(pairs) = self.pending_scan(prefix, start, end, order, limit)? {
            return Ok(pairs);
        }
        let Some((low, high)) = range_bounds(prefix, start, end) else { return Ok(Vec::new()) };
        let bounds = (low.as_slice(), high.as_deref());
        let overlay = self.inner.overlay.read().unwrap_or_else(|e| e.into_inner());
        // One read transaction for every part of the range the merge reads.
        let txn = self.inner.guard("scan", || self.inner.read())?;
        merge_overlay(&overlay, bounds, order, limit, |part, n| {
            self.inner.guard("scan", || self.inner.head_scan_range(&txn, part, order, n))
        })
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        let result = self.inner.guard("commit", || self.inner.commit(block, &changes));
        // Counted after the data is visible, and whatever the result: see `Journal::stamp`
        // for why a reader comparing the number before and after its reads is then safe.
        self.inner.commits.fetch_add(1, Ordering::Release);
        match result {
            Ok(root) => Ok(Some(root)),
            Err(e) => Err((e, changes)),
        }
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        Ok(self.inner.lock().head)
    }

    fn generation(&self) -> Option<u64> {
        Some(self.inner.commits.load(Ordering::Acquire))
    }

    fn history(&self) -> Option<&dyn History> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use redb::Database;

    use super::*;

    fn changes(height: u64) -> ChangeSet {
        vec![(format!("k{height}").into_bytes(), Some(vec![height as u8; 4]))].into_iter().collect()
    }

    /// A store with `blocks` blocks written back and an empty log, closed.
    fn store_with(dir: &Path, blocks: u64) -> Vec<Hash> {
        let store = RedbBackend::open(dir).unwrap();
        (1..=blocks)
            .map(|h| {
                let block = BlockInfo { height: h, timestamp: h };
                store.commit(&block, changes(h)).map_err(|(e, _)| e).unwrap().unwrap()
            })
            .collect()
    }

    fn log(dir: &Path, height: u64, root: Hash) {
        let mut wal = Wal::open(&FileIo, dir).unwrap();
        wal.read().unwrap();
        wal.append(&BlockInfo { height, timestamp: height }, &root, &changes(height)).unwrap();
    }

    #[test]
    fn logged_blocks_above_the_tables_are_replayed_and_those_below_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let roots = store_with(dir.path(), 3);
        // A block the tables already hold (its log was emptied, then the truncation lost).
        log(dir.path(), 3, roots[2]);
        // Block 4 as a crash before its write-back would leave it: computed by a store
        // elsewhere, committed in the log only.
        let elsewhere = tempfile::tempdir().unwrap();
        let root4 = store_with(elsewhere.path(), 4)[3];
        log(dir.path(), 4, root4);
        let store = RedbBackend::open(dir.path()).unwrap();
        assert_eq!(store.head().unwrap().map(|h| (h.height, h.root)), Some((4, Some(root4))));
        assert_eq!(store.get(b"k4").unwrap(), Some(vec![4; 4]));
        // Replayed blocks are written back on open: the log is empty again.
        assert_eq!(std::fs::metadata(dir.path().join(wal::WAL_FILE)).unwrap().len(), 0);
    }

    #[test]
    fn a_logged_block_whose_replay_gives_another_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        store_with(dir.path(), 2);
        log(dir.path(), 3, [7; 32]);
        let e = RedbBackend::open(dir.path()).unwrap_err();
        assert!(e.message().contains("block 3 replayed from the log gives another root"), "{e}");
    }

    #[test]
    fn a_format_1_store_loses_its_latest_value_table_and_reads_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let roots = store_with(dir.path(), 3);
        {
            // What format 1 also kept: every live key's value in a `state` table.
            let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut state = txn.open_table(LEGACY_STATE).unwrap();
                for h in 1..=3u64 {
                    state.insert(format!("k{h}").as_bytes(), &[h as u8; 4][..]).unwrap();
                }
                let mut meta = txn.open_table(META).unwrap();
                meta.insert(FORMAT, &1u64.to_be_bytes()[..]).unwrap();
            }
            txn.commit().unwrap();
        }
        let store = RedbBackend::open(dir.path()).unwrap();
        assert_eq!(store.head().unwrap().and_then(|h| h.root), Some(roots[2]));
        assert_eq!(store.get(b"k2").unwrap(), Some(vec![2; 4]));
        assert_eq!(store.stats().unwrap().keys, 3);
        let txn = store.inner.read().unwrap();
        let names: Vec<String> =
            txn.list_tables().unwrap().map(|t| redb::TableHandle::name(&t).to_owned()).collect();
        assert!(!names.iter().any(|n| n == "state"), "{names:?}");
        let meta = txn.open_table(META).unwrap();
        assert_eq!(tables::meta_u64(&meta, FORMAT).unwrap(), Some(FORMAT_VERSION));
    }

    #[test]
    fn a_key_missing_from_the_keys_table_fails_both_opens_and_a_store_without_a_digest_gets_one() {
        let dir = tempfile::tempdir().unwrap();
        store_with(dir.path(), 3);
        // What a damaged page of `keys` can do: a key drops out of prefix scans, though
        // its versions and the tree are intact.
        {
            let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(KEYS).unwrap().remove(&b"k2"[..]).unwrap();
            txn.commit().unwrap();
        }
        let e = RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("keys table"), "{e}");
        let e = RedbBackend::open(dir.path()).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("keys table"), "{e}");

        // A store written before the digest: read-only opens have nothing to compare; the
        // first read-write open records it, and the same damage is then caught.
        let dir = tempfile::tempdir().unwrap();
        store_with(dir.path(), 3);
        {
            let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().remove("key_digest").unwrap();
            txn.commit().unwrap();
        }
        let store = RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap();
        assert_eq!(store.scan_prefix(b"k").unwrap().len(), 3);
        drop(store);
        drop(RedbBackend::open(dir.path()).unwrap());
        {
            let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(KEYS).unwrap().insert(&b"k9"[..], ()).unwrap();
            txn.commit().unwrap();
        }
        let e = RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap_err();
        assert!(e.is_corrupt(), "an extra key: {e}");
    }

    #[test]
    fn a_lost_block_record_is_refused_not_a_store_one_block_older() {
        let remove_block = |dir: &Path, height: u64| {
            let db = Database::create(dir.join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(BLOCKS).unwrap().remove(height).unwrap();
            txn.commit().unwrap();
        };
        // The head's record: the open would otherwise start at block 2.
        let dir = tempfile::tempdir().unwrap();
        store_with(dir.path(), 3);
        remove_block(dir.path(), 3);
        let e = RedbBackend::open(dir.path()).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("block 3 was committed"), "{e}");
        let e = RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap_err();
        assert!(e.is_corrupt(), "{e}");
        // A record below the head: never "not committed yet".
        let dir = tempfile::tempdir().unwrap();
        store_with(dir.path(), 3);
        remove_block(dir.path(), 2);
        let store = RedbBackend::open(dir.path()).unwrap();
        let e = store.block(2).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("record of block 2"), "{e}");
        assert_eq!(store.block(4).unwrap(), None, "above the head: not committed yet");
    }

    #[test]
    fn a_store_from_before_authenticated_state_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(LEGACY_STATE).unwrap().insert(&b"k"[..], &b"v"[..]).unwrap();
            txn.commit().unwrap();
        }
        let e = RedbBackend::open(dir.path()).unwrap_err();
        assert!(e.message().contains("without authenticated state"), "{e}");
    }

    #[test]
    fn a_log_that_skips_heights_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        store_with(dir.path(), 2);
        log(dir.path(), 5, [7; 32]);
        let e = RedbBackend::open(dir.path()).unwrap_err();
        assert!(e.message().contains("the block log does not follow the tables"), "{e}");
    }

    #[test]
    fn the_tables_catch_up_after_write_back_blocks_or_write_back_bytes() {
        let commit = |store: &RedbBackend, h: u64| {
            store.commit(&BlockInfo { height: h, timestamp: h }, changes(h)).map_err(|(e, _)| e).unwrap();
            store.inner.lock().txn.is_some()
        };
        let dir = tempfile::tempdir().unwrap();
        let by_blocks = StoreConfig { write_back_blocks: 3, ..StoreConfig::default() };
        let store = RedbBackend::open_with(dir.path(), by_blocks).unwrap();
        let pending: Vec<bool> = (1..=7).map(|h| commit(&store, h)).collect();
        assert_eq!(pending, [true, true, false, true, true, false, true]);
        drop(store);
        // Each block holds 6 bytes of keys and values: the second reaches 12.
        let dir = tempfile::tempdir().unwrap();
        let by_bytes = StoreConfig { write_back_blocks: 100, write_back_bytes: 12, ..StoreConfig::default() };
        let store = RedbBackend::open_with(dir.path(), by_bytes).unwrap();
        let pending: Vec<bool> = (1..=4).map(|h| commit(&store, h)).collect();
        assert_eq!(pending, [true, false, true, false]);
    }

    #[test]
    fn reads_see_blocks_before_their_write_back_and_the_tables_catch_up_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig { write_back_blocks: 100, ..StoreConfig::default() };
        let store = RedbBackend::open_with(dir.path(), config).unwrap();
        for h in 1..=3 {
            store.commit(&BlockInfo { height: h, timestamp: h }, changes(h)).map_err(|(e, _)| e).unwrap();
        }
        let gone: ChangeSet = vec![(b"k2".to_vec(), None)].into_iter().collect();
        store.commit(&BlockInfo { height: 4, timestamp: 4 }, gone).map_err(|(e, _)| e).unwrap();
        assert!(store.inner.lock().txn.is_some(), "four blocks are still only in the log");
        assert_eq!(store.get(b"k3").unwrap(), Some(vec![3; 4]));
        assert_eq!(store.get(b"k2").unwrap(), None);
        let keys: Vec<Vec<u8>> = store.scan_prefix(b"k").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [b"k1".to_vec(), b"k3".to_vec()]);
        assert_eq!(store.head().unwrap().map(|h| h.height), Some(4));
        drop(store);
        assert_eq!(std::fs::metadata(dir.path().join(wal::WAL_FILE)).unwrap().len(), 0);
        let store = RedbBackend::open_with(dir.path(), config).unwrap();
        assert_eq!(store.inner.table_head().unwrap().map(|h| h.height), Some(4));
        assert_eq!(store.get(b"k2").unwrap(), None);
    }

    /// A store with blocks 1..=2 in its tables and 3..=4 only in its log (as a crash
    /// before a write-back leaves it), then a torn tail; the roots of blocks 1..=4.
    fn store_with_logged_blocks(dir: &Path) -> Vec<Hash> {
        store_with(dir, 2);
        let elsewhere = tempfile::tempdir().unwrap();
        let roots = store_with(elsewhere.path(), 4);
        log(dir, 3, roots[2]);
        log(dir, 4, roots[3]);
        let path = dir.join(wal::WAL_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[1, 2, 3, 4, 5]);
        std::fs::write(&path, bytes).unwrap();
        roots
    }

    #[test]
    fn a_damaged_log_fails_the_open_and_is_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        store_with_logged_blocks(dir.path());
        let path = dir.path().join(wal::WAL_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        // Inside block 3's record (after the log's one-sector header), with block 4's
        // after it.
        bytes[512 + 30] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        for e in [
            RedbBackend::open(dir.path()).unwrap_err(),
            RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap_err(),
        ] {
            assert!(e.is_corrupt() && e.message().contains("damaged at byte 512"), "{e}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn a_read_only_open_serves_the_blocks_only_the_log_holds_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let roots = store_with_logged_blocks(dir.path());
        let files = |dir: &Path| [FILE_NAME, wal::WAL_FILE].map(|f| std::fs::read(dir.join(f)).unwrap());
        let before = files(dir.path());
        let ro = RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap();
        assert_eq!(ro.head().unwrap().map(|h| (h.height, h.root)), Some((4, Some(roots[3]))));
        assert_eq!(ro.get(b"k4").unwrap(), Some(vec![4; 4]));
        assert_eq!(ro.scan_prefix(b"k").unwrap().len(), 4);
        // Records, and the state, at heights the log holds and heights the tables hold.
        for h in 1..=4u64 {
            assert_eq!(ro.block(h).unwrap().and_then(|b| b.root), Some(roots[h as usize - 1]), "block {h}");
            let at = ro.at(h).unwrap();
            assert_eq!(at.head().unwrap().map(|b| b.height), Some(h));
            assert_eq!(at.get(format!("k{h}").as_bytes()).unwrap(), Some(vec![h as u8; 4]));
            assert_eq!(at.get(format!("k{}", h + 1).as_bytes()).unwrap(), None);
            assert_eq!(at.scan_prefix(b"k").unwrap().len(), h as usize);
        }
        assert_eq!(ro.block(5).unwrap(), None);
        // Proofs read the tables' tree: at a height only the log holds, a clear error.
        ro.proof(b"k1", 2).unwrap().verify(&roots[1]).unwrap();
        let e = ro.proof(b"k1", 4).unwrap_err();
        assert!(e.to_string().contains("only in the block log"), "{e}");
        let refused = ro.commit(&BlockInfo { height: 5, timestamp: 5 }, changes(5));
        assert!(refused.unwrap_err().0.message().contains("read-only"));
        drop(ro);
        assert_eq!(files(dir.path()), before, "a read-only open wrote");
        // The log's records were right: a read-write open replays them to the same roots.
        let store = RedbBackend::open(dir.path()).unwrap();
        assert_eq!(store.head().unwrap().and_then(|h| h.root), Some(roots[3]));
        assert_eq!(std::fs::metadata(dir.path().join(wal::WAL_FILE)).unwrap().len(), 0);
    }

    #[test]
    fn a_read_only_open_of_a_missing_store_is_an_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let e = RedbBackend::open_read_only(dir.path(), StoreConfig::default()).unwrap_err();
        assert!(e.message().contains("no store"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
