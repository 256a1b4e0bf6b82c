//! Damaged store files: with one byte of `state.redb` flipped, the store either fails
//! with a `StorageError` or answers exactly what the undamaged store answers; it never
//! panics and never answers something else.
//!
//! The default run flips a deterministic sample of 200 offsets (each test: with redb's
//! integrity check on open and without it, so that the reads' own checks are tried);
//! `COVE_DAMAGE_OFFSETS=N` flips N, `COVE_DAMAGE_EVERY_OFFSET=1` every offset of the
//! file (about 230,000: hours; run it with `--release`), `COVE_DAMAGE_AT=O1,O2,...` the
//! offsets given (to replay one a long run reported). The store is built the same way
//! every time, so an offset names the same byte from run to run (for one redb version
//! and page size).

use std::path::Path;

use cove_state::{Backend, ChangeSet, History, HistoryError, RedbBackend, StoreConfig};
use types::BlockInfo;

/// Offsets flipped in the default run, per integrity-check setting.
const SAMPLE: usize = 200;

/// Small limits so that pruning, checkpoints and several write-backs all happen.
fn config(integrity_check_bytes: u64) -> StoreConfig {
    StoreConfig {
        tree_depth: 6,
        checkpoint_interval: 10,
        keep_recent: 4,
        write_back_blocks: 5,
        integrity_check_bytes,
        ..StoreConfig::default()
    }
}

fn key(i: u64) -> Vec<u8> {
    format!("k/{i:03}").into_bytes()
}

/// 24 blocks: each sets 12 of 150 keys (values of varying length) and deletes 2.
fn build(dir: &Path) {
    let store = RedbBackend::open_with(dir, config(u64::MAX)).expect("open");
    for height in 1..=24u64 {
        let sets = (0..12).map(|j| {
            let i = (height * 37 + j * 11) % 150;
            (key(i), Some(vec![(height + j) as u8; (i % 50) as usize + 1]))
        });
        let deletes = (0..2).map(|j| (key((height * 13 + j) % 150), None));
        let changes: ChangeSet = sets.chain(deletes).collect();
        store.commit(&BlockInfo { height, timestamp: height }, changes).map_err(|(e, _)| e).expect("commit");
    }
}

/// What a prefix scan returns.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// One answer of the store: `Err` only for a storage failure (a clean refusal).
type Answer = Result<String, String>;

fn history_answer<T: std::fmt::Debug>(r: Result<T, HistoryError>) -> Answer {
    match r {
        Ok(v) => Ok(format!("{v:?}")),
        Err(HistoryError::Storage(e)) => Err(e.to_string()),
        // Pruned or future heights: an answer, which must not change.
        Err(e) => Ok(format!("history error: {e}")),
    }
}

fn show<T: std::fmt::Debug>(r: Result<T, types::StorageError>) -> Answer {
    r.map(|v| format!("{v:?}")).map_err(|e| e.to_string())
}

/// Everything the tests ask of the store in `dir`: reads now, at a past height,
/// proofs, then one more block and reads after it. Stops at a failed open. Without
/// the integrity check, prefix scans are left out: a damaged `keys` table can hide a
/// key from them (`docs/state.md`, "Damaged files").
fn answers(dir: &Path, integrity_check_bytes: u64) -> Vec<Answer> {
    let scans = integrity_check_bytes > 0;
    let scan = |r: Result<Pairs, types::StorageError>| {
        if scans { show(r) } else { Ok("not compared".to_owned()) }
    };
    let store = match RedbBackend::open_with(dir, config(integrity_check_bytes)) {
        Ok(store) => store,
        Err(e) => return vec![Err(e.to_string())],
    };
    let mut out = vec![show(store.head())];
    out.extend((0..160).map(|i| show(store.get(&key(i)))));
    out.push(scan(store.scan_prefix(b"k/")));
    out.push(scan(store.scan_prefix(b"k/1")));
    // Reads at past heights: each read is an answer; a view that cannot open gives
    // its error as the answer of each.
    for (height, reads) in [(20u64, 22usize), (10, 2), (3, 1)] {
        match store.at(height) {
            Ok(view) => {
                out.extend((0..150).step_by(7).take(reads - 1).map(|i| show(view.get(&key(i)))));
                out.push(scan(view.scan_prefix(if height == 20 { b"k/0" } else { b"" })));
            }
            Err(e) => out.extend(std::iter::repeat_n(history_answer::<()>(Err(e)), reads)),
        }
    }
    out.extend((0..150).step_by(19).map(|i| history_answer(store.proof(&key(i), 24))));
    out.push(show(store.block(24)));
    let changes: ChangeSet = (0..150).step_by(5).map(|i| (key(i), Some(b"next".to_vec()))).collect();
    let committed = store.commit(&BlockInfo { height: 25, timestamp: 25 }, changes).map_err(|(e, _)| e);
    let failed = committed.is_err();
    out.push(show(committed));
    // After a refused block, reads answer what they answered before it: not compared.
    let after = (0..150).step_by(3).map(|i| show(store.get(&key(i))));
    out.extend(after.map(|a| if failed { Err("after a refused block".to_owned()) } else { a }));
    out.push(show(store.write_back()));
    out
}

/// The offsets to flip in a file of `len` bytes: every one with
/// `COVE_DAMAGE_EVERY_OFFSET=1`, else `COVE_DAMAGE_OFFSETS` (default [`SAMPLE`]) spread
/// over the file, deterministically.
fn offsets(len: u64) -> Vec<u64> {
    if std::env::var("COVE_DAMAGE_EVERY_OFFSET").as_deref() == Ok("1") {
        return (0..len).collect();
    }
    if let Ok(list) = std::env::var("COVE_DAMAGE_AT") {
        return list.split(',').filter_map(|o| o.trim().parse().ok()).filter(|&o| o < len).collect();
    }
    let sample = std::env::var("COVE_DAMAGE_OFFSETS").ok().and_then(|n| n.parse().ok()).unwrap_or(SAMPLE);
    // One offset in each of `sample` equal stretches, at a pseudo-random place in it.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..sample as u64)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (from, to) = (len * i / sample as u64, len * (i + 1) / sample as u64);
            from + state % (to - from).max(1)
        })
        .collect()
}

/// Flips each sampled byte of a copy of the built store and compares the answers.
fn flip_each(integrity_check_bytes: u64) -> (usize, usize) {
    let built = tempfile::tempdir().unwrap();
    build(built.path());
    let file = built.path().join("state.redb");
    let original = std::fs::read(&file).unwrap();
    // Answers of an undamaged copy (opening writes to the file, so each trial copies).
    let expected = {
        let copy = tempfile::tempdir().unwrap();
        std::fs::write(copy.path().join("state.redb"), &original).unwrap();
        answers(copy.path(), integrity_check_bytes)
    };
    assert!(expected.iter().all(Result::is_ok), "the undamaged store answers: {expected:?}");
    let (mut refused, mut same) = (0, 0);
    for offset in offsets(original.len() as u64) {
        let copy = tempfile::tempdir().unwrap();
        let mut bytes = original.clone();
        bytes[offset as usize] ^= 0xff;
        std::fs::write(copy.path().join("state.redb"), &bytes).unwrap();
        let got = answers(copy.path(), integrity_check_bytes);
        for (i, answer) in got.iter().enumerate() {
            if let Ok(answer) = answer {
                let want = expected[i].as_ref().map_or("", String::as_str);
                if answer != want {
                    let at = answer.bytes().zip(want.bytes()).take_while(|(a, b)| a == b).count();
                    let around = |s: &str| {
                        s.get(at.saturating_sub(60)..(at + 60).min(s.len())).unwrap_or("").to_owned()
                    };
                    panic!(
                        "offset {offset}: answer {i} changed at {at}: {:?} instead of {:?}",
                        around(answer),
                        around(want)
                    );
                }
            }
        }
        if got.iter().any(Result::is_err) {
            refused += 1;
        } else {
            same += 1;
        }
    }
    eprintln!("{} of {} bytes: {refused} refused, {same} answered the same", refused + same, original.len());
    (refused, same)
}

#[test]
fn a_flipped_byte_is_refused_or_changes_nothing_with_the_integrity_check() {
    let (refused, _) = flip_each(u64::MAX);
    assert!(refused > 0, "no sampled offset held live data");
}

#[test]
fn a_flipped_byte_is_refused_or_changes_nothing_without_the_integrity_check() {
    let (refused, _) = flip_each(0);
    assert!(refused > 0, "no sampled offset held live data");
}

/// A store of depth 0 (one bucket) holding `a` and `b` at block 1, with the first copy
/// of `find(a's value)` in its file changed; then the store reopened.
fn damaged(find: impl Fn(&[u8]) -> Vec<u8>) -> (tempfile::TempDir, RedbBackend) {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig { tree_depth: 0, ..config(0) };
    {
        let store = RedbBackend::open_with(dir.path(), config).unwrap();
        let changes: ChangeSet =
            [(b"a".to_vec(), Some(b"value-to-damage".to_vec())), (b"b".to_vec(), Some(b"kept".to_vec()))]
                .into_iter()
                .collect();
        store.commit(&BlockInfo { height: 1, timestamp: 1 }, changes).map_err(|(e, _)| e).unwrap();
    }
    let file = dir.path().join("state.redb");
    let mut bytes = std::fs::read(&file).unwrap();
    let needle = find(b"value-to-damage");
    // Found by content, so the test does not depend on redb's page layout.
    let at = bytes.windows(needle.len()).position(|w| w == needle).expect("in the file");
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    let store = RedbBackend::open_with(dir.path(), config).unwrap();
    (dir, store)
}

#[test]
fn a_changed_value_is_refused_by_reads_and_the_commit_keeps_the_honest_root() {
    let (_dir, store) = damaged(<[u8]>::to_vec);
    let e = store.get(b"a").unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("does not match its leaf hash"), "{e}");
    assert!(store.scan_prefix(b"").unwrap_err().is_corrupt());
    assert_eq!(store.get(b"b").unwrap(), Some(b"kept".to_vec()));
    // The root is built from the stored leaf hashes, which are intact: a block that
    // does not read `a` commits the root every node computes.
    let changes: ChangeSet = [(b"b".to_vec(), Some(b"new".to_vec()))].into_iter().collect();
    let root = store.commit(&BlockInfo { height: 2, timestamp: 2 }, changes).map_err(|(e, _)| e).unwrap();
    let expected =
        cove_state::merkle::root_of(0, [(&b"a"[..], &b"value-to-damage"[..]), (b"b", b"new")]).unwrap();
    assert_eq!(root, Some(expected));
}

#[test]
fn a_changed_leaf_hash_is_refused_by_reads_and_by_the_commit() {
    let leaf = |value: &[u8]| {
        let kh = cove_state::merkle::key_hash(b"a");
        cove_state::merkle::leaf_hash(&kh, value).to_vec()
    };
    let (_dir, store) = damaged(leaf);
    assert!(store.get(b"a").unwrap_err().is_corrupt());
    // The commit rehashes the bucket of every key it changes against the tree before
    // building on it: `b` shares the one bucket with `a`.
    let changes: ChangeSet = [(b"b".to_vec(), Some(b"new".to_vec()))].into_iter().collect();
    let (e, _) = store.commit(&BlockInfo { height: 2, timestamp: 2 }, changes).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("do not give its hash"), "{e}");
}

/// The store [`build`] writes, with byte `byte` of the key hash in the `history` key of
/// `key`'s version of block `height` flipped, as one sampled offset of the file flips it.
/// Found by content, every copy (the live page and freed older ones nothing reads), so
/// the test does not depend on redb's layout. Only the key hash the version is filed
/// under changes: its leaf, and so its bucket's hash, are those of the undamaged store.
fn with_a_key_hash_changed(key: &[u8], height: u64, byte: usize) -> (tempfile::TempDir, RedbBackend) {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let file = dir.path().join("state.redb");
    let mut bytes = std::fs::read(&file).unwrap();
    let mut needle = cove_state::merkle::key_hash(key).to_vec();
    needle.extend_from_slice(&height.to_be_bytes());
    let copies: Vec<usize> =
        bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(at, _)| at).collect();
    assert!(!copies.is_empty(), "the version of block {height} is in the file");
    for at in copies {
        bytes[at + byte] ^= 0xff;
    }
    std::fs::write(&file, &bytes).unwrap();
    let store = RedbBackend::open_with(dir.path(), config(0)).unwrap();
    (dir, store)
}

/// Sampled offset 229,682 (redb 4.4, 4 KiB pages: byte 306 of the last page, a leaf of
/// `history`): byte 6 of the key hash of `k/105`'s version of block 15, a value whose
/// version before (block 8) is a deletion. The changed key hash still sorts between its
/// neighbours and stands for no key, so `k/105` read as deleted, and a block setting it
/// superseded the deletion and kept the moved value as a second leaf: a root no other
/// node computes.
#[test]
fn a_value_filed_under_another_key_hash_is_refused_by_reads_and_the_commit() {
    let (_dir, store) = with_a_key_hash_changed(&key(105), 15, 6);
    let changes: ChangeSet = [(key(105), Some(b"next".to_vec()))].into_iter().collect();
    let (e, _) = store.commit(&BlockInfo { height: 25, timestamp: 25 }, changes).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("does not hash to it"), "{e}");
    let e = store.get(&key(105)).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("does not hash to it"), "{e}");
    let e = store.at(20).unwrap().get(&key(105)).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("does not hash to it"), "{e}");
    // A key of the bucket that holds a value is still read: its version and the
    // bucket's hash are intact.
    assert_eq!(store.get(&key(118)).unwrap(), Some(vec![12; 19]));
}

/// Sampled offset 213,904 (byte 912 of page 51, a leaf of `history`): byte 12 of the key
/// hash of `k/079`'s deletion of block 6, before its value of block 14. A deletion
/// stores no key to check; the changed key hash sorts after the value's, so a search of
/// the bucket's key hashes missed `k/079` and it read as absent.
#[test]
fn a_key_hash_out_of_order_is_refused_by_reads_and_the_commit() {
    let (_dir, store) = with_a_key_hash_changed(&key(79), 6, 12);
    let e = store.get(&key(79)).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("out of order"), "{e}");
    let e = store.at(20).unwrap().get(&key(79)).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("out of order"), "{e}");
    let changes: ChangeSet = [(key(79), Some(b"next".to_vec()))].into_iter().collect();
    let (e, _) = store.commit(&BlockInfo { height: 25, timestamp: 25 }, changes).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("out of order"), "{e}");
}

/// A changed timestamp in a block record (the open checks off, as above
/// `integrity_check_bytes`): the record's check refuses it where it was answered, by
/// `head` and by `History::block`, and a commit on it is refused rather than timed
/// against it. Found by content (timestamp ++ root), every copy.
#[test]
fn a_changed_block_timestamp_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let head = RedbBackend::open_with(dir.path(), config(0)).unwrap().head().unwrap().unwrap();
    let (Some(root), 24) = (head.root, head.height) else { panic!("{head:?}") };
    let file = dir.path().join("state.redb");
    let mut bytes = std::fs::read(&file).unwrap();
    let mut needle = head.timestamp.to_be_bytes().to_vec();
    needle.extend_from_slice(&root);
    let copies: Vec<usize> =
        bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(at, _)| at).collect();
    assert!(!copies.is_empty(), "the head's record is in the file");
    for at in copies {
        bytes[at + 7] ^= 0x01;
    }
    std::fs::write(&file, &bytes).unwrap();
    match RedbBackend::open_with(dir.path(), config(0)) {
        Err(e) => assert!(e.is_corrupt() && e.message().contains("fails its check"), "{e}"),
        Ok(store) => {
            let e = store.head().unwrap_err();
            assert!(e.is_corrupt() && e.message().contains("fails its check"), "{e}");
            let e = store
                .commit(
                    &BlockInfo { height: 25, timestamp: 25 },
                    ChangeSet::new([(key(1), Some(b"x".to_vec()))]),
                )
                .unwrap_err()
                .0;
            assert!(e.is_corrupt(), "{e}");
        }
    }
}
