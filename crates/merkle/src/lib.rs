//! cove's state commitment: a bucketed binary Merkle tree (`docs/state.md`,
//! *Authenticated state*).
//!
//! This crate owns the hashing rules, the in-memory tree over bucket hashes and proofs
//! with their offline verification. It stores nothing: the state store keeps each
//! bucket's leaves and hands them in. A light client needs only this crate to check a
//! proof against a root.
//!
//! The shape: `kh = SHA-256(key)`; the first `depth` bits of `kh` pick one of
//! `2^depth` buckets; a bucket's hash covers its leaves in ascending `kh`; a complete
//! binary tree of that depth sits over the bucket hashes. Every node kind hashes with
//! its own domain byte, and an empty subtree is 32 zero bytes, so an empty tree costs
//! nothing and its root is zero.
//!
//! Invariants:
//! * the root is a function of the set of (key, value) pairs and the depth only, never
//!   of the order in which they were written (history independence);
//! * a [`Proof`] verifies against a root only for its key's true value, or its absence.

mod proof;
mod tree;

use sha2::{Digest, Sha256};

pub use proof::{Proof, ProofError};
pub use tree::{DepthError, Tree};

/// A node hash.
pub type Hash = [u8; 32];

/// The hash of an empty bucket or an empty subtree.
pub const ZERO: Hash = [0; 32];

/// The tree depth of a new store: 65,536 buckets, ~15 leaves each at a million keys.
pub const DEFAULT_DEPTH: u8 = 16;

/// The deepest tree allowed: 4,194,304 buckets, whose inner nodes take 256 MiB in memory.
pub const MAX_DEPTH: u8 = 22;

const LEAF: u8 = 0x00;
const BUCKET: u8 = 0x01;
const INNER: u8 = 0x02;

/// `SHA-256(key)`: where a key lives in the tree.
pub fn key_hash(key: &[u8]) -> Hash {
    Sha256::digest(key).into()
}

/// `SHA-256(0x00 ++ kh ++ SHA-256(value))`.
pub fn leaf_hash(kh: &Hash, value: &[u8]) -> Hash {
    let value_hash: Hash = Sha256::digest(value).into();
    let mut h = Sha256::new();
    h.update([LEAF]);
    h.update(kh);
    h.update(value_hash);
    h.finalize().into()
}

/// The bucket of `kh` in a tree of `depth`: its first `depth` bits.
pub fn bucket_of(kh: &Hash, depth: u8) -> u32 {
    let first = u32::from_be_bytes([kh[0], kh[1], kh[2], kh[3]]);
    if depth == 0 { 0 } else { first >> (32 - u32::from(depth)) }
}

/// `SHA-256(0x01 ++ leaf_1 ++ ... ++ leaf_n)` for the leaves of a bucket in ascending
/// key-hash order; [`ZERO`] for an empty bucket.
pub fn bucket_hash<'a>(leaves: impl IntoIterator<Item = &'a Hash>) -> Hash {
    let mut leaves = leaves.into_iter().peekable();
    if leaves.peek().is_none() {
        return ZERO;
    }
    let mut h = Sha256::new();
    h.update([BUCKET]);
    for leaf in leaves {
        h.update(leaf);
    }
    h.finalize().into()
}

/// `SHA-256(0x02 ++ left ++ right)`, or [`ZERO`] when both children are.
pub fn inner_hash(left: &Hash, right: &Hash) -> Hash {
    if *left == ZERO && *right == ZERO {
        return ZERO;
    }
    let mut h = Sha256::new();
    h.update([INNER]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of `pairs` (distinct keys, any order) computed from scratch: the reference
/// the incremental [`Tree`] must agree with, and what a snapshot import checks.
pub fn root_of<'a>(
    depth: u8,
    pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<Hash, DepthError> {
    let mut leaves: Vec<(Hash, Hash)> = pairs
        .into_iter()
        .map(|(k, v)| {
            let kh = key_hash(k);
            (kh, leaf_hash(&kh, v))
        })
        .collect();
    leaves.sort_unstable_by_key(|(kh, _)| *kh);
    let mut tree = Tree::new(depth)?;
    for bucket in leaves.chunk_by(|a, b| bucket_of(&a.0, depth) == bucket_of(&b.0, depth)) {
        tree.set_bucket(bucket_of(&bucket[0].0, depth), bucket_hash(bucket.iter().map(|(_, leaf)| leaf)));
    }
    Ok(tree.root())
}
