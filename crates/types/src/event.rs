//! Events and block context.

use serde::{Deserialize, Serialize};

use crate::Address;

/// An event logged by a contract: a WASM contract's `log_event` (one topic) or an EVM
/// `LOG0`..`LOG4` (zero to four 32-byte topics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The contract that logged it.
    pub contract: Address,
    /// The topics, in order.
    pub topics: Vec<Vec<u8>>,
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
