//! The chain's execution configuration: every setting that can change a result, its gas,
//! its events or the state, as one value with a canonical encoding and a hash.
//!
//! [`Config`] is what a node is configured by (the `--config` TOML file); it holds two
//! kinds of settings. [`ExecutionConfig`] is the chain's share of it and everything else
//! is node-local ([`NODE_LOCAL_SETTINGS`]); `docs/chain-config.md` lists both. This module
//! splits a `Config` into the two, puts them back together, encodes the chain's share
//! canonically and names the settings on which two of them differ. It must not read or
//! write the store (`chain::versions` does) nor build a VM.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use types::Gas;

use crate::{BlockLimits, CallsConfig, Config};

/// The format byte that starts [`ExecutionConfig::canonical_bytes`].
pub const EXECUTION_CONFIG_FORMAT: u8 = 1;

/// The largest canonical encoding of an [`ExecutionConfig`] accepted from the store:
/// 64 KiB. The default configuration encodes in about 2.3 KiB; what grows with the
/// user's choices (lists of capabilities and disabled opcodes, names) stays far below.
pub const MAX_EXECUTION_CONFIG_BYTES: usize = 64 * 1024;

/// The settings of [`Config`] that are the node's own: they may differ from node to node
/// and from run to run without changing any result, gas, event or state. Dotted names
/// as in the TOML file; a name covers everything under it. Every other setting is part
/// of [`ExecutionConfig`] (a test checks that each field of `Config` is one or the
/// other, so a new setting has to be classified).
///
/// * `wasm.mode`, `wasm.jit_threshold` (also read under their older names
///   `wasm.compiler`, `wasm.tier_up_after_calls`): which code generator runs the
///   instrumented code and when it switches (`docs/modes.md`); the metering is in the
///   bytecode, so every result and gas figure is the same under each (`docs/gas.md`).
/// * `wasm.timeout_ms`: the wall-clock backstop; firing is a node fault that is never
///   committed, never a result.
/// * `cache`: the compiled-module cache's sizes and disk tier.
/// * `state`: what the store keeps and how it writes. Its `tree_depth` and
///   `checkpoint_interval` shape the state root and the history, so they are fixed when
///   the store is created and recorded by the store itself, which refuses another
///   (`docs/state.md`); no upgrade can change them.
/// * `execution`: how many threads run a block's transactions; every count gives the
///   same results (`docs/parallel.md`).
pub const NODE_LOCAL_SETTINGS: &[&str] = &[
    "wasm.mode",
    "wasm.jit_threshold",
    "wasm.compiler",
    "wasm.tier_up_after_calls",
    "wasm.timeout_ms",
    "cache",
    "state",
    "execution",
];

/// The WASM VM's share of the chain's configuration: what changes the instrumented code
/// or what a host function accepts (TOML `[wasm.limits]`, `[wasm.gas]`,
/// `[wasm.host_limits]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WasmExecution {
    /// Deploy-time structural limits and the deterministic stack budget.
    pub limits: wasm::Limits,
    /// The gas schedule.
    pub gas: wasm::GasSchedule,
    /// Host-function byte limits.
    pub host_limits: wasm::HostLimits,
}

impl Default for WasmExecution {
    fn default() -> Self {
        ExecutionConfig::of(&Config::default()).wasm
    }
}

/// Every setting that can change a result, its gas, its events or the state: the part of
/// [`Config`] that belongs to the chain, not to a node. Written into the store with the
/// first block and changed only by an upgrade that takes effect at a height
/// (`docs/chain-config.md`); each block runs with the version in force at its height.
///
/// Its field names are `Config`'s, so a setting has the same dotted name in both
/// (`wasm.gas.host.storage_write`, `max_tx_gas`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutionConfig {
    /// Gas limit of a call of cove's ABI that names none.
    pub default_gas_limit: Gas,
    /// The largest gas limit a transaction may name.
    pub max_tx_gas: Gas,
    /// The most gas one block's transactions may use in all.
    pub max_block_gas: Gas,
    /// The WASM VM's limits and gas schedule.
    pub wasm: WasmExecution,
    /// The EVM's fork, chain id, disabled opcodes and limits.
    pub evm: evm::EvmConfig,
    /// The CosmWasm VM's addresses, denominations, capabilities, limits and prices.
    pub cosmwasm: cosmwasm::Config,
    /// What one block may hold.
    pub block: BlockLimits,
    /// Calls between contracts: depth, reentrancy, the gas rate between the VMs.
    pub calls: CallsConfig,
    /// The price of stored bytes. Left out of the canonical bytes while it is the
    /// default (off), so a chain that never prices storage keeps its configuration's
    /// bytes and hash, and a record written before it existed reads as off.
    #[serde(skip_serializing_if = "vm::deposit::StorageDeposit::is_default")]
    pub storage_deposit: vm::deposit::StorageDeposit,
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        ExecutionConfig::of(&Config::default())
    }
}

/// One setting on which two execution configurations differ: its dotted name and both
/// values (as JSON: numbers bare, strings quoted). Displays as
/// `wasm.gas.host.storage_write: chain 1000, local 250`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The setting, as named in the TOML file.
    pub setting: String,
    /// Its value in the chain's configuration (`absent` if it has none).
    pub chain: String,
    /// Its value in the local configuration (`absent` if it has none).
    pub local: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: chain {}, local {}", self.setting, self.chain, self.local)
    }
}

impl ExecutionConfig {
    /// The chain's share of `config`, in canonical form (the lists that are sets,
    /// `evm.disabled_opcodes` and `cosmwasm.capabilities`, sorted and deduplicated).
    pub fn of(config: &Config) -> ExecutionConfig {
        ExecutionConfig {
            default_gas_limit: config.default_gas_limit,
            max_tx_gas: config.max_tx_gas,
            max_block_gas: config.max_block_gas,
            wasm: WasmExecution {
                limits: config.wasm.limits.clone(),
                gas: config.wasm.gas.clone(),
                host_limits: config.wasm.host_limits,
            },
            evm: config.evm.clone(),
            cosmwasm: config.cosmwasm.clone(),
            block: config.block,
            calls: config.calls,
            storage_deposit: config.storage_deposit,
        }
        .normalized()
    }

    /// `local` with every execution setting replaced by this configuration's: the
    /// configuration a node runs a block with (its node-local settings are `local`'s).
    pub fn apply_to(&self, local: &Config) -> Config {
        let mut config = local.clone();
        config.default_gas_limit = self.default_gas_limit;
        config.max_tx_gas = self.max_tx_gas;
        config.max_block_gas = self.max_block_gas;
        config.wasm.limits = self.wasm.limits.clone();
        config.wasm.gas = self.wasm.gas.clone();
        config.wasm.host_limits = self.wasm.host_limits;
        config.evm = self.evm.clone();
        config.cosmwasm = self.cosmwasm.clone();
        config.block = self.block;
        config.calls = self.calls;
        config.storage_deposit = self.storage_deposit;
        config
    }

    /// Sets sorted and deduplicated: two configurations that allow the same things
    /// encode the same.
    fn normalized(mut self) -> ExecutionConfig {
        for list in [&mut self.evm.disabled_opcodes, &mut self.cosmwasm.capabilities] {
            list.sort();
            list.dedup();
        }
        self
    }

    /// Checks every value against its documented range, as a runtime built with it would
    /// (gas caps, prices, limits, the EVM's fork and opcodes, calls, block limits); the
    /// message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        let config = self.apply_to(&Config::default());
        config.validate_gas()?;
        config.calls.validate()?;
        config.storage_deposit.validate()?;
        config.block.validate()?;
        config.wasm.validate().map_err(|e| format!("wasm.{e}"))?;
        config.cosmwasm.validate()?;
        let bytes = self.canonical_bytes().len();
        if bytes > MAX_EXECUTION_CONFIG_BYTES {
            return Err(format!(
                "the configuration encodes in {bytes} bytes, over MAX_EXECUTION_CONFIG_BYTES \
                 ({MAX_EXECUTION_CONFIG_BYTES}); list fewer validators or proposals"
            ));
        }
        evm::EvmVm::new(config.evm).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The canonical encoding: [`EXECUTION_CONFIG_FORMAT`] then the configuration as
    /// compact JSON, fields in declaration order, sets sorted. Equal configurations
    /// encode to equal bytes on every machine; this is what the store holds.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = vec![EXECUTION_CONFIG_FORMAT];
        // Serialising these plain structs (no maps, no floats) cannot fail.
        if let Err(e) = serde_json::to_writer(&mut out, &self.clone().normalized()) {
            unreachable!("an execution configuration always serialises: {e}");
        }
        out
    }

    /// Decodes [`ExecutionConfig::canonical_bytes`]. A setting the bytes do not hold
    /// takes its default (a record written before the setting existed), except deploy
    /// gas (`wasm.gas.deploy`), which such a record leaves free as it was when written;
    /// a setting this build does not know, another format or more than
    /// [`MAX_EXECUTION_CONFIG_BYTES`] is an error.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<ExecutionConfig, String> {
        if bytes.len() > MAX_EXECUTION_CONFIG_BYTES {
            return Err(format!(
                "an execution configuration of {} bytes, above MAX_EXECUTION_CONFIG_BYTES ({MAX_EXECUTION_CONFIG_BYTES})",
                bytes.len()
            ));
        }
        match bytes.split_first() {
            Some((&EXECUTION_CONFIG_FORMAT, json)) => {
                let mut value: Value =
                    serde_json::from_slice(json).map_err(|e| format!("execution configuration: {e}"))?;
                keep_unpriced_deploys(&mut value);
                serde_json::from_value::<ExecutionConfig>(value)
                    .map(ExecutionConfig::normalized)
                    .map_err(|e| format!("execution configuration: {e}"))
            }
            Some((format, _)) => Err(format!("execution configuration of unknown format {format}")),
            None => Err("an empty execution configuration".into()),
        }
    }

    /// SHA-256 of [`ExecutionConfig::canonical_bytes`]: two nodes run the same rules
    /// exactly when their hashes are equal.
    pub fn hash(&self) -> [u8; 32] {
        types::sha256(&self.canonical_bytes())
    }

    /// The configuration as a JSON value (the shape of the TOML file's tables).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.clone().normalized()).unwrap_or(Value::Null)
    }

    /// Every setting on which `local` differs from `self` (the chain's), sorted by name.
    pub fn differences(&self, local: &ExecutionConfig) -> Vec<Difference> {
        let mut out = Vec::new();
        diff("", &self.to_json(), &local.to_json(), &mut out);
        out.sort_by(|a, b| a.setting.cmp(&b.setting));
        out
    }
}

/// Appends to `out` every leaf under `path` on which `chain` and `local` differ. Arrays
/// are leaves (a list is one setting).
fn diff(path: &str, chain: &Value, local: &Value, out: &mut Vec<Difference>) {
    match (chain, local) {
        (Value::Object(c), Value::Object(l)) => {
            for (key, cv) in c {
                let sub = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                diff(&sub, cv, l.get(key).unwrap_or(&Value::Null), out);
            }
            for (key, lv) in l.iter().filter(|(k, _)| !c.contains_key(*k)) {
                let sub = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                diff(&sub, &Value::Null, lv, out);
            }
        }
        (c, l) if c != l => {
            let show = |v: &Value| if v.is_null() { "absent".to_string() } else { v.to_string() };
            out.push(Difference { setting: path.to_string(), chain: show(c), local: show(l) });
        }
        _ => {}
    }
}

/// Whether `setting` (a dotted name) is `name` or lies under it.
pub(crate) fn is_under(setting: &str, name: &str) -> bool {
    setting == name
        || setting.strip_prefix(name).is_some_and(|rest| rest.starts_with('.'))
        || name.strip_prefix(setting).is_some_and(|rest| rest.starts_with('.'))
}

/// The dotted names of every setting `config` sets: its leaves, an array being one
/// setting (`wasm.gas.host.storage_write`, `cosmwasm.capabilities`). What a TOML file
/// sets, once parsed into a JSON value, is what a [`crate::LocalCheck::Only`] compares.
pub fn setting_names(config: &Value) -> Vec<String> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    walk(
                        &if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") },
                        value,
                        out,
                    );
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    walk("", config, &mut out);
    out
}

/// Makes a record that holds no `wasm.gas.deploy` (written before deploy gas existed)
/// decode with deploying free, as its chain ran, rather than with today's default.
fn keep_unpriced_deploys(value: &mut Value) {
    let Value::Object(top) = value else { return };
    let wasm = top.entry("wasm").or_insert_with(|| Value::Object(Default::default()));
    let Value::Object(wasm) = wasm else { return };
    let gas = wasm.entry("gas").or_insert_with(|| Value::Object(Default::default()));
    let Value::Object(gas) = gas else { return };
    if !gas.contains_key("deploy") {
        let free = serde_json::to_value(wasm::DeployCosts::FREE).unwrap_or(Value::Null);
        gas.insert("deploy".into(), free);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_either_the_chains_or_the_nodes() {
        let all = setting_names(&serde_json::to_value(Config::default()).unwrap());
        let chain = setting_names(&ExecutionConfig::default().to_json());
        for setting in &all {
            let local = NODE_LOCAL_SETTINGS.iter().any(|n| is_under(setting, n));
            let execution = chain.contains(setting);
            assert!(
                local != execution,
                "{setting}: classify it, in ExecutionConfig if it can change a result, gas, an event or \
                 the state, else in NODE_LOCAL_SETTINGS (local {local}, execution {execution})"
            );
        }
        for setting in &chain {
            assert!(all.contains(setting), "{setting} is not a setting of Config");
        }
    }

    #[test]
    fn a_config_splits_and_joins_back() {
        let mut config = Config::default();
        config.wasm.gas.host.storage_write = 250;
        config.wasm.timeout_ms = 7;
        config.cache.memory_modules = 3;
        let exec = ExecutionConfig::of(&config);
        assert_eq!(exec.wasm.gas.host.storage_write, 250);
        let back = exec.apply_to(&Config::default());
        assert_eq!(back.wasm.gas.host.storage_write, 250, "execution settings from the chain");
        assert_eq!(
            (back.wasm.timeout_ms, back.cache.memory_modules),
            (2_000, Config::default().cache.memory_modules)
        );
        let joined = exec.apply_to(&config);
        assert_eq!(ExecutionConfig::of(&joined), exec);
        assert_eq!((joined.wasm.timeout_ms, joined.cache, joined.state), (7, config.cache, config.state));
    }

    #[test]
    fn the_canonical_bytes_and_hash_are_deterministic() {
        let a = ExecutionConfig::default();
        let b = ExecutionConfig::of(&Config::default());
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.canonical_bytes()[0], EXECUTION_CONFIG_FORMAT);
        assert!(a.canonical_bytes().len() < MAX_EXECUTION_CONFIG_BYTES / 8, "{}", a.canonical_bytes().len());
        // Decoding and encoding again gives the same bytes.
        let decoded = ExecutionConfig::from_canonical_bytes(&a.canonical_bytes()).unwrap();
        assert_eq!(decoded, a);
        assert_eq!(decoded.canonical_bytes(), a.canonical_bytes());
        // Sets in another order are the same configuration.
        let mut c = a.clone();
        c.cosmwasm.capabilities.reverse();
        c.cosmwasm.capabilities.push("iterator".into());
        assert_eq!(c.hash(), a.hash());
        // Any change of a price changes the hash.
        let mut d = a.clone();
        d.wasm.gas.ops.load += 1;
        assert_ne!(d.hash(), a.hash());
        // The layout: the format byte, then the fields in declaration order.
        let start = br#"{"default_gas_limit":100000000,"max_tx_gas":100000000,"max_block_gas":1000000000,"wasm":{"limits":{"max_code_bytes":1048576,"#;
        assert_eq!(&a.canonical_bytes()[1..start.len() + 1], start);
    }

    #[test]
    fn decoding_refuses_what_it_cannot_read_and_defaults_what_is_missing() {
        let bytes = ExecutionConfig::default().canonical_bytes();
        assert!(ExecutionConfig::from_canonical_bytes(&[]).is_err());
        assert!(ExecutionConfig::from_canonical_bytes(&[2, b'{', b'}']).unwrap_err().contains("format 2"));
        let mut unknown = bytes[..bytes.len() - 1].to_vec();
        unknown.extend_from_slice(br#","future_setting":1}"#);
        assert!(ExecutionConfig::from_canonical_bytes(&unknown).unwrap_err().contains("future_setting"));
        let mut big = vec![EXECUTION_CONFIG_FORMAT];
        big.resize(MAX_EXECUTION_CONFIG_BYTES + 1, b' ');
        let e = ExecutionConfig::from_canonical_bytes(&big).unwrap_err();
        assert!(e.contains("MAX_EXECUTION_CONFIG_BYTES"), "{e}");
        let mut at_most = vec![EXECUTION_CONFIG_FORMAT, b'{', b'}'];
        at_most.resize(MAX_EXECUTION_CONFIG_BYTES, b' ');
        let mut unpriced = ExecutionConfig::default();
        unpriced.wasm.gas.deploy = wasm::DeployCosts::FREE;
        assert_eq!(ExecutionConfig::from_canonical_bytes(&at_most).unwrap(), unpriced);
    }

    #[test]
    fn a_record_from_before_deploy_gas_keeps_deploying_free() {
        let priced = ExecutionConfig::default();
        assert_eq!(priced.wasm.gas.deploy, wasm::DeployCosts::default());
        let bytes = priced.canonical_bytes();
        assert_eq!(ExecutionConfig::from_canonical_bytes(&bytes).unwrap(), priced);
        // The same record without the setting, as a build before it wrote it.
        let mut v: Value = serde_json::from_slice(&bytes[1..]).unwrap();
        v["wasm"]["gas"].as_object_mut().unwrap().remove("deploy").expect("written");
        let mut old = vec![EXECUTION_CONFIG_FORMAT];
        old.extend(serde_json::to_vec(&v).unwrap());
        let mut free = priced.clone();
        free.wasm.gas.deploy = wasm::DeployCosts::FREE;
        assert_eq!(ExecutionConfig::from_canonical_bytes(&old).unwrap(), free);
        assert_ne!(free.hash(), priced.hash());
    }

    #[test]
    fn storage_deposits_are_written_only_when_set() {
        let off = ExecutionConfig::default();
        let bytes = off.canonical_bytes();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("storage_deposit"),
            "the default keeps the old bytes"
        );
        let mut on = off.clone();
        on.storage_deposit.per_byte = 7;
        let bytes = on.canonical_bytes();
        assert!(
            String::from_utf8_lossy(&bytes)
                .contains(r#""storage_deposit":{"per_byte":7,"entry_overhead":40}"#)
        );
        assert_eq!(ExecutionConfig::from_canonical_bytes(&bytes).unwrap(), on);
        assert_ne!(on.hash(), off.hash());
        on.storage_deposit.entry_overhead = vm::deposit::MAX_ENTRY_OVERHEAD + 1;
        assert!(on.validate().unwrap_err().contains("storage_deposit.entry_overhead"));
    }

    #[test]
    fn a_configuration_that_would_not_decode_from_the_store_is_refused() {
        let mut big = ExecutionConfig::default();
        big.cosmwasm.capabilities.extend((0..4_000).map(|i| format!("capability_{i:05}")));
        let e = big.validate().unwrap_err();
        assert!(e.contains("MAX_EXECUTION_CONFIG_BYTES"), "{e}");
    }

    #[test]
    fn differences_name_each_setting_with_both_values() {
        let chain = ExecutionConfig::default();
        let mut local = chain.clone();
        local.wasm.gas.host.storage_write = 250;
        local.evm.spec = "Prague".into();
        local.calls.evm_gas_rate.evm = 3;
        let d: Vec<String> = chain.differences(&local).iter().map(ToString::to_string).collect();
        assert_eq!(
            d,
            [
                "calls.evm_gas_rate.evm: chain 1, local 3",
                &format!("evm.spec: chain {:?}, local \"Prague\"", chain.evm.spec),
                "wasm.gas.host.storage_write: chain 1000, local 250",
            ]
        );
        assert!(chain.differences(&chain).is_empty());
    }

    #[test]
    fn validation_names_the_setting() {
        assert_eq!(ExecutionConfig::default().validate(), Ok(()));
        let mut bad = ExecutionConfig::default();
        bad.wasm.gas.host.storage_write = 0;
        assert!(bad.validate().unwrap_err().contains("storage_write"));
        let mut bad = ExecutionConfig::default();
        bad.evm.spec = "Nope".into();
        assert!(bad.validate().unwrap_err().contains("Nope"));
        let bad = ExecutionConfig { max_block_gas: 1, ..ExecutionConfig::default() };
        assert!(bad.validate().unwrap_err().contains("max_block_gas"));
    }

    #[test]
    fn names_match_on_dotted_boundaries() {
        assert!(is_under("wasm.gas.host.call", "wasm.gas"));
        assert!(is_under("wasm.gas", "wasm.gas.host.call"));
        assert!(is_under("cache", "cache"));
        assert!(!is_under("wasm.gasx", "wasm.gas"));
        assert!(!is_under("state", "statex.y"));
    }
}
