//! Hooks for tools, not for embedders: the Ethereum state-test runner (in `cove-bench`,
//! `cove evm statetest`) runs revm exactly as [`crate::EvmVm`] does, on the same
//! journal and with the same write-back, but applies Ethereum's rules for failures
//! itself. Not a stable API.

use revm::context::result::ResultAndState;
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::primitives::Address as EvmAddress;
use revm::state::EvmState;
use state::Journal;
use types::{Address, BlockInfo};
use vm::VmError;

use crate::db::Seen;
use crate::pool::EvmPool;

/// revm over cove's journal with every opcode enabled and revm's precompiles for the
/// fork: [`crate::EvmVm`]'s setup without a cove configuration.
#[derive(Debug)]
pub struct Harness {
    pool: EvmPool,
}

impl Default for Harness {
    fn default() -> Harness {
        Harness { pool: EvmPool::new([false; 256], None, false) }
    }
}

impl Harness {
    /// Runs `tx` against `state` (read only), then `then(state, result, commit)`; the
    /// result's error is revm's, as text. [`Commit::apply`] writes the changes as a
    /// successful message of [`crate::EvmVm`] would.
    pub fn transact<R>(
        &self,
        state: &mut Journal,
        cfg: &CfgEnv,
        block: BlockEnv,
        tx: TxEnv,
        then: impl FnOnce(&mut Journal, Result<ResultAndState, String>, Commit<'_>) -> R,
    ) -> R {
        self.pool.transact(state, cfg, block, tx, None, |state, run, seen, _| {
            then(state, run.map_err(|e| e.to_string()), Commit { seen })
        })
    }
}

/// The write-back of one transaction's changes ([`Harness::transact`]).
pub struct Commit<'a> {
    seen: &'a mut Seen,
}

impl Commit<'_> {
    /// Writes `changes` into `journal`, contracts created by `creator` in `block`.
    pub fn apply(
        self,
        journal: &mut Journal,
        changes: EvmState,
        creator: Address,
        block: &BlockInfo,
    ) -> Result<(), VmError> {
        crate::db::commit(journal, &changes, self.seen, creator, block, false)
    }
}

/// A revm address as cove's.
pub fn to_cove(a: EvmAddress) -> Address {
    crate::db::to_cove(a)
}
