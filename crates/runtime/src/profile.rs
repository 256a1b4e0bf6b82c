//! Gas profiles: one call run as the next block would run it, never committed, with
//! every unit of its gas attributed to a stack of contract functions (`cove profile`).

use state::Journal;
use types::VmType;
use vm::{Env, Message, Target};
use wasm::profile::GasProfile;

use crate::config::check_gas_limit;
use crate::{ContractInfo, EstimateRequest, Receipt, Runtime, RuntimeError, VmFactory};

/// A profiled call: its receipt, exactly what the call would give in the next block, and
/// its gas profile, whose total is the receipt's `gas_used`.
#[derive(Debug, Clone)]
pub struct Profiled {
    /// The call's outcome.
    pub receipt: Receipt,
    /// Its gas by stack of functions.
    pub profile: GasProfile,
}

impl Runtime {
    /// Runs `req` (with `req.cap` as its gas limit, the VM's default if `None`) against
    /// the last committed state, in the block after it, on a throwaway journal, so state
    /// never changes; like a query, but writes are allowed. The contract's code runs
    /// from a profiling compile (`cove-wasm`'s `profile` module) that uses the same gas
    /// as an ordinary call. cove's WASM contracts only (CosmWasm: [`Runtime::profile_cosmwasm`]);
    /// an EVM contract is `Unsupported`.
    pub fn profile(&self, req: EstimateRequest<'_>) -> Result<Profiled, RuntimeError> {
        let unsupported = "profiles cover cove's WASM and CosmWasm contracts";
        let (receipt, profile) = self.run_uncommitted(req, unsupported, |vms, journal, env, msg, info| {
            Ok(vms.wasm().profile(journal, env, msg, info)?)
        })?;
        Ok(Profiled { receipt, profile })
    }

    /// Runs `req` on a contract of cove's WASM ABI (with `req.cap` as its gas limit) as
    /// the next block would: against the last committed state, on a throwaway journal,
    /// writes allowed and never committed, with the configuration in force at its
    /// height. `run` runs the message on the VMs of that configuration (a profiled or
    /// debugged call); a contract of another VM is `Unsupported`, `unsupported` saying
    /// what the tool covers. A timeout is a node fault, as in a block.
    pub(crate) fn run_uncommitted<T>(
        &self,
        req: EstimateRequest<'_>,
        unsupported: &str,
        run: impl FnOnce(
            &VmFactory,
            &mut Journal,
            &Env<'_>,
            Message<'_>,
            &ContractInfo,
        ) -> Result<(Receipt, T), RuntimeError>,
    ) -> Result<(Receipt, T), RuntimeError> {
        let info = self
            .contract(&req.address)?
            .ok_or_else(|| RuntimeError::NotFound(format!("no contract at {}", req.address)))?;
        if info.vm != VmType::Wasm {
            return Err(RuntimeError::Unsupported(format!("{unsupported}; this is a {} contract", info.vm)));
        }
        let last = self.last_block()?;
        let block = types::BlockInfo { height: last.height + 1, timestamp: last.timestamp };
        let (_, exec) = self.exec_at(block.height)?;
        check_gas_limit(exec.config.max_tx_gas, req.cap).map_err(RuntimeError::InvalidArgument)?;
        let mut journal = Journal::new(self.backend.clone());
        let msg = Message {
            sender: req.sender,
            target: Target::Call(req.address),
            entry: req.method,
            input: req.input,
            value: req.value,
            gas_limit: req.cap,
            read_only: false,
            callee: Some(&info),
        };
        let env = Env::new(&block, &exec.dispatch);
        let (receipt, extra) = run(&exec.vms, &mut journal, &env, msg, &info)?;
        timeout_is_a_fault(&receipt)?;
        Ok((receipt, extra))
    }
}

impl Runtime {
    /// [`Runtime::profile`] for a CosmWasm transaction (`request`, typically an
    /// `execute`), as the first transaction of the next block: every entry point it runs,
    /// sub-messages' included, under the root frame `[cosmwasm ACTION]`. Also returns
    /// what the contracts printed with `debug`.
    pub fn profile_cosmwasm(
        &self,
        request: cosmwasm::Request<'_>,
    ) -> Result<(Profiled, Vec<String>), RuntimeError> {
        let last = self.last_block()?;
        let block = types::BlockInfo { height: last.height + 1, timestamp: last.timestamp };
        let (_, exec) = self.exec_at(block.height)?;
        check_gas_limit(exec.config.max_tx_gas, request.gas_limit).map_err(RuntimeError::InvalidArgument)?;
        let mut journal = Journal::new(self.backend.clone());
        // In the runtime's dispatch, as a block runs it: messages to other VMs run too.
        let env = Env::new(&block, &exec.dispatch);
        let (receipt, debug, profile) = exec.vms.cosmwasm().profile(&mut journal, &env, 0, request)?;
        timeout_is_a_fault(&receipt)?;
        Ok((Profiled { receipt, profile }, debug))
    }
}

/// A profile the wall-clock backstop stopped describes no deterministic call.
pub(crate) fn timeout_is_a_fault(receipt: &Receipt) -> Result<(), RuntimeError> {
    match &receipt.result {
        Err(e) if receipt.is_node_fault() => Err(RuntimeError::Timeout(e.message.clone())),
        _ => Ok(()),
    }
}
