//! Range reads ([`Backend::scan_range`], [`Journal::scan_range`]): every backend, and
//! every way a redb store holds its blocks (written back, only in its block log, or
//! both; at the head or at a past height), give the pairs of a model of the state, in
//! either order, cut at the limit; the trait's default (for backends that only scan
//! whole prefixes) gives the same.

use std::collections::BTreeMap;
use std::sync::Arc;

use cove_state::{
    Backend, BlockRecord, ChangeSet, Hash, History, Journal, MemBackend, Order, RedbBackend, StorageError,
    StoreConfig,
};
use types::BlockInfo;

use crate::{apply, pairs, seed};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// A backend that implements only the required methods, so `scan_range` is the
/// trait's default.
struct PrefixOnly(MemBackend);

impl Backend for PrefixOnly {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.0.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.0.scan_prefix(prefix)
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        self.0.commit(block, changes)
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        self.0.head()
    }
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// Up to `max` bytes from a few values, the extremes among them, so that keys,
    /// prefixes and bounds meet often.
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        const BYTES: [u8; 4] = [0x00, 0x01, 0x7f, 0xff];
        (0..self.below(max + 1)).map(|_| BYTES[self.below(4) as usize]).collect()
    }

    fn key(&mut self) -> Vec<u8> {
        [&[[b'p', b'q', 0xff][self.below(3) as usize]][..], &self.bytes(3)].concat()
    }

    fn bound(&mut self) -> Option<Vec<u8>> {
        if self.below(4) == 0 { None } else { Some(self.bytes(2)) }
    }
}

/// What `Backend::scan_range` must return, from the model.
fn expected(
    model: &Model,
    prefix: &[u8],
    start: Option<&[u8]>,
    end: Option<&[u8]>,
    order: Order,
    limit: usize,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<_> = model
        .iter()
        .filter(|(k, _)| {
            k.strip_prefix(prefix)
                .is_some_and(|rest| start.is_none_or(|s| rest >= s) && end.is_none_or(|e| rest < e))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if order == Order::Descending {
        out.reverse();
    }
    out.truncate(limit);
    out
}

/// Random range reads of `backend` against `model`.
fn check(name: &str, backend: &dyn Backend, model: &Model, seed: u64) {
    let mut r = Rng(seed);
    for _ in 0..400 {
        let prefix = [&b""[..], b"p", b"q", b"\xff", b"p\x00", b"p\xff"][r.below(6) as usize];
        let (start, end) = (r.bound(), r.bound());
        let order = if r.below(2) == 0 { Order::Ascending } else { Order::Descending };
        let limit = [0, 1, 2, 5, usize::MAX][r.below(5) as usize];
        let got = backend.scan_range(prefix, start.as_deref(), end.as_deref(), order, limit).unwrap();
        let want = expected(model, prefix, start.as_deref(), end.as_deref(), order, limit);
        assert_eq!(got, want, "{name}: {prefix:?} [{start:?}, {end:?}) {order:?} limit {limit}");
    }
}

/// `blocks` blocks of random writes and deletions, and the model after each.
fn history(blocks: u64) -> (Vec<ChangeSet>, Vec<Model>) {
    let mut r = Rng(0x5eed);
    let mut model = Model::new();
    let (mut changes, mut models) = (Vec::new(), Vec::new());
    for h in 0..blocks {
        let mut writes = Vec::new();
        for _ in 0..40 {
            let key = r.key();
            // Later blocks delete more, so tables hold keys the log deletes.
            if r.below(blocks + 2) < h {
                writes.push((key, None));
            } else {
                writes.push((key, Some(vec![h as u8; r.below(3) as usize])));
            }
        }
        let cs: ChangeSet = writes.into_iter().collect();
        for (k, v) in cs.iter() {
            match v {
                Some(v) => model.insert(k.to_vec(), v.to_vec()),
                None => model.remove(k),
            };
        }
        changes.push(cs);
        models.push(model.clone());
    }
    (changes, models)
}

#[test]
fn mem_and_the_default_read_a_range_as_the_model_does() {
    let (changes, models) = history(6);
    let (mem, default) = (MemBackend::new(), PrefixOnly(MemBackend::new()));
    for (h, cs) in changes.into_iter().enumerate() {
        apply(&mem, cs.clone()).unwrap();
        apply(&default, cs).unwrap();
        check("mem", &mem, &models[h], h as u64 + 1);
        check("default", &default, &models[h], h as u64 + 1);
    }
}

/// Blocks 1..=3 written back into the tables, 4..=6 only in the block log (their
/// changes overlay the tables, deleting some of their keys); then all written back.
/// The head and every past height read the same as the model, both times, and again
/// once reopened, read-only, and (the head) restored from a snapshot.
#[test]
fn redb_reads_a_range_as_the_model_does_written_back_or_not() {
    let (changes, models) = history(6);
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig { write_back_blocks: 100, ..StoreConfig::default() };
    let store = RedbBackend::open_with(dir.path(), config).unwrap();
    for (h, cs) in changes.into_iter().enumerate() {
        apply(&store, cs).unwrap();
        if h == 2 {
            store.write_back().unwrap();
        }
    }
    let check_all = |store: &RedbBackend, when: &str| {
        check(&format!("redb head, {when}"), store, &models[5], 7);
        for h in 1..=6u64 {
            let at = store.at(h).unwrap();
            check(&format!("redb at {h}, {when}"), &*at, &models[h as usize - 1], 10 + h);
        }
    };
    check_all(&store, "blocks 4..=6 in the log");
    store.write_back().unwrap();
    check_all(&store, "written back");
    // Reopened, read-only, and restored from a snapshot of the head.
    drop(store);
    check_all(&RedbBackend::open_with(dir.path(), config).unwrap(), "reopened");
    let ro = RedbBackend::open_read_only(dir.path(), config).unwrap();
    check_all(&ro, "read-only");
    let snap = tempfile::tempdir().unwrap();
    let file = snap.path().join("snap");
    ro.export_snapshot(6, &mut std::fs::File::create(&file).unwrap(), &|_, _| {}).unwrap();
    let target = tempfile::tempdir().unwrap();
    let (restored, _) = RedbBackend::import_snapshot(target.path(), config, &file, &|_, _| {}).unwrap();
    check("redb restored from a snapshot", &restored, &models[5], 7);
}

/// The journal merges its overlay into a limited backend read: the pairs it returns
/// are always the first of the whole range, all of them unless the backend returned
/// its limit, and it walks at most `limit` backend pairs.
#[test]
fn journal_range_reads_stop_at_the_backend_limit() {
    for (name, backend, _dir) in crate::backends() {
        let mut r = Rng(0xabc);
        let mut model = Model::new();
        let mut seeded = Vec::new();
        for _ in 0..60 {
            let (k, v) = (r.key(), r.bytes(2));
            model.insert(k.clone(), v.clone());
            seeded.push((k, v));
        }
        let items: Vec<(&[u8], &[u8])> = seeded.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        seed(&*backend, &items);
        let mut j = Journal::new(backend.clone());
        for _ in 0..30 {
            let k = r.key();
            if r.below(2) == 0 {
                j.delete(&k).unwrap();
                model.remove(&k);
            } else {
                j.set(&k, b"overlay");
                model.insert(k, b"overlay".to_vec());
            }
        }
        for _ in 0..400 {
            let prefix = [&b""[..], b"p", b"q", b"\xff"][r.below(4) as usize];
            let (start, end) = (r.bound(), r.bound());
            let order = if r.below(2) == 0 { Order::Ascending } else { Order::Descending };
            let limit = [0, 1, 3, 10, usize::MAX][r.below(5) as usize];
            let (s, e) = (start.as_deref(), end.as_deref());
            let scan = j.scan_range(prefix, s, e, order, limit).unwrap();
            let all = expected(&model, prefix, s, e, order, usize::MAX);
            let what = format!("{name}: {prefix:?} [{start:?}, {end:?}) {order:?} limit {limit}");
            let from_backend = backend.scan_range(prefix, s, e, order, usize::MAX).unwrap().len();
            // An empty range (start >= end) is known to hold nothing: never limited.
            let empty = matches!((s, e), (Some(s), Some(e)) if s >= e);
            assert_eq!(scan.limited, !empty && from_backend >= limit, "{what}");
            if scan.limited {
                assert!(all.starts_with(&scan.entries), "{what}");
            } else {
                assert_eq!(scan.entries, all, "{what}");
            }
            assert!(scan.walked.entries >= from_backend.min(limit) as u64, "{what}");
        }
    }
}

/// A range whose start is above its end is empty (never a panic), in the overlay and
/// in the backend.
#[test]
fn a_range_with_start_above_end_is_empty() {
    for (name, backend, _dir) in crate::backends() {
        seed(&*backend, &[(b"p1", b"backend"), (b"p5", b"backend")]);
        let mut j = Journal::new(backend.clone());
        j.set(b"p3", b"overlay");
        for order in [Order::Ascending, Order::Descending] {
            let scan = j.scan_range(b"p", Some(b"6"), Some(b"2"), order, usize::MAX).unwrap();
            assert_eq!((scan.entries, scan.walked.entries), (pairs(&[]), 0), "{name}");
            let scan = j.scan_range(b"p", Some(b"3"), Some(b"3"), order, usize::MAX).unwrap();
            assert_eq!((scan.entries, scan.walked.entries), (pairs(&[]), 0), "{name}");
            assert!(
                backend.scan_range(b"p", Some(b"6"), Some(b"2"), order, 10).unwrap().is_empty(),
                "{name}"
            );
        }
        let arc: Arc<dyn Backend> = backend;
        assert!(arc.scan_range(b"p", Some(b"\xff"), Some(b"\x00"), Order::Ascending, 1).unwrap().is_empty());
    }
}
