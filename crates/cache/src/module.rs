//! A cached module and where a lookup found it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use types::CodeId;
use wasm::{LinkedModule, Tier};

use crate::read;

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
pub struct CachedModule<S: 'static> {
    pub(crate) id: CodeId,
    pub(crate) linked: RwLock<Arc<LinkedModule<S>>>,
    pub(crate) size: AtomicU64,
    pub(crate) calls: AtomicU32,
    /// Set once the module needs no tier-up, or it has started.
    pub(crate) tier_up_done: AtomicBool,
    pub(crate) last_used: AtomicU64,
}

impl<S> CachedModule<S> {
    pub(crate) fn new(id: CodeId, linked: LinkedModule<S>, size: usize, tiers_up: bool) -> CachedModule<S> {
        let done = !(tiers_up && linked.tier() == Tier::Baseline);
        CachedModule {
            id,
            linked: RwLock::new(Arc::new(linked)),
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
    pub fn linked(&self) -> Arc<LinkedModule<S>> {
        read(&self.linked).clone()
    }

    /// The compiler tier of its current code.
    pub fn tier(&self) -> Tier {
        read(&self.linked).tier()
    }

    /// Bytes of compiled code (its weight in the LRU).
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }
}
