//! A coverage session: every call of cove's WASM ABI run from a coverage compile of its
//! code, the block counts of each code summed over the session (`cove coverage`).
//!
//! Once [`WasmVm::enable_coverage`](crate::WasmVm::enable_coverage) has been called, the
//! VM runs each contract call, nested calls and library calls included, on a coverage
//! compile of the code (`cove-wasm`'s `coverage` module), made once per code and kept
//! here, never in the module cache. Results, gas and effects are those of ordinary
//! calls. At most [`MAX_COVERED_CODES`] distinct codes are covered; calls of further
//! codes run ordinarily and the session lists those codes as skipped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use types::CodeId;
use vm::VmError;
use wasm::coverage::{BlockCounts, CodeCoverage, CoverageMap};
use wasm::{LinkedModule, Vm};

use crate::view::ContractView;

/// The most distinct codes one session covers (each keeps a compiled module and its
/// code): a sequence of calls rarely reaches more than a few.
pub const MAX_COVERED_CODES: usize = 64;

/// One code's coverage compile and its counters.
pub(crate) struct Covered {
    pub(crate) module: LinkedModule<ContractView>,
    pub(crate) counts: Arc<BlockCounts>,
    map: CoverageMap,
    code: Vec<u8>,
}

/// The codes a session covers and their counts.
pub struct Coverage {
    codes: Mutex<BTreeMap<CodeId, Option<Arc<Covered>>>>,
    max_codes: usize,
}

impl Default for Coverage {
    fn default() -> Coverage {
        Coverage::with_max_codes(MAX_COVERED_CODES)
    }
}

/// One code's coverage so far.
pub struct CodeReport {
    /// Its id.
    pub code_id: CodeId,
    /// Lines or functions with their counts.
    pub coverage: CodeCoverage,
}

impl Coverage {
    pub(crate) fn with_max_codes(max_codes: usize) -> Coverage {
        Coverage { codes: Mutex::default(), max_codes }
    }

    /// The coverage compile of `code_id` (`code` gives its bytes), made on first use;
    /// `None` past [`MAX_COVERED_CODES`] (the call runs ordinarily).
    pub(crate) fn module(
        &self,
        vm: &Vm<ContractView>,
        code_id: &CodeId,
        code: &dyn Fn() -> Result<Vec<u8>, VmError>,
    ) -> Result<Option<Arc<Covered>>, VmError> {
        if let Some(known) = self.lock().get(code_id) {
            return Ok(known.clone());
        }
        let covered = if self.lock().values().filter(|c| c.is_some()).count() >= self.max_codes {
            None
        } else {
            // Compiled outside the lock: nested calls of other codes may need it meanwhile.
            let code = code()?;
            let (compiled, map) = vm
                .engine()
                .compile_coverage_for(&code, &wasm::abi::COVE)
                .map_err(|e| VmError::Corrupt(format!("code {code_id} no longer validates: {e}")))?;
            let module = vm.link(&compiled).map_err(|e| VmError::Engine(e.to_string()))?;
            let counts = Arc::new(BlockCounts::new(&map));
            Some(Arc::new(Covered { module, counts, map, code }))
        };
        Ok(self.lock().entry(*code_id).or_insert(covered).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<CodeId, Option<Arc<Covered>>>> {
        self.codes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every covered code's lines or functions so far, by code id. DWARF comes from
    /// the code itself or from the first of `debug` with the same code section.
    pub fn report(&self, debug: &[&[u8]]) -> Vec<CodeReport> {
        let codes: Vec<(CodeId, Arc<Covered>)> =
            self.lock().iter().filter_map(|(id, c)| Some((*id, c.clone()?))).collect();
        codes
            .into_iter()
            .map(|(code_id, c)| {
                let source = format!("{code_id}.wasm");
                let counts = c.counts.snapshot();
                let coverage =
                    CodeCoverage::new(&code_id.to_string(), &source, &c.code, debug, &c.map, &counts);
                CodeReport { code_id, coverage }
            })
            .collect()
    }

    /// Codes called but not covered (past [`MAX_COVERED_CODES`]).
    pub fn skipped(&self) -> Vec<CodeId> {
        self.lock().iter().filter(|(_, c)| c.is_none()).map(|(id, _)| *id).collect()
    }
}
