//! The VM factory: one shared instance per VM type, and the one dispatch of messages
//! to them.
//!
//! This is the only place of the runtime that names the VMs: it builds each from the
//! configuration, registers it, and answers which VM runs a message. Everything else
//! goes through [`VirtualMachine`] and [`vm::CompiledModules`].

use std::path::Path;
use std::sync::Arc;

use state::Journal;
use types::{Address, CallError, ErrorKind, Gas, VmType};
use vm::{
    AppFlags, ContractInfo, Dispatch, Env, Instantiate, LibraryCall, Message, Outcome, Target,
    VirtualMachine, VmError,
};
use wasm::{Engine, Vm};
use wasm_vm::{Calls, ModuleCache, WasmVm};

use crate::config::{CallsConfig, Reentrancy, check_gas_limit};
use crate::{COSMWASM_CACHE_DIR, Config, Receipt, RuntimeError};

/// Hands out one shared VM per [`VmType`], all created with the runtime, and dispatches
/// messages to them. Thread-safe: `get` from any thread returns the same instance for
/// a type.
///
/// Adding a VM means a crate implementing [`VirtualMachine`], a [`VmType`] variant and
/// its registration here (built in `VmFactory::new`, one arm in [`VmFactory::get`],
/// a place in [`VmFactory::all`]); the other VMs and the rest of the runtime do not
/// change.
pub struct VmFactory {
    wasm: Arc<WasmVm>,
    evm: Arc<evm::EvmVm>,
    cosmwasm: Arc<cosmwasm::CosmWasmVm>,
    /// `max_tx_gas`: no message may name a larger gas limit.
    max_tx_gas: Gas,
    /// The depth limit and reentrancy policy of messages contracts send.
    calls: CallsConfig,
}

impl VmFactory {
    /// Builds every VM from `config`, their module caches' disk tiers under `cache_dir`.
    pub(crate) fn new(config: &Config, cache_dir: Option<&Path>) -> Result<VmFactory, RuntimeError> {
        let engine = Engine::new(config.wasm.clone()).map_err(|e| RuntimeError::Config(e.to_string()))?;
        let evm = evm::EvmVm::new(config.evm.clone()).map_err(|e| RuntimeError::Config(e.to_string()))?;
        // CosmWasm contracts run on the same engine: one metering, one set of limits, one
        // kind of cache (in a directory of its own).
        let cosmwasm_dir = cache_dir.map(|dir| dir.join(COSMWASM_CACHE_DIR));
        let cosmwasm = cosmwasm::CosmWasmVm::with_cache(
            engine.clone(),
            config.cosmwasm.clone(),
            &config.cache,
            cosmwasm_dir.as_deref(),
        )
        .map_err(|e| match e {
            cosmwasm::SetupError::Cache(e) => RuntimeError::Cache(e),
            e => RuntimeError::Config(e.to_string()),
        })?;
        // WASM contracts reach the EVM's precompiles (one registry, the same answers).
        let vm = Vm::new(engine).with_precompiles(evm.precompiles().clone()).with_calls(Arc::new(Calls));
        let modules = ModuleCache::new(Arc::new(vm), &config.cache, cache_dir)?;
        config.validate_gas().map_err(RuntimeError::Config)?;
        config.calls.validate().map_err(RuntimeError::Config)?;
        config.storage_deposit.validate().map_err(RuntimeError::Config)?;
        config.execution.validate().map_err(RuntimeError::Config)?;
        Ok(VmFactory {
            wasm: Arc::new(WasmVm::new(modules, config.default_gas_limit)),
            evm: Arc::new(evm),
            cosmwasm: Arc::new(cosmwasm),
            max_tx_gas: config.max_tx_gas,
            calls: config.calls,
        })
    }

    /// The VM for `vm_type`: the same instance on every call (a reference, so dispatch
    /// costs no reference counting).
    pub fn get(&self, vm_type: VmType) -> &dyn VirtualMachine {
        match vm_type {
            VmType::Wasm => &*self.wasm,
            VmType::Evm => &*self.evm,
            VmType::CosmWasm => &*self.cosmwasm,
        }
    }

    /// Every VM, in registration order: a VM whose module cache claims only code it
    /// recorded itself comes before one that claims any stored code
    /// ([`vm::CompiledModules::claims`]), so CosmWasm comes before cove's WASM.
    pub fn all(&self) -> [&dyn VirtualMachine; 3] {
        [&*self.cosmwasm, &*self.evm, &*self.wasm]
    }

    /// The VM of a message without an entry point to an address that holds no contract:
    /// the EVM, for which such an address is an Ethereum account (a value transfer).
    pub fn for_account(&self) -> &dyn VirtualMachine {
        &*self.evm
    }

    /// The record of the contract at `address`, if any. After an EVM message the EVM's
    /// account cache usually knows it (a run of EVM transactions reads it from there
    /// rather than from the journal).
    pub fn contract(&self, journal: &Journal, address: &Address) -> Result<Option<ContractInfo>, VmError> {
        match self.evm.cached_contract(journal, address) {
            Some(record) => Ok(record),
            None => vm::load_contract(journal, address),
        }
    }

    /// The WASM VM, typed.
    pub fn wasm(&self) -> &WasmVm {
        &self.wasm
    }

    /// The CosmWasm VM, typed.
    pub fn cosmwasm(&self) -> &cosmwasm::CosmWasmVm {
        &self.cosmwasm
    }

    /// The EVM, typed.
    pub fn evm(&self) -> &evm::EvmVm {
        &self.evm
    }

    /// Runs a call in `journal` on the VM the contract was deployed with, reverting it
    /// on failure: the dispatch of transactions, queries and (through [`Dispatch`])
    /// messages contracts send.
    pub(crate) fn execute(
        &self,
        journal: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
    ) -> Result<Receipt, RuntimeError> {
        let Target::Call(address) = msg.target else {
            let e = CallError::new(ErrorKind::InvalidArgument, "a create must name its VM");
            return Ok(Receipt::failed(e));
        };
        let record = self.contract(journal, &address)?;
        self.execute_known(journal, env, msg, address, record.as_ref())
    }

    /// [`VmFactory::execute`] of a call to `address`, whose contract record the caller
    /// already read (`None`: no contract there).
    fn execute_known(
        &self,
        journal: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
        address: Address,
        record: Option<&ContractInfo>,
    ) -> Result<Receipt, RuntimeError> {
        match record {
            Some(info) => self.run(journal, env, self.get(info.vm), Message { callee: Some(info), ..msg }),
            None if msg.entry.is_empty() => self.run(journal, env, self.for_account(), msg),
            None => {
                Ok(Receipt::failed(CallError::new(ErrorKind::NotFound, format!("no contract at {address}"))))
            }
        }
    }

    /// Runs `msg` on `vm` in `journal`, reverting everything it did if it fails.
    pub(crate) fn run(
        &self,
        journal: &mut Journal,
        env: &Env<'_>,
        vm: &dyn VirtualMachine,
        msg: Message<'_>,
    ) -> Result<Receipt, RuntimeError> {
        check_gas_limit(self.max_tx_gas, msg.gas_limit).map_err(RuntimeError::InvalidArgument)?;
        let out = vm::in_checkpoint(journal, Receipt::is_ok, |journal| vm.execute(journal, env, msg));
        if env.depth == 0 {
            // A transaction or query ended: its transient entries go with it.
            journal.clear_transient();
        }
        Ok(out?)
    }
}

impl Dispatch for VmFactory {
    /// `VmFactory::execute` one level below `env`, on any VM (CosmWasm's callee runs
    /// its `execute` or `query`), unless that passes the depth limit (kind
    /// `call_depth`) or, under [`Reentrancy::Deny`], enters a contract already on
    /// `env.callers` (kind `reentrancy`). A gas limit the runtime refuses is the sending
    /// contract's failure, not the node's.
    fn dispatch(&self, state: &mut Journal, env: &Env<'_>, msg: Message<'_>) -> Result<Outcome, VmError> {
        let nested = env.nested();
        if let Target::Call(address) = msg.target
            && let Some(refused) = self.admits(env, &address)
        {
            return Ok(Outcome::failed(refused));
        }
        if let Some(refused) = self.too_deep(&nested) {
            return Ok(refused);
        }
        // The callee's record, read once for every check below and the run.
        let Target::Call(address) = msg.target else {
            let e = CallError::new(ErrorKind::InvalidArgument, "a create must name its VM");
            return Ok(Outcome::failed(e));
        };
        let record = self.contract(state, &address)?;
        if let Some(refused) = not_callable(&address, record.as_ref()) {
            return Ok(refused);
        }
        // Between the EVM and another VM, gas converts at the configured rate.
        let crossing = match self.calls.converts_gas() {
            true => self.crosses_gas_units(state, &msg.sender, record.as_ref(), msg.entry)?,
            false => None,
        };
        let rate = self.calls.evm_gas_rate;
        let msg = match crossing {
            Some(from_evm) => Message {
                gas_limit: msg.gas_limit.map(|limit| rate.to_callee(from_evm, limit, self.max_tx_gas)),
                ..msg
            },
            None => msg,
        };
        match self.execute_known(state, &nested, msg, address, record.as_ref()) {
            Ok(outcome) => Ok(match crossing {
                Some(from_evm) => Outcome { gas_used: rate.to_caller(from_evm, outcome.gas_used), ..outcome },
                None => outcome,
            }),
            Err(RuntimeError::InvalidArgument(m)) => {
                Ok(Outcome::failed(CallError::new(ErrorKind::InvalidArgument, m)))
            }
            Err(RuntimeError::Storage(e)) => Err(VmError::Storage(e)),
            Err(RuntimeError::Vm(e)) => Err(e),
            Err(RuntimeError::Cache(e)) => Err(VmError::Cache(e)),
            Err(RuntimeError::Corrupt(m)) => Err(VmError::Corrupt(m)),
            Err(e) => Err(VmError::Engine(e.to_string())),
        }
    }

    /// The depth limit, then under [`Reentrancy::Deny`] the call stack: what
    /// [`Dispatch::dispatch`] checks before running a call.
    fn admits(&self, env: &Env<'_>, target: &Address) -> Option<CallError> {
        if let Some(refused) = self.too_deep(&env.nested()) {
            return refused.result.err();
        }
        (self.calls.reentrancy == Reentrancy::Deny && env.callers.contains(target)).then(|| {
            CallError::new(
                ErrorKind::Reentrancy,
                format!("{target} is already on the call stack and reentrancy is denied"),
            )
        })
    }

    /// Creates a contract of cove's ABI from stored code at [`vm::created_address`],
    /// one level below `env`, under the same depth limit; refused in a query.
    fn instantiate(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        request: Instantiate<'_>,
    ) -> Result<Outcome, VmError> {
        let nested = env.nested();
        if let Some(refused) = self.too_deep(&nested) {
            return Ok(refused);
        }
        if request.read_only {
            return Ok(Outcome::failed(CallError::new(
                ErrorKind::ReadOnly,
                "a query cannot create a contract",
            )));
        }
        let address = vm::created_address(&request.sender, &request.salt, &request.code_id);
        let msg = Message {
            sender: request.sender,
            target: Target::Call(address),
            entry: request.entry,
            input: request.input,
            value: request.value,
            gas_limit: Some(request.gas_limit),
            read_only: false,
            callee: None,
        };
        vm::in_checkpoint(state, Outcome::is_ok, |state| {
            self.wasm.instantiate(state, &nested, msg, request.code_id, Some(address), AppFlags::DEFAULT)
        })
    }

    /// Runs an importable contract's code in the sender's context
    /// ([`WasmVm::library_call`]) one level below `env`, under the same depth limit.
    fn library_call(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        call: LibraryCall<'_>,
    ) -> Result<Outcome, VmError> {
        let nested = env.nested();
        if let Some(refused) = self.too_deep(&nested) {
            return Ok(refused);
        }
        let library = self.contract(state, &call.library)?;
        vm::in_checkpoint(state, Outcome::is_ok, |state| {
            self.wasm.library_call(state, &nested, call, library.as_ref())
        })
    }
}

/// The failure of a contract's call to the contract at `address` (record `record`) if
/// its `callable` flag is off (kind `unauthorized`): only transactions and queries may
/// call it.
fn not_callable(address: &Address, record: Option<&ContractInfo>) -> Option<Outcome> {
    record.filter(|info| !info.flags.callable).map(|_| {
        Outcome::failed(CallError::new(
            ErrorKind::Unauthorized,
            format!("{address} is not callable by contracts (its `callable` flag is off)"),
        ))
    })
}

impl VmFactory {
    /// `Some(sender is an EVM contract)` if a message from `sender` to the contract
    /// whose record is `callee` crosses between EVM gas and cove gas; `None` if both
    /// sides count the same gas. An address without a contract is an EVM account for a
    /// message without an entry point ([`VmFactory::for_account`]).
    fn crosses_gas_units(
        &self,
        state: &Journal,
        sender: &Address,
        callee: Option<&ContractInfo>,
        entry: &str,
    ) -> Result<Option<bool>, VmError> {
        let from_evm = self.contract(state, sender)?.is_some_and(|info| info.vm == VmType::Evm);
        let to_evm = match callee {
            Some(info) => info.vm == VmType::Evm,
            None => entry.is_empty(),
        };
        Ok((from_evm != to_evm).then_some(from_evm))
    }

    /// The failure of a message that would run deeper than `max_call_depth`.
    fn too_deep(&self, nested: &Env<'_>) -> Option<Outcome> {
        (nested.depth > self.calls.max_call_depth).then(|| {
            Outcome::failed(CallError::new(
                ErrorKind::CallDepth,
                format!(
                    "the call would run at depth {}; max_call_depth = {}",
                    nested.depth, self.calls.max_call_depth
                ),
            ))
        })
    }
}
