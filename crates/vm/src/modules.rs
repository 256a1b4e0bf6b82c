//! The companion of [`crate::VirtualMachine`] for VMs that compile code to native
//! modules and cache them (both WASM ABIs; the EVM interprets and has none).

use state::Journal;
use types::CodeId;

use crate::VmError;

pub use cache::CacheStats;
pub use wasm::Tier;

/// A VM's compiled-module cache, as the runtime and operators act on it: pins, tiers,
/// stats. A VM that has one returns it from [`crate::VirtualMachine::modules`].
pub trait CompiledModules: Send + Sync {
    /// Whether `code_id`, stored in `state`, was stored for this VM, so that pinning it
    /// by its id alone ([`CompiledModules::pin`]) belongs in this cache. The runtime asks
    /// the VMs in their registration order and pins in the first that claims it.
    fn claims(&self, state: &Journal, code_id: &CodeId) -> Result<bool, VmError>;

    /// Loads the stored code `code_id` (compiling it if no tier has it) and pins it in
    /// memory, across restarts.
    fn pin(&self, state: &Journal, code_id: &CodeId) -> Result<(), VmError>;

    /// Unpins `code_id`; whether it was pinned.
    fn unpin(&self, code_id: &CodeId) -> Result<bool, VmError>;

    /// Drops every compiled module from memory and disk; calls recompile on demand.
    fn clear(&self) -> Result<(), VmError>;

    /// The compiler tier calls of `code_id` run on, if its module is loaded.
    fn tier(&self, code_id: &CodeId) -> Option<Tier>;

    /// Waits until every background recompilation started so far is done.
    fn settle(&self);

    /// The cache's contents and counters.
    fn stats(&self) -> CacheStats;
}
