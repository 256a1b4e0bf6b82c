//! Journal semantics, run against every backend.

use std::sync::Arc;

use cove_state::{Backend, ChangeSet, Journal, MemBackend, Order, RedbBackend};

use crate::{backends, pairs, seed};

#[test]
fn get_set_delete_semantics() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"committed", b"c0")]);
        let mut j = Journal::new(backend.clone());
        assert!(j.is_empty(), "{name}");
        assert_eq!(j.get(b"missing").unwrap(), None, "{name}");
        assert_eq!(j.get(b"committed").unwrap(), Some(b"c0".to_vec()), "{name}");

        j.set(b"a", b"1");
        assert_eq!(j.get(b"a").unwrap(), Some(b"1".to_vec()), "{name}");
        j.set(b"a", b"2");
        assert_eq!(j.get(b"a").unwrap(), Some(b"2".to_vec()), "{name}");
        // An empty value is a value, not a deletion.
        j.set(b"empty", b"");
        assert_eq!(j.get(b"empty").unwrap(), Some(Vec::new()), "{name}");

        // Overlay shadows the backend; the backend itself is untouched until commit.
        j.set(b"committed", b"c1");
        assert_eq!(j.get(b"committed").unwrap(), Some(b"c1".to_vec()), "{name}");
        assert_eq!(backend.get(b"committed").unwrap(), Some(b"c0".to_vec()), "{name}");
        assert_eq!(backend.get(b"a").unwrap(), None, "{name}");

        assert!(j.delete(b"committed").unwrap(), "{name}");
        assert_eq!(j.get(b"committed").unwrap(), None, "{name}");
        assert_eq!(backend.get(b"committed").unwrap(), Some(b"c0".to_vec()), "{name}");

        // Set after delete resurrects the key.
        j.set(b"committed", b"c2");
        assert_eq!(j.get(b"committed").unwrap(), Some(b"c2".to_vec()), "{name}");
        assert!(!j.is_empty(), "{name}");
    }
}

/// `get_with` sees exactly what `get` returns, from the overlay, the backend (redb uses
/// the copying default, the in-memory backend lends its bytes) or nowhere.
#[test]
fn get_with_agrees_with_get() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"committed", b"c0"), (b"shadowed", b"old"), (b"gone", b"x")]);
        let mut j = Journal::new(backend.clone());
        j.set(b"shadowed", b"new");
        j.set(b"fresh", b"f");
        j.delete(b"gone").unwrap();
        for key in [&b"committed"[..], b"shadowed", b"fresh", b"gone", b"missing"] {
            let via = j.get_with(key, |v| v.map(<[u8]>::to_vec)).unwrap();
            assert_eq!(via, j.get(key).unwrap(), "{name}: {key:?}");
        }
    }
}

#[test]
fn delete_reports_whether_a_value_existed() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"backend-only", b"b"), (b"both", b"old")]);
        let mut j = Journal::new(backend.clone());
        j.set(b"overlay-only", b"o");
        j.set(b"both", b"new");

        assert!(j.delete(b"overlay-only").unwrap(), "{name}: overlay-only");
        assert!(j.delete(b"backend-only").unwrap(), "{name}: backend-only");
        assert!(j.delete(b"both").unwrap(), "{name}: both");
        assert!(!j.delete(b"absent").unwrap(), "{name}: absent");

        // Deleting again: the values are gone now (the backend ones are hidden).
        for key in [&b"overlay-only"[..], b"backend-only", b"both", b"absent"] {
            assert!(!j.delete(key).unwrap(), "{name}: second delete of {key:?}");
            assert_eq!(j.get(key).unwrap(), None, "{name}: {key:?}");
        }

        // Deleting an absent key writes no tombstone.
        let changes = j.changes();
        assert_eq!(changes.get(b"absent"), None, "{name}");
        assert_eq!(changes.get(b"backend-only"), Some(None), "{name}");
    }
}

#[test]
fn nested_checkpoints_revert_exactly() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"k0", b"base"), (b"gone", b"base")]);
        let mut j = Journal::new(backend);
        j.set(b"k1", b"level0");

        let cp1 = j.checkpoint();
        j.set(b"k1", b"level1");
        j.set(b"k2", b"level1");
        assert!(j.delete(b"k0").unwrap());
        let after1 = j.changes();

        let cp2 = j.checkpoint();
        j.set(b"k2", b"level2");
        j.set(b"k3", b"level2");
        j.set(b"k0", b"level2");
        let after2 = j.changes();

        let cp3 = j.checkpoint();
        j.set(b"k3", b"level3");
        j.set(b"k3", b"level3b");
        assert!(j.delete(b"k1").unwrap());
        assert!(j.delete(b"gone").unwrap());
        j.set(b"k4", b"level3");

        j.revert(cp3);
        assert_eq!(j.changes(), after2, "{name}: revert to cp3");
        assert_eq!(j.get(b"k3").unwrap(), Some(b"level2".to_vec()), "{name}");
        assert_eq!(j.get(b"k1").unwrap(), Some(b"level1".to_vec()), "{name}");
        assert_eq!(j.get(b"gone").unwrap(), Some(b"base".to_vec()), "{name}");
        assert_eq!(j.get(b"k4").unwrap(), None, "{name}");

        j.revert(cp2);
        assert_eq!(j.changes(), after1, "{name}: revert to cp2");
        assert_eq!(j.get(b"k0").unwrap(), None, "{name}");
        assert_eq!(j.get(b"k3").unwrap(), None, "{name}");

        j.revert(cp1);
        let expected = ChangeSet::new([(b"k1".to_vec(), Some(b"level0".to_vec()))]);
        assert_eq!(j.changes(), expected, "{name}: revert to cp1");
        assert_eq!(j.get(b"k0").unwrap(), Some(b"base".to_vec()), "{name}");
        assert_eq!(j.get(b"k2").unwrap(), None, "{name}");
    }
}

#[test]
fn reverting_outer_checkpoint_discards_inner_changes() {
    for (name, backend, _dir) in backends() {
        let mut j = Journal::new(backend);
        let outer = j.checkpoint();
        j.set(b"outer", b"1");
        let _inner = j.checkpoint();
        j.set(b"inner", b"2");
        j.set(b"outer", b"3");
        let _innermost = j.checkpoint();
        j.set(b"innermost", b"4");

        j.revert(outer);
        assert!(j.is_empty(), "{name}: {:?}", j.changes());
        for key in [&b"outer"[..], b"inner", b"innermost"] {
            assert_eq!(j.get(key).unwrap(), None, "{name}: {key:?}");
        }
    }
}

#[test]
fn checkpoint_stays_valid_after_reverting_to_it() {
    let mut j = Journal::new(Arc::new(MemBackend::new()));
    j.set(b"a", b"0");
    let cp = j.checkpoint();
    j.set(b"a", b"1");
    j.revert(cp);
    assert_eq!(j.get(b"a").unwrap(), Some(b"0".to_vec()));
    j.set(b"a", b"2");
    j.set(b"b", b"2");
    j.revert(cp);
    assert_eq!(j.get(b"a").unwrap(), Some(b"0".to_vec()));
    assert_eq!(j.get(b"b").unwrap(), None);
}

#[test]
fn writes_without_a_checkpoint_are_kept_by_later_reverts() {
    let mut j = Journal::new(Arc::new(MemBackend::new()));
    j.set(b"a", b"0");
    j.set(b"a", b"1");
    let cp = j.checkpoint();
    j.set(b"a", b"2");
    j.revert(cp);
    assert_eq!(j.get(b"a").unwrap(), Some(b"1".to_vec()));
}

/// A revert invalidates the checkpoints taken after its target; reverting to one of them
/// is a bug in the caller, caught by a debug assertion.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "invalidated")]
fn revert_to_invalidated_checkpoint_is_a_debug_assertion() {
    let mut j = Journal::new(Arc::new(MemBackend::new()));
    let outer = j.checkpoint();
    let inner = j.checkpoint();
    j.revert(outer);
    // The new checkpoint reuses `inner`'s stack slot; `inner` must still be rejected.
    let _newer = j.checkpoint();
    j.set(b"a", b"1");
    j.revert(inner);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "invalidated")]
fn revert_to_checkpoint_from_before_commit_is_a_debug_assertion() {
    let mut j = Journal::new(Arc::new(MemBackend::new()));
    let cp = j.checkpoint();
    j.set(b"a", b"1");
    crate::commit(&mut j).unwrap();
    j.revert(cp);
}

/// In release builds the same misuse is a no-op.
#[test]
#[cfg(not(debug_assertions))]
fn revert_to_invalidated_checkpoint_is_a_no_op_in_release() {
    let mut j = Journal::new(Arc::new(MemBackend::new()));
    let outer = j.checkpoint();
    let inner = j.checkpoint();
    j.revert(outer);
    let _newer = j.checkpoint();
    j.set(b"a", b"1");
    j.revert(inner);
    assert_eq!(j.get(b"a").unwrap(), Some(b"1".to_vec()));

    let cp = j.checkpoint();
    crate::commit(&mut j).unwrap();
    j.set(b"b", b"2");
    j.revert(cp);
    assert_eq!(j.get(b"b").unwrap(), Some(b"2".to_vec()));
}

#[test]
fn scan_prefix_merges_overlay_and_backend() {
    for (name, backend, _dir) in backends() {
        seed(
            &*backend,
            &[
                (b"a", b"outside"),
                (b"p", b"exact-prefix"),
                (b"p1", b"backend"),
                (b"p3", b"backend"),
                (b"p5", b"backend-deleted"),
                (b"q", b"outside"),
            ],
        );
        let mut j = Journal::new(backend);
        j.set(b"p0", b"overlay-new"); // before every backend key
        j.set(b"p3", b"overlay-wins"); // shadows a backend key
        j.set(b"p4", b"overlay-new"); // between backend keys
        assert!(j.delete(b"p5").unwrap()); // hides a backend key
        j.set(b"p9", b"overlay-new"); // after every backend key
        j.set(b"o", b"outside");
        j.set(b"p6", b"x");
        assert!(j.delete(b"p6").unwrap()); // overlay-only deletion

        assert_eq!(
            j.scan_prefix(b"p").unwrap(),
            pairs(&[
                (b"p", b"exact-prefix"),
                (b"p0", b"overlay-new"),
                (b"p1", b"backend"),
                (b"p3", b"overlay-wins"),
                (b"p4", b"overlay-new"),
                (b"p9", b"overlay-new"),
            ]),
            "{name}"
        );
        assert_eq!(j.scan_prefix(b"").unwrap().len(), 9, "{name}: whole keyspace");
        assert_eq!(j.scan_prefix(b"z").unwrap(), Vec::new(), "{name}");
    }
}

#[test]
fn scan_prefix_handles_0xff_prefixes() {
    for (name, backend, _dir) in backends() {
        seed(
            &*backend,
            &[
                (&[0xfe, 0xff], b"before"),
                (&[0xff], b"a"),
                (&[0xff, 0x00], b"b"),
                (&[0xff, 0xff], b"c"),
                (&[0xff, 0xff, 0xff], b"d"),
            ],
        );
        let mut j = Journal::new(backend.clone());
        j.set(&[0xff, 0xff, 0x00], b"e");
        let expected = pairs(&[
            (&[0xff], b"a"),
            (&[0xff, 0x00], b"b"),
            (&[0xff, 0xff], b"c"),
            (&[0xff, 0xff, 0x00], b"e"),
            (&[0xff, 0xff, 0xff], b"d"),
        ]);
        assert_eq!(j.scan_prefix(&[0xff]).unwrap(), expected, "{name}");
        assert_eq!(
            backend.scan_prefix(&[0xff, 0xff]).unwrap(),
            pairs(&[(&[0xff, 0xff], b"c"), (&[0xff, 0xff, 0xff], b"d")]),
            "{name}"
        );
    }
}

#[test]
fn changes_are_net_and_commit_applies_them() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"del", b"x"), (b"keep", b"k")]);
        let mut j = Journal::new(backend.clone());
        j.set(b"a", b"1");
        j.set(b"a", b"2");
        assert!(j.delete(b"del").unwrap());

        let expected = ChangeSet::new([(b"del".to_vec(), None), (b"a".to_vec(), Some(b"2".to_vec()))]);
        assert_eq!(j.changes(), expected, "{name}");
        assert_eq!(j.changes().len(), 2, "{name}");

        // A live checkpoint does not stop a commit (the commit invalidates it).
        let _cp = j.checkpoint();
        crate::commit(&mut j).unwrap();
        assert!(j.is_empty(), "{name}");
        assert!(j.changes().is_empty(), "{name}");
        assert_eq!(backend.get(b"a").unwrap(), Some(b"2".to_vec()), "{name}");
        assert_eq!(backend.get(b"del").unwrap(), None, "{name}");
        assert_eq!(backend.get(b"keep").unwrap(), Some(b"k".to_vec()), "{name}");
        // Reads after commit come from the backend.
        assert_eq!(j.get(b"a").unwrap(), Some(b"2".to_vec()), "{name}");
        // New checkpoints work normally after a commit.
        let cp2 = j.checkpoint();
        j.set(b"a", b"3");
        j.revert(cp2);
        assert_eq!(j.get(b"a").unwrap(), Some(b"2".to_vec()), "{name}");
        assert!(j.is_empty(), "{name}");
    }
}

#[test]
fn commit_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let backend: Arc<dyn Backend> = Arc::new(RedbBackend::open(dir.path()).unwrap());
        let mut j = Journal::new(backend);
        j.set(b"x", b"1");
        j.set(b"y", b"2");
        crate::commit(&mut j).unwrap();
        assert!(j.delete(b"y").unwrap());
        j.set(b"z", b"3");
        crate::commit(&mut j).unwrap();
        // Uncommitted at drop: must not persist.
        j.set(b"uncommitted", b"4");
    }
    let backend: Arc<dyn Backend> = Arc::new(RedbBackend::open(dir.path()).unwrap());
    let j = Journal::new(backend);
    assert_eq!(j.scan_prefix(b"").unwrap(), pairs(&[(b"x", b"1"), (b"z", b"3")]));
    assert_eq!(j.get(b"uncommitted").unwrap(), None);
}

#[test]
fn journal_and_backends_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Journal>();
    assert_send_sync::<MemBackend>();
    assert_send_sync::<RedbBackend>();
    assert_send_sync::<Arc<dyn Backend>>();
}

#[test]
fn accept_keeps_changes_and_drops_the_checkpoint() {
    for (name, backend, _dir) in backends() {
        let mut j = Journal::new(backend);
        let outer = j.checkpoint();
        j.set(b"a", b"1");
        let inner = j.checkpoint();
        j.set(b"b", b"2");
        j.accept(inner);
        assert_eq!(j.get(b"b").unwrap(), Some(b"2".to_vec()), "accepted change kept");
        // The outer checkpoint still reverts everything, the accepted inner change included.
        j.revert(outer);
        assert_eq!(j.get(b"a").unwrap(), None);
        assert_eq!(j.get(b"b").unwrap(), None);
        // With no checkpoint left, accepted changes survive and commit.
        let cp = j.checkpoint();
        j.set(b"c", b"3");
        j.accept(cp);
        crate::commit(&mut j).unwrap();
        assert_eq!(j.get(b"c").unwrap(), Some(b"3".to_vec()), "{name}");
        assert_eq!(j.backend().get(b"c").unwrap(), Some(b"3".to_vec()), "{name}: committed");
    }
}

#[test]
fn the_stamp_moves_exactly_when_reads_could_change() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"k", b"v")]);
        let mut j = Journal::new(backend.clone());
        let s0 = j.stamp().expect("both backends count their commits");
        // Reads, checkpoints, accepts and empty reverts change nothing a read returns.
        j.get(b"k").unwrap();
        let cp = j.checkpoint();
        j.revert(cp);
        j.accept(cp);
        assert!(!j.delete(b"absent").unwrap());
        assert_eq!(j.stamp(), Some(s0), "{name}");

        j.set(b"k", b"w");
        let s1 = j.stamp().unwrap();
        assert_ne!(s1, s0, "{name}: a write");
        let cp = j.checkpoint();
        assert!(j.delete(b"k").unwrap());
        let s2 = j.stamp().unwrap();
        assert_ne!(s2, s1, "{name}: a delete");
        j.revert(cp);
        assert_ne!(j.stamp(), Some(s2), "{name}: a revert that undid something");
        let s3 = j.stamp().unwrap();
        crate::commit(&mut j).unwrap();
        assert_ne!(j.stamp(), Some(s3), "{name}: a commit");

        // Another journal over the same backend: its own stamps, and its commit moves
        // the first journal's stamp too (the backend changed under it).
        let mut other = Journal::new(backend.clone());
        assert_ne!(other.stamp().unwrap().journal, j.stamp().unwrap().journal, "{name}");
        let before = j.stamp();
        other.set(b"k", b"x");
        assert_eq!(j.stamp(), before, "{name}: uncommitted writes elsewhere are invisible");
        crate::commit(&mut other).unwrap();
        assert_ne!(j.stamp(), before, "{name}: a commit by another journal");
    }
}

#[test]
fn a_backend_that_cannot_count_commits_gives_no_stamp() {
    /// Forwards everything but `generation`.
    struct Opaque(MemBackend);
    impl Backend for Opaque {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, cove_state::StorageError> {
            self.0.get(key)
        }
        fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, cove_state::StorageError> {
            self.0.scan_prefix(prefix)
        }
        fn commit(
            &self,
            block: &types::BlockInfo,
            changes: ChangeSet,
        ) -> Result<Option<cove_state::Hash>, (cove_state::StorageError, ChangeSet)> {
            self.0.commit(block, changes)
        }
        fn head(&self) -> Result<Option<cove_state::BlockRecord>, cove_state::StorageError> {
            self.0.head()
        }
    }
    let j = Journal::new(std::sync::Arc::new(Opaque(MemBackend::new())));
    assert_eq!(j.stamp(), None);
}

#[test]
fn change_sets_are_sorted_and_the_last_write_of_a_key_wins() {
    let cs = ChangeSet::new([
        (b"b".to_vec(), Some(b"1".to_vec())),
        (b"a".to_vec(), None),
        (b"b".to_vec(), None),
        (b"c".to_vec(), Some(b"3".to_vec())),
        (b"a".to_vec(), Some(b"2".to_vec())),
    ]);
    let got: Vec<_> = cs.iter().collect();
    assert_eq!(got, vec![(&b"a"[..], Some(&b"2"[..])), (&b"b"[..], None), (&b"c"[..], Some(&b"3"[..]))]);
    assert_eq!(cs.len(), 3);
    assert_eq!(cs.get(b"b"), Some(None));
    assert_eq!(cs.get(b"d"), None);
    // Writes handed over sorted are kept; any that are not are sorted as `new` does.
    assert_eq!(ChangeSet::from_sorted(cs.clone().into_writes()), cs);
    let unsorted = vec![
        (b"b".to_vec(), Some(b"1".to_vec())),
        (b"a".to_vec(), None),
        (b"b".to_vec(), None),
        (b"c".to_vec(), Some(b"3".to_vec())),
        (b"a".to_vec(), Some(b"2".to_vec())),
    ];
    assert_eq!(ChangeSet::from_sorted(unsorted), cs);
}

/// A range scan walks the backend's pairs under the prefix and only the overlay keys in
/// its range, however many other keys the overlay holds; reverts and commits keep the
/// ordered index in step with the overlay.
#[test]
fn scan_range_walks_only_its_range_of_the_overlay() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"p1", b"backend"), (b"p5", b"backend"), (b"q", b"outside")]);
        let mut j = Journal::new(backend);
        for i in 0..1_000u32 {
            j.set(&[b"other".as_slice(), &i.to_be_bytes()].concat(), b"v");
        }
        j.set(b"p2", b"overlay");
        j.set(b"p7", b"overlay");
        assert!(j.delete(b"p5").unwrap());
        let cp = j.checkpoint();
        j.set(b"p3", b"reverted");
        j.revert(cp);

        let scan = j.scan_range(b"p", Some(b"2"), Some(b"6"), Order::Ascending, usize::MAX).unwrap();
        assert_eq!(scan.entries, pairs(&[(b"p2", b"overlay")]), "{name}");
        // Backend: p5 (its range only); overlay: p2 and the deletion of p5.
        assert_eq!(scan.walked.entries, 3, "{name}");
        assert_eq!(scan.walked.bytes, (2 + 7) * 2 + 2, "{name}");

        let all = j.scan_range(b"p", None, None, Order::Ascending, usize::MAX).unwrap();
        assert_eq!(
            all.entries,
            pairs(&[(b"p1", b"backend"), (b"p2", b"overlay"), (b"p7", b"overlay")]),
            "{name}"
        );
        assert_eq!(all.entries, j.scan_prefix(b"p").unwrap(), "{name}");
        assert_eq!(all.walked.entries, 2 + 3, "{name}");

        // The first scans pick their keys out of the overlay, later ones range the
        // ordered index (built after 16): every one finds and walks the same. Then the
        // index follows a write and a revert as the overlay does.
        for _ in 0..40 {
            let again = j.scan_range(b"p", None, None, Order::Ascending, usize::MAX).unwrap();
            assert_eq!((again.entries, again.walked), (all.entries.clone(), all.walked), "{name}");
        }
        let cp = j.checkpoint();
        j.set(b"p4", b"reverted");
        let with = j.scan_range(b"p", Some(b"3"), None, Order::Descending, usize::MAX).unwrap();
        assert_eq!(with.entries, pairs(&[(b"p7", b"overlay"), (b"p4", b"reverted")]), "{name}");
        j.revert(cp);
        let without = j.scan_range(b"p", None, None, Order::Ascending, usize::MAX).unwrap();
        assert_eq!((without.entries, without.walked), (all.entries.clone(), all.walked), "{name}");

        let block = crate::next_block(&**j.backend());
        j.commit(&block).unwrap();
        let scan = j.scan_range(b"p", None, Some(b"5"), Order::Ascending, usize::MAX).unwrap();
        assert_eq!(scan.entries, pairs(&[(b"p1", b"backend"), (b"p2", b"overlay")]), "{name}");
        // After the commit the overlay is empty: only the backend's p1 and p2 in range.
        assert_eq!(scan.walked.entries, 2, "{name}");
    }
}

#[test]
fn a_forked_mem_backend_is_independent_of_its_origin() {
    let origin = MemBackend::new();
    seed(&origin, &[(b"a", b"1"), (b"b", b"2")]);
    let fork = origin.fork().unwrap();
    assert_eq!(fork.head().unwrap(), origin.head().unwrap());
    assert_eq!(fork.scan_prefix(b"").unwrap(), pairs(&[(b"a", b"1"), (b"b", b"2")]));

    // Each moves on alone: a block on one is not on the other.
    seed(&origin, &[(b"a", b"changed")]);
    seed(&fork, &[(b"c", b"3")]);
    assert_eq!(origin.scan_prefix(b"").unwrap(), pairs(&[(b"a", b"changed"), (b"b", b"2")]));
    assert_eq!(fork.scan_prefix(b"").unwrap(), pairs(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]));
    assert_eq!(fork.head().unwrap().unwrap().height, 2);
}

/// Transient entries revert with checkpoints, are never committed or read as state,
/// leave the stamp alone, and are gone for good once cleared.
#[test]
fn transient_entries_revert_with_checkpoints_and_are_never_committed() {
    let mut j = Journal::new(Arc::new(MemBackend::new()));
    let stamp = j.stamp();
    j.set_transient(b"t", Some(b"0"));
    let outer = j.checkpoint();
    j.set_transient(b"t", Some(b"1"));
    j.set_transient(b"u", Some(b"1"));
    let inner = j.checkpoint();
    j.set_transient(b"t", None);
    j.set_transient(b"v", Some(b"2"));
    assert_eq!((j.transient(b"t"), j.transient(b"v")), (None, Some(&b"2"[..])));
    j.revert(inner);
    assert_eq!(
        (j.transient(b"t"), j.transient(b"u"), j.transient(b"v")),
        (Some(&b"1"[..]), Some(&b"1"[..]), None)
    );
    let kept = j.checkpoint();
    j.set_transient(b"w", Some(b"3"));
    j.accept(kept);
    assert_eq!(j.transient(b"w"), Some(&b"3"[..]), "accepted");
    j.revert(outer);
    assert_eq!(j.transient(b"t"), Some(&b"0"[..]), "back to before the outer checkpoint");
    assert_eq!(j.transient_entries().count(), 1);
    assert_eq!(j.stamp(), stamp, "transient entries are no state");
    assert!(j.is_empty() && j.get(b"t").unwrap().is_none(), "nor overlay entries");

    // Cleared inside a live checkpoint: a revert does not bring them back.
    let live = j.checkpoint();
    j.set_transient(b"x", Some(b"4"));
    j.clear_transient();
    assert!(j.transient_is_empty());
    j.set_transient(b"y", Some(b"5"));
    j.revert(live);
    assert!(j.transient_is_empty(), "{:?}", j.transient_entries().collect::<Vec<_>>());

    j.set_transient(b"z", Some(b"6"));
    let backend = j.backend().clone();
    j.commit(&types::BlockInfo { height: 1, timestamp: 1 }).unwrap();
    assert!(j.transient_is_empty(), "a commit drops them");
    assert!(backend.get(b"z").unwrap().is_none(), "never committed");
}

#[test]
fn changes_since_lists_each_changed_key_once_with_its_values_then_and_now() {
    for (name, backend, _dir) in backends() {
        seed(&*backend, &[(b"kept", b"k0"), (b"gone", b"g0"), (b"other", b"o0")]);
        let mut j = Journal::new(backend.clone());
        // Before the transaction, in the block: the overlay holds "early".
        j.set(b"early", b"e0");
        let outer = j.checkpoint();
        j.set(b"early", b"e1");
        j.set(b"kept", b"k1");
        j.set(b"kept", b"k2");
        j.delete(b"gone").unwrap();
        j.set(b"new", b"n1");
        j.set(b"back", b"b1");
        j.delete(b"back").unwrap();
        // A nested failure leaves nothing behind.
        let inner = j.checkpoint();
        j.set(b"reverted", b"r1");
        j.set(b"other", b"o1");
        j.revert(inner);
        let v = |s: &[u8]| Some(s.to_vec());
        let changes = j.changes_since(outer, |_| true).unwrap();
        let got: Vec<_> =
            changes.iter().map(|c| (c.key.as_slice(), c.before.clone(), c.after.clone())).collect();
        assert_eq!(
            got,
            vec![
                (&b"early"[..], v(b"e0"), v(b"e1")),
                (&b"kept"[..], v(b"k0"), v(b"k2")),
                (&b"gone"[..], v(b"g0"), None),
                (&b"new"[..], None, v(b"n1")),
                (&b"back"[..], None, None),
            ],
            "{name}"
        );
        let only: Vec<_> = j.changes_since(outer, |k| k.starts_with(b"n")).unwrap();
        assert_eq!(only.len(), 1, "{name}");
        j.accept(outer);
    }
}

#[test]
fn a_stand_in_journal_refuses_what_needs_a_store() {
    let mut j = Journal::stand_in();
    let refused = |e: cove_state::StorageError| assert!(e.to_string().contains("stand-in"), "{e}");
    refused(j.get(b"k").unwrap_err());
    refused(j.scan_prefix(b"").unwrap_err());
    // Its own writes read back; committing them is refused, and they are kept.
    j.set(b"k", b"v");
    assert_eq!(j.get(b"k").unwrap(), Some(b"v".to_vec()));
    refused(j.commit(&types::BlockInfo { height: 1, timestamp: 0 }).unwrap_err());
    assert_eq!(j.get(b"k").unwrap(), Some(b"v".to_vec()), "nothing lost");
    // One store per thread: stand-ins made on two threads do not share it.
    let here = Arc::as_ptr(Journal::stand_in().backend()) as *const u8;
    let there = std::thread::spawn(|| Arc::as_ptr(Journal::stand_in().backend()) as *const u8 as usize)
        .join()
        .unwrap();
    assert_eq!(here, Arc::as_ptr(j.backend()) as *const u8, "one store per thread");
    assert_ne!(here as usize, there, "another thread's stand-ins have their own");
}
