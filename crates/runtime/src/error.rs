//! Runtime errors: failures of the node, never outcomes of a contract.

use types::StorageError;

/// A failure outside any contract's control. Contract failures are not errors here:
/// they are [`crate::Receipt`]s with an error kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The state store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The local configuration's execution settings differ from the chain's (the version
    /// in force from block `activation`, of hash `hash`): each differing setting is
    /// named with both values. Nothing was opened.
    #[error("{}", crate::chain::mismatch_message(.activation, .hash, .differences))]
    ConfigMismatch {
        /// The activation height of the chain's version compared with.
        activation: u64,
        /// Its [`crate::ExecutionConfig::hash`].
        hash: [u8; 32],
        /// The settings that differ.
        differences: Vec<crate::Difference>,
    },
    /// A VM failed outside the contract's control.
    #[error(transparent)]
    Vm(vm::VmError),
    /// The module cache could not produce a module (e.g. stored code that no longer
    /// validates, or an unusable cache directory).
    #[error(transparent)]
    Cache(#[from] cache::CacheError),
    /// Something the store holds does not decode.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// A read-only lookup named something that does not exist (a contract, a code, a
    /// height not committed yet or pruned).
    #[error("not found: {0}")]
    NotFound(String),
    /// A request the runtime refuses before running anything (a gas limit above the
    /// cap, a block out of gas): nothing was executed or recorded.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The store keeps no history (an in-memory runtime): no roots, proofs or past
    /// heights.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The wall-clock backstop interrupted the transaction: a node fault, not a
    /// consensus result (another machine may finish the same call in time). The
    /// transaction was not executed: its effects are rolled back and it is not part of
    /// the block (no transaction index, no events); the rest of the block stands.
    #[error("timeout: {0}; the transaction was not executed and is not in the block")]
    Timeout(String),
    /// The transaction does not fit in the block ([`crate::BlockLimits`]): it was rolled
    /// back (or never run) and is not part of the block; the rest of the block stands.
    #[error("block limit: {0}; the transaction is not in the block")]
    BlockLimit(String),
}

impl RuntimeError {
    /// Whether the error dropped one transaction from a block that is still usable
    /// ([`RuntimeError::Timeout`], [`RuntimeError::BlockLimit`]): the block may go on
    /// and commit without it. Any other error from a block leaves it to be dropped.
    pub fn is_dropped_transaction(&self) -> bool {
        matches!(self, RuntimeError::Timeout(_) | RuntimeError::BlockLimit(_))
    }
}

impl From<state::HistoryError> for RuntimeError {
    fn from(e: state::HistoryError) -> RuntimeError {
        match e {
            state::HistoryError::Storage(s) => RuntimeError::Storage(s),
            e => RuntimeError::NotFound(e.to_string()),
        }
    }
}

impl From<vm::VmError> for RuntimeError {
    /// A storage failure is a storage failure whichever layer saw it.
    fn from(e: vm::VmError) -> RuntimeError {
        match e {
            vm::VmError::Storage(s) => RuntimeError::Storage(s),
            vm::VmError::Corrupt(m) => RuntimeError::Corrupt(m),
            vm::VmError::Cache(e) => RuntimeError::Cache(e),
            e => RuntimeError::Vm(e),
        }
    }
}
