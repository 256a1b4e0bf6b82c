//! Model-based test: random operation sequences against a `BTreeMap` reference model,
//! on both backends.

use std::collections::BTreeMap;
use std::sync::Arc;

use cove_state::{Backend, Checkpoint, Journal, MemBackend, RedbBackend};
use proptest::prelude::*;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Checkpoint,
    /// Revert to the live checkpoint at this index (modulo the number live); no-op if none.
    Revert(usize),
    Commit,
}

/// Keys of 1 to 3 bytes over a 3-letter alphabet: small enough that keys collide and
/// share prefixes often. Some are then made long ([`shape`]).
const ALPHABET: u8 = 3;

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0..ALPHABET, 1..=3).prop_map(shape)
}

/// 3-byte keys ending in the last letter get 60 more bytes, so the model also has keys
/// of an EVM slot key's size and more.
fn shape(mut key: Vec<u8>) -> Vec<u8> {
    if key.len() == 3 && key[2] == ALPHABET - 1 {
        key.extend_from_slice(&[0xee; 60]);
    }
    key
}

/// Values of 0 to 3 bytes, or of 30 to 39 (around an EVM slot value's 32).
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..4),
        1 => proptest::collection::vec(any::<u8>(), 30..40),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (key(), value())
            .prop_map(|(k, v)| Op::Set(k, v)),
        3 => key().prop_map(Op::Delete),
        2 => Just(Op::Checkpoint),
        2 => any::<usize>().prop_map(Op::Revert),
        1 => Just(Op::Commit),
    ]
}

/// Every key the strategy can produce.
fn universe() -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    for a in 0..ALPHABET {
        keys.push(vec![a]);
        for b in 0..ALPHABET {
            keys.push(vec![a, b]);
            for c in 0..ALPHABET {
                keys.push(shape(vec![a, b, c]));
            }
        }
    }
    keys
}

/// The empty prefix, every 1- and 2-byte prefix, and one that matches nothing.
fn prefixes() -> Vec<Vec<u8>> {
    let mut prefixes = vec![Vec::new(), vec![ALPHABET]];
    prefixes.extend(universe().into_iter().filter(|k| k.len() <= 2));
    prefixes
}

fn model_scan(model: &Map, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    model.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn check(j: &Journal, current: &Map, committed: &Map) -> Result<(), TestCaseError> {
    for k in universe() {
        prop_assert_eq!(j.get(&k).unwrap(), current.get(&k).cloned(), "get {:?}", k);
    }
    for p in prefixes() {
        prop_assert_eq!(j.scan_prefix(&p).unwrap(), model_scan(current, &p), "scan {:?}", p);
    }
    prop_assert_eq!(&j.backend().scan_prefix(b"").unwrap(), &model_scan(committed, b""));
    // Applying the journal's net changes to the committed state gives the current state.
    let mut applied = committed.clone();
    for (k, v) in j.changes().into_writes() {
        match v {
            Some(v) => applied.insert(k, v),
            None => applied.remove(&k),
        };
    }
    prop_assert_eq!(&applied, current);
    if j.is_empty() {
        prop_assert_eq!(current, committed);
    }
    Ok(())
}

/// Runs `ops` on a journal over `backend`; returns the committed model.
fn run(backend: Arc<dyn Backend>, ops: &[Op]) -> Result<Map, TestCaseError> {
    let mut j = Journal::new(backend);
    let mut committed = Map::new();
    let mut current = Map::new();
    // Live checkpoints with the model state at the time each was taken.
    let mut stack: Vec<(Checkpoint, Map)> = Vec::new();
    for op in ops {
        match op {
            Op::Set(k, v) => {
                j.set(k, v);
                current.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                let existed = j.delete(k).unwrap();
                prop_assert_eq!(existed, current.remove(k).is_some(), "delete {:?}", k);
            }
            Op::Checkpoint => stack.push((j.checkpoint(), current.clone())),
            Op::Revert(i) => {
                if !stack.is_empty() {
                    let i = i % stack.len();
                    j.revert(stack[i].0);
                    current = stack[i].1.clone();
                    stack.truncate(i + 1);
                }
            }
            Op::Commit => {
                crate::commit(&mut j).unwrap();
                committed = current.clone();
                stack.clear();
            }
        }
        check(&j, &current, &committed)?;
    }
    Ok(committed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn journal_matches_model_on_mem_backend(ops in proptest::collection::vec(op(), 1..48)) {
        run(Arc::new(MemBackend::new()), &ops)?;
    }

    #[test]
    fn journal_matches_model_on_redb_backend(ops in proptest::collection::vec(op(), 1..48)) {
        let dir = tempfile::tempdir().unwrap();
        let committed = run(Arc::new(RedbBackend::open(dir.path()).unwrap()), &ops)?;
        // Everything committed survives a reopen, and nothing else does.
        let reopened = RedbBackend::open(dir.path()).unwrap();
        prop_assert_eq!(reopened.scan_prefix(b"").unwrap(), model_scan(&committed, b""));
    }
}
