//! What an authenticated backend adds: a root per block, reads at retained heights,
//! proofs, and the configuration of what it retains.

use std::sync::Arc;

use merkle::{Hash, Proof};
use serde::{Deserialize, Serialize};
use types::StorageError;

use crate::Backend;

/// The most recent heights an authenticated store may be configured to keep
/// ([`StoreConfig::keep_recent`]): 2^32.
pub const MAX_KEEP_RECENT: u64 = 1 << 32;

/// The largest checkpoint interval ([`StoreConfig::checkpoint_interval`]): 2^32 blocks.
pub const MAX_CHECKPOINT_INTERVAL: u64 = 1 << 32;

/// The most blocks an authenticated store may hold in its block log before writing them
/// back into its tables ([`StoreConfig::write_back_blocks`]).
pub const MAX_WRITE_BACK_BLOCKS: u64 = 4096;

/// The most bytes of changes an authenticated store may hold in its block log (and in
/// memory, for reads) before writing them back ([`StoreConfig::write_back_bytes`]): 4 GiB.
pub const MAX_WRITE_BACK_BYTES: u64 = 4 << 30;

/// The most key hashes an authenticated store may keep in its bucket cache
/// ([`StoreConfig::bucket_cache_leaves`]): 2^32.
pub const MAX_BUCKET_CACHE_LEAVES: u64 = 1 << 32;

/// A committed block as the store records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlockRecord {
    /// Its height (the first block is 1).
    pub height: u64,
    /// Its time, unix seconds.
    pub timestamp: u64,
    /// The state root after it, if the backend commits to one ([`Backend::history`]).
    pub root: Option<Hash>,
}

/// What an authenticated store keeps and how it hashes. In TOML, under `[state]`.
///
/// `tree_depth` and `checkpoint_interval` are fixed when a store is created (they are
/// recorded in it, and opening it with other values is refused); `keep_recent`,
/// `write_back_blocks`, `write_back_bytes` and `bucket_cache_leaves` may change from one
/// run to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// The Merkle tree has `2^tree_depth` buckets (`docs/state.md`). Default
    /// [`merkle::DEFAULT_DEPTH`] (16); at most [`merkle::MAX_DEPTH`] (22).
    pub tree_depth: u8,
    /// Every height that is a multiple of this is a checkpoint, readable forever.
    /// Default 1,000; from 1 to [`MAX_CHECKPOINT_INTERVAL`].
    pub checkpoint_interval: u64,
    /// How many of the most recent heights stay readable (the head counts as one);
    /// older ones are pruned unless they are checkpoints. Default 100; from 1 to
    /// [`MAX_KEEP_RECENT`].
    pub keep_recent: u64,
    /// A block is durable once it is in the block log; the tables catch up every this
    /// many blocks, in one transaction (`docs/state.md`, "The block log"). Larger
    /// amortises more of the tables' write-back and costs more replay after a crash and
    /// more memory. Default 32; from 1 to [`MAX_WRITE_BACK_BLOCKS`].
    pub write_back_blocks: u64,
    /// The tables also catch up once the blocks not yet written back hold this many
    /// bytes of keys and values (they are kept in memory for reads until then).
    /// Default 256 MiB; from 1 to [`MAX_WRITE_BACK_BYTES`].
    pub write_back_bytes: u64,
    /// Key hashes (about 80 bytes of memory each) of the buckets recent blocks wrote
    /// that the store keeps in memory, so the next blocks need not read those buckets
    /// back from disk (`docs/state.md`, "The bucket cache"). Speed only: no result
    /// depends on it. Default 2^21 (about 160 MiB when full; a state of 2,000,000 keys
    /// fits whole); 0 turns it off; at most [`MAX_BUCKET_CACHE_LEAVES`].
    pub bucket_cache_leaves: u64,
    /// Stores of up to this many bytes are checked page by page with redb's integrity
    /// check every time they are opened read-write, and their keys table against its
    /// recorded digest on every open (`docs/state.md`, "Damaged files"). Default 64 MiB
    /// (a few hundred milliseconds at most); 0 never checks; `u64::MAX` always does.
    pub integrity_check_bytes: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            tree_depth: merkle::DEFAULT_DEPTH,
            checkpoint_interval: 1_000,
            keep_recent: 100,
            write_back_blocks: 32,
            write_back_bytes: 256 << 20,
            bucket_cache_leaves: 1 << 21,
            integrity_check_bytes: 64 << 20,
        }
    }
}

impl StoreConfig {
    /// Checks every field against its limit.
    pub fn validate(&self) -> Result<(), StorageError> {
        let bad = |what: String| Err(StorageError::io(format!("state config: {what}")));
        if self.tree_depth > merkle::MAX_DEPTH {
            return bad(format!(
                "tree_depth {} is above the maximum of {}",
                self.tree_depth,
                merkle::MAX_DEPTH
            ));
        }
        if !(1..=MAX_CHECKPOINT_INTERVAL).contains(&self.checkpoint_interval) {
            return bad(format!(
                "checkpoint_interval {} is not between 1 and {MAX_CHECKPOINT_INTERVAL}",
                self.checkpoint_interval
            ));
        }
        if !(1..=MAX_KEEP_RECENT).contains(&self.keep_recent) {
            return bad(format!("keep_recent {} is not between 1 and {MAX_KEEP_RECENT}", self.keep_recent));
        }
        if !(1..=MAX_WRITE_BACK_BLOCKS).contains(&self.write_back_blocks) {
            return bad(format!(
                "write_back_blocks {} is not between 1 and {MAX_WRITE_BACK_BLOCKS}",
                self.write_back_blocks
            ));
        }
        if self.bucket_cache_leaves > MAX_BUCKET_CACHE_LEAVES {
            return bad(format!(
                "bucket_cache_leaves {} is above the maximum of {MAX_BUCKET_CACHE_LEAVES}",
                self.bucket_cache_leaves
            ));
        }
        if !(1..=MAX_WRITE_BACK_BYTES).contains(&self.write_back_bytes) {
            return bad(format!(
                "write_back_bytes {} is not between 1 and {MAX_WRITE_BACK_BYTES}",
                self.write_back_bytes
            ));
        }
        Ok(())
    }
}

/// Why a height cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The height is above the head.
    #[error("height {height} is not committed yet (the head is {head})")]
    Future {
        /// The height asked for.
        height: u64,
        /// The last committed height.
        head: u64,
    },
    /// The height was pruned.
    #[error(
        "height {height} was pruned: heights from {oldest} to the head and every multiple of {interval} are kept"
    )]
    Pruned {
        /// The height asked for.
        height: u64,
        /// The oldest height kept that is not a checkpoint.
        oldest: u64,
        /// The checkpoint interval.
        interval: u64,
    },
    /// The store was restored from a snapshot at `base` and holds nothing earlier.
    #[error("height {height} is before this store's first height {base} (it was restored from a snapshot)")]
    BeforeBase {
        /// The height asked for.
        height: u64,
        /// The snapshot's height.
        base: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A backend that keeps versions: one root per block, reads and proofs at any
/// retained height. [`crate::RedbBackend`] is one; [`crate::MemBackend`] is not.
pub trait History: Send + Sync {
    /// The record of block `height`, if it was committed (records are never pruned).
    fn block(&self, height: u64) -> Result<Option<BlockRecord>, StorageError>;

    /// A read-only view of the state right after block `height` (0: the empty state
    /// before the first block). Its `commit` fails.
    fn at(&self, height: u64) -> Result<Arc<dyn Backend>, HistoryError>;

    /// A proof of the value of `key` (or of its absence) at `height`, against that
    /// height's root.
    fn proof(&self, key: &[u8], height: u64) -> Result<Proof, HistoryError>;

    /// The configuration in force.
    fn config(&self) -> StoreConfig;

    /// Writes the state at retained height `height` to `out` as a snapshot
    /// (`docs/state.md`, "Snapshots"); `progress` hears (done, total) as it goes.
    fn export_snapshot(
        &self,
        height: u64,
        out: &mut dyn std::io::Write,
        progress: &dyn Fn(u64, u64),
    ) -> Result<crate::Manifest, HistoryError>;
}
