//! A call under a step debugger (`cove-wasm`'s `debug` module): the profiling compile
//! of the contract's code, bypassing the module cache, with the debugger attached.

use state::{Journal, Order};
use types::{CallError, ErrorKind, StorageError};
use vm::{ContractInfo, Env, Message, Outcome, Target, VirtualMachine, VmError, keys};
use wasm::CallContext;
use wasm::debug::{Attach, Debugger, Entries, StorageInspect, Symbols};

use crate::adapter::{WasmVm, stored_code, transfer};
use crate::view::ContractView;

impl StorageInspect for ContractView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let mut full = self.prefix.to_vec();
        full.extend_from_slice(key);
        self.journal.get(&full)
    }

    fn entries(&self, limit: usize) -> Result<(Entries, bool), StorageError> {
        let want = limit.saturating_add(1);
        let scan = self.journal.scan_range(&self.prefix, None, None, Order::Ascending, want)?;
        let more = scan.entries.len() > limit || scan.limited;
        let entries =
            scan.entries.into_iter().take(limit).map(|(k, v)| (k[self.prefix.len()..].to_vec(), v)).collect();
        Ok((entries, more))
    }
}

impl WasmVm {
    /// Runs `msg`, a call of the contract `info` at its target, as
    /// [`vm::VirtualMachine::execute`] would, on a profiling compile of its code that
    /// bypasses the module cache, with `debugger` stopping at its hooks. The outcome is
    /// the one an ordinary call gives. Contracts it calls run ordinarily. What the call
    /// wrote stays in `state`, which the caller discards.
    pub fn debug(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        msg: Message<'_>,
        info: &ContractInfo,
        debugger: Box<dyn Debugger>,
    ) -> Result<Outcome, VmError> {
        let Target::Call(address) = msg.target else {
            let e = CallError::new(ErrorKind::InvalidArgument, "only a call of a contract is debugged");
            return Ok(Outcome::failed(e));
        };
        if let Err(e) = transfer(state, &msg.sender, &address, msg.value)? {
            return Ok(Outcome::failed(e));
        }
        let code = stored_code(state, &info.code_id)?;
        let compiled = self
            .vm()
            .engine()
            .compile_profiling_for(&code, &wasm::abi::COVE)
            .map_err(|e| VmError::Corrupt(format!("code {} no longer validates: {e}", info.code_id)))?;
        let module = self.vm().link(&compiled).map_err(|e| VmError::Engine(e.to_string()))?;
        let ctx = CallContext {
            caller: msg.sender,
            contract: address,
            block: *env.block,
            read_only: msg.read_only,
        };
        let gas_limit = msg.gas_limit.unwrap_or(self.default_gas_limit());
        let taken = std::mem::replace(state, Journal::stand_in());
        let view = ContractView::new(taken, keys::storage_prefix(&address)).in_env(env);
        let attach = Attach { debugger, symbols: Symbols::of(&code) };
        let (view, outcome) =
            self.vm().call_debugged(&module, &ctx, msg.entry, msg.input, gas_limit, view, attach);
        *state = view.journal;
        let o = outcome.map_err(|e| match e {
            wasm::VmError::Storage(s) => VmError::Storage(s),
            e => VmError::Engine(e.to_string()),
        })?;
        Ok(Outcome { result: o.result, gas_used: o.gas_used, events: o.events, address: None, code_id: None })
    }
}
