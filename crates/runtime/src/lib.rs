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
//!   the block, so replaying a block gives bit-identical receipts.

mod at;
mod block;
mod config;
pub mod coverage;
pub mod debug;
mod error;
mod estimate;
mod factory;
mod profile;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use at::StateAt;
pub use block::{
    Block, BlockLimits, DEFAULT_BLOCK_EVENT_BYTES, DEFAULT_BLOCK_TRANSACTIONS, MAX_BLOCK_EVENT_BYTES,
    MAX_BLOCK_TRANSACTIONS, event_bytes,
};
pub use cache::{CacheConfig, CacheStats};
pub use config::{
    CallsConfig, Config, DEFAULT_GAS_LIMIT, DEFAULT_MAX_BLOCK_GAS, DEFAULT_MAX_CALL_DEPTH,
    DEFAULT_MAX_TX_GAS, GasRate, MAX_CALL_DEPTH, MAX_GAS_RATE_TERM, Reentrancy,
};
pub use error::RuntimeError;
pub use estimate::EstimateRequest;
pub use factory::VmFactory;
pub use profile::Profiled;
pub use state::{BlockRecord, Hash, HistoryError, Manifest, Proof, SnapshotFile, StoreConfig};
/// The state's key layout (`docs/state.md`), for tools that name raw keys (proofs).
pub use vm::keys;
pub use vm::{
    AppFlags, Balance, ContractInfo, Outcome as Receipt, VirtualMachine, VmVersion, created_address,
};
pub use wasm::{CallError, CallOutcome, Compiler, Tier};
pub use wasm_vm::{ContractView, WasmVm};

use state::{Backend, History, Journal, MemBackend, RedbBackend};
use types::{Address, BlockInfo, CodeId, VmType};
use vm::{CompiledModules, Env, Message, Target};
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
pub struct Runtime {
    config: Config,
    backend: Arc<dyn Backend>,
    vms: Arc<VmFactory>,
    /// `vms` again, as the dispatch every message's [`vm::Env`] carries.
    dispatch: Arc<dyn vm::Dispatch>,
    /// The last committed block's journal, empty, kept so the next block starts with
    /// its overlay already sized (growing a map of thousands of keys block after block
    /// costs a few percent of a busy block).
    spare: std::sync::Mutex<Option<Journal>>,
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
    /// Keeps `journal`, just committed (so empty), for the next block.
    pub(crate) fn recycle(&self, journal: Journal) {
        if journal.is_empty() {
            *self.spare.lock().unwrap_or_else(|e| e.into_inner()) = Some(journal);
        }
    }

    /// Opens (or creates) a persistent runtime in `dir`: authenticated state in the redb
    /// file `state.redb` (kept as `config.state` says), compiled modules under `cache/`
    /// (unless `config.cache.disk` is off).
    pub fn open(dir: &Path, config: Config) -> Result<Runtime, RuntimeError> {
        let backend = RedbBackend::open_with(dir, config.state)?;
        Runtime::with_backend_and_cache(Arc::new(backend), config, Some(&dir.join(CACHE_DIR)))
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
    /// cache is as in [`Runtime::open`].
    pub fn open_read_only(dir: &Path, config: Config) -> Result<Runtime, RuntimeError> {
        let backend = RedbBackend::open_read_only(dir, config.state)?;
        Runtime::with_backend_and_cache(Arc::new(backend), config, Some(&dir.join(CACHE_DIR)))
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
        config.block.validate().map_err(RuntimeError::Config)?;
        let vms = Arc::new(VmFactory::new(&config, cache_dir)?);
        let dispatch: Arc<dyn vm::Dispatch> = vms.clone();
        Ok(Runtime { config, backend, vms, dispatch, spare: Default::default() })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The WASM VM.
    pub fn vm(&self) -> &Vm<ContractView> {
        self.vms.wasm().vm()
    }

    /// The VMs, one shared instance per type.
    pub fn vms(&self) -> &VmFactory {
        &self.vms
    }

    /// Every VM's compiled-module cache, in registration order.
    fn caches(&self) -> impl Iterator<Item = &dyn CompiledModules> {
        self.vms.all().into_iter().filter_map(|vm| vm.modules())
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
    /// block's).
    pub fn begin_block(&self, timestamp: u64) -> Result<Block<'_>, RuntimeError> {
        let last = self.last_block()?;
        let info = BlockInfo { height: last.height + 1, timestamp: timestamp.max(last.timestamp) };
        let spare = self.spare.lock().unwrap_or_else(|e| e.into_inner()).take();
        let journal = spare.unwrap_or_else(|| Journal::new(self.backend.clone()));
        debug_assert!(journal.is_empty(), "a spare journal is a committed one");
        Ok(Block::new(self, journal, info))
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
        Ok(StateAt::new(self, self.backend.clone(), self.last_block()?))
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
        Ok(StateAt::new(self, view, block))
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

    /// Waits until every background recompilation started so far (tier-up) is done.
    /// Never needed for correctness: calls use whichever tier is ready.
    pub fn settle(&self) {
        self.caches().for_each(CompiledModules::settle);
    }

    /// The module cache's contents and counters (cove's WASM contracts).
    pub fn cache_stats(&self) -> CacheStats {
        self.vms.wasm().modules().stats()
    }

    /// The CosmWasm module cache's contents and counters (its `dir` is
    /// [`COSMWASM_CACHE_DIR`] inside [`Runtime::cache_dir`]).
    pub fn cosmwasm_cache_stats(&self) -> CacheStats {
        self.vms.cosmwasm().modules().stats()
    }

    /// The module cache's directory, if it has a disk tier.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.vms.wasm().modules().dir().map(Path::to_path_buf)
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
        let Some(cache) = self.vms.get(info.vm).modules() else {
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

    /// Drops every compiled module (of every VM that compiles) from memory and disk;
    /// calls recompile on demand.
    pub fn clear_cache(&self) -> Result<(), RuntimeError> {
        for cache in self.caches() {
            cache.clear()?;
        }
        Ok(())
    }

    /// The compiler tier a contract's calls currently run on, if its code is loaded.
    pub fn tier_of(&self, address: &Address) -> Result<Option<wasm::Tier>, RuntimeError> {
        let Some(info) = self.contract(address)? else { return Ok(None) };
        Ok(self.vms.get(info.vm).modules().and_then(|cache| cache.tier(&info.code_id)))
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

    /// Runs a call in `journal` on the VM the contract was deployed with, reverting it
    /// on failure. Shared by blocks and queries.
    pub(crate) fn execute(
        &self,
        journal: &mut Journal,
        block: &BlockInfo,
        msg: Message<'_>,
    ) -> Result<Receipt, RuntimeError> {
        self.vms.execute(journal, &Env::new(block, &self.dispatch), msg)
    }

    /// Instantiates stored code `code_id` for `msg` (its sender, init entry point,
    /// input, value and gas; its target is ignored) at the sender's next
    /// nonce-derived address with `flags`, reverting everything it did if it fails.
    pub(crate) fn instantiate(
        &self,
        journal: &mut Journal,
        block: &BlockInfo,
        msg: Message<'_>,
        code_id: CodeId,
        flags: AppFlags,
    ) -> Result<Receipt, RuntimeError> {
        config::check_gas_limit(self.config.max_tx_gas, msg.gas_limit)
            .map_err(RuntimeError::InvalidArgument)?;
        let env = Env::new(block, &self.dispatch);
        let wasm = self.vms.wasm();
        Ok(vm::in_checkpoint(journal, Receipt::is_ok, |j| {
            wasm.instantiate(j, &env, msg, code_id, None, flags)
        })?)
    }

    /// Runs the create `msg` on `vm_type` with `flags`, reverting everything it did if
    /// it fails. A WASM contract has its flags before its init entry point runs; a
    /// contract of another VM takes only the defaults (anything else is
    /// [`RuntimeError::InvalidArgument`], running nothing).
    pub(crate) fn create(
        &self,
        journal: &mut Journal,
        block: &BlockInfo,
        vm_type: VmType,
        msg: Message<'_>,
        flags: AppFlags,
    ) -> Result<Receipt, RuntimeError> {
        if let (VmType::Wasm, Target::Create(code)) = (vm_type, msg.target) {
            config::check_gas_limit(self.config.max_tx_gas, msg.gas_limit)
                .map_err(RuntimeError::InvalidArgument)?;
            let env = Env::new(block, &self.dispatch);
            let wasm = self.vms.wasm();
            return Ok(vm::in_checkpoint(journal, Receipt::is_ok, |j| {
                wasm.create(j, &env, msg, code, flags)
            })?);
        }
        // An EVM contract's calls to EVM contracts run inside the EVM, and CosmWasm's
        // messages between CosmWasm contracts inside CosmWasm, neither of which sees the
        // flags: set on such a contract they would hold for some callers only.
        if flags != AppFlags::DEFAULT {
            return Err(RuntimeError::InvalidArgument(format!(
                "app flags are for contracts of cove's ABI; a {vm_type} contract has the defaults"
            )));
        }
        self.run(journal, block, vm_type, msg)
    }

    /// Runs `msg` on `vm_type` in `journal`, reverting everything it did if it fails.
    pub(crate) fn run(
        &self,
        journal: &mut Journal,
        block: &BlockInfo,
        vm_type: VmType,
        msg: Message<'_>,
    ) -> Result<Receipt, RuntimeError> {
        self.vms.run(journal, &Env::new(block, &self.dispatch), self.vms.get(vm_type), msg)
    }
}

/// Refuses `code_id` unless it is stored.
fn check_stored(journal: &Journal, code_id: &CodeId) -> Result<(), RuntimeError> {
    match journal.get(&keys::code(code_id))? {
        Some(_) => Ok(()),
        None => Err(RuntimeError::NotFound(format!("no stored code {code_id}"))),
    }
}
