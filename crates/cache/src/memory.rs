//! The two in-memory tiers: pinned modules (never evicted) and an LRU bounded by a
//! module count and a byte budget (compiled code size).
//!
//! Invariants: a code id is in at most one of the two maps; after [`Memory::insert`]
//! returns, the LRU holds at most `max_modules` modules of at most `max_bytes` bytes in
//! total (a module larger than the whole budget is not kept at all).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use types::CodeId;

use crate::{CachedModule, Link};

pub(crate) struct Memory<L: Link> {
    /// Codes pinned by the operator, whether or not their module is loaded yet.
    pub(crate) pinned_ids: HashSet<CodeId>,
    pub(crate) pinned: HashMap<CodeId, Arc<CachedModule<L>>>,
    pub(crate) lru: HashMap<CodeId, Arc<CachedModule<L>>>,
    max_modules: usize,
    max_bytes: u64,
}

/// Which in-memory tier answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemoryTier {
    Pinned,
    Lru,
}

impl<L: Link> Memory<L> {
    pub(crate) fn new(max_modules: usize, max_bytes: u64) -> Memory<L> {
        Memory {
            pinned_ids: HashSet::new(),
            pinned: HashMap::new(),
            lru: HashMap::new(),
            max_modules,
            max_bytes,
        }
    }

    pub(crate) fn get(&self, id: &CodeId) -> Option<(Arc<CachedModule<L>>, MemoryTier)> {
        if let Some(m) = self.pinned.get(id) {
            return Some((m.clone(), MemoryTier::Pinned));
        }
        self.lru.get(id).map(|m| (m.clone(), MemoryTier::Lru))
    }

    /// Adds a loaded module to the tier its id belongs to; returns how many modules the
    /// LRU evicted to make room.
    pub(crate) fn insert(&mut self, module: Arc<CachedModule<L>>) -> u64 {
        let id = module.id;
        if self.pinned_ids.contains(&id) {
            self.pinned.insert(id, module);
            return 0;
        }
        self.lru.insert(id, module);
        self.evict()
    }

    /// Moves `id` to the pinned tier (loaded or not).
    pub(crate) fn pin(&mut self, id: CodeId) {
        self.pinned_ids.insert(id);
        if let Some(m) = self.lru.remove(&id) {
            self.pinned.insert(id, m);
        }
    }

    /// Moves `id` back to the LRU; returns evictions.
    pub(crate) fn unpin(&mut self, id: &CodeId) -> u64 {
        self.pinned_ids.remove(id);
        match self.pinned.remove(id) {
            Some(m) => self.insert(m),
            None => 0,
        }
    }

    /// Drops every loaded module (pins stay).
    pub(crate) fn clear(&mut self) {
        self.pinned.clear();
        self.lru.clear();
    }

    pub(crate) fn lru_bytes(&self) -> u64 {
        self.lru.values().map(|m| m.size()).sum()
    }

    pub(crate) fn pinned_bytes(&self) -> u64 {
        self.pinned.values().map(|m| m.size()).sum()
    }

    fn evict(&mut self) -> u64 {
        let mut evicted = 0;
        let mut bytes = self.lru_bytes();
        while self.lru.len() > self.max_modules || bytes > self.max_bytes {
            let Some(oldest) =
                self.lru.values().min_by_key(|m| m.last_used.load(Ordering::Relaxed)).map(|m| m.id)
            else {
                break;
            };
            if let Some(m) = self.lru.remove(&oldest) {
                bytes = bytes.saturating_sub(m.size());
                evicted += 1;
            }
        }
        evicted
    }
}
