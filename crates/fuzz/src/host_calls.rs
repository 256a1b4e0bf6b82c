//! Host calls with hostile pointers and lengths.
//!
//! The case's bytes become a small module whose entry point `go` makes a sequence of
//! host-function calls with constant arguments: half in bounds (so a sequence gets past
//! its first call), half the values that break hosts (0, the last bytes of memory, just
//! past it, `i32::MAX`, negative lengths, huge gas) or any value. Its `allocate` export is hostile too: it returns a constant
//! from the case (out of bounds, overlapping, negative) or bumps honestly. The module
//! runs under every mode with cove's real precompiles and a callee that answers `call`,
//! so every host function is reached. Every call must end as a clean outcome (success
//! or a contract error), never a node fault or a host panic, identically in every mode.

use std::sync::Arc;

use arbitrary::Unstructured;
use evm::PrecompileRegistry;
use types::{Event, PrecompileCall, Precompiles};
use wasm::abi::HOST_FUNCTIONS;
use wasm::{CallReply, CallRequest, ContractCalls, LinkedModule, Vm, VmError};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, ImportSection, Instruction, MemorySection, MemoryType, Module, TypeSection,
    ValType,
};

use crate::wasm_modules::{MapStorage, ModeVm, call_all};
use crate::{Counts, Finding, Target};

/// Most host calls in one case. By default 32.
pub const MAX_HOST_CALLS: usize = 32;

/// The gas limit of the entry point. By default 10,000,000: enough for every call of a
/// case to reach its host function.
pub const CALL_GAS: u64 = 10_000_000;

/// The linear memory of every generated module, in pages (initial and maximum).
const PAGES: u64 = 1;

/// Runs revm's precompiles, as the runtime hands them to contracts.
struct EvmPrecompiles(PrecompileRegistry);

impl Precompiles for EvmPrecompiles {
    fn call(&self, address: &[u8; 20], input: &[u8], gas_limit: u64) -> Option<PrecompileCall> {
        self.0.execute(address, input, gas_limit)
    }
}

/// Answers every `call` with its input as the result, having used a tenth of its gas
/// and written one key, as a callee that succeeded would.
struct Echo;

impl ContractCalls<MapStorage> for Echo {
    fn call(&self, storage: &mut MapStorage, r: CallRequest<'_>) -> Result<CallReply, VmError> {
        storage.0.insert(b"echo".to_vec(), r.input.clone());
        let event = Event { contract: r.target, topics: vec![r.entry.as_bytes().to_vec()], data: vec![] };
        Ok(CallReply { result: Ok(r.input), gas_used: r.gas_limit / 10, events: vec![event] })
    }
}

/// The host-call target.
pub struct HostCalls {
    modes: Vec<ModeVm>,
    /// How the calls so far ended (result kind).
    pub counts: Counts,
}

impl HostCalls {
    /// Builds one engine per mode, each with precompiles and the echoing callee.
    pub fn new() -> Result<HostCalls, String> {
        let mut modes = ModeVm::all()?;
        for m in &mut modes {
            let registry = PrecompileRegistry::new(revm::primitives::hardfork::SpecId::OSAKA);
            m.vm = Vm::new(m.vm.engine().clone())
                .with_precompiles(Arc::new(EvmPrecompiles(registry)))
                .with_calls(Arc::new(Echo));
        }
        Ok(HostCalls { modes, counts: Counts::default() })
    }
}

impl Target for HostCalls {
    fn run(&mut self, data: &[u8]) -> Result<(), Finding> {
        let mut u = Unstructured::new(data);
        let Ok(code) = stub(&mut u) else { return Ok(()) };
        let mut linked: Vec<LinkedModule<MapStorage>> = Vec::new();
        for m in &self.modes {
            match m.deploy(&code)? {
                Ok(l) => linked.push(l),
                Err(e) => return Err(Finding(format!("{}: the generated stub is refused: {e}", m.name))),
            }
        }
        let len = u.int_in_range(0..=32).unwrap_or(0);
        let input = u.bytes(len).unwrap_or_default().to_vec();
        let (outcome, _) = call_all(&self.modes, &linked, "go", &input, CALL_GAS, &MapStorage::default())?;
        self.counts.add(outcome.result.as_ref().err().map_or("ok".to_string(), |e| e.kind.to_string()));
        Ok(())
    }

    fn stats(&self) -> Option<String> {
        Some(self.counts.json())
    }
}

/// An `i32` argument: mostly a value at an edge of memory or of the integer range.
fn hostile_i32(u: &mut Unstructured<'_>) -> arbitrary::Result<i32> {
    let end = (PAGES * wasm::WASM_PAGE) as i64;
    // Half in bounds, so a sequence gets past its first call; half hostile.
    Ok(match u.int_in_range(0..=15u8)? {
        0..=3 => u.int_in_range(0..=64)?,
        4..=7 => u.int_in_range(0..=end as i32)?,
        8 => 0,
        9 => (end - u.int_in_range(0..=64)?) as i32,
        10 => (end + u.int_in_range(0..=64)?) as i32,
        11 => i32::MAX - u.int_in_range(0..=32)?,
        12 => -u.int_in_range(1..=64)?,
        13 => i32::MIN + u.int_in_range(0..=32)?,
        _ => u.arbitrary()?,
    })
}

/// An `i64` argument (gas): 0, small, all, negative or any.
fn hostile_i64(u: &mut Unstructured<'_>) -> arbitrary::Result<i64> {
    Ok(match u.int_in_range(0..=4u8)? {
        0 => 0,
        1 => u.int_in_range(0..=100_000)?,
        2 => i64::MAX,
        3 => -u.int_in_range(1..=64)?,
        _ => u.arbitrary()?,
    })
}

/// The stub module: every host function imported, one page of memory (its first 64
/// bytes from the case), `allocate` and `go`.
pub fn stub(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let n = HOST_FUNCTIONS.len() as u32;
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    for (i, h) in HOST_FUNCTIONS.iter().enumerate() {
        let ty = |t: &wasmparser::ValType| {
            if *t == wasmparser::ValType::I64 { ValType::I64 } else { ValType::I32 }
        };
        types.ty().function(h.params.iter().map(ty), h.results.iter().map(ty));
        imports.import(wasm::abi::IMPORT_MODULE, h.name, EntityType::Function(i as u32));
    }
    types.ty().function([ValType::I32], [ValType::I32]); // allocate: type n
    types.ty().function([], []); // go: type n + 1

    let mut funcs = FunctionSection::new();
    funcs.function(n).function(n + 1);
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType { val_type: ValType::I32, mutable: true, shared: false },
        &ConstExpr::i32_const(1024),
    );

    // allocate: a constant chosen by the case, or an honest bump from 1024.
    let mut allocate = Function::new([(1, ValType::I32)]);
    if u.ratio(1, 2)? {
        allocate.instruction(&Instruction::I32Const(hostile_i32(u)?));
    } else {
        allocate
            .instruction(&Instruction::GlobalGet(0))
            .instruction(&Instruction::LocalTee(1))
            .instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::GlobalSet(0))
            .instruction(&Instruction::LocalGet(1));
    }
    allocate.instruction(&Instruction::End);

    let mut go = Function::new([]);
    let calls = u.int_in_range(1..=MAX_HOST_CALLS)?;
    for _ in 0..calls {
        if u.is_empty() {
            break;
        }
        let index = u.choose_index(HOST_FUNCTIONS.len())?;
        let h = &HOST_FUNCTIONS[index];
        for p in h.params {
            if *p == wasmparser::ValType::I64 {
                go.instruction(&Instruction::I64Const(hostile_i64(u)?));
            } else {
                go.instruction(&Instruction::I32Const(hostile_i32(u)?));
            }
        }
        go.instruction(&Instruction::Call(index as u32));
        for _ in h.results {
            go.instruction(&Instruction::Drop);
        }
    }
    go.instruction(&Instruction::End);

    let mut code = CodeSection::new();
    code.function(&allocate).function(&go);
    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: PAGES,
        maximum: Some(PAGES),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export(wasm::abi::MEMORY_EXPORT, ExportKind::Memory, 0);
    exports.export(wasm::abi::ALLOCATE_EXPORT, ExportKind::Func, n);
    exports.export("go", ExportKind::Func, n + 1);
    let mut data = DataSection::new();
    let len = u.int_in_range(0..=64)?.min(u.len());
    let prefix = u.bytes(len)?.to_vec();
    data.active(0, &ConstExpr::i32_const(0), prefix);

    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&funcs)
        .section(&memory)
        .section(&globals)
        .section(&exports)
        .section(&code)
        .section(&data);
    Ok(module.finish())
}
