//! Runtime configuration (the CLI's `--config` TOML file).

use serde::{Deserialize, Serialize};
use types::{Gas, MAX_GAS_LIMIT};

/// Gas limit of a call that names none. By default 100,000,000.
pub const DEFAULT_GAS_LIMIT: Gas = 100_000_000;

/// Default of [`Config::max_tx_gas`]: the largest gas limit a transaction may name.
/// At the worst measured cost per gas unit on this machine class (`docs/gas.md`,
/// "Gas caps"), it is well under a quarter of the 2 s wall-clock backstop.
pub const DEFAULT_MAX_TX_GAS: Gas = 100_000_000;

/// Default of [`Config::max_block_gas`]: the most gas the transactions of one block may
/// use in all (`docs/gas.md`, "Gas caps").
pub const DEFAULT_MAX_BLOCK_GAS: Gas = 1_000_000_000;

/// Default of [`CallsConfig::max_call_depth`].
pub const DEFAULT_MAX_CALL_DEPTH: u32 = 16;

/// The largest [`CallsConfig::max_call_depth`] accepted. Every level of a call chain
/// holds a live instance, and the engine's pool has `wasm::MAX_CONCURRENT_INSTANCES`
/// (128) per compiler tier, shared by every call running at once in the process: one
/// chain of 64 levels fits, but concurrent queries with deep chains can exhaust the
/// pool, which fails the call as a node fault (`docs/abi.md`, "Calls between
/// contracts", known limits).
pub const MAX_CALL_DEPTH: u32 = 64;

/// The largest term of [`GasRate`] accepted: either VM's gas may be worth up to a
/// million of the other's.
pub const MAX_GAS_RATE_TERM: u64 = 1_000_000;

/// How EVM gas and cove gas (the gas of cove's ABI and of CosmWasm contracts) convert
/// when a contract of one calls a contract of the other: `evm` units of EVM gas are
/// worth `cove` units of cove gas. TOML: `[calls] evm_gas_rate = { evm = 1, cove = 1 }`
/// (the default: one for one). Each term in `1..=MAX_GAS_RATE_TERM`.
///
/// The callee's limit converts into its unit rounding down (capped by `max_tx_gas`);
/// the gas it used converts back rounding up, so the caller never pays less than the
/// callee used and never more than it forwarded (`docs/gas.md`, "Calls between VMs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasRate {
    /// EVM gas ...
    pub evm: u64,
    /// ... worth this much cove gas.
    pub cove: u64,
}

impl Default for GasRate {
    fn default() -> Self {
        GasRate { evm: 1, cove: 1 }
    }
}

impl GasRate {
    /// `(num, den)`: callee gas per caller gas, for a call from the EVM (`from_evm`) or
    /// to it.
    fn ratio(&self, from_evm: bool) -> (u128, u128) {
        if from_evm { (self.cove as u128, self.evm as u128) } else { (self.evm as u128, self.cove as u128) }
    }

    /// A caller's gas `limit` in the callee's unit, rounding down, at most `cap`.
    pub fn to_callee(&self, from_evm: bool, limit: Gas, cap: Gas) -> Gas {
        let (num, den) = self.ratio(from_evm);
        u64::try_from(limit as u128 * num / den).unwrap_or(u64::MAX).min(cap)
    }

    /// Gas a callee `used`, in the caller's unit, rounding up.
    pub fn to_caller(&self, from_evm: bool, used: Gas) -> Gas {
        let (num, den) = self.ratio(from_evm);
        u64::try_from((used as u128 * den).div_ceil(num)).unwrap_or(u64::MAX)
    }

    fn is_one(&self) -> bool {
        self.evm == self.cove
    }
}

/// Whether a contract already on the call stack may be entered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reentrancy {
    /// Refused: the call fails with kind `reentrancy` (the caller sees its status).
    #[default]
    Deny,
    /// Allowed, as the EVM does: contracts guard themselves.
    Allow,
}

/// Calls between contracts (TOML `[calls]`, `docs/abi.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsConfig {
    /// How deep calls may nest: a transaction's contract runs at depth 0, a contract it
    /// calls at depth 1; a call that would run at a greater depth fails with kind
    /// `call_depth`. In `1..=MAX_CALL_DEPTH`; by default [`DEFAULT_MAX_CALL_DEPTH`].
    pub max_call_depth: u32,
    /// The reentrancy policy. By default [`Reentrancy::Deny`].
    pub reentrancy: Reentrancy,
    /// How gas converts between the EVM and the other VMs. By default one for one.
    pub evm_gas_rate: GasRate,
}

impl Default for CallsConfig {
    fn default() -> Self {
        CallsConfig {
            max_call_depth: DEFAULT_MAX_CALL_DEPTH,
            reentrancy: Reentrancy::Deny,
            evm_gas_rate: GasRate::default(),
        }
    }
}

impl CallsConfig {
    /// Checks `max_call_depth` against `1..=MAX_CALL_DEPTH` and each term of
    /// `evm_gas_rate` against `1..=MAX_GAS_RATE_TERM`.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_call_depth == 0 || self.max_call_depth > MAX_CALL_DEPTH {
            return Err(format!(
                "calls.max_call_depth must be in 1..={MAX_CALL_DEPTH}, got {}",
                self.max_call_depth
            ));
        }
        let GasRate { evm, cove } = self.evm_gas_rate;
        for (name, term) in [("evm", evm), ("cove", cove)] {
            if term == 0 || term > MAX_GAS_RATE_TERM {
                return Err(format!(
                    "calls.evm_gas_rate.{name} must be in 1..={MAX_GAS_RATE_TERM}, got {term}"
                ));
            }
        }
        Ok(())
    }

    /// Whether calls between the EVM and the other VMs convert gas (the rate is not
    /// one for one).
    pub(crate) fn converts_gas(&self) -> bool {
        !self.evm_gas_rate.is_one()
    }
}

/// The largest [`Parallelism::threads`] accepted: 256.
pub const MAX_EXECUTION_THREADS: usize = 256;

/// The threads `threads = 0` (the default) runs on: one per core, at most 8. Past about
/// 8 the block's serial parts bound the speed-up (`docs/parallel.md`, "How it scales"),
/// while each thread holds VMs and compiled modules of its own; a larger count is
/// there to be set.
pub const MAX_AUTO_EXECUTION_THREADS: usize = 8;

/// How a node runs a block's transactions (TOML `[execution]`, `docs/parallel.md`).
/// Node-local: every thread count gives the same results, gas, events and state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parallelism {
    /// Threads that run a batch of transactions ([`crate::Block::run_batch`]): 1 runs
    /// them one after another on the caller's thread; more run them optimistically in
    /// parallel and commit them in order; 0 (the default) is one per core, at most
    /// [`MAX_AUTO_EXECUTION_THREADS`]. At most [`MAX_EXECUTION_THREADS`].
    pub threads: usize,
}

impl Parallelism {
    /// Checks `threads` against `0..=MAX_EXECUTION_THREADS`.
    pub fn validate(&self) -> Result<(), String> {
        if self.threads > MAX_EXECUTION_THREADS {
            return Err(format!(
                "execution.threads must be in 0..={MAX_EXECUTION_THREADS} (0: one per core, at most {MAX_AUTO_EXECUTION_THREADS}), got {}",
                self.threads
            ));
        }
        Ok(())
    }

    /// The threads to use: `threads`, or one per core (at most
    /// [`MAX_AUTO_EXECUTION_THREADS`]) if it is 0.
    pub fn resolved(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_AUTO_EXECUTION_THREADS),
            n => n,
        }
    }
}

/// Everything cove is configured by.
///
/// In TOML, runtime fields sit at the top level, the VM's under `[wasm]`,
/// `[wasm.limits]`, `[wasm.gas.ops]`, `[wasm.gas.host]` and `[wasm.host_limits]`, and
/// the module cache's under `[cache]`, the EVM's under `[evm]`, the store's under `[state]`,
/// the CosmWasm VM's under `[cosmwasm]`, the block's limits under `[block]`, calls between contracts under `[calls]`,
/// storage deposits under `[storage_deposit]`, parallel execution under `[execution]`; `docs/gas.md`, `docs/abi.md` and `docs/cache.md`
/// list every field with its default. Unknown fields are
/// rejected, so a typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Gas limit of a call that names none.
    pub default_gas_limit: Gas,
    /// The largest gas limit a transaction or query may name (or get by default, in any
    /// VM), in `1..=MAX_GAS_LIMIT`; a larger one is refused, never clamped. By default
    /// [`DEFAULT_MAX_TX_GAS`].
    pub max_tx_gas: Gas,
    /// The most gas one block's transactions may use in all, at least `max_tx_gas`: a
    /// transaction is admitted to a block only while its gas limit (or `max_tx_gas` if it
    /// names none) fits in what the block has left. By default [`DEFAULT_MAX_BLOCK_GAS`].
    pub max_block_gas: Gas,
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
    /// Calls between contracts: depth limit and reentrancy policy.
    pub calls: CallsConfig,
    /// The price of stored bytes: the native balance each contract holds per byte it
    /// keeps (`docs/gas.md`, "Storage deposits"). Off by default, and left out when
    /// serialised while it is (as in the chain's canonical bytes).
    #[serde(skip_serializing_if = "vm::deposit::StorageDeposit::is_default")]
    pub storage_deposit: vm::deposit::StorageDeposit,
    /// How many threads run a block's transactions (node-local).
    pub execution: Parallelism,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_gas_limit: DEFAULT_GAS_LIMIT,
            max_tx_gas: DEFAULT_MAX_TX_GAS,
            max_block_gas: DEFAULT_MAX_BLOCK_GAS,
            wasm: wasm::Config::default(),
            cache: cache::CacheConfig::default(),
            evm: evm::EvmConfig::default(),
            state: state::StoreConfig::default(),
            cosmwasm: cosmwasm::Config::default(),
            block: crate::BlockLimits::default(),
            calls: CallsConfig::default(),
            storage_deposit: vm::deposit::StorageDeposit::default(),
            execution: Parallelism::default(),
        }
    }
}

impl Config {
    /// Checks the gas caps: `max_tx_gas` in `1..=MAX_GAS_LIMIT`, `max_block_gas` in
    /// `max_tx_gas..=MAX_GAS_LIMIT`, and every VM's default gas limit within `max_tx_gas`.
    pub fn validate_gas(&self) -> Result<(), String> {
        if self.max_tx_gas == 0 || self.max_tx_gas > MAX_GAS_LIMIT {
            return Err(format!("max_tx_gas must be in 1..={MAX_GAS_LIMIT}, got {}", self.max_tx_gas));
        }
        if self.max_block_gas < self.max_tx_gas || self.max_block_gas > MAX_GAS_LIMIT {
            return Err(format!(
                "max_block_gas must be in max_tx_gas ({})..={MAX_GAS_LIMIT}, got {}",
                self.max_tx_gas, self.max_block_gas
            ));
        }
        for (name, limit) in [
            ("default_gas_limit", self.default_gas_limit),
            ("cosmwasm.default_gas_limit", self.cosmwasm.default_gas_limit),
            ("evm.default_gas_limit", self.evm.default_gas_limit),
        ] {
            if limit > self.max_tx_gas {
                return Err(format!("{name} = {limit} exceeds max_tx_gas ({})", self.max_tx_gas));
            }
        }
        Ok(())
    }

    /// Refuses a gas limit above `max_tx_gas` (the message names the cap).
    pub fn check_gas_limit(&self, gas_limit: Option<Gas>) -> Result<(), String> {
        check_gas_limit(self.max_tx_gas, gas_limit)
    }
}

/// [`Config::check_gas_limit`] with `max_tx_gas` alone (the dispatch keeps only that).
pub(crate) fn check_gas_limit(max_tx_gas: Gas, gas_limit: Option<Gas>) -> Result<(), String> {
    match gas_limit {
        Some(limit) if limit > max_tx_gas => {
            Err(format!("gas limit {limit} exceeds the maximum per transaction, max_tx_gas = {max_tx_gas}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_converts_down_into_the_callee_and_up_back() {
        let rate = GasRate { evm: 3, cove: 2 };
        // cove -> EVM: 1 cove gas is 1.5 EVM gas.
        assert_eq!(rate.to_callee(false, 1_001, u64::MAX), 1_501);
        assert_eq!(rate.to_caller(false, 1_501), 1_001);
        assert_eq!(rate.to_caller(false, 1_500), 1_000);
        assert_eq!(rate.to_caller(false, 1), 1, "a partial unit is a whole one");
        // EVM -> cove: 1 EVM gas is 2/3 cove gas.
        assert_eq!(rate.to_callee(true, 1_000, u64::MAX), 666);
        assert_eq!(rate.to_caller(true, 666), 999);
        assert_eq!(rate.to_caller(true, 1), 2);
        assert_eq!(rate.to_callee(true, 1_000, 10), 10, "capped");
        // Whatever the callee uses of what it got, the caller pays at most what it gave.
        for limit in [0, 1, 2, 3, 7, 1_000, 1 << 40] {
            for from_evm in [false, true] {
                let given = rate.to_callee(from_evm, limit, u64::MAX);
                assert!(rate.to_caller(from_evm, given) <= limit, "{limit} {from_evm}");
            }
        }
        let huge = GasRate { evm: MAX_GAS_RATE_TERM, cove: 1 };
        assert_eq!(huge.to_callee(false, u64::MAX, u64::MAX), u64::MAX, "saturates");
        assert_eq!(huge.to_caller(true, u64::MAX), u64::MAX, "saturates");
        assert!(GasRate::default().is_one());
    }

    #[test]
    fn gas_rate_terms_are_checked_against_their_range() {
        for (term, valid) in
            [(0, false), (1, true), (MAX_GAS_RATE_TERM, true), (MAX_GAS_RATE_TERM + 1, false)]
        {
            for rate in [GasRate { evm: term, cove: 1 }, GasRate { evm: 1, cove: term }] {
                let calls = CallsConfig { evm_gas_rate: rate, ..CallsConfig::default() };
                match calls.validate() {
                    Ok(()) => assert!(valid, "{rate:?} accepted"),
                    Err(e) => {
                        assert!(!valid, "{rate:?} refused: {e}");
                        assert!(e.contains("calls.evm_gas_rate"), "{e}");
                    }
                }
            }
        }
    }
}
