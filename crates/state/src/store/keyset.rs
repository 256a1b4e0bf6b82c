//! A digest of the `keys` table, so a damaged page of it cannot hide keys from scans
//! (`docs/state.md`, "Damaged files").
//!
//! Values are checked against the Merkle tree on every read, but the `keys` table (every
//! key that ever held a value, read by prefix scans) is not part of the tree: a damaged
//! page of it can drop keys from a scan, or move a key out of its prefix, with nothing to
//! compare against. redb's integrity check would catch that, but a read-only open cannot
//! run it. So `META` records `key_digest`: the XOR of the key hashes of every entry of
//! `keys` and their count (32 + 8 bytes). Entries are only ever added (a key that held a
//! value keeps its entry), each by the commit that first gives the key a value, which
//! updates the digest in the same transaction. An open of a store up to
//! `integrity_check_bytes` recomputes it from the table and refuses the store (`corrupt`)
//! if the two differ: a missing, extra or changed entry changes it.

use merkle::{Hash, key_hash};
use redb::{ReadableTable, WriteTransaction};
use types::StorageError;

use super::tables::{KEYS, META, corrupt};

/// The `META` name of the digest.
const KEY_DIGEST: &str = "key_digest";

/// The XOR of the key hashes of a set of keys, and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct KeyDigest {
    xor: Hash,
    count: u64,
}

impl KeyDigest {
    /// Adds the key whose hash is `kh`.
    pub(super) fn add(&mut self, kh: &Hash) {
        for (x, b) in self.xor.iter_mut().zip(kh) {
            *x ^= b;
        }
        self.count += 1;
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

/// The digest `META` records, if the store has one (stores written before it do not, until
/// their next read-write open).
pub(super) fn recorded(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<KeyDigest>, StorageError> {
    let Some(value) = meta.get(KEY_DIGEST).map_err(|e| err("read meta", e))? else { return Ok(None) };
    KeyDigest::decode(value.value()).map(Some).ok_or_else(|| corrupt("the key digest does not decode"))
}

/// The digest of the `keys` table as it is.
pub(super) fn compute(keys: &impl ReadableTable<&'static [u8], ()>) -> Result<KeyDigest, StorageError> {
    let mut digest = KeyDigest::default();
    for entry in keys.iter().map_err(|e| err("scan keys", e))? {
        let (key, ()) = entry.map(|(k, v)| (k, v.value())).map_err(|e| err("scan keys", e))?;
        digest.add(&key_hash(key.value()));
    }
    Ok(digest)
}

/// Adds the keys whose hashes are `added` (new entries of `keys`, written in `txn`) to the
/// recorded digest.
pub(super) fn add(txn: &WriteTransaction, added: &[Hash]) -> Result<(), StorageError> {
    if added.is_empty() {
        return Ok(());
    }
    let mut meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
    let mut digest = recorded(&meta)?.ok_or_else(|| corrupt("no key digest to extend"))?;
    for kh in added {
        digest.add(kh);
    }
    meta.insert(KEY_DIGEST, &digest.encode()[..]).map_err(|e| err("write meta", e))?;
    Ok(())
}

/// Records the digest of the `keys` table as `txn` holds it: for a new store, one written
/// before the digest existed, or one just filled from a snapshot.
pub(super) fn record(txn: &WriteTransaction) -> Result<(), StorageError> {
    let digest = compute(&txn.open_table(KEYS).map_err(|e| err("open keys", e))?)?;
    let mut meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
    meta.insert(KEY_DIGEST, &digest.encode()[..]).map_err(|e| err("write meta", e))?;
    Ok(())
}

/// Whether `txn` records a digest.
pub(super) fn is_recorded(txn: &WriteTransaction) -> Result<bool, StorageError> {
    Ok(recorded(&txn.open_table(META).map_err(|e| err("open meta", e))?)?.is_some())
}

/// Checks the `keys` table against the recorded digest (nothing to check without one).
pub(super) fn check(txn: &redb::ReadTransaction) -> Result<(), StorageError> {
    let meta = txn.open_table(META).map_err(|e| err("open meta", e))?;
    let Some(want) = recorded(&meta)? else { return Ok(()) };
    let got = compute(&txn.open_table(KEYS).map_err(|e| err("open keys", e))?)?;
    if got != want {
        return Err(corrupt(&format!(
            "the keys table holds {} keys whose digest is not the one recorded for {} keys: \
             a damaged page would hide keys from scans",
            got.count, want.count
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(KeyDigest::decode(&[0; 39]), None);
    }
}
