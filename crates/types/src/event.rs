//! Events and block context.

use serde::{Deserialize, Serialize};

use crate::Address;

/// An event logged by a contract through `log_event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The contract that logged it.
    pub contract: Address,
    /// The topic bytes.
    pub topic: Vec<u8>,
    /// The data bytes.
    pub data: Vec<u8>,
}

/// The block a call executes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockInfo {
    /// Block height; the first block after genesis is 1.
    pub height: u64,
    /// Block time in unix seconds.
    pub timestamp: u64,
}
