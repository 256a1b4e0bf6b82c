//! The node's errors.

/// A failure of the node (not of a transaction: those are JSON-RPC errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] runtime::RuntimeError),
    /// The node's index (`node.redb`) failed.
    #[error("node index: {0}")]
    Index(String),
    /// The configuration is not usable.
    #[error("config: {0}")]
    Config(String),
    /// I/O (the RPC listener).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl NodeError {
    pub(crate) fn index(e: impl std::fmt::Display) -> NodeError {
        NodeError::Index(e.to_string())
    }
}
