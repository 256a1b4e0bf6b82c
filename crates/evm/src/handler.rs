//! revm's mainnet handler with one change: a transaction's refund counter that ends
//! below zero is zero.
//!
//! In the EVM alone the counter never ends negative: each negative EIP-2200 adjustment
//! undoes a refund given earlier in the same transaction. A call to another VM
//! (`cross.rs`) can change a slot behind revm's back (revm then sees the new value with
//! the slot's original value unchanged), so a later write may take back a refund that
//! was never given. revm's `Gas::set_final_refund` casts the counter to `u64`, which
//! would turn a negative counter into the largest refund allowed (a fifth of the gas);
//! clamping first makes it none.

use revm::context::result::{EVMError, HaltReason};
use revm::context_interface::{Cfg, ContextTr};
use revm::handler::{EvmTr, FrameResult, Handler};

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
}
