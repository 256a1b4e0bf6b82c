//! Inclusion and non-inclusion proofs, checked without any store.

use crate::{Hash, MAX_DEPTH, bucket_hash, bucket_of, inner_hash, key_hash, leaf_hash};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The depth is above [`MAX_DEPTH`].
    #[error("depth {0} is above the maximum of {MAX_DEPTH}")]
    Depth(u8),
    /// The number of sibling hashes is not the depth.
    #[error("a proof for depth {depth} needs {depth} sibling hashes, not {got}")]
    Siblings {
        /// The proof's depth.
        depth: u8,
        /// How many it has.
        got: usize,
    },
    /// The other leaves are not in strictly ascending key-hash order.
    #[error("the bucket's other leaves are not in strictly ascending key-hash order")]
    Unordered,
    /// One of the other leaves belongs to another bucket.
    #[error("a leaf of the proof is not in the key's bucket")]
    ForeignLeaf,
    /// The key's own hash appears among the other leaves.
    #[error("the proof lists the key itself among the other leaves")]
    OwnKeyListed,
    /// Well formed, but for another root.
    #[error("the proof leads to root {computed}, not {expected}")]
    RootMismatch {
        /// The root the proof leads to, hex.
        computed: String,
        /// The root it was checked against, hex.
        expected: String,
    },
}

/// What the state held under one key at one height, and the hashes that tie it to that
/// height's root: with a value, an inclusion proof; without, a non-inclusion proof.
///
/// The whole bucket is revealed (as leaf hashes), which is what makes non-inclusion
/// checkable: the verifier sees every key hash the bucket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The tree depth of the state.
    pub depth: u8,
    /// The key.
    pub key: Vec<u8>,
    /// Its value, or `None` if the state does not hold the key.
    pub value: Option<Vec<u8>>,
    /// Every other leaf of the key's bucket as `(key hash, leaf hash)`, in strictly
    /// ascending key-hash order.
    pub others: Vec<(Hash, Hash)>,
    /// The sibling hashes from the bucket up to the root, bottom first.
    pub siblings: Vec<Hash>,
}

impl Proof {
    /// A proof from the store's side: `bucket` is every leaf of the key's bucket as
    /// `(key hash, leaf hash)` in ascending order (the key's own leaf, if any, is left
    /// out here), `siblings` from [`crate::Tree::siblings`].
    pub fn new(
        depth: u8,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
        bucket: &[(Hash, Hash)],
        siblings: Vec<Hash>,
    ) -> Proof {
        let kh = key_hash(&key);
        let others = bucket.iter().filter(|(h, _)| *h != kh).copied().collect();
        Proof { depth, key, value, others, siblings }
    }

    /// The root this proof leads to, if it is well formed.
    pub fn root(&self) -> Result<Hash, ProofError> {
        if self.depth > MAX_DEPTH {
            return Err(ProofError::Depth(self.depth));
        }
        if self.siblings.len() != usize::from(self.depth) {
            return Err(ProofError::Siblings { depth: self.depth, got: self.siblings.len() });
        }
        let kh = key_hash(&self.key);
        let bucket = bucket_of(&kh, self.depth);
        if !self.others.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err(ProofError::Unordered);
        }
        if self.others.iter().any(|(h, _)| bucket_of(h, self.depth) != bucket) {
            return Err(ProofError::ForeignLeaf);
        }
        if self.others.iter().any(|(h, _)| *h == kh) {
            return Err(ProofError::OwnKeyListed);
        }
        let own = self.value.as_ref().map(|v| (kh, leaf_hash(&kh, v)));
        let at = self.others.partition_point(|(h, _)| *h < kh);
        let leaves = self.others[..at].iter().chain(own.iter()).chain(self.others[at..].iter());
        let mut node = bucket_hash(leaves.map(|(_, leaf)| leaf));
        let mut index = bucket;
        for sibling in &self.siblings {
            node = if index & 1 == 0 { inner_hash(&node, sibling) } else { inner_hash(sibling, &node) };
            index >>= 1;
        }
        Ok(node)
    }

    /// Checks the proof against `root`.
    pub fn verify(&self, root: &Hash) -> Result<(), ProofError> {
        let computed = self.root()?;
        if computed != *root {
            return Err(ProofError::RootMismatch { computed: hex(&computed), expected: hex(root) });
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
