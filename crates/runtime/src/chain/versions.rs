//! The versions of the chain's execution configuration in the store: a small table under
//! [`keys::EXECUTION_CONFIG`], one entry per activation height, each value an
//! [`ExecutionConfig`] in its canonical bytes. The entries are ordinary keys of the
//! committed state, so the state root covers them, snapshots carry them and a block
//! writes them atomically with its transactions (`docs/chain-config.md`).
//!
//! This module reads and writes the table; it builds no VM (`chain::execs` does).

use std::sync::Arc;

use state::{Backend, Journal};
use vm::keys;

use super::config::ExecutionConfig;
use crate::RuntimeError;

/// The most versions a chain's table may hold, the genesis entry included: 256. Each is
/// a few KiB in the store and, once a block or a query at its heights runs, one set of
/// VMs in memory; a chain that upgrades every month needs twenty years to fill it.
pub const MAX_CONFIG_VERSIONS: usize = 256;

/// One version of the chain's execution configuration: in force from block `activation`
/// until the next version's activation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigVersion {
    /// The first height it applies to (0 for the genesis entry: from the first block on).
    pub activation: u64,
    /// The configuration.
    pub config: Arc<ExecutionConfig>,
    /// [`ExecutionConfig::hash`] of it.
    pub hash: [u8; 32],
}

impl ConfigVersion {
    /// `config` from `activation` on.
    pub fn new(activation: u64, config: ExecutionConfig) -> ConfigVersion {
        ConfigVersion { activation, hash: config.hash(), config: Arc::new(config) }
    }

    /// The hash as lowercase hex.
    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The table, sorted by activation height.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Versions(Vec<ConfigVersion>);

impl Versions {
    /// Reads the committed table. An entry that does not decode, or a table larger than
    /// [`MAX_CONFIG_VERSIONS`], is [`RuntimeError::Corrupt`].
    pub(crate) fn load(backend: &dyn Backend) -> Result<Versions, RuntimeError> {
        let entries = backend.scan_prefix(&[keys::EXECUTION_CONFIG])?;
        if entries.len() > MAX_CONFIG_VERSIONS {
            return Err(RuntimeError::Corrupt(format!(
                "{} versions of the execution configuration, above MAX_CONFIG_VERSIONS ({MAX_CONFIG_VERSIONS})",
                entries.len()
            )));
        }
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let activation = key
                .get(1..)
                .and_then(keys::decode_u64)
                .ok_or_else(|| RuntimeError::Corrupt(format!("execution configuration key {}", hex(&key))))?;
            let config = ExecutionConfig::from_canonical_bytes(&value).map_err(|e| {
                RuntimeError::Corrupt(format!(
                    "the execution configuration in force from height {activation}: {e}"
                ))
            })?;
            out.push(ConfigVersion::new(activation, config));
        }
        // Big-endian heights scan in ascending order already.
        Ok(Versions(out))
    }

    /// Whether the chain has recorded no configuration yet (no block, or a store made
    /// before configurations were recorded).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The version in force at block `height`: the last one activated at or before it.
    pub(crate) fn at(&self, height: u64) -> Option<&ConfigVersion> {
        self.0.iter().rev().find(|v| v.activation <= height)
    }

    /// Every version, by activation height.
    pub(crate) fn all(&self) -> &[ConfigVersion] {
        &self.0
    }
}

/// Writes `config` into `journal` as the version in force from `activation` on,
/// replacing a version scheduled for the same height. Refused
/// ([`RuntimeError::InvalidArgument`]) if the configuration is invalid (the message names
/// the setting) or the table would pass [`MAX_CONFIG_VERSIONS`], counting `reserved`
/// entries the block will add when it commits (the genesis entry). The caller checks that
/// `activation` lies after the block being built.
pub(crate) fn schedule(
    journal: &mut Journal,
    activation: u64,
    config: &ExecutionConfig,
    reserved: usize,
) -> Result<(), RuntimeError> {
    config.validate().map_err(|e| RuntimeError::InvalidArgument(format!("execution configuration: {e}")))?;
    let key = keys::execution_config(activation);
    if journal.get(&key)?.is_none() {
        let count = journal.scan_prefix(&[keys::EXECUTION_CONFIG])?.len() + reserved;
        if count >= MAX_CONFIG_VERSIONS {
            return Err(RuntimeError::InvalidArgument(format!(
                "the chain already holds {count} versions of its execution configuration \
                 (MAX_CONFIG_VERSIONS = {MAX_CONFIG_VERSIONS})"
            )));
        }
    }
    journal.set(&key, &config.canonical_bytes());
    Ok(())
}
