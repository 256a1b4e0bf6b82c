//! The complete binary tree over bucket hashes, kept in memory and rehashed along the
//! paths of changed buckets only.

use crate::{Hash, MAX_DEPTH, ZERO, inner_hash};

/// A depth above [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("tree depth {0} is above the maximum of {MAX_DEPTH}")]
pub struct DepthError(pub u8);

/// The tree of one state: `2^depth` bucket hashes at the bottom, inner nodes above.
///
/// Nodes are stored as a binary heap (node `i` has children `2i` and `2i + 1`, the
/// root is node 1, bucket `b` is node `2^depth + b`), so a path is index arithmetic and
/// the whole tree is one allocation of `2^(depth + 1)` hashes.
#[derive(Clone)]
pub struct Tree {
    depth: u8,
    nodes: Vec<Hash>,
    /// Bucket nodes changed since the last rehash.
    dirty: Vec<usize>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree").field("depth", &self.depth).field("dirty", &self.dirty.len()).finish()
    }
}

impl Tree {
    /// An empty tree (every bucket empty, root [`ZERO`]).
    pub fn new(depth: u8) -> Result<Tree, DepthError> {
        if depth > MAX_DEPTH {
            return Err(DepthError(depth));
        }
        Ok(Tree { depth, nodes: vec![ZERO; 2usize << depth], dirty: Vec::new() })
    }

    /// The depth: the tree has `2^depth` buckets.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The number of buckets.
    pub fn buckets(&self) -> u32 {
        1 << self.depth
    }

    fn node_of(&self, bucket: u32) -> usize {
        assert!(bucket < self.buckets(), "bucket {bucket} of a tree of depth {}", self.depth);
        (1usize << self.depth) + bucket as usize
    }

    /// The hash of `bucket` (panics if `bucket` is not below [`Tree::buckets`], as a
    /// bucket from [`crate::bucket_of`] with this depth never is).
    pub fn bucket(&self, bucket: u32) -> Hash {
        self.nodes[self.node_of(bucket)]
    }

    /// Sets the hash of `bucket` ([`ZERO`] if it is now empty). The paths above are
    /// rehashed on the next [`Tree::root`] or [`Tree::siblings`].
    pub fn set_bucket(&mut self, bucket: u32, hash: Hash) {
        let node = self.node_of(bucket);
        if self.nodes[node] != hash {
            self.nodes[node] = hash;
            self.dirty.push(node);
        }
    }

    /// The root.
    pub fn root(&mut self) -> Hash {
        self.rehash();
        self.nodes[1]
    }

    /// The sibling hashes on the path from `bucket` to the root, bottom first: what a
    /// [`crate::Proof`] carries.
    pub fn siblings(&mut self, bucket: u32) -> Vec<Hash> {
        self.rehash();
        let mut node = self.node_of(bucket);
        let mut out = Vec::with_capacity(usize::from(self.depth));
        while node > 1 {
            out.push(self.nodes[node ^ 1]);
            node >>= 1;
        }
        out
    }

    /// Recomputes the inner nodes above the changed buckets, level by level.
    fn rehash(&mut self) {
        let mut level = std::mem::take(&mut self.dirty);
        level.sort_unstable();
        level.dedup();
        while level.first().is_some_and(|&n| n > 1) {
            for node in level.iter_mut() {
                *node >>= 1;
            }
            level.dedup();
            for &parent in &level {
                self.nodes[parent] = inner_hash(&self.nodes[2 * parent], &self.nodes[2 * parent + 1]);
            }
        }
        // Keep the allocation for the next block.
        level.clear();
        self.dirty = level;
    }
}
