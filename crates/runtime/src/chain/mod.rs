//! The chain's execution configuration: what it is ([`ExecutionConfig`], split from the
//! node's [`Config`](crate::Config)), where the chain keeps its versions (a table in the
//! committed state, keyed by activation height), and which one runs each block.
//!
//! Rules this module keeps (`docs/chain-config.md`):
//! * every block, and every query, estimate or profile as of a height, runs with the
//!   version in force at that height, whatever the node's local configuration says;
//! * the first block a store commits records the configuration it ran with as the
//!   genesis entry (activation height 0), so a data dir never runs without one again;
//! * a new version takes effect only at a height above the block that schedules it, so
//!   no committed block's configuration ever changes;
//! * a runtime opened with a local configuration whose execution settings differ from
//!   the chain's is refused with every differing setting named
//!   ([`RuntimeError::ConfigMismatch`]), unless told to compare only some of them
//!   ([`LocalCheck::Only`]): never silently other gas.

mod config;
mod execs;
mod versions;

pub use config::{
    Difference, EXECUTION_CONFIG_FORMAT, ExecutionConfig, MAX_EXECUTION_CONFIG_BYTES, NODE_LOCAL_SETTINGS,
    WasmExecution, setting_names,
};
pub(crate) use execs::{Exec, Execs};
pub use versions::{ConfigVersion, MAX_CONFIG_VERSIONS};
pub(crate) use versions::{Versions, hex, schedule};

use crate::RuntimeError;

/// Which execution settings of a node's local configuration must equal the chain's when
/// a runtime opens a store that has a configuration (or is given a genesis one).
/// Whatever it says, blocks run with the chain's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LocalCheck {
    /// Every execution setting: the local configuration is meant to be the chain's.
    /// What [`crate::Runtime::open`] does.
    #[default]
    All,
    /// Only these settings (dotted names as in the TOML file, e.g. `max_tx_gas` or
    /// `wasm.gas`, a name covering everything under it): typically those a
    /// configuration file sets. The others are taken from the chain. `Only(vec![])`
    /// runs with the chain's configuration whatever the local one holds.
    Only(Vec<String>),
}

impl LocalCheck {
    /// Whether `setting` is compared.
    pub fn covers(&self, setting: &str) -> bool {
        match self {
            LocalCheck::All => true,
            LocalCheck::Only(names) => names.iter().any(|n| config::is_under(setting, n)),
        }
    }
}

/// How a runtime treats the chain's configuration when it opens a store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainOptions {
    /// Which local settings must equal the chain's. By default all of them.
    pub check: LocalCheck,
    /// The chain's genesis execution configuration, when the node knows it from
    /// elsewhere (a consensus genesis file). A store that has recorded none runs and
    /// records this one instead of the local configuration's; a store whose genesis
    /// entry has another hash belongs to another chain and is refused. By default
    /// `None`: the local configuration's execution settings are the genesis ones.
    pub genesis: Option<ExecutionConfig>,
}

/// The message of [`RuntimeError::ConfigMismatch`].
pub(crate) fn mismatch_message(activation: &u64, hash: &[u8; 32], differences: &[Difference]) -> String {
    let list: Vec<String> = differences.iter().map(ToString::to_string).collect();
    format!(
        "the local configuration's execution settings differ from the chain's (the version in force from \
         height {activation}, hash {}): {}; execution settings change only by an upgrade at a height \
         (`cove chain upgrade`, docs/chain-config.md): leave them out of the local configuration to run \
         with the chain's",
        hex(hash),
        list.join("; ")
    )
}

/// The chain's genesis entry must be `genesis`, if one is given.
pub(crate) fn check_genesis(
    versions: &Versions,
    genesis: Option<&ExecutionConfig>,
) -> Result<(), RuntimeError> {
    let (Some(recorded), Some(genesis)) = (versions.all().first(), genesis) else { return Ok(()) };
    let want = genesis.hash();
    if recorded.activation != 0 || recorded.hash != want {
        return Err(RuntimeError::Config(format!(
            "this data dir holds another chain: its genesis execution configuration (from height {}) has hash \
             {}, the genesis given has {}",
            recorded.activation,
            recorded.hash_hex(),
            hex(&want)
        )));
    }
    Ok(())
}
