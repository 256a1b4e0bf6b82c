//! The last version of every key hash of the buckets the latest blocks wrote, kept in
//! memory so committing a block need not read a bucket back from `history` that it
//! wrote a few blocks before (`docs/state.md`, "The bucket cache").
//!
//! It holds exactly what [`super::versions::bucket_latest`] would read at the head of
//! the pending write transaction: [`super::commit::write_block`] takes a bucket's
//! entry, updates it with the block's changes and puts it back. Pruning never removes
//! a key's last version, so nothing else can make an entry stale; a commit that fails
//! drops the pending transaction, and the cache is emptied with it before the next one.
//! Only speed depends on it: a miss reads the bucket from the tables.

use std::collections::HashMap;

use merkle::Hash;

/// One bucket: `(key hash, height of its last version, leaf hash or `None` if that
/// version is a deletion)` for every key hash with a version, in ascending key hash.
pub(super) type Latest = Vec<(Hash, u64, Option<Hash>)>;

/// Buckets by number, holding at most `limit` key hashes in all.
#[derive(Debug, Default)]
pub(super) struct BucketCache {
    buckets: HashMap<u32, Latest>,
    /// Key hashes held, over every bucket.
    held: u64,
    limit: u64,
}

impl BucketCache {
    /// An empty cache that will hold up to `limit` key hashes (0: caches nothing).
    pub(super) fn new(limit: u64) -> BucketCache {
        BucketCache { buckets: HashMap::new(), held: 0, limit }
    }

    /// Takes `bucket`'s entry out, if held.
    pub(super) fn take(&mut self, bucket: u32) -> Option<Latest> {
        let latest = self.buckets.remove(&bucket)?;
        self.held -= latest.len() as u64;
        Some(latest)
    }

    /// Holds `latest` as `bucket`'s entry. Past the limit, arbitrary buckets are
    /// dropped until a quarter of it is free again.
    pub(super) fn put(&mut self, bucket: u32, latest: Latest) {
        if self.limit == 0 {
            return;
        }
        self.held += latest.len() as u64;
        if let Some(old) = self.buckets.insert(bucket, latest) {
            self.held -= old.len() as u64;
        }
        if self.held > self.limit {
            let keep = self.limit - self.limit / 4;
            let mut held = self.held;
            self.buckets.retain(|_, latest| {
                if held <= keep {
                    return true;
                }
                held -= latest.len() as u64;
                false
            });
            self.held = held;
        }
    }

    /// Forgets everything (the pending transaction it described is gone).
    pub(super) fn clear(&mut self) {
        self.buckets.clear();
        self.held = 0;
    }

    /// Key hashes held.
    #[cfg(test)]
    pub(super) fn held(&self) -> u64 {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest(n: u8) -> Latest {
        (0..n).map(|i| ([i; 32], 1, Some([i; 32]))).collect()
    }

    #[test]
    fn holds_at_most_its_limit_and_counts_what_it_holds() {
        let mut cache = BucketCache::new(10);
        cache.put(1, latest(4));
        cache.put(2, latest(4));
        assert_eq!(cache.held(), 8);
        cache.put(2, latest(2));
        assert_eq!(cache.held(), 6, "a replaced entry no longer counts");
        cache.put(3, latest(6));
        assert!(cache.held() <= 10 - 10 / 4, "{}", cache.held());
        let taken = cache.take(3).map_or(0, |l| l.len() as u64);
        let left = cache.held();
        assert_eq!(cache.take(3), None);
        assert_eq!(cache.held(), left);
        assert!(taken == 0 || taken == 6);
        cache.clear();
        assert_eq!(cache.held(), 0);
        assert_eq!(cache.take(1), None);
    }

    #[test]
    fn a_zero_limit_caches_nothing() {
        let mut cache = BucketCache::new(0);
        cache.put(1, latest(3));
        assert_eq!(cache.take(1), None);
        assert_eq!(cache.held(), 0);
    }
}
