//! Exact gas estimation: the smallest gas limit with which a call succeeds.

use state::Journal;
use types::{Address, Gas};
use vm::{Balance, Message, Target};

use crate::{Receipt, Runtime, RuntimeError};

/// A call to estimate, as it would be sent in the next block.
#[derive(Debug, Clone)]
pub struct EstimateRequest<'a> {
    /// Who sends it.
    pub sender: Address,
    /// The contract (or, for an EVM value transfer, any account).
    pub address: Address,
    /// The WASM entry point; empty for EVM calldata.
    pub method: &'a str,
    /// Input bytes or calldata.
    pub input: Vec<u8>,
    /// Native tokens sent with it.
    pub value: Balance,
    /// The largest limit to consider; `None` for the VM's default gas limit.
    pub cap: Option<Gas>,
}

impl Runtime {
    /// The smallest gas limit `L` with which `req` succeeds against the last committed
    /// state, in the block after it: the call succeeds with `L` and fails with `L - 1`.
    /// `Err` carries the failed receipt when the call fails even at the cap; a probe
    /// that hits the wall-clock backstop is [`RuntimeError::Timeout`], never an answer.
    ///
    /// A binary search over the limit; every probe runs on a throwaway journal that is
    /// never committed, so state never changes. The first probes try the cap and then
    /// the gas the call used there, which is the answer for most WASM calls (no refunds)
    /// and a close lower bound for EVM calls (refunds, the 63/64 rule).
    pub fn estimate_gas(&self, req: EstimateRequest<'_>) -> Result<Result<Gas, Receipt>, RuntimeError> {
        let last = self.last_block()?;
        let block = types::BlockInfo { height: last.height + 1, timestamp: last.timestamp };
        // As the next block would run it: with the configuration in force at its height.
        let (_, exec) = self.exec_at(block.height)?;
        let probe = |gas: Gas| -> Result<Receipt, RuntimeError> {
            let mut journal = Journal::new(self.backend.clone());
            let msg = Message {
                sender: req.sender,
                target: Target::Call(req.address),
                entry: req.method,
                input: req.input.clone(),
                value: req.value,
                gas_limit: Some(gas),
                read_only: false,
                callee: None,
            };
            // Deposits settle as in a block, so a call its contracts cannot pay for is
            // reported as the failure it would be.
            let checkpoint = journal.checkpoint();
            let mut receipt = exec.execute(&mut journal, &block, msg)?;
            crate::block::settle_deposits(&mut journal, checkpoint, &exec.config, &mut receipt)?;
            // A probe the wall-clock backstop stopped says nothing about the gas: no
            // estimate rests on it (the answer would depend on the clock).
            match &receipt.result {
                Err(e) if receipt.is_node_fault() => Err(RuntimeError::Timeout(e.message.clone())),
                _ => Ok(receipt),
            }
        };
        let vm = match self.contract(&req.address)? {
            Some(info) => exec.vms.get(info.vm),
            None => exec.vms.for_account(),
        };
        let cap = req.cap.unwrap_or_else(|| vm.default_gas_limit());
        let at_cap = probe(cap)?;
        if !at_cap.is_ok() {
            return Ok(Err(at_cap));
        }
        // Invariant: `hi` succeeds; `lo`, once known, fails.
        let mut hi = cap;
        let mut lo = None;
        let used = at_cap.gas_used;
        if used < hi {
            if probe(used)?.is_ok() {
                hi = used;
            } else {
                lo = Some(used);
            }
        }
        let mut lo = match lo {
            Some(lo) => lo,
            None if hi == 0 => return Ok(Ok(0)),
            None if !probe(hi - 1)?.is_ok() => return Ok(Ok(hi)),
            None if probe(0)?.is_ok() => return Ok(Ok(0)),
            None => 0,
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if probe(mid)?.is_ok() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Ok(hi))
    }
}
