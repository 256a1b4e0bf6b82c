//! Coverage from the harness: [`TestVM::enable_coverage`], then the lcov of what the
//! calls after it ran ([`TestVM::coverage_lcov`]), as `cove coverage` writes it.

use runtime::coverage::{CodeCoverage, lcov};

use crate::TestVM;

impl TestVM {
    /// Counts, from now on, which lines (by DWARF) or functions of the WASM contracts
    /// every deploy, call and view runs. Results, gas and effects are unchanged.
    pub fn enable_coverage(&mut self) {
        self.rt.enable_coverage();
    }

    /// The coverage since [`TestVM::enable_coverage`] of each code that ran, by code id
    /// (empty if coverage is off). `debug`: modules built with debug info whose code
    /// section equals a deployed, stripped module's, to read its lines from.
    pub fn coverage(&self, debug: &[&[u8]]) -> Vec<CodeCoverage> {
        let (reports, _) = self.rt.coverage(debug).unwrap_or_default();
        reports.into_iter().map(|r| r.coverage).collect()
    }

    /// [`TestVM::coverage`] as lcov text (`genhtml` renders it).
    pub fn coverage_lcov(&self) -> String {
        lcov(&self.coverage(&[]))
    }
}
