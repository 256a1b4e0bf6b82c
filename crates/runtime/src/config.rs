//! Runtime configuration (the CLI's `--config` TOML file).

use serde::{Deserialize, Serialize};
use types::Gas;

/// Gas limit of a call that names none. By default 100,000,000.
pub const DEFAULT_GAS_LIMIT: Gas = 100_000_000;

/// Everything cove is configured by.
///
/// In TOML, runtime fields sit at the top level, the VM's under `[wasm]`,
/// `[wasm.limits]`, `[wasm.gas.ops]`, `[wasm.gas.host]` and `[wasm.host_limits]`, and
/// the module cache's under `[cache]`, the EVM's under `[evm]`, the store's under `[state]`,
/// the CosmWasm VM's under `[cosmwasm]`, the block's limits under `[block]`; `docs/gas.md`, `docs/abi.md` and `docs/cache.md`
/// list every field with its default. Unknown fields are
/// rejected, so a typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Gas limit of a call that names none.
    pub default_gas_limit: Gas,
    /// The WASM VM's limits, gas schedule and timeout.
    pub wasm: wasm::Config,
    /// The compiled-module cache's sizes.
    pub cache: cache::CacheConfig,
    /// The EVM's fork, chain id, disabled opcodes and limits.
    pub evm: evm::EvmConfig,
    /// What the authenticated store keeps: tree depth, checkpoints, recent heights
    /// (`docs/state.md`).
    pub state: state::StoreConfig,
    /// The CosmWasm VM's address prefix, denominations, capabilities, limits and host
    /// prices (`docs/cosmwasm.md`).
    pub cosmwasm: cosmwasm::Config,
    /// What one block may hold: event bytes and transactions (`docs/cli.md`).
    pub block: crate::BlockLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_gas_limit: DEFAULT_GAS_LIMIT,
            wasm: wasm::Config::default(),
            cache: cache::CacheConfig::default(),
            evm: evm::EvmConfig::default(),
            state: state::StoreConfig::default(),
            cosmwasm: cosmwasm::Config::default(),
            block: crate::BlockLimits::default(),
        }
    }
}
