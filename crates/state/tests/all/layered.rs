//! A journal over a [`Layer`] reads, scans, deletes and lists changes exactly as one
//! journal holding the layer's entries in its own overlay would.

use std::collections::BTreeMap;
use std::sync::Arc;

use cove_state::{Journal, Layer, MemBackend, Order};
use proptest::prelude::*;

use crate::seed;
use crate::twin::{entry, key, keys, op, run};

/// Entries of a layer: key to entry (`None`: deleted).
struct Entries(BTreeMap<Vec<u8>, Option<Vec<u8>>>);

impl Layer for Entries {
    fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.0.get(key).cloned()
    }

    fn range(&self, low: &[u8], high: Option<&[u8]>) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        self.0
            .iter()
            .filter(|(k, _)| k.as_slice() >= low && high.is_none_or(|h| k.as_slice() < h))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_layered_journal_sees_what_one_journal_would(
        committed in prop::collection::btree_map(key(), prop::collection::vec(any::<u8>(), 0..3), 0..8),
        layer in prop::collection::btree_map(key(), entry(), 0..8),
        ops in prop::collection::vec(op(), 0..24),
        limit in 0usize..6,
    ) {
        let backend = Arc::new(MemBackend::new());
        let items: Vec<(&[u8], &[u8])> = committed.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        seed(&*backend, &items);
        // The model: one journal whose overlay holds the layer's entries.
        let mut one = Journal::new(backend.clone());
        one.apply(layer.clone());
        let mut layered = Journal::layered(backend.clone(), Arc::new(Entries(layer)));
        let (cp_one, cp_layered) = (one.checkpoint(), layered.checkpoint());
        let mut live = Vec::new();
        for op in ops {
            run(op, &mut one, &mut layered, &mut live)?;
        }
        for p in [b"a".as_slice(), b"b", b"c", b""] {
            for order in [Order::Ascending, Order::Descending] {
                let a = one.scan_range(p, None, Some(b"4"), order, limit).unwrap();
                let b = layered.scan_range(p, None, Some(b"4"), order, limit).unwrap();
                prop_assert_eq!(a, b, "scan of {:?} {:?} limit {}", p, order, limit);
            }
        }
        for k in keys() {
            prop_assert_eq!(one.get(&k).unwrap(), layered.get(&k).unwrap());
            let via = layered.get_with(&k, |v| v.map(<[u8]>::to_vec)).unwrap();
            prop_assert_eq!(layered.get(&k).unwrap(), via);
        }
        let a = one.changes_since(cp_one, |_| true).unwrap();
        let b = layered.changes_since(cp_layered, |_| true).unwrap();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn a_layered_journal_refuses_to_commit() {
    let backend = Arc::new(MemBackend::new());
    let mut j = Journal::layered(backend.clone(), Arc::new(Entries(BTreeMap::new())));
    j.set(b"k", b"v");
    let e = j.commit(&types::BlockInfo { height: 1, timestamp: 0 }).unwrap_err();
    assert!(e.to_string().contains("cannot commit"), "{e}");
    assert_eq!(j.get(b"k").unwrap(), Some(b"v".to_vec()), "nothing lost");
}
