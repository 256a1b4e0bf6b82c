//! Developer diagnostics of one call: a step debugger (`cove debug`) and the backtrace
//! of a failed call (`cove call`). Neither changes a result, its gas or state.

use types::{Address, VmType};
use wasm::debug::Symbols;

pub use wasm::debug::{
    Debugger, Event, MAX_BREAKPOINTS, MAX_COMMAND_LEN, MAX_MEMORY_BYTES, MAX_STORAGE_ENTRIES, Session, Stop,
};
pub use wasm::{MAX_BACKTRACE_FRAMES, take_backtrace};

use crate::{EstimateRequest, Receipt, Runtime, RuntimeError};

impl Runtime {
    /// Runs `req` under `debugger` (with `req.cap` as its gas limit, the VM's default if
    /// `None`) as [`Runtime::profile`] runs a call: against the last committed state, in
    /// the block after it, on a throwaway journal, so state never changes. Its receipt
    /// is the one that call would give. cove's WASM contracts only; another VM's
    /// contract is `Unsupported`.
    pub fn debug(
        &self,
        req: EstimateRequest<'_>,
        debugger: Box<dyn Debugger>,
    ) -> Result<Receipt, RuntimeError> {
        let unsupported = "the debugger runs cove's WASM contracts";
        let (receipt, ()) = self.run_uncommitted(req, unsupported, |vms, journal, env, msg, info| {
            Ok((vms.wasm().debug(journal, env, msg, info, debugger)?, ()))
        })?;
        Ok(receipt)
    }

    /// The call stack of the last failed WASM call on this thread ([`take_backtrace`]),
    /// innermost first, named from the code of `contract` (the contract the transaction
    /// called): `None` if there is none or `contract` is not a WASM contract of cove's
    /// ABI. Reading it clears it. Diagnostic only.
    pub fn take_backtrace(&self, contract: &Address) -> Result<Option<Vec<String>>, RuntimeError> {
        let Some(frames) = take_backtrace() else { return Ok(None) };
        let Some(info) = self.contract(contract)?.filter(|i| i.vm == VmType::Wasm) else { return Ok(None) };
        let Some(code) = self.code(&info.code_id)? else { return Ok(None) };
        let symbols = Symbols::of(&code);
        Ok(Some(frames.iter().map(|f| symbols.name(f.func_index)).collect()))
    }
}
