//! The error kinds a contract call can end with.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a contract call failed, as every node must agree on it.
///
/// The string forms (`"out_of_gas"`, ...) are the stable names printed by the CLI in
/// `{"status":"error","error":{"kind":..}}`. [`ErrorKind::Timeout`] is the one kind that
/// is *not* a consensus outcome: it is a node fault (the wall-clock backstop fired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The module broke a deploy-time rule (format, imports, limits).
    Validation,
    /// The call ran out of gas; `gas_used` equals the gas limit.
    OutOfGas,
    /// The contract trapped (unreachable, bad memory access, stack limit, ...).
    Trap,
    /// The contract called `abort` with a message.
    Aborted,
    /// The wall-clock backstop interrupted the call. A node fault, not a consensus result.
    Timeout,
    /// A query tried to write or delete state.
    ReadOnly,
    /// An address, code id, entry point or height does not exist.
    NotFound,
    /// The sender may not do this (e.g. upgrade a contract it does not administer).
    Unauthorized,
    /// An argument was malformed or over a documented limit.
    InvalidArgument,
    /// The contract reverted (EVM `REVERT`); its revert data is in [`CallError::data`].
    Reverted,
    /// A contract's call to another would pass the configured call-depth limit.
    CallDepth,
    /// A contract's call would re-enter a contract already on the call stack, and the
    /// chain's reentrancy policy denies it.
    Reentrancy,
    /// A contract's balance could not cover the storage deposit of what the transaction
    /// left stored under it (`docs/gas.md`, "Storage deposits"); the transaction changed
    /// nothing.
    StorageDeposit,
}

impl ErrorKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::OutOfGas => "out_of_gas",
            ErrorKind::Trap => "trap",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Reverted => "reverted",
            ErrorKind::CallDepth => "call_depth",
            ErrorKind::Reentrancy => "reentrancy",
            ErrorKind::StorageDeposit => "storage_deposit",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a contract call failed: the consensus-visible kind, a message for people, and
/// any bytes the contract returned with its failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CallError {
    /// The outcome kind, part of consensus (except [`ErrorKind::Timeout`]).
    pub kind: ErrorKind,
    /// Human-readable detail.
    pub message: String,
    /// Bytes the contract returned as it failed (EVM revert data); empty otherwise.
    pub data: Vec<u8>,
}

impl CallError {
    /// Builds an error without data.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CallError {
        CallError { kind, message: message.into(), data: Vec::new() }
    }

    /// A revert carrying the contract's revert data.
    pub fn reverted(data: Vec<u8>) -> CallError {
        CallError { kind: ErrorKind::Reverted, message: "execution reverted".into(), data }
    }
}
