//! The CosmWasm VM's configuration and limits. Each limit is a named constant with a
//! test; the host-side ones are CosmWasm's own (cosmwasm-vm 2.x), so contracts see the
//! limits they were written against.

use serde::{Deserialize, Serialize};
use types::Gas;

/// The default gas limit of a CosmWasm message: 10⁸ cove gas, the runtime's cap per
/// transaction (`max_tx_gas`), so a call at the default limit ends by gas well before
/// the 2 s wall-clock backstop (`docs/gas.md`, "Gas caps").
pub const DEFAULT_GAS_LIMIT: u64 = 100_000_000;
/// Longest storage key a contract may read or write (cosmwasm-vm: 64 KiB).
pub const MAX_DB_KEY_LEN: usize = 64 * 1024;
/// Longest storage value a contract may write (cosmwasm-vm: 128 KiB).
pub const MAX_DB_VALUE_LEN: usize = 128 * 1024;
/// Longest human address accepted (cosmwasm-vm: 256 bytes).
pub const MAX_HUMAN_ADDRESS_LEN: usize = 256;
/// Longest canonical address accepted (cosmwasm-vm: 64 bytes; cove's are 20).
pub const MAX_CANONICAL_ADDRESS_LEN: usize = 64;
/// Longest `query_chain` request (cosmwasm-vm: 64 KiB).
pub const MAX_QUERY_REQUEST_LEN: usize = 64 * 1024;
/// Longest `debug` message (cosmwasm-vm: 2 MiB).
pub const MAX_DEBUG_LEN: usize = 2 * 1024 * 1024;
/// Longest `abort` message (cosmwasm-vm: 2 MiB).
pub const MAX_ABORT_LEN: usize = 2 * 1024 * 1024;
/// Longest message in `ed25519_verify` / `ed25519_batch_verify` (cosmwasm-vm: 128 KiB).
pub const MAX_ED25519_MESSAGE_LEN: usize = 128 * 1024;
/// Most signatures in one `ed25519_batch_verify` (cosmwasm-vm: 256).
pub const MAX_ED25519_BATCH: usize = 256;
/// Longest list of concatenated points read by `bls12_381_aggregate_g1`/`_g2` and each of
/// the two lists of `bls12_381_pairing_equality` (cosmwasm-vm
/// `BLS12_381_MAX_AGGREGATE_SIZE`: 2 MiB).
pub const MAX_BLS12_381_AGGREGATE_LEN: usize = 2 * 1024 * 1024;
/// Longest message `bls12_381_hash_to_g1`/`_g2` hash (cosmwasm-vm
/// `BLS12_381_MAX_MESSAGE_SIZE`: 5 MiB).
pub const MAX_BLS12_381_MESSAGE_LEN: usize = 5 * 1024 * 1024;
/// Longest domain separation tag of `bls12_381_hash_to_g1`/`_g2` (cosmwasm-vm
/// `BLS12_381_MAX_DST_SIZE`: 5 KiB).
pub const MAX_BLS12_381_DST_LEN: usize = 5 * 1024;
/// Most iterators one entry-point call may open with `db_scan` (cove's bound: each holds
/// its range in memory).
pub const MAX_ITERATORS: usize = 256;
/// Most event bytes one transaction may emit, counting each event's contract address
/// (20 bytes), type, attribute keys and values: 64 MiB, about the most one call of
/// cove's WASM VM may log at its default limits. Beyond it the transaction (or the
/// sub-message that passed it) fails with `invalid_argument`. Without it a transaction's
/// events were bounded only by its gas, at about one gas per byte; this keeps a node's
/// memory within the block's event limit plus one transaction's.
pub const MAX_TX_EVENT_BYTES: usize = 64 << 20;
/// Most `debug` lines kept per call (further lines are charged and dropped).
pub const MAX_DEBUG_LINES: usize = 1_000;
/// Upper bound of [`Limits::max_query_depth`] and [`Limits::max_message_depth`].
pub const MAX_DEPTH: u32 = 256;

/// How the CosmWasm VM behaves (`[cosmwasm]` in `cove.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The bech32 prefix of human addresses (`cove1...`).
    pub bech32_prefix: String,
    /// The chain id contracts see in `env.block.chain_id`.
    pub chain_id: String,
    /// The denomination of cove's native balance (the balance the other VMs see).
    pub native_denom: String,
    /// The capabilities contracts may require (`requires_*` exports).
    pub capabilities: Vec<String>,
    /// Gas limit of a message that names none ([`DEFAULT_GAS_LIMIT`]).
    pub default_gas_limit: Gas,
    /// Limits.
    pub limits: Limits,
    /// Host-function prices.
    pub costs: Costs,
    /// The staking and distribution modules: validators, unbonding period, rewards
    /// (`docs/cosmwasm.md`, "Staking and distribution").
    pub staking: crate::staking::StakingConfig,
    /// The governance module's proposals (`docs/cosmwasm.md`, "Governance votes").
    pub gov: crate::gov::GovConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bech32_prefix: "cove".into(),
            chain_id: "cove-local".into(),
            native_denom: "ucove".into(),
            capabilities: [
                "iterator",
                "cosmwasm_1_1",
                "cosmwasm_1_2",
                "cosmwasm_1_3",
                "cosmwasm_1_4",
                "cosmwasm_2_0",
                "cosmwasm_2_1",
                "cosmwasm_2_2",
                "staking",
                "stargate",
            ]
            .map(String::from)
            .to_vec(),
            default_gas_limit: DEFAULT_GAS_LIMIT,
            limits: Limits::default(),
            costs: Costs::default(),
            staking: crate::staking::StakingConfig::default(),
            gov: crate::gov::GovConfig::default(),
        }
    }
}

impl Config {
    /// The capability a message or query kind's module needs before it runs: `staking`
    /// for the staking and distribution modules, `stargate` for protobuf messages and
    /// governance (the cosmwasm-std features that build them). A chain whose recorded
    /// configuration lacks it (one configured before the modules existed) runs such
    /// messages as it always did: as unsupported.
    pub fn module_capability(kind: &str) -> Option<&'static str> {
        match kind {
            "staking" | "distribution" => Some("staking"),
            "gov" | "stargate" | "any" => Some("stargate"),
            _ => None,
        }
    }

    /// Whether the chain runs messages and queries of `kind` ([`Config::module_capability`]).
    pub fn runs(&self, kind: &str) -> bool {
        Config::module_capability(kind).is_none_or(|c| self.capabilities.iter().any(|have| have == c))
    }

    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        crate::address::Addresses::new(&self.bech32_prefix)?;
        if self.native_denom.is_empty() || self.chain_id.is_empty() {
            return Err("cosmwasm.native_denom and cosmwasm.chain_id must not be empty".into());
        }
        for (name, v) in [
            ("max_query_depth", self.limits.max_query_depth),
            ("max_message_depth", self.limits.max_message_depth),
        ] {
            if v == 0 || v > MAX_DEPTH {
                return Err(format!("cosmwasm.limits.{name} must be in 1..={MAX_DEPTH}, got {v}"));
            }
        }
        self.staking.validate()?;
        self.gov.validate()?;
        self.costs.validate()
    }
}

/// Bounds on what one transaction may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Nested `query_chain` smart queries (wasmd's query stack: 10). Deeper fails with
    /// `exceeded_recursion_limit`.
    pub max_query_depth: u32,
    /// Nested messages: a contract's message that makes a contract send messages, and so
    /// on (each level also pays gas). Deeper fails the message.
    pub max_message_depth: u32,
    /// Longest result region an entry point may return.
    pub max_result_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_query_depth: 10, max_message_depth: 32, max_result_len: 16 * 1024 * 1024 }
    }
}

/// Gas prices of the host functions (cove gas, the units of `docs/gas.md`).
///
/// The `secp256r1_*` and `bls12_381_*` prices are cosmwasm-vm 2.3.5's `GasConfig`
/// divided by 20,000, charged in the same shape (a fixed price, or a base plus a price
/// per point or pairing, the count estimated from the input's length as cosmwasm-vm
/// does). cosmwasm-vm prices 10⁶ gas per µs of its benchmarks; 50 cove gas per µs is
/// the scale of the secp256k1 and Ed25519 prices here and of the EVM precompile prices
/// cove charges 1:1. Every byte those functions read also pays [`Costs::per_byte`]
/// (cosmwasm-vm's `read_region_cost`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Costs {
    /// `db_read` base.
    pub db_read: u64,
    /// `db_write` base.
    pub db_write: u64,
    /// Per byte of key and value written.
    pub db_write_per_byte: u64,
    /// `db_remove` base.
    pub db_remove: u64,
    /// `db_scan` base.
    pub db_scan: u64,
    /// Per entry `db_scan` walks (the contract's committed entries and its keys written
    /// earlier in the block that fall in the range). 200: each entry walked is copied
    /// (twice, into the iterator), and a scan loop must end by gas long before the
    /// wall-clock backstop even in a debug build.
    pub db_scan_per_entry: u64,
    /// `db_next`, `db_next_key`, `db_next_value`.
    pub db_next: u64,
    /// `addr_validate`, `addr_canonicalize`, `addr_humanize`.
    pub addr: u64,
    /// `secp256k1_verify`, `ed25519_verify` (and per signature of a batch).
    pub verify: u64,
    /// `secp256k1_recover_pubkey`, charged once the recovery parameter is known to be a
    /// byte (a larger one returns its error code first, as in cosmwasm-vm).
    pub recover: u64,
    /// `secp256r1_verify` (cosmwasm-vm: 279 µs).
    pub secp256r1_verify: u64,
    /// `secp256r1_recover_pubkey` (592 µs), charged once the recovery parameter is
    /// known to be a byte (a larger one returns its error code first, as in cosmwasm-vm).
    pub secp256r1_recover: u64,
    /// `bls12_381_aggregate_g1` base (68 µs: cosmwasm-vm halves its single-core figures,
    /// assuming four cores; cove aggregates on one, so these are generous).
    pub bls12_381_aggregate_g1: u64,
    /// Per 48 bytes of points given to `bls12_381_aggregate_g1` (12 µs).
    pub bls12_381_aggregate_g1_per_point: u64,
    /// `bls12_381_aggregate_g2` base (103.5 µs, halved as for G1).
    pub bls12_381_aggregate_g2: u64,
    /// Per 96 bytes of points given to `bls12_381_aggregate_g2` (24.5 µs).
    pub bls12_381_aggregate_g2_per_point: u64,
    /// `bls12_381_pairing_equality` base (2,112 µs).
    pub bls12_381_pairing_equality: u64,
    /// Per pairing of `bls12_381_pairing_equality`: n + 1 for n = the length of the G1
    /// list ÷ 48 (163 µs).
    pub bls12_381_pairing_equality_per_pair: u64,
    /// `bls12_381_hash_to_g1` (563 µs).
    pub bls12_381_hash_to_g1: u64,
    /// `bls12_381_hash_to_g2` (871 µs).
    pub bls12_381_hash_to_g2: u64,
    /// `debug` and `abort` base.
    pub debug: u64,
    /// `query_chain` base (a smart query also pays for the queried contract's run).
    pub query: u64,
    /// Per byte read or copied (values read, messages hashed, debug text).
    pub per_byte: u64,
}

impl Costs {
    /// Checks every price: per-entry and per-byte prices in `1..=wasm::MAX_UNIT_PRICE`,
    /// the others in `1..=wasm::MAX_HOST_PRICE` (the bounds of cove's own host prices).
    /// No price may be 0: free work would escape the bound gas puts on a call's time.
    pub fn validate(&self) -> Result<(), String> {
        let units = [
            ("db_write_per_byte", self.db_write_per_byte),
            ("db_scan_per_entry", self.db_scan_per_entry),
            ("per_byte", self.per_byte),
        ];
        let bases = [
            ("db_read", self.db_read),
            ("db_write", self.db_write),
            ("db_remove", self.db_remove),
            ("db_scan", self.db_scan),
            ("db_next", self.db_next),
            ("addr", self.addr),
            ("verify", self.verify),
            ("recover", self.recover),
            ("secp256r1_verify", self.secp256r1_verify),
            ("secp256r1_recover", self.secp256r1_recover),
            ("bls12_381_aggregate_g1", self.bls12_381_aggregate_g1),
            ("bls12_381_aggregate_g1_per_point", self.bls12_381_aggregate_g1_per_point),
            ("bls12_381_aggregate_g2", self.bls12_381_aggregate_g2),
            ("bls12_381_aggregate_g2_per_point", self.bls12_381_aggregate_g2_per_point),
            ("bls12_381_pairing_equality", self.bls12_381_pairing_equality),
            ("bls12_381_pairing_equality_per_pair", self.bls12_381_pairing_equality_per_pair),
            ("bls12_381_hash_to_g1", self.bls12_381_hash_to_g1),
            ("bls12_381_hash_to_g2", self.bls12_381_hash_to_g2),
            ("debug", self.debug),
            ("query", self.query),
        ];
        for (fields, max, max_name) in [
            (&units[..], wasm::MAX_UNIT_PRICE, "MAX_UNIT_PRICE"),
            (&bases[..], wasm::MAX_HOST_PRICE, "MAX_HOST_PRICE"),
        ] {
            for &(name, price) in fields {
                if price == 0 || price > max {
                    return Err(format!(
                        "cosmwasm.costs.{name} must be in 1..={max} ({max_name}), got {price}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// cosmwasm-vm's gas per µs of its crypto benchmarks (its `GasConfig`, 10¹² per second).
pub const COSMWASM_GAS_PER_US: u64 = 1_000_000;

/// cosmwasm-vm's gas per Wasm operation (`GAS_PER_OPERATION`); cove charges 1 for the
/// same (`base`) operation. Dividing cosmwasm-vm's host prices by it keeps crypto as
/// dear relative to contract code as it is on cosmwasm-vm, so gas bounds the time of a
/// crypto-heavy call as it bounds a compute-heavy one (`docs/gas.md`, Timeout).
pub const COSMWASM_GAS_PER_COVE_GAS: u64 = 115;

/// A cosmwasm-vm price in cove gas, rounded up.
const fn from_cosmwasm_vm(gas: u64) -> u64 {
    gas.div_ceil(COSMWASM_GAS_PER_COVE_GAS)
}

impl Default for Costs {
    fn default() -> Costs {
        Costs {
            db_read: 100,
            db_write: 1_000,
            db_write_per_byte: 10,
            db_remove: 500,
            db_scan: 500,
            db_scan_per_entry: 200,
            db_next: 50,
            addr: 200,
            verify: from_cosmwasm_vm(96 * COSMWASM_GAS_PER_US),
            recover: from_cosmwasm_vm(194 * COSMWASM_GAS_PER_US),
            secp256r1_verify: from_cosmwasm_vm(279 * COSMWASM_GAS_PER_US),
            secp256r1_recover: from_cosmwasm_vm(592 * COSMWASM_GAS_PER_US),
            bls12_381_aggregate_g1: from_cosmwasm_vm(136 * COSMWASM_GAS_PER_US / 2),
            bls12_381_aggregate_g1_per_point: from_cosmwasm_vm(24 * COSMWASM_GAS_PER_US / 2),
            bls12_381_aggregate_g2: from_cosmwasm_vm(207 * COSMWASM_GAS_PER_US / 2),
            bls12_381_aggregate_g2_per_point: from_cosmwasm_vm(49 * COSMWASM_GAS_PER_US / 2),
            bls12_381_pairing_equality: from_cosmwasm_vm(2112 * COSMWASM_GAS_PER_US),
            bls12_381_pairing_equality_per_pair: from_cosmwasm_vm(163 * COSMWASM_GAS_PER_US),
            bls12_381_hash_to_g1: from_cosmwasm_vm(563 * COSMWASM_GAS_PER_US),
            bls12_381_hash_to_g2: from_cosmwasm_vm(871 * COSMWASM_GAS_PER_US),
            debug: 100,
            query: 1_000,
            per_byte: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cosmwasm-vm 2.3.5's `GasConfig::default()` for the signature and BLS12-381
    /// functions, over its gas per operation: each cove price covers the same number of
    /// cove base operations as cosmwasm-vm's covers of its operations.
    #[test]
    fn crypto_prices_are_cosmwasm_vm_prices_per_operation() {
        const US: u64 = COSMWASM_GAS_PER_US;
        let c = Costs::default();
        let cosmwasm_vm = [
            (c.verify, 96 * US),
            (c.recover, 194 * US),
            (c.secp256r1_verify, 279 * US),
            (c.secp256r1_recover, 592 * US),
            (c.bls12_381_aggregate_g1, 136 * US / 2),
            (c.bls12_381_aggregate_g1_per_point, 24 * US / 2),
            (c.bls12_381_aggregate_g2, 207 * US / 2),
            (c.bls12_381_aggregate_g2_per_point, 49 * US / 2),
            (c.bls12_381_hash_to_g1, 563 * US),
            (c.bls12_381_hash_to_g2, 871 * US),
            (c.bls12_381_pairing_equality, 2112 * US),
            (c.bls12_381_pairing_equality_per_pair, 163 * US),
        ];
        for (cove, theirs) in cosmwasm_vm {
            // Rounded up: never cheaper than cosmwasm-vm's.
            assert!(cove * COSMWASM_GAS_PER_COVE_GAS >= theirs, "{cove} for {theirs}");
            assert!((cove - 1) * COSMWASM_GAS_PER_COVE_GAS < theirs, "{cove} for {theirs}");
        }
        // A default-limit call spent on crypto is 11.5 ms of cosmwasm-vm's benchmarked
        // crypto (about 0.08 s of pairings on this 2-core machine class, where one takes
        // ~1.1 ms): far within the 2 s wall-clock backstop.
        let us = DEFAULT_GAS_LIMIT * COSMWASM_GAS_PER_COVE_GAS / US;
        assert!(us < 20_000, "{us} µs");
    }

    /// Every price is range-checked against its documented bound, and none may be 0.
    #[test]
    fn every_price_is_validated() {
        let defaults = serde_json::to_value(Costs::default()).unwrap();
        let names: Vec<String> = defaults.as_object().unwrap().keys().cloned().collect();
        assert_eq!(names.len(), 23, "every field is checked below");
        for name in names {
            let unit = matches!(name.as_str(), "db_write_per_byte" | "db_scan_per_entry" | "per_byte");
            let max = if unit { wasm::MAX_UNIT_PRICE } else { wasm::MAX_HOST_PRICE };
            let with = |v: u64| {
                let mut json = defaults.clone();
                json[&name] = v.into();
                let costs: Costs = serde_json::from_value(json).unwrap();
                Config { costs, ..Config::default() }.validate()
            };
            for bad in [0, max + 1, u64::MAX] {
                let e = with(bad).expect_err(&name);
                assert!(e.contains(&name) && e.contains(&max.to_string()), "{name} = {bad}: {e}");
            }
            for good in [1, max] {
                with(good).unwrap_or_else(|e| panic!("{name} = {good}: {e}"));
            }
        }
    }

    #[test]
    fn curve_prices_are_configurable() {
        // Any field may be set (`[cosmwasm.costs]`); the others keep their defaults.
        let costs: Costs =
            serde_json::from_str(r#"{"bls12_381_hash_to_g2": 7, "secp256r1_verify": 9}"#).unwrap();
        assert_eq!((costs.bls12_381_hash_to_g2, costs.secp256r1_verify), (7, 9));
        assert_eq!(costs.bls12_381_pairing_equality, Costs::default().bls12_381_pairing_equality);
    }
}
