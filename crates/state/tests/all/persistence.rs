//! The redb backend: durability across reopen, atomic commits, and errors instead of panics.

use cove_state::{Backend, ChangeSet, RedbBackend};

use crate::{apply, pairs};

#[test]
fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b");
    let backend = RedbBackend::open(&nested).unwrap();
    assert!(nested.join("state.redb").is_file());
    assert_eq!(backend.scan_prefix(b"").unwrap(), Vec::new());
}

#[test]
fn commits_persist_across_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let backend = RedbBackend::open(dir.path()).unwrap();
        let cs = ChangeSet::new([
            (b"k1".to_vec(), Some(b"v1".to_vec())),
            (b"k2".to_vec(), Some(b"v2".to_vec())),
            (b"empty".to_vec(), Some(Vec::new())),
        ]);
        apply(&backend, cs).unwrap();

        let cs = ChangeSet::new([
            (b"k1".to_vec(), None),
            (b"k2".to_vec(), Some(b"v2b".to_vec())),
            (b"never-existed".to_vec(), None),
        ]);
        apply(&backend, cs).unwrap();
    }
    let backend = RedbBackend::open(dir.path()).unwrap();
    assert_eq!(backend.get(b"k1").unwrap(), None);
    assert_eq!(backend.get(b"k2").unwrap(), Some(b"v2b".to_vec()));
    assert_eq!(backend.get(b"empty").unwrap(), Some(Vec::new()));
    assert_eq!(backend.scan_prefix(b"").unwrap(), pairs(&[(b"empty", b""), (b"k2", b"v2b")]));
}

#[test]
fn a_large_change_set_appears_entirely() {
    let dir = tempfile::tempdir().unwrap();
    let backend = RedbBackend::open(dir.path()).unwrap();
    let key = |i: u32| [b"key/".as_slice(), &i.to_be_bytes()].concat();

    let first: ChangeSet = (0..2_000u32).map(|i| (key(i), Some(vec![i as u8; 100]))).collect();
    apply(&backend, first).unwrap();
    assert_eq!(backend.scan_prefix(b"key/").unwrap().len(), 2_000);

    // A second commit that deletes half and rewrites the other half.
    let second: ChangeSet = (0..2_000u32).map(|i| (key(i), (i % 2 == 0).then(|| b"new".to_vec()))).collect();
    apply(&backend, second).unwrap();
    drop(backend);

    let backend = RedbBackend::open(dir.path()).unwrap();
    let all = backend.scan_prefix(b"key/").unwrap();
    assert_eq!(all.len(), 1_000);
    assert!(all.iter().all(|(_, v)| v == b"new"));
    assert_eq!(all.first().unwrap().0, key(0));
    assert_eq!(all.last().unwrap().0, key(1_998));
}

#[test]
fn garbage_file_is_an_error_not_a_panic() {
    for len in [16usize, 4096, 64 * 1024] {
        let dir = tempfile::tempdir().unwrap();
        // Deterministic junk (xorshift), not a redb header.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        std::fs::write(dir.path().join("state.redb"), &junk).unwrap();
        let err = RedbBackend::open(dir.path()).expect_err("garbage must not open");
        assert!(err.message().contains("state.redb"), "error names the file: {err}");
    }
}

#[test]
fn data_dir_that_is_a_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    assert!(RedbBackend::open(&file).is_err());
}

#[test]
fn second_open_of_the_same_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = RedbBackend::open(dir.path()).unwrap();
    let err = RedbBackend::open(dir.path()).expect_err("file is already open");
    assert!(!err.message().is_empty());
}
