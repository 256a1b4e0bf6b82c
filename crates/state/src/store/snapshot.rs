//! State sync: a snapshot of the state at one height, exported as chunks of whole
//! buckets with a manifest, and imported into a data directory without blocks, under
//! its lock, only after every chunk hash and the root have been checked
//! (`docs/state.md`, "Snapshots").
//!
//! File layout: `MAGIC`, the chunks back to back, the manifest (JSON), the manifest's
//! length (u64 big-endian), `MAGIC` again. A chunk is a run of entries
//! `key length (u32 BE) ++ key ++ value length (u32 BE) ++ value` in ascending key-hash
//! order, covering buckets `first_bucket..end_bucket`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use merkle::{Hash, Tree, bucket_hash, bucket_of, key_hash, leaf_hash};
use redb::{Database, Durability};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use types::StorageError;

use super::staged::Staged;
use super::tables::{
    BASE, BLOCKS, DEPTH, FORMAT, FORMAT_VERSION, HISTORY, INTERVAL, KEYS, LIVE_KEYS, META, PAGES, Version,
    encode_block, history_key, page_buckets, page_count,
};
use super::versions::bucket_at;
use super::{DirLock, FILE_NAME, RedbBackend};
use crate::{Backend, HistoryError, StoreConfig};

/// The first and last 8 bytes of a snapshot file.
const MAGIC: &[u8; 8] = b"COVESNP1";

/// A chunk is closed once it holds this many bytes (at a bucket boundary).
const CHUNK_TARGET_BYTES: usize = 4 << 20;

/// The largest chunk an import accepts: 256 MiB (a single bucket of huge values can
/// exceed the target; nothing honest comes near this).
pub const MAX_SNAPSHOT_CHUNK_BYTES: u64 = 256 << 20;

/// The largest manifest an import accepts: 64 MiB.
pub const MAX_SNAPSHOT_MANIFEST_BYTES: u64 = 64 << 20;

/// What a snapshot holds, and the hashes that check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The snapshot format (1).
    pub format: u64,
    /// The height of the state.
    pub height: u64,
    /// That block's time.
    pub timestamp: u64,
    /// That block's state root, hex.
    pub root: String,
    /// The store's tree depth.
    pub tree_depth: u8,
    /// The store's checkpoint interval.
    pub checkpoint_interval: u64,
    /// Keys in the state.
    pub keys: u64,
    /// The chunks, in order, covering every bucket once.
    pub chunks: Vec<ChunkInfo>,
}

/// One chunk of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkInfo {
    /// The first bucket it covers.
    pub first_bucket: u32,
    /// One past the last bucket it covers.
    pub end_bucket: u32,
    /// Its entries.
    pub entries: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

fn io(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("snapshot: {what}: {e}"))
}

fn bad(what: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("snapshot rejected: {what}"))
}

fn put_entry(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    for part in [key, value] {
        out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(part);
    }
}

impl RedbBackend {
    /// Writes the state at retained height `height` to `out` as a snapshot; `progress`
    /// is told (buckets done, buckets in all) as the export goes. Callers go through
    /// [`History::export_snapshot`](crate::History::export_snapshot), which runs this
    /// inside the handle's guard.
    pub(super) fn export_snapshot_unguarded(
        &self,
        height: u64,
        out: &mut dyn Write,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Manifest, HistoryError> {
        let inner = &self.inner;
        inner.settle()?;
        let txn = inner.read()?;
        inner.check_retained(&txn, height)?;
        let record = inner.block_in(&txn, height)?;
        let root = record.and_then(|r| r.root).unwrap_or(merkle::ZERO);
        let depth = inner.config.tree_depth;
        // The tree must give the root recorded for the height, or the manifest would
        // carry a root no import accepts (or, worse, the damage would travel).
        let mut tree = inner.tree_at(&txn, height)?;
        inner.check_root(&mut tree, record.as_ref())?;
        let history = txn.open_table(HISTORY).map_err(|e| inner.err("open history", e))?;
        let buckets = 1u32 << depth;
        let mut out = BufWriter::new(out);
        out.write_all(MAGIC).map_err(|e| io("write", e))?;
        let mut chunks = Vec::new();
        let mut chunk = Vec::new();
        let (mut first, mut entries, mut keys) = (0u32, 0u64, 0u64);
        let mut flush =
            |chunk: &mut Vec<u8>, first: u32, end: u32, entries: u64| -> Result<(), StorageError> {
                out.write_all(chunk).map_err(|e| io("write", e))?;
                chunks.push(ChunkInfo {
                    first_bucket: first,
                    end_bucket: end,
                    entries,
                    bytes: chunk.len() as u64,
                    sha256: hex(&Sha256::digest(&chunk[..]).into()),
                });
                chunk.clear();
                Ok(())
            };
        for bucket in 0..buckets {
            let live = bucket_at(&history, bucket, depth, height, |leaf, key, value| {
                (*leaf, key.to_vec(), value.to_vec())
            })?;
            // The versions must hash to the tree's bucket: never export a damaged store.
            if bucket_hash(live.iter().map(|(_, (leaf, _, _))| leaf)) != tree.bucket(bucket) {
                return Err(super::tables::corrupt(&format!(
                    "bucket {bucket} at height {height} does not match its hash"
                ))
                .into());
            }
            for (_, (_, key, value)) in &live {
                put_entry(&mut chunk, key, value);
            }
            entries += live.len() as u64;
            keys += live.len() as u64;
            if chunk.len() >= CHUNK_TARGET_BYTES || bucket + 1 == buckets {
                flush(&mut chunk, first, bucket + 1, entries)?;
                first = bucket + 1;
                entries = 0;
            }
            if bucket % 1024 == 1023 || bucket + 1 == buckets {
                progress(u64::from(bucket) + 1, u64::from(buckets));
            }
        }
        let manifest = Manifest {
            format: 1,
            height,
            timestamp: record.map_or(0, |r| r.timestamp),
            root: hex(&root),
            tree_depth: depth,
            checkpoint_interval: inner.config.checkpoint_interval,
            keys,
            chunks,
        };
        let json = serde_json::to_vec(&manifest).map_err(|e| io("manifest", e))?;
        out.write_all(&json).map_err(|e| io("write", e))?;
        out.write_all(&(json.len() as u64).to_be_bytes()).map_err(|e| io("write", e))?;
        out.write_all(MAGIC).map_err(|e| io("write", e))?;
        out.flush().map_err(|e| io("write", e))?;
        Ok(manifest)
    }

    /// Rebuilds a store in `dir`, which must hold no block, from the snapshot `file`.
    ///
    /// Every chunk's hash and the root the entries give are checked against the
    /// manifest before anything is written; the store is then written in one
    /// transaction to a staged file of its own that is renamed into place only once
    /// durable. So a tampered, truncated or foreign file leaves `dir` as it was.
    /// `progress` is told (chunks done, chunks in all), once while checking and once
    /// while writing.
    ///
    /// The directory's exclusive lock ([`DirLock`]) is held from the check that `dir`
    /// holds no block (in its tables or its block log) until the imported store is open,
    /// and the returned store keeps it: a commit from another handle either came first,
    /// and the import is refused, or comes after, and builds on the imported store; two
    /// imports never run at once. A directory in use fails at once.
    ///
    /// The store's tree depth and checkpoint interval are the snapshot's (they must
    /// equal `config`'s); its history starts at the snapshot's height.
    pub fn import_snapshot(
        dir: &Path,
        config: StoreConfig,
        file: &Path,
        progress: &dyn Fn(u64, u64),
    ) -> Result<(RedbBackend, Manifest), StorageError> {
        config.validate()?;
        // A quick answer for a directory that is in use or holds blocks, before the
        // snapshot is read; decided again under the lock below.
        if has_store_files(dir) {
            refuse_blocks(dir, config, &Arc::new(DirLock::exclusive(dir)?))?;
        }
        let mut reader = SnapshotReader::open(file)?;
        let manifest = reader.manifest.clone();
        if (manifest.tree_depth, manifest.checkpoint_interval)
            != (config.tree_depth, config.checkpoint_interval)
        {
            return Err(StorageError::io(format!(
                "the snapshot has tree_depth {} and checkpoint_interval {}; the config asks for {} and {}",
                manifest.tree_depth,
                manifest.checkpoint_interval,
                config.tree_depth,
                config.checkpoint_interval
            )));
        }
        // Pass 1: check everything, build the tree.
        let tree = reader.check(progress)?;
        // Pass 2, under the lock: write, then move into place.
        std::fs::create_dir_all(dir).map_err(|e| io(&format!("create {}", dir.display()), e))?;
        let lock = Arc::new(DirLock::exclusive(dir)?);
        refuse_blocks(dir, config, &lock)?;
        remove_staged_imports(dir);
        let mut staged = Staged::new_in(dir, STAGED_IMPORT, "")
            .map_err(|e| io(&format!("create a staging file in {}", dir.display()), e))?;
        staged.close();
        // On error `staged` is dropped, which removes the file.
        reader.write(staged.path(), &tree, progress)?;
        staged.persist(&dir.join(FILE_NAME)).map_err(|e| io("move the store into place", e))?;
        let store = RedbBackend::open_locked(dir, config, lock)?;
        Ok((store, manifest))
    }
}

/// The staged store of an import: `state.redb.import.{pid}-{n}` in the data directory.
const STAGED_IMPORT: &str = "state.redb.import";

/// Whether `dir` holds a store file or a block log (which may be empty).
fn has_store_files(dir: &Path) -> bool {
    [FILE_NAME, super::wal::WAL_FILE].iter().any(|name| dir.join(name).exists())
}

/// Refuses `dir`, whose exclusive `lock` is held, if its store holds any block, in the
/// tables or in the block log; or if it cannot be opened (a damaged store is never
/// replaced). A store without blocks may be replaced.
fn refuse_blocks(dir: &Path, config: StoreConfig, lock: &Arc<DirLock>) -> Result<(), StorageError> {
    if !has_store_files(dir) {
        return Ok(());
    }
    let existing = RedbBackend::open_locked(dir, config, Arc::clone(lock)).map_err(|e| {
        StorageError::io(format!(
            "{} holds a store that does not open ({e}): a snapshot is imported into a data directory without blocks",
            dir.display()
        ))
    })?;
    match existing.head()? {
        Some(head) => Err(StorageError::io(format!(
            "{} already holds a store with blocks up to height {}: a snapshot is imported into an empty data directory",
            dir.display(),
            head.height
        ))),
        None => Ok(()),
    }
}

/// Removes what imports that died (killed, or the machine crashed) left staged: only
/// called under the directory's exclusive lock, so no import is running.
fn remove_staged_imports(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(STAGED_IMPORT) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A snapshot file being imported.
struct SnapshotReader {
    file: BufReader<File>,
    manifest: Manifest,
    root: Hash,
}

impl SnapshotReader {
    /// Reads and checks the frame and the manifest.
    ///
    /// Only a regular file is read (so never a device or a pipe without end), and each
    /// piece of it is bounded: the manifest by [`MAX_SNAPSHOT_MANIFEST_BYTES`], each
    /// chunk by [`MAX_SNAPSHOT_CHUNK_BYTES`], read one at a time.
    fn open(path: &Path) -> Result<SnapshotReader, StorageError> {
        let meta = std::fs::metadata(path).map_err(|e| io(&format!("open {}", path.display()), e))?;
        if !meta.is_file() {
            return Err(bad(format!("{} is not a regular file", path.display())));
        }
        let mut file = File::open(path).map_err(|e| io(&format!("open {}", path.display()), e))?;
        let size = file.metadata().map_err(|e| io("stat", e))?.len();
        if size < 24 {
            return Err(bad("the file is too short to be a snapshot"));
        }
        let mut head = [0u8; 8];
        file.read_exact(&mut head).map_err(|e| io("read", e))?;
        let mut tail = [0u8; 16];
        file.seek(SeekFrom::End(-16)).map_err(|e| io("seek", e))?;
        file.read_exact(&mut tail).map_err(|e| io("read", e))?;
        if &head != MAGIC || &tail[8..] != MAGIC {
            return Err(bad("not a cove snapshot, or truncated (no end marker)"));
        }
        let len = u64::from_be_bytes(tail[..8].try_into().expect("8 bytes"));
        if len > MAX_SNAPSHOT_MANIFEST_BYTES || len > size - 24 {
            return Err(bad(format!("manifest length {len} does not fit the file")));
        }
        file.seek(SeekFrom::Start(size - 16 - len)).map_err(|e| io("seek", e))?;
        let mut json = vec![0u8; len as usize];
        file.read_exact(&mut json).map_err(|e| io("read", e))?;
        let manifest: Manifest = serde_json::from_slice(&json).map_err(|e| bad(format!("manifest: {e}")))?;
        if manifest.format != 1 {
            return Err(bad(format!("format {} (this cove reads 1)", manifest.format)));
        }
        if manifest.tree_depth > merkle::MAX_DEPTH {
            return Err(bad(format!("tree depth {} is above {}", manifest.tree_depth, merkle::MAX_DEPTH)));
        }
        let root: Hash =
            hex_hash(&manifest.root).ok_or_else(|| bad("the manifest's root is not 32 bytes of hex"))?;
        // The chunks tile the buckets and the bytes between the markers exactly.
        let mut next = 0u32;
        let mut bytes = 0u64;
        for c in &manifest.chunks {
            if c.first_bucket != next || c.end_bucket <= c.first_bucket || c.bytes > MAX_SNAPSHOT_CHUNK_BYTES
            {
                return Err(bad("the manifest's chunks do not cover the buckets in order"));
            }
            next = c.end_bucket;
            bytes = bytes.saturating_add(c.bytes);
        }
        if u64::from(next) != 1u64 << manifest.tree_depth || bytes != size - 24 - len {
            return Err(bad("the manifest's chunks do not match the file"));
        }
        file.seek(SeekFrom::Start(8)).map_err(|e| io("seek", e))?;
        Ok(SnapshotReader { file: BufReader::new(file), manifest, root })
    }

    /// Reads chunk `i` (the file positioned at its start) and checks its hash.
    fn chunk(&mut self, i: usize) -> Result<Vec<u8>, StorageError> {
        let info = &self.manifest.chunks[i];
        let mut bytes = vec![0u8; info.bytes as usize];
        self.file.read_exact(&mut bytes).map_err(|e| io("read", e))?;
        if hex(&Sha256::digest(&bytes).into()) != info.sha256 {
            return Err(bad(format!("chunk {i} does not match its hash")));
        }
        Ok(bytes)
    }

    /// Pass 1: every chunk's hash, every entry's place, the count and the root.
    fn check(&mut self, progress: &dyn Fn(u64, u64)) -> Result<Tree, StorageError> {
        let depth = self.manifest.tree_depth;
        let mut tree = Tree::new(depth).map_err(bad)?;
        let mut keys = 0u64;
        let mut last: Option<Hash> = None;
        let total = self.manifest.chunks.len() as u64;
        for i in 0..self.manifest.chunks.len() {
            let bytes = self.chunk(i)?;
            let info = self.manifest.chunks[i].clone();
            let mut leaves: Vec<Hash> = Vec::new();
            let mut bucket = info.first_bucket;
            let mut entries = 0u64;
            for_each_entry(&bytes, |key, value| {
                let kh = key_hash(key);
                if last.is_some_and(|l| l >= kh) {
                    return Err(bad(format!("chunk {i}: keys out of order or repeated")));
                }
                last = Some(kh);
                let b = bucket_of(&kh, depth);
                if b < info.first_bucket || b >= info.end_bucket {
                    return Err(bad(format!("chunk {i}: a key of bucket {b} outside the chunk")));
                }
                if b != bucket {
                    tree.set_bucket(bucket, bucket_hash(leaves.iter()));
                    leaves.clear();
                    bucket = b;
                }
                leaves.push(leaf_hash(&kh, value));
                entries += 1;
                Ok(())
            })?;
            tree.set_bucket(bucket, bucket_hash(leaves.iter()));
            if entries != info.entries {
                return Err(bad(format!(
                    "chunk {i} holds {entries} entries, the manifest says {}",
                    info.entries
                )));
            }
            keys += entries;
            progress(i as u64 + 1, total);
        }
        if keys != self.manifest.keys {
            return Err(bad(format!("{keys} keys, the manifest says {}", self.manifest.keys)));
        }
        let root = tree.root();
        if root != self.root {
            return Err(bad(format!(
                "the entries give root {}, the manifest says {}",
                hex(&root),
                self.manifest.root
            )));
        }
        Ok(tree)
    }

    /// Pass 2: the store at `path`, in one durable transaction.
    fn write(&mut self, path: &Path, tree: &Tree, progress: &dyn Fn(u64, u64)) -> Result<(), StorageError> {
        let m = self.manifest.clone();
        self.file.seek(SeekFrom::Start(8)).map_err(|e| io("seek", e))?;
        let db = Database::create(path).map_err(|e| io(&format!("create {}", path.display()), e))?;
        let err = |what: &str, e: redb::Error| io(what, e);
        let mut txn = db.begin_write().map_err(|e| err("begin", e.into()))?;
        txn.set_durability(Durability::Immediate).map_err(|e| err("durability", e.into()))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| err("meta", e.into()))?;
            for (name, v) in [
                (FORMAT, FORMAT_VERSION),
                (DEPTH, u64::from(m.tree_depth)),
                (INTERVAL, m.checkpoint_interval),
                (BASE, m.height),
                (super::tables::HEAD, m.height),
            ] {
                meta.insert(name, &v.to_be_bytes()[..]).map_err(|e| err("meta", e.into()))?;
            }
            let mut keys = txn.open_table(KEYS).map_err(|e| err("keys", e.into()))?;
            // Every key of the snapshot holds a value at its height: `keys` and
            // `live_keys` start equal.
            let mut live = txn.open_table(LIVE_KEYS).map_err(|e| err("live_keys", e.into()))?;
            let mut history = txn.open_table(HISTORY).map_err(|e| err("history", e.into()))?;
            let total = m.chunks.len() as u64;
            for i in 0..m.chunks.len() {
                let bytes = self.chunk(i)?;
                for_each_entry(&bytes, |key, value| {
                    let kh = key_hash(key);
                    keys.insert(key, ()).map_err(|e| err("insert", e.into()))?;
                    live.insert(key, ()).map_err(|e| err("insert", e.into()))?;
                    let version = Version::Value { leaf: leaf_hash(&kh, value), key, value }.encode();
                    history
                        .insert(&history_key(&kh, m.height)[..], &version[..])
                        .map_err(|e| err("insert", e.into()))?;
                    Ok(())
                })?;
                progress(i as u64 + 1, total);
            }
            let mut pages = txn.open_table(PAGES).map_err(|e| err("pages", e.into()))?;
            let mut page = Vec::new();
            for p in 0..page_count(m.tree_depth) {
                page.clear();
                for b in page_buckets(p, m.tree_depth) {
                    page.extend_from_slice(&tree.bucket(b));
                }
                pages.insert((p, m.height), &page[..]).map_err(|e| err("pages", e.into()))?;
            }
            let mut blocks = txn.open_table(BLOCKS).map_err(|e| err("blocks", e.into()))?;
            blocks
                .insert(m.height, &encode_block(m.height, m.timestamp, &self.root)[..])
                .map_err(|e| err("blocks", e.into()))?;
        }
        super::keyset::ALL.record(&txn)?;
        super::keyset::LIVE.record(&txn)?;
        txn.commit().map_err(|e| err("commit", e.into()))?;
        Ok(())
    }
}

/// Calls `f` on each `(key, value)` of a chunk; a malformed chunk is an error.
fn for_each_entry(
    mut bytes: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], StorageError> {
        let (len, rest) = bytes.split_at_checked(4).ok_or_else(|| bad("a chunk ends inside an entry"))?;
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        let (part, rest) = rest.split_at_checked(len).ok_or_else(|| bad("a chunk ends inside an entry"))?;
        *bytes = rest;
        Ok(part)
    }
    while !bytes.is_empty() {
        let key = take(&mut bytes)?;
        let value = take(&mut bytes)?;
        f(key, value)?;
    }
    Ok(())
}

fn hex(bytes: &Hash) -> String {
    hex::encode(bytes)
}

fn hex_hash(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}
