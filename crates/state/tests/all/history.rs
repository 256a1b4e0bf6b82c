//! The authenticated store: roots, reads at past heights, proofs, pruning, reopen.
//! Invariants 1-5 of `docs/state.md` ("Authenticated state").

use std::collections::BTreeMap;
use std::path::Path;

use cove_state::merkle::{self, ProofError};
use cove_state::{Backend, ChangeSet, History, HistoryError, RedbBackend, StoreConfig};
use tempfile::TempDir;
use types::BlockInfo;

use crate::apply;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Deterministic pseudo-random numbers (xorshift64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `blocks` blocks of random sets and deletes over a small key space (so keys are
/// overwritten, deleted and re-created), as change sets.
fn random_blocks(seed: u64, blocks: usize) -> Vec<ChangeSet> {
    let mut rng = Rng(seed);
    (0..blocks)
        .map(|_| {
            let n = rng.next() % 12;
            (0..n)
                .map(|_| {
                    let key = format!("k{}", rng.next() % 40).into_bytes();
                    let value = (!rng.next().is_multiple_of(4))
                        .then(|| rng.next().to_le_bytes()[..(rng.next() % 9) as usize].to_vec());
                    (key, value)
                })
                .collect()
        })
        .collect()
}

fn apply_model(model: &mut Model, changes: &ChangeSet) {
    for (k, v) in changes.iter() {
        match v {
            Some(v) => model.insert(k.to_vec(), v.to_vec()),
            None => model.remove(k),
        };
    }
}

fn open(dir: &Path, config: StoreConfig) -> RedbBackend {
    RedbBackend::open_with(dir, config).expect("open")
}

fn small(keep_recent: u64, checkpoint_interval: u64) -> StoreConfig {
    // Three blocks per write-back, so reads and proofs also meet blocks still only in
    // the block log.
    StoreConfig {
        tree_depth: 4,
        checkpoint_interval,
        keep_recent,
        write_back_blocks: 3,
        ..StoreConfig::default()
    }
}

fn root_of(config: &StoreConfig, model: &Model) -> merkle::Hash {
    merkle::root_of(config.tree_depth, model.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))
        .expect("depth")
}

#[test]
fn each_root_is_the_root_of_the_state_computed_from_scratch() {
    // The bucket cache on (the default), off, and so small that it evicts all the time:
    // speed only, the same roots.
    for cache in [StoreConfig::default().bucket_cache_leaves, 0, 3] {
        for depth in [0u8, 1, 4, 16] {
            let config = StoreConfig { tree_depth: depth, bucket_cache_leaves: cache, ..small(5, 1_000) };
            let dir = TempDir::new().unwrap();
            let store = open(dir.path(), config);
            let mut model = Model::new();
            for changes in random_blocks(7 + u64::from(depth), 30) {
                apply_model(&mut model, &changes);
                let root = apply(&store, changes).unwrap().expect("redb commits to a root");
                assert_eq!(root, root_of(&config, &model), "depth {depth}, cache {cache}");
                assert_eq!(store.head().unwrap().unwrap().root, Some(root));
            }
        }
    }
}

#[test]
fn the_root_depends_on_the_state_not_on_how_it_was_split_into_blocks() {
    let blocks = random_blocks(11, 40);
    let config = small(1_000, 1_000);
    // One change per block, in order.
    let one = TempDir::new().unwrap();
    let a = open(one.path(), config);
    for changes in &blocks {
        for (k, v) in changes.iter() {
            apply(&a, ChangeSet::new([(k.to_vec(), v.map(<[u8]>::to_vec))])).unwrap();
        }
    }
    // Everything in one block (the last write of a key wins, as in sequence).
    let all = TempDir::new().unwrap();
    let b = open(all.path(), config);
    let merged = ChangeSet::new(blocks.iter().flat_map(|c| c.clone().into_writes()));
    apply(&b, merged).unwrap();
    // The same blocks replayed on a fresh store.
    let again = TempDir::new().unwrap();
    let c = open(again.path(), config);
    for changes in &blocks {
        apply(&c, changes.clone()).unwrap();
    }
    let root = |s: &RedbBackend| s.head().unwrap().unwrap().root;
    assert_eq!(root(&a), root(&b));
    assert_eq!(root(&a), root(&c));
}

#[test]
fn reads_at_every_retained_height_return_what_was_there() {
    let config = small(6, 5);
    let dir = TempDir::new().unwrap();
    let store = open(dir.path(), config);
    let mut states = vec![Model::new()];
    for changes in random_blocks(3, 40) {
        let mut next = states.last().unwrap().clone();
        apply_model(&mut next, &changes);
        states.push(next);
        apply(&store, changes).unwrap();
    }
    let head = 40u64;
    for (height, model) in states.iter().enumerate() {
        let height = height as u64;
        let retained =
            height > head - config.keep_recent || height.is_multiple_of(config.checkpoint_interval);
        match store.at(height) {
            Ok(view) => {
                assert!(retained, "height {height} should have been pruned");
                for i in 0..40 {
                    let key = format!("k{i}").into_bytes();
                    assert_eq!(view.get(&key).unwrap(), model.get(&key).cloned(), "height {height} key k{i}");
                }
                let scanned: Model = view.scan_prefix(b"k1").unwrap().into_iter().collect();
                let expected: Model = model
                    .range(b"k1".to_vec()..)
                    .take_while(|(k, _)| k.starts_with(b"k1"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(scanned, expected, "scan at height {height}");
                assert_eq!(view.head().unwrap().map_or(0, |b| b.height), height);
                let proof = store.proof(b"k5", height).unwrap();
                assert_eq!(proof.value, model.get(&b"k5"[..]).cloned());
                proof.verify(&root_of(&config, model)).unwrap();
            }
            Err(HistoryError::Pruned { oldest, interval, .. }) => {
                assert!(!retained, "height {height} should be readable");
                assert_eq!((oldest, interval), (head - config.keep_recent + 1, config.checkpoint_interval));
            }
            Err(e) => panic!("height {height}: {e}"),
        }
    }
    assert!(matches!(store.at(41), Err(HistoryError::Future { height: 41, head: 40 })));
}

#[test]
fn pruning_bounds_the_versions_kept() {
    let config = small(3, 1_000);
    let dir = TempDir::new().unwrap();
    let store = open(dir.path(), config);
    for i in 0..200u32 {
        apply(&store, ChangeSet::new([(b"hot".to_vec(), Some(i.to_be_bytes().to_vec()))])).unwrap();
    }
    let stats = store.stats().unwrap();
    // The three recent versions, plus none at a checkpoint (none was reached).
    assert_eq!(stats.versions, 3, "{stats:?}");
    assert_eq!(stats.keys, 1);
    assert_eq!(store.at(198).unwrap().get(b"hot").unwrap(), Some(197u32.to_be_bytes().to_vec()));
    assert!(matches!(store.at(197), Err(HistoryError::Pruned { .. })));
}

#[test]
fn checkpoints_survive_pruning() {
    let config = small(2, 10);
    let dir = TempDir::new().unwrap();
    let store = open(dir.path(), config);
    for i in 1..=55u64 {
        let mut writes = vec![(b"hot".to_vec(), Some(i.to_be_bytes().to_vec()))];
        if i % 7 == 0 {
            writes.push((format!("gone{i}").into_bytes(), None));
            writes.push((format!("gone{}", i - 7).into_bytes(), None));
            writes.push((format!("gone{i}").into_bytes(), Some(b"x".to_vec())));
        }
        apply(&store, ChangeSet::new(writes)).unwrap();
    }
    for c in [10u64, 20, 30, 40, 50] {
        let view = store.at(c).unwrap();
        assert_eq!(view.get(b"hot").unwrap(), Some(c.to_be_bytes().to_vec()), "checkpoint {c}");
        let live: Vec<_> = view.scan_prefix(b"gone").unwrap().into_iter().map(|(k, _)| k).collect();
        let last = c / 7 * 7;
        assert_eq!(live, vec![format!("gone{last}").into_bytes()], "checkpoint {c}");
        store.proof(b"hot", c).unwrap().verify(&store.block(c).unwrap().unwrap().root.unwrap()).unwrap();
    }
    // Five checkpoints and two recent heights: seven versions of "hot" at most.
    assert!(store.stats().unwrap().versions <= 7 + 2 * 8, "{:?}", store.stats().unwrap());
}

#[test]
fn proofs_fail_for_a_wrong_value_or_root() {
    let config = StoreConfig::default();
    let dir = TempDir::new().unwrap();
    let store = open(dir.path(), config);
    let writes: ChangeSet = (0..500u32).map(|i| (i.to_be_bytes().to_vec(), Some(vec![i as u8; 3]))).collect();
    let root = apply(&store, writes).unwrap().unwrap();

    let inclusion = store.proof(&7u32.to_be_bytes(), 1).unwrap();
    assert_eq!(inclusion.value, Some(vec![7; 3]));
    inclusion.verify(&root).unwrap();
    let mut lie = inclusion.clone();
    lie.value = Some(vec![8; 3]);
    assert!(matches!(lie.verify(&root), Err(ProofError::RootMismatch { .. })));
    let mut wrong_root = root;
    wrong_root[0] ^= 1;
    assert!(matches!(inclusion.verify(&wrong_root), Err(ProofError::RootMismatch { .. })));

    let absent = store.proof(b"no such key", 1).unwrap();
    assert_eq!(absent.value, None);
    absent.verify(&root).unwrap();
    let mut claims = absent.clone();
    claims.value = Some(b"anything".to_vec());
    assert!(claims.verify(&root).is_err());
}

#[test]
fn a_reopened_store_continues_with_the_same_roots() {
    let config = small(4, 10);
    let blocks = random_blocks(5, 30);
    let straight = TempDir::new().unwrap();
    let a = open(straight.path(), config);
    let mut roots = Vec::new();
    for changes in &blocks {
        roots.push(apply(&a, changes.clone()).unwrap());
    }
    let reopened = TempDir::new().unwrap();
    for (i, changes) in blocks.iter().enumerate() {
        // A new handle for every block: the tree is rebuilt from its pages each time.
        let b = open(reopened.path(), config);
        assert_eq!(apply(&b, changes.clone()).unwrap(), roots[i], "block {}", i + 1);
    }
}

#[test]
fn a_block_out_of_sequence_is_refused_and_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path(), StoreConfig::default());
    apply(&store, ChangeSet::new([(b"a".to_vec(), Some(b"1".to_vec()))])).unwrap();
    let cs = ChangeSet::new([(b"a".to_vec(), Some(b"2".to_vec()))]);
    for bad in [BlockInfo { height: 1, timestamp: 0 }, BlockInfo { height: 3, timestamp: 0 }] {
        let (e, back) = store.commit(&bad, cs.clone()).unwrap_err();
        assert!(e.message().contains("cannot follow"), "{e}");
        assert_eq!(back, cs);
    }
    store.commit(&BlockInfo { height: 2, timestamp: 9 }, ChangeSet::default()).unwrap();
    let (e, _) = store.commit(&BlockInfo { height: 3, timestamp: 8 }, cs).unwrap_err();
    assert!(e.message().contains("before its parent"), "{e}");
    assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
}

#[test]
fn a_store_refuses_a_config_that_would_change_its_roots() {
    let dir = TempDir::new().unwrap();
    drop(open(dir.path(), small(5, 10)));
    let e = RedbBackend::open_with(dir.path(), small(5, 20)).unwrap_err();
    assert!(e.message().contains("checkpoint_interval 10"), "{e}");
    let e = RedbBackend::open_with(dir.path(), StoreConfig { tree_depth: 5, ..small(5, 10) }).unwrap_err();
    assert!(e.message().contains("tree_depth 4"), "{e}");
    // keep_recent may change.
    open(dir.path(), small(50, 10));
}

#[test]
fn out_of_range_configs_are_refused() {
    let dir = TempDir::new().unwrap();
    for bad in [
        StoreConfig { tree_depth: merkle::MAX_DEPTH + 1, ..StoreConfig::default() },
        StoreConfig { checkpoint_interval: 0, ..StoreConfig::default() },
        StoreConfig {
            checkpoint_interval: cove_state::MAX_CHECKPOINT_INTERVAL + 1,
            ..StoreConfig::default()
        },
        StoreConfig { keep_recent: 0, ..StoreConfig::default() },
        StoreConfig { keep_recent: cove_state::MAX_KEEP_RECENT + 1, ..StoreConfig::default() },
        StoreConfig { write_back_blocks: 0, ..StoreConfig::default() },
        StoreConfig { write_back_blocks: cove_state::MAX_WRITE_BACK_BLOCKS + 1, ..StoreConfig::default() },
        StoreConfig {
            bucket_cache_leaves: cove_state::MAX_BUCKET_CACHE_LEAVES + 1,
            ..StoreConfig::default()
        },
        StoreConfig { write_back_bytes: 0, ..StoreConfig::default() },
        StoreConfig { write_back_bytes: cove_state::MAX_WRITE_BACK_BYTES + 1, ..StoreConfig::default() },
    ] {
        let e = RedbBackend::open_with(dir.path(), bad).unwrap_err();
        assert!(e.message().starts_with("state config:"), "{e}");
    }
}
