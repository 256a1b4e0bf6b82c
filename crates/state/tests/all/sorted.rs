//! A journal given a change set whole ([`Journal::apply_set`], which keeps it sorted
//! under its overlay) reads, scans, deletes, lists changes, reverts and commits exactly
//! as one given the same writes one by one ([`Journal::apply`]), before and after it
//! moves them into its overlay ([`Journal::prepare_reads`]) and after a failed commit.

use std::collections::BTreeMap;
use std::sync::Arc;

use cove_state::{Backend, ChangeSet, Journal, MemBackend, Order};
use proptest::prelude::*;

use crate::twin::{Op, entry, key, keys, op, run};
use crate::{next_block, seed};

/// Every read of `a` and `b` agrees: entries, scans (with what they walked) and changes.
fn same(a: &Journal, b: &Journal, limit: usize) -> Result<(), TestCaseError> {
    for p in [b"a".as_slice(), b"b", b"c", b""] {
        for order in [Order::Ascending, Order::Descending] {
            for end in [Some(b"4".as_slice()), None] {
                let x = a.scan_range(p, None, end, order, limit).unwrap();
                let y = b.scan_range(p, None, end, order, limit).unwrap();
                prop_assert_eq!(x, y, "scan of {:?} to {:?} {:?} limit {}", p, end, order, limit);
            }
        }
        let x: Vec<_> = a.overlay_range(p, None).collect();
        let y: Vec<_> = b.overlay_range(p, None).collect();
        prop_assert_eq!(x, y);
    }
    for k in keys() {
        prop_assert_eq!(a.get(&k).unwrap(), b.get(&k).unwrap());
        prop_assert_eq!(a.overlay_entry(&k), b.overlay_entry(&k));
        let via = b.get_with(&k, |v| v.map(<[u8]>::to_vec)).unwrap();
        prop_assert_eq!(b.get(&k).unwrap(), via);
    }
    prop_assert_eq!(a.changes(), b.changes());
    prop_assert_eq!(a.is_empty(), b.is_empty());
    Ok(())
}

/// Everything committed to `backend`.
fn contents(backend: &dyn Backend) -> Vec<(Vec<u8>, Vec<u8>)> {
    backend.scan_range(b"", None, None, Order::Ascending, usize::MAX).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_change_set_kept_sorted_reads_and_commits_as_one_applied(
        committed in prop::collection::btree_map(key(), prop::collection::vec(any::<u8>(), 0..3), 0..8),
        before in prop::collection::vec(op(), 0..4),
        set in prop::collection::btree_map(key(), entry(), 0..10),
        middle in prop::collection::vec(op(), 0..6),
        ops in prop::collection::vec(op(), 0..24),
        limit in 0usize..6,
        fail_then_revert in any::<bool>(),
    ) {
        let items: Vec<(&[u8], &[u8])> = committed.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        let (one_backend, sorted_backend) = (Arc::new(MemBackend::new()), Arc::new(MemBackend::new()));
        seed(&*one_backend, &items);
        seed(&*sorted_backend, &items);
        let mut one = Journal::new(one_backend.clone());
        let mut sorted = Journal::new(sorted_backend.clone());
        // What runs before the set (it is kept sorted only by an empty journal with no
        // live checkpoint), then the set, then what runs after.
        let mut outer = Vec::new();
        for op in before {
            run(op, &mut one, &mut sorted, &mut outer)?;
        }
        one.apply(set.clone());
        sorted.apply_set(set.into_iter().collect::<ChangeSet>());
        same(&one, &sorted, limit)?;
        // Writes over the set, and moving it into the overlay, with no checkpoint live.
        for op in middle.into_iter().filter(|op| matches!(op, Op::Set(..) | Op::Delete(_) | Op::Prepare)) {
            run(op, &mut one, &mut sorted, &mut outer)?;
            same(&one, &sorted, limit)?;
        }
        let (cp_one, cp_sorted) = (one.checkpoint(), sorted.checkpoint());
        // Reverts and accepts after it reach only checkpoints taken after it.
        let mut inner = Vec::new();
        for op in ops {
            run(op, &mut one, &mut sorted, &mut inner)?;
            same(&one, &sorted, limit)?;
        }
        prop_assert_eq!(
            one.changes_since(cp_one, |_| true).unwrap(),
            sorted.changes_since(cp_sorted, |_| true).unwrap()
        );
        // A commit the backend refuses (not the next height) keeps everything: reads,
        // and a revert of what was written after the last checkpoint.
        let wrong = types::BlockInfo { height: 99, timestamp: 0 };
        prop_assert!(one.commit(&wrong).is_err());
        prop_assert!(sorted.commit(&wrong).is_err());
        same(&one, &sorted, limit)?;
        if fail_then_revert {
            one.revert(cp_one);
            sorted.revert(cp_sorted);
            same(&one, &sorted, limit)?;
        }
        let block = next_block(&*one_backend);
        one.commit(&block).unwrap();
        sorted.commit(&block).unwrap();
        prop_assert!(sorted.is_empty());
        prop_assert_eq!(contents(&*one_backend), contents(&*sorted_backend));
    }
}

#[test]
fn a_change_set_is_taken_whole_and_kept_on_a_failed_commit() {
    let backend = Arc::new(MemBackend::new());
    let mut j = Journal::new(backend.clone());
    let set: ChangeSet = [(b"b".to_vec(), Some(b"2".to_vec())), (b"a".to_vec(), None)].into_iter().collect();
    j.apply_set(set.clone());
    assert_eq!(j.take_changes(), set);
    assert!(j.is_empty());
    // Taken unsorted, from the sorted set or from the hashed overlay: the same writes.
    for prepare in [false, true] {
        j.apply_set(set.clone());
        if prepare {
            j.prepare_reads();
        }
        let mut writes = j.take_writes();
        writes.sort();
        assert_eq!(writes, set.clone().into_writes());
        assert!(j.is_empty());
    }
    j.apply_set(set.clone());
    // A block that does not follow the head is refused: nothing is lost.
    let e = j.commit(&types::BlockInfo { height: 5, timestamp: 0 }).unwrap_err();
    assert!(e.to_string().contains("cannot follow"), "{e}");
    assert_eq!(j.changes(), set);
    assert_eq!(j.get(b"b").unwrap(), Some(b"2".to_vec()));
    j.commit(&next_block(&*backend)).unwrap();
    assert_eq!(backend.get(b"b").unwrap(), Some(b"2".to_vec()));
    let mut all = BTreeMap::new();
    all.extend(contents(&*backend));
    assert_eq!(all.len(), 1);
}
