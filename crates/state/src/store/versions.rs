//! Reading versions out of the `HISTORY` table: one key at a height, one bucket at a
//! height. Shared by the block commit (at the new head) and by reads and proofs at
//! past heights.

use merkle::Hash;
use redb::ReadableTable;
use types::StorageError;

use super::tables::{Version, bucket_range, history_key, split_history_key};

/// A `HISTORY` table, read-only or inside a write transaction.
pub(super) trait HistoryTable: ReadableTable<&'static [u8], &'static [u8]> {}
impl<T: ReadableTable<&'static [u8], &'static [u8]>> HistoryTable for T {}

fn err(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("redb: {what}: {e}"))
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

/// The value of `kh` at `at`, if it held one.
pub(super) fn value_at(
    history: &impl HistoryTable,
    kh: &Hash,
    at: u64,
) -> Result<Option<Vec<u8>>, StorageError> {
    let Some((_, bytes)) = version_at(history, kh, at)? else { return Ok(None) };
    Ok(match Version::decode(&bytes)? {
        Version::Deleted => None,
        Version::Value { value, .. } => Some(value.to_vec()),
    })
}

/// Every key starting with `prefix` that holds a value at `at`, with that value, in
/// ascending key order: `keys` (every key that ever held a value) walked from `prefix`,
/// each read at `at`.
#[expect(clippy::type_complexity, reason = "the `Backend::scan_prefix` result")]
pub(super) fn scan_at(
    keys: &impl ReadableTable<&'static [u8], ()>,
    history: &impl HistoryTable,
    prefix: &[u8],
    at: u64,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
    let mut out = Vec::new();
    for entry in keys.range::<&[u8]>(prefix..).map_err(|e| err("scan keys", e))? {
        let (k, _) = entry.map_err(|e| err("scan keys", e))?;
        let key = k.value();
        if !key.starts_with(prefix) {
            break;
        }
        if let Some(value) = value_at(history, &merkle::key_hash(key), at)? {
            out.push((key.to_vec(), value));
        }
    }
    Ok(out)
}

/// The last version at or before `at` of every key hash in `bucket` that has one, in
/// ascending key-hash order, as `(key hash, its height, pick(version))`; `pick` sees each
/// candidate version (the last one wins), so it should copy only what it needs.
fn bucket_versions<T>(
    history: &impl HistoryTable,
    bucket: u32,
    depth: u8,
    at: u64,
    mut pick: impl FnMut(Version<'_>) -> T,
) -> Result<Vec<(Hash, u64, T)>, StorageError> {
    let (lo, hi) = bucket_range(bucket, depth);
    let range = history.range::<&[u8]>(&lo[..]..=&hi[..]).map_err(|e| err("history range", e))?;
    let mut out: Vec<(Hash, u64, T)> = Vec::new();
    for entry in range {
        let (k, v) = entry.map_err(|e| err("history read", e))?;
        let (kh, height) = split_history_key(k.value())?;
        if height > at {
            continue;
        }
        let picked = pick(Version::decode(v.value())?);
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
/// changes supersede, the leaves the bucket's hash.
pub(super) fn bucket_latest(
    history: &impl HistoryTable,
    bucket: u32,
    depth: u8,
    at: u64,
) -> Result<Vec<(Hash, u64, Option<Hash>)>, StorageError> {
    bucket_versions(history, bucket, depth, at, |version| match version {
        Version::Deleted => None,
        Version::Value { leaf, .. } => Some(leaf),
    })
}

/// Every key that holds a value at `at` in `bucket`, in ascending key-hash order, as
/// `(key hash, pick(leaf, key, value))`; `pick` sees each candidate version at or before
/// `at`, so it should copy only what it needs (a proof takes the leaf hash alone).
pub(super) fn bucket_at<T>(
    history: &impl HistoryTable,
    bucket: u32,
    depth: u8,
    at: u64,
    mut pick: impl FnMut(&Hash, &[u8], &[u8]) -> T,
) -> Result<Vec<(Hash, T)>, StorageError> {
    let versions = bucket_versions(history, bucket, depth, at, |version| match version {
        Version::Deleted => None,
        Version::Value { leaf, key, value } => Some(pick(&leaf, key, value)),
    })?;
    Ok(versions.into_iter().filter_map(|(kh, _, live)| Some((kh, live?))).collect())
}
