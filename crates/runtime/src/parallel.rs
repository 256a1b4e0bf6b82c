//! A block's transactions run in parallel, with results identical to running them one
//! after another.
//!
//! [`Block::run_batch`] runs `count` transactions (tasks: each gets a [`Block`] and its
//! position, and may make any calls a block takes) on `[execution] threads` threads.
//! Threads run chunks of consecutive tasks *speculatively*, one after another in a
//! journal of the chunk's own layered over the block's state as the tasks committed so
//! far left it ([`View`]), recording every key and range the chunk read. One thread at a
//! time commits them in order: a chunk whose reads no task committed after its snapshot
//! has written, whose block-limit checks still pass and whose guessed transaction index
//! (if it looked at it) is right commits its writes as they are; the tasks of any other
//! are run again on the committing thread, one at a time, against the exact state, which
//! is what a sequential run does. So the committed state, receipts, events and gas never
//! depend on the thread count or on timing. Chunks grow while they stand and shrink to
//! one task on a conflict; a stretch of conflicts switches to running tasks one after
//! another on the block itself for a while, so a block where every task conflicts costs
//! little more than a sequential one. `docs/parallel.md` has the algorithm, its
//! invariants and the measurements.
//!
//! This module owns the scheduling, the store of committed writes and validation. It
//! must not know what a task does: the VMs, fees and nonces are the caller's and
//! [`Block`]'s.

use std::collections::BTreeSet;
use std::ops::{Bound, Range};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::time::Duration;

use state::{Backend, ChangeSet, Journal, Layer};
use types::{Address, BlockInfo, Gas};
use vm::{Balance, accounts, keys};

use crate::chain::Exec;
use crate::{Block, Config, Runtime};

/// Commits looked at to decide whether a batch conflicts too much to run in parallel.
const WINDOW: usize = 32;
/// Tasks of the last [`WINDOW`] that had to run again at which the batch goes on one
/// task after another for a while.
const FALLBACK_CONFLICTS: usize = 16;
/// Tasks run one after another after the first stretch of conflicts; it doubles with
/// each further stretch, up to [`MAX_SEQUENTIAL`].
const FIRST_SEQUENTIAL: usize = 128;
/// The longest run of tasks one after another before parallel execution is tried again.
const MAX_SEQUENTIAL: usize = 4_096;
/// The most tasks of the parallel stretch that tries again after a fallback (a probe).
const PROBE: usize = 256;
/// The most consecutive tasks a thread runs as one unit (a chunk): one view, one
/// journal, one publication and one validation for all of them. Chunks start at one
/// task and double with each chunk that stands, up to this; a conflict takes them back
/// to one.
const MAX_CHUNK: usize = 64;

/// The block's running totals that its limits check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub(crate) txs: u32,
    pub(crate) event_bytes: u64,
    pub(crate) gas_used: Gas,
}

impl Counters {
    fn of(block: &Block<'_>) -> Counters {
        Counters { txs: block.txs, event_bytes: block.event_bytes, gas_used: block.gas_used }
    }

    /// `self` moved on by what a task did, from `start` to `end`.
    fn advanced(self, start: Counters, end: Counters) -> Counters {
        Counters {
            txs: self.txs + (end.txs - start.txs),
            event_bytes: self.event_bytes.saturating_add(end.event_bytes - start.event_bytes),
            gas_used: self.gas_used.saturating_add(end.gas_used - start.gas_used),
        }
    }
}

/// A check of the block's limits that a speculative task passed, with the totals it
/// added before it (`before`), so it can be checked again from the real totals.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// Room for one more transaction (`block.max_transactions`).
    Txs { before: u32 },
    /// Room for `bytes` more event bytes (`block.max_event_bytes`).
    Events { before: u64, bytes: u64 },
    /// Room for a gas limit of `wanted` (`max_block_gas`).
    Gas { before: Gas, wanted: Gas },
}

impl Check {
    /// Whether it passes with the block's totals at `at` when the task starts.
    fn passes(&self, at: Counters, config: &Config) -> bool {
        match *self {
            Check::Txs { before } => at.txs + before < config.block.max_transactions,
            Check::Events { before, bytes } => {
                (at.event_bytes + before).saturating_add(bytes) <= config.block.max_event_bytes
            }
            Check::Gas { before, wanted } => {
                wanted <= config.max_block_gas.saturating_sub(at.gas_used.saturating_add(before))
            }
        }
    }
}

/// What one task of a parallel batch assumed and depended on (the `spec` of its
/// [`Block`]).
pub(crate) struct Spec {
    /// The block's totals the task started from: the real ones if `exact`, else a guess.
    pub(crate) start: Counters,
    /// Run against the exact state with the real totals: its result stands as it is.
    exact: bool,
    /// The limit checks it passed.
    checks: Vec<Check>,
    /// Whether it looked at its transaction's index (a CosmWasm contract does).
    pub(crate) index_seen: bool,
    /// Whether it read something a speculative run cannot trust — the block's running
    /// totals ([`Block::transactions`], [`Block::event_bytes`]), which it only guesses,
    /// or a store's error outside a message: it cannot stand.
    pub(crate) untrusted: std::cell::Cell<bool>,
    /// It cannot stand: a limit check failed, a node fault, a store's error.
    failed: bool,
    /// Credits to balances it never read nor wrote, added when it commits.
    deltas: Vec<(Address, Balance)>,
    /// Its view of the state, with what it read.
    view: Arc<View>,
}

impl Spec {
    /// Records a limit check; one that failed is never trusted (its message names the
    /// block's totals, which a speculative task only guesses).
    pub(crate) fn check(&mut self, check: Check, passed: bool) {
        if self.exact {
            return;
        }
        if passed { self.checks.push(check) } else { self.failed = true }
    }

    /// The task's result cannot stand: it runs again in order.
    pub(crate) fn fail(&mut self) {
        self.failed = true;
    }

    /// A credit of `amount` to `address` the task makes: deferred to its commit (and
    /// `true`) if the balance is not in its own writes; a later read of it through the
    /// view makes the task run again ([`View::get`]).
    pub(crate) fn defer_credit(&mut self, journal: &Journal, address: Address, amount: Balance) -> bool {
        if self.exact {
            return false;
        }
        let key = keys::balance(&address);
        if journal.overlay_entry(&key).is_some() {
            return false;
        }
        let mut reads = lock(&self.view.reads);
        if !reads.deferred.iter().any(|k| k[..] == key[..]) {
            reads.deferred.push(key.to_vec());
        }
        drop(reads);
        self.deltas.push((address, amount));
        true
    }

    /// Whether the task deferred a credit.
    pub(crate) fn has_deferred(&self) -> bool {
        !self.deltas.is_empty()
    }

    /// Whether the run cannot stand: a failed check, a node fault, or something read
    /// that a speculative run cannot trust.
    fn cannot_stand(&self) -> bool {
        self.failed || self.untrusted.get()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Shards of [`Versions`]: the committing thread locks a shard once for a chunk's keys
/// in it, never the reads of the others. Few enough that a chunk of 64 transfers takes
/// about 16 locks rather than one a key (each lock and unlock waits for the table stores
/// before it); readers lock only keys a committed task wrote.
const SHARDS: usize = 16;

/// Bits of [`Versions::written`]: 2^20 (128 KiB), so a block of tens of thousands of
/// written keys leaves most bits clear.
const FILTER_BITS: u64 = 1 << 20;

/// The shard of [`Versions`] that holds the key whose hash is `hash`.
fn shard_index(hash: u64) -> usize {
    ((hash >> 40) % SHARDS as u64) as usize
}

/// Keys and their new entries (`None`: deleted).
type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Keys back to back, each with its hash ([`Versions::hash`]): a chunk's reads in one
/// buffer rather than an allocation per key.
#[derive(Default)]
struct KeyLog {
    bytes: Vec<u8>,
    /// Where each key ends in `bytes`, and its hash.
    ends: Vec<(usize, u64)>,
}

impl KeyLog {
    fn push(&mut self, key: &[u8], hash: u64) {
        self.bytes.extend_from_slice(key);
        self.ends.push((self.bytes.len(), hash));
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        let mut start = 0;
        self.ends.iter().map(move |&(end, hash)| {
            let key = &self.bytes[start..end];
            start = end;
            (key, hash)
        })
    }
}

/// One key the committed tasks wrote: its last entry, and the position of the task
/// that wrote it.
struct Written {
    key: Vec<u8>,
    /// [`Versions::hash`] of `key`.
    hash: u64,
    task: u32,
    entry: Option<Vec<u8>>,
}

/// One shard of [`Versions`]: every key written, once, in the order first written, and
/// their positions hashed by key ([`Versions::hash`], so a key is hashed once). A new
/// key is appended to the log, and the table's slots are four bytes: the committing
/// thread's writes land on a few cache lines rather than one scattered line each.
struct ShardMap {
    table: hashbrown::HashTable<u32>,
    log: Vec<Written>,
}

impl ShardMap {
    fn with_capacity(keys: usize) -> ShardMap {
        ShardMap { table: hashbrown::HashTable::with_capacity(keys), log: Vec::with_capacity(keys) }
    }

    fn find(&self, key: &[u8], hash: u64) -> Option<&Written> {
        let log = &self.log;
        self.table.find(hash, |&at| log[at as usize].key == key).map(|&at| &log[at as usize])
    }

    /// Records `entry` as task `task`'s for `key`; whether the key is new to the shard.
    fn write(&mut self, key: Vec<u8>, hash: u64, task: u32, entry: Option<Vec<u8>>) -> bool {
        let log = &mut self.log;
        if let Some(&at) = self.table.find(hash, |&at| log[at as usize].key == key) {
            let written = &mut log[at as usize];
            (written.task, written.entry) = (task, entry);
            return false;
        }
        let at = u32::try_from(log.len()).expect("fewer than 2^32 keys in a shard");
        log.push(Written { key, hash, task, entry });
        self.table.insert_unique(hash, at, |&at| log[at as usize].hash);
        true
    }

    fn len(&self) -> usize {
        self.log.len()
    }

    /// The key last added to the log (the one [`ShardMap::write`] found new).
    fn newest_key(&self) -> &[u8] {
        self.log.last().map_or(&[], |w| &w.key)
    }
}

type Shard = RwLock<ShardMap>;

/// What the committed tasks of a stretch wrote: each key's last entry and writer,
/// sharded by key. Only the committing thread writes it, as it commits; speculative
/// writes stay with the chunk that made them until it commits. A view of snapshot `c`
/// reads the last entry whoever wrote it: if that is a task at `c` or later, committed
/// after the view's snapshot, the chunk's validation sees it (the key is among its
/// reads) and the chunk runs again.
struct Versions {
    shards: Box<[Shard]>,
    /// Seeded at random per process, like the journal's: keys contracts choose cannot
    /// be crafted to collide in the shards' tables. Only speed depends on it.
    hasher: foldhash::fast::RandomState,
    /// A bit per key hash, set before a key's first version is published: a read of a
    /// key whose bit is clear needs no lock (no committed task wrote it).
    written: Box<[AtomicU64]>,
    /// Every key written, in order, for range reads: built at the first range read and
    /// kept from then on (most batches never scan).
    keys: RwLock<Option<BTreeSet<Vec<u8>>>>,
    /// Tasks committed, and the block's totals after them.
    committed: Mutex<(u32, Counters)>,
}

impl Versions {
    /// Empty, for a stretch of `tasks` tasks starting from the block's totals `counters`.
    fn new(counters: Counters, tasks: usize) -> Versions {
        // Room for a few keys per task, so the shards rarely grow while the committing
        // thread fills them; at most what 4,096 tasks need (a stretch that falls back
        // early commits only a few).
        let per_shard = tasks.min(4_096) * (KEYS_PER_TASK / 2) / SHARDS;
        Versions {
            shards: (0..SHARDS).map(|_| RwLock::new(ShardMap::with_capacity(per_shard))).collect(),
            hasher: foldhash::fast::RandomState::default(),
            written: (0..FILTER_BITS / 64).map(|_| AtomicU64::new(0)).collect(),
            keys: RwLock::new(None),
            committed: Mutex::new((0, counters)),
        }
    }

    /// `key`'s hash: bits 20 to 39 pick its filter bit, 40 to 43 its shard, and the
    /// shard's table uses the rest (low bits for the bucket, the top seven to tell keys
    /// apart), so none of these decides another.
    fn hash(&self, key: &[u8]) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, key)
    }

    fn shard_of(&self, hash: u64) -> &Shard {
        &self.shards[shard_index(hash)]
    }

    /// The shard of the key whose hash is `hash`, if its filter bit is set (else no task
    /// wrote it).
    fn shard(&self, hash: u64) -> Option<&Shard> {
        let (word, mask) = self.filter_bit(hash);
        // Acquire: pairs with `mark_written`'s Release, though a reader that must see a
        // version learned of it through `committed` (a mutex) anyway.
        (word.load(Ordering::Acquire) & mask != 0).then(|| self.shard_of(hash))
    }

    /// The filter word of the key whose hash is `hash`, and its bit in it.
    fn filter_bit(&self, hash: u64) -> (&AtomicU64, u64) {
        let bit = (hash >> 20) % FILTER_BITS;
        (&self.written[(bit / 64) as usize], 1 << (bit % 64))
    }

    /// Sets the filter bit of the key whose hash is `hash`. Only the committing thread
    /// writes the filter, so a load and a store do: no read-modify-write, whose lock
    /// would wait for every store before it, and no store at all when the bit is set.
    fn mark_written(&self, hash: u64) {
        let (word, mask) = self.filter_bit(hash);
        let bits = word.load(Ordering::Relaxed);
        if bits & mask == 0 {
            word.store(bits | mask, Ordering::Release);
        }
    }

    /// The last committed entry of `key` (whose hash is `hash`), if a task wrote it.
    fn get(&self, key: &[u8], hash: u64) -> Option<Option<Vec<u8>>> {
        let shard = self.shard(hash)?.read().unwrap_or_else(PoisonError::into_inner);
        shard.find(key, hash).map(|w| w.entry.clone())
    }

    /// The position of the last committed task that wrote `key`, if one did.
    fn last_writer(&self, key: &[u8], hash: u64) -> Option<u32> {
        let shard = self.shard(hash)?.read().unwrap_or_else(PoisonError::into_inner);
        shard.find(key, hash).map(|w| w.task)
    }

    /// The keys written in `[low, high)`.
    fn range(&self, low: &[u8], high: Option<&[u8]>) -> Vec<Vec<u8>> {
        let upper = high.map_or(Bound::Unbounded, Bound::Excluded);
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        // Built from the shards under the index's write lock: `publish` holds its read
        // lock while it changes the shards and adds its new keys afterwards, so a key is
        // either in a shard when the index is built or added by `publish`. A scan that
        // runs between the two misses a key only its committing thread's validation
        // needs, and that validation runs after `publish` returned.
        let index = keys.get_or_insert_with(|| {
            self.shards
                .iter()
                .flat_map(|shard| {
                    let shard = shard.read().unwrap_or_else(PoisonError::into_inner);
                    shard.log.iter().map(|w| w.key.clone()).collect::<Vec<_>>()
                })
                .collect()
        });
        index.range::<[u8], _>((Bound::Included(low), upper)).cloned().collect()
    }

    /// Records `writes` (with their keys' `hashes`, in order; each key once) as task
    /// `task`'s, which the committing thread is committing. Each shard is locked once for
    /// all of its keys: a lock and an unlock each wait for the stores before them, so a
    /// lock per key would keep the table's cache misses from overlapping.
    fn publish(&self, task: u32, mut writes: Writes, hashes: &[u64]) {
        // Held while the shards change, so the index is never built in between: a key
        // is either in a shard before the index is built or added to the index here.
        let index = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let indexed = index.is_some();
        let mut new_keys = Vec::new();
        debug_assert_eq!(writes.len(), hashes.len(), "a hash per write");
        // The writes' positions grouped by shard, in order within each (a counting sort).
        let mut ends = [0usize; SHARDS];
        for &hash in hashes {
            self.mark_written(hash);
            ends[shard_index(hash)] += 1;
        }
        for at in 1..SHARDS {
            ends[at] += ends[at - 1];
        }
        let mut next: [usize; SHARDS] = std::array::from_fn(|at| if at == 0 { 0 } else { ends[at - 1] });
        let mut order = vec![0; hashes.len()];
        for (i, &hash) in hashes.iter().enumerate() {
            let at = &mut next[shard_index(hash)];
            order[*at] = i;
            *at += 1;
        }
        let mut start = 0;
        for (at, &end) in ends.iter().enumerate() {
            if start == end {
                continue;
            }
            let mut shard = self.shards[at].write().unwrap_or_else(PoisonError::into_inner);
            for &i in &order[start..end] {
                let (key, entry) = std::mem::take(&mut writes[i]);
                if shard.write(key, hashes[i], task, entry) && indexed {
                    new_keys.push(shard.newest_key().to_vec());
                }
            }
            start = end;
        }
        drop(index);
        if !new_keys.is_empty()
            && let Some(index) = &mut *self.keys.write().unwrap_or_else(PoisonError::into_inner)
        {
            index.extend(new_keys);
        }
    }

    /// Tasks committed and the block's totals after them.
    fn committed(&self) -> (u32, Counters) {
        *lock(&self.committed)
    }

    /// Each key's last entry, sorted: what running the committed tasks in order leaves.
    /// It is sorted on `parts` threads, the calling one and `pool`'s, as a sample sort:
    /// keys sampled from the shards (each holds the keys its hashes pick) split the key
    /// space into `parts` ranges; each thread moves a share of the shards' entries into
    /// buckets by range, then each sorts one range's buckets, and the ranges in order are
    /// the result.
    fn into_changes(self, pool: Option<&rayon::ThreadPool>, parts: usize) -> ChangeSet {
        let shards: Vec<ShardMap> = self
            .shards
            .into_iter()
            .map(|shard| shard.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect();
        let total = shards.iter().map(|shard| shard.len()).sum();
        let splitters = if pool.is_some() { splitters(&shards, parts) } else { Vec::new() };
        let parts = splitters.len() + 1;
        let mut shares: Vec<Vec<ShardMap>> = (0..parts).map(|_| Vec::new()).collect();
        for (i, shard) in shards.into_iter().enumerate() {
            shares[i % parts].push(shard);
        }
        let bucket = |share: Vec<ShardMap>| -> Vec<Writes> {
            // Room for a fair share and a quarter more, so few buckets grow.
            let fair = share.iter().map(|shard| shard.len()).sum::<usize>() / parts;
            let mut buckets: Vec<Writes> =
                (0..parts).map(|_| Vec::with_capacity(fair + fair / 4 + 16)).collect();
            for written in share.into_iter().flat_map(|shard| shard.log) {
                let range = splitters.partition_point(|s| s.as_slice() <= written.key.as_slice());
                buckets[range].push((written.key, written.entry));
            }
            buckets
        };
        let mut ranges: Vec<Vec<Writes>> = (0..parts).map(|_| Vec::with_capacity(parts)).collect();
        for buckets in on_threads(pool, shares, bucket) {
            for (range, bucket) in ranges.iter_mut().zip(buckets) {
                range.push(bucket);
            }
        }
        let sort = |buckets: Vec<Writes>| -> Writes {
            let mut run = Vec::with_capacity(buckets.iter().map(Vec::len).sum());
            for bucket in buckets {
                run.extend(bucket);
            }
            run.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            run
        };
        let mut all = Vec::with_capacity(total);
        for run in on_threads(pool, ranges, sort) {
            all.extend(run);
        }
        // `from_sorted` would sort again what is not: a test build says so.
        debug_assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "ranges sorted and in order");
        ChangeSet::from_sorted(all)
    }
}

/// Keys written that fewer threads than this sort on one (a thread's start costs
/// more than sorting a few keys).
const SORT_PER_THREAD: usize = 1_024;

/// Keys sampled per range of [`Versions::into_changes`].
const SAMPLES_PER_RANGE: usize = 16;

/// At most `parts - 1` keys, ascending and distinct, that split the keys of `shards`
/// into about equal ranges (none if they are too few to be worth splitting).
fn splitters(shards: &[ShardMap], parts: usize) -> Vec<Vec<u8>> {
    let total: usize = shards.iter().map(|shard| shard.len()).sum();
    let parts = parts.min(total / SORT_PER_THREAD).max(1);
    if parts == 1 {
        return Vec::new();
    }
    let per_shard = (parts * SAMPLES_PER_RANGE).div_ceil(shards.len().max(1));
    // Spread over each log, whose order is the order of first writes, not of keys.
    let mut sample: Vec<&[u8]> = shards
        .iter()
        .flat_map(|shard| shard.log.iter().step_by((shard.len() / per_shard).max(1)).take(per_shard))
        .map(|w| w.key.as_slice())
        .collect();
    sample.sort_unstable();
    let mut splitters: Vec<Vec<u8>> = (1..parts).map(|i| sample[i * sample.len() / parts].to_vec()).collect();
    splitters.dedup();
    splitters
}

/// `f` of each of `inputs`, in order: the first on the calling thread, the others on
/// `pool`'s threads at the same time (all on the calling thread without a pool).
fn on_threads<I: Send, O: Send>(
    pool: Option<&rayon::ThreadPool>,
    inputs: Vec<I>,
    f: impl Fn(I) -> O + Sync,
) -> Vec<O> {
    let Some(pool) = pool.filter(|_| inputs.len() > 1) else {
        return inputs.into_iter().map(f).collect();
    };
    let mut outs: Vec<Option<O>> = (0..inputs.len()).map(|_| None).collect();
    pool.in_place_scope(|s| {
        let f = &f;
        let mut inputs = inputs.into_iter();
        let (first, rest) = outs.split_first_mut().expect("more than one input");
        let mine = inputs.next().expect("more than one input");
        for (out, input) in rest.iter_mut().zip(inputs) {
            s.spawn(move |_| *out = Some(f(input)));
        }
        *first = Some(f(mine));
    });
    outs.into_iter().map(|out| out.expect("every input was run")).collect()
}

/// What every task of a parallel stretch shares: the block's journal as the stretch
/// found it (read-only) and the committed tasks' writes.
struct Shared {
    base: Journal,
    versions: Versions,
}

/// One thread's handle on a stretch, which its tasks' views hold: each thread has its
/// own, so making a view per task counts references on that thread's object, not on
/// the stretch's shared one.
pub(crate) struct Local {
    shared: Arc<Shared>,
    backend: Arc<dyn Backend>,
}

impl Local {
    fn new(shared: &Arc<Shared>, backend: &Arc<dyn Backend>) -> Arc<Local> {
        Arc::new(Local { shared: shared.clone(), backend: backend.clone() })
    }
}

/// What keys and ranges a task read through its [`View`].
#[derive(Default)]
struct Reads {
    /// Every key read through the view, repeats included.
    keys: KeyLog,
    /// `[low, high)` of every range scanned.
    ranges: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Balance keys with a deferred credit ([`Spec::defer_credit`]).
    deferred: Vec<Vec<u8>>,
    /// A deferred balance was read: the task cannot stand.
    poisoned: bool,
}

/// A chunk's view of the state: the block's journal under the committed tasks' last
/// writes, recording what the chunk reads. Its `snapshot` is the number of tasks
/// committed when the chunk started: a read of an entry a later task wrote is caught
/// when the chunk is validated ([`Versions`]).
pub(crate) struct View {
    local: Arc<Local>,
    snapshot: u32,
    /// Whether to record reads (a speculative task) or not (an exact one).
    record: bool,
    reads: Mutex<Reads>,
}

impl View {
    fn new(local: &Arc<Local>, snapshot: u32, record: bool) -> Arc<View> {
        Arc::new(View { local: local.clone(), snapshot, record, reads: Mutex::new(Reads::default()) })
    }

    fn versions(&self) -> &Versions {
        &self.local.shared.versions
    }
}

impl Layer for View {
    fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let hash = self.versions().hash(key);
        if self.record {
            let mut reads = lock(&self.reads);
            if reads.deferred.iter().any(|k| k == key) {
                reads.poisoned = true;
            }
            reads.keys.push(key, hash);
        }
        if let Some(entry) = self.versions().get(key, hash) {
            return Some(entry);
        }
        self.local.shared.base.overlay_entry(key).map(|e| e.map(<[u8]>::to_vec))
    }

    fn range(&self, low: &[u8], high: Option<&[u8]>) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        if self.record {
            let mut reads = lock(&self.reads);
            // A scan over a balance with a deferred credit sees it without the credit.
            let within = |k: &Vec<u8>| k.as_slice() >= low && high.is_none_or(|high| k.as_slice() < high);
            if reads.deferred.iter().any(within) {
                reads.poisoned = true;
            }
            reads.ranges.push((low.to_vec(), high.map(<[u8]>::to_vec)));
        }
        let mut all: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> = self
            .local
            .shared
            .base
            .overlay_range(low, high)
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect();
        let versions = self.versions();
        for key in versions.range(low, high) {
            if let Some(entry) = versions.get(&key, versions.hash(&key)) {
                all.insert(key, entry);
            }
        }
        all.into_iter().collect()
    }
}

/// A chunk of tasks that ran, one after another in one block: their results (fewer
/// than the chunk's tasks if one panicked or the run could not stand), the keys they
/// wrote (published as the versions of the chunk's last task) and what they assumed.
struct Done<T> {
    /// Tasks in the chunk.
    len: usize,
    outs: Vec<std::thread::Result<T>>,
    /// The chunk's net writes, and their keys' hashes ([`Versions::hash`]).
    writes: Writes,
    hashes: Vec<u64>,
    end: Counters,
    spec: Box<Spec>,
}

/// A value alone on its cache lines, so threads working on neighbours do not contend.
#[repr(align(128))]
struct Padded<T>(T);

enum Slot<T> {
    Empty,
    Running,
    Done(Box<Done<T>>),
    Taken,
}

/// Keys a chunk's journal makes room for per task: a transfer writes about four.
const KEYS_PER_TASK: usize = 8;

/// What became of a speculative chunk at its turn to commit ([`Stage::settle`]).
enum Turn<T> {
    /// It stood and the gate let every task in: their results.
    Committed(Vec<T>),
    /// The gate stopped at task `at`, or panicked there, part-way through the chunk.
    Stopped { at: usize, panic: Option<Box<dyn std::any::Any + Send>> },
    /// It does not stand: its tasks run again in order.
    Rejected,
}

/// How a parallel stretch ended.
enum Stretch {
    /// Every task committed, or the gate stopped the batch.
    Finished,
    /// Too many conflicts: the tasks from this position on are not run yet.
    Conflicted(usize),
}

/// Everything the threads of a stretch share.
struct Stage<'s, 'r, T, F> {
    rt: &'r Runtime,
    exec: &'r Exec,
    info: BlockInfo,
    generation: Option<u64>,
    backend: Arc<dyn Backend>,
    shared: &'s Arc<Shared>,
    /// One per task: a chunk's run is kept in the slot of its first task.
    slots: &'s [Padded<Mutex<Slot<T>>>],
    /// The next task to speculate: the first of the next chunk.
    cursor: AtomicUsize,
    /// Tasks in the next chunk a thread takes.
    chunk: Padded<AtomicUsize>,
    /// Tasks past this are not run (the gate stopped the batch, or it fell back).
    end: AtomicUsize,
    /// Worker threads, each running its chunks on a lane of its own ([`Exec::lane`]).
    workers: usize,
    stop: AtomicBool,
    /// Signalled when a chunk is done, if the committing thread is `waiting`.
    wake: (Mutex<()>, Condvar),
    waiting: AtomicBool,
    task: &'s F,
    /// The position of the stretch's first task in the batch.
    first: usize,
}

fn pos(i: usize) -> u32 {
    u32::try_from(i).expect("a batch holds at most u32::MAX tasks")
}

impl<'r, T, F> Stage<'_, 'r, T, F>
where
    T: Send,
    F: Fn(&mut Block<'r>, usize) -> T + Sync,
{
    /// A block for tasks seeing the first `snapshot` tasks' writes, from totals `start`,
    /// running contracts on `exec`'s VMs.
    fn block(
        &self,
        local: &Arc<Local>,
        exec: &'r Exec,
        snapshot: u32,
        start: Counters,
        exact: bool,
    ) -> Block<'r> {
        let view = View::new(local, snapshot, !exact);
        let journal = Journal::layered(local.backend.clone(), view.clone());
        let spec = Spec {
            start,
            exact,
            checks: Vec::new(),
            index_seen: false,
            untrusted: std::cell::Cell::new(false),
            failed: false,
            deltas: Vec::new(),
            view,
        };
        Block {
            rt: self.rt,
            exec,
            journal,
            info: self.info,
            txs: start.txs,
            event_bytes: start.event_bytes,
            gas_used: start.gas_used,
            generation: self.generation,
            spec: Some(Box::new(spec)),
        }
    }

    /// Tasks ran in `block`: their writes, hashed here on the thread that ran them, wait
    /// in the result for their commit.
    fn done(&self, mut block: Block<'r>, outs: Vec<std::thread::Result<T>>) -> Done<T> {
        let end = Counters::of(&block);
        let writes = block.journal.take_writes();
        let hashes = writes.iter().map(|(key, _)| self.shared.versions.hash(key)).collect();
        let spec = block.spec.take().expect("a task's block has its spec");
        Done { len: 1, outs, writes, hashes, end, spec }
    }

    /// A worker: speculates chunks until none is left, on its lane.
    fn work(&self) {
        let local = Local::new(self.shared, &self.backend);
        let lane = rayon::current_thread_index().map_or(self.exec, |i| self.exec.lane(i, self.workers));
        loop {
            if self.stop.load(Ordering::Acquire) || !self.claim(&local, lane) {
                return;
            }
        }
    }

    /// Takes the next chunk and speculates it on `exec`; `false` if no task is left.
    fn claim(&self, local: &Arc<Local>, exec: &'r Exec) -> bool {
        // Near the end, chunks shrink so the threads finish together: at most a share
        // of half the tasks left per thread.
        let left = self.slots.len().saturating_sub(self.cursor.load(Ordering::Relaxed));
        let share = (left / (2 * (self.workers + 1))).max(1);
        let len = self.chunk.0.load(Ordering::Relaxed).min(share);
        let start = self.cursor.fetch_add(len, Ordering::AcqRel);
        let end = self.end.load(Ordering::Acquire);
        if start >= end {
            return false;
        }
        self.speculate(local, exec, start..(start + len).min(end));
        true
    }

    /// Runs the chunk `tasks` one task after another on the state as the tasks committed
    /// so far left it, unless the committing thread took its first task already. It
    /// stops at a task that panicked or after which the run cannot stand.
    fn speculate(&self, local: &Arc<Local>, exec: &'r Exec, tasks: Range<usize>) {
        {
            let mut slot = lock(&self.slots[tasks.start].0);
            if !matches!(*slot, Slot::Empty) {
                return;
            }
            *slot = Slot::Running;
        }
        let (snapshot, counters) = self.shared.versions.committed();
        // Guess that every task before it takes one transaction index.
        let ahead = pos(tasks.start).saturating_sub(snapshot);
        let guess = Counters { txs: counters.txs.saturating_add(ahead), ..counters };
        let mut block = self.block(local, exec, snapshot, guess, false);
        // Room for what the chunk typically writes, so its journal does not grow (and
        // rehash) step by step.
        block.journal.reserve(tasks.len() * KEYS_PER_TASK);
        let mut outs = Vec::with_capacity(tasks.len());
        for i in tasks.clone() {
            let out = catch_unwind(AssertUnwindSafe(|| (self.task)(&mut block, self.first + i)));
            let stop = out.is_err() || block.spec.as_ref().is_some_and(|spec| spec.cannot_stand());
            outs.push(out);
            if stop {
                break;
            }
        }
        let done = Done { len: tasks.len(), ..self.done(block, outs) };
        *lock(&self.slots[tasks.start].0) = Slot::Done(Box::new(done));
        if self.waiting.load(Ordering::SeqCst) {
            let _wake = lock(&self.wake.0);
            self.wake.1.notify_all();
        }
    }

    /// Whether the speculative run of the chunk of tasks `tasks` stands with the block's
    /// totals at `at` (the tasks before it committed).
    fn valid(&self, tasks: &Range<usize>, done: &Done<T>, at: Counters, versions: &Versions) -> bool {
        let spec = &done.spec;
        if done.outs.len() != done.len
            || done.outs.iter().any(|out| out.is_err())
            || spec.cannot_stand()
            || (spec.index_seen && spec.start.txs != at.txs)
        {
            return false;
        }
        if !spec.checks.iter().all(|c| c.passes(at, &self.exec.config)) {
            return false;
        }
        let reads = lock(&spec.view.reads);
        if reads.poisoned || reads.deferred.iter().any(|k| done.writes.iter().any(|(w, _)| w == k)) {
            return false;
        }
        let (snapshot, first) = (spec.view.snapshot, pos(tasks.start));
        if snapshot == first {
            return true;
        }
        // Every committed task is below `first`: one at `snapshot` or later wrote it since.
        let newer =
            |key: &[u8], hash: u64| versions.last_writer(key, hash).is_some_and(|task| task >= snapshot);
        !reads.keys.iter().any(|(k, hash)| newer(k, hash))
            && !reads.ranges.iter().any(|(low, high)| {
                versions.range(low, high.as_deref()).iter().any(|k| newer(k, versions.hash(k)))
            })
    }

    /// Runs task `j` against the exact state (the first `j` tasks committed) with the
    /// block's real totals `at`, as a sequential run would. A panic is the task's own.
    fn exact(&self, local: &Arc<Local>, j: usize, at: Counters) -> Done<T> {
        let mut block = self.block(local, self.exec, pos(j), at, true);
        let out = (self.task)(&mut block, self.first + j);
        self.done(block, vec![Ok(out)])
    }

    /// The deferred credits of `tasks` (a run that stands), added to the balances as the
    /// tasks before them left them: the writes to publish at their commit. `None` if one
    /// would overflow (the tasks run again in order, to fail as they would have).
    fn credits(&self, local: &Arc<Local>, tasks: &Range<usize>, done: &Done<T>) -> Option<Writes> {
        if done.spec.deltas.is_empty() {
            return Some(Vec::new());
        }
        // The credited balances are not among the tasks' own writes (`valid`).
        let view = View::new(local, pos(tasks.start), false);
        let mut credits = Journal::layered(local.backend.clone(), view);
        for (address, amount) in &done.spec.deltas {
            let total = accounts::balance(&credits, address).ok()?.checked_add(*amount)?;
            accounts::set_balance(&mut credits, address, total).ok()?;
        }
        Some(credits.take_writes())
    }

    /// Commits `tasks` with their deferred `credits`: their writes join the committed
    /// ones, then the totals and the committed count move on. Their results, in order.
    fn commit(&self, tasks: Range<usize>, done: Done<T>, credits: Writes, at: &mut Counters) -> Vec<T> {
        let versions = &self.shared.versions;
        let last = pos(tasks.end - 1);
        let Done { outs, writes, hashes, end, spec, .. } = done;
        // Readable before the count moves past them (a view's snapshot is a count).
        versions.publish(last, writes, &hashes);
        if !credits.is_empty() {
            let hashes: Vec<u64> = credits.iter().map(|(key, _)| versions.hash(key)).collect();
            versions.publish(last, credits, &hashes);
        }
        *at = at.advanced(spec.start, end);
        *lock(&versions.committed) = (last + 1, *at);
        let stood = |out: std::thread::Result<T>| {
            out.unwrap_or_else(|_| unreachable!("a run that panicked never commits"))
        };
        outs.into_iter().map(stood).collect()
    }

    /// The committing thread: commits the stretch's tasks in order from the block's
    /// totals `at`, asking `gate` before each, helping to speculate while it waits.
    fn run<G>(&self, mut at: Counters, gate: &mut G, out: &mut Vec<T>) -> Stretch
    where
        G: FnMut(usize, Option<&T>) -> bool,
    {
        let local = Local::new(self.shared, &self.backend);
        let local = &local;
        let n = self.slots.len();
        let mut window = [false; WINDOW];
        let mut conflicts = 0;
        let mut note = |j: usize, conflict: bool| {
            conflicts -= usize::from(window[j % WINDOW]);
            window[j % WINDOW] = conflict;
            conflicts += usize::from(conflict);
            j + 1 >= WINDOW && conflicts >= FALLBACK_CONFLICTS && j + 1 < n
        };
        let mut j = 0;
        while j < n {
            let done = loop {
                let taken = {
                    let mut slot = lock(&self.slots[j].0);
                    match *slot {
                        // Left as it is: the thread running it stores its result there.
                        Slot::Running => Slot::Running,
                        _ => std::mem::replace(&mut *slot, Slot::Taken),
                    }
                };
                match taken {
                    Slot::Done(done) => break Some(*done),
                    // No thread took it (nor the chunk it starts): it runs in order.
                    Slot::Empty => break None,
                    Slot::Running => self.help_or_wait(local, j),
                    Slot::Taken => unreachable!("task {j} is committed once"),
                }
            };
            let tasks = j..j + done.as_ref().map_or(1, |done| done.len);
            let conflict = done.is_some();
            let turn = match done {
                Some(done) => self.settle(local, &tasks, done, &mut at, gate, out),
                None => Turn::Rejected,
            };
            match turn {
                Turn::Committed(results) => {
                    out.extend(results);
                    self.grow(tasks.len());
                    j = tasks.end;
                    // Every task noted (no short circuit): the window is per task.
                    let mut fall_back = false;
                    for i in tasks {
                        fall_back |= note(i, false);
                    }
                    if fall_back {
                        self.end.store(j, Ordering::Release);
                        return Stretch::Conflicted(self.first + j);
                    }
                    continue;
                }
                Turn::Stopped { at: stop, panic } => {
                    // The gate let the tasks before `stop` join already: they run in order.
                    for i in tasks.start..stop {
                        out.push(self.exact_commit(local, i, &mut at));
                    }
                    self.end.store(stop, Ordering::Release);
                    if let Some(panic) = panic {
                        std::panic::resume_unwind(panic);
                    }
                    return Stretch::Finished;
                }
                Turn::Rejected => {}
            }
            if conflict {
                self.chunk.0.store(1, Ordering::Relaxed);
            }
            // Run in order, one task at a time, as a sequential run would.
            for i in tasks.clone() {
                if !gate(self.first + i, out.last()) {
                    self.end.store(i, Ordering::Release);
                    return Stretch::Finished;
                }
                out.push(self.exact_commit(local, i, &mut at));
                j = i + 1;
                // A chunk that did not stand is one conflict, not one per task: one
                // conflicting transaction in a long chunk says little of the next ones.
                if note(i, conflict && i == tasks.start) {
                    self.end.store(j, Ordering::Release);
                    return Stretch::Conflicted(self.first + j);
                }
            }
        }
        Stretch::Finished
    }

    /// The turn of the speculative chunk `tasks` to commit, the tasks before it committed
    /// with totals `at` and results `out`: if it stands, the gate is asked for each of
    /// its tasks in order (with the chunk's own results as the previous ones) and, if it
    /// lets them all in, the chunk commits.
    fn settle<G>(
        &self,
        local: &Arc<Local>,
        tasks: &Range<usize>,
        done: Done<T>,
        at: &mut Counters,
        gate: &mut G,
        out: &[T],
    ) -> Turn<T>
    where
        G: FnMut(usize, Option<&T>) -> bool,
    {
        let credits = match self.valid(tasks, &done, *at, &self.shared.versions) {
            true => self.credits(local, tasks, &done),
            false => None,
        };
        let Some(credits) = credits else { return Turn::Rejected };
        for (k, i) in tasks.clone().enumerate() {
            let previous = match k {
                0 => out.last(),
                _ => done.outs[k - 1].as_ref().ok(),
            };
            match catch_unwind(AssertUnwindSafe(|| gate(self.first + i, previous))) {
                Ok(true) => {}
                Ok(false) => return Turn::Stopped { at: i, panic: None },
                Err(panic) => return Turn::Stopped { at: i, panic: Some(panic) },
            }
        }
        Turn::Committed(self.commit(tasks.clone(), done, credits, at))
    }

    /// A chunk of `len` tasks stood: the next ones may be longer.
    fn grow(&self, len: usize) {
        let next = (len * 2).min(MAX_CHUNK);
        if next > self.chunk.0.load(Ordering::Relaxed) {
            self.chunk.0.store(next, Ordering::Relaxed);
        }
    }

    fn exact_commit(&self, local: &Arc<Local>, j: usize, at: &mut Counters) -> T {
        let done = self.exact(local, j, *at);
        // An exact run defers no credit.
        self.commit(j..j + 1, done, Vec::new(), at).pop().expect("one task ran")
    }

    /// While another thread runs the chunk that starts with task `j`: speculate a later
    /// chunk, or wait for it.
    fn help_or_wait(&self, local: &Arc<Local>, j: usize) {
        if self.claim(local, self.exec) {
            return;
        }
        let guard = lock(&self.wake.0);
        self.waiting.store(true, Ordering::SeqCst);
        if matches!(*lock(&self.slots[j].0), Slot::Running) {
            // Bounded, so a missed signal costs a millisecond, never a hang.
            let _ = self.wake.1.wait_timeout(guard, Duration::from_millis(1));
        }
        self.waiting.store(false, Ordering::SeqCst);
    }
}

/// The stack of a worker thread: what a contract's call may use on it
/// ([`wasm::Engine::native_stack`]) with the host's headroom twice over, at least 8 MiB
/// (a main thread's).
fn worker_stack(config: &Config) -> usize {
    (wasm::Engine::native_stack(&config.wasm) + 4 * wasm::HOST_STACK_HEADROOM).max(8 << 20)
}

impl<'r> Block<'r> {
    /// Runs `count` transactions as if by `for i in 0..count { task(self, i) }`, stopping
    /// before the first `i` for which `gate(i, result of i - 1)` is false, and returns
    /// the results in order. With `[execution] threads` above 1 ([`crate::Parallelism`])
    /// the tasks run in parallel, speculatively, and commit in order: the state, every
    /// result, receipt, event and gas figure are exactly those of the sequential run,
    /// whatever the thread count and timing (`docs/parallel.md`).
    ///
    /// A task may make any calls a block takes, and only those: it must read and write
    /// state through its block, and its result must depend on nothing else (not on a
    /// clock, not on what other tasks did but through the state). It may run more than
    /// once; one run's result is kept. `gate` runs in order on the calling thread, once
    /// per task before it joins (a block builder stops at the first transaction that
    /// does not fit). A panicking task panics here, as it would run in order, and the block
    /// keeps the tasks before it.
    pub fn run_batch<T, F, G>(&mut self, count: usize, task: F, mut gate: G) -> Vec<T>
    where
        T: Send,
        F: Fn(&mut Block<'r>, usize) -> T + Sync,
        G: FnMut(usize, Option<&T>) -> bool,
    {
        let threads = self.exec.config.execution.resolved();
        let mut out = Vec::with_capacity(count);
        let mut next = 0;
        let mut sequential = FIRST_SEQUENTIAL;
        // After a fallback the next parallel stretch is a probe of at most `PROBE` tasks
        // (its slots and tables sized for them); one that stands lets the rest of the
        // batch run as one stretch again.
        let mut probe = false;
        // Tasks of a task's own block (a batch inside a batch) run in order, and so does
        // a batch under coverage: it counts every run of a contract, and a speculative
        // run that does not stand would be counted too.
        let parallel = threads > 1 && self.spec.is_none() && self.exec.vms.wasm().coverage().is_none();
        while next < count {
            if parallel && count - next > 1 {
                let end = if probe { (next + PROBE).min(count) } else { count };
                match self.stretch(threads, next..end, &task, &mut gate, &mut out) {
                    // Every task of the range committed: on with the rest, in parallel.
                    Stretch::Finished if out.len() == end && end < count => {
                        (next, probe) = (end, false);
                        continue;
                    }
                    // The batch is done, or the gate stopped it.
                    Stretch::Finished => return out,
                    Stretch::Conflicted(at) => (next, probe) = (at, true),
                }
            }
            let until = if parallel { (next + sequential).min(count) } else { count };
            sequential = (sequential * 2).min(MAX_SEQUENTIAL);
            // What a parallel stretch left sorted is read many times from here on.
            self.journal.prepare_reads();
            for i in next..until {
                if !gate(i, out.last()) {
                    return out;
                }
                out.push(task(self, i));
            }
            next = until;
        }
        out
    }

    /// Runs the tasks `range` in parallel on `threads` threads until they are done, the
    /// gate stops them or they conflict too much; the committed ones' writes join the
    /// block's journal.
    fn stretch<T, F, G>(
        &mut self,
        threads: usize,
        range: Range<usize>,
        task: &F,
        gate: &mut G,
        out: &mut Vec<T>,
    ) -> Stretch
    where
        T: Send,
        F: Fn(&mut Block<'r>, usize) -> T + Sync,
        G: FnMut(usize, Option<&T>) -> bool,
    {
        // Every task's view reads the block's journal: one hash lookup a key.
        self.journal.prepare_reads();
        let backend = self.journal.backend().clone();
        let base = std::mem::replace(&mut self.journal, Journal::stand_in());
        let start = Counters::of(self);
        let shared = Arc::new(Shared { base, versions: Versions::new(start, range.len()) });
        let slots: Vec<Padded<Mutex<Slot<T>>>> =
            range.clone().map(|_| Padded(Mutex::new(Slot::Empty))).collect();
        let stage = Stage {
            rt: self.rt,
            exec: self.exec,
            info: self.info,
            generation: self.generation,
            backend,
            shared: &shared,
            slots: &slots,
            cursor: AtomicUsize::new(0),
            chunk: Padded(AtomicUsize::new(1)),
            end: AtomicUsize::new(slots.len()),
            stop: AtomicBool::new(false),
            wake: (Mutex::new(()), Condvar::new()),
            waiting: AtomicBool::new(false),
            // The pool's threads (`Runtime::workers`).
            workers: threads.saturating_sub(1).max(1),
            task,
            first: range.start,
        };
        let workers = threads.min(slots.len()) - 1;
        let pool = self.rt.workers(threads, worker_stack(&self.exec.config));
        // A panic (a task's, run in order, or the gate's) leaves the block as the
        // sequential loop would: the tasks committed before it are in the journal.
        let ran = catch_unwind(AssertUnwindSafe(|| {
            match pool {
                Some(pool) => pool.in_place_scope(|s| {
                    for _ in 0..workers.min(pool.current_num_threads()) {
                        s.spawn(|_| stage.work());
                    }
                    // Workers stop even if the committing thread unwinds.
                    struct Stop<'a>(&'a AtomicBool);
                    impl Drop for Stop<'_> {
                        fn drop(&mut self) {
                            self.0.store(true, Ordering::Release);
                        }
                    }
                    let _stop = Stop(&stage.stop);
                    stage.run(start, gate, out)
                }),
                // No worker threads: the committing thread speculates ahead alone.
                None => stage.run(start, gate, out),
            }
        }));
        drop(stage);
        drop(slots);
        let Shared { mut base, versions } = match Arc::try_unwrap(shared) {
            Ok(shared) => shared,
            Err(_) => unreachable!("every view of the stretch is dropped with its tasks"),
        };
        // Each key's last committed entry is what running the tasks in order left.
        let (_, at) = versions.committed();
        base.apply_set(versions.into_changes(pool, threads));
        self.journal = base;
        self.txs = at.txs;
        self.event_bytes = at.event_bytes;
        self.gas_used = at.gas_used;
        match ran {
            Ok(ended) => ended,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key of the shape contract storage has: a long common prefix, then what differs.
    fn key(i: u64) -> Vec<u8> {
        [&[0u8; 24][..], &i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes()].concat()
    }

    #[test]
    fn committed_writes_come_out_sorted_on_any_number_of_threads() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool");
        for count in [0, 1, 5, 1_023, 1_024, 3_000, 9_000] {
            for parts in 1..=6 {
                let versions = Versions::new(Counters::default(), count);
                let mut expected = std::collections::BTreeMap::new();
                // Each key written twice by different tasks (the last wins), some deleted.
                for round in 0..2u32 {
                    for i in 0..count as u64 {
                        let entry = (i % 7 != 0 || round == 0).then(|| vec![round as u8, i as u8]);
                        let k = key(i);
                        versions.publish(round, vec![(k.clone(), entry.clone())], &[versions.hash(&k)]);
                        expected.insert(k, entry);
                    }
                }
                let pool = (parts > 1).then_some(&pool);
                let changes = versions.into_changes(pool, parts);
                let expected: Vec<_> = expected.into_iter().collect();
                assert_eq!(changes.into_writes(), expected, "{count} keys on {parts} threads");
            }
        }
    }

    #[test]
    fn a_chunks_writes_are_recorded_whatever_shards_they_fall_in() {
        for indexed_from in [0, 3, usize::MAX] {
            let versions = Versions::new(Counters::default(), 64);
            let mut expected: std::collections::BTreeMap<Vec<u8>, (u32, Option<Vec<u8>>)> =
                Default::default();
            // Chunks of up to 200 keys over every shard; later chunks rewrite earlier keys.
            for chunk in 0..8u32 {
                if chunk as usize == indexed_from {
                    // A range read builds the index that later chunks' new keys join.
                    assert_eq!(versions.range(&[], None).len(), expected.len());
                }
                let task = chunk * 10 + 9;
                let writes: Writes = (0..200u64)
                    .map(|i| i * 3 + u64::from(chunk) * 101)
                    .map(|i| (key(i), (i % 5 != 0).then(|| vec![chunk as u8, i as u8])))
                    .collect();
                let hashes: Vec<u64> = writes.iter().map(|(k, _)| versions.hash(k)).collect();
                for (k, entry) in &writes {
                    expected.insert(k.clone(), (task, entry.clone()));
                }
                versions.publish(task, writes, &hashes);
            }
            for (k, (task, entry)) in &expected {
                let hash = versions.hash(k);
                assert_eq!(versions.get(k, hash).as_ref(), Some(entry));
                assert_eq!(versions.last_writer(k, hash), Some(*task));
            }
            assert_eq!(versions.last_writer(&key(1), versions.hash(&key(1))), None, "never written");
            let keys: Vec<Vec<u8>> = expected.keys().cloned().collect();
            assert_eq!(versions.range(&[], None), keys, "indexed from chunk {indexed_from}");
            let expected: Vec<_> = expected.into_iter().map(|(k, (_, entry))| (k, entry)).collect();
            assert_eq!(versions.into_changes(None, 1).into_writes(), expected);
        }
    }
}
