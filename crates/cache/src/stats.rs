//! What `cove cache stats` reports, and the counters behind it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use types::CodeId;

/// Modules and bytes in one tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Modules (on disk: artifact files).
    pub modules: u64,
    /// Bytes of compiled code (on disk: file sizes).
    pub bytes: u64,
}

/// Lookups answered by each tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Hits {
    /// By the pinned tier.
    pub pinned: u64,
    /// By the in-memory LRU.
    pub memory: u64,
    /// By a disk artifact.
    pub disk: u64,
}

/// A snapshot of the cache's contents and counters (counters since this cache was
/// created, i.e. per process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// The cache directory, if the disk tier is on.
    pub dir: Option<PathBuf>,
    /// Loaded pinned modules.
    pub pinned: Usage,
    /// The LRU tier.
    pub memory: Usage,
    /// The disk tier.
    pub disk: Usage,
    /// Codes pinned (loaded or not), in id order.
    pub pinned_codes: Vec<CodeId>,
    /// Lookups answered per tier.
    pub hits: Hits,
    /// Lookups no tier answered (the code was compiled).
    pub misses: u64,
    /// Compilations from wasm (misses and deploys), not counting tier-ups.
    pub compiles: u64,
    /// Recompilations by the optimising tier that finished.
    pub tier_ups: u64,
    /// Modules evicted from the LRU.
    pub evictions: u64,
    /// Disk artifacts discarded as corrupt, truncated or stale.
    pub invalid_artifacts: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) pinned: AtomicU64,
    pub(crate) memory: AtomicU64,
    pub(crate) disk: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) compiles: AtomicU64,
    pub(crate) tier_ups: Arc<AtomicU64>,
    pub(crate) evictions: AtomicU64,
    pub(crate) invalid_artifacts: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}
