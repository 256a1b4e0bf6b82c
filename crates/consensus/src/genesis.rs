//! The genesis of a chain of validators (`genesis.json`): chain id, genesis time, the
//! validator set, the balances block 1 credits, and the chain's whole execution
//! configuration (gas schedule, limits, VM settings).
//!
//! Every node of a chain holds the same file; its hash ([`Genesis::hash`]) names the
//! chain. This module parses, checks and hashes it, and names the settings on which two
//! differ ([`differences`]); it reads no clock and opens no store (`crate::home` does
//! the files, `crate::testnet` makes new ones). The format is in `docs/consensus.md`.

use alloy_primitives::Address as EthAddress;
use ed25519_dalek::VerifyingKey;
use runtime::ExecutionConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::types::{Address, Validator, ValidatorSet};

/// The genesis format this build writes and reads: 1.
pub const GENESIS_FORMAT: u32 = 1;
/// Most validators a genesis may hold: 100. Each is a connection to every other node
/// and a vote to check per round; `cove testnet init` gives each node two ports.
pub const MAX_VALIDATORS: usize = 100;
/// Most voting power one validator may have: 2^32 (so the total of
/// [`MAX_VALIDATORS`] cannot overflow).
pub const MAX_VOTING_POWER: u64 = 1 << 32;
/// Most accounts block 1 may credit: 10,000.
pub const MAX_GENESIS_ACCOUNTS: usize = 10_000;
/// Largest `genesis.json` read: 4 MiB.
pub const MAX_GENESIS_BYTES: u64 = 4 << 20;
/// Longest value a difference shows before eliding the rest: 120 characters.
const MAX_SHOWN: usize = 120;

/// A validator of the genesis: its address (hex, derived from the key, checked), its
/// ed25519 public key (hex) and its voting power.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// First 20 bytes of SHA-256 of the key, hex.
    pub address: String,
    /// The ed25519 public key, 32 bytes hex.
    pub public_key: String,
    /// Its weight in votes, 1..=[`MAX_VOTING_POWER`].
    pub power: u64,
}

/// An account block 1 credits: an Ethereum-style address (`0x` + 40 hex) and a balance
/// in wei (a decimal string: JSON numbers lose precision above 2^53).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account.
    pub address: String,
    /// Its balance in wei, decimal.
    pub balance: String,
}

/// The whole genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// [`GENESIS_FORMAT`].
    pub format: u32,
    /// The chain id: domain of every consensus signature, and the EVM's chain id (it
    /// must equal `execution.evm.chain_id`).
    pub chain_id: u64,
    /// The time of block 1, unix seconds.
    pub genesis_time: u64,
    /// The validators (any order: the set is sorted by address).
    pub validators: Vec<GenesisValidator>,
    /// The balances block 1 credits.
    pub accounts: Vec<GenesisAccount>,
    /// The chain's execution configuration at height 0 (`docs/chain-config.md`).
    pub execution: ExecutionConfig,
}

/// Why a genesis is not usable; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("genesis: {0}")]
pub struct GenesisError(pub String);

fn invalid(msg: impl Into<String>) -> GenesisError {
    GenesisError(msg.into())
}

/// The validator entry of `key` with `power`.
pub fn validator_entry(key: &VerifyingKey, power: u64) -> GenesisValidator {
    GenesisValidator {
        address: hex::encode(Address::from_public_key(key).0),
        public_key: hex::encode(key.as_bytes()),
        power,
    }
}

/// The ten accounts of the standard test mnemonic with 10,000 ether each, as `cove node
/// --dev` funds them.
pub fn dev_accounts() -> Vec<GenesisAccount> {
    node::DEV_ACCOUNTS
        .iter()
        .map(|(address, _)| GenesisAccount {
            address: format!("0x{address}"),
            balance: node::DEV_BALANCE_WEI.to_string(),
        })
        .collect()
}

impl Genesis {
    /// Parses `genesis.json`'s bytes and checks them ([`Genesis::validate`]).
    pub fn from_json(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        let genesis: Genesis = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// The file's text: pretty JSON, fields in declaration order.
    pub fn to_json_pretty(&self) -> String {
        // Plain structs of strings and integers: serialising cannot fail.
        serde_json::to_string_pretty(&self.to_value()).unwrap_or_default() + "\n"
    }

    /// As a JSON value (what [`differences`] compares).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Checks every field; the message names the first bad one.
    pub fn validate(&self) -> Result<(), GenesisError> {
        if self.format != GENESIS_FORMAT {
            return Err(invalid(format!(
                "format {} is not the one this build reads ({GENESIS_FORMAT})",
                self.format
            )));
        }
        if self.execution.evm.chain_id != self.chain_id {
            return Err(invalid(format!(
                "chain_id {} differs from execution.evm.chain_id {}",
                self.chain_id, self.execution.evm.chain_id
            )));
        }
        self.execution.validate().map_err(|e| invalid(format!("execution: {e}")))?;
        self.validator_set()?;
        self.balances()?;
        Ok(())
    }

    /// The validator set: 1..=[`MAX_VALIDATORS`] distinct keys, each address matching
    /// its key, each power 1..=[`MAX_VOTING_POWER`].
    pub fn validator_set(&self) -> Result<ValidatorSet, GenesisError> {
        let n = self.validators.len();
        if n == 0 || n > MAX_VALIDATORS {
            return Err(invalid(format!(
                "validators: {n} entries, expected 1..={MAX_VALIDATORS} (MAX_VALIDATORS)"
            )));
        }
        let mut out = Vec::with_capacity(n);
        for (i, v) in self.validators.iter().enumerate() {
            let key = parse_public_key(&v.public_key)
                .map_err(|e| invalid(format!("validators[{i}].public_key: {e}")))?;
            let address = hex::encode(Address::from_public_key(&key).0);
            if !v.address.eq_ignore_ascii_case(&address) {
                return Err(invalid(format!(
                    "validators[{i}].address {} is not its key's address {address}",
                    v.address
                )));
            }
            if v.power == 0 || v.power > MAX_VOTING_POWER {
                return Err(invalid(format!(
                    "validators[{i}].power {}: expected 1..={MAX_VOTING_POWER} (MAX_VOTING_POWER)",
                    v.power
                )));
            }
            if out.iter().any(|o: &Validator| o.public_key == key) {
                return Err(invalid(format!("validators[{i}]: key {} listed twice", v.public_key)));
            }
            out.push(Validator::new(key, v.power));
        }
        Ok(ValidatorSet::new(out))
    }

    /// The balances block 1 credits: 1..=[`MAX_GENESIS_ACCOUNTS`] distinct accounts.
    pub fn balances(&self) -> Result<Vec<(EthAddress, u128)>, GenesisError> {
        let n = self.accounts.len();
        if n == 0 || n > MAX_GENESIS_ACCOUNTS {
            return Err(invalid(format!(
                "accounts: {n} entries, expected 1..={MAX_GENESIS_ACCOUNTS} (MAX_GENESIS_ACCOUNTS)"
            )));
        }
        let mut out: Vec<(EthAddress, u128)> = Vec::with_capacity(n);
        for (i, a) in self.accounts.iter().enumerate() {
            let hex = a.address.strip_prefix("0x").unwrap_or(&a.address);
            let address: EthAddress = match hex::decode(hex) {
                Ok(b) if b.len() == 20 => EthAddress::from_slice(&b),
                _ => {
                    return Err(invalid(format!(
                        "accounts[{i}].address {:?}: expected 0x and 40 hex digits",
                        a.address
                    )));
                }
            };
            let balance: u128 =
                a.balance.parse().ok().filter(|_| a.balance.bytes().all(|b| b.is_ascii_digit())).ok_or_else(
                    || invalid(format!("accounts[{i}].balance {:?}: expected decimal wei", a.balance)),
                )?;
            if out.iter().any(|(o, _)| *o == address) {
                return Err(invalid(format!("accounts[{i}]: {} listed twice", a.address)));
            }
            out.push((address, balance));
        }
        Ok(out)
    }

    /// SHA-256 of the canonical form: compact JSON of the genesis with hex in lower
    /// case, balances without leading zeros and the execution configuration normalised. Two files that mean the same
    /// genesis have the same hash; it names the chain.
    pub fn hash(&self) -> [u8; 32] {
        let mut canonical = self.clone();
        for v in &mut canonical.validators {
            v.address.make_ascii_lowercase();
            v.public_key.make_ascii_lowercase();
        }
        for a in &mut canonical.accounts {
            a.address.make_ascii_lowercase();
            if let Ok(balance) = a.balance.parse::<u128>() {
                a.balance = balance.to_string();
            }
        }
        canonical.execution = ExecutionConfig::from_canonical_bytes(&self.execution.canonical_bytes())
            .unwrap_or_else(|_| self.execution.clone());
        Sha256::digest(serde_json::to_vec(&canonical).unwrap_or_default()).into()
    }

    /// [`Genesis::hash`] as hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash())
    }
}

fn parse_public_key(s: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "expected 32 bytes hex".to_string())?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// Every field on which `b` differs from `a`, as `path: a_name A, b_name B`, sorted by
/// path (objects by key, arrays by index: `validators[2].power`, `execution.wasm.gas.…`).
pub fn differences(a: &Value, b: &Value, a_name: &str, b_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    diff("", a, b, &mut |path, x, y| {
        out.push(format!("{path}: {a_name} {}, {b_name} {}", show(x), show(y)));
    });
    out.sort();
    out
}

fn show(v: &Value) -> String {
    if v.is_null() {
        return "absent".into();
    }
    let s = v.to_string();
    if s.chars().count() <= MAX_SHOWN {
        s
    } else {
        format!("{}…", s.chars().take(MAX_SHOWN).collect::<String>())
    }
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut impl FnMut(&str, &Value, &Value)) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, xv) in x {
                diff(&join(key), xv, y.get(key).unwrap_or(&Value::Null), out);
            }
            for (key, yv) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                diff(&join(key), &Value::Null, yv, out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let sub = format!("{path}[{i}]");
                diff(&sub, x.get(i).unwrap_or(&Value::Null), y.get(i).unwrap_or(&Value::Null), out);
            }
        }
        (x, y) if x != y => out(path, x, y),
        _ => {}
    }
}
