//! Storage with a life: contract entries that expire after a number of blocks, and the
//! expiry index that removes them from the state (`docs/state.md`, "Storage with a life").
//!
//! This module owns the key layout of lived entries and of their index, the encoding of
//! an entry, and the three ways the state changes for them: a write (which keeps the index
//! in step), a removal, and [`purge`] at a block's commit. It must not decide prices or
//! read the block height itself: callers pass the height a read happens at.
//!
//! Invariants (each a test):
//! * an entry expiring at `e` is alive at heights `< e` only; [`read`] at `h >= e`
//!   answers `None` whether or not [`purge`] has removed it yet;
//! * every entry has exactly one index key, `EXPIRY ++ e ++ address ++ key`, and every
//!   index key names an entry expiring at `e` (a write or removal moves or deletes it);
//! * [`purge`] at `h` removes at most [`MAX_EXPIRIES_PER_BLOCK`] entries, those with the
//!   smallest `(e, address, key)` among `e <= h`, and with each its index key, so the
//!   state after it holds neither: as if the entry had never been written.

use state::{Journal, Order};
use types::{Address, Lived, StorageError};

/// `0x10 ++ address ++ key`: a contract's entry with a life; the value is
/// `expires (u64 BE) ++ value`, `expires` being the first height at which it is absent.
pub const LIVED: u8 = 0x10;
/// `0x11 ++ expires (u64 BE) ++ address ++ key`: the expiry index (value `0x01`).
pub const EXPIRY: u8 = 0x11;

/// The most expired entries one block's commit removes; the rest wait for the next
/// blocks, oldest first (reads already treat them as absent). Bounds the work a commit
/// does for expiry whatever number of entries share an expiry height.
pub const MAX_EXPIRIES_PER_BLOCK: usize = 1_024;

fn encode(value: &[u8], expires: u64) -> Vec<u8> {
    [&expires.to_be_bytes()[..], value].concat()
}

fn decode(bytes: &[u8]) -> Result<Lived, StorageError> {
    match bytes.split_first_chunk::<8>() {
        Some((e, value)) if !value.is_empty() => {
            Ok(Lived { value: value.to_vec(), expires: u64::from_be_bytes(*e) })
        }
        _ => Err(StorageError::corrupt(format!("a lived entry of {} bytes", bytes.len()))),
    }
}

/// The prefix of every lived entry of `address`.
pub fn prefix(address: &Address) -> [u8; 21] {
    let mut p = [0u8; 21];
    p[0] = LIVED;
    p[1..].copy_from_slice(&address.0);
    p
}

/// The state key of `address`'s lived entry `key`.
pub fn key(address: &Address, key: &[u8]) -> Vec<u8> {
    [&prefix(address)[..], key].concat()
}

/// The index key of an entry expiring at `expires`.
pub fn index_key(expires: u64, address: &Address, key: &[u8]) -> Vec<u8> {
    [&[EXPIRY][..], &expires.to_be_bytes(), &address.0, key].concat()
}

/// The entry stored under `key`, alive or not (a reader filters with
/// [`Lived::alive_at`]).
pub fn read_raw(journal: &Journal, address: &Address, k: &[u8]) -> Result<Option<Lived>, StorageError> {
    journal.get(&key(address, k))?.map(|v| decode(&v)).transpose()
}

/// The entry under `key` if it is alive at `height`.
pub fn read(
    journal: &Journal,
    address: &Address,
    k: &[u8],
    height: u64,
) -> Result<Option<Lived>, StorageError> {
    Ok(read_raw(journal, address, k)?.filter(|e| e.alive_at(height)))
}

/// Stores `value` under `key` until `expires` (exclusive), replacing any entry there
/// and moving its index key.
pub fn write(
    journal: &mut Journal,
    address: &Address,
    k: &[u8],
    value: &[u8],
    expires: u64,
) -> Result<(), StorageError> {
    if let Some(old) = read_raw(journal, address, k)?
        && old.expires != expires
    {
        journal.delete(&index_key(old.expires, address, k))?;
    }
    journal.set(&key(address, k), &encode(value, expires));
    journal.set(&index_key(expires, address, k), &[1]);
    Ok(())
}

/// Removes the entry under `key` (alive or not) and its index key; returns what was there.
pub fn remove(journal: &mut Journal, address: &Address, k: &[u8]) -> Result<Option<Lived>, StorageError> {
    let Some(old) = read_raw(journal, address, k)? else { return Ok(None) };
    journal.delete(&key(address, k))?;
    journal.delete(&index_key(old.expires, address, k))?;
    Ok(Some(old))
}

/// Every entry of `address` alive at `height`, in key order (keys without the prefix).
pub fn entries(
    journal: &Journal,
    address: &Address,
    height: u64,
) -> Result<Vec<(Vec<u8>, Lived)>, StorageError> {
    let prefix = prefix(address);
    let mut out = Vec::new();
    for (k, v) in journal.scan_prefix(&prefix)? {
        let entry = decode(&v)?;
        if entry.alive_at(height) {
            out.push((k[prefix.len()..].to_vec(), entry));
        }
    }
    Ok(out)
}

/// Removes the entries expired at `height` (those expiring at or before it), at most
/// `max` of them, oldest expiry first, each with its index key; returns how many. Run by
/// the runtime when it commits block `height`, after its transactions.
pub fn purge(journal: &mut Journal, height: u64, max: usize) -> Result<usize, StorageError> {
    let Some(end) = height.checked_add(1) else {
        return Err(StorageError::corrupt("a block height of u64::MAX"));
    };
    let scan = journal.scan_range(&[EXPIRY], None, Some(&end.to_be_bytes()), Order::Ascending, max)?;
    let mut purged = 0;
    for (index, _) in scan.entries.into_iter().take(max) {
        let (expires, address, k) = parse_index(&index)?;
        journal.delete(&index)?;
        let full = key(&address, k);
        // The index names the entry's expiry, so the entry is the one that expired; an
        // entry holding another expiry would mean a write that did not move its index.
        match journal.get(&full)?.map(|v| decode(&v)).transpose()? {
            Some(entry) if entry.expires == expires => {
                journal.delete(&full)?;
            }
            _ => {
                return Err(StorageError::corrupt(format!(
                    "an expiry index key {} with no entry",
                    hex(&index)
                )));
            }
        }
        purged += 1;
    }
    Ok(purged)
}

fn parse_index(index: &[u8]) -> Result<(u64, Address, &[u8]), StorageError> {
    let bad = || StorageError::corrupt(format!("an expiry index key {}", hex(index)));
    let rest = index.strip_prefix(&[EXPIRY]).ok_or_else(bad)?;
    let (expires, rest) = rest.split_first_chunk::<8>().ok_or_else(bad)?;
    let (address, k) = rest.split_first_chunk::<20>().ok_or_else(bad)?;
    Ok((u64::from_be_bytes(*expires), Address(*address), k))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use state::{Journal, MemBackend};
    use types::{Address, BlockInfo};

    use super::*;

    const A: Address = Address([0xaa; 20]);
    const B: Address = Address([0xbb; 20]);

    fn journal() -> Journal {
        Journal::new(Arc::new(MemBackend::new()))
    }

    fn commit(j: &mut Journal, height: u64) {
        j.commit(&BlockInfo { height, timestamp: height }).expect("commit");
    }

    #[test]
    fn an_entry_lives_until_its_expiry_and_reads_as_absent_from_then_on() {
        let mut j = journal();
        write(&mut j, &A, b"k", b"v", 11).expect("write");
        let e = read(&j, &A, b"k", 10).expect("read").expect("alive at 10");
        assert_eq!((e.value.as_slice(), e.life_at(10)), (&b"v"[..], 1));
        assert_eq!(read(&j, &A, b"k", 11).expect("read"), None);
        // Before any purge the raw entry is still there; readers filter it.
        assert!(read_raw(&j, &A, b"k").expect("read").is_some());
        assert_eq!(entries(&j, &A, 10).expect("scan").len(), 1);
        assert!(entries(&j, &A, 11).expect("scan").is_empty());
    }

    #[test]
    fn a_rewrite_moves_the_index_and_a_removal_drops_it() {
        let mut j = journal();
        write(&mut j, &A, b"k", b"v", 5).expect("write");
        write(&mut j, &A, b"k", b"w", 9).expect("rewrite");
        assert_eq!(j.get(&index_key(5, &A, b"k")).expect("get"), None);
        assert!(j.get(&index_key(9, &A, b"k")).expect("get").is_some());
        assert_eq!(remove(&mut j, &A, b"k").expect("remove").map(|e| e.expires), Some(9));
        assert!(j.changes().iter().all(|(_, v)| v.is_none()), "only deletions are left");
        assert_eq!(remove(&mut j, &A, b"k").expect("remove"), None);
    }

    #[test]
    fn purge_leaves_the_state_of_a_store_that_never_held_the_entries() {
        let mut with = journal();
        let mut without = journal();
        for j in [&mut with, &mut without] {
            j.set(b"\x00other", b"x");
        }
        write(&mut with, &A, b"k", b"v", 3).expect("write");
        write(&mut with, &B, b"k", b"v", 2).expect("write");
        commit(&mut with, 1);
        commit(&mut without, 1);
        assert_eq!(purge(&mut with, 2, MAX_EXPIRIES_PER_BLOCK).expect("purge"), 1);
        assert_eq!(purge(&mut with, 3, MAX_EXPIRIES_PER_BLOCK).expect("purge"), 1);
        commit(&mut with, 2);
        let all = |j: &Journal| j.scan_prefix(b"").expect("scan");
        assert_eq!(all(&with), all(&without));
    }

    #[test]
    fn purge_removes_at_most_max_and_carries_the_rest_over_oldest_first() {
        let mut j = journal();
        for i in 0..10u8 {
            write(&mut j, &A, &[i], b"v", 5 + u64::from(i % 2)).expect("write");
        }
        commit(&mut j, 1);
        // Nothing has expired at 4.
        assert_eq!(purge(&mut j, 4, 3).expect("purge"), 0);
        // At 6 all ten have; three go per block, expiry 5 first.
        assert_eq!(purge(&mut j, 6, 3).expect("purge"), 3);
        let left: Vec<u8> = j.scan_prefix(&prefix(&A)).expect("scan").iter().map(|(k, _)| k[21]).collect();
        assert_eq!(left, [1, 3, 5, 6, 7, 8, 9]);
        commit(&mut j, 2);
        // One purge per block, as the runtime runs it at each commit.
        for (height, purged) in [(3, 3), (4, 3), (5, 1), (6, 0)] {
            assert_eq!(purge(&mut j, 7, 3).expect("purge"), purged, "block {height}");
            commit(&mut j, height);
        }
        assert!(j.scan_prefix(b"").expect("scan").is_empty());
    }

    #[test]
    fn a_damaged_entry_or_index_is_corrupt_not_a_panic() {
        let mut j = journal();
        j.set(&key(&A, b"k"), b"short");
        assert!(read(&j, &A, b"k", 0).expect_err("corrupt").is_corrupt());
        let mut j = journal();
        j.set(&index_key(1, &A, b"k"), &[1]);
        assert!(purge(&mut j, 1, 10).expect_err("corrupt").is_corrupt());
        let mut j = journal();
        j.set(&[EXPIRY, 0, 0], &[1]);
        assert!(purge(&mut j, 1, 10).expect_err("corrupt").is_corrupt());
    }
}
