//! revm's mainnet handler with two changes: a transaction's refund counter that ends
//! below zero is zero, and the frame loop keeps the address each open frame runs as.
//!
//! In the EVM alone the counter never ends negative: each negative EIP-2200 adjustment
//! undoes a refund given earlier in the same transaction. A call to another VM
//! (`cross.rs`) can change a slot behind revm's back (revm then sees the new value with
//! the slot's original value unchanged), so a later write may take back a refund that
//! was never given. revm's `Gas::set_final_refund` casts the counter to `u64`, which
//! would turn a negative counter into the largest refund allowed (a fifth of the gas);
//! clamping first makes it none.
//!
//! The frame loop is revm's (`Handler::run_exec_loop`) plus one push when a frame opens
//! and one pop when it finishes, into the cross-VM precompile's `frames`: the EVM part
//! of the call stack that the reentrancy policy checks a call to another VM against
//! (`cross.rs`). No inspector: the plain path pays a push and a pop per frame.

use revm::context::result::{EVMError, HaltReason};
use revm::context_interface::{Cfg, ContextTr};
use revm::handler::{EvmTr, FrameResult, Handler, ItemOrResult};
use revm::interpreter::interpreter_action::FrameInit;

use crate::db::DbError;
use crate::pool::CoveEvm;

/// The handler cove's EVM runs transactions with.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CoveHandler;

impl Handler for CoveHandler {
    type Evm = CoveEvm;
    type Error = EVMError<DbError>;
    type HaltReason = HaltReason;

    fn refund(
        &self,
        evm: &mut CoveEvm,
        exec_result: &mut FrameResult,
        eip7702_refund: i64,
    ) -> Result<(), Self::Error> {
        let gas = exec_result.gas_mut();
        gas.record_refund(eip7702_refund);
        if gas.refunded() < 0 {
            gas.set_refund(0);
        }
        gas.set_final_refund(evm.ctx().cfg().gas_params().max_refund_quotient());
        Ok(())
    }

    /// revm's loop, keeping `evm.precompiles.frames` in step with the frame stack: a
    /// frame that opens pushes its address (`target_address`: a `DELEGATECALL` or
    /// `CALLCODE` frame runs as its caller), a frame that finishes pops it; a call that
    /// opens no frame (a precompile, a failed call) touches nothing.
    fn run_exec_loop(&mut self, evm: &mut CoveEvm, first: FrameInit) -> Result<FrameResult, Self::Error> {
        let opened = match evm.frame_init(first)? {
            ItemOrResult::Result(result) => return Ok(result),
            ItemOrResult::Item(frame) => frame.interpreter.input.target_address,
        };
        evm.precompiles.frames.push(opened);
        loop {
            let result = match evm.frame_run()? {
                ItemOrResult::Item(init) => match evm.frame_init(init)? {
                    ItemOrResult::Item(frame) => {
                        let opened = frame.interpreter.input.target_address;
                        evm.precompiles.frames.push(opened);
                        continue;
                    }
                    ItemOrResult::Result(result) => result,
                },
                ItemOrResult::Result(result) => {
                    evm.precompiles.frames.pop();
                    result
                }
            };
            if let Some(result) = evm.frame_return_result(result)? {
                return Ok(result);
            }
        }
    }
}
