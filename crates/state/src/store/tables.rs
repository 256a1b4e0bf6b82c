//! The redb tables of the authenticated store and how their keys and values are laid out
//! (`docs/state.md`, "Authenticated state").

use merkle::Hash;
use redb::TableDefinition;
use types::StorageError;

/// `key -> value`: format 1's copy of the latest state, dropped by format 2 (the latest
/// version in `HISTORY` is the same value); only ever opened to upgrade or refuse an old store.
pub(super) const LEGACY_STATE: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("state");
/// `key -> ()`: every key that ever held a value (prefix scans at a past height).
pub(super) const KEYS: TableDefinition<'static, &[u8], ()> = TableDefinition::new("keys");
/// `key -> ()`: every key that holds a value at the tables' head (scans at the head), so
/// a scan there never steps over deleted keys. Written only when a key gains or loses its
/// value, never by an overwrite.
pub(super) const LIVE_KEYS: TableDefinition<'static, &[u8], ()> = TableDefinition::new("live_keys");
/// `key hash ++ height -> version`: every retained version of every key.
pub(super) const HISTORY: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("history");
/// `(height, key hash) -> height`: the version a change at `height` superseded.
pub(super) const STALE_KEYS: TableDefinition<'static, &[u8], u64> = TableDefinition::new("stale_keys");
/// `(page, height) -> bucket hashes`: every retained version of every page of the tree.
pub(super) const PAGES: TableDefinition<'static, (u32, u64), &[u8]> = TableDefinition::new("pages");
/// `(height, page) -> height`: the page version a change at `height` superseded.
pub(super) const STALE_PAGES: TableDefinition<'static, (u64, u32), u64> = TableDefinition::new("stale_pages");
/// `height -> timestamp ++ root`: every committed block (never pruned).
pub(super) const BLOCKS: TableDefinition<'static, u64, &[u8]> = TableDefinition::new("blocks");
/// `name -> value`: the store's parameters and pruning progress.
pub(super) const META: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("meta");

/// `META` names.
pub(super) const FORMAT: &str = "format";
pub(super) const DEPTH: &str = "tree_depth";
pub(super) const INTERVAL: &str = "checkpoint_interval";
pub(super) const PRUNED_THROUGH: &str = "pruned_through";
/// The height of the last block in `BLOCKS`, written with it: a damaged page of `BLOCKS`
/// that loses the head's record cannot roll the store back to the block before it
/// unnoticed. Absent in stores written before it (until their next block).
pub(super) const HEAD: &str = "head";
/// The first height the store holds (a store restored from a snapshot at `H` has
/// nothing below `H`); absent means 0.
pub(super) const BASE: &str = "base";

/// The layout version this code reads and writes. Format 1 also kept a `state` table of
/// latest values; format 2 had no `live_keys` table. A read-write open of either upgrades
/// it (drops the `state` table, builds `live_keys`) and records format 3.
pub(super) const FORMAT_VERSION: u64 = 3;

/// Format 2: `live_keys` not built yet. A read-only open serves it, scanning the head
/// through `keys` as format 2 did.
pub(super) const FORMAT_NO_LIVE_KEYS: u64 = 2;

/// Buckets per page of the tree: a page is 64 bucket hashes (2 KiB).
pub(super) const PAGE_BUCKETS: u32 = 64;

/// The `HISTORY` key of the version of `kh` written at `height`.
pub(super) fn history_key(kh: &Hash, height: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(kh);
    k[32..].copy_from_slice(&height.to_be_bytes());
    k
}

/// Splits a `HISTORY` key.
pub(super) fn split_history_key(k: &[u8]) -> Result<(Hash, u64), StorageError> {
    if k.len() != 40 {
        return Err(corrupt("history key length"));
    }
    let kh: Hash = k[..32].try_into().expect("32 bytes");
    Ok((kh, u64::from_be_bytes(k[32..].try_into().expect("8 bytes"))))
}

/// The `STALE_KEYS` key.
pub(super) fn stale_key(height: u64, kh: &Hash) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..].copy_from_slice(kh);
    k
}

/// One version of a key: its value (with its leaf hash), or a deletion.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Version<'a> {
    /// Deleted at this height.
    Deleted,
    /// Set at this height.
    Value {
        /// `leaf_hash(kh, value)`.
        leaf: Hash,
        /// The key itself (the table is keyed by its hash).
        key: &'a [u8],
        /// The value.
        value: &'a [u8],
    },
}

/// Tags of an encoded [`Version`].
const DELETED: u8 = 0;
const VALUE: u8 = 1;

impl Version<'_> {
    /// `0` (deleted), or `1 ++ leaf ++ key length (u32 BE) ++ key ++ value`.
    pub(super) fn encode(&self) -> Vec<u8> {
        match self {
            Version::Deleted => vec![DELETED],
            Version::Value { leaf, key, value } => {
                let mut out = Vec::with_capacity(1 + 32 + 4 + key.len() + value.len());
                out.push(VALUE);
                out.extend_from_slice(leaf);
                // Keys are far below 4 GiB: the journal's callers bound them.
                out.extend_from_slice(&u32::try_from(key.len()).unwrap_or(u32::MAX).to_be_bytes());
                out.extend_from_slice(key);
                out.extend_from_slice(value);
                out
            }
        }
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<Version<'_>, StorageError> {
        match bytes.split_first() {
            Some((&DELETED, [])) => Ok(Version::Deleted),
            Some((&VALUE, rest)) if rest.len() >= 36 => {
                let leaf: Hash = rest[..32].try_into().expect("32 bytes");
                let len = u32::from_be_bytes(rest[32..36].try_into().expect("4 bytes")) as usize;
                let body = &rest[36..];
                if body.len() < len {
                    return Err(corrupt("history version key length"));
                }
                let (key, value) = body.split_at(len);
                Ok(Version::Value { leaf, key, value })
            }
            _ => Err(corrupt("history version tag")),
        }
    }
}

/// A `BLOCKS` value: timestamp (u64 BE) ++ root ++ check, where check is the first
/// [`BLOCK_CHECK_LEN`] bytes of `SHA-256("cove block record" ++ height ++ timestamp ++
/// root)`. The root is also checked against the tree on open, the timestamp only by the
/// check: a damaged timestamp would otherwise be answered, and would move the earliest
/// time the next block may have. Records written before the check (40 bytes) are read
/// unchecked.
pub(super) fn encode_block(height: u64, timestamp: u64, root: &Hash) -> [u8; 40 + BLOCK_CHECK_LEN] {
    let mut v = [0u8; 40 + BLOCK_CHECK_LEN];
    v[..8].copy_from_slice(&timestamp.to_be_bytes());
    v[8..40].copy_from_slice(root);
    let check = block_check(height, &v[..40]);
    v[40..].copy_from_slice(&check);
    v
}

/// Bytes of a block record's check.
pub(super) const BLOCK_CHECK_LEN: usize = 8;

fn block_check(height: u64, timestamp_and_root: &[u8]) -> [u8; BLOCK_CHECK_LEN] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"cove block record");
    h.update(height.to_be_bytes());
    h.update(timestamp_and_root);
    h.finalize()[..BLOCK_CHECK_LEN].try_into().expect("8 bytes")
}

/// The timestamp and root of the record of block `height`, its check verified.
pub(super) fn decode_block(height: u64, v: &[u8]) -> Result<(u64, Hash), StorageError> {
    let body = match v.len() {
        40 => v,
        n if n == 40 + BLOCK_CHECK_LEN => {
            if block_check(height, &v[..40])[..] != v[40..] {
                return Err(corrupt(&format!("the record of block {height} fails its check")));
            }
            &v[..40]
        }
        _ => return Err(corrupt("block record length")),
    };
    Ok((
        u64::from_be_bytes(body[..8].try_into().expect("8 bytes")),
        body[8..40].try_into().expect("32 bytes"),
    ))
}

/// The first and last `HISTORY` keys of bucket `bucket` at tree depth `depth`: the
/// bucket is every key hash whose first `depth` bits are `bucket`.
pub(super) fn bucket_range(bucket: u32, depth: u8) -> ([u8; 40], [u8; 40]) {
    let mut lo = [0u8; 40];
    let mut hi = [0xffu8; 40];
    if depth > 0 {
        // The bucket number, left-aligned in the first 32 bits.
        let prefix = bucket << (32 - u32::from(depth));
        let mask = u32::MAX << (32 - u32::from(depth));
        lo[..4].copy_from_slice(&prefix.to_be_bytes());
        hi[..4].copy_from_slice(&(prefix | !mask).to_be_bytes());
    }
    (lo, hi)
}

/// The buckets of page `page`: `start..end`.
pub(super) fn page_buckets(page: u32, depth: u8) -> std::ops::Range<u32> {
    let start = page * PAGE_BUCKETS;
    start..(start + PAGE_BUCKETS).min(1 << depth)
}

/// The number of pages of a tree of depth `depth`.
pub(super) fn page_count(depth: u8) -> u32 {
    (1u32 << depth).div_ceil(PAGE_BUCKETS)
}

/// Splits a page value into its bucket hashes.
pub(super) fn decode_page(bytes: &[u8], depth: u8, page: u32) -> Result<Vec<Hash>, StorageError> {
    let n = page_buckets(page, depth).len();
    if bytes.len() != n * 32 {
        return Err(corrupt("page length"));
    }
    Ok(bytes.chunks_exact(32).map(|c| c.try_into().expect("32 bytes")).collect())
}

/// Whether some checkpoint `c` (a multiple of `interval`) has `from <= c < to`: a version
/// written at `from` and superseded at `to` is then visible at a checkpoint.
pub(super) fn spans_checkpoint(from: u64, to: u64, interval: u64) -> bool {
    from.div_ceil(interval).saturating_mul(interval) < to
}

/// Whether `height` is a checkpoint.
pub(super) fn is_checkpoint(height: u64, interval: u64) -> bool {
    height.is_multiple_of(interval)
}

/// The u64 (big-endian) under `name` in `META`, if recorded.
pub(super) fn meta_u64(
    meta: &impl redb::ReadableTable<&'static str, &'static [u8]>,
    name: &str,
) -> Result<Option<u64>, StorageError> {
    let value = meta.get(name).map_err(|e| StorageError::io(format!("redb: read meta {name}: {e}")))?;
    value.map(|v| v.value().try_into().map(u64::from_be_bytes).map_err(|_| corrupt(name))).transpose()
}

pub(super) fn corrupt(what: &str) -> StorageError {
    StorageError::corrupt(format!("redb: corrupt store: {what}"))
}
