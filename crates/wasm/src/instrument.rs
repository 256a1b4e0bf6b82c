//! Deploy-time instrumentation: gas metering and the deterministic stack limit.
//!
//! Both are injected into the module's own bytecode, so what a call costs and where it
//! stops is decided by the module's instructions alone, never by the compiler, the
//! machine or the engine version. The rewritten module:
//!
//! * gains two exported mutable globals: `__cove_gas` (i64, remaining gas, set by the
//!   host before every call) and `__cove_stack` (i32, accounted stack bytes in use);
//! * with an energy surcharge in the schedule, also gains `__cove_gas_spent` (i64, the
//!   gas the call has been charged so far) and charges every amount through it
//!   ([`charge_amount`]), as host functions do ([`crate::GasMeter`]);
//! * charges each metered segment's static price before the segment runs
//!   (`gas -= price`, checking `gas < 0 => unreachable` at function entries and loop
//!   bodies, see [`charge_static`]), and the operand-dependent part of
//!   `memory.grow`, `memory.copy/fill/init` and `table.grow/fill/copy/init` right before
//!   the instruction;
//! * adds each function's frame size to `__cove_stack` on entry (trapping if it passes
//!   the budget) and subtracts it on exit; the body is wrapped in a block so that every
//!   exit, `return` included, passes through the epilogue;
//! * loses its `start` section: the start function is exported as `__cove_start` and the
//!   host calls it after setting the gas, so start code is metered like any other;
//! * caps a memory or table that declares no maximum at the configured limit;
//! * drops custom sections.
//!
//! A trap with `__cove_gas < 0` is out of gas; a trap with `__cove_stack` over the budget
//! is stack exhaustion; the host reads both globals to classify a trap.

use std::collections::HashMap;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, ConstExpr, ExportKind, ExportSection, Function, GlobalSection, GlobalType, Instruction as I,
    MemorySection, MemoryType, Module, RawSection, TableSection, TableType, TypeSection,
};
use wasmparser::{Operator, Parser, Payload, TableInit, ValType};

use crate::abi;
use crate::config::Config;
use crate::costs;
use crate::validate::{ModuleFacts, ValidationError, invalid};

/// The version of the instrumentation algorithm, part of every compiled-artifact key.
///
/// Bump it with any change to what this module emits (costs, where checks go, frame
/// sizes): artifacts compiled by an older instrumentation must never be loaded, since
/// they would charge different gas. History: 1, the first release; 2, bulk memory and
/// table instructions pay the `call` price (they call into the engine).
pub const VERSION: u32 = 2;

/// Accounted bytes of a frame beyond its values: return address, frame pointer,
/// callee-saved registers, the `vmctx` arguments.
pub const FRAME_OVERHEAD_BYTES: u64 = 64;
/// Accounted bytes per parameter, local and operand-stack slot.
pub const SLOT_BYTES: u64 = 8;

/// The accounted frame size of a function, clamped so a sum never overflows `i32`.
pub(crate) fn frame_bytes(locals_total: u32, max_operand_height: u32, budget: u32) -> u32 {
    let bytes = FRAME_OVERHEAD_BYTES + SLOT_BYTES * (locals_total as u64 + max_operand_height as u64);
    bytes.min(budget as u64 + 1) as u32
}

fn encode_err(e: wasm_encoder::reencode::Error) -> ValidationError {
    invalid("instrument", e.to_string())
}

/// Where a coverage block starts ([`crate::coverage`]): recorded only when asked, never
/// changing what is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockStart {
    /// The defined function (0 for the first body of the code section).
    pub func: u32,
    /// Offset in the rewritten body (locals included) of the instruction it starts at.
    pub rewritten: u32,
    /// Offset of its first instruction in the original module.
    pub original: u32,
}

/// Rewrites a validated module. `facts` must come from validating the same bytes.
pub(crate) fn instrument(
    code: &[u8],
    facts: &ModuleFacts,
    config: &Config,
) -> Result<Vec<u8>, ValidationError> {
    instrument_recording(code, facts, config, None)
}

/// [`instrument`], also recording in `blocks` where each coverage block starts: each
/// metered segment, and the code after each call, unless it starts with an `else` or an
/// `end` (no code of its own). The output is the same bytes either way.
pub(crate) fn instrument_recording(
    code: &[u8],
    facts: &ModuleFacts,
    config: &Config,
    mut blocks: Option<&mut Vec<BlockStart>>,
) -> Result<Vec<u8>, ValidationError> {
    let mut rt = RoundtripReencoder;
    let gas_global = facts.globals;
    let stack_global = facts.globals + 1;
    let spent_global = facts.globals + 2;
    let surcharge = config.gas.surcharge().map(|divisor| Surcharge { spent: spent_global, divisor });
    let budget = config.limits.max_stack_bytes;

    // Block types for wrapping bodies that return several values: `[] -> results`.
    let mut extra_types: Vec<Vec<ValType>> = Vec::new();
    let mut multi_result_type: HashMap<Vec<ValType>, u32> = HashMap::new();
    for func in &facts.funcs {
        let results = &facts.types[func.type_index as usize].1;
        if results.len() > 1 && !multi_result_type.contains_key(results) {
            let index = (facts.types.len() + extra_types.len()) as u32;
            multi_result_type.insert(results.clone(), index);
            extra_types.push(results.clone());
        }
    }

    let mut out = Module::new();
    let mut types = TypeSection::new();
    let mut imports: Option<RawSection<'_>> = None;
    let mut functions: Option<RawSection<'_>> = None;
    let mut tables = TableSection::new();
    let mut memories = MemorySection::new();
    let mut globals = GlobalSection::new();
    let mut exports = ExportSection::new();
    let mut elements: Option<RawSection<'_>> = None;
    let mut data_count: Option<RawSection<'_>> = None;
    let mut code_section = wasm_encoder::CodeSection::new();
    let mut data: Option<RawSection<'_>> = None;
    let mut func_index = 0usize;

    let raw = |id: u8, range: std::ops::Range<usize>| RawSection { id, data: &code[range] };

    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(|e| invalid("wasm", e.to_string()))?;
        match payload {
            Payload::TypeSection(reader) => rt.parse_type_section(&mut types, reader).map_err(encode_err)?,
            Payload::ImportSection(reader) => imports = Some(raw(2, reader.range())),
            Payload::FunctionSection(reader) => functions = Some(raw(3, reader.range())),
            Payload::TableSection(reader) => {
                let cap = config.limits.max_table_elements as u64;
                for table in reader {
                    let table = table.map_err(|e| invalid("wasm", e.to_string()))?;
                    let mut ty: TableType = rt.table_type(table.ty).map_err(encode_err)?;
                    ty.maximum = Some(ty.maximum.unwrap_or(cap).min(cap));
                    match table.init {
                        TableInit::RefNull => tables.table(ty),
                        TableInit::Expr(e) => {
                            tables.table_with_init(ty, &rt.const_expr(e).map_err(encode_err)?)
                        }
                    };
                }
            }
            Payload::MemorySection(reader) => {
                let cap = config.limits.max_memory_pages();
                for memory in reader {
                    let memory = memory.map_err(|e| invalid("wasm", e.to_string()))?;
                    let mut ty: MemoryType = rt.memory_type(memory).map_err(encode_err)?;
                    ty.maximum = Some(ty.maximum.unwrap_or(cap).min(cap));
                    memories.memory(ty);
                }
            }
            Payload::GlobalSection(reader) => {
                rt.parse_global_section(&mut globals, reader).map_err(encode_err)?
            }
            Payload::ExportSection(reader) => {
                rt.parse_export_section(&mut exports, reader).map_err(encode_err)?
            }
            Payload::ElementSection(reader) => elements = Some(raw(9, reader.range())),
            Payload::DataCountSection { range, .. } => data_count = Some(raw(12, range)),
            Payload::DataSection(reader) => data = Some(raw(11, reader.range())),
            Payload::CodeSectionEntry(body) => {
                let facts_f = &facts.funcs[func_index];
                func_index += 1;
                let results = &facts.types[facts_f.type_index as usize].1;
                let wrapper = match results.len() {
                    0 => BlockType::Empty,
                    1 => BlockType::Result(rt.val_type(results[0]).map_err(encode_err)?),
                    _ => BlockType::FunctionType(multi_result_type[results]),
                };
                let frame = frame_bytes(facts_f.locals_total, facts_f.max_operand_height, budget);
                let recording = blocks.as_deref_mut().map(|b| (func_index as u32 - 1, b));
                let f = rewrite_body(
                    code,
                    &body,
                    facts_f,
                    wrapper,
                    frame,
                    Globals { gas: gas_global, stack: stack_global, budget, surcharge },
                    config,
                    recording,
                )?;
                code_section.function(&f);
            }
            // The start function runs under the host's control instead (see module docs).
            Payload::StartSection { .. } => {}
            // Custom sections carry nothing execution needs.
            Payload::CustomSection(_) => {}
            _ => {}
        }
    }

    for results in &extra_types {
        let results: Vec<wasm_encoder::ValType> =
            results.iter().map(|t| rt.val_type(*t)).collect::<Result<_, _>>().map_err(encode_err)?;
        types.ty().function([], results);
    }
    globals.global(
        GlobalType { val_type: wasm_encoder::ValType::I64, mutable: true, shared: false },
        &ConstExpr::i64_const(0),
    );
    globals.global(
        GlobalType { val_type: wasm_encoder::ValType::I32, mutable: true, shared: false },
        &ConstExpr::i32_const(0),
    );
    if surcharge.is_some() {
        globals.global(
            GlobalType { val_type: wasm_encoder::ValType::I64, mutable: true, shared: false },
            &ConstExpr::i64_const(0),
        );
        exports.export(abi::SPENT_GLOBAL_EXPORT, ExportKind::Global, spent_global);
    }
    exports.export(abi::GAS_GLOBAL_EXPORT, ExportKind::Global, gas_global);
    exports.export(abi::STACK_GLOBAL_EXPORT, ExportKind::Global, stack_global);
    if let Some(start) = facts.start {
        exports.export(abi::START_EXPORT, ExportKind::Func, start);
    }

    // Sections in the order the binary format requires.
    if !types.is_empty() {
        out.section(&types);
    }
    if let Some(s) = &imports {
        out.section(s);
    }
    if let Some(s) = &functions {
        out.section(s);
    }
    if !tables.is_empty() {
        out.section(&tables);
    }
    if !memories.is_empty() {
        out.section(&memories);
    }
    out.section(&globals);
    out.section(&exports);
    if let Some(s) = &elements {
        out.section(s);
    }
    if let Some(s) = &data_count {
        out.section(s);
    }
    if !code_section.is_empty() {
        out.section(&code_section);
    }
    if let Some(s) = &data {
        out.section(s);
    }
    Ok(out.finish())
}

#[derive(Clone, Copy)]
struct Globals {
    gas: u32,
    stack: u32,
    budget: u32,
    surcharge: Option<Surcharge>,
}

/// The energy surcharge: the global holding the gas charged so far, and the divisor.
#[derive(Clone, Copy)]
struct Surcharge {
    spent: u32,
    divisor: u64,
}

/// How a function's body charges gas: the globals, and with a surcharge the two `i64`
/// scratch locals it needs (the amount, the new total).
#[derive(Clone, Copy)]
struct Meter {
    gas: u32,
    surcharge: Option<(Surcharge, u32, u32)>,
}

#[allow(clippy::too_many_arguments)]
fn rewrite_body(
    code: &[u8],
    body: &wasmparser::FunctionBody<'_>,
    facts: &crate::validate::FuncFacts,
    wrapper: BlockType,
    frame: u32,
    g: Globals,
    config: &Config,
    mut blocks: Option<(u32, &mut Vec<BlockStart>)>,
) -> Result<Function, ValidationError> {
    let err = |e: wasmparser::BinaryReaderError| invalid("wasm", e.to_string());
    let mut locals = Vec::new();
    for local in body.get_locals_reader().map_err(err)? {
        let (count, ty) = local.map_err(err)?;
        locals.push((count, RoundtripReencoder.val_type(ty).map_err(encode_err)?));
    }
    let scratch = facts.locals_total;
    if facts.has_dynamic {
        locals.push((1, wasm_encoder::ValType::I32));
    }
    let meter = Meter {
        gas: g.gas,
        surcharge: g.surcharge.map(|s| {
            let amount = scratch + facts.has_dynamic as u32;
            locals.push((2, wasm_encoder::ValType::I64));
            (s, amount, amount + 1)
        }),
    };
    let mut f = Function::new(locals);

    // Prologue: account the frame, trap past the budget.
    f.instruction(&I::GlobalGet(g.stack));
    f.instruction(&I::I32Const(frame as i32));
    f.instruction(&I::I32Add);
    f.instruction(&I::GlobalSet(g.stack));
    f.instruction(&I::GlobalGet(g.stack));
    f.instruction(&I::I32Const(g.budget as i32));
    f.instruction(&I::I32GtU);
    f.instruction(&I::If(BlockType::Empty));
    f.instruction(&I::Unreachable);
    f.instruction(&I::End);
    f.instruction(&I::Block(wrapper));

    let mut ops = body.get_operators_reader().map_err(err)?;
    let mut segments = facts.segment_costs.iter();
    let mut split_pending = true;
    // Whether the segment about to start is checked: the function's first, and a loop body's.
    let mut check_next = true;
    // Open blocks inside the body, excluding the function's own frame (our wrapper).
    let mut depth: u32 = 0;
    // Coverage only: whether a block starts at the next instruction.
    let mut block_pending = true;
    while !ops.eof() {
        let start = ops.original_position();
        let op = ops.read().map_err(err)?;
        let end = ops.original_position();
        if split_pending {
            let cost = *segments.next().expect("validation counted every segment");
            charge_static(&mut f, meter, cost, check_next);
        }
        if let Some((func, blocks)) = blocks.as_mut()
            && block_pending
            && !matches!(op, Operator::Else | Operator::End)
        {
            blocks.push(BlockStart { func: *func, rewritten: f.byte_len() as u32, original: start as u32 });
        }
        block_pending =
            costs::splits_after(&op) || matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. });
        split_pending = costs::splits_after(&op);
        check_next = matches!(op, Operator::Loop { .. });
        if let Some(price) = costs::dynamic_price(&op, &config.gas.ops) {
            charge_dynamic(&mut f, meter, scratch, price);
        }
        match op {
            Operator::Return => {
                f.instruction(&I::Br(depth));
            }
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                depth += 1;
                f.raw(code[start..end].iter().copied());
            }
            Operator::End => {
                // The body's final `end` closes the wrapper block; the epilogue follows.
                depth = depth.saturating_sub(1);
                f.raw(code[start..end].iter().copied());
            }
            _ => {
                f.raw(code[start..end].iter().copied());
            }
        }
    }
    // Epilogue: release the frame, then the function's own `end`.
    f.instruction(&I::GlobalGet(g.stack));
    f.instruction(&I::I32Const(frame as i32));
    f.instruction(&I::I32Sub);
    f.instruction(&I::GlobalSet(g.stack));
    f.instruction(&I::End);
    Ok(f)
}

/// `gas -= cost`, then, if `check`, `if gas < 0 { unreachable }`; stack-neutral.
///
/// Only function entries and loop bodies check. Between two checks a call runs at most
/// one loop-free stretch of its function, and every host function checks before acting,
/// so running out of gas is still caught before any effect or any unbounded work; the
/// host treats a negative balance at the end of a call as out of gas too.
fn charge_static(f: &mut Function, m: Meter, cost: u64, check: bool) {
    if cost > 0 {
        let cost = cost.min(i64::MAX as u64) as i64;
        match m.surcharge {
            None => {
                f.instruction(&I::GlobalGet(m.gas));
                f.instruction(&I::I64Const(cost));
                f.instruction(&I::I64Sub);
                f.instruction(&I::GlobalSet(m.gas));
            }
            Some((s, amount, total)) => {
                f.instruction(&I::I64Const(cost));
                f.instruction(&I::LocalSet(amount));
                charge_amount(f, m.gas, s, amount, total);
            }
        }
    }
    if check {
        trap_if_negative(f, m.gas);
    }
}

/// Charges `price` per unit of the `i32` count on top of the stack, leaving it there.
fn charge_dynamic(f: &mut Function, m: Meter, scratch: u32, price: u64) {
    f.instruction(&I::LocalTee(scratch));
    match m.surcharge {
        None => {
            f.instruction(&I::GlobalGet(m.gas));
            f.instruction(&I::LocalGet(scratch));
            f.instruction(&I::I64ExtendI32U);
            f.instruction(&I::I64Const(price as i64));
            f.instruction(&I::I64Mul);
            f.instruction(&I::I64Sub);
            f.instruction(&I::GlobalSet(m.gas));
        }
        Some((s, amount, total)) => {
            f.instruction(&I::LocalGet(scratch));
            f.instruction(&I::I64ExtendI32U);
            f.instruction(&I::I64Const(price as i64));
            f.instruction(&I::I64Mul);
            f.instruction(&I::LocalSet(amount));
            charge_amount(f, m.gas, s, amount, total);
        }
    }
    trap_if_negative(f, m.gas);
}

/// Charges the `i64` in local `amount` under the energy surcharge; stack-neutral. The
/// bytecode form of [`crate::surcharged`], as [`crate::GasMeter::charge`] applies it:
///
/// ```text
/// if gas >= 0 && amount != 0 {
///     total = (spent + amount) + (spent + amount) / divisor   // unsigned
///     gas -= total - spent; spent = total
/// } else {
///     gas -= amount
/// }
/// ```
///
/// While the balance is non-negative, `spent` is at most the call's limit, so nothing
/// wraps (see [`crate::MIN_SURCHARGE_DIVISOR`]); once it is negative the call is out of
/// gas whatever follows, and only the plain amount is subtracted, as without a surcharge.
fn charge_amount(f: &mut Function, gas: u32, s: Surcharge, amount: u32, total: u32) {
    f.instruction(&I::GlobalGet(gas));
    f.instruction(&I::I64Const(0));
    f.instruction(&I::I64GeS);
    f.instruction(&I::LocalGet(amount));
    f.instruction(&I::I64Const(0));
    f.instruction(&I::I64Ne);
    f.instruction(&I::I32And);
    f.instruction(&I::If(BlockType::Empty));
    // total = (spent + amount) + (spent + amount) / divisor
    f.instruction(&I::GlobalGet(s.spent));
    f.instruction(&I::LocalGet(amount));
    f.instruction(&I::I64Add);
    f.instruction(&I::LocalTee(total));
    f.instruction(&I::LocalGet(total));
    f.instruction(&I::I64Const(s.divisor as i64));
    f.instruction(&I::I64DivU);
    f.instruction(&I::I64Add);
    f.instruction(&I::LocalSet(total));
    // gas -= total - spent
    f.instruction(&I::GlobalGet(gas));
    f.instruction(&I::LocalGet(total));
    f.instruction(&I::GlobalGet(s.spent));
    f.instruction(&I::I64Sub);
    f.instruction(&I::I64Sub);
    f.instruction(&I::GlobalSet(gas));
    // spent = total
    f.instruction(&I::LocalGet(total));
    f.instruction(&I::GlobalSet(s.spent));
    f.instruction(&I::Else);
    f.instruction(&I::GlobalGet(gas));
    f.instruction(&I::LocalGet(amount));
    f.instruction(&I::I64Sub);
    f.instruction(&I::GlobalSet(gas));
    f.instruction(&I::End);
}

fn trap_if_negative(f: &mut Function, gas: u32) {
    f.instruction(&I::GlobalGet(gas));
    f.instruction(&I::I64Const(0));
    f.instruction(&I::I64LtS);
    f.instruction(&I::If(BlockType::Empty));
    f.instruction(&I::Unreachable);
    f.instruction(&I::End);
}
