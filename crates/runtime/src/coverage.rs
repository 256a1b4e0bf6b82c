//! Coverage: which lines (or functions) of cove's WASM contracts a run of transactions
//! reached (`cove coverage`, the TestVM). The WASM VM does the work (`cove-wasm-vm`'s
//! `coverage` session); the runtime turns it on and reads it back.

use types::CodeId;
pub use wasm::coverage::report::{FileCoverage, FunctionCount, lcov};
pub use wasm::coverage::{CodeCoverage, Granularity};
pub use wasm_vm::{CodeReport, MAX_COVERED_CODES};

use crate::Runtime;

impl Runtime {
    /// Turns coverage on for the rest of this runtime's life: every call of a contract
    /// of cove's WASM ABI (nested and library calls included) then runs from a coverage
    /// compile of its code, with the result, gas and effects of an ordinary call, and
    /// counts what it ran. CosmWasm and EVM contracts run as always, uncounted. It covers
    /// the VMs of the next block's execution configuration (`docs/chain-config.md`).
    pub fn enable_coverage(&self) {
        self.vms().wasm().enable_coverage();
    }

    /// The coverage of every code called since [`Runtime::enable_coverage`], by code id
    /// (`None` if coverage is off), and the codes called but not covered (past
    /// [`MAX_COVERED_CODES`]). Each code's DWARF comes from the code itself or from the
    /// first module of `debug` with a byte-identical code section.
    pub fn coverage(&self, debug: &[&[u8]]) -> Option<(Vec<CodeReport>, Vec<CodeId>)> {
        let coverage = self.vms().wasm().coverage()?;
        Some((coverage.report(debug), coverage.skipped()))
    }
}
