//! A validator's home: the files `cove testnet init` writes ([`crate::testnet`]) and
//! `cove node --home` reads, checked against each other before the node starts.
//!
//! | file | what |
//! |---|---|
//! | `config.toml` | this node's settings ([`HomeConfig`]): moniker, the genesis hash it belongs to, p2p and RPC addresses, peers, timeouts, block time, node-local runtime settings |
//! | `genesis.json` | the chain ([`Genesis`]), the same file on every node |
//! | `validator_key.json` | the ed25519 consensus key (mode 0600) |
//! | `state-genesis.json` | written at the first start: the genesis the node's state was made from |
//! | `data/`, `consensus.redb`, `wal/` | the node's state (`crate::node`) |
//!
//! Rules it keeps: a home whose files disagree is refused before anything opens, with
//! every differing setting named: a `config.toml` of another genesis (its
//! `genesis_hash`), a `[runtime]` table whose execution settings differ from the
//! genesis's, a state made from another genesis (`state-genesis.json`). A node never
//! runs with a configuration other than its chain's. It starts nothing itself.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use runtime::{ExecutionConfig, LocalCheck};
use serde::{Deserialize, Serialize};

use crate::ValidatorConfig;
use crate::genesis::{Genesis, GenesisError, MAX_GENESIS_BYTES, differences};
use crate::types::Address;

/// This node's settings.
pub const CONFIG_FILE: &str = "config.toml";
/// The chain's genesis.
pub const GENESIS_FILE: &str = "genesis.json";
/// The consensus key.
pub const KEY_FILE: &str = "validator_key.json";
/// The genesis the state was made from, recorded at the first start.
pub const STATE_GENESIS_FILE: &str = "state-genesis.json";
/// Largest `config.toml` or `validator_key.json` read: 1 MiB.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Round timeouts in milliseconds (Malachite's linear timeouts: a round's timeout is
/// the base plus the delta per round, at most `max_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Waiting for a proposal. By default 1,500 ms.
    pub propose_ms: u64,
    /// Added per round. By default 500 ms.
    pub propose_delta_ms: u64,
    /// Waiting for prevotes after a quorum of any. By default 500 ms.
    pub prevote_ms: u64,
    /// Added per round. By default 250 ms.
    pub prevote_delta_ms: u64,
    /// Waiting for precommits after a quorum of any. By default 500 ms.
    pub precommit_ms: u64,
    /// Added per round. By default 250 ms.
    pub precommit_delta_ms: u64,
    /// Re-broadcasting the node's last vote when stuck. By default 2,500 ms.
    pub rebroadcast_ms: u64,
    /// The most any timeout grows to. By default 10,000 ms.
    pub max_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            propose_ms: 1500,
            propose_delta_ms: 500,
            prevote_ms: 500,
            prevote_delta_ms: 250,
            precommit_ms: 500,
            precommit_delta_ms: 250,
            rebroadcast_ms: 2500,
            max_ms: 10_000,
        }
    }
}

impl Timeouts {
    /// As Malachite takes them.
    pub fn linear(&self) -> LinearTimeouts {
        let ms = Duration::from_millis;
        LinearTimeouts {
            propose: ms(self.propose_ms),
            propose_delta: ms(self.propose_delta_ms),
            prevote: ms(self.prevote_ms),
            prevote_delta: ms(self.prevote_delta_ms),
            precommit: ms(self.precommit_ms),
            precommit_delta: ms(self.precommit_delta_ms),
            rebroadcast: ms(self.rebroadcast_ms),
            max_timeout: ms(self.max_ms),
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("propose_ms", self.propose_ms),
            ("prevote_ms", self.prevote_ms),
            ("precommit_ms", self.precommit_ms),
            ("rebroadcast_ms", self.rebroadcast_ms),
            ("max_ms", self.max_ms),
        ] {
            if v == 0 {
                return Err(format!("timeouts.{name} must be above 0"));
            }
        }
        Ok(())
    }
}

/// `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeConfig {
    /// The node's name in logs.
    pub moniker: String,
    /// SHA-256 of the genesis this node belongs to ([`Genesis::hash`], hex).
    pub genesis_hash: String,
    /// Where the consensus network listens (TCP).
    pub p2p: SocketAddr,
    /// The other nodes' consensus addresses.
    pub peers: Vec<SocketAddr>,
    /// Where JSON-RPC listens (`cove node --rpc` overrides it); absent: no RPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc: Option<SocketAddr>,
    /// The least time between heights in ms; 0: as fast as decisions come.
    pub block_time_ms: u64,
    /// How often peers tell each other their heights, in ms (value sync).
    pub sync_interval_ms: u64,
    /// Round timeouts.
    pub timeouts: Timeouts,
    /// Runtime settings, as the `--config` TOML file holds them: node-local ones
    /// (`wasm.mode`, `cache.*`, ...) apply; execution settings must equal the genesis's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<toml::Table>,
}

/// `validator_key.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyFile {
    pub(crate) address: String,
    pub(crate) public_key: String,
    pub(crate) secret_key: String,
}

impl KeyFile {
    pub(crate) fn of(key: &SigningKey) -> KeyFile {
        KeyFile {
            address: hex::encode(Address::from_public_key(&key.verifying_key()).0),
            public_key: hex::encode(key.verifying_key().as_bytes()),
            secret_key: hex::encode(key.to_bytes()),
        }
    }
}

/// Why a home is not usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HomeError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// A file does not parse or holds a bad value (named).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The genesis is not usable.
    #[error("{}: {source}", path.display())]
    Genesis {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: GenesisError,
    },
    /// The home's files disagree with its genesis (each differing setting named).
    #[error("{0}")]
    Mismatch(String),
    /// A request that cannot be met (`cove testnet init`'s arguments).
    #[error("{0}")]
    Usage(String),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HomeError + '_ {
    move |source| HomeError::Io { path: path.to_path_buf(), source }
}

fn invalid(path: &Path, message: impl Into<String>) -> HomeError {
    HomeError::Invalid { path: path.to_path_buf(), message: message.into() }
}

/// Reads at most `max` bytes of `path`; more is an error.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, HomeError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io(path))?;
    if bytes.len() as u64 > max {
        return Err(invalid(path, format!("larger than {max} bytes")));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file renamed over it (so a reader sees
/// the old file or the new one), with `mode` on unix, synced.
pub(crate) fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), HomeError> {
    let tmp = path.with_extension("tmp");
    // A leftover of a crash would keep its own mode: start from a new file.
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Reads and checks `genesis.json` at `path`.
pub fn read_genesis(path: &Path) -> Result<Genesis, HomeError> {
    let bytes = read_bounded(path, MAX_GENESIS_BYTES)?;
    Genesis::from_json(&bytes).map_err(|source| HomeError::Genesis { path: path.to_path_buf(), source })
}

/// A loaded and checked home.
pub struct Home {
    dir: PathBuf,
    config: HomeConfig,
    genesis: Genesis,
    key: SigningKey,
    runtime: runtime::Config,
}

impl Home {
    /// Reads the home at `dir` and checks its files against each other: the genesis is
    /// valid, `config.toml` names its hash, its `[runtime]` execution settings are the
    /// genesis's, and the state (if any) was made from it. Writes nothing.
    pub fn load(dir: &Path) -> Result<Home, HomeError> {
        let genesis_path = dir.join(GENESIS_FILE);
        let genesis = read_genesis(&genesis_path)?;
        let hash = genesis.hash_hex();

        let config_path = dir.join(CONFIG_FILE);
        let text = read_bounded(&config_path, MAX_CONFIG_BYTES)?;
        let text = String::from_utf8(text).map_err(|_| invalid(&config_path, "not UTF-8"))?;
        let config: HomeConfig = toml::from_str(&text).map_err(|e| invalid(&config_path, e.to_string()))?;
        if !config.genesis_hash.eq_ignore_ascii_case(&hash) {
            return Err(HomeError::Mismatch(format!(
                "{}: genesis_hash {} is not the hash of {} ({hash}): this node belongs to another genesis \
                 (every node of a chain must hold the same genesis file)",
                config_path.display(),
                config.genesis_hash,
                genesis_path.display()
            )));
        }
        config.timeouts.validate().map_err(|e| invalid(&config_path, e))?;
        if config.sync_interval_ms == 0 {
            return Err(invalid(&config_path, "sync_interval_ms must be above 0"));
        }
        let runtime = local_runtime(config.runtime.as_ref(), &genesis, &config_path)?;

        let key_path = dir.join(KEY_FILE);
        let key_file: KeyFile = serde_json::from_slice(&read_bounded(&key_path, MAX_CONFIG_BYTES)?)
            .map_err(|e| invalid(&key_path, e.to_string()))?;
        let secret: [u8; 32] = hex::decode(&key_file.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| invalid(&key_path, "secret_key: expected 32 bytes hex"))?;
        let key = SigningKey::from_bytes(&secret);
        if !key_file.public_key.eq_ignore_ascii_case(&hex::encode(key.verifying_key().as_bytes())) {
            return Err(invalid(&key_path, "public_key is not the secret key's"));
        }

        let state_path = dir.join(STATE_GENESIS_FILE);
        if state_path.exists() {
            let bytes = read_bounded(&state_path, MAX_GENESIS_BYTES)?;
            let state: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| invalid(&state_path, e.to_string()))?;
            let recorded = serde_json::from_value::<Genesis>(state.clone()).map(|g| g.hash_hex()).ok();
            if recorded.as_deref() != Some(hash.as_str()) {
                let diffs = differences(&state, &genesis.to_value(), "state", "genesis.json");
                return Err(HomeError::Mismatch(format!(
                    "the state in {} was made from another genesis than {} (hash {hash}): {}; a node never runs \
                     one chain's state under another genesis: start from a fresh home, or restore the genesis",
                    dir.display(),
                    genesis_path.display(),
                    if diffs.is_empty() {
                        "the recorded genesis does not parse".into()
                    } else {
                        diffs.join("; ")
                    }
                )));
            }
        }
        Ok(Home { dir: dir.to_path_buf(), config, genesis, key, runtime })
    }

    /// The home's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `config.toml`.
    pub fn config(&self) -> &HomeConfig {
        &self.config
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// This node's consensus address.
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.key.verifying_key())
    }

    /// Whether this node's key is in the genesis validator set (otherwise it follows).
    pub fn is_validator(&self) -> bool {
        let address = self.address();
        self.genesis.validator_set().is_ok_and(|set| set.validators().iter().any(|v| v.address == address))
    }

    /// The runtime configuration the node runs with: the genesis's execution settings
    /// and `config.toml`'s node-local ones.
    pub fn runtime(&self) -> &runtime::Config {
        &self.runtime
    }

    /// Records the genesis as the one the state is made from, if no record exists yet
    /// (the first start). Call it before starting the node.
    pub fn record_genesis(&self) -> Result<(), HomeError> {
        let path = self.dir.join(STATE_GENESIS_FILE);
        if path.exists() {
            return Ok(());
        }
        write_file(&path, self.genesis.to_json_pretty().as_bytes(), 0o644)
    }

    /// What [`crate::ValidatorNode::start`] takes; `rpc` overrides `config.toml`'s.
    pub fn validator_config(&self, rpc: Option<SocketAddr>) -> Result<ValidatorConfig, HomeError> {
        let genesis_err = |source| HomeError::Genesis { path: self.dir.join(GENESIS_FILE), source };
        let c = &self.config;
        Ok(ValidatorConfig {
            moniker: c.moniker.clone(),
            home: self.dir.clone(),
            chain_id: self.genesis.chain_id,
            genesis_time: self.genesis.genesis_time,
            validators: self.genesis.validator_set().map_err(genesis_err)?,
            key: self.key.clone(),
            p2p: c.p2p,
            peers: c.peers.clone(),
            rpc: rpc.or(c.rpc),
            timeouts: c.timeouts.linear(),
            block_time: (c.block_time_ms > 0).then(|| Duration::from_millis(c.block_time_ms)),
            sync_interval: Duration::from_millis(c.sync_interval_ms),
            runtime: self.runtime.clone(),
            accounts: Some(self.genesis.balances().map_err(genesis_err)?),
        })
    }
}

/// The runtime configuration of `[runtime]` joined to the genesis's execution settings;
/// an execution setting the table sets to another value than the genesis's is refused,
/// each named.
fn local_runtime(
    table: Option<&toml::Table>,
    genesis: &Genesis,
    path: &Path,
) -> Result<runtime::Config, HomeError> {
    let Some(table) = table else { return Ok(genesis.execution.apply_to(&runtime::Config::default())) };
    let local: runtime::Config =
        toml::Value::Table(table.clone()).try_into().map_err(|e| invalid(path, format!("[runtime]: {e}")))?;
    let set = serde_json::to_value(table).map_err(|e| invalid(path, format!("[runtime]: {e}")))?;
    let check = LocalCheck::Only(runtime::setting_names(&set));
    let diffs: Vec<String> = genesis
        .execution
        .differences(&ExecutionConfig::of(&local))
        .into_iter()
        .filter(|d| check.covers(&d.setting))
        .map(|d| format!("{}: genesis {}, config.toml {}", d.setting, d.chain, d.local))
        .collect();
    if !diffs.is_empty() {
        return Err(HomeError::Mismatch(format!(
            "{}: [runtime] sets execution settings that differ from the genesis's: {}; the chain's execution \
             configuration is the genesis's (docs/consensus.md): leave them out of [runtime]",
            path.display(),
            diffs.join("; ")
        )));
    }
    Ok(genesis.execution.apply_to(&local))
}
