//! Reading versions out of the `HISTORY` table: one key at a height, one bucket at a
//! height. Shared by the block commit (at the new head) and by reads and proofs at
//! past heights.
//!
//! A value read for a caller is read with its whole bucket ([`value_checked`]): the
//! stored leaf hashes of the bucket's versions at the height must give the bucket's
//! hash in the tree, and the value must give its own leaf hash. So a damaged value,
//! leaf, key hash or height is a `corrupt` error, never an answer. The block commit
//! needs only the leaf hashes, which it checks against the tree the same way
//! (`super::commit`).

use std::ops::Bound;

use merkle::{Hash, bucket_hash, bucket_of, key_hash, leaf_hash};
use redb::ReadableTable;
use types::StorageError;

use super::guard::redb_error;
use crate::backend::{Order, range_bounds};

use super::tables::{Version, bucket_range, corrupt, history_key, split_history_key};

/// A `HISTORY` table, read-only or inside a write transaction.
pub(super) trait HistoryTable: ReadableTable<&'static [u8], &'static [u8]> {}
impl<T: ReadableTable<&'static [u8], &'static [u8]>> HistoryTable for T {}

fn err(what: &str, e: impl Into<redb::Error>) -> StorageError {
    redb_error(format!("redb: {what}"), e)
}

/// `version` of key hash `kh`, if its value and leaf hash agree: the leaf hash is
/// `leaf_hash(kh, value)`, so one changed byte in the key hash, the leaf or the value
/// makes them disagree. (Two SHA-256 over the value: `docs/state.md`, "Damaged files".)
fn checked<'a>(kh: &Hash, version: Version<'a>) -> Result<Version<'a>, StorageError> {
    if let Version::Value { leaf, value, .. } = &version
        && leaf_hash(kh, value) != *leaf
    {
        return Err(corrupt(&format!(
            "the stored value of key hash {} does not match its leaf hash",
            hex(kh)
        )));
    }
    Ok(version)
}

fn hex(kh: &Hash) -> String {
    kh[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The height of the last version of `kh` at or before `at`, with the encoded version.
pub(super) fn version_at(
    history: &impl HistoryTable,
    kh: &Hash,
    at: u64,
) -> Result<Option<(u64, Vec<u8>)>, StorageError> {
    let lo = history_key(kh, 0);
    let hi = history_key(kh, at);
    let mut range = history.range::<&[u8]>(&lo[..]..=&hi[..]).map_err(|e| err("history range", e))?;
    match range.next_back() {
        None => Ok(None),
        Some(entry) => {
            let (k, v) = entry.map_err(|e| err("history read", e))?;
            let (_, height) = split_history_key(k.value())?;
            Ok(Some((height, v.value().to_vec())))
        }
    }
}

/// The value of `kh` at `at`, if it held one, read with the versions of its whole
/// bucket; `bucket_hash_at(bucket)` is the bucket's hash in the tree at `at`, which
/// their stored leaf hashes must give. Costs a walk of the bucket (about 15 keys at
/// 1,000,000 keys and depth 16) and one SHA-256 over its leaves on top of the lookup.
pub(super) fn value_checked(
    history: &impl HistoryTable,
    kh: &Hash,
    depth: u8,
    at: u64,
    bucket_hash_at: &mut impl FnMut(u32) -> Result<Hash, StorageError>,
) -> Result<Option<Vec<u8>>, StorageError> {
    let bucket = bucket_of(kh, depth);
    let live = bucket_versions(history, bucket, depth, at, |h, version| match version {
        Version::Deleted => None,
        Version::Value { leaf, value, .. } => Some((leaf, (h == kh).then(|| value.to_vec()))),
    })?;
    let hash = bucket_hash(live.iter().filter_map(|(_, _, v)| v.as_ref().map(|(leaf, _)| leaf)));
    if hash != bucket_hash_at(bucket)? {
        return Err(corrupt(&format!(
            "the stored versions of bucket {bucket} do not give its hash at height {at}"
        )));
    }
    let found = live.binary_search_by(|(h, _, _)| h.cmp(kh)).ok().and_then(|p| live[p].2.as_ref());
    let Some((leaf, value)) = found else {
        // The bucket hash does not cover the key hashes: a damaged key hash keeps it
        // but moves the key's last version to another key hash, so that the key reads
        // as absent, or as deleted if its version before was a deletion. Absent or
        // deleted is believed only once the key stored in every version of the bucket
        // hashes to its key hash (one SHA-256 each).
        let keys = bucket_versions(history, bucket, depth, at, |h, version| match version {
            Version::Deleted => true,
            Version::Value { key, .. } => key_hash(key) == *h,
        })?;
        if let Some((h, _, _)) = keys.iter().find(|(_, _, ok)| !ok) {
            return Err(corrupt(&format!("the stored key of key hash {} does not hash to it", hex(h))));
        }
        return Ok(None);
    };
    let value = value.as_ref().ok_or_else(|| corrupt("bucket walk"))?;
    checked(kh, Version::Value { leaf: *leaf, key: &[], value })?;
    Ok(Some(value.clone()))
}

/// The value of `kh` at `at`, if it held one; checked against its own leaf hash only.
pub(super) fn value_at(
    history: &impl HistoryTable,
    kh: &Hash,
    at: u64,
) -> Result<Option<Vec<u8>>, StorageError> {
    let Some((_, bytes)) = version_at(history, kh, at)? else { return Ok(None) };
    Ok(match checked(kh, Version::decode(&bytes)?)? {
        Version::Deleted => None,
        Version::Value { value, .. } => Some(value.to_vec()),
    })
}

/// Every key starting with `prefix` that holds a value at `at`, with that value, in
/// ascending key order: `keys` walked from `prefix`, each read at `at`. `keys` is a key
/// table that lists at least every key holding a value at `at`: `keys` (every key that
/// ever held one) for any height, `live_keys` for the head. A key with no version at all
/// is damage (a key's last version is never pruned): a key table or `history` was
/// changed. Adds the entries of `keys` visited to `walked`.
#[expect(clippy::type_complexity, reason = "the `Backend::scan_prefix` result")]
pub(super) fn scan_at(
    keys: &impl ReadableTable<&'static [u8], ()>,
    history: &impl HistoryTable,
    prefix: &[u8],
    (depth, at): (u8, u64),
    bucket_hash_at: &mut impl FnMut(u32) -> Result<Hash, StorageError>,
    walked: &mut u64,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
    // The range of the keys with `prefix` (never empty without a start and an end).
    let Some((low, high)) = range_bounds(prefix, None, None) else { return Ok(Vec::new()) };
    let bounds = (low.as_slice(), high.as_deref());
    scan_range_at(keys, history, bounds, (Order::Ascending, usize::MAX), (depth, at), bucket_hash_at, walked)
}

/// At most `limit` keys of the range `(low, high)` (full keys, `high` exclusive) that
/// hold a value at `at`, with those values, in `order`: `keys` walked over the range
/// only, each value read at `at` and checked as [`scan_at`] does (with the same choice of
/// key table), stopping once `limit` are found. Adds the entries of `keys` visited to
/// `walked`.
#[expect(clippy::type_complexity, reason = "the `Backend::scan_range` result")]
pub(super) fn scan_range_at(
    keys: &impl ReadableTable<&'static [u8], ()>,
    history: &impl HistoryTable,
    (low, high): (&[u8], Option<&[u8]>),
    (order, limit): (Order, usize),
    (depth, at): (u8, u64),
    bucket_hash_at: &mut impl FnMut(u32) -> Result<Hash, StorageError>,
    walked: &mut u64,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    let upper = high.map_or(Bound::Unbounded, Bound::Excluded);
    let range = keys.range::<&[u8]>((Bound::Included(low), upper)).map_err(|e| err("scan keys", e))?;
    let walk: Box<dyn Iterator<Item = _>> = match order {
        Order::Ascending => Box::new(range),
        Order::Descending => Box::new(range.rev()),
    };
    for entry in walk {
        let (k, _) = entry.map_err(|e| err("scan keys", e))?;
        *walked += 1;
        let key = k.value();
        if let Some(value) = listed_value(history, key, (depth, at), bucket_hash_at)? {
            out.push((key.to_vec(), value));
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// The value at `at` of `key`, listed in `keys`, checked against the tree; `None` if it
/// was deleted or written only after `at`. A listed key with no version at all is
/// damage (a key's last version is never pruned).
fn listed_value(
    history: &impl HistoryTable,
    key: &[u8],
    (depth, at): (u8, u64),
    bucket_hash_at: &mut impl FnMut(u32) -> Result<Hash, StorageError>,
) -> Result<Option<Vec<u8>>, StorageError> {
    let kh = key_hash(key);
    match value_checked(history, &kh, depth, at, bucket_hash_at)? {
        Some(value) => Ok(Some(value)),
        // Deleted, written only after `at`, or damaged.
        None if version_at(history, &kh, u64::MAX)?.is_some() => Ok(None),
        None => Err(corrupt(&format!("key hash {} is listed but has no version", hex(&kh)))),
    }
}

/// The last version at or before `at` of every key hash in `bucket` that has one, in
/// ascending key-hash order, as `(key hash, its height, pick(version))`; `pick` sees each
/// candidate version (the last one wins), so it should copy only what it needs. Keys
/// out of ascending order, or out of the bucket, are `corrupt`.
fn bucket_versions<T>(
    history: &impl HistoryTable,
    bucket: u32,
    depth: u8,
    at: u64,
    mut pick: impl FnMut(&Hash, Version<'_>) -> T,
) -> Result<Vec<(Hash, u64, T)>, StorageError> {
    let (lo, hi) = bucket_range(bucket, depth);
    let range = history.range::<&[u8]>(&lo[..]..=&hi[..]).map_err(|e| err("history range", e))?;
    let mut out: Vec<(Hash, u64, T)> = Vec::new();
    let mut previous: Option<(Hash, u64)> = None;
    for entry in range {
        let (k, v) = entry.map_err(|e| err("history read", e))?;
        let (kh, height) = split_history_key(k.value())?;
        // redb keeps keys in ascending order; a damaged key out of that order or out of
        // the bucket (a deletion's key hash, which no stored key vouches for) would
        // mislead the searches over the result: the key it passes reads as absent.
        if bucket_of(&kh, depth) != bucket || previous.is_some_and(|p| p >= (kh, height)) {
            return Err(corrupt(&format!("the versions of bucket {bucket} are out of order")));
        }
        previous = Some((kh, height));
        if height > at {
            continue;
        }
        let picked = pick(&kh, Version::decode(v.value())?);
        // Versions of one key hash come in ascending height: the last one wins.
        match out.last_mut() {
            Some(last) if last.0 == kh => *last = (kh, height, picked),
            _ => out.push((kh, height, picked)),
        }
    }
    Ok(out)
}

/// [`bucket_versions`] with each version's leaf hash, `None` for a deletion. The block
/// commit reads each bucket it changes once with this: the heights are the versions its
/// changes supersede, the leaves the bucket's hash. The key stored in each version must
/// hash to its key hash (one SHA-256 each): the bucket hash does not cover key hashes,
/// and a version moved to another key hash by damage would leave a leaf the commit
/// never supersedes (a root no other node computes).
pub(super) fn bucket_latest(
    history: &impl HistoryTable,
    bucket: u32,
    depth: u8,
    at: u64,
) -> Result<Vec<(Hash, u64, Option<Hash>)>, StorageError> {
    let versions = bucket_versions(history, bucket, depth, at, |kh, version| match version {
        Version::Deleted => Ok(None),
        Version::Value { leaf, key, .. } if key_hash(key) == *kh => Ok(Some(leaf)),
        Version::Value { .. } => Err(*kh),
    })?;
    let mut out = Vec::with_capacity(versions.len());
    for (kh, height, leaf) in versions {
        let leaf = leaf
            .map_err(|h| corrupt(&format!("the stored key of key hash {} does not hash to it", hex(&h))))?;
        out.push((kh, height, leaf));
    }
    Ok(out)
}

/// Every key that holds a value at `at` in `bucket`, in ascending key-hash order, as
/// `(key hash, pick(leaf, key, value))`; `pick` sees each candidate version at or before
/// `at`, so it should copy only what it needs (a proof takes the leaf hash alone). The
/// live versions are [`checked`], and each key against its key hash.
pub(super) fn bucket_at<T>(
    history: &impl HistoryTable,
    bucket: u32,
    depth: u8,
    at: u64,
    mut pick: impl FnMut(&Hash, &[u8], &[u8]) -> T,
) -> Result<Vec<(Hash, T)>, StorageError> {
    let versions = bucket_versions(history, bucket, depth, at, |kh, version| match checked(kh, version) {
        Ok(Version::Deleted) => Ok(None),
        Ok(Version::Value { key, .. }) if key_hash(key) != *kh => {
            Err(corrupt(&format!("the stored key of key hash {} does not hash to it", hex(kh))))
        }
        Ok(Version::Value { leaf, key, value }) => Ok(Some(pick(&leaf, key, value))),
        Err(e) => Err(e),
    })?;
    let mut out = Vec::with_capacity(versions.len());
    for (kh, _, live) in versions {
        if let Some(picked) = live? {
            out.push((kh, picked));
        }
    }
    Ok(out)
}
