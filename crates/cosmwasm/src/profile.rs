//! Gas profiles of CosmWasm transactions: every entry point a transaction runs
//! (`instantiate`, `execute`, `reply`, sub-messages' entry points, ...) from a profiling
//! compile of its contract's code (`cove-wasm`'s `profile` module), each entry's stacks
//! under a frame `[ENTRY CONTRACT]`, all under the transaction's root frame.
//!
//! Diagnostic only: profiling compiles bypass the module cache and live as long as one
//! profiled transaction; they charge exactly the gas ordinary compiles charge.

use std::collections::HashMap;
use std::sync::Arc;

use cache::Link;
use state::Journal;
use types::{Address, CodeId};
use vm::VmError;
use wasm::profile::{CallProfile, FunctionNames, GasProfile};

use crate::Shared;
use crate::instance::Linked;
use crate::link::stored_code;

/// The profile of one transaction, as it runs.
pub(crate) struct TxProfile {
    root: String,
    modules: HashMap<CodeId, (Arc<Linked>, FunctionNames)>,
    pub(crate) stacks: GasProfile,
}

impl TxProfile {
    /// An empty profile whose root frame is `root`.
    pub(crate) fn new(root: String) -> TxProfile {
        TxProfile { root, modules: HashMap::new(), stacks: GasProfile::default() }
    }

    /// The profiling compile of stored code `id`, compiled on first use.
    pub(crate) fn module(
        &mut self,
        shared: &Shared,
        journal: &Journal,
        id: &CodeId,
    ) -> Result<Arc<Linked>, VmError> {
        if let Some((module, _)) = self.modules.get(id) {
            return Ok(module.clone());
        }
        let code = stored_code(journal, id).map_err(|e| e.0)?;
        let compiled = shared
            .engine
            .compile_profiling_for(&code, &crate::abi::IMPORTS)
            .map_err(|e| VmError::Corrupt(format!("code {id} no longer validates: {e}")))?;
        let linked = shared.modules.linker().link(&compiled).map_err(|e| VmError::Engine(e.to_string()))?;
        let module = Arc::new(linked);
        self.modules.insert(*id, (module.clone(), FunctionNames::of(&code)));
        Ok(module)
    }

    /// Adds the profile of entry point `entry` of `contract` (code `id`).
    pub(crate) fn add(&mut self, id: &CodeId, entry: &str, contract: &str, profile: CallProfile) {
        let Some((_, names)) = self.modules.get(id) else { return };
        let frame = format!("[{entry} {contract}]");
        self.stacks.nest(std::slice::from_ref(&self.root), profile.named(names, &frame));
    }

    /// The finished profile of a transaction that used `gas_used`: gas outside every
    /// entry point (none today) stays with the root frame.
    pub(crate) fn finish(mut self, gas_used: u64) -> GasProfile {
        let outside = gas_used.saturating_sub(self.stacks.total());
        self.stacks.add(vec![self.root.clone()], outside);
        self.stacks
    }
}

/// The human address of `contract`, for frame names.
pub(crate) fn contract_name(shared: &Shared, contract: &Address) -> String {
    shared.addresses.humanize(contract)
}
