//! Scans at the head walk only the keys that hold a value there (`live_keys`), however
//! many keys of the range were written and deleted before; scans at past heights still
//! see those keys. What a scan walked is read from [`RedbBackend::scan_walked`], never
//! from a clock. Reopened, read-only and restored from a snapshot, a store gives the
//! same pairs with the same walk.

use std::path::Path;

use cove_state::{Backend, ChangeSet, History, Journal, Order, RedbBackend, StoreConfig};
use tempfile::TempDir;

use crate::apply;

/// Keys written in block 1 under `p/`.
const WRITTEN: u64 = 2_000;
/// Every `KEEP`-th of them survives block 2, which deletes the rest.
const KEEP: u64 = 100;

fn key(i: u64) -> Vec<u8> {
    format!("p/{i:05}").into_bytes()
}

fn config() -> StoreConfig {
    StoreConfig { write_back_blocks: 100, ..StoreConfig::default() }
}

/// Block 1 writes `WRITTEN` keys under `p/` (and keys under `o/` and `q/` on either side);
/// block 2 deletes all of `p/` but every `KEEP`-th; block 3 brings one deleted key back
/// and overwrites a live one. Written back into the tables.
fn fill(store: &RedbBackend) {
    let mut first: Vec<(Vec<u8>, Option<Vec<u8>>)> =
        (0..WRITTEN).map(|i| (key(i), Some(i.to_be_bytes().to_vec()))).collect();
    first.extend([b"o/1".to_vec(), b"q/1".to_vec()].map(|k| (k, Some(b"x".to_vec()))));
    apply(store, first.into_iter().collect()).unwrap();
    let deletes: ChangeSet = (0..WRITTEN).filter(|i| i % KEEP != 0).map(|i| (key(i), None)).collect();
    apply(store, deletes).unwrap();
    let third: ChangeSet =
        [(key(1), Some(b"back".to_vec())), (key(KEEP), Some(b"over".to_vec()))].into_iter().collect();
    apply(store, third).unwrap();
    store.write_back().unwrap();
}

/// The keys under `p/` holding a value after block 3.
fn live() -> u64 {
    WRITTEN / KEEP + 1
}

/// `f`'s result and how many key-table entries it walked.
fn walked<T>(store: &RedbBackend, f: impl FnOnce() -> T) -> (T, u64) {
    let before = store.scan_walked();
    let out = f();
    (out, store.scan_walked() - before)
}

/// The scans every form of the store must answer alike: whole prefix, a range, each
/// order, limits.
type Answers = Vec<Vec<(Vec<u8>, Vec<u8>)>>;

fn answers(backend: &dyn Backend) -> Answers {
    let range = |start: Option<&[u8]>, end: Option<&[u8]>, order, limit| {
        backend.scan_range(b"p/", start, end, order, limit).unwrap()
    };
    vec![
        backend.scan_prefix(b"p/").unwrap(),
        range(None, None, Order::Ascending, usize::MAX),
        range(None, None, Order::Descending, usize::MAX),
        range(Some(b"00500"), Some(b"01500"), Order::Ascending, usize::MAX),
        range(Some(b"00002"), None, Order::Ascending, 3),
        range(None, Some(b"01999"), Order::Descending, 2),
    ]
}

/// Checks the head's answers against the live keys and that reaching them walked only
/// live keys; returns them.
fn check_head(name: &str, store: &RedbBackend) -> Answers {
    let (got, walk) = walked(store, || answers(store));
    let all = &got[0];
    assert_eq!(all.len() as u64, live(), "{name}");
    assert_eq!(all[1], (key(1), b"back".to_vec()), "{name}");
    assert_eq!(all[2], (key(KEEP), b"over".to_vec()), "{name}");
    assert_eq!(got[1], *all, "{name}");
    assert_eq!(got[2], all.iter().rev().cloned().collect::<Vec<_>>(), "{name}");
    assert_eq!(got[3].len(), 10, "{name}: 00500, 00600, ..., 01400");
    assert_eq!(got[4].len(), 3, "{name}");
    assert_eq!(got[5].len(), 2, "{name}");
    // Whole prefix three times, the range 10, the limited ones their limits: nothing
    // else, none of the 1,979 deleted keys.
    assert_eq!(walk, 3 * live() + 10 + 3 + 2, "{name}: entries walked");
    got
}

#[test]
fn a_scan_at_the_head_walks_only_the_keys_holding_a_value_and_past_heights_still_see_the_rest() {
    let dir = TempDir::new().unwrap();
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    fill(&store);
    check_head("head", &store);

    // The journal charges a scan for the backend pairs read: now exactly what the
    // backend walked.
    let j = Journal::new(std::sync::Arc::new(store.clone()));
    let (scan, walk) =
        walked(&store, || j.scan_range(b"p/", None, None, Order::Ascending, usize::MAX).unwrap());
    assert_eq!((scan.walked.entries, walk), (live(), live()));

    // Past heights: the deleted keys held values then, and are walked there.
    let (at1, walk) = walked(&store, || store.at(1).unwrap().scan_prefix(b"p/").unwrap());
    assert_eq!((at1.len() as u64, walk), (WRITTEN, WRITTEN));
    assert_eq!(at1[7], (key(7), 7u64.to_be_bytes().to_vec()));
    let (at2, _) = walked(&store, || store.at(2).unwrap().scan_prefix(b"p/").unwrap());
    assert_eq!(at2.len() as u64, live() - 1, "key 1 came back only at height 3");

    // A key deleted again leaves the live set; its neighbours stay.
    apply(&store, [(key(1), None)].into_iter().collect()).unwrap();
    store.write_back().unwrap();
    let (all, walk) = walked(&store, || store.scan_prefix(b"p/").unwrap());
    assert_eq!((all.len() as u64, walk), (live() - 1, live() - 1));
    assert_eq!(store.scan_prefix(b"o/").unwrap().len() + store.scan_prefix(b"q/").unwrap().len(), 2);
    assert_eq!(store.stats().unwrap().keys, live() - 1 + 2);
}

/// Blocks only in the block log (not yet written back into the tables): a scan at the
/// head reads them in the pending write transaction, walking only the head's live keys,
/// and answers as the written-back store does.
#[test]
fn blocks_only_in_the_log_give_the_same_answers() {
    let dir = TempDir::new().unwrap();
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    fill(&store);
    let written_back = answers(&store);
    let other = TempDir::new().unwrap();
    let pending = RedbBackend::open_with(other.path(), config()).unwrap();
    // The same blocks, not written back: the deletions are in the overlay.
    let first: ChangeSet = (0..WRITTEN)
        .map(|i| (key(i), Some(i.to_be_bytes().to_vec())))
        .chain([b"o/1".to_vec(), b"q/1".to_vec()].map(|k| (k, Some(b"x".to_vec()))))
        .collect();
    apply(&pending, first).unwrap();
    pending.write_back().unwrap();
    apply(&pending, (0..WRITTEN).filter(|i| i % KEEP != 0).map(|i| (key(i), None)).collect()).unwrap();
    apply(
        &pending,
        [(key(1), Some(b"back".to_vec())), (key(KEEP), Some(b"over".to_vec()))].into_iter().collect(),
    )
    .unwrap();
    // Read in the pending write transaction: the same pairs, and none of the deleted
    // keys walked though the tables (written back after block 1) still list them.
    assert_eq!(check_head("blocks only in the log", &pending), written_back);
    drop(pending);
    // Written back on close: the tables' live set is now the same.
    let pending = RedbBackend::open_with(other.path(), config()).unwrap();
    assert_eq!(check_head("written back on close", &pending), written_back);
}

fn export(store: &RedbBackend, to: &Path) {
    let height = store.head().unwrap().unwrap().height;
    let mut file = std::fs::File::create(to).unwrap();
    store.export_snapshot(height, &mut file, &|_, _| {}).unwrap();
}

#[test]
fn reopened_read_only_and_restored_from_a_snapshot_a_store_answers_and_walks_alike() {
    let dir = TempDir::new().unwrap();
    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    fill(&store);
    let want = check_head("head", &store);
    drop(store);

    let store = RedbBackend::open_with(dir.path(), config()).unwrap();
    assert_eq!(check_head("reopened", &store), want);
    drop(store);

    let ro = RedbBackend::open_read_only(dir.path(), config()).unwrap();
    assert_eq!(check_head("read-only", &ro), want);
    let snap = TempDir::new().unwrap();
    let file = snap.path().join("snap");
    export(&ro, &file);
    drop(ro);

    let target = TempDir::new().unwrap();
    let (restored, manifest) =
        RedbBackend::import_snapshot(target.path(), config(), &file, &|_, _| {}).unwrap();
    assert_eq!(manifest.keys, live() + 2);
    assert_eq!(check_head("restored", &restored), want);
    // It goes on like the original: deleting a key takes it out of the live set.
    apply(&restored, [(key(0), None)].into_iter().collect()).unwrap();
    restored.write_back().unwrap();
    let (all, walk) = walked(&restored, || restored.scan_prefix(b"p/").unwrap());
    assert_eq!((all.len() as u64, walk), (live() - 1, live() - 1));
    drop(restored);
    let ro = RedbBackend::open_read_only(target.path(), config()).unwrap();
    assert_eq!(ro.scan_prefix(b"p/").unwrap(), all);
}
