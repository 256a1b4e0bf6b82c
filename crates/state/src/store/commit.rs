//! Writing one block: a version per changed key, the rehashed
//! buckets and pages of the tree, the block record, then pruning. All inside the
//! caller's one write transaction (invariant 2 of `docs/state.md`).

use merkle::{Hash, Tree, bucket_hash, bucket_of, key_hash, leaf_hash};
use redb::{ReadableTable, WriteTransaction};
use types::{BlockInfo, StorageError};

use super::buckets::BucketCache;
use super::guard::redb_error;
use super::tables::{
    BLOCKS, HISTORY, KEYS, LIVE_KEYS, META, PAGES, PRUNED_THROUGH, STALE_KEYS, STALE_PAGES, Version, corrupt,
    encode_block, history_key, meta_u64, page_buckets, spans_checkpoint, stale_key,
};
use super::versions::bucket_latest;
use crate::{ChangeSet, StoreConfig};

fn err(what: &str, e: impl Into<redb::Error>) -> StorageError {
    redb_error(format!("redb: {what}"), e)
}

/// Writes block `block` with `changes` into `txn` and updates `tree` (the tree of the
/// previous head) and `cache` (what `txn` holds of the buckets it has seen) to the new
/// head; returns the new root. On error the transaction must be dropped, `tree` rebuilt
/// and `cache` emptied.
pub(super) fn write_block(
    txn: &WriteTransaction,
    tree: &mut Tree,
    cache: &mut BucketCache,
    config: &StoreConfig,
    block: &BlockInfo,
    changes: &ChangeSet,
) -> Result<Hash, StorageError> {
    let height = block.height;
    let depth = config.tree_depth;
    let writes: Vec<(&[u8], Option<&[u8]>)> = changes.iter().collect();
    // The changes in key-hash order, so each bucket's are together and the bucket is
    // read once: its versions give both what each change supersedes and the leaves of
    // its new hash.
    let mut order: Vec<(Hash, usize)> =
        writes.iter().enumerate().map(|(i, (key, _))| (key_hash(key), i)).collect();
    order.sort_unstable_by_key(|a| a.0);
    let mut buckets = Vec::new();
    // Hashes of the keys this block gives their first value: new entries of `keys`.
    let mut added = Vec::new();
    // Hashes of the keys this block gives a value they did not hold, and of those it
    // deletes: entries added to and removed from `live_keys`. An overwrite is neither.
    let (mut born, mut died) = (Vec::new(), Vec::new());
    {
        let mut keys = txn.open_table(KEYS).map_err(|e| err("open keys", e))?;
        let mut live = txn.open_table(LIVE_KEYS).map_err(|e| err("open live_keys", e))?;
        let mut history = txn.open_table(HISTORY).map_err(|e| err("open history", e))?;
        let mut stale = txn.open_table(STALE_KEYS).map_err(|e| err("open stale_keys", e))?;
        for group in order.chunk_by(|a, b| bucket_of(&a.0, depth) == bucket_of(&b.0, depth)) {
            let bucket = bucket_of(&group[0].0, depth);
            let mut leaves = match cache.take(bucket) {
                Some(leaves) => leaves,
                None => {
                    // Built on only if it still gives the bucket's hash in the tree of
                    // the head: a damaged version is an error, not a diverging root.
                    let leaves = bucket_latest(&history, bucket, depth, height - 1)?;
                    if bucket_hash(leaves.iter().filter_map(|(_, _, leaf)| leaf.as_ref()))
                        != tree.bucket(bucket)
                    {
                        return Err(corrupt(&format!(
                            "the stored versions of bucket {bucket} do not give its hash at block {}",
                            height - 1
                        )));
                    }
                    leaves
                }
            };
            let mut changed = false;
            for &(kh, i) in group {
                let (key, value) = writes[i];
                // The key's last version: `Err` if it never held a value (the last
                // version of a key, value or deletion, is never pruned).
                let at = leaves.binary_search_by(|(h, _, _)| h.cmp(&kh));
                let was_live = matches!(at, Ok(p) if leaves[p].2.is_some());
                let (version, leaf) = match value {
                    Some(value) => {
                        if at.is_err() && keys.insert(key, ()).map_err(|e| err("insert key", e))?.is_none() {
                            added.push(kh);
                        }
                        if !was_live {
                            if live.insert(key, ()).map_err(|e| err("insert live key", e))?.is_some() {
                                return Err(corrupt("a key without a value is listed in live_keys"));
                            }
                            born.push(kh);
                        }
                        let leaf = leaf_hash(&kh, value);
                        (Version::Value { leaf, key, value }, Some(leaf))
                    }
                    // Deleting what is not there changes nothing, so records nothing.
                    None if !was_live => continue,
                    None => {
                        if live.remove(key).map_err(|e| err("remove live key", e))?.is_none() {
                            return Err(corrupt("a key with a value is missing from live_keys"));
                        }
                        died.push(kh);
                        (Version::Deleted, None)
                    }
                };
                if let Ok(p) = at {
                    stale
                        .insert(&stale_key(height, &kh)[..], leaves[p].1)
                        .map_err(|e| err("insert stale", e))?;
                }
                history
                    .insert(&history_key(&kh, height)[..], &version.encode()[..])
                    .map_err(|e| err("insert version", e))?;
                match at {
                    Ok(p) => leaves[p] = (kh, height, leaf),
                    Err(p) => leaves.insert(p, (kh, height, leaf)),
                }
                changed = true;
            }
            if changed {
                tree.set_bucket(bucket, bucket_hash(leaves.iter().filter_map(|(_, _, leaf)| leaf.as_ref())));
                buckets.push(bucket);
            }
            cache.put(bucket, leaves);
        }
    }
    super::keyset::ALL.update(txn, &added, &[])?;
    super::keyset::LIVE.update(txn, &born, &died)?;
    write_pages(txn, tree, depth, height, &buckets)?;
    let root = tree.root();
    let mut blocks = txn.open_table(BLOCKS).map_err(|e| err("open blocks", e))?;
    blocks
        .insert(height, &encode_block(height, block.timestamp, &root)[..])
        .map_err(|e| err("insert block", e))?;
    drop(blocks);
    {
        let mut meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
        meta.insert(super::tables::HEAD, &height.to_be_bytes()[..]).map_err(|e| err("write meta", e))?;
    }
    prune(txn, config, height)?;
    Ok(root)
}

/// Writes a new version of every page holding a changed bucket.
fn write_pages(
    txn: &WriteTransaction,
    tree: &Tree,
    depth: u8,
    height: u64,
    buckets: &[u32],
) -> Result<(), StorageError> {
    let mut pages = txn.open_table(PAGES).map_err(|e| err("open pages", e))?;
    let mut stale = txn.open_table(STALE_PAGES).map_err(|e| err("open stale_pages", e))?;
    let mut changed: Vec<u32> = buckets.iter().map(|b| b / super::tables::PAGE_BUCKETS).collect();
    changed.dedup();
    let mut bytes = Vec::new();
    for page in changed {
        let previous = pages
            .range((page, 0)..(page, height))
            .map_err(|e| err("pages range", e))?
            .next_back()
            .transpose()
            .map_err(|e| err("pages read", e))?
            .map(|(k, _)| k.value().1);
        if let Some(previous) = previous {
            stale.insert((height, page), previous).map_err(|e| err("insert stale page", e))?;
        }
        bytes.clear();
        for bucket in page_buckets(page, depth) {
            bytes.extend_from_slice(&tree.bucket(bucket));
        }
        pages.insert((page, height), &bytes[..]).map_err(|e| err("insert page", e))?;
    }
    Ok(())
}

/// Deletes the versions no retained height can see any more, now that `height` is the
/// head. Heights up to `through = height - keep_recent` are pruned (but checkpoints), so
/// a version written at `v` and superseded at `s`, visible at heights `v..s`, goes once
/// `s <= through + 1`, unless a checkpoint lies in `v..s`.
fn prune(txn: &WriteTransaction, config: &StoreConfig, height: u64) -> Result<(), StorageError> {
    let mut meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
    let done = meta_u64(&meta, PRUNED_THROUGH)?.unwrap_or(0);
    let through = height.saturating_sub(config.keep_recent);
    if through <= done {
        return Ok(());
    }
    let interval = config.checkpoint_interval;
    {
        let mut stale = txn.open_table(STALE_KEYS).map_err(|e| err("open stale_keys", e))?;
        let mut history = txn.open_table(HISTORY).map_err(|e| err("open history", e))?;
        let end = stale_key(through + 2, &[0; 32]);
        let mut gone = Vec::new();
        for entry in stale.range::<&[u8]>(..&end[..]).map_err(|e| err("stale range", e))? {
            let (k, v) = entry.map_err(|e| err("stale read", e))?;
            let (superseded_at, kh) = {
                let k = k.value();
                let (h, kh) = k.split_at(8);
                (
                    u64::from_be_bytes(h.try_into().map_err(|_| super::tables::corrupt("stale key"))?),
                    kh.to_vec(),
                )
            };
            gone.push((k.value().to_vec(), kh, v.value(), superseded_at));
        }
        for (stale_k, kh, version, superseded_at) in gone {
            if !spans_checkpoint(version, superseded_at, interval) {
                let kh: Hash = kh.try_into().map_err(|_| super::tables::corrupt("stale key"))?;
                history.remove(&history_key(&kh, version)[..]).map_err(|e| err("prune version", e))?;
            }
            stale.remove(&stale_k[..]).map_err(|e| err("prune stale", e))?;
        }
    }
    {
        let mut stale = txn.open_table(STALE_PAGES).map_err(|e| err("open stale_pages", e))?;
        let mut pages = txn.open_table(PAGES).map_err(|e| err("open pages", e))?;
        let mut gone = Vec::new();
        for entry in stale.range((0, 0)..=(through + 1, u32::MAX)).map_err(|e| err("stale range", e))? {
            let (k, v) = entry.map_err(|e| err("stale read", e))?;
            gone.push((k.value(), v.value()));
        }
        for ((superseded_at, page), version) in gone {
            if !spans_checkpoint(version, superseded_at, interval) {
                pages.remove((page, version)).map_err(|e| err("prune page", e))?;
            }
            stale.remove((superseded_at, page)).map_err(|e| err("prune stale", e))?;
        }
    }
    meta.insert(PRUNED_THROUGH, &through.to_be_bytes()[..]).map_err(|e| err("write meta", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tables::split_history_key;
    use super::*;

    #[test]
    fn history_keys_split_back() {
        let kh = [7u8; 32];
        assert_eq!(split_history_key(&history_key(&kh, 42)).unwrap(), (kh, 42));
    }
}
