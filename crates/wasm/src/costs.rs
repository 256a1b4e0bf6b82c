//! Static instruction prices and the rules that cut a function body into metered segments.

use wasmparser::Operator as Op;

use crate::config::OpCosts;

/// The static gas price of one instruction.
///
/// Dynamic parts (bytes moved by `memory.copy`, pages asked of `memory.grow`, ...) are
/// charged separately at run time; see [`dynamic_price`].
pub(crate) fn op_cost(op: &Op<'_>, c: &OpCosts) -> u64 {
    match op {
        // Structure only: no machine code of their own.
        Op::Nop | Op::Block { .. } | Op::Loop { .. } | Op::Else | Op::End => 0,

        Op::Br { .. } | Op::BrIf { .. } | Op::BrTable { .. } | Op::If { .. } | Op::Return => c.branch,
        Op::Call { .. } | Op::CallIndirect { .. } => c.call,
        // Bulk operations are calls into the engine: a call's price, plus their
        // per-unit price (`dynamic_price`). At the base price, a one-byte `memory.fill`
        // loop took over 3 ns per gas on Winch (docs/gas.md, Calibration).
        Op::MemoryGrow { .. }
        | Op::MemoryCopy { .. }
        | Op::MemoryFill { .. }
        | Op::MemoryInit { .. }
        | Op::DataDrop { .. }
        | Op::TableGrow { .. }
        | Op::TableFill { .. }
        | Op::TableCopy { .. }
        | Op::TableInit { .. }
        | Op::ElemDrop { .. } => c.call,

        Op::I32Load { .. }
        | Op::I64Load { .. }
        | Op::F32Load { .. }
        | Op::F64Load { .. }
        | Op::I32Load8S { .. }
        | Op::I32Load8U { .. }
        | Op::I32Load16S { .. }
        | Op::I32Load16U { .. }
        | Op::I64Load8S { .. }
        | Op::I64Load8U { .. }
        | Op::I64Load16S { .. }
        | Op::I64Load16U { .. }
        | Op::I64Load32S { .. }
        | Op::I64Load32U { .. } => c.load,

        Op::I32Store { .. }
        | Op::I64Store { .. }
        | Op::F32Store { .. }
        | Op::F64Store { .. }
        | Op::I32Store8 { .. }
        | Op::I32Store16 { .. }
        | Op::I64Store8 { .. }
        | Op::I64Store16 { .. }
        | Op::I64Store32 { .. } => c.store,

        Op::I32Mul | Op::I64Mul | Op::F32Mul | Op::F64Mul => c.mul,

        Op::I32DivS
        | Op::I32DivU
        | Op::I32RemS
        | Op::I32RemU
        | Op::I64DivS
        | Op::I64DivU
        | Op::I64RemS
        | Op::I64RemU
        | Op::F32Div
        | Op::F64Div
        | Op::F32Sqrt
        | Op::F64Sqrt => c.div,

        Op::MemorySize { .. } | Op::TableSize { .. } | Op::TableGet { .. } | Op::TableSet { .. } => {
            c.table_memory_meta
        }

        // Everything else (constants, locals, globals, arithmetic, logic, comparisons,
        // conversions, the base of bulk operations) costs the base price.
        _ => c.base,
    }
}

/// For instructions whose work depends on an operand, the price per unit of the `i32`
/// count on top of the stack (pages for `memory.grow`, bytes or elements for bulk ops).
pub(crate) fn dynamic_price(op: &Op<'_>, c: &OpCosts) -> Option<u64> {
    match op {
        Op::MemoryGrow { .. } => Some(c.memory_grow_per_page),
        Op::MemoryCopy { .. } | Op::MemoryFill { .. } | Op::MemoryInit { .. } => Some(c.bulk_memory_per_byte),
        Op::TableGrow { .. } | Op::TableFill { .. } | Op::TableCopy { .. } | Op::TableInit { .. } => {
            Some(c.bulk_table_per_element)
        }
        _ => None,
    }
}

/// Whether a new metered segment starts right after `op`.
///
/// Segments begin where control can arrive other than by falling through from the
/// previous instruction (the start of a loop body, a branch of an `if`, the code after an
/// `end`), and after branches (the fall-through of `br_if`, dead code after `br`). Each
/// segment's whole price is charged before its first instruction runs, so a trap midway
/// still costs the full segment: deterministic, and never cheaper than the work done.
pub(crate) fn splits_after(op: &Op<'_>) -> bool {
    matches!(
        op,
        Op::Loop { .. }
            | Op::If { .. }
            | Op::Else
            | Op::End
            | Op::Br { .. }
            | Op::BrIf { .. }
            | Op::BrTable { .. }
            | Op::Return
            | Op::Unreachable
    )
}
