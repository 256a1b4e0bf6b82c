//! Preparing a node's home from another node's snapshot, so it joins the chain at that
//! snapshot's height H instead of replaying every block (`docs/consensus.md`,
//! "Joining").
//!
//! Two things come from outside: the state at H, fetched over the serving node's RPC
//! and imported with `cove-node`'s checks (every chunk hash, the recomputed root, equal
//! to the root announced and to the one the caller trusts), and block H's index entry,
//! which gives the node block H's hash (the next block's parent hash) and is checked
//! against the snapshot (height, time, state root) and its own contents (its hash). It
//! must not start the node: [`crate::ValidatorNode::start`] then starts it at H + 1,
//! where the first block it takes from value sync, certified by the validators, must
//! name both the imported root and block H's hash as its parent's, or the node halts.

use node::chain::StoredBlock;
use node::snapshot_fetch::{Call, FetchError};

use crate::ValidatorConfig;

/// Why a home could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The home could not be made.
    #[error("the node home {0}: {1}")]
    Home(String, std::io::Error),
    /// The snapshot was not fetched, or refused.
    #[error(transparent)]
    Snapshot(#[from] FetchError),
    /// Block H's entry was refused.
    #[error(transparent)]
    Block(#[from] node::NodeError),
}

/// Imports into the home of `cfg` (which must hold no block) the snapshot of block
/// `block.number` of the node behind `call`, checked against `trusted_root` if given,
/// and seeds its index with `block`, block H's entry. On an error the data dir is
/// removed if this call made it. Returns the snapshot's manifest.
pub fn prepare(
    cfg: &ValidatorConfig,
    call: &mut Call<'_>,
    block: &StoredBlock,
    trusted_root: Option<&str>,
) -> Result<runtime::Manifest, JoinError> {
    let data = cfg.home.join("data");
    let home = |e| JoinError::Home(cfg.home.display().to_string(), e);
    std::fs::create_dir_all(&cfg.home).map_err(home)?;
    let made = !data.exists();
    let mut runtime = cfg.runtime.clone();
    runtime.evm.chain_id = cfg.chain_id;
    let result =
        node::snapshot_fetch::import(call, &data, &runtime, Some(block.number), trusted_root, &|_, _| {})
            .map_err(JoinError::from)
            .and_then(|manifest| {
                node::chain::seed(&data, &manifest, block)?;
                Ok(manifest)
            });
    if result.is_err() && made {
        let _ = std::fs::remove_dir_all(&data);
    }
    result
}
