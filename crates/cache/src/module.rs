//! A cached module and where a lookup found it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use types::CodeId;
use wasm::Tier;

use crate::{Link, read};

/// Which tier answered a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The pinned tier.
    Pinned,
    /// The in-memory LRU.
    Memory,
    /// An artifact on disk.
    Disk,
    /// None: the wasm was compiled.
    Compiled,
}

/// A module in the cache: linked, with its call count for tier-up.
pub struct CachedModule<L: Link> {
    pub(crate) id: CodeId,
    /// The linked module calls run and its compiler tier, replaced together by a tier-up.
    pub(crate) linked: RwLock<(Arc<L::Linked>, Tier)>,
    pub(crate) size: AtomicU64,
    pub(crate) calls: AtomicU32,
    /// Set once the module needs no tier-up, or it has started.
    pub(crate) tier_up_done: AtomicBool,
    pub(crate) last_used: AtomicU64,
}

impl<L: Link> CachedModule<L> {
    pub(crate) fn new(
        id: CodeId,
        linked: L::Linked,
        tier: Tier,
        size: usize,
        tiers_up: bool,
    ) -> CachedModule<L> {
        let done = !(tiers_up && tier != Tier::Optimized);
        CachedModule {
            id,
            linked: RwLock::new((Arc::new(linked), tier)),
            size: AtomicU64::new(size as u64),
            calls: AtomicU32::new(0),
            tier_up_done: AtomicBool::new(done),
            last_used: AtomicU64::new(0),
        }
    }

    /// The code it was compiled from.
    pub fn id(&self) -> CodeId {
        self.id
    }

    /// The linked module calls run (the latest tier).
    pub fn linked(&self) -> Arc<L::Linked> {
        read(&self.linked).0.clone()
    }

    /// The compiler tier of its current code.
    pub fn tier(&self) -> Tier {
        read(&self.linked).1
    }

    /// Bytes of compiled code (its weight in the LRU).
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }
}
