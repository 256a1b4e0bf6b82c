//! Digests of the `keys` and `live_keys` tables, so a damaged page of either cannot hide
//! keys from scans (`docs/state.md`, "Damaged files").
//!
//! Values are checked against the Merkle tree on every read, but the key tables (`keys`:
//! every key that ever held a value, read by scans at past heights; `live_keys`: every
//! key that holds a value at the head, read by scans there) are not part of the tree: a
//! damaged page of either can drop keys from a scan, or move a key out of its prefix,
//! with nothing to compare against. redb's integrity check would catch that, but a
//! read-only open cannot run it. So `META` records a digest of each: the XOR of the key
//! hashes of its entries and their count (32 + 8 bytes). The commit that adds or removes
//! entries (`keys` only gains them; `live_keys` gains a key when it gets a value and loses
//! it when it is deleted) updates the digest in the same transaction. An open of a store
//! up to `integrity_check_bytes` recomputes both from the tables and refuses the store
//! (`corrupt`) if one differs: a missing, extra or changed entry changes it.

use merkle::{Hash, key_hash};
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use types::StorageError;

use super::tables::{HISTORY, KEYS, LIVE_KEYS, META, Version, corrupt, split_history_key};

/// A table of keys with a digest in `META`.
#[derive(Clone, Copy)]
pub(super) struct KeySet {
    table: TableDefinition<'static, &'static [u8], ()>,
    /// The `META` name of its digest.
    digest: &'static str,
    /// What error messages call it.
    name: &'static str,
}

/// `keys`: every key that ever held a value.
pub(super) const ALL: KeySet = KeySet { table: KEYS, digest: "key_digest", name: "keys" };
/// `live_keys`: every key that holds a value at the head.
pub(super) const LIVE: KeySet = KeySet { table: LIVE_KEYS, digest: "live_key_digest", name: "live_keys" };

/// The XOR of the key hashes of a set of keys, and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct KeyDigest {
    xor: Hash,
    count: u64,
}

impl KeyDigest {
    /// Adds the key whose hash is `kh`.
    pub(super) fn add(&mut self, kh: &Hash) {
        self.flip(kh);
        self.count += 1;
    }

    /// Removes the key whose hash is `kh` (which the set holds).
    pub(super) fn remove(&mut self, kh: &Hash) {
        self.flip(kh);
        self.count = self.count.wrapping_sub(1);
    }

    fn flip(&mut self, kh: &Hash) {
        for (x, b) in self.xor.iter_mut().zip(kh) {
            *x ^= b;
        }
    }

    fn encode(&self) -> [u8; 40] {
        let mut out = [0; 40];
        out[..32].copy_from_slice(&self.xor);
        out[32..].copy_from_slice(&self.count.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<KeyDigest> {
        let bytes: &[u8; 40] = bytes.try_into().ok()?;
        let xor: Hash = bytes[..32].try_into().ok()?;
        Some(KeyDigest { xor, count: u64::from_be_bytes(bytes[32..].try_into().ok()?) })
    }
}

fn err(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("redb: key digest: {what}: {e}"))
}

impl KeySet {
    /// The digest `META` records, if the store has one (stores written before it do not,
    /// until their next read-write open).
    pub(super) fn recorded(
        &self,
        meta: &impl ReadableTable<&'static str, &'static [u8]>,
    ) -> Result<Option<KeyDigest>, StorageError> {
        let Some(value) = meta.get(self.digest).map_err(|e| err("read meta", e))? else { return Ok(None) };
        KeyDigest::decode(value.value())
            .map(Some)
            .ok_or_else(|| corrupt(&format!("the digest of the {} table does not decode", self.name)))
    }

    /// The digest of the table as it is.
    pub(super) fn compute(
        &self,
        keys: &impl ReadableTable<&'static [u8], ()>,
    ) -> Result<KeyDigest, StorageError> {
        let mut digest = KeyDigest::default();
        for entry in keys.iter().map_err(|e| err("scan keys", e))? {
            let (key, ()) = entry.map(|(k, v)| (k, v.value())).map_err(|e| err("scan keys", e))?;
            digest.add(&key_hash(key.value()));
        }
        Ok(digest)
    }

    /// Updates the recorded digest with the keys whose hashes are `added` (new entries of
    /// the table, written in `txn`) and `removed` (entries removed in `txn`).
    pub(super) fn update(
        &self,
        txn: &WriteTransaction,
        added: &[Hash],
        removed: &[Hash],
    ) -> Result<(), StorageError> {
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let mut meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
        let mut digest = self
            .recorded(&meta)?
            .ok_or_else(|| corrupt(&format!("no digest of the {} table to update", self.name)))?;
        for kh in added {
            digest.add(kh);
        }
        for kh in removed {
            digest.remove(kh);
        }
        meta.insert(self.digest, &digest.encode()[..]).map_err(|e| err("write meta", e))?;
        Ok(())
    }

    /// Records the digest of the table as `txn` holds it: for a new store, one written
    /// before the digest existed, or one just filled from a snapshot.
    pub(super) fn record(&self, txn: &WriteTransaction) -> Result<(), StorageError> {
        let digest = self.compute(&txn.open_table(self.table).map_err(|e| err("open keys", e))?)?;
        let mut meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
        meta.insert(self.digest, &digest.encode()[..]).map_err(|e| err("write meta", e))?;
        Ok(())
    }

    /// Whether `txn` records a digest.
    pub(super) fn is_recorded(&self, txn: &WriteTransaction) -> Result<bool, StorageError> {
        Ok(self.recorded(&txn.open_table(META).map_err(|e| err("open meta", e))?)?.is_some())
    }

    /// Checks the table against the recorded digest (nothing to check without one).
    pub(super) fn check(&self, txn: &redb::ReadTransaction) -> Result<(), StorageError> {
        let meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
        let Some(want) = self.recorded(&meta)? else { return Ok(()) };
        let got = self.compute(&txn.open_table(self.table).map_err(|e| err("open keys", e))?)?;
        if got != want {
            return Err(corrupt(&format!(
                "the {} table holds {} keys whose digest is not the one recorded for {} keys: \
                 a damaged page would hide keys from scans",
                self.name, got.count, want.count
            )));
        }
        Ok(())
    }
}

/// Fills `live_keys` (emptied first) with every key whose last version in `history` holds
/// a value, and records its digest: the upgrade of a format-2 store, one pass over
/// `history` (a key's versions are contiguous there, oldest first). A stored key that
/// does not hash to the key hash it is stored under is damage.
pub(super) fn build_live(txn: &WriteTransaction) -> Result<u64, StorageError> {
    txn.delete_table(LIVE_KEYS).map_err(|e| err("empty live_keys", e))?;
    let history = txn.open_table(HISTORY).map_err(|e| err("open history", e))?;
    let mut live = txn.open_table(LIVE_KEYS).map_err(|e| err("open live_keys", e))?;
    let mut count = 0;
    // The last version seen of the current key hash: its key if it holds a value.
    let mut last: Option<(Hash, Option<Vec<u8>>)> = None;
    let mut flush = |last: Option<(Hash, Option<Vec<u8>>)>| -> Result<(), StorageError> {
        if let Some((kh, Some(key))) = last {
            if key_hash(&key) != kh {
                return Err(corrupt("a stored key does not hash to its key hash"));
            }
            live.insert(&key[..], ()).map_err(|e| err("insert live key", e))?;
            count += 1;
        }
        Ok(())
    };
    for entry in history.iter().map_err(|e| err("scan history", e))? {
        let (k, v) = entry.map_err(|e| err("scan history", e))?;
        let (kh, _) = split_history_key(k.value())?;
        let key = match Version::decode(v.value())? {
            Version::Deleted => None,
            Version::Value { key, .. } => Some(key.to_vec()),
        };
        if last.as_ref().is_some_and(|(h, _)| *h != kh) {
            flush(last.take())?;
        }
        last = Some((kh, key));
    }
    flush(last)?;
    drop(live);
    LIVE.record(txn)?;
    Ok(count)
}

/// Checks both key tables against their digests.
pub(super) fn check(txn: &redb::ReadTransaction) -> Result<(), StorageError> {
    ALL.check(txn)?;
    LIVE.check(txn)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use redb::{Database, ReadableDatabase, ReadableTableMetadata};
    use types::BlockInfo;

    use super::super::tables::{FORMAT, FORMAT_VERSION, meta_u64};
    use super::super::{FILE_NAME, RedbBackend};
    use super::*;
    use crate::{Backend, ChangeSet, StoreConfig};

    /// A store whose block 1 writes `k00`..`k99` and block 2 deletes all but `k00`..`k09`.
    fn store_with_deletions(dir: &Path, config: StoreConfig) {
        let store = RedbBackend::open_with(dir, config).unwrap();
        let key = |i: u32| format!("k{i:02}").into_bytes();
        let first: ChangeSet = (0..100).map(|i| (key(i), Some(vec![i as u8]))).collect();
        store.commit(&BlockInfo { height: 1, timestamp: 1 }, first).map_err(|(e, _)| e).unwrap();
        let second: ChangeSet = (10..100).map(|i| (key(i), None)).collect();
        store.commit(&BlockInfo { height: 2, timestamp: 2 }, second).map_err(|(e, _)| e).unwrap();
    }

    /// Writes `f` into the store file directly, as damage or an older cove would.
    fn tamper(dir: &Path, f: impl FnOnce(&WriteTransaction)) {
        let db = Database::create(dir.join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        f(&txn);
        txn.commit().unwrap();
    }

    fn live_scan(store: &RedbBackend) -> (Vec<Vec<u8>>, u64) {
        let before = store.scan_walked();
        let keys = store.scan_prefix(b"k").unwrap().into_iter().map(|(k, _)| k).collect();
        (keys, store.scan_walked() - before)
    }

    #[test]
    fn a_format_2_store_is_read_as_before_read_only_and_gains_live_keys_on_a_read_write_open() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig::default();
        store_with_deletions(dir.path(), config);
        let want: Vec<Vec<u8>> = (0..10).map(|i| format!("k{i:02}").into_bytes()).collect();
        // What format 2 was: no `live_keys`, no digest of it.
        tamper(dir.path(), |txn| {
            assert!(txn.delete_table(LIVE_KEYS).unwrap());
            let mut meta = txn.open_table(META).unwrap();
            meta.remove(LIVE.digest).unwrap();
            meta.insert(FORMAT, &2u64.to_be_bytes()[..]).unwrap();
        });
        // Read-only: the same keys, walking `keys` (all 100) as format 2 did.
        let ro = RedbBackend::open_read_only(dir.path(), config).unwrap();
        assert_eq!(live_scan(&ro), (want.clone(), 100));
        drop(ro);
        // The first read-write open builds `live_keys` and records format 3.
        let store = RedbBackend::open_with(dir.path(), config).unwrap();
        assert_eq!(live_scan(&store), (want.clone(), 10));
        drop(store);
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_read().unwrap();
        assert_eq!(meta_u64(&txn.open_table(META).unwrap(), FORMAT).unwrap(), Some(FORMAT_VERSION));
        assert_eq!(txn.open_table(LIVE_KEYS).unwrap().len().unwrap(), 10);
        LIVE.check(&txn).unwrap();
        drop((txn, db));
        let ro = RedbBackend::open_read_only(dir.path(), config).unwrap();
        assert_eq!(live_scan(&ro), (want, 10));
    }

    #[test]
    fn a_damaged_live_keys_table_fails_both_opens_or_the_commit_that_meets_it() {
        let config = StoreConfig::default();
        let opens = |dir: &Path| {
            for e in [
                RedbBackend::open_read_only(dir, config).unwrap_err(),
                RedbBackend::open_with(dir, config).unwrap_err(),
            ] {
                assert!(e.is_corrupt() && e.message().contains("live_keys table"), "{e}");
            }
        };
        // A live key missing: a scan at the head would not see it.
        let dir = tempfile::tempdir().unwrap();
        store_with_deletions(dir.path(), config);
        tamper(dir.path(), |txn| {
            assert!(txn.open_table(LIVE_KEYS).unwrap().remove(&b"k03"[..]).unwrap().is_some())
        });
        opens(dir.path());
        // A deleted key listed: scans would skip it, but the set no longer matches.
        let dir = tempfile::tempdir().unwrap();
        store_with_deletions(dir.path(), config);
        tamper(dir.path(), |txn| {
            assert!(txn.open_table(LIVE_KEYS).unwrap().insert(&b"k50"[..], ()).unwrap().is_none())
        });
        opens(dir.path());
        // A store too large for the open's check: the commit that changes such a key
        // refuses to build on it.
        let unchecked = StoreConfig { integrity_check_bytes: 0, ..config };
        let dir = tempfile::tempdir().unwrap();
        store_with_deletions(dir.path(), unchecked);
        tamper(dir.path(), |txn| {
            assert!(txn.open_table(LIVE_KEYS).unwrap().remove(&b"k03"[..]).unwrap().is_some())
        });
        let store = RedbBackend::open_with(dir.path(), unchecked).unwrap();
        let gone: ChangeSet = [(b"k03".to_vec(), None)].into_iter().collect();
        let (e, _) = store.commit(&BlockInfo { height: 3, timestamp: 3 }, gone).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("missing from live_keys"), "{e}");
    }

    #[test]
    fn a_digest_is_order_free_and_changes_with_any_key() {
        let (a, b, c) = (key_hash(b"a"), key_hash(b"b"), key_hash(b"c"));
        let mut ab = KeyDigest::default();
        ab.add(&a);
        ab.add(&b);
        let mut ba = KeyDigest::default();
        ba.add(&b);
        ba.add(&a);
        assert_eq!(ab, ba);
        let mut ac = KeyDigest::default();
        ac.add(&a);
        ac.add(&c);
        assert_ne!(ab, ac, "a changed key");
        let mut only_a = KeyDigest::default();
        only_a.add(&a);
        assert_ne!(ab, only_a, "a missing key");
        assert_eq!(KeyDigest::decode(&ab.encode()), Some(ab));
        let mut back = ab;
        back.remove(&b);
        assert_eq!(back, only_a, "removing a key undoes adding it");
        assert_eq!(KeyDigest::decode(&[0; 39]), None);
    }
}
