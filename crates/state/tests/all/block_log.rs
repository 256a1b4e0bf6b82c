//! The block log through the store's public API (`docs/state.md`, "The block log"): a
//! store whose tables hold blocks 1..=2 and whose log holds block 3, synced, as a crash
//! right after block 3 was reported leaves it. A byte flipped in that last record is
//! refused, whatever its payload (zeros included), and never dropped as a torn tail; an
//! append torn by a crash is dropped and the store opens at block 2; logs of the older
//! formats are still read.

use std::path::Path;

use cove_state::{Backend, ChangeSet, Hash, RedbBackend, StoreConfig};
use sha2::{Digest, Sha256};
use types::BlockInfo;

const SECTOR: usize = 512;

/// Where the first record of a log in the current format starts: after its
/// one-sector header.
const FIRST_RECORD: usize = SECTOR;

fn config() -> StoreConfig {
    StoreConfig { write_back_blocks: 32, ..StoreConfig::default() }
}

fn small(height: u64) -> ChangeSet {
    ChangeSet::new(vec![(format!("k{height}").into_bytes(), Some(vec![height as u8; 5]))])
}

/// Block 3: 4 KiB of zeros (eight whole sectors of them) between two small writes.
fn zeros_block() -> ChangeSet {
    ChangeSet::new(vec![
        (b"a-before".to_vec(), Some(b"some bytes".to_vec())),
        (b"m-zeros".to_vec(), Some(vec![0; 4096])),
        (b"z-after".to_vec(), Some(b"more bytes".to_vec())),
    ])
}

fn commit(store: &RedbBackend, height: u64, changes: ChangeSet) -> Hash {
    let block = BlockInfo { height, timestamp: height };
    store.commit(&block, changes).map_err(|(e, _)| e).expect("commit").expect("a root")
}

/// What a crash right after block 3 was reported leaves.
struct Crashed {
    /// `state.redb` with blocks 1..=2 written back, closed cleanly.
    tables: Vec<u8>,
    /// `state.wal` holding block 3, as synced when its commit returned.
    log: Vec<u8>,
    root3: Hash,
}

fn crashed() -> Crashed {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    commit(&store, 1, small(1));
    commit(&store, 2, small(2));
    drop(store); // writes blocks 1..=2 back and empties the log
    let tables = std::fs::read(dir.path().join("state.redb")).unwrap();
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    let root3 = commit(&store, 3, zeros_block());
    // Read while the store is open: exactly what the commit synced.
    let log = std::fs::read(dir.path().join("state.wal")).unwrap();
    drop(store);
    Crashed { tables, log, root3 }
}

/// A data directory holding `tables` and `log`.
fn data_dir(tables: &[u8], log: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.redb"), tables).unwrap();
    std::fs::write(dir.path().join("state.wal"), log).unwrap();
    dir
}

fn head(store: &RedbBackend) -> Option<u64> {
    store.head().unwrap().map(|h| h.height)
}

fn read_only(dir: &Path) -> Result<RedbBackend, types::StorageError> {
    RedbBackend::open_read_only(dir, config())
}

#[test]
fn the_undamaged_log_replays_block_3_with_its_zeros() {
    let c = crashed();
    assert!(c.log.starts_with(b"COVEWAL3"), "a new log is written in the current format");
    let dir = data_dir(&c.tables, &c.log);
    assert_eq!(head(&read_only(dir.path()).unwrap()), Some(3));
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    assert_eq!(store.head().unwrap().and_then(|h| h.root), Some(c.root3));
    assert_eq!(store.get(b"m-zeros").unwrap(), Some(vec![0; 4096]));
}

#[test]
fn a_flipped_byte_in_a_last_record_holding_zeros_is_refused_never_dropped() {
    let c = crashed();
    let record = FIRST_RECORD..c.log.len();
    // A sample of the record's bytes (its header, every sector of its body, its hash
    // and padding): each flip is damage to a block reported committed.
    let offsets: Vec<usize> =
        (record.start..record.start + 8).chain(record.clone().step_by(61)).chain([record.end - 1]).collect();
    for at in offsets {
        let mut log = c.log.clone();
        log[at] ^= 0x20;
        let dir = data_dir(&c.tables, &log);
        let errors = [
            read_only(dir.path()).map(|s| head(&s)),
            RedbBackend::open_with(dir.path(), config()).map(|s| head(&s)),
        ];
        for e in errors {
            let e = e.expect_err(&format!("byte {at} flipped: the open must refuse, not drop block 3"));
            assert!(e.is_corrupt(), "byte {at}: {e}");
            assert!(e.message().contains("state.wal"), "byte {at}: {e}");
            assert!(e.message().contains(&format!("at byte {}:", record.start)), "byte {at}: {e}");
        }
        assert_eq!(
            std::fs::read(dir.path().join("state.wal")).unwrap(),
            log,
            "byte {at}: the log was changed"
        );
    }
}

#[test]
fn a_torn_append_is_dropped_and_the_store_opens_at_block_2() {
    let c = crashed();
    let sectors = (FIRST_RECORD / SECTOR)..c.log.len().div_ceil(SECTOR);
    let mut torn = Vec::new();
    // The record's later sectors never written (the file already extended), from each
    // sector on; one sector in the middle never written (written back out of order);
    // and the file cut short.
    for s in sectors.clone().skip(1) {
        let mut log = c.log.clone();
        log[s * SECTOR..].fill(0);
        torn.push(log);
    }
    let middle = (sectors.start + sectors.end) / 2;
    let mut log = c.log.clone();
    log[middle * SECTOR..(middle + 1) * SECTOR].fill(0);
    torn.push(log);
    torn.push(c.log[..c.log.len() - 100].to_vec());
    for log in torn {
        let dir = data_dir(&c.tables, &log);
        assert_eq!(head(&read_only(dir.path()).unwrap()), Some(2));
        assert_eq!(std::fs::read(dir.path().join("state.wal")).unwrap(), log, "a read-only open wrote");
        let store = RedbBackend::open_with(dir.path(), config()).unwrap();
        assert_eq!(head(&store), Some(2));
        assert_eq!(store.get(b"m-zeros").unwrap(), None);
        // Block 3 can be committed again, over the torn tail.
        assert_eq!(commit(&store, 3, zeros_block()), c.root3);
        drop(store);
        let store = RedbBackend::open_with(dir.path(), config()).unwrap();
        assert_eq!(store.head().unwrap().and_then(|h| h.root), Some(c.root3));
    }
}

/// Block 3's record body, as every format encodes it (`docs/state.md`).
fn body(root: &Hash) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&3u64.to_be_bytes());
    out.extend_from_slice(&3u64.to_be_bytes());
    out.extend_from_slice(root);
    let changes = zeros_block();
    out.extend_from_slice(&(changes.len() as u32).to_be_bytes());
    for (key, value) in changes.iter() {
        out.extend_from_slice(&(key.len() as u32).to_be_bytes());
        out.extend_from_slice(key);
        let value = value.expect("block 3 only sets");
        out.push(1);
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(value);
    }
    out
}

/// A log of block 3 in `COVEWAL1` (`v2 == false`) or `COVEWAL2`.
fn old_log(root: &Hash, v2: bool) -> Vec<u8> {
    let body = body(root);
    let len = (body.len() as u32).to_le_bytes();
    let mut log = if v2 { b"COVEWAL2".to_vec() } else { b"COVEWAL1".to_vec() };
    log.extend_from_slice(&len);
    if v2 {
        log.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    }
    log.extend_from_slice(&body);
    log.extend_from_slice(&Sha256::digest(&body));
    log
}

#[test]
fn logs_of_the_older_formats_are_read_and_the_next_log_is_in_the_current_one() {
    let c = crashed();
    for v2 in [false, true] {
        let log = old_log(&c.root3, v2);
        let dir = data_dir(&c.tables, &log);
        let ro = read_only(dir.path()).unwrap();
        assert_eq!(ro.head().unwrap().and_then(|h| h.root), Some(c.root3), "v2 {v2}");
        drop(ro);
        assert_eq!(std::fs::read(dir.path().join("state.wal")).unwrap(), log);
        let store = RedbBackend::open_with(dir.path(), config()).unwrap();
        assert_eq!(store.head().unwrap().and_then(|h| h.root), Some(c.root3), "v2 {v2}");
        assert_eq!(store.get(b"m-zeros").unwrap(), Some(vec![0; 4096]));
        // The open wrote the replayed block back and emptied the log: the next one is new.
        commit(&store, 4, small(4));
        assert!(std::fs::read(dir.path().join("state.wal")).unwrap().starts_with(b"COVEWAL3"));
        drop(store);
        assert_eq!(head(&RedbBackend::open_with(dir.path(), config()).unwrap()), Some(4));
        // Damage before the old format's last record is refused as before.
        let mut log = old_log(&c.root3, v2);
        log[20] ^= 1;
        log.extend_from_slice(&old_log(&c.root3, v2)[8..]);
        let dir = data_dir(&c.tables, &log);
        let e = read_only(dir.path()).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("at byte 8:"), "v2 {v2}: {e}");
    }
}
