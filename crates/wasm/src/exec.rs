//! Running an entry point: one fresh instance per call, metered, bounded, classified.

use std::collections::HashMap;
use std::sync::Arc;

use types::{
    Address, BlockInfo, CallError, ContractStorage, ErrorKind, Event, Gas, MAX_GAS_LIMIT, StorageError,
};
use wasmtime::{
    AsContextMut, Func, Global, InstancePre, Linker, Memory, ModuleExport, Store, Trap, ValRaw, ValType,
};

use crate::abi;
use crate::calls::ContractCalls;
use crate::config::{GasSchedule, HostLimits};
use crate::coverage::{BlockCounts, CoverageHost};
use crate::engine::{CompiledModule, Engine, HOST_STACK_HEADROOM, Tier};
use crate::host::{self, BackendFault, HostTrap, NodeFault};
use crate::meter::GasMeter;
use crate::profile::{CallProfile, ProfileHost, Recorder};
use types::Precompiles;

/// Per-call host state: everything host functions may touch.
pub struct HostState<S> {
    pub(crate) storage: S,
    pub(crate) caller: Address,
    pub(crate) contract: Address,
    pub(crate) block: BlockInfo,
    pub(crate) read_only: bool,
    pub(crate) input: Vec<u8>,
    pub(crate) return_data: Option<Vec<u8>>,
    pub(crate) events: Vec<Event>,
    pub(crate) schedule: Arc<GasSchedule>,
    pub(crate) precompiles: Option<Arc<dyn Precompiles>>,
    pub(crate) limits: HostLimits,
    pub(crate) gas: Option<GasMeter>,
    pub(crate) memory: Option<Memory>,
    /// The contract's `allocate(len: i32) -> i32` (its type checked when linked).
    pub(crate) allocate: Option<Func>,
    pub(crate) in_allocate: bool,
    /// Runs the contracts this one calls (`None`: every call is refused).
    pub(crate) calls: Option<Arc<dyn ContractCalls<S>>>,
    /// The last `call`'s result, for `call_result_read`.
    pub(crate) call_result: Vec<u8>,
    /// The gas profile being recorded (a profiled call only).
    pub(crate) profile: Option<Box<Recorder>>,
    /// The debugger watching the call (a debugged call only).
    pub(crate) debug: Option<Box<crate::debug::Attached<S>>>,
    /// The block counters of a covered call.
    pub(crate) coverage: Option<Arc<BlockCounts>>,
}

/// What a diagnostic call (a profile, the debugger, coverage) attaches to its store; an
/// ordinary call attaches nothing.
struct Attachments<S> {
    profile: Option<Box<Recorder>>,
    debug: Option<Box<crate::debug::Attached<S>>>,
    coverage: Option<Arc<BlockCounts>>,
}

impl<S> Attachments<S> {
    fn none() -> Self {
        Attachments { profile: None, debug: None, coverage: None }
    }
}

impl<S: 'static> CoverageHost for HostState<S> {
    fn block_counts(&self) -> Option<&BlockCounts> {
        self.coverage.as_deref()
    }
}

impl<S: 'static> ProfileHost for HostState<S> {
    fn gas_global(&self) -> Option<Global> {
        self.gas.map(|m| m.gas())
    }

    fn recorder(&mut self) -> Option<&mut Recorder> {
        self.profile.as_deref_mut()
    }

    fn debug_hook(caller: &mut wasmtime::Caller<'_, Self>, hook: Option<u32>, gas_left: i64) {
        crate::debug::on_hook(caller, hook, gas_left);
    }
}

/// Who calls what, where.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The account calling the contract.
    pub caller: Address,
    /// The contract being called.
    pub contract: Address,
    /// The block the call executes in.
    pub block: BlockInfo,
    /// A query: any storage write or delete ends the call with [`ErrorKind::ReadOnly`].
    pub read_only: bool,
}

/// The result of a call. Events are empty unless the call succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Return bytes, or why the call failed.
    pub result: Result<Vec<u8>, CallError>,
    /// Gas consumed; equals the limit when the call ran out of gas.
    pub gas_used: Gas,
    /// Events logged, in order (only on success).
    pub events: Vec<Event>,
}

/// A failure of the node rather than of the contract: the transaction must be abandoned,
/// not recorded as a contract outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VmError {
    /// The storage backend failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// wasmtime failed outside the contract's control (e.g. instance pool exhausted).
    #[error("engine: {0}")]
    Engine(String),
}

/// A compiled module linked against the host ABI, ready to instantiate cheaply.
pub struct LinkedModule<S: 'static> {
    pre: InstancePre<HostState<S>>,
    tier: Tier,
    memory: ModuleExport,
    gas: ModuleExport,
    stack: ModuleExport,
    /// The energy surcharge's running total (a schedule with a surcharge only).
    spent: Option<ModuleExport>,
    /// `allocate`, if exported with its type.
    allocate: Option<ModuleExport>,
    /// The start function, if exported with its type.
    start: Option<ModuleExport>,
    /// Every exported function, with its shape.
    functions: HashMap<Box<str>, (ModuleExport, Shape)>,
}

impl<S> LinkedModule<S> {
    /// The compiler tier of its code.
    pub fn tier(&self) -> Tier {
        self.tier
    }
}

/// The WASM VM for storage type `S`: an [`Engine`] plus a linker with the host ABI per
/// compiler tier.
pub struct Vm<S: 'static> {
    engine: Engine,
    optimized: Linker<HostState<S>>,
    baseline: Option<Linker<HostState<S>>>,
    interpreter: Option<Linker<HostState<S>>>,
    schedule: Arc<GasSchedule>,
    precompiles: Option<Arc<dyn Precompiles>>,
    calls: Option<Arc<dyn ContractCalls<S>>>,
}

impl<S: ContractStorage + Send + 'static> Vm<S> {
    /// Builds the VM and its linker once.
    pub fn new(engine: Engine) -> Vm<S> {
        let linker = |engine: &wasmtime::Engine| {
            let mut linker = Linker::new(engine);
            host::define(&mut linker).expect("host ABI names are unique");
            crate::profile::define_hooks(&mut linker).expect("hook names are unique");
            crate::coverage::define_hooks(&mut linker).expect("hook names are unique");
            linker
        };
        let optimized = linker(engine.wasmtime(Tier::Optimized).expect("always present"));
        let baseline = engine.wasmtime(Tier::Baseline).map(linker);
        let interpreter = engine.wasmtime(Tier::Interpreted).map(linker);
        let schedule = Arc::new(engine.config().gas.clone());
        Vm { engine, optimized, baseline, interpreter, schedule, precompiles: None, calls: None }
    }

    /// The same VM, with `precompiles` reachable through the `precompile` host
    /// function (without them, every `precompile` call fails and returns 0).
    pub fn with_precompiles(mut self, precompiles: Arc<dyn Precompiles>) -> Vm<S> {
        self.precompiles = Some(precompiles);
        self
    }

    /// The same VM, with `calls` running the contracts a contract calls through the
    /// `call` host function (without it, every `call` fails with `invalid_argument`).
    pub fn with_calls(mut self, calls: Arc<dyn ContractCalls<S>>) -> Vm<S> {
        self.calls = Some(calls);
        self
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Resolves a compiled module's imports once, for fast instantiation.
    pub fn link(&self, compiled: &CompiledModule) -> Result<LinkedModule<S>, VmError> {
        let module = &compiled.module;
        let linker = match compiled.tier {
            Tier::Optimized => &self.optimized,
            Tier::Baseline => self
                .baseline
                .as_ref()
                .ok_or_else(|| VmError::Engine("no baseline compiler configured".into()))?,
            Tier::Interpreted => self
                .interpreter
                .as_ref()
                .ok_or_else(|| VmError::Engine("no interpreter configured".into()))?,
        };
        let export = |name: &str| module.get_export_index(name);
        let missing = |name: &str| VmError::Engine(format!("instrumented module lacks export {name}"));
        // Function types are looked up here, once: a call then needs no look-up in the
        // engine's type registry (a lock and reference counts every thread shares).
        let functions: HashMap<Box<str>, (ModuleExport, Shape)> = module
            .exports()
            .filter_map(|ex| {
                let shape = Shape::of(ex.ty().func()?);
                Some((ex.name().into(), (export(ex.name())?, shape)))
            })
            .collect();
        let shaped =
            |name: &str, shape: Shape| functions.get(name).filter(|(_, s)| *s == shape).map(|(ex, _)| *ex);
        Ok(LinkedModule {
            pre: linker.instantiate_pre(module).map_err(|e| VmError::Engine(format!("{e:#}")))?,
            tier: compiled.tier,
            memory: export(abi::MEMORY_EXPORT).ok_or_else(|| missing(abi::MEMORY_EXPORT))?,
            gas: export(abi::GAS_GLOBAL_EXPORT).ok_or_else(|| missing(abi::GAS_GLOBAL_EXPORT))?,
            stack: export(abi::STACK_GLOBAL_EXPORT).ok_or_else(|| missing(abi::STACK_GLOBAL_EXPORT))?,
            spent: export(abi::SPENT_GLOBAL_EXPORT),
            allocate: shaped(abi::ALLOCATE_EXPORT, Shape::I32ToI32),
            start: shaped(abi::START_EXPORT, Shape::Unit),
            functions,
        })
    }

    /// Calls `entry` with `input` under `gas_limit`, handing `storage` to the contract.
    ///
    /// Returns the storage back with the outcome. On a contract failure the caller must
    /// discard whatever the contract wrote through `storage` (the runtime reverts its
    /// journal); `Err` means the node, not the contract, failed.
    pub fn call(
        &self,
        module: &LinkedModule<S>,
        ctx: &CallContext,
        entry: &str,
        input: Vec<u8>,
        gas_limit: Gas,
        storage: S,
    ) -> (S, Result<CallOutcome, VmError>) {
        // Wasm runs on this thread's stack. Make sure the native stack wasmtime may use
        // (plus the host's own) is there, switching to a fresh stack only if not.
        let needed = Engine::native_stack(self.engine.config()) + HOST_STACK_HEADROOM;
        stacker::maybe_grow(needed, needed + HOST_STACK_HEADROOM, || {
            let (storage, outcome, _) =
                self.call_on_stack(module, ctx, entry, input, gas_limit, storage, Attachments::none());
            (storage, outcome)
        })
    }

    /// [`Vm::call`] counting the blocks it runs in `counts`: `module` must be linked
    /// from [`Engine::compile_coverage_for`], `counts` made for its map. The outcome is
    /// the one [`Vm::call`] gives.
    #[allow(clippy::too_many_arguments)]
    pub fn call_covered(
        &self,
        module: &LinkedModule<S>,
        ctx: &CallContext,
        entry: &str,
        input: Vec<u8>,
        gas_limit: Gas,
        storage: S,
        counts: Arc<BlockCounts>,
    ) -> (S, Result<CallOutcome, VmError>) {
        let needed = Engine::native_stack(self.engine.config()) + HOST_STACK_HEADROOM;
        stacker::maybe_grow(needed, needed + HOST_STACK_HEADROOM, || {
            let (storage, outcome, _) = self.call_on_stack(
                module,
                ctx,
                entry,
                input,
                gas_limit,
                storage,
                Attachments { coverage: Some(counts), ..Attachments::none() },
            );
            (storage, outcome)
        })
    }

    /// [`Vm::call`] with a gas profile: `module` must be linked from
    /// [`Engine::compile_profiling_for`] (a module without hooks gives a profile whose
    /// whole gas sits in the root frame). The outcome is the one [`Vm::call`] gives; the
    /// profile's total is its `gas_used`. `None` when the call ran nothing.
    pub fn call_profiled(
        &self,
        module: &LinkedModule<S>,
        ctx: &CallContext,
        entry: &str,
        input: Vec<u8>,
        gas_limit: Gas,
        storage: S,
    ) -> (S, Result<(CallOutcome, Option<CallProfile>), VmError>) {
        let needed = Engine::native_stack(self.engine.config()) + HOST_STACK_HEADROOM;
        stacker::maybe_grow(needed, needed + HOST_STACK_HEADROOM, || {
            let recorder = Box::new(Recorder::new(gas_limit));
            let (storage, outcome, profile) = self.call_on_stack(
                module,
                ctx,
                entry,
                input,
                gas_limit,
                storage,
                Attachments { profile: Some(recorder), ..Attachments::none() },
            );
            (storage, outcome.map(|o| (o, profile)))
        })
    }

    /// [`Vm::call`] under a debugger ([`crate::debug`]): `module` must be linked from
    /// [`Engine::compile_profiling_for`], whose hooks are where the debugger stops. The
    /// outcome is the one [`Vm::call`] gives.
    #[allow(clippy::too_many_arguments)]
    pub fn call_debugged(
        &self,
        module: &LinkedModule<S>,
        ctx: &CallContext,
        entry: &str,
        input: Vec<u8>,
        gas_limit: Gas,
        storage: S,
        attach: crate::debug::Attach,
    ) -> (S, Result<CallOutcome, VmError>)
    where
        S: crate::debug::StorageInspect,
    {
        let needed = Engine::native_stack(self.engine.config()) + HOST_STACK_HEADROOM;
        stacker::maybe_grow(needed, needed + HOST_STACK_HEADROOM, || {
            let attached = crate::debug::Attached::new(
                attach,
                gas_limit,
                self.engine.deadline_ticks(module.pre.module().engine()),
            );
            let imported = attached.imported();
            let (storage, outcome, _) = self.call_on_stack(
                module,
                ctx,
                entry,
                input,
                gas_limit,
                storage,
                Attachments { debug: Some(Box::new(attached)), ..Attachments::none() },
            );
            crate::backtrace::unhook(imported);
            (storage, outcome)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn call_on_stack(
        &self,
        module: &LinkedModule<S>,
        ctx: &CallContext,
        entry: &str,
        input: Vec<u8>,
        gas_limit: Gas,
        storage: S,
        attachments: Attachments<S>,
    ) -> (S, Result<CallOutcome, VmError>, Option<CallProfile>) {
        let Attachments { profile, debug, coverage } = attachments;
        let config = self.engine.config();
        let state = HostState {
            storage,
            caller: ctx.caller,
            contract: ctx.contract,
            block: ctx.block,
            read_only: ctx.read_only,
            input,
            return_data: None,
            events: Vec::new(),
            schedule: self.schedule.clone(),
            precompiles: self.precompiles.clone(),
            limits: config.host_limits,
            gas: None,
            memory: None,
            allocate: None,
            in_allocate: false,
            calls: self.calls.clone(),
            call_result: Vec::new(),
            profile,
            debug,
            coverage,
        };
        let mut store = Store::new(module.pre.module().engine(), state);
        store.set_epoch_deadline(self.engine.deadline_ticks(module.pre.module().engine()));
        store.epoch_deadline_trap();

        let fail = |kind, msg: String| CallOutcome {
            result: Err(CallError::new(kind, msg)),
            gas_used: 0,
            events: Vec::new(),
        };
        if gas_limit > MAX_GAS_LIMIT {
            // The gas global is an `i64`: a larger limit is refused, never clamped.
            let msg = format!("gas limit {gas_limit} exceeds MAX_GAS_LIMIT ({MAX_GAS_LIMIT})");
            return (store.into_data().storage, Ok(fail(ErrorKind::InvalidArgument, msg)), None);
        }
        if store.data().input.len() > config.host_limits.max_input_len as usize {
            let msg = format!(
                "input is {} bytes; the maximum is {}",
                store.data().input.len(),
                config.host_limits.max_input_len
            );
            return (store.into_data().storage, Ok(fail(ErrorKind::InvalidArgument, msg)), None);
        }
        if entry.starts_with(abi::RESERVED_PREFIX) || entry == abi::ALLOCATE_EXPORT {
            let msg = format!("{entry:?} is not an entry point");
            return (store.into_data().storage, Ok(fail(ErrorKind::NotFound, msg)), None);
        }

        let instance = match module.pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => {
                let fault = VmError::Engine(format!("instantiate: {e:#}"));
                return (store.into_data().storage, Err(fault), None);
            }
        };
        let global = |store: &mut Store<HostState<S>>, ex: &ModuleExport| {
            instance
                .get_module_export(store, ex)
                .and_then(|e| e.into_global())
                .expect("instrumented globals exist")
        };
        let gas = global(&mut store, &module.gas);
        let stack = global(&mut store, &module.stack);
        let surcharge = match (&module.spent, self.schedule.surcharge()) {
            (Some(spent), Some(divisor)) => Some((global(&mut store, spent), divisor)),
            _ => None,
        };
        let memory = instance
            .get_module_export(&mut store, &module.memory)
            .and_then(|e| e.into_memory())
            .expect("validated modules export memory");
        let allocate = module
            .allocate
            .as_ref()
            .and_then(|ex| instance.get_module_export(&mut store, ex))
            .and_then(|e| e.into_func());
        let start = module
            .start
            .as_ref()
            .and_then(|ex| instance.get_module_export(&mut store, ex))
            .and_then(|e| e.into_func());
        gas.set(&mut store, (gas_limit as i64).into()).expect("gas global is a mutable i64");
        {
            let data = store.data_mut();
            data.gas = Some(GasMeter::new(gas, surcharge));
            data.memory = Some(memory);
            data.allocate = allocate;
        }

        let func = module
            .functions
            .get(entry)
            .and_then(|(ex, shape)| Some((instance.get_module_export(&mut store, ex)?.into_func()?, *shape)));
        crate::backtrace::clear();
        let result = run(&mut store, start, func, entry);
        // The backtrace is this call's, not that of a call it made.
        crate::backtrace::clear();
        if let Err(Failure::Wasm(e)) = &result {
            crate::backtrace::record(e);
        }

        let remaining = gas.get(&mut store).unwrap_i64();
        let height = stack.get(&mut store).unwrap_i32() as u32;
        let out_of_gas = remaining < 0;
        let gas_used = if out_of_gas { gas_limit } else { gas_limit - remaining as u64 };
        let profile = store.data_mut().profile.take().map(|r| r.finish(gas_limit, gas_used));
        // A negative balance means out of gas however the call ended: instrumented code
        // checks only at function entries and loop bodies, so a call may return, or trap,
        // within the loop-free stretch after its gas ran out (docs/gas.md).
        let result = match result {
            _ if out_of_gas => {
                Err(CallError::new(ErrorKind::OutOfGas, format!("out of gas (limit {gas_limit})")))
            }
            Ok(bytes) => Ok(store.data_mut().return_data.take().unwrap_or(bytes)),
            Err(Failure::Contract(e)) => Err(e),
            Err(Failure::Wasm(_)) if height > config.limits.max_stack_bytes => Err(CallError::new(
                ErrorKind::Trap,
                format!(
                    "call stack exhausted: deterministic limit of {} bytes",
                    config.limits.max_stack_bytes
                ),
            )),
            Err(Failure::Wasm(e)) => match classify_error(e) {
                Ok(e) => Err(e),
                Err(fault) => return (store.into_data().storage, Err(fault), None),
            },
        };
        let state = store.into_data();
        let events = if result.is_ok() { state.events } else { Vec::new() };
        (state.storage, Ok(CallOutcome { result, gas_used, events }), profile)
    }
}

enum Failure {
    /// Decided before running anything (bad entry point).
    Contract(CallError),
    /// Raised while running: classified after reading the gas and stack globals.
    Wasm(wasmtime::Error),
}

/// The type of an exported function, as far as calls care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `() -> ()`: an entry point or the start function.
    Unit,
    /// `() -> i32`: an entry point.
    I32,
    /// `() -> i64`: an entry point.
    I64,
    /// `(i32) -> i32`: `allocate`.
    I32ToI32,
    /// Anything else: never called.
    Other,
}

impl Shape {
    fn of(ty: &wasmtime::FuncType) -> Shape {
        let params: Vec<ValType> = ty.params().collect();
        let results: Vec<ValType> = ty.results().collect();
        match (params.as_slice(), results.as_slice()) {
            ([], []) => Shape::Unit,
            ([], [ValType::I32]) => Shape::I32,
            ([], [ValType::I64]) => Shape::I64,
            ([ValType::I32], [ValType::I32]) => Shape::I32ToI32,
            _ => Shape::Other,
        }
    }
}

/// Calls `func`, an export of an instance in `store` whose type is `shape` (not
/// [`Shape::Other`]), with `arg` as its parameter if it takes one; returns its result
/// (meaningless if it returns nothing).
#[allow(unsafe_code)]
pub(crate) fn call_shaped(
    store: impl AsContextMut,
    func: Func,
    shape: Shape,
    arg: i32,
) -> wasmtime::Result<ValRaw> {
    debug_assert!(shape != Shape::Other);
    let mut slot = [ValRaw::i32(arg)];
    // SAFETY: `func` belongs to `store` and its type is `shape`, read from the module its
    // instance was made from when that was linked (`Vm::link`). `shape` is not `Other`,
    // so the one slot holds its parameter (none, or one i32) and then its result (none,
    // one i32 or one i64); no reference types are involved; the store is synchronous.
    unsafe { func.call_unchecked(store, &mut slot as *mut [ValRaw]) }?;
    Ok(slot[0])
}

/// Checks the entry point's shape first, so a malformed call runs nothing (not even
/// the start function) and costs no gas; then runs start and the entry point.
fn run<S>(
    store: &mut Store<HostState<S>>,
    start: Option<Func>,
    func: Option<(Func, Shape)>,
    entry: &str,
) -> Result<Vec<u8>, Failure> {
    let Some((func, shape)) = func else {
        return Err(Failure::Contract(CallError::new(
            ErrorKind::NotFound,
            format!("no exported function {entry:?}"),
        )));
    };
    if !matches!(shape, Shape::Unit | Shape::I32 | Shape::I64) {
        return Err(Failure::Contract(CallError::new(
            ErrorKind::InvalidArgument,
            format!("entry point {entry:?} must take no parameters and return nothing, an i32 or an i64"),
        )));
    }
    if let Some(start) = start {
        call_shaped(&mut *store, start, Shape::Unit, 0).map_err(Failure::Wasm)?;
    }
    let out = call_shaped(&mut *store, func, shape, 0).map_err(Failure::Wasm)?;
    Ok(match shape {
        Shape::I32 => out.get_i32().to_le_bytes().to_vec(),
        Shape::I64 => out.get_i64().to_le_bytes().to_vec(),
        _ => Vec::new(),
    })
}

/// Maps a wasmtime error that is not out-of-gas or stack exhaustion to an outcome, or to
/// a node fault. Host functions of any ABI end a call with [`HostTrap`] (the contract's
/// failure) or [`BackendFault`] / [`NodeFault`] (the node's); this is how every VM on this engine reads
/// them back.
pub fn classify_error(e: wasmtime::Error) -> Result<CallError, VmError> {
    if let Some(t) = e.downcast_ref::<HostTrap>() {
        return Ok(CallError::new(t.kind, t.message.clone()));
    }
    if let Some(BackendFault(s)) = e.downcast_ref::<BackendFault>() {
        return Err(VmError::Storage(s.clone()));
    }
    let e = match e.downcast::<NodeFault>() {
        Ok(NodeFault(fault)) => return Err(fault),
        Err(e) => e,
    };
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Ok(CallError::new(
            ErrorKind::Timeout,
            "execution exceeded the wall-clock timeout (a node fault, not a consensus result)",
        )),
        Some(Trap::StackOverflow) => Err(VmError::Engine(
            "native stack overflow before the deterministic limit (a node fault; please report)".into(),
        )),
        Some(trap) => Ok(CallError::new(ErrorKind::Trap, trap.to_string())),
        None => Ok(CallError::new(ErrorKind::Trap, format!("{e:#}"))),
    }
}
