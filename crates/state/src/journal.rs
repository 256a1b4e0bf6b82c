//! Uncommitted writes over a backend, with nested checkpoints.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use merkle::Hash;
use types::{BlockInfo, StorageError};

use crate::BlockRecord;
use crate::backend::{Backend, ChangeSet, Order, range_bounds};

/// Range scans of a journal that pick their keys out of the whole overlay before the
/// overlay's ordered index is built: 16. A scan that filters costs one comparison per
/// overlay key; building the index sorts them all, the cost of about as many filtering
/// scans (log2 of 20,000 keys is 14). Building it after this many keeps a journal scanned
/// often within about twice the best of the two, and spares a block that scans a few
/// times at its end (expired entries, matured unbondings) a sort of every key it wrote.
const FILTERED_SCANS: u64 = 16;

/// What [`Journal::scan_range`] found, and what it walked to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The pairs in the range, in the order asked, full keys.
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Entries and bytes walked: the backend's pairs read (in the range, at most the
    /// limit) and the overlay keys in the range.
    pub walked: Walked,
    /// Whether the backend returned as many pairs as it was allowed, so the range may
    /// hold more than `entries`.
    pub limited: bool,
}

/// Entries and bytes a scan walked, for pricing it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walked {
    /// Backend pairs read plus overlay keys visited.
    pub entries: u64,
    /// Their key and value bytes.
    pub bytes: u64,
}

/// A key a transaction changed, with its value before and after
/// ([`Journal::changes_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    /// The full key.
    pub key: Vec<u8>,
    /// Its value when the checkpoint was taken (`None`: absent).
    pub before: Option<Vec<u8>>,
    /// Its value now (`None`: absent).
    pub after: Option<Vec<u8>>,
}

/// A point in a [`Journal`]'s history that [`Journal::revert`] can return to.
///
/// Only meaningful for the journal that issued it. It stays valid until the journal is
/// reverted to an earlier checkpoint or committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Index of this checkpoint in the journal's stack of live checkpoints.
    depth: usize,
    /// Serial number, unique within the journal, so a stale checkpoint whose stack slot
    /// has been reused by a newer one is recognised as invalid.
    id: u64,
}

/// A journal's position in its history, for caches of decoded values: see
/// [`Journal::stamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Which journal.
    pub journal: u64,
    /// How many changes it had seen.
    pub writes: u64,
    /// The backend's [`Backend::generation`].
    pub backend: u64,
}

/// Ranges of journal ids handed to threads, one at a time ([`next_journal_id`]).
static NEXT_ID_RANGE: AtomicU64 = AtomicU64::new(0);

/// Ids a thread hands out before it takes a new range: 2^40.
const IDS_PER_RANGE: u64 = 1 << 40;

/// The backend of [`Journal::stand_in`]: no store at all.
struct NoStore;

impl NoStore {
    fn refused<T>() -> Result<T, StorageError> {
        Err(StorageError::io("a stand-in journal (Journal::stand_in) has no store".to_owned()))
    }
}

impl Backend for NoStore {
    fn get(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        NoStore::refused()
    }

    fn scan_prefix(&self, _prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        NoStore::refused()
    }

    fn commit(
        &self,
        _block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        NoStore::refused().map_err(|e| (e, changes))
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        NoStore::refused()
    }
}

/// A journal id unique in this process. Each thread takes ids from a range of its own,
/// so making journals on several threads at once (a parallel batch makes several per
/// transaction) shares no counter between them.
fn next_journal_id() -> u64 {
    thread_local! {
        /// The next id of this thread's range and the range's end.
        static IDS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
    }
    IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_ID_RANGE.fetch_add(1, Ordering::Relaxed).wrapping_mul(IDS_PER_RANGE);
            end = next.wrapping_add(IDS_PER_RANGE);
        }
        ids.set((next + 1, end));
        next
    })
}

/// Entries between a journal's overlay and its backend ([`Journal::layered`]): what
/// other writers put there before this journal was made, read but never changed by it.
///
/// A layer must answer the same for the journal's whole life: the journal and its
/// readers may keep what they read. Reads of it are how a caller learns what a
/// journal's user depended on (the runtime's parallel execution records them).
pub trait Layer: Send + Sync {
    /// The layer's entry for `key`: `None` if it has none (the backend's value shows
    /// through), `Some(None)` if it deletes the key.
    fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>>;

    /// The layer's entries with keys in `[low, high)` (`None`: no upper bound), in
    /// ascending key order, deletions included.
    fn range(&self, low: &[u8], high: Option<&[u8]>) -> Vec<(Vec<u8>, Option<Vec<u8>>)>;
}

/// A key of an overlay and its entry (`None`: deleted), as a range scan walks them.
type OverlayEntry<'a> = (&'a Vec<u8>, Option<&'a Vec<u8>>);

/// The overlay entry a change replaced: `None` if the key was absent from the overlay,
/// `Some(entry)` if it held `entry` (itself `None` for a deletion).
type Prev = Option<Option<Vec<u8>>>;

/// Uncommitted writes over a backend, with nested checkpoints.
///
/// Reads see the overlay first, then the backend. Every overlay change made while a
/// checkpoint is live is recorded in an undo log together with the overlay entry it
/// replaced, so [`Journal::revert`] restores the overlay exactly. [`Journal::commit`]
/// hands the net changes to the backend in one atomic commit.
pub struct Journal {
    backend: Arc<dyn Backend>,
    /// Entries between the overlay and the backend ([`Journal::layered`]).
    below: Option<Arc<dyn Layer>>,
    /// Net uncommitted changes: key to new value, `None` for a deletion.
    /// Hashed with foldhash (randomly seeded per process, so keys chosen by contracts
    /// cannot be crafted to collide; several times faster than SipHash here).
    overlay: foldhash::HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// Net uncommitted changes kept sorted, under `overlay`, as [`Journal::apply_set`]
    /// received them (a parallel batch's writes, handed over whole): reads find them by
    /// binary search, a range scan slices them, and a commit merges `overlay`'s later
    /// writes into them rather than sorting them all again. An entry of `overlay` hides
    /// one here. Nothing changes them while a checkpoint is live, so the undo log (which
    /// logs `overlay`'s entries only) stays exact: [`Journal::prepare_reads`] moves them
    /// into `overlay` only when none is.
    sorted: ChangeSet,
    /// The overlay's keys in order, so a range scan walks only the overlay keys in its
    /// range ([`Journal::scan_range`]), not every key written earlier in the block. Built
    /// at the scan after the first [`FILTERED_SCANS`] since it was last dropped (most
    /// blocks scan a few times, at their end: each of those scans picks the keys in its
    /// range out of the overlay instead), then kept in step with `overlay` (a key enters
    /// when the overlay first holds it and leaves when a revert drops it).
    ordered: OnceLock<BTreeSet<Vec<u8>>>,
    /// Scans since `ordered` was last dropped.
    scans: AtomicU64,
    /// `(end of the key in undo_keys, previous overlay entry)` for every change made
    /// while a checkpoint was live, oldest first. Entry `i`'s key is
    /// `undo_keys[end of entry i-1 (or 0)..end]`.
    undo: Vec<(usize, Prev)>,
    /// The undo log's keys, back to back: one growing buffer instead of an allocation
    /// per logged write.
    undo_keys: Vec<u8>,
    /// Unique per journal in this process ([`Stamp`]).
    id: u64,
    /// Changes to what reads return: overlay writes, non-empty reverts, commits ([`Stamp`]).
    writes: u64,
    /// Live checkpoints, outermost first: `(id, undo-log length when taken, transient
    /// undo-log length when taken)`.
    checkpoints: Vec<(u64, usize, usize)>,
    next_id: u64,
    /// Transient entries ([`Journal::set_transient`]): reverted with checkpoints like
    /// the overlay, never committed, dropped by [`Journal::clear_transient`].
    transient: foldhash::HashMap<Vec<u8>, Vec<u8>>,
    /// `(key, previous entry)` for every transient change made while a checkpoint was
    /// live, oldest first.
    transient_undo: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("overlay_len", &self.overlay.len())
            .field("sorted_len", &self.sorted.len())
            .field("undo_len", &self.undo.len())
            .field("checkpoints", &self.checkpoints.len())
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// An empty journal over `backend`.
    pub fn new(backend: Arc<dyn Backend>) -> Journal {
        Journal {
            backend,
            below: None,
            overlay: foldhash::HashMap::default(),
            sorted: ChangeSet::default(),
            ordered: OnceLock::new(),
            scans: AtomicU64::new(0),
            undo: Vec::new(),
            undo_keys: Vec::new(),
            checkpoints: Vec::new(),
            next_id: 0,
            id: next_journal_id(),
            writes: 0,
            transient: foldhash::HashMap::default(),
            transient_undo: Vec::new(),
        }
    }

    /// An empty journal over no store, to stand in for one moved out for a while
    /// (`std::mem::replace`, while a VM owns the real one). Reading, scanning or
    /// committing through it fails with a [`StorageError`] naming it. Its backend is one
    /// per thread, so making and dropping stand-ins counts references that no other
    /// core shares (a clone of the real journal's backend would, at every call).
    pub fn stand_in() -> Journal {
        thread_local! {
            static NO_STORE: Arc<dyn Backend> = Arc::new(NoStore);
        }
        Journal::new(NO_STORE.with(Arc::clone))
    }

    /// An empty journal over `below`, itself over `backend`: reads see the overlay, then
    /// `below`, then the backend, and a range scan counts `below`'s keys in its range as
    /// overlay keys ([`Scan::walked`]), so a user of this journal sees exactly what it
    /// would see in one journal holding `below`'s entries in its overlay. Such a journal
    /// cannot commit: its changes are taken with [`Journal::changes`].
    pub fn layered(backend: Arc<dyn Backend>, below: Arc<dyn Layer>) -> Journal {
        Journal { below: Some(below), ..Journal::new(backend) }
    }

    /// What lies under the overlay: the layer's entry, else the backend's.
    fn lower_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(below) = &self.below
            && let Some(entry) = below.get(key)
        {
            return Ok(entry);
        }
        self.backend.get(key)
    }

    /// The overlay's own entry for `key` (`Some(None)`: deleted), never the layer's
    /// or the backend's.
    pub fn overlay_entry(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.overlay.get(key).map(Option::as_deref).or_else(|| self.sorted.get(key))
    }

    /// The overlay's own entries with keys in `[low, high)` (`None`: no upper bound),
    /// ascending, deletions included.
    pub fn overlay_range<'a>(
        &'a self,
        low: &[u8],
        high: Option<&[u8]>,
    ) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        self.overlay_entries(low, high).map(|(k, entry)| (k.as_slice(), entry.map(Vec::as_slice)))
    }

    /// The journal's own entries with keys in `[low, high)`, ascending: the overlay's keys
    /// in the range ([`Journal::overlay_keys`]) with their entries, over the sorted
    /// changes' slice of it.
    fn overlay_entries<'a>(
        &'a self,
        low: &[u8],
        high: Option<&[u8]>,
    ) -> Box<dyn DoubleEndedIterator<Item = OverlayEntry<'a>> + 'a> {
        let sorted = self.sorted.entries();
        let from = sorted.partition_point(|(k, _)| k.as_slice() < low);
        let to = high.map_or(sorted.len(), |high| sorted.partition_point(|(k, _)| k.as_slice() < high));
        let sorted = sorted[from..to.max(from)].iter().map(|(k, entry)| (k, entry.as_ref()));
        if self.overlay.is_empty() {
            return Box::new(sorted);
        }
        let over = self.overlay_keys(low, high).map(|k| (k, self.overlay.get(k).and_then(Option::as_ref)));
        if self.sorted.is_empty() {
            return Box::new(over);
        }
        let mut all: std::collections::BTreeMap<&'a Vec<u8>, Option<&'a Vec<u8>>> = sorted.collect();
        all.extend(over);
        Box::new(all.into_iter())
    }

    /// The overlay's keys in `[low, high)` (`None`: no upper bound), ascending: from the
    /// ordered index, or picked out of the overlay and sorted by the first
    /// [`FILTERED_SCANS`] scans since the index was last dropped ([`Journal::ordered`]'s
    /// field).
    fn overlay_keys<'a>(
        &'a self,
        low: &[u8],
        high: Option<&[u8]>,
    ) -> Box<dyn DoubleEndedIterator<Item = &'a Vec<u8>> + 'a> {
        let filtered =
            self.ordered.get().is_none() && self.scans.fetch_add(1, Ordering::Relaxed) < FILTERED_SCANS;
        if !filtered {
            let upper = high.map_or(Bound::Unbounded, Bound::Excluded);
            return Box::new(self.ordered().range::<[u8], _>((Bound::Included(low), upper)));
        }
        let mut keys: Vec<&Vec<u8>> = self
            .overlay
            .keys()
            .filter(|k| k.as_slice() >= low && high.is_none_or(|high| k.as_slice() < high))
            .collect();
        keys.sort_unstable();
        Box::new(keys.into_iter())
    }

    /// Writes `changes` (`None` deletes) as [`Journal::set`] would, in order: what
    /// another journal over the same state changed (its [`Journal::changes`]), kept
    /// here. A deletion is kept as written, whether or not the key exists.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>) {
        let changes = changes.into_iter();
        if !self.overlay.is_empty() || !self.checkpoints.is_empty() {
            for (key, value) in changes {
                self.put(&key, value);
            }
            return;
        }
        // Into an empty overlay with nothing to undo (a whole block's batch): no lookups.
        self.writes += 1;
        self.drop_ordered();
        self.overlay.reserve(changes.size_hint().0);
        self.overlay.extend(changes);
    }

    /// Writes `changes` as [`Journal::apply`] would. Into an empty journal with no live
    /// checkpoint (a whole block's batch) it keeps them as they are, sorted, under the
    /// overlay: nothing is hashed, later writes go to the overlay above them, and a
    /// commit merges those in rather than sorting every key again.
    pub fn apply_set(&mut self, changes: ChangeSet) {
        if !self.overlay.is_empty() || !self.sorted.is_empty() || !self.checkpoints.is_empty() {
            return self.apply(changes.into_writes());
        }
        self.writes += 1;
        self.drop_ordered();
        self.sorted = changes;
    }

    /// Moves changes kept sorted ([`Journal::apply_set`]) into the hashed overlay, where a
    /// read is one lookup rather than a binary search: before many reads. It does
    /// nothing while a checkpoint is live (a revert restores the overlay's own entries
    /// only). Every read answers the same before and after.
    pub fn prepare_reads(&mut self) {
        if self.sorted.is_empty() || !self.checkpoints.is_empty() {
            return;
        }
        let sorted = std::mem::take(&mut self.sorted).into_writes();
        self.overlay.reserve(sorted.len());
        for (key, entry) in sorted {
            // A later write in the overlay hides the sorted entry.
            if !self.overlay.contains_key(&key) {
                if let Some(ordered) = self.ordered.get_mut() {
                    ordered.insert(key.clone());
                }
                self.overlay.insert(key, entry);
            }
        }
    }

    /// Drops the ordered index (the overlay changed wholesale).
    fn drop_ordered(&mut self) {
        self.ordered.take();
        *self.scans.get_mut() = 0;
    }

    /// The overlay's keys in order, built if it is not (by the scan after the first
    /// [`FILTERED_SCANS`]).
    fn ordered(&self) -> &BTreeSet<Vec<u8>> {
        self.ordered.get_or_init(|| {
            let mut keys: Vec<Vec<u8>> = self.overlay.keys().cloned().collect();
            keys.sort_unstable();
            keys.into_iter().collect()
        })
    }

    /// Makes room for `additional` more keys in the overlay (a caller that knows how many
    /// it will write, so the overlay does not grow step by step).
    pub fn reserve(&mut self, additional: usize) {
        self.overlay.reserve(additional);
    }

    /// The net changes, taken: [`Journal::changes`] without copying them, leaving the
    /// journal empty (its checkpoints and undo log dropped).
    pub fn take_changes(&mut self) -> ChangeSet {
        self.writes += 1;
        self.forget_history();
        self.drain()
    }

    /// The net changes, taken, in no particular order: [`Journal::take_changes`] for a
    /// caller that does not need them sorted (each key once).
    pub fn take_writes(&mut self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        self.writes += 1;
        self.forget_history();
        match self.sorted.is_empty() {
            true => self.overlay.drain().collect(),
            false => self.drain().into_writes(),
        }
    }

    /// The net changes, taken: the overlay's, merged over the sorted ones.
    fn drain(&mut self) -> ChangeSet {
        let over = ChangeSet::from_distinct(self.overlay.drain().collect());
        if self.sorted.is_empty() {
            return over;
        }
        let (merged, _) = merge_over(std::mem::take(&mut self.sorted).into_writes(), over.into_writes());
        ChangeSet::from_sorted(merged)
    }

    /// Where this journal's contents stand: equal stamps mean every read returns what it
    /// returned before, so a reader may keep values it decoded (the EVM's account cache).
    /// `None` if the backend cannot tell when it changes ([`Backend::generation`]).
    ///
    /// A reader takes a stamp before its reads and one after, and keeps what it read only
    /// if the backend part is equal in both: a commit to the backend by someone else
    /// during the reads is then either seen (different stamps) or not yet counted, and
    /// counted later (the cache is dropped then). Writes through this journal are the
    /// holder's own (it has `&mut`), so the reader knows what they changed.
    pub fn stamp(&self) -> Option<Stamp> {
        let backend = self.backend.generation()?;
        Some(Stamp { journal: self.id, writes: self.writes, backend })
    }

    /// Counts a change that is not in the overlay (one its holder will add elsewhere):
    /// stamps taken before differ from those taken after, so readers drop what they
    /// cached and read again.
    pub fn touch(&mut self) {
        self.writes += 1;
    }

    /// The committed store under this journal.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Overlay first, then the backend.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.overlay_entry(key) {
            Some(entry) => Ok(entry.map(<[u8]>::to_vec)),
            None => self.lower_get(key),
        }
    }

    /// Like [`Journal::get`], but hands the value to `f` instead of copying it out: for
    /// hot reads that only decode the bytes (account fields, EVM slots).
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R, StorageError> {
        if let Some(entry) = self.overlay_entry(key) {
            return Ok(f(entry));
        }
        if let Some(below) = &self.below
            && let Some(entry) = below.get(key)
        {
            return Ok(f(entry.as_deref()));
        }
        let mut f = Some(f);
        let mut out = None;
        self.backend.get_with(key, &mut |v| out = f.take().map(|f| f(v)))?;
        out.ok_or_else(|| StorageError::io("backend get_with returned without calling back".to_owned()))
    }

    /// Stores `value` under `key`.
    pub fn set(&mut self, key: &[u8], value: &[u8]) {
        self.put(key, Some(value.to_vec()));
    }

    /// Deletes key; returns whether a value existed (in the overlay or the backend).
    ///
    /// Deleting a key that does not exist changes nothing (no tombstone is written).
    pub fn delete(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        let existed = match self.overlay_entry(key) {
            Some(Some(_)) => true,
            Some(None) => false,
            None => self.lower_get(key)?.is_some(),
        };
        if existed {
            self.put(key, None);
        }
        Ok(existed)
    }

    /// Replaces the overlay entry for `key`, logging the old entry if a checkpoint is live.
    /// With no live checkpoint nothing can be reverted, so nothing is logged.
    fn put(&mut self, key: &[u8], entry: Option<Vec<u8>>) {
        self.writes += 1;
        let log = !self.checkpoints.is_empty();
        let prev = match self.overlay.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, entry)),
            None => {
                self.overlay.insert(key.to_vec(), entry);
                if let Some(ordered) = self.ordered.get_mut() {
                    ordered.insert(key.to_vec());
                }
                None
            }
        };
        if log {
            self.undo_keys.extend_from_slice(key);
            self.undo.push((self.undo_keys.len(), prev));
        }
    }

    /// Marks the current point; `revert(cp)` restores the overlay to exactly this point.
    pub fn checkpoint(&mut self) -> Checkpoint {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let depth = self.checkpoints.len();
        self.checkpoints.push((id, self.undo.len(), self.transient_undo.len()));
        Checkpoint { depth, id }
    }

    /// Undo every change made since `cp` (checkpoints taken after `cp` become invalid;
    /// reverting to one of them afterwards must be a no-op or a debug assertion, never UB/panic in release).
    ///
    /// `cp` itself stays valid: reverting to it again later undoes the changes made since
    /// this revert. A commit invalidates every checkpoint. Reverting to an invalid
    /// checkpoint fails a debug assertion and is a no-op in release builds.
    pub fn revert(&mut self, cp: Checkpoint) {
        let (undo_len, transient_len) = match self.checkpoints.get(cp.depth) {
            Some(&(id, undo_len, transient_len)) if id == cp.id => (Some(undo_len), transient_len),
            _ => (None, 0),
        };
        debug_assert!(
            undo_len.is_some(),
            "Journal::revert: checkpoint {cp:?} was invalidated by an earlier revert or commit"
        );
        let Some(undo_len) = undo_len else {
            return;
        };
        if self.undo.len() > undo_len {
            self.writes += 1;
        }
        while self.undo.len() > undo_len {
            let Some((end, prev)) = self.undo.pop() else { break };
            let start = self.undo.last().map_or(0, |(end, _)| *end);
            let key = &self.undo_keys[start..end];
            match prev {
                Some(entry) => match self.overlay.get_mut(key) {
                    Some(slot) => *slot = entry,
                    None => {
                        self.overlay.insert(key.to_vec(), entry);
                        if let Some(ordered) = self.ordered.get_mut() {
                            ordered.insert(key.to_vec());
                        }
                    }
                },
                None => {
                    self.overlay.remove(key);
                    if let Some(ordered) = self.ordered.get_mut() {
                        ordered.remove(key);
                    }
                }
            }
            self.undo_keys.truncate(start);
        }
        while self.transient_undo.len() > transient_len {
            let Some((key, prev)) = self.transient_undo.pop() else { break };
            match prev {
                Some(value) => self.transient.insert(key, value),
                None => self.transient.remove(&key),
            };
        }
        self.checkpoints.truncate(cp.depth + 1);
    }

    /// Keeps every change made since `cp` and forgets `cp` (and any checkpoint taken after
    /// it): the transaction it guarded succeeded. When no checkpoint is left, the undo log
    /// is dropped, so a block of many transactions does not accumulate one.
    ///
    /// Accepting an invalid checkpoint fails a debug assertion and is a no-op in release
    /// builds, like [`Journal::revert`].
    pub fn accept(&mut self, cp: Checkpoint) {
        let valid = matches!(self.checkpoints.get(cp.depth), Some(&(id, _, _)) if id == cp.id);
        debug_assert!(valid, "Journal::accept: checkpoint {cp:?} is no longer valid");
        if !valid {
            return;
        }
        self.checkpoints.truncate(cp.depth);
        if self.checkpoints.is_empty() {
            self.undo.clear();
            self.undo_keys.clear();
            self.transient_undo.clear();
        }
    }

    /// Every key matching `wanted` that changed since `cp`, once each in the order first
    /// changed, with its value when `cp` was taken and its value now (`None`: absent).
    /// A key written and then restored is listed with equal values. It reads the
    /// backend only for a key the overlay did not hold at `cp`.
    ///
    /// This is how a transaction's net writes are found after it ran (the runtime's
    /// storage deposits): the undo log since `cp` names exactly the keys it changed.
    /// An invalid checkpoint fails a debug assertion and lists nothing in release.
    pub fn changes_since(
        &self,
        cp: Checkpoint,
        wanted: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<KeyChange>, StorageError> {
        let valid = matches!(self.checkpoints.get(cp.depth), Some(&(id, _, _)) if id == cp.id);
        debug_assert!(valid, "Journal::changes_since: checkpoint {cp:?} is no longer valid");
        let Some(&(_, from, _)) = self.checkpoints.get(cp.depth).filter(|_| valid) else {
            return Ok(Vec::new());
        };
        let mut seen = foldhash::HashSet::default();
        let mut out = Vec::new();
        let mut start = from.checked_sub(1).map_or(0, |i| self.undo[i].0);
        for (end, prev) in &self.undo[from..] {
            let key = &self.undo_keys[start..*end];
            start = *end;
            if !wanted(key) || !seen.insert(key) {
                continue;
            }
            let before = match (prev, self.sorted.get(key)) {
                (Some(entry), _) => entry.clone(),
                (None, Some(entry)) => entry.map(<[u8]>::to_vec),
                (None, None) => self.lower_get(key)?,
            };
            out.push(KeyChange { key: key.to_vec(), before, after: self.get(key)? });
        }
        Ok(out)
    }

    /// The transient entry under `key`, if any.
    ///
    /// Transient entries are a second key space beside the overlay for values that live
    /// for one transaction (the EVM's transient storage, EIP-1153, shared by the EVM
    /// messages of a transaction however they are entered): a revert undoes their
    /// changes like the overlay's, but they are never committed, never seen by reads of
    /// the state, and do not change [`Journal::stamp`]. The transaction's runner drops
    /// them when it ends ([`Journal::clear_transient`]).
    pub fn transient(&self, key: &[u8]) -> Option<&[u8]> {
        self.transient.get(key).map(Vec::as_slice)
    }

    /// Every transient entry, in no particular order.
    pub fn transient_entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.transient.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Whether there is no transient entry.
    pub fn transient_is_empty(&self) -> bool {
        self.transient.is_empty()
    }

    /// Sets (`Some`) or removes (`None`) the transient entry under `key`, logging the old
    /// one if a checkpoint is live ([`Journal::transient`]).
    pub fn set_transient(&mut self, key: &[u8], value: Option<&[u8]>) {
        let prev = match value {
            Some(value) => self.transient.insert(key.to_vec(), value.to_vec()),
            None => self.transient.remove(key),
        };
        if !self.checkpoints.is_empty() && (prev.is_some() || value.is_some()) {
            self.transient_undo.push((key.to_vec(), prev));
        }
    }

    /// Drops every transient entry, for good (a transaction ended): a later revert does
    /// not bring them back.
    pub fn clear_transient(&mut self) {
        if !self.transient.is_empty() || !self.transient_undo.is_empty() {
            self.transient.clear();
            self.transient_undo.clear();
            for checkpoint in &mut self.checkpoints {
                checkpoint.2 = 0;
            }
        }
    }

    /// Backend pairs under `prefix` merged with the overlay (overlay wins; deletions hide), ascending.
    ///
    /// Walks the overlay keys under `prefix` only (in order), on top of the backend scan.
    #[expect(
        clippy::type_complexity,
        reason = "the plain type is the documented signature; an alias would hide it"
    )]
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        Ok(self.scan_range(prefix, None, None, Order::Ascending, usize::MAX)?.entries)
    }

    /// The pairs whose key is `prefix ++ k` with `start <= k < end` (either bound may be
    /// absent; `start >= end` is an empty range), backend merged with the overlay
    /// (overlay wins; deletions hide), in `order`, with how much was walked to find them:
    /// at most `backend_limit` backend pairs of the range ([`Backend::scan_range`]) and
    /// the overlay keys in the range, never the rest of either.
    ///
    /// If the backend returned `backend_limit` pairs ([`Scan::limited`]), the range may
    /// hold more: `entries` then stops at the last backend pair, so it is always the
    /// first pairs of the whole range, exactly.
    pub fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        backend_limit: usize,
    ) -> Result<Scan, StorageError> {
        let empty = Scan { entries: Vec::new(), walked: Walked::default(), limited: false };
        let Some((low, high)) = range_bounds(prefix, start, end) else { return Ok(empty) };
        let base = self.backend.scan_range(prefix, start, end, order, backend_limit)?;
        let limited = base.len() >= backend_limit;
        let mut walked = Walked { entries: base.len() as u64, bytes: 0 };
        walked.bytes = base.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        // The overlay's entries in the range, merged with the layer's (the overlay
        // wins), as one journal holding both would walk them.
        let layered: Option<std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>> =
            self.below.as_ref().map(|below| {
                let mut all: std::collections::BTreeMap<_, _> =
                    below.range(&low, high.as_deref()).into_iter().collect();
                for (k, v) in self.overlay_range(&low, high.as_deref()) {
                    all.insert(k.to_vec(), v.map(<[u8]>::to_vec));
                }
                all
            });
        let keys: Box<dyn DoubleEndedIterator<Item = OverlayEntry<'_>>> = match &layered {
            Some(all) => Box::new(all.iter().map(|(k, v)| (k, v.as_ref()))),
            None => self.overlay_entries(&low, high.as_deref()),
        };
        let keys: Box<dyn Iterator<Item = OverlayEntry<'_>>> = match order {
            Order::Ascending => keys,
            Order::Descending => Box::new(keys.rev()),
        };
        let mut over = keys
            .map(|(k, entry)| {
                walked.entries += 1;
                walked.bytes += (k.len() + entry.map_or(0, Vec::len)) as u64;
                (k, entry)
            })
            .peekable();
        // Whether `a` comes before `b` in `order`.
        let before = |a: &[u8], b: &[u8]| match order {
            Order::Ascending => a < b,
            Order::Descending => a > b,
        };
        // Past the last backend pair of a limited read the backend may hold pairs that
        // were not read: overlay keys there are walked (and charged) but not returned.
        let last = base.last().map(|(k, _)| k.clone());
        let past_read = |k: &[u8]| limited && last.as_deref().is_none_or(|l| before(l, k));
        let mut entries = Vec::new();
        for (key, value) in base {
            while let Some((k, entry)) = over.next_if(|(k, _)| before(k, &key)) {
                if let Some(v) = entry {
                    entries.push((k.clone(), v.clone()));
                }
            }
            match over.next_if(|(k, _)| k.as_slice() == key.as_slice()) {
                Some((k, Some(v))) => entries.push((k.clone(), v.clone())),
                Some((_, None)) => {}
                None => entries.push((key, value)),
            }
        }
        for (k, entry) in over {
            if let (Some(v), false) = (entry, past_read(k)) {
                entries.push((k.clone(), v.clone()));
            }
        }
        Ok(Scan { entries, walked, limited })
    }

    /// The net changes since the journal was created or last committed.
    pub fn changes(&self) -> ChangeSet {
        let over = self.overlay_copy();
        if self.sorted.is_empty() {
            return over;
        }
        ChangeSet::from_sorted(merge_over(self.sorted.clone().into_writes(), over.into_writes()).0)
    }

    /// The overlay's entries, copied, in key order.
    fn overlay_copy(&self) -> ChangeSet {
        ChangeSet::from_distinct(self.overlay.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// Whether there are no uncommitted changes (`changes().is_empty()`).
    pub fn is_empty(&self) -> bool {
        self.overlay.is_empty() && self.sorted.is_empty()
    }

    /// Commits block `block` with `changes()` ([`Backend::commit`]) and returns the
    /// backend's state root; then clears the overlay and undo log. On error the overlay
    /// is kept, so nothing is lost.
    ///
    /// On success every checkpoint becomes invalid. On error the undo log and checkpoints
    /// are kept too, so the journal is exactly as before the call and a retry (or a
    /// revert) works. A block with no changes is committed too: it is recorded.
    pub fn commit(&mut self, block: &BlockInfo) -> Result<Option<Hash>, StorageError> {
        if self.below.is_some() {
            return Err(StorageError::io("a layered journal cannot commit: take its changes".to_owned()));
        }
        self.writes += 1;
        if !self.sorted.is_empty() {
            return self.commit_sorted(block);
        }
        // Move the overlay into the change set rather than cloning it; `drain` keeps
        // the map's capacity for the next transaction.
        let changes = ChangeSet::from_distinct(self.overlay.drain().collect());
        let root = match self.backend.commit(block, changes) {
            Ok(root) => root,
            Err((e, changes)) => {
                self.overlay.extend(changes.into_writes());
                return Err(e);
            }
        };
        self.committed();
        Ok(root)
    }

    /// [`Journal::commit`] of a journal holding sorted changes: the overlay's (few) are
    /// merged over them, copied, so that a failed commit leaves both as they were.
    fn commit_sorted(&mut self, block: &BlockInfo) -> Result<Option<Hash>, StorageError> {
        let over = self.overlay_copy().into_writes();
        let (merged, hidden) = merge_over(std::mem::take(&mut self.sorted).into_writes(), over);
        let root = match self.backend.commit(block, ChangeSet::from_sorted(merged)) {
            Ok(root) => root,
            Err((e, changes)) => {
                // The sorted changes again: the merged ones the overlay did not write, and
                // those it hid.
                let kept = changes.into_writes().into_iter().filter(|(k, _)| !self.overlay.contains_key(k));
                self.sorted = ChangeSet::from_sorted(merge_over(kept.collect(), hidden).0);
                return Err(e);
            }
        };
        self.overlay.clear();
        self.committed();
        Ok(root)
    }

    /// Forgets what a commit made permanent: the index, undo log, checkpoints and
    /// transient entries.
    fn committed(&mut self) {
        self.forget_history();
        self.clear_transient();
    }

    /// Drops the ordered index, the undo log and the checkpoints: the changes were taken
    /// or committed.
    fn forget_history(&mut self) {
        self.drop_ordered();
        self.undo.clear();
        self.undo_keys.clear();
        self.checkpoints.clear();
    }
}

/// Keys and their entries (`None`: deleted), as a change set holds them.
type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// `over` written over `under` (both ascending, each key once): the merged writes, and
/// the entries of `under` that `over` replaced.
fn merge_over(under: Writes, over: Writes) -> (Writes, Writes) {
    if over.is_empty() {
        return (under, Vec::new());
    }
    let mut merged = Vec::with_capacity(under.len() + over.len());
    let mut hidden = Vec::new();
    let mut over = over.into_iter().peekable();
    for (key, entry) in under {
        while let Some(write) = over.next_if(|(k, _)| *k < key) {
            merged.push(write);
        }
        match over.next_if(|(k, _)| *k == key) {
            Some(write) => {
                merged.push(write);
                hidden.push((key, entry));
            }
            None => merged.push((key, entry)),
        }
    }
    merged.extend(over);
    (merged, hidden)
}
