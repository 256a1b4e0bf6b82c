//! Generated WASM modules shaped for cove, under every mode.
//!
//! wasm-smith builds a module from the case's bytes with cove's features only, imports
//! chosen from cove's host ABI with their real signatures ([`wasm::abi::HOST_FUNCTIONS`]),
//! an exported `memory`, an `allocate` export the host calls back, and entry points of
//! each shape `docs/abi.md` allows. Every mode then validates, instruments and compiles
//! it (the verdict must agree), and runs a few calls with inputs and gas limits from the
//! same bytes; after each call the outcome (result, gas, events) and the storage must be
//! identical in every mode. Gas bounds every call, so a wall-clock timeout is a finding
//! too, as is a node fault or a host panic.

use std::collections::BTreeMap;

use arbitrary::Unstructured;
use types::{Address, BlockInfo, ContractStorage, ErrorKind, Lived, StorageError};
use wasm::{CallContext, CallOutcome, Engine, LinkedModule, Vm};
use wasm_encoder::{
    CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
    Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};

use crate::{Finding, Mode, Target, modes, same};

/// Most calls one case makes to its module. By default 4: enough for storage written by
/// one call to be read by the next.
pub const MAX_CALLS: usize = 4;

/// The largest gas limit of one call. By default 2,000,000: a few milliseconds of the
/// cheapest instructions, so loops end by gas quickly.
pub const MAX_CALL_GAS: u64 = 2_000_000;

/// The bytes at the front of a case that choose its calls (entry, input, gas); the
/// rest generates the module.
pub const PLAN_BYTES: usize = 96;

/// The entry points every generated module exports, one of each shape cove accepts.
pub const ENTRY_POINTS: &[&str] = &["run", "run_i32", "run_i64"];

/// A storage map: what the contract's keys hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MapStorage(pub BTreeMap<Vec<u8>, Vec<u8>>, pub BTreeMap<Vec<u8>, Lived>);

impl ContractStorage for MapStorage {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get(key).cloned())
    }
    fn write(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.0.insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn remove(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(self.0.remove(key).is_some())
    }
    fn read_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        Ok(self.1.get(key).cloned())
    }
    fn write_lived(&mut self, key: &[u8], value: &[u8], expires: u64) -> Result<(), StorageError> {
        self.1.insert(key.to_vec(), Lived { value: value.to_vec(), expires });
        Ok(())
    }
    fn remove_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        Ok(self.1.remove(key))
    }
}

/// The caller of every generated call.
pub const CALLER: Address = Address([0xca; 20]);
/// The address of the contract under test.
pub const CONTRACT: Address = Address([0xc0; 20]);
/// The block every call runs in.
pub const BLOCK: BlockInfo = BlockInfo { height: 42, timestamp: 1_700_000_000 };

/// The imports wasm-smith may choose from: every host function with its ABI signature.
pub fn available_imports() -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    for (i, h) in wasm::abi::HOST_FUNCTIONS.iter().enumerate() {
        types.ty().function(h.params.iter().map(val_type), h.results.iter().map(val_type));
        imports.import(wasm::abi::IMPORT_MODULE, h.name, EntityType::Function(i as u32));
    }
    let mut module = Module::new();
    module.section(&types).section(&imports);
    module.finish()
}

fn val_type(t: &wasmparser::ValType) -> ValType {
    match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        other => unreachable!("the host ABI has no {other:?} parameter"),
    }
}

/// The exports every generated module must have: `memory` (1 to `pages` pages),
/// `allocate(i32) -> i32` and the [`ENTRY_POINTS`].
pub fn required_exports(pages: u64) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([], []);
    types.ty().function([], [ValType::I32]);
    types.ty().function([], [ValType::I64]);
    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    for ty in 0..4 {
        funcs.function(ty);
        let mut f = Function::new([]);
        f.instruction(&Instruction::Unreachable).instruction(&Instruction::End);
        code.function(&f);
    }
    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: 1,
        maximum: Some(pages),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export(wasm::abi::MEMORY_EXPORT, ExportKind::Memory, 0);
    exports.export(wasm::abi::ALLOCATE_EXPORT, ExportKind::Func, 0);
    for (i, name) in ENTRY_POINTS.iter().enumerate() {
        exports.export(name, ExportKind::Func, i as u32 + 1);
    }
    let mut module = Module::new();
    module.section(&types).section(&funcs).section(&memory).section(&exports).section(&code);
    module.finish()
}

/// wasm-smith's configuration for cove: the features `wasm::features` accepts and
/// sizes well inside cove's deploy limits, so most modules deploy.
pub fn smith_config(u: &mut Unstructured<'_>) -> arbitrary::Result<wasm_smith::Config> {
    let pages = u.int_in_range(1..=16)?;
    Ok(wasm_smith::Config {
        available_imports: Some(available_imports()),
        exports: Some(required_exports(pages)),
        // The required `memory` export brings the one memory cove allows; wasm-smith
        // adds its required exports' memories on top of `max_memories`.
        max_memories: 0,
        max_memory32_bytes: pages * wasm::WASM_PAGE,
        memory64_enabled: false,
        max_tables: u.int_in_range(0..=1)?,
        max_table_elements: 1_000,
        max_funcs: u.int_in_range(1..=40)?,
        max_instructions: u.int_in_range(10..=400)?,
        max_globals: 30,
        max_data_segments: 8,
        max_element_segments: 8,
        max_elements: 64,
        max_nesting_depth: 12,
        max_exports: 12,
        max_imports: 20,
        max_type_size: 200,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        custom_descriptors_enabled: false,
        custom_page_sizes_enabled: false,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        multi_value_enabled: true,
        // cove refuses `externref` (wasmparser counts it among the GC types), which
        // wasm-smith's reference types bring into most modules: on in an eighth of the
        // cases, so most modules deploy and some exercise tables of `funcref`.
        reference_types_enabled: u.ratio(1, 8)?,
        bulk_memory_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        allow_floats: true,
        // cove relies on the engine to canonicalise NaNs; generated code must not do it.
        canonicalize_nans: false,
        ..wasm_smith::Config::default()
    })
}

/// One mode, built once: its engine and VM.
pub(crate) struct ModeVm {
    pub(crate) name: &'static str,
    pub(crate) vm: Vm<MapStorage>,
}

impl ModeVm {
    pub(crate) fn all() -> Result<Vec<ModeVm>, String> {
        modes()
            .into_iter()
            .map(|Mode { name, config }| {
                let engine = Engine::new(config).map_err(|e| format!("{name}: {e}"))?;
                Ok(ModeVm { name, vm: Vm::new(engine) })
            })
            .collect()
    }

    /// Validates, instruments, compiles and links `code`; `Err` is the deploy verdict.
    pub(crate) fn deploy(&self, code: &[u8]) -> Result<Result<LinkedModule<MapStorage>, String>, Finding> {
        match self.vm.engine().compile(code) {
            Err(e) => Ok(Err(e.to_string())),
            Ok(compiled) => match self.vm.link(&compiled) {
                Ok(linked) => Ok(Ok(linked)),
                Err(e) => Err(Finding(format!("{}: a validated module does not link: {e}", self.name))),
            },
        }
    }
}

/// Calls `entry` under every mode from the same storage; returns the reference outcome
/// and storage after checking every mode agrees with it.
pub(crate) fn call_all(
    modes: &[ModeVm],
    linked: &[LinkedModule<MapStorage>],
    entry: &str,
    input: &[u8],
    gas: u64,
    storage: &MapStorage,
) -> Result<(CallOutcome, MapStorage), Finding> {
    let ctx = CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false };
    let mut reference: Option<(CallOutcome, MapStorage)> = None;
    for (m, module) in modes.iter().zip(linked) {
        let (after, outcome) = m.vm.call(module, &ctx, entry, input.to_vec(), gas, storage.clone());
        let outcome =
            outcome.map_err(|e| Finding(format!("{}: node fault calling {entry:?}: {e}", m.name)))?;
        if let Err(e) = &outcome.result
            && e.kind == ErrorKind::Timeout
        {
            return Err(Finding(format!("{}: {entry:?} under {gas} gas hit the wall-clock timeout", m.name)));
        }
        match &reference {
            None => reference = Some((outcome, after)),
            Some((o, s)) => {
                let what = format!("{} and {}: {entry:?}", modes[0].name, m.name);
                same(&format!("{what} outcomes"), o, &outcome)?;
                same(&format!("{what} storage"), s, &after)?;
            }
        }
    }
    reference.ok_or_else(|| Finding("no execution mode".into()))
}

/// What a run of the wasm-smith target did, to tell a useful run from one whose
/// modules never deploy.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Modules wasm-smith generated.
    pub modules: u64,
    /// Modules every mode deployed.
    pub deployed: u64,
    /// Calls made (each under every mode).
    pub calls: u64,
    /// Calls that succeeded.
    pub succeeded: u64,
}

/// The wasm-smith target.
pub struct WasmModules {
    modes: Vec<ModeVm>,
    /// What the cases so far did.
    pub stats: Stats,
}

impl WasmModules {
    /// Builds one engine per mode.
    pub fn new() -> Result<WasmModules, String> {
        Ok(WasmModules { modes: ModeVm::all()?, stats: Stats::default() })
    }

    /// The module case `data` generates, if its bytes describe one.
    pub fn module(data: &[u8]) -> Option<Vec<u8>> {
        let mut u = Unstructured::new(data);
        let config = smith_config(&mut u).ok()?;
        wasm_smith::Module::new(config, &mut u).ok().map(|m| m.to_bytes())
    }
}

impl Target for WasmModules {
    fn run(&mut self, data: &[u8]) -> Result<(), Finding> {
        // The calls come from the first bytes, the module from the rest: wasm-smith
        // would otherwise leave nothing for the calls.
        let (plan, body) = data.split_at(data.len().min(PLAN_BYTES));
        let Some(code) = WasmModules::module(body) else { return Ok(()) };
        self.stats.modules += 1;
        run_module(&self.modes, &code, &mut Unstructured::new(plan), &mut self.stats)
    }

    fn stats(&self) -> Option<String> {
        let s = self.stats;
        Some(format!(
            "{{\"modules\":{},\"deployed\":{},\"calls\":{},\"succeeded\":{}}}",
            s.modules, s.deployed, s.calls, s.succeeded
        ))
    }
}

/// Deploys `code` under every mode and makes the calls `u` describes.
pub(crate) fn run_module(
    modes: &[ModeVm],
    code: &[u8],
    u: &mut Unstructured<'_>,
    stats: &mut Stats,
) -> Result<(), Finding> {
    let mut linked = Vec::with_capacity(modes.len());
    let mut verdict: Option<Result<(), String>> = None;
    for m in modes {
        let deployed = m.deploy(code)?;
        let this = deployed.as_ref().map(|_| ()).map_err(Clone::clone);
        match &verdict {
            None => verdict = Some(this),
            Some(v) => same(&format!("{} and {} deploy verdicts", modes[0].name, m.name), v, &this)?,
        }
        if let Ok(l) = deployed {
            linked.push(l);
        }
    }
    if linked.len() != modes.len() {
        return Ok(());
    }
    stats.deployed += 1;
    let exports = function_exports(code);
    let mut storage = MapStorage::default();
    let calls = u.int_in_range(1..=MAX_CALLS).unwrap_or(1);
    for _ in 0..calls {
        let entry = match u.int_in_range(0..=7u8).unwrap_or(0) {
            // Mostly the shaped entry points, sometimes any export (allocate and
            // extra exports included), rarely a name that is not there.
            0..=4 => ENTRY_POINTS[u.choose_index(ENTRY_POINTS.len()).unwrap_or(0)].to_string(),
            5 | 6 if !exports.is_empty() => exports[u.choose_index(exports.len()).unwrap_or(0)].clone(),
            _ => "missing".to_string(),
        };
        let input_len = u.int_in_range(0..=16).unwrap_or(0);
        let input = u.bytes(input_len).unwrap_or_default().to_vec();
        // Counted down, so a plan that ran out of bytes gives the full limit.
        let gas = MAX_CALL_GAS - u.int_in_range(0..=MAX_CALL_GAS).unwrap_or(0);
        let (outcome, after) = call_all(modes, &linked, &entry, &input, gas, &storage)?;
        stats.calls += 1;
        stats.succeeded += u64::from(outcome.result.is_ok());
        if outcome.gas_used > gas {
            return Err(Finding(format!("{entry:?} used {} gas over its limit {gas}", outcome.gas_used)));
        }
        if outcome.result.is_ok() {
            storage = after;
        }
    }
    Ok(())
}

/// The names of the module's function exports.
fn function_exports(code: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(code) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            for e in reader.into_iter().flatten() {
                if e.kind == wasmparser::ExternalKind::Func {
                    names.push(e.name.to_string());
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two "modes" whose gas schedules differ must be reported, not averaged away.
    #[test]
    fn modes_that_disagree_are_a_finding() {
        let code = shaped_module();
        let mut dear = wasm::Config::default();
        dear.gas.ops.base += 1;
        let modes: Vec<ModeVm> = [("a", wasm::Config::default()), ("b", dear)]
            .into_iter()
            .map(|(name, config)| ModeVm { name, vm: Vm::new(Engine::new(config).unwrap()) })
            .collect();
        let linked: Vec<_> = modes.iter().map(|m| m.deploy(&code).unwrap().unwrap()).collect();
        let f = call_all(&modes, &linked, "run", &[], 1_000_000, &MapStorage::default()).unwrap_err();
        assert!(f.0.contains("a and b: \"run\" outcomes differ"), "{f}");
        // The same schedule twice agrees, and the call really ran.
        let same: Vec<ModeVm> = ModeVm::all().unwrap();
        let linked: Vec<_> = same.iter().map(|m| m.deploy(&code).unwrap().unwrap()).collect();
        let (outcome, _) =
            call_all(&same, &linked, "run_i32", &[], 1_000_000, &MapStorage::default()).unwrap();
        assert_eq!(outcome.result, Ok(7i32.to_le_bytes().to_vec()));
    }

    /// A module of the generated shape, by hand: `run_i32` returns 7.
    fn shaped_module() -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::I32Const(3))
            .instruction(&Instruction::I32Const(4))
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::End);
        code.function(&f);
        let mut memory = MemorySection::new();
        memory.memory(MemoryType {
            minimum: 1,
            maximum: Some(1),
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut exports = ExportSection::new();
        exports.export("memory", ExportKind::Memory, 0);
        exports.export("run", ExportKind::Func, 0);
        exports.export("run_i32", ExportKind::Func, 0);
        let mut module = Module::new();
        module.section(&types).section(&funcs).section(&memory).section(&exports).section(&code);
        module.finish()
    }
}
