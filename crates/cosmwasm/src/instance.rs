//! Running one CosmWasm entry point: a fresh instance, its arguments passed in regions
//! the contract allocates, metered by the same instrumentation as cove's own contracts,
//! and classified the same way (out of gas, deterministic stack limit, traps, faults).

use std::sync::Arc;

use state::Journal;
use types::{Address, CallError, ErrorKind, Gas, MAX_GAS_LIMIT};
use wasm::profile::{CallProfile, ProfileHost, Recorder};
use wasmtime::{Global, InstancePre, Memory, Store, TypedFunc, Val};

use crate::Shared;
use crate::foreign::Frame;
use crate::region;
use crate::tx::Context;

/// A compiled CosmWasm module linked against the host functions, as
/// [`crate::ModuleCache`] holds it.
pub struct Linked {
    pub(crate) pre: InstancePre<Host>,
}

/// One iterator opened by `db_scan`: the entries of its range, in order, read when it
/// was opened (what the contract wrote since does not show, as in cosmwasm-vm).
pub(crate) struct Iter {
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    pub next: usize,
}

/// Per-instance host state.
pub(crate) struct Host {
    pub journal: Journal,
    pub shared: Arc<Shared>,
    pub contract: Address,
    pub ctx: Context,
    pub read_only: bool,
    /// Queries in progress below this call (0 for a transaction's own call).
    pub depth: u32,
    /// Where the call runs in the runtime's call tree, for the queries it makes of
    /// contracts of other VMs.
    pub frame: Frame,
    pub memory: Option<Memory>,
    pub gas: Option<wasm::GasMeter>,
    pub allocate: Option<TypedFunc<u32, u32>>,
    /// Inside a host call to `allocate`: the contract may not call back into the host.
    pub in_allocate: bool,
    pub iterators: Vec<Iter>,
    /// What the contract printed with `debug`, in order.
    pub debug: Vec<String>,
    /// The gas profile being recorded (a profiled transaction only).
    pub profile: Option<Box<Recorder>>,
}

impl ProfileHost for Host {
    fn gas_global(&self) -> Option<Global> {
        self.gas.map(|m| m.gas())
    }

    fn recorder(&mut self) -> Option<&mut Recorder> {
        self.profile.as_deref_mut()
    }
}

/// How an entry point ended.
pub(crate) struct EntryOutcome {
    /// The bytes of the region the entry point returned, or how it failed.
    pub result: Result<Vec<u8>, CallError>,
    pub gas_used: Gas,
    pub debug: Vec<String>,
    /// The entry point's gas profile (a profiled run that ran something).
    pub profile: Option<CallProfile>,
}

/// Who runs what.
pub(crate) struct EntryCall<'a> {
    pub contract: Address,
    pub ctx: Context,
    pub read_only: bool,
    pub depth: u32,
    pub frame: Frame,
    pub entry: &'a str,
    /// The arguments, each passed as a region, in order.
    pub args: &'a [&'a [u8]],
    /// The fewest arguments the entry point may take (`migrate` of cosmwasm-std before
    /// 2.2 takes two of the three cove passes); it gets the first as many as it takes.
    pub min_args: usize,
    pub gas_limit: Gas,
}

/// Runs `call.entry` of `module` with `call.args` (each passed as a region), on
/// `journal`, which it hands back. `Err` is a node fault.
pub(crate) fn run(
    shared: &Arc<Shared>,
    module: &Linked,
    journal: Journal,
    call: &EntryCall<'_>,
) -> (Journal, Result<EntryOutcome, wasm::VmError>) {
    run_maybe_profiled(shared, module, journal, call, false)
}

/// [`run`], recording a gas profile when `profiled` (`module` should then be a
/// profiling compile, `crate::profile`).
pub(crate) fn run_maybe_profiled(
    shared: &Arc<Shared>,
    module: &Linked,
    journal: Journal,
    call: &EntryCall<'_>,
    profiled: bool,
) -> (Journal, Result<EntryOutcome, wasm::VmError>) {
    let native = wasm::Engine::native_stack(shared.engine.config()) + wasm::HOST_STACK_HEADROOM;
    stacker::maybe_grow(native, native + wasm::HOST_STACK_HEADROOM, || {
        run_on_stack(shared, module, journal, call, profiled)
    })
}

fn run_on_stack(
    shared: &Arc<Shared>,
    module: &Linked,
    journal: Journal,
    call: &EntryCall<'_>,
    profiled: bool,
) -> (Journal, Result<EntryOutcome, wasm::VmError>) {
    let gas_limit = call.gas_limit.min(MAX_GAS_LIMIT);
    let host = Host {
        journal,
        shared: shared.clone(),
        contract: call.contract,
        ctx: call.ctx,
        read_only: call.read_only,
        depth: call.depth,
        frame: call.frame.clone(),
        memory: None,
        gas: None,
        allocate: None,
        in_allocate: false,
        iterators: Vec::new(),
        debug: Vec::new(),
        profile: profiled.then(|| Box::new(Recorder::new(gas_limit))),
    };
    let mut store = Store::new(module.pre.module().engine(), host);
    store.set_epoch_deadline(shared.engine.deadline_ticks(module.pre.module().engine()));
    store.epoch_deadline_trap();
    let fault = |store: Store<Host>, e: String| (store.into_data().journal, Err(wasm::VmError::Engine(e)));

    let instance = match module.pre.instantiate(&mut store) {
        Ok(i) => i,
        Err(e) => return fault(store, format!("instantiate: {e:#}")),
    };
    let global = |store: &mut Store<Host>, name: &str| instance.get_global(store, name);
    let (Some(gas), Some(stack), Some(memory)) = (
        global(&mut store, wasm::abi::GAS_GLOBAL_EXPORT),
        global(&mut store, wasm::abi::STACK_GLOBAL_EXPORT),
        instance.get_memory(&mut store, wasm::abi::MEMORY_EXPORT),
    ) else {
        return fault(store, "instrumented CosmWasm module lacks its memory or globals".into());
    };
    let allocate = instance.get_typed_func::<u32, u32>(&mut store, "allocate").ok();
    let surcharge = match shared.engine.config().gas.surcharge() {
        Some(divisor) => match global(&mut store, wasm::abi::SPENT_GLOBAL_EXPORT) {
            Some(spent) => Some((spent, divisor)),
            None => return fault(store, "instrumented CosmWasm module lacks its surcharge global".into()),
        },
        None => None,
    };
    if gas.set(&mut store, Val::I64(gas_limit as i64)).is_err() {
        return fault(store, "gas global is not a mutable i64".into());
    }
    {
        let host = store.data_mut();
        host.gas = Some(wasm::GasMeter::new(gas, surcharge));
        host.memory = Some(memory);
        host.allocate = allocate;
    }

    let result = call_entry(&mut store, &instance, call);

    let remaining = gas.get(&mut store).unwrap_i64();
    let height = stack.get(&mut store).unwrap_i32() as u32;
    let gas_used = if remaining < 0 { gas_limit } else { gas_limit - remaining as u64 };
    let profile = store.data_mut().profile.take().map(|r| r.finish(gas_limit, gas_used));
    let max_stack = shared.engine.config().limits.max_stack_bytes;
    let result = match result {
        _ if remaining < 0 => {
            Err(CallError::new(ErrorKind::OutOfGas, format!("out of gas (limit {gas_limit})")))
        }
        Ok(bytes) => Ok(bytes),
        Err(Failure::Contract(e)) => Err(e),
        Err(Failure::Wasm(_)) if height > max_stack => Err(CallError::new(
            ErrorKind::Trap,
            format!("call stack exhausted: deterministic limit of {max_stack} bytes"),
        )),
        Err(Failure::Wasm(e)) => match wasm::classify_error(e) {
            Ok(e) => Err(e),
            Err(fault) => return (store.into_data().journal, Err(fault)),
        },
    };
    let host = store.into_data();
    (host.journal, Ok(EntryOutcome { result, gas_used, debug: host.debug, profile }))
}

enum Failure {
    Contract(CallError),
    Wasm(wasmtime::Error),
}

/// Runs the module's former start function, writes the arguments, calls the entry point
/// and reads the region it returns.
fn call_entry(
    store: &mut Store<Host>,
    instance: &wasmtime::Instance,
    call: &EntryCall<'_>,
) -> Result<Vec<u8>, Failure> {
    let Some(func) = instance.get_func(&mut *store, call.entry) else {
        return Err(Failure::Contract(CallError::new(
            ErrorKind::NotFound,
            format!("the contract has no `{}` entry point", call.entry),
        )));
    };
    let ty = func.ty(&*store);
    let arity = ty.params().len();
    let shape_ok =
        ty.params().all(|p| p.is_i32()) && ty.results().len() == 1 && ty.results().all(|r| r.is_i32());
    if !shape_ok || arity < call.min_args || arity > call.args.len() {
        return Err(Failure::Contract(CallError::new(
            ErrorKind::Validation,
            format!(
                "entry point `{}` has signature {ty:?}; CosmWasm passes {} region pointers",
                call.entry,
                call.args.len()
            ),
        )));
    }
    if let Some(start) = instance.get_func(&mut *store, wasm::abi::START_EXPORT) {
        start.typed::<(), ()>(&*store).and_then(|f| f.call(&mut *store, ())).map_err(Failure::Wasm)?;
    }
    let mut params = Vec::with_capacity(arity);
    for arg in &call.args[..arity] {
        let ptr = region::write_new(store, arg).map_err(Failure::Wasm)?;
        params.push(Val::I32(ptr as i32));
    }
    let mut out = [Val::I32(0)];
    func.call(&mut *store, &params, &mut out).map_err(Failure::Wasm)?;
    let ptr = out[0].unwrap_i32() as u32;
    let max = store.data().shared.config.limits.max_result_len;
    region::read(store, ptr, max).map_err(Failure::Wasm)
}
