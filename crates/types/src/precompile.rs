//! The precompile seam: how a VM reaches precompiled contracts it does not implement.
//!
//! The WASM VM knows no precompile itself: the runtime hands it a [`Precompiles`]
//! (cove's registry in `cove-evm`, shared with the EVM) and the `precompile` host
//! function calls through it.

/// How a precompile call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrecompileCall {
    /// It succeeded, using `gas_used` (at most the limit it was given).
    Success {
        /// Gas the precompile charged.
        gas_used: u64,
        /// Its output.
        output: Vec<u8>,
    },
    /// It failed (bad input, or not enough gas): like an EVM call to a precompile, it
    /// consumed all the gas it was given.
    Failure,
}

/// A set of precompiled contracts, by 20-byte address.
pub trait Precompiles: Send + Sync {
    /// Runs the precompile at `address` on `input` with at most `gas_limit` gas, or
    /// `None` if there is no precompile at `address`.
    fn call(&self, address: &[u8; 20], input: &[u8], gas_limit: u64) -> Option<PrecompileCall>;
}
