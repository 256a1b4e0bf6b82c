//! Snapshots: export at a height, import into an empty directory; tampered and truncated
//! files are rejected with nothing written.

use std::path::Path;

use cove_state::{Backend, ChangeSet, History, HistoryError, RedbBackend, StoreConfig};
use tempfile::TempDir;

use crate::apply;

fn config() -> StoreConfig {
    StoreConfig {
        tree_depth: 8,
        checkpoint_interval: 10,
        keep_recent: 50,
        write_back_blocks: 4,
        ..StoreConfig::default()
    }
}

/// Block `i`: sets and deletes over 2,000 keys, some values large.
fn block(i: u64) -> ChangeSet {
    (0..300u64)
        .map(|j| {
            let n = (i * 7919 + j * 104_729) % 2_000;
            let key = format!("key/{n}").into_bytes();
            let value = (j % 9 != 0).then(|| vec![(i + j) as u8; ((n * 31) % 700) as usize]);
            (key, value)
        })
        .collect()
}

/// A store of 12 blocks in a new directory.
fn source() -> (TempDir, RedbBackend) {
    let dir = TempDir::new().unwrap();
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    for i in 1..=12 {
        apply(&store, block(i)).unwrap();
    }
    (dir, store)
}

fn export(store: &RedbBackend, height: u64, to: &Path) -> cove_state::Manifest {
    let mut file = std::fs::File::create(to).unwrap();
    store.export_snapshot(height, &mut file, &|_, _| {}).unwrap()
}

fn import(dir: &Path, file: &Path) -> Result<(RedbBackend, cove_state::Manifest), cove_state::StorageError> {
    RedbBackend::import_snapshot(dir, config(), file, &|_, _| {})
}

/// Imports `bytes` (written to a file in `dir`) into a new directory: it must be refused
/// and leave that directory empty. Returns the error.
fn refused(dir: &Path, bytes: &[u8], what: &str) -> cove_state::StorageError {
    let file = dir.join(format!("case-{what}"));
    std::fs::write(&file, bytes).unwrap();
    let target = TempDir::new().unwrap();
    let e = import(target.path(), &file).expect_err(what);
    assert_eq!(std::fs::read_dir(target.path()).unwrap().count(), 0, "{what}: nothing written");
    e
}

#[test]
fn a_snapshot_round_trip_gives_the_same_state_and_root_and_continues_alike() {
    let (dir, store) = source();
    for height in [12u64, 10, 7] {
        let file = dir.path().join(format!("snap-{height}"));
        let manifest = export(&store, height, &file);
        let root = store.block(height).unwrap().unwrap().root.unwrap();
        assert_eq!(manifest.height, height);
        assert!(manifest.keys > 0, "{manifest:?}");

        let target = TempDir::new().unwrap();
        let (restored, m2) = import(target.path(), &file).unwrap();
        assert_eq!(m2, manifest);
        let head = restored.head().unwrap().unwrap();
        assert_eq!((head.height, head.root), (height, Some(root)));
        let original: Vec<_> = store.at(height).unwrap().scan_prefix(b"").unwrap();
        assert_eq!(restored.scan_prefix(b"").unwrap(), original, "height {height}");
        assert_eq!(manifest.keys, original.len() as u64);
        restored.proof(b"key/17", height).unwrap().verify(&root).unwrap();
        assert!(
            matches!(restored.at(height - 1), Err(HistoryError::BeforeBase { base, .. }) if base == height)
        );

        // The restored store goes on exactly as the original did.
        let replay = TempDir::new().unwrap();
        let fresh = RedbBackend::open_with(replay.path(), config()).unwrap();
        for i in 1..=height {
            apply(&fresh, block(i)).unwrap();
        }
        for i in height + 1..=height + 3 {
            assert_eq!(apply(&restored, block(i)).unwrap(), apply(&fresh, block(i)).unwrap(), "block {i}");
        }
    }
}

#[test]
fn a_tampered_snapshot_is_rejected_and_writes_nothing() {
    let (dir, store) = source();
    let file = dir.path().join("snap");
    let manifest = export(&store, 12, &file);
    let good = std::fs::read(&file).unwrap();
    let chunk_bytes: u64 = manifest.chunks.iter().map(|c| c.bytes).sum();
    // A byte in the first chunk, in the last chunk, in the manifest's root, in each marker.
    let root_at = good.windows(manifest.root.len()).position(|w| w == manifest.root.as_bytes()).unwrap();
    for at in [0usize, 9, 8 + chunk_bytes as usize - 1, root_at + 5, good.len() - 1, good.len() - 12] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        let e = refused(dir.path(), &bad, &format!("byte {at} flipped"));
        assert!(e.message().contains("snapshot"), "byte {at}: {e}");
    }
}

#[test]
fn a_truncated_snapshot_is_rejected_and_writes_nothing() {
    let (dir, store) = source();
    let file = dir.path().join("snap");
    export(&store, 12, &file);
    let good = std::fs::read(&file).unwrap();
    for len in [0, 7, 8, 100, good.len() / 2, good.len() - 17, good.len() - 1] {
        refused(dir.path(), &good[..len], &format!("cut to {len} bytes"));
    }
}

#[test]
fn import_refuses_a_directory_with_a_store() {
    let (dir, store) = source();
    let file = dir.path().join("snap");
    export(&store, 12, &file);
    drop(store);
    let e = import(dir.path(), &file).expect_err("not empty");
    assert!(e.message().contains("empty data directory"), "{e}");
}
