//! Deploy-time validation: every rule a module must pass before anything runs.
//!
//! One pass over the module runs wasmparser's full validator with cove's feature set and
//! checks cove's own rules (imports, exports, limits). While each function body is
//! validated it also measures what instrumentation needs: the function's largest
//! operand-stack height (for the deterministic stack limit) and the static price of each
//! metered segment (for gas). Nothing here allocates in proportion to untrusted counts
//! before the count has been checked against a limit.

use wasmparser::{
    DataKind, ElementKind, ExternalKind, FuncValidatorAllocations, Operator, Parser, Payload, TypeRef,
    ValType, Validator, WasmFeatures,
};

use crate::abi::{self, Abi};
use crate::config::Config;
use crate::costs;

/// A module broke a deploy-time rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct ValidationError {
    /// The rule's short name (`magic`, `imports`, `memory-limit`, ...), listed in `docs/abi.md`.
    pub rule: &'static str,
    /// What exactly was wrong.
    pub message: String,
}

pub(crate) fn invalid(rule: &'static str, message: impl Into<String>) -> ValidationError {
    ValidationError { rule, message: message.into() }
}

/// The wasm features cove accepts: the MVP plus what current compilers emit, without
/// anything nondeterministic or unbounded (no threads, SIMD, memory64, multi-memory,
/// tail calls, exceptions, GC; `funcref` is the only reference type).
pub fn features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::FLOATS
}

/// What validation learned about one defined function.
#[derive(Debug, Clone)]
pub(crate) struct FuncFacts {
    /// Index of its type in the type section.
    pub type_index: u32,
    /// Parameters plus declared locals.
    pub locals_total: u32,
    /// Largest operand-stack height reached anywhere in the body.
    pub max_operand_height: u32,
    /// Static price of each metered segment, in body order.
    pub segment_costs: Vec<u64>,
    /// Whether the body holds an instruction with a dynamic price (needs a scratch local).
    pub has_dynamic: bool,
}

/// What validation learned about the module.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModuleFacts {
    /// Every function type: (params, results).
    pub types: Vec<(Vec<ValType>, Vec<ValType>)>,
    pub imported_funcs: u32,
    pub globals: u32,
    pub funcs: Vec<FuncFacts>,
    pub start: Option<u32>,
}

/// Validates `code` against every deploy-time rule and returns what instrumentation needs.
pub(crate) fn validate(code: &[u8], config: &Config, abi: &Abi) -> Result<ModuleFacts, ValidationError> {
    let limits = &config.limits;
    if code.len() > limits.max_code_bytes {
        return Err(invalid(
            "code-size",
            format!("module is {} bytes; the limit is {}", code.len(), limits.max_code_bytes),
        ));
    }
    if code.len() < 8 || &code[0..4] != b"\0asm" {
        return Err(invalid("magic", "not a WebAssembly module (missing \\0asm magic)"));
    }
    if code[4..8] != [1, 0, 0, 0] {
        return Err(invalid(
            "version",
            format!(
                "unsupported binary version {:?}; only core modules of version 1 are accepted",
                &code[4..8]
            ),
        ));
    }

    let mut validator = Validator::new_with_features(features());
    let mut facts = ModuleFacts::default();
    let mut func_type_indices: Vec<u32> = Vec::new();
    let mut memory_initial_pages: Option<u64> = None;
    let mut table_initial: Option<u64> = None;
    let mut exported_memory = false;
    let mut allocate_export: Option<u32> = None;
    let mut needs_allocate = false;
    let mut allocs = FuncValidatorAllocations::default();
    let mut next_func = 0usize;

    let wasm_err = |e: wasmparser::BinaryReaderError| {
        invalid("wasm", format!("{} (at byte offset {})", e.message(), e.offset()))
    };

    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(wasm_err)?;
        let valid = validator.payload(&payload).map_err(wasm_err)?;
        match &payload {
            Payload::TypeSection(reader) => {
                for rec_group in reader.clone() {
                    for sub in rec_group.map_err(wasm_err)?.into_types() {
                        let func = sub.unwrap_func();
                        if func.params().len() > limits.max_params as usize {
                            return Err(invalid(
                                "params-limit",
                                format!(
                                    "a function type has {} parameters; the limit is {}",
                                    func.params().len(),
                                    limits.max_params
                                ),
                            ));
                        }
                        facts.types.push((func.params().to_vec(), func.results().to_vec()));
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    let import = import.map_err(wasm_err)?;
                    check_import(&import, &facts.types, abi)?;
                    needs_allocate |= abi.need_allocate.contains(&import.name);
                    facts.imported_funcs += 1;
                }
                // Imports count toward the limit even when the module defines no function
                // (and so has no function section to check it at).
                if facts.imported_funcs > limits.max_functions {
                    return Err(invalid(
                        "functions-limit",
                        format!(
                            "module has {} functions; the limit is {}",
                            facts.imported_funcs, limits.max_functions
                        ),
                    ));
                }
            }
            Payload::FunctionSection(reader) => {
                let total = facts.imported_funcs as u64 + reader.count() as u64;
                if total > limits.max_functions as u64 {
                    return Err(invalid(
                        "functions-limit",
                        format!("module has {total} functions; the limit is {}", limits.max_functions),
                    ));
                }
                for ty in reader.clone() {
                    func_type_indices.push(ty.map_err(wasm_err)?);
                }
            }
            Payload::TableSection(reader) => {
                if reader.count() > 1 {
                    return Err(invalid(
                        "tables",
                        format!("module defines {} tables; at most one is allowed", reader.count()),
                    ));
                }
                for table in reader.clone() {
                    let ty = table.map_err(wasm_err)?.ty;
                    let max = limits.max_table_elements as u64;
                    if ty.initial > max || ty.maximum.is_some_and(|m| m > max) {
                        return Err(invalid(
                            "table-limit",
                            format!(
                                "table declares {} initial / {:?} maximum elements; the limit is {max}",
                                ty.initial, ty.maximum
                            ),
                        ));
                    }
                    table_initial = Some(ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.clone() {
                    let ty = memory.map_err(wasm_err)?;
                    let max = limits.max_memory_pages();
                    if ty.initial > max || ty.maximum.is_some_and(|m| m > max) {
                        return Err(invalid(
                            "memory-limit",
                            format!(
                                "memory declares {} initial / {:?} maximum pages; the limit is {max} pages ({} bytes)",
                                ty.initial, ty.maximum, limits.max_memory_bytes
                            ),
                        ));
                    }
                    memory_initial_pages = Some(ty.initial);
                }
            }
            Payload::GlobalSection(reader) => {
                if reader.count() > limits.max_globals {
                    return Err(invalid(
                        "globals-limit",
                        format!("module has {} globals; the limit is {}", reader.count(), limits.max_globals),
                    ));
                }
                facts.globals = reader.count();
            }
            Payload::ExportSection(reader) => {
                for export in reader.clone() {
                    let export = export.map_err(wasm_err)?;
                    if export.name.starts_with(abi::RESERVED_PREFIX) {
                        return Err(invalid(
                            "exports",
                            format!(
                                "export {:?} uses the reserved prefix {:?}",
                                export.name,
                                abi::RESERVED_PREFIX
                            ),
                        ));
                    }
                    match (export.name, export.kind) {
                        (abi::MEMORY_EXPORT, ExternalKind::Memory) => exported_memory = true,
                        (abi::ALLOCATE_EXPORT, ExternalKind::Func) => allocate_export = Some(export.index),
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => facts.start = Some(*func),
            Payload::DataSection(reader) => {
                for data in reader.clone() {
                    let data = data.map_err(wasm_err)?;
                    if let DataKind::Active { offset_expr, .. } = data.kind {
                        let pages = memory_initial_pages.unwrap_or(0);
                        check_segment(
                            "data-segment",
                            &offset_expr,
                            data.data.len() as u64,
                            pages * crate::config::WASM_PAGE,
                        )?;
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader.clone() {
                    let element = element.map_err(wasm_err)?;
                    if let ElementKind::Active { offset_expr, .. } = element.kind {
                        let count = match &element.items {
                            wasmparser::ElementItems::Functions(r) => r.count(),
                            wasmparser::ElementItems::Expressions(_, r) => r.count(),
                        } as u64;
                        check_segment("element-segment", &offset_expr, count, table_initial.unwrap_or(0))?;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let Some(wasmparser::ValidPayload::Func(to_validate, _)) = Some(valid) else {
                    unreachable!("wasmparser returns ValidPayload::Func for every code entry")
                };
                let type_index = func_type_indices[next_func];
                next_func += 1;
                let func_index = facts.imported_funcs as usize + next_func - 1;
                let body_bytes = body.range().len();
                if body_bytes > limits.max_function_body_bytes as usize {
                    return Err(invalid(
                        "body-size",
                        format!(
                            "function {func_index} has a {body_bytes}-byte body; the limit is {}",
                            limits.max_function_body_bytes
                        ),
                    ));
                }
                let mut fv = to_validate.into_validator(std::mem::take(&mut allocs));
                let params = facts.types[type_index as usize].0.len() as u64;
                let mut declared: u64 = 0;
                let mut locals = body.get_locals_reader().map_err(wasm_err)?;
                for _ in 0..locals.get_count() {
                    let offset = locals.original_position();
                    let (count, ty) = locals.read().map_err(wasm_err)?;
                    declared += count as u64;
                    if declared > limits.max_locals as u64 {
                        return Err(invalid(
                            "locals-limit",
                            format!("function {func_index} declares more than {} locals", limits.max_locals),
                        ));
                    }
                    fv.define_locals(offset, count, ty).map_err(wasm_err)?;
                }
                let mut ops = body.get_operators_reader().map_err(wasm_err)?;
                let mut max_height = 0u32;
                let mut segment_costs = Vec::new();
                let mut has_dynamic = false;
                let mut split_pending = true;
                let mut blocks = 0u32;
                while !ops.eof() {
                    let (op, offset) = ops.read_with_offset().map_err(wasm_err)?;
                    check_control(&op, func_index, &mut blocks, limits)?;
                    fv.op(offset, &op).map_err(wasm_err)?;
                    if fv.control_stack_height() > limits.max_control_depth {
                        return Err(invalid(
                            "nesting-limit",
                            format!(
                                "function {func_index} nests blocks deeper than {} (at byte offset {offset})",
                                limits.max_control_depth
                            ),
                        ));
                    }
                    max_height = max_height.max(fv.operand_stack_height());
                    if split_pending {
                        segment_costs.push(0u64);
                    }
                    let open = segment_costs.last_mut().expect("a segment is open");
                    *open = open.saturating_add(costs::op_cost(&op, &config.gas.ops));
                    has_dynamic |= costs::dynamic_price(&op, &config.gas.ops).is_some();
                    split_pending = costs::splits_after(&op);
                }
                ops.finish().map_err(wasm_err)?;
                allocs = fv.into_allocations();
                facts.funcs.push(FuncFacts {
                    type_index,
                    locals_total: (params + declared) as u32,
                    max_operand_height: max_height,
                    segment_costs,
                    has_dynamic,
                });
            }
            _ => {}
        }
    }

    if !exported_memory {
        return Err(invalid(
            "memory-export",
            "module must define a linear memory and export it as \"memory\"",
        ));
    }
    if needs_allocate {
        let ok = allocate_export.is_some_and(|index| {
            let ty = if index < facts.imported_funcs {
                None
            } else {
                func_type_indices.get((index - facts.imported_funcs) as usize)
            };
            ty.is_some_and(|t| facts.types[*t as usize] == (vec![ValType::I32], vec![ValType::I32]))
        });
        if !ok {
            return Err(invalid(
                "allocate-export",
                format!(
                    "a module importing any of {:?} must export `allocate(len: i32) -> i32`",
                    abi.need_allocate
                ),
            ));
        }
    }
    Ok(facts)
}

/// The per-instruction compile-bomb rules: blocks per function and `br_table` size,
/// checked before wasmparser's validator sees the instruction.
fn check_control(
    op: &Operator<'_>,
    func_index: usize,
    blocks: &mut u32,
    limits: &crate::config::Limits,
) -> Result<(), ValidationError> {
    match op {
        Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
            *blocks += 1;
            if *blocks > limits.max_blocks_per_function {
                return Err(invalid(
                    "blocks-limit",
                    format!(
                        "function {func_index} has more than {} blocks, loops and ifs",
                        limits.max_blocks_per_function
                    ),
                ));
            }
        }
        Operator::BrTable { targets } => {
            // `len` counts the targets without the default.
            let total = u64::from(targets.len()) + 1;
            if total > u64::from(limits.max_br_table_targets) {
                return Err(invalid(
                    "br-table-limit",
                    format!(
                        "function {func_index} has a br_table of {total} targets; the limit is {}",
                        limits.max_br_table_targets
                    ),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_import(
    import: &wasmparser::Import<'_>,
    types: &[(Vec<ValType>, Vec<ValType>)],
    abi: &Abi,
) -> Result<(), ValidationError> {
    if import.module != abi::IMPORT_MODULE {
        return Err(invalid(
            "imports",
            format!("import {}.{} is not from module \"env\"", import.module, import.name),
        ));
    }
    let Some(host) = abi.function(import.name) else {
        return Err(invalid(
            "imports",
            format!("unknown import env.{} (not a function of the {} ABI)", import.name, abi.name),
        ));
    };
    let TypeRef::Func(type_index) = import.ty else {
        return Err(invalid("imports", format!("import env.{} must be a function", import.name)));
    };
    let (params, results) = &types[type_index as usize];
    if params.as_slice() != host.params || results.as_slice() != host.results {
        return Err(invalid(
            "imports",
            format!(
                "import env.{} has signature {:?} -> {:?}; the {} ABI says {:?} -> {:?}",
                import.name, params, results, abi.name, host.params, host.results
            ),
        ));
    }
    Ok(())
}

/// Rejects an active segment that would not fit at instantiation, so a deployed module
/// can always be instantiated.
fn check_segment(
    rule: &'static str,
    offset: &wasmparser::ConstExpr<'_>,
    len: u64,
    capacity: u64,
) -> Result<(), ValidationError> {
    let mut reader = offset.get_operators_reader();
    let start = match reader.read() {
        Ok(Operator::I32Const { value }) => value as u32 as u64,
        _ => return Err(invalid(rule, "segment offset must be an i32.const")),
    };
    if start + len > capacity {
        return Err(invalid(
            rule,
            format!(
                "segment at offset {start} with length {len} does not fit in the initial size {capacity}"
            ),
        ));
    }
    Ok(())
}
