//! The EVM's configuration (`[evm]` in the CLI's config file).

use revm::primitives::hardfork::SpecId;
use serde::{Deserialize, Serialize};

/// EIP-170: the largest runtime bytecode a contract may have.
pub const MAX_CODE_SIZE: usize = 24_576;

/// Gas for an EVM message given no limit: EIP-7825's per-transaction cap (Osaka).
pub const DEFAULT_GAS_LIMIT: u64 = 1 << 24;

/// The chain id EVM contracts see (`CHAINID`) unless configured.
pub const DEFAULT_CHAIN_ID: u64 = 0xc07e;

/// How the EVM behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvmConfig {
    /// The fork whose rules apply, by its name in revm (`Prague`, `Osaka`, ...).
    /// Default: the newest finalized fork revm supports (Osaka in revm 43).
    pub spec: String,
    /// The chain id (`CHAINID`, EIP-155).
    pub chain_id: u64,
    /// Opcodes refused at deploy (a scan of the code that skips PUSH data) and halting
    /// the call if reached anyway (e.g. in code a contract creates), by name:
    /// `["SELFDESTRUCT", "CALLCODE"]`.
    pub disabled_opcodes: Vec<String>,
    /// The largest runtime bytecode (EIP-170; init code may be twice this, EIP-3860).
    pub max_code_size: usize,
    /// The gas limit of a message that names none.
    pub default_gas_limit: u64,
}

impl Default for EvmConfig {
    fn default() -> EvmConfig {
        EvmConfig {
            spec: <&str>::from(SpecId::default()).to_string(),
            chain_id: DEFAULT_CHAIN_ID,
            disabled_opcodes: Vec::new(),
            max_code_size: MAX_CODE_SIZE,
            default_gas_limit: DEFAULT_GAS_LIMIT,
        }
    }
}

/// A configuration that does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `spec` names no fork revm knows.
    #[error("unknown EVM spec {0:?}")]
    UnknownSpec(String),
    /// `disabled_opcodes` names no opcode.
    #[error("unknown opcode {0:?} in evm.disabled_opcodes")]
    UnknownOpcode(String),
}

/// A configuration checked and resolved for execution.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) spec: SpecId,
    pub(crate) disabled: [bool; 256],
}

impl EvmConfig {
    pub(crate) fn resolve(&self) -> Result<Resolved, ConfigError> {
        let spec: SpecId = self.spec.parse().map_err(|_| ConfigError::UnknownSpec(self.spec.clone()))?;
        let mut disabled = [false; 256];
        for name in &self.disabled_opcodes {
            let op = (0..=255u8)
                .find(|&b| {
                    revm::bytecode::opcode::OpCode::new(b).is_some_and(|o| o.as_str() == name.as_str())
                })
                .ok_or_else(|| ConfigError::UnknownOpcode(name.clone()))?;
            disabled[op as usize] = true;
        }
        Ok(Resolved { spec, disabled })
    }
}
