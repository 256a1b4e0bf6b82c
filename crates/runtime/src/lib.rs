//! cove's runtime: the contract lifecycle over blocks of transactions.
//!
//! This crate owns what a chain embeds: store code, instantiate, execute, query and
//! upgrade contracts, estimate, profile and debug their calls; group transactions into
//! blocks that commit atomically. It holds one instance of each VM in a [`VmFactory`],
//! the one place that names the VMs: it builds them, registers them, and dispatches every message on the
//! VM recorded with the contract, in a checkpoint of the block's journal
//! ([`vm::in_checkpoint`]). The VMs are the adapters beside their engines: cove's WASM
//! ABI (`cove-wasm-vm`'s [`WasmVm`], with the tiered module cache `cove-cache` and its
//! disk tier in `<data dir>/cache`), the EVM (`cove-evm`) and CosmWasm (`cove-cosmwasm`,
//! on the same engine, with a module cache of its own in `<data dir>/cache/cosmwasm`).
//! The key layout every VM shares is `cove-vm`'s (`docs/state.md`).
//!
//! It must not know any VM's engine: outside the factory it goes through
//! [`VirtualMachine`] and [`vm::CompiledModules`] (the runtime's CosmWasm-specific entry
//! points, [`Block::cosmwasm`] and the bank, call the CosmWasm VM by its type). Benchmark
//! workloads and fixtures live in `cove-bench`, not here.
//!
//! Invariants:
//! * a transaction that fails for any reason leaves state exactly as before it (the
//!   journal is reverted to the checkpoint taken when it started) and emits no events;
//! * a block is committed in one atomic, durable write: all its transactions or none;
//! * a block never holds a transaction that hit the wall-clock backstop (kind
//!   `timeout`, a node fault) or that would pass the block's limits ([`BlockLimits`]):
//!   the block's entry points roll it back and return [`RuntimeError::Timeout`] or
//!   [`RuntimeError::BlockLimit`] instead of a receipt;
//! * everything a call sees (block height and time, caller, input, storage) is part of
//!   the block, so replaying a block gives bit-identical receipts;
//! * every block runs with the chain's execution configuration in force at its height
//!   (`chain`, `docs/chain-config.md`), never with a node's local one.

mod at;
mod block;
mod chain;
mod config;
pub mod coverage;
pub mod debug;
mod error;
mod estimate;
mod factory;
mod parallel;
mod profile;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

pub use at::StateAt;
pub use block::{
    Block, BlockLimits, DEFAULT_BLOCK_EVENT_BYTES, DEFAULT_BLOCK_TRANSACTIONS, MAX_BLOCK_EVENT_BYTES,
    MAX_BLOCK_TRANSACTIONS, Suspended, event_bytes,
};
pub use cache::{CacheConfig, CacheStats};
pub use chain::{
    ChainOptions, ConfigVersion, Difference, EXECUTION_CONFIG_FORMAT, ExecutionConfig, LocalCheck,
    MAX_CONFIG_VERSIONS, MAX_EXECUTION_CONFIG_BYTES, NODE_LOCAL_SETTINGS, WasmExecution, setting_names,
};
pub use config::{
    CallsConfig, Config, DEFAULT_GAS_LIMIT, DEFAULT_MAX_BLOCK_GAS, DEFAULT_MAX_CALL_DEPTH,
    DEFAULT_MAX_TX_GAS, GasRate, MAX_AUTO_EXECUTION_THREADS, MAX_CALL_DEPTH, MAX_EXECUTION_THREADS,
    MAX_GAS_RATE_TERM, Parallelism, Reentrancy,
};
pub use error::RuntimeError;
pub use estimate::EstimateRequest;
pub use factory::VmFactory;
pub use profile::Profiled;
pub use state::{BlockRecord, Hash, HistoryError, Manifest, Proof, SnapshotFile, StoreConfig};
/// Storage deposits: the price of stored bytes and what a contract holds (`docs/gas.md`).
pub use vm::deposit::{self, Deposit, StorageDeposit};
/// The state's key layout (`docs/state.md`), for tools that name raw keys (proofs).
pub use vm::keys;
pub use vm::lived;
pub use vm::{
    AppFlags, Balance, ContractInfo, Outcome as Receipt, VirtualMachine, VmVersion, created_address,
};
pub use wasm::{CallError, CallOutcome, Compiler, Tier};
pub use wasm_vm::{ContractView, WasmVm};

use chain::{Exec, Execs, Versions};
use state::{Backend, History, Journal, MemBackend, RedbBackend};
use types::{Address, BlockInfo, CodeId};
use vm::CompiledModules;
use wasm::Vm;

/// The cache directory inside a data directory.
pub const CACHE_DIR: &str = "cache";

/// The CosmWasm VM's cache directory inside the cache directory: artifacts of the two
/// host ABIs never share a directory.
pub const COSMWASM_CACHE_DIR: &str = "cosmwasm";

/// The account that sends transactions when none is named (CLI `--sender`).
pub const DEFAULT_SENDER: Address =
    Address([0xc0, 0x7e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);

/// A contract runtime over one state store. `Send + Sync`; blocks are built one at a
/// time (`&mut`-free: a [`Block`] borrows the runtime shared).
///
/// Each block runs with the chain's execution configuration in force at its height
/// (`docs/chain-config.md`) joined to the node's local settings: one set of VMs per
/// configuration, built when first needed.
pub struct Runtime {
    /// The node's configuration as given: its node-local settings apply to every block.
    local: Config,
    backend: Arc<dyn Backend>,
    /// The module caches' disk tier, if any.
    cache_dir: Option<PathBuf>,
    /// What the first block records as the chain's configuration if the store has none.
    genesis: ConfigVersion,
    /// The VMs of every configuration run so far.
    execs: Execs,
    /// The chain's versions as last read, with the store's generation then (`None`:
    /// the backend cannot tell, so every use reads them again).
    versions: RwLock<(Option<u64>, Arc<Versions>)>,
    /// The index in `execs` of the next block's configuration.
    current: AtomicUsize,
    /// The last committed block's journal, empty, kept so the next block starts with
    /// its overlay already sized (growing a map of thousands of keys block after block
    /// costs a few percent of a busy block).
    spare: std::sync::Mutex<Option<Journal>>,
    /// The threads that run a parallel batch's transactions beside the caller's, made
    /// at the first batch and kept ([`Block::run_batch`]); `None` if they could not be
    /// made (batches then run in order).
    workers: std::sync::OnceLock<Option<rayon::ThreadPool>>,
}

/// Key/value pairs, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A stored code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodeInfo {
    /// Its checksum.
    pub code_id: CodeId,
    /// Its size in bytes.
    pub size: usize,
}

impl Runtime {
    /// The worker threads of parallel batches: `threads - 1` of them, each with a stack
    /// of `stack` bytes (both fixed by the first batch: node-local settings do not
    /// change while a runtime runs).
    pub(crate) fn workers(&self, threads: usize, stack: usize) -> Option<&rayon::ThreadPool> {
        self.workers
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads.saturating_sub(1).max(1))
                    .stack_size(stack)
                    .thread_name(|i| format!("cove-exec-{i}"))
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Keeps `journal`, just committed (so empty), for the next block.
    pub(crate) fn recycle(&self, journal: Journal) {
        if journal.is_empty() {
            *self.spare.lock().unwrap_or_else(|e| e.into_inner()) = Some(journal);
        }
    }

    /// Opens (or creates) a persistent runtime in `dir`: authenticated state in the redb
    /// file `state.redb` (kept as `config.state` says), compiled modules under `cache/`
    /// (unless `config.cache.disk` is off). Every execution setting of `config` must equal
    /// the chain's if the store has recorded a configuration
    /// ([`RuntimeError::ConfigMismatch`] otherwise); [`Runtime::open_chain`] can compare
    /// fewer.
    pub fn open(dir: &Path, config: Config) -> Result<Runtime, RuntimeError> {
        Runtime::open_chain(dir, config, &ChainOptions::default())
    }

    /// [`Runtime::open`], comparing the local configuration with the chain's as
    /// `options` says (and with `options.genesis` as the genesis configuration, if
    /// given). Blocks run with the chain's configuration and `config`'s node-local
    /// settings.
    pub fn open_chain(dir: &Path, config: Config, options: &ChainOptions) -> Result<Runtime, RuntimeError> {
        let backend = RedbBackend::open_with(dir, config.state)?;
        Runtime::with_backend_chain(Arc::new(backend), config, Some(&dir.join(CACHE_DIR)), options)
    }

    /// Opens the store in `dir` read-write and commits nothing: redb repairs a file that
    /// was not closed cleanly (a crash, a full disk) and the blocks only the block log
    /// holds are written back into the tables, so read-only opens can serve everything
    /// again. Returns the head.
    pub fn repair(dir: &Path, config: &Config) -> Result<Option<BlockRecord>, RuntimeError> {
        let backend = RedbBackend::open_with(dir, config.state)?;
        backend.write_back()?;
        Ok(backend.head()?)
    }

    /// Opens the persistent runtime in `dir` for reading only: the state is opened with
    /// [`RedbBackend::open_read_only`], which writes neither `state.redb` nor
    /// `state.wal` and refuses commits. Reads at the head and at heights only the block
    /// log holds are served; proofs and snapshots at such heights are refused until a
    /// read-write open writes them back (`docs/state.md`, "The block log"). The module
    /// cache and the configuration are as in [`Runtime::open`].
    pub fn open_read_only(dir: &Path, config: Config) -> Result<Runtime, RuntimeError> {
        Runtime::open_read_only_chain(dir, config, &ChainOptions::default())
    }

    /// [`Runtime::open_read_only`], comparing the configurations as `options` says
    /// ([`Runtime::open_chain`]).
    pub fn open_read_only_chain(
        dir: &Path,
        config: Config,
        options: &ChainOptions,
    ) -> Result<Runtime, RuntimeError> {
        let backend = RedbBackend::open_read_only(dir, config.state)?;
        Runtime::with_backend_chain(Arc::new(backend), config, Some(&dir.join(CACHE_DIR)), options)
    }

    /// A runtime over fresh in-memory state (no disk cache).
    pub fn in_memory(config: Config) -> Result<Runtime, RuntimeError> {
        Runtime::with_backend(Arc::new(MemBackend::new()), config)
    }

    /// A runtime over any backend, its module cache in memory only.
    pub fn with_backend(backend: Arc<dyn Backend>, config: Config) -> Result<Runtime, RuntimeError> {
        Runtime::with_backend_and_cache(backend, config, None)
    }

    /// A runtime over any backend, with the module cache's disk tier in `cache_dir`.
    pub fn with_backend_and_cache(
        backend: Arc<dyn Backend>,
        config: Config,
        cache_dir: Option<&Path>,
    ) -> Result<Runtime, RuntimeError> {
        Runtime::with_backend_chain(backend, config, cache_dir, &ChainOptions::default())
    }

    /// A runtime over any backend, with the module cache's disk tier in `cache_dir`,
    /// comparing the configurations as `options` says ([`Runtime::open_chain`]).
    pub fn with_backend_chain(
        backend: Arc<dyn Backend>,
        config: Config,
        cache_dir: Option<&Path>,
        options: &ChainOptions,
    ) -> Result<Runtime, RuntimeError> {
        // The generation before the read: a commit in between makes it stale, never the
        // table.
        let generation = backend.generation();
        let versions = Versions::load(&*backend)?;
        chain::check_genesis(&versions, options.genesis.as_ref())?;
        let genesis =
            ConfigVersion::new(0, options.genesis.clone().unwrap_or_else(|| ExecutionConfig::of(&config)));
        let head = backend.head()?.map_or(0, |h| h.height);
        let next = versions.at(head + 1).unwrap_or(&genesis).clone();
        let differences: Vec<Difference> = next
            .config
            .differences(&ExecutionConfig::of(&config))
            .into_iter()
            .filter(|d| options.check.covers(&d.setting))
            .collect();
        if !differences.is_empty() {
            return Err(RuntimeError::ConfigMismatch {
                activation: next.activation,
                hash: next.hash,
                differences,
            });
        }
        let first = Exec::new(next.config.apply_to(&config), cache_dir)?;
        Ok(Runtime {
            local: config,
            backend,
            cache_dir: cache_dir.map(Path::to_path_buf),
            genesis,
            execs: Execs::new(first, next.hash),
            versions: RwLock::new((generation, Arc::new(versions))),
            current: AtomicUsize::new(0),
            spare: Default::default(),
            workers: std::sync::OnceLock::new(),
        })
    }

    /// The configuration of the next block: the chain's execution settings in force at
    /// its height, with this node's local ones.
    pub fn config(&self) -> &Config {
        &self.current().config
    }

    /// The WASM VM (of the next block's configuration).
    pub fn vm(&self) -> &Vm<ContractView> {
        self.vms().wasm().vm()
    }

    /// The VMs of the next block's configuration, one shared instance per type.
    pub fn vms(&self) -> &VmFactory {
        &self.current().vms
    }

    /// Every VM's compiled-module cache, in registration order (the next block's
    /// configuration's).
    fn caches(&self) -> impl Iterator<Item = &dyn CompiledModules> {
        self.vms().all().into_iter().filter_map(|vm| vm.modules())
    }

    /// The configuration and VMs of the next block, as last worked out (by
    /// [`Runtime::begin_block`], after each commit, or when opened).
    fn current(&self) -> &Exec {
        self.execs.get(self.current.load(Ordering::Acquire)).unwrap_or(self.execs.first())
    }

    /// The chain's versions, read again if the store changed since.
    fn versions(&self) -> Result<Arc<Versions>, RuntimeError> {
        let generation = self.backend.generation();
        if generation.is_some() {
            let cached = self.versions.read().unwrap_or_else(|e| e.into_inner());
            if cached.0 == generation {
                return Ok(cached.1.clone());
            }
        }
        let loaded = Arc::new(Versions::load(&*self.backend)?);
        if generation.is_some() {
            *self.versions.write().unwrap_or_else(|e| e.into_inner()) = (generation, loaded.clone());
        }
        Ok(loaded)
    }

    /// The version of the chain's execution configuration in force at block `height`
    /// (the next block if `None`). Before the first block, the genesis configuration
    /// that block will record.
    pub fn execution_config(&self, height: Option<u64>) -> Result<ConfigVersion, RuntimeError> {
        let height = match height {
            Some(h) => h,
            None => self.last_block()?.height + 1,
        };
        Ok(self.versions()?.at(height).unwrap_or(&self.genesis).clone())
    }

    /// Every version of the chain's execution configuration it has committed, by
    /// activation height; empty before the first block.
    pub fn config_versions(&self) -> Result<Vec<ConfigVersion>, RuntimeError> {
        Ok(self.versions()?.all().to_vec())
    }

    /// The index and [`Exec`] of the configuration in force at block `height`.
    pub(crate) fn exec_at(&self, height: u64) -> Result<(usize, &Exec), RuntimeError> {
        let versions = self.versions()?;
        let version = versions.at(height).unwrap_or(&self.genesis);
        self.execs.of(&version.config, version.hash, &self.local, self.cache_dir.as_deref())
    }

    /// Works out the next block's configuration again (after a commit). A failure is left
    /// for [`Runtime::begin_block`] to report.
    pub(crate) fn refresh_current(&self) {
        if let Ok(head) = self.last_block()
            && let Ok((index, _)) = self.exec_at(head.height + 1)
        {
            self.current.store(index, Ordering::Release);
        }
    }

    /// Whether the store has recorded no configuration yet, and if so the genesis entry
    /// the next commit must record.
    pub(crate) fn missing_genesis(&self) -> Result<Option<&ConfigVersion>, RuntimeError> {
        Ok(self.versions()?.is_empty().then_some(&self.genesis))
    }

    /// The last committed block (height 0 and time 0 before the first).
    pub fn last_block(&self) -> Result<BlockInfo, RuntimeError> {
        let head = self.backend.head()?;
        Ok(head.map_or(BlockInfo { height: 0, timestamp: 0 }, |h| BlockInfo {
            height: h.height,
            timestamp: h.timestamp,
        }))
    }

    /// Starts the next block at `timestamp` (unix seconds; never earlier than the last
    /// block's), with the chain's configuration in force at its height.
    pub fn begin_block(&self, timestamp: u64) -> Result<Block<'_>, RuntimeError> {
        let last = self.last_block()?;
        let info = BlockInfo { height: last.height + 1, timestamp: timestamp.max(last.timestamp) };
        let (index, exec) = self.exec_at(info.height)?;
        self.current.store(index, Ordering::Release);
        let spare = self.spare.lock().unwrap_or_else(|e| e.into_inner()).take();
        let journal = spare.unwrap_or_else(|| Journal::new(self.backend.clone()));
        debug_assert!(journal.is_empty(), "a spare journal is a committed one");
        Ok(Block::new(self, exec, journal, info))
    }

    /// Gives back a block set aside by [`Block::suspend`], exactly as it was, if the
    /// committed state is still the one it began on (nothing was committed since, by any
    /// block, and it is the next block); `None` otherwise (the caller runs it again on the
    /// current state). Resuming never re-runs anything, so a resumed block commits what
    /// running its transactions gave.
    pub fn resume(&self, block: Suspended) -> Result<Option<Block<'_>>, RuntimeError> {
        let same_store = std::ptr::addr_eq(Arc::as_ptr(block.journal.backend()), Arc::as_ptr(&self.backend));
        let now = self.backend.generation();
        if !same_store || now.is_none() || now != block.generation {
            return Ok(None);
        }
        if self.last_block()?.height + 1 != block.info.height {
            return Ok(None);
        }
        let (index, exec) = self.exec_at(block.info.height)?;
        self.current.store(index, Ordering::Release);
        Ok(Some(Block::resumed(self, exec, block)))
    }

    /// Runs `method` read-only against the last committed state. Any storage write or
    /// delete ends it with [`types::ErrorKind::ReadOnly`]; nothing is ever committed. For an
    /// EVM contract `method` is empty and `input` is the calldata (an `eth_call`).
    pub fn query(
        &self,
        sender: Address,
        address: Address,
        method: &str,
        input: Vec<u8>,
        gas_limit: Option<u64>,
    ) -> Result<Receipt, RuntimeError> {
        self.latest()?.query(sender, address, method, input, gas_limit)
    }

    /// A contract's metadata.
    pub fn contract(&self, address: &Address) -> Result<Option<ContractInfo>, RuntimeError> {
        Ok(vm::load_contract(&Journal::new(self.backend.clone()), address)?)
    }

    /// An account's nonce in the last committed state: deploys it made, plus EVM
    /// transactions it sent.
    pub fn nonce(&self, address: &Address) -> Result<u64, RuntimeError> {
        self.latest()?.nonce(address)
    }

    /// An account's native balance in the last committed state.
    pub fn balance(&self, address: &Address) -> Result<Balance, RuntimeError> {
        self.latest()?.balance(address)
    }

    /// Every key/value pair in a contract's storage, in key order.
    pub fn contract_state(&self, address: &Address) -> Result<Entries, RuntimeError> {
        self.latest()?.contract_state(address)
    }

    /// The last committed state.
    fn latest(&self) -> Result<StateAt<'_>, RuntimeError> {
        let block = self.last_block()?;
        let (_, exec) = self.exec_at(block.height)?;
        Ok(StateAt::new(exec, self.backend.clone(), block))
    }

    /// The committed state right after block `height` (the head if `None`). A past
    /// height needs an authenticated store ([`Runtime::open`]) and must be retained:
    /// otherwise `NotFound` naming what is kept.
    pub fn at(&self, height: Option<u64>) -> Result<StateAt<'_>, RuntimeError> {
        let Some(height) = height else { return self.latest() };
        let view = self.history()?.at(height)?;
        let block = view.head()?.map_or(BlockInfo { height: 0, timestamp: 0 }, |b| BlockInfo {
            height: b.height,
            timestamp: b.timestamp,
        });
        let (_, exec) = self.exec_at(block.height)?;
        Ok(StateAt::new(exec, view, block))
    }

    /// The store's history: roots, proofs, past heights. `Unsupported` for a store
    /// without (the in-memory one).
    pub fn history(&self) -> Result<&dyn History, RuntimeError> {
        self.backend
            .history()
            .ok_or_else(|| RuntimeError::Unsupported("this state store keeps no history or roots".into()))
    }

    /// The record of block `height` (the head if `None`), with its state root. Height 0
    /// is the empty state before the first block, whose root is all zeros.
    pub fn block_record(&self, height: Option<u64>) -> Result<BlockRecord, RuntimeError> {
        let history = self.history()?;
        let head = self.backend.head()?;
        let height = height.unwrap_or(head.map_or(0, |h| h.height));
        if height == 0 {
            return Ok(BlockRecord { height: 0, timestamp: 0, root: Some(state::merkle::ZERO) });
        }
        history.block(height)?.ok_or_else(|| {
            let head = head.map_or(0, |h| h.height);
            RuntimeError::NotFound(format!("height {height} is not committed yet (the head is {head})"))
        })
    }

    /// Writes the state at block `height` (the head if `None`) to `out` as a snapshot;
    /// `progress` hears (buckets done, buckets in all).
    pub fn export_snapshot(
        &self,
        height: Option<u64>,
        out: &mut dyn std::io::Write,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Manifest, RuntimeError> {
        let height = self.block_record(height)?.height;
        Ok(self.history()?.export_snapshot(height, out, progress)?)
    }

    /// Rebuilds the state of a new data directory `dir` from the snapshot `file`,
    /// checked in full (every chunk hash and the root) before anything is written; see
    /// [`RedbBackend::import_snapshot`]. Open the runtime afterwards with
    /// [`Runtime::open`].
    pub fn import_snapshot(
        dir: &Path,
        config: &Config,
        file: &Path,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Manifest, RuntimeError> {
        let (_, manifest) = RedbBackend::import_snapshot(dir, config.state, file, progress)?;
        Ok(manifest)
    }

    /// A proof of the value under the raw state `key` (or of its absence) at block
    /// `height` (the head if `None`), with that block's record.
    pub fn proof(&self, key: &[u8], height: Option<u64>) -> Result<(BlockRecord, Proof), RuntimeError> {
        let record = self.block_record(height)?;
        let proof = self.history()?.proof(key, record.height)?;
        Ok((record, proof))
    }

    /// Waits until every background recompilation started so far (tier-up) is done, in
    /// the VMs of every configuration run. Never needed for correctness: calls use
    /// whichever tier is ready.
    pub fn settle(&self) {
        for exec in self.execs.built().flat_map(Exec::and_lanes) {
            exec.vms.all().into_iter().filter_map(|vm| vm.modules()).for_each(CompiledModules::settle);
        }
    }

    /// The module cache's contents and counters (cove's WASM contracts).
    pub fn cache_stats(&self) -> CacheStats {
        self.vms().wasm().modules().stats()
    }

    /// The CosmWasm module cache's contents and counters (its `dir` is
    /// [`COSMWASM_CACHE_DIR`] inside [`Runtime::cache_dir`]).
    pub fn cosmwasm_cache_stats(&self) -> CacheStats {
        self.vms().cosmwasm().modules().stats()
    }

    /// The module cache's directory, if it has a disk tier.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.vms().wasm().modules().dir().map(Path::to_path_buf)
    }

    /// Pins a stored code's module in memory, across restarts (the pin list lives in the
    /// cache directory), in the cache of the VM it was stored for: the first VM whose
    /// cache claims it ([`CompiledModules::claims`]; CosmWasm's if it has a CosmWasm
    /// code number, else cove's WASM VM's).
    pub fn pin(&self, code_id: &CodeId) -> Result<(), RuntimeError> {
        let journal = Journal::new(self.backend.clone());
        check_stored(&journal, code_id)?;
        for cache in self.caches() {
            if cache.claims(&journal, code_id)? {
                return Ok(cache.pin(&journal, code_id)?);
            }
        }
        Err(RuntimeError::Unsupported(format!("no VM has a compiled module of code {code_id} to pin")))
    }

    /// Pins the code of the contract at `address` in its VM's cache; returns the code.
    pub fn pin_contract(&self, address: &Address) -> Result<CodeId, RuntimeError> {
        let journal = Journal::new(self.backend.clone());
        let info = vm::load_contract(&journal, address)?
            .ok_or_else(|| RuntimeError::NotFound(format!("no contract at {address}")))?;
        check_stored(&journal, &info.code_id)?;
        let Some(cache) = self.vms().get(info.vm).modules() else {
            let vm = info.vm.as_str().to_uppercase();
            return Err(RuntimeError::Unsupported(format!("{vm} code has no compiled module to pin")));
        };
        cache.pin(&journal, &info.code_id)?;
        Ok(info.code_id)
    }

    /// Unpins a code from every cache that pinned it; returns whether one did.
    pub fn unpin(&self, code_id: &CodeId) -> Result<bool, RuntimeError> {
        let mut pinned = false;
        for cache in self.caches() {
            pinned |= cache.unpin(code_id)?;
        }
        Ok(pinned)
    }

    /// Drops every compiled module (of every VM that compiles, of every configuration
    /// run) from memory and disk; calls recompile on demand.
    pub fn clear_cache(&self) -> Result<(), RuntimeError> {
        for exec in self.execs.built().flat_map(Exec::and_lanes) {
            for cache in exec.vms.all().into_iter().filter_map(|vm| vm.modules()) {
                cache.clear()?;
            }
        }
        Ok(())
    }

    /// The compiler tier a contract's calls currently run on, if its code is loaded.
    pub fn tier_of(&self, address: &Address) -> Result<Option<wasm::Tier>, RuntimeError> {
        let Some(info) = self.contract(address)? else { return Ok(None) };
        Ok(self.vms().get(info.vm).modules().and_then(|cache| cache.tier(&info.code_id)))
    }

    /// The stored code `code_id` as it was deployed (a WASM module, EVM runtime code),
    /// if any: tools read a module's custom sections from it (`cove call --args`).
    pub fn code(&self, code_id: &CodeId) -> Result<Option<Vec<u8>>, RuntimeError> {
        Ok(Journal::new(self.backend.clone()).get(&keys::code(code_id))?)
    }

    /// Every stored code.
    pub fn codes(&self) -> Result<Vec<CodeInfo>, RuntimeError> {
        let mut out = Vec::new();
        for (key, code) in self.backend.scan_prefix(&[keys::CODE])? {
            let id =
                CodeId(key[1..].try_into().map_err(|_| RuntimeError::Corrupt("code key length".into()))?);
            out.push(CodeInfo { code_id: id, size: code.len() });
        }
        Ok(out)
    }
}

/// Refuses `code_id` unless it is stored.
fn check_stored(journal: &Journal, code_id: &CodeId) -> Result<(), RuntimeError> {
    match journal.get(&keys::code(code_id))? {
        Some(_) => Ok(()),
        None => Err(RuntimeError::NotFound(format!("no stored code {code_id}"))),
    }
}
