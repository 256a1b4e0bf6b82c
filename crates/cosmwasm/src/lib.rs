//! CosmWasm-compatible contracts on cove's own WASM engine.
//!
//! This crate owns what makes a CosmWasm contract run on cove, and nothing of the engine
//! itself: modules are validated, instrumented (gas, deterministic stack limit) and
//! compiled by `cove-wasm`'s [`wasm::Engine`] exactly as cove's own contracts are, with
//! CosmWasm's import table ([`abi::IMPORTS`]) in place of cove's. On top of that:
//!
//! * [`abi`]: the `interface_version_8` exports and `requires_*` capabilities, checked
//!   at deploy;
//! * the host functions (`db_*`, `addr_*`, signatures, `debug`, `abort`,
//!   `query_chain`) over cove's journal, one storage prefix per contract, as the other
//!   VMs use;
//! * [`msg`]: `Env`, `MessageInfo`, `Response`, sub-messages, replies and queries in
//!   cosmwasm-std's JSON;
//! * [`Bank`]: balances of many denominations, the native one shared with the EVM;
//! * [`staking`]: the staking and distribution modules behind `StakingMsg`,
//!   `DistributionMsg`, their queries and the protobuf `Any` messages (`tx::modules`);
//!   [`gov`]: votes on the chain's proposals (`GovMsg`);
//! * the transaction: entry point, response, messages and sub-messages processed as wasmd
//!   does, each caught sub-message's changes rolled back alone (`tx`);
//! * messages and smart queries to contracts of the other VMs, and calls from them,
//!   through the runtime's one dispatch, under its depth limit and reentrancy policy
//!   (`foreign`);
//! * gas profiles of a transaction ([`CosmWasmVm::profile`], `profile`), from profiling
//!   compiles that bypass the module cache.
//!
//! Compiled modules go through cove's module cache (`cove-cache`, [`ModuleCache`]):
//! memory, disk, pins and tier-up as for cove's own contracts, in a cache directory of
//! their own.
//!
//! Limits are in [`config`]; `docs/cosmwasm.md` describes behaviour and gaps.

pub mod abi;
pub mod address;
mod bank;
pub mod config;
mod crypto;
mod foreign;
pub mod gov;
mod host;
mod instance;
mod link;
pub mod msg;
mod profile;
mod query;
mod region;
pub mod staking;
mod tx;

use std::path::Path;
use std::sync::Arc;

use cache::{CacheConfig, CacheError};
use state::Journal;
use types::{Address, BlockInfo, CallError, CodeId, ErrorKind, Gas, StorageError, VmType};
use vm::{
    CompiledModules, ContractInfo, Env, Message, Outcome, Target, VirtualMachine, VmError, VmVersion, keys,
};

pub use address::Addresses;
pub use bank::{Bank, MAX_COINS, MAX_DENOM_LEN, parse_coins, valid_denom};
pub use config::Config;
pub use instance::Linked;
pub use link::{CosmWasmLinker, ModuleCache};
pub use msg::{Attribute, Coin, Event};
pub use tx::{Action, MAX_SALT_LEN, Request};

use foreign::Frame;
use instance::EntryCall;
use link::{LoadError, stored_code};
use tx::Context;
use wasm::profile::GasProfile;

/// What every call shares: the engine, the module cache and the configuration.
pub(crate) struct Shared {
    engine: wasm::Engine,
    modules: ModuleCache,
    pub(crate) config: Config,
    pub(crate) addresses: Addresses,
    pub(crate) bank: Bank,
    pub(crate) staking: staking::Staking,
    pub(crate) gov: gov::Gov,
}

/// The CosmWasm VM: one instance per runtime, used from any thread.
pub struct CosmWasmVm {
    shared: Arc<Shared>,
}

/// Why a [`CosmWasmVm`] could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(String),
    /// The module cache's directory could not be used.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl CosmWasmVm {
    /// A VM on `engine` (shared with cove's WASM VM) with `config`, its compiled modules
    /// cached in memory only (the default [`CacheConfig`]'s limits).
    pub fn new(engine: wasm::Engine, config: Config) -> Result<CosmWasmVm, String> {
        CosmWasmVm::with_cache(engine, config, &CacheConfig::default(), None).map_err(|e| e.to_string())
    }

    /// [`CosmWasmVm::new`] with the module cache sized by `cache` and its disk tier in
    /// `dir`, if given and `cache.disk` is on. `dir` is CosmWasm's alone: not the
    /// directory of cove's own cache (the runtime uses its `cosmwasm` subdirectory).
    pub fn with_cache(
        engine: wasm::Engine,
        config: Config,
        cache: &CacheConfig,
        dir: Option<&Path>,
    ) -> Result<CosmWasmVm, SetupError> {
        config.validate().map_err(SetupError::Config)?;
        let linker = CosmWasmLinker::new(engine.clone(), &config.capabilities).map_err(SetupError::Config)?;
        let shared = Shared {
            modules: ModuleCache::new(Arc::new(linker), cache, dir)?,
            addresses: Addresses::new(&config.bech32_prefix).map_err(SetupError::Config)?,
            bank: Bank::new(&config.native_denom),
            staking: staking::Staking::new(&config.staking, Bank::new(&config.native_denom))
                .map_err(SetupError::Config)?,
            gov: gov::Gov::new(&config.gov),
            engine,
            config,
        };
        Ok(CosmWasmVm { shared: Arc::new(shared) })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Human and canonical addresses.
    pub fn addresses(&self) -> &Addresses {
        &self.shared.addresses
    }

    /// The bank.
    pub fn bank(&self) -> &Bank {
        &self.shared.bank
    }

    /// The staking and distribution modules.
    pub fn staking(&self) -> &staking::Staking {
        &self.shared.staking
    }

    /// The governance module.
    pub fn gov(&self) -> &gov::Gov {
        &self.shared.gov
    }

    /// The compiled-module cache (stats, pins, clearing, tier-up).
    pub fn modules(&self) -> &ModuleCache {
        &self.shared.modules
    }

    /// Runs one transaction: an instantiate, execute, query, migrate or sudo with its
    /// messages and sub-messages. A failed outcome leaves writes in `state` that the
    /// caller must revert (as for every VM). Also returns the contracts' `debug` output,
    /// which is not part of the outcome. `Env.transaction` is null: see
    /// [`CosmWasmVm::run_in_block`] to give the transaction's index.
    ///
    /// The VM runs alone: a message or query to a contract of another VM fails (see
    /// [`CosmWasmVm::run_in_env`]).
    pub fn run(
        &self,
        state: &mut Journal,
        block: &BlockInfo,
        request: Request<'_>,
    ) -> Result<(Outcome, Vec<String>), VmError> {
        self.run_in_env(state, &Env::detached(block), None, request)
    }

    /// [`CosmWasmVm::run`] in `env`: its messages and queries to contracts of other VMs
    /// go through `env.dispatch`, and every message (between CosmWasm contracts too)
    /// obeys its depth limit and reentrancy policy. `tx_index` as for
    /// [`CosmWasmVm::run_in_block`] (a query always sees null).
    pub fn run_in_env(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        tx_index: Option<u32>,
        request: Request<'_>,
    ) -> Result<(Outcome, Vec<String>), VmError> {
        let tx_index = tx_index.filter(|_| !matches!(request.action, Action::Query { .. }));
        let ctx = Context { block: *env.block, tx_index };
        tx::run(&self.shared, state, ctx, Frame::of(env), request)
    }

    /// [`CosmWasmVm::run`] as transaction number `tx_index` of its block, which the
    /// contracts see as `Env.transaction.index` (wasmd's transaction counter). A query
    /// is in no transaction and always sees null.
    pub fn run_in_block(
        &self,
        state: &mut Journal,
        block: &BlockInfo,
        tx_index: u32,
        request: Request<'_>,
    ) -> Result<(Outcome, Vec<String>), VmError> {
        self.run_in_env(state, &Env::detached(block), Some(tx_index), request)
    }

    /// [`CosmWasmVm::run_in_env`] with a gas profile (`docs/cli.md`, `cove profile`):
    /// each entry point runs from a profiling compile of its code that bypasses the
    /// module cache and charges the same gas. The profile's root frame is
    /// `[cosmwasm ACTION]` and its total is the outcome's `gas_used`. The caller discards
    /// `state` as for any run.
    pub fn profile(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        tx_index: u32,
        request: Request<'_>,
    ) -> Result<(Outcome, Vec<String>, GasProfile), VmError> {
        let action = match request.action {
            Action::Instantiate { .. } => "instantiate",
            Action::Execute { .. } => "execute",
            Action::Query { .. } => "query",
            Action::Migrate { .. } => "migrate",
            Action::Sudo { .. } => "sudo",
        };
        let root = format!("[cosmwasm {action}]");
        let tx_index = (!matches!(request.action, Action::Query { .. })).then_some(tx_index);
        let ctx = Context { block: *env.block, tx_index };
        let (outcome, debug, profile) =
            tx::run_maybe_profiled(&self.shared, state, ctx, Frame::of(env), request, Some(root))?;
        Ok((outcome, debug, profile.unwrap_or_default()))
    }

    /// The code number CosmWasm messages use for `id`, if stored through this VM.
    pub fn code_number(&self, state: &Journal, id: &CodeId) -> Result<Option<u64>, StorageError> {
        Ok(state.get(&keys::cosmwasm_code_number(id))?.and_then(|v| keys::decode_u64(&v)))
    }

    /// The label a contract was instantiated with.
    pub fn label(&self, state: &Journal, address: &Address) -> Result<Option<String>, StorageError> {
        Ok(state.get(&keys::cosmwasm_label(address))?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}

impl Shared {
    /// Checks, validates and compiles `code` at deploy, caching the module in memory and
    /// on disk; a failure is the deployer's (`validation`).
    fn module(&self, id: CodeId, code: &[u8]) -> Result<(), CallError> {
        self.modules.validate(id, code)
    }

    /// `code` inflated if it is gzip-compressed (as wasmd accepts it), bounded by the
    /// engine's `max_code_bytes`; a failure is `validation`.
    fn inflate<'c>(&self, code: &'c [u8]) -> Result<std::borrow::Cow<'c, [u8]>, CallError> {
        wasm::inflate_code(code, self.engine.config().limits.max_code_bytes)
    }

    /// The deploy gas of an inflated module of `bytes` bytes: the engine's
    /// `[wasm.gas.deploy]`, as cove's ABI pays it (`docs/gas.md`, "Deploy gas").
    fn deploy_gas(&self, bytes: usize) -> u64 {
        self.engine.config().gas.deploy.of(bytes)
    }

    /// The linked module a call of a stored contract's code runs (counted for tier-up).
    /// Stored code that is missing, fails its checksum or no longer validates is
    /// [`VmError::Corrupt`].
    fn stored_module(&self, journal: &Journal, id: &CodeId) -> Result<Arc<Linked>, VmError> {
        self.modules.for_call(id, &|| stored_code(journal, id)).map_err(|LoadError(e)| e)
    }
}

/// A CosmWasm contract's record, if `address` holds one.
pub(crate) fn load_cosmwasm(journal: &Journal, address: &Address) -> Result<Option<ContractInfo>, VmError> {
    Ok(vm::load_contract(journal, address)?.filter(|i| i.vm == VmType::CosmWasm))
}

/// `ContractInfoResponse` JSON of a CosmWasm contract.
pub(crate) fn contract_info_json(
    shared: &Shared,
    journal: &Journal,
    address: &Address,
) -> Result<Option<serde_json::Value>, VmError> {
    let Some(info) = load_cosmwasm(journal, address)? else { return Ok(None) };
    let code_id = journal
        .get(&keys::cosmwasm_code_number(&info.code_id))?
        .and_then(|v| keys::decode_u64(&v))
        .unwrap_or(0);
    Ok(Some(serde_json::json!({
        "code_id": code_id,
        "creator": shared.addresses.humanize(&info.creator),
        "admin": info.admin.map(|a| shared.addresses.humanize(&a)),
        "pinned": false,
        "ibc_port": null,
    })))
}

/// `CodeInfoResponse` JSON of code number `n`.
pub(crate) fn code_info_json(
    shared: &Shared,
    journal: &Journal,
    n: u64,
) -> Result<Option<serde_json::Value>, VmError> {
    let Some(record) = journal.get(&keys::cosmwasm_code(n))? else { return Ok(None) };
    let (id, creator) = tx::decode_code_record(&record)?;
    Ok(Some(serde_json::json!({
        "code_id": n,
        "creator": shared.addresses.humanize(&creator),
        "checksum": hex::encode(id.0),
    })))
}

/// A nested query's result and the gas it used.
pub(crate) type QueryRun = (Result<Vec<u8>, CallError>, Gas);

/// Runs `target`'s `query` read-only for `query_chain`, in `frame`; the outcome and
/// the gas used.
#[allow(clippy::too_many_arguments)]
pub(crate) fn smart_query(
    shared: &Arc<Shared>,
    journal: Journal,
    ctx: Context,
    frame: Frame,
    target: Address,
    msg: &[u8],
    gas_limit: Gas,
    depth: u32,
) -> (Journal, Result<QueryRun, VmError>) {
    let info = match load_cosmwasm(&journal, &target) {
        Ok(Some(info)) => info,
        Ok(None) => return (journal, Ok((Err(CallError::new(ErrorKind::NotFound, "no such contract")), 0))),
        Err(e) => return (journal, Err(e)),
    };
    let module = match shared.stored_module(&journal, &info.code_id) {
        Ok(m) => m,
        Err(e) => return (journal, Err(e)),
    };
    let env = tx::env_json(shared, &ctx, &target);
    let call = EntryCall {
        contract: target,
        ctx,
        read_only: true,
        depth,
        frame,
        entry: "query",
        args: &[&env, msg],
        min_args: 2,
        gas_limit,
    };
    let (journal, outcome) = instance::run(shared, &module, journal, &call);
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return (journal, Err(tx::engine_fault(e))),
    };
    let result = outcome.result.and_then(|bytes| tx::query_result(&bytes));
    (journal, Ok((result, outcome.gas_used)))
}

impl VirtualMachine for CosmWasmVm {
    fn vm_type(&self) -> VmType {
        VmType::CosmWasm
    }

    fn vm_version(&self) -> VmVersion {
        VmVersion {
            vm: VmType::CosmWasm,
            engine: format!("wasmtime {}", wasm::WASMTIME_VERSION),
            detail: format!(
                "{} (cosmwasm-std 1.x/2.x), instrumentation v{}",
                abi::INTERFACE_VERSION,
                wasm::INSTRUMENT_VERSION
            ),
        }
    }

    fn default_gas_limit(&self) -> Gas {
        self.shared.config.default_gas_limit
    }

    fn validate_code(&self, code: &[u8]) -> Result<(), CallError> {
        let code = self.shared.inflate(code)?;
        self.shared.module(CodeId::of(&code), &code)
    }

    /// The generic message: `Create` instantiates (no label, no admin), a call runs the
    /// entry point it names (`execute`, `query`, `sudo`); `input` is the JSON message
    /// and `value` the native funds. A call from a contract (`env.depth` > 0) may name
    /// only `execute` (refused as `read_only` in a query) and `query`.
    fn execute(&self, state: &mut Journal, env: &Env<'_>, msg: Message<'_>) -> Result<Outcome, VmError> {
        if env.depth > 0 {
            let refused = match msg.entry {
                "execute" if msg.read_only => {
                    Some((ErrorKind::ReadOnly, "a query cannot execute a CosmWasm contract".to_string()))
                }
                "execute" | "query" => None,
                entry => Some((
                    ErrorKind::InvalidArgument,
                    format!("a contract may call a CosmWasm contract's execute or query, not {entry:?}"),
                )),
            };
            if let Some((kind, message)) = refused {
                return Ok(Outcome::failed(CallError::new(kind, message)));
            }
        }
        // Value goes with `execute` and `instantiate` only: a query moves nothing, so
        // value sent with one is refused rather than silently kept by the sender.
        let queries = matches!(msg.entry, "query") || (msg.read_only && msg.entry == "execute");
        if queries && !msg.value.is_zero() {
            return Ok(Outcome::failed(CallError::new(
                ErrorKind::InvalidArgument,
                "a CosmWasm query takes no value",
            )));
        }
        // A read-only message runs only as a query: `sudo` writes.
        if msg.read_only && msg.entry == "sudo" {
            return Ok(Outcome::failed(CallError::new(ErrorKind::ReadOnly, "sudo cannot run read-only")));
        }
        let funds: Vec<Coin> = if msg.value.is_zero() {
            Vec::new()
        } else {
            // CosmWasm amounts are Uint128: a larger value cannot be sent as funds.
            let Some(amount) = msg.value.to_u128() else {
                return Ok(Outcome::failed(CallError::new(
                    ErrorKind::InvalidArgument,
                    "a value above 2^128 - 1 cannot be sent to a CosmWasm contract (Uint128 funds)",
                )));
            };
            vec![Coin { denom: self.shared.config.native_denom.clone(), amount }]
        };
        let action = match (msg.target, msg.entry) {
            (Target::Create(code), "" | "instantiate") => {
                Action::Instantiate { code, label: "", admin: None }
            }
            (Target::Call(contract), "execute") if !msg.read_only => Action::Execute { contract },
            (Target::Call(contract), "query" | "execute") => Action::Query { contract },
            (Target::Call(contract), "sudo") => Action::Sudo { contract },
            (_, entry) => {
                return Ok(Outcome::failed(CallError::new(
                    ErrorKind::NotFound,
                    format!(
                        "{entry:?} is not a CosmWasm entry point cove calls this way (instantiate, execute, query, sudo)"
                    ),
                )));
            }
        };
        let request =
            Request { sender: msg.sender, action, msg: &msg.input, funds: &funds, gas_limit: msg.gas_limit };
        self.run_in_env(state, env, None, request).map(|(outcome, _debug)| outcome)
    }

    fn modules(&self) -> Option<&dyn CompiledModules> {
        Some(self)
    }
}

impl CompiledModules for CosmWasmVm {
    /// Code stored by a CosmWasm store-code (it has a CosmWasm code number).
    fn claims(&self, state: &Journal, code_id: &CodeId) -> Result<bool, VmError> {
        Ok(state.get(&keys::cosmwasm_code_number(code_id))?.is_some())
    }

    fn pin(&self, state: &Journal, code_id: &CodeId) -> Result<(), VmError> {
        self.shared.modules.pin(code_id, &|| {
            state
                .get(&keys::code(code_id))?
                .ok_or_else(|| VmError::Corrupt(format!("code {code_id} is referenced but not stored")))
        })
    }

    fn unpin(&self, code_id: &CodeId) -> Result<bool, VmError> {
        Ok(self.shared.modules.unpin(code_id)?)
    }

    fn clear(&self) -> Result<(), VmError> {
        Ok(self.shared.modules.clear()?)
    }

    fn tier(&self, code_id: &CodeId) -> Option<vm::Tier> {
        self.shared.modules.tier(code_id)
    }

    fn settle(&self) {
        self.shared.modules.settle();
    }

    fn stats(&self) -> vm::CacheStats {
        self.shared.modules.stats()
    }
}
