//! The tree against a from-scratch model, and proofs against tampering.

use std::collections::{BTreeMap, HashMap};

use cove_merkle::{
    DEFAULT_DEPTH, Hash, MAX_DEPTH, Proof, ProofError, Tree, ZERO, bucket_hash, bucket_of, key_hash,
    leaf_hash, root_of,
};
use proptest::prelude::*;

/// What a store keeps for the tree: each bucket's leaves by key hash.
#[derive(Default)]
struct Leaves(HashMap<u32, BTreeMap<Hash, Hash>>);

impl Leaves {
    fn write(&mut self, tree: &mut Tree, key: &[u8], value: Option<&[u8]>) {
        let kh = key_hash(key);
        let bucket = bucket_of(&kh, tree.depth());
        let leaves = self.0.entry(bucket).or_default();
        match value {
            Some(v) => leaves.insert(kh, leaf_hash(&kh, v)),
            None => leaves.remove(&kh),
        };
        tree.set_bucket(bucket, bucket_hash(leaves.values()));
    }

    fn bucket(&self, bucket: u32) -> Vec<(Hash, Hash)> {
        self.0.get(&bucket).map(|l| l.iter().map(|(k, v)| (*k, *v)).collect()).unwrap_or_default()
    }
}

fn proof(tree: &mut Tree, leaves: &Leaves, model: &BTreeMap<Vec<u8>, Vec<u8>>, key: &[u8]) -> Proof {
    let bucket = bucket_of(&key_hash(key), tree.depth());
    let siblings = tree.siblings(bucket);
    Proof::new(tree.depth(), key.to_vec(), model.get(key).cloned(), &leaves.bucket(bucket), siblings)
}

fn model_root(depth: u8, model: &BTreeMap<Vec<u8>, Vec<u8>>) -> Hash {
    root_of(depth, model.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap()
}

#[test]
fn an_empty_state_has_the_zero_root() {
    for depth in [0, 1, DEFAULT_DEPTH] {
        assert_eq!(Tree::new(depth).unwrap().root(), ZERO);
        assert_eq!(root_of(depth, []).unwrap(), ZERO);
    }
    assert!(Tree::new(MAX_DEPTH + 1).is_err());
}

/// A known answer, computed independently (Python's hashlib, from the rules in
/// docs/state.md), so the hashing rules cannot change unnoticed: every root of every
/// chain depends on them.
#[test]
fn the_hashing_rules_match_the_documented_ones() {
    let pairs: [(&[u8], &[u8]); 3] = [(b"alpha", b"1"), (b"beta", b"22"), (b"gamma", b"")];
    let root = root_of(2, pairs).unwrap();
    let hex: String = root.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, include_str!("known_root_depth2.txt").trim());
}

#[test]
fn proofs_fail_when_anything_is_changed() {
    let depth = 3;
    let mut tree = Tree::new(depth).unwrap();
    let mut leaves = Leaves::default();
    let mut model = BTreeMap::new();
    for i in 0..40u32 {
        let (k, v) = (format!("key{i}").into_bytes(), format!("value{i}").into_bytes());
        leaves.write(&mut tree, &k, Some(&v));
        model.insert(k, v);
    }
    let root = tree.root();
    let good = proof(&mut tree, &leaves, &model, b"key7");
    good.verify(&root).unwrap();
    assert!(good.others.len() >= 2, "a bucket with neighbours, so dropping one matters");

    let mut p = good.clone();
    p.value = Some(b"value8".to_vec());
    assert!(matches!(p.verify(&root), Err(ProofError::RootMismatch { .. })), "a wrong value");
    let mut p = good.clone();
    p.value = None;
    assert!(matches!(p.verify(&root), Err(ProofError::RootMismatch { .. })), "claiming absence");
    let mut wrong_root = root;
    wrong_root[0] ^= 1;
    assert!(good.verify(&wrong_root).is_err(), "a wrong root");
    let mut p = good.clone();
    p.others.remove(0);
    assert!(p.verify(&root).is_err(), "a leaf hidden");
    let mut p = good.clone();
    p.others.swap(0, 1);
    assert_eq!(p.verify(&root), Err(ProofError::Unordered));
    let mut p = good.clone();
    p.siblings[1][5] ^= 0x80;
    assert!(p.verify(&root).is_err(), "a sibling changed");
    let mut p = good.clone();
    p.siblings.pop();
    assert_eq!(p.verify(&root), Err(ProofError::Siblings { depth, got: 2 }));
    let mut p = good.clone();
    let own = key_hash(b"key7");
    let at = p.others.partition_point(|(h, _)| *h < own);
    p.others.insert(at, (own, leaf_hash(&own, b"value7")));
    assert_eq!(p.verify(&root), Err(ProofError::OwnKeyListed));
    let mut p = good;
    let foreign = (0u32..)
        .map(|i| key_hash(format!("x{i}").as_bytes()))
        .find(|h| bucket_of(h, depth) != bucket_of(&own, depth));
    p.others.push((foreign.unwrap(), ZERO));
    p.others.sort();
    assert!(p.verify(&root).is_err(), "a leaf from another bucket");

    // Non-inclusion: an absent key proves absent, and cannot be proven present.
    let absent = proof(&mut tree, &leaves, &model, b"no such key");
    assert_eq!(absent.value, None);
    absent.verify(&root).unwrap();
    let mut p = absent;
    p.value = Some(Vec::new());
    assert!(p.verify(&root).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>),
    Delete(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..8)).prop_map(|(k, v)| Op::Set(k, v)),
        1 => any::<u8>().prop_map(Op::Delete),
    ]
}

proptest! {
    /// After any sequence of writes, the incremental tree's root is the from-scratch
    /// root of the resulting state (so it is independent of history), and a proof of
    /// any key, present or not, verifies.
    #[test]
    fn the_tree_matches_the_model(depth in 0u8..6, ops in proptest::collection::vec(op(), 0..120), probe in any::<u8>()) {
        let mut tree = Tree::new(depth).unwrap();
        let mut leaves = Leaves::default();
        let mut model = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Set(k, v) => {
                    leaves.write(&mut tree, &[*k], Some(v));
                    model.insert(vec![*k], v.clone());
                }
                Op::Delete(k) => {
                    leaves.write(&mut tree, &[*k], None);
                    model.remove(&vec![*k]);
                }
            }
            if i % 17 == 0 {
                prop_assert_eq!(tree.root(), model_root(depth, &model));
            }
        }
        let root = tree.root();
        prop_assert_eq!(root, model_root(depth, &model));
        let p = proof(&mut tree, &leaves, &model, &[probe]);
        prop_assert_eq!(p.verify(&root), Ok(()));
    }
}
