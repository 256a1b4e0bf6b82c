//! Starting and stopping one validator: the cove node (state, index, mempool, optional
//! RPC), the consensus store, Malachite's engine (network, WAL, sync) and the
//! application loop that joins them.
//!
//! A node's home holds `data/` (the cove data dir), `consensus.redb` and
//! `wal/consensus.wal`. The libp2p identity is derived from the validator key, so a
//! restarted node keeps its peer id.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, NodeConfig as EngineNodeConfig, P2pConfig, ValueSyncConfig,
};
use malachitebft_app_channel::app::engine::network::Msg as NetworkActorMsg;
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::{
    ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, RequestContext, SyncContext, WalContext,
};
use node::{External, Mining, Node, RunningNode};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use crate::CoveContext;
use crate::app::{self, AppConfig, AppError};
use crate::codec::CoveCodec;
use crate::signing::{CoveSigner, CoveVerifier};
use crate::store::Store;
use crate::types::ValidatorSet;

fn in_use_hint(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::AddrInUse { " (does another node listen there?)" } else { "" }
}

/// How long [`ValidatorNode::kill`] waits for the network to close its sockets: 5 s.
const NETWORK_STOP_WAIT: Duration = Duration::from_secs(5);

/// Everything one validator needs to start.
#[derive(Clone)]
pub struct ValidatorConfig {
    /// A name for logs and metrics (unique in the process).
    pub moniker: String,
    /// The node home.
    pub home: PathBuf,
    /// The chain id.
    pub chain_id: u64,
    /// The time of block 1 (the dev accounts' funding), shared by every node of the chain.
    pub genesis_time: u64,
    /// The validators.
    pub validators: ValidatorSet,
    /// This node's consensus key. A key outside `validators` runs a full node, which
    /// follows the chain without voting.
    pub key: SigningKey,
    /// Where the consensus network listens (TCP).
    pub p2p: SocketAddr,
    /// The other nodes' consensus addresses.
    pub peers: Vec<SocketAddr>,
    /// Where JSON-RPC listens; `None`: no RPC.
    pub rpc: Option<SocketAddr>,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// The least time between heights.
    pub block_time: Option<Duration>,
    /// How often peers tell each other their heights (value sync).
    pub sync_interval: Duration,
    /// The runtime's configuration (its chain id is set to `chain_id`). Its execution
    /// settings are the chain's genesis ones: a data dir whose recorded genesis
    /// configuration differs is refused at start.
    pub runtime: runtime::Config,
    /// The balances block 1 credits (the genesis's); `None`: the ten dev accounts.
    pub accounts: Option<Vec<(alloy_primitives::Address, u128)>>,
}

/// Why a node did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The cove node failed to open.
    #[error(transparent)]
    Node(#[from] node::NodeError),
    /// The consensus store failed to open.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A listener cannot be bound on the consensus address (another process listens
    /// there, or the address is not this machine's).
    #[error("consensus address {addr}: {source}{}", in_use_hint(.source))]
    P2pAddress {
        /// The configured address.
        addr: SocketAddr,
        /// Why a listener could not be bound there.
        source: std::io::Error,
    },
    /// The engine failed to start.
    #[error("consensus engine: {0}")]
    Engine(String),
}

struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl EngineNodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// The TCP multiaddr of `addr`.
pub fn multiaddr(addr: SocketAddr) -> Multiaddr {
    let proto = if addr.is_ipv4() { "ip4" } else { "ip6" };
    format!("/{proto}/{}/tcp/{}", addr.ip(), addr.port()).parse().unwrap_or_else(|_| Multiaddr::empty())
}

/// The cove node, held with or without RPC: kept only to be dropped (which closes its
/// stores and stops its RPC) when the validator goes.
#[allow(dead_code)]
enum Held {
    Plain(Node),
    Rpc(RunningNode),
}

/// A running validator.
pub struct ValidatorNode {
    external: External,
    held: Option<Held>,
    engine: EngineHandle,
    app: JoinHandle<Result<(), AppError>>,
    rpc: Option<SocketAddr>,
}

impl ValidatorNode {
    /// Starts the validator of `cfg` on the current tokio runtime (multi-threaded).
    pub async fn start(cfg: ValidatorConfig) -> Result<ValidatorNode, StartError> {
        // libp2p binds its listener with `SO_REUSEPORT`: a second node of this user on
        // the same address would start without an error and take part of the first
        // one's connections. A plain listener refuses an address another one listens
        // on; bound and dropped, it leaves the address to the engine. (Two nodes that
        // start at the same moment can both pass: the engine binds after the stores
        // open.)
        drop(
            std::net::TcpListener::bind(cfg.p2p)
                .map_err(|source| StartError::P2pAddress { addr: cfg.p2p, source })?,
        );
        let data = cfg.home.join("data");
        let mut nc = node::NodeConfig::new(data);
        nc.mining = Mining::External;
        // Not a dev node: block 1 credits the genesis's balances, and nothing mints after
        // it (no `fund` transaction, no signing with dev keys over RPC).
        nc.dev = false;
        nc.genesis_time = Some(cfg.genesis_time);
        nc.runtime = cfg.runtime.clone();
        nc.runtime.evm.chain_id = cfg.chain_id;
        nc.chain.genesis = Some(runtime::ExecutionConfig::of(&nc.runtime));
        nc.genesis_accounts = Some(match &cfg.accounts {
            Some(accounts) => accounts.clone(),
            None => node::DEV_ACCOUNTS
                .iter()
                .map(|(a, _)| a.parse().map(|a| (a, node::DEV_BALANCE_WEI)))
                .collect::<Result<_, _>>()
                .map_err(|e| StartError::Engine(format!("dev account: {e}")))?,
        });
        if let Some(addr) = cfg.rpc {
            nc.rpc = addr;
        }
        let node = tokio::task::block_in_place(|| Node::open(nc))?;
        let (held, external, rpc) = match cfg.rpc {
            None => {
                let e = node.external();
                (Held::Plain(node), e, None)
            }
            Some(_) => {
                let running = tokio::task::block_in_place(|| node.start())?;
                let (e, a) = (running.external(), running.addr());
                (Held::Rpc(running), e, Some(a))
            }
        };
        let store = Arc::new(tokio::task::block_in_place(|| Store::open(&cfg.home))?);

        let signer = CoveSigner::new(cfg.key.clone(), cfg.chain_id);
        let address = signer.address();
        let node_secret: [u8; 32] =
            Sha256::new().chain_update(b"cove/p2p-key/v1").chain_update(cfg.key.to_bytes()).finalize().into();
        let keypair =
            Keypair::ed25519_from_bytes(node_secret).map_err(|e| StartError::Engine(e.to_string()))?;
        let identity = NetworkIdentity::new(cfg.moniker.clone(), keypair, Some(address.to_string()));

        let p2p = P2pConfig {
            listen_addr: multiaddr(cfg.p2p),
            persistent_peers: cfg.peers.iter().copied().map(multiaddr).collect(),
            persistent_peers_only: false,
            discovery: DiscoveryConfig {
                enabled: false,
                max_connections_per_ip: 64,
                ..DiscoveryConfig::default()
            },
            ..P2pConfig::default()
        };
        let consensus = ConsensusConfig { p2p, ..ConsensusConfig::default() };
        let value_sync =
            ValueSyncConfig { status_update_interval: cfg.sync_interval, ..ValueSyncConfig::default() };
        let engine_cfg = EngineConfig { moniker: cfg.moniker.clone(), consensus, value_sync };

        let (channels, engine) = malachitebft_app_channel::start_engine(
            CoveContext,
            engine_cfg,
            WalContext::new(cfg.home.join("wal").join("consensus.wal"), CoveCodec),
            NetworkContext::new(identity, CoveCodec),
            // A key outside the set runs a full node: it follows consensus and value
            // sync, checking every certificate, and never signs.
            if cfg.validators.validators().iter().any(|v| v.address == address) {
                ConsensusContext::new_validator(
                    address,
                    Box::new(CoveVerifier::new(cfg.chain_id)),
                    Box::new(signer.clone()),
                )
            } else {
                ConsensusContext::new_full_node(address, Box::new(CoveVerifier::new(cfg.chain_id)))
            },
            SyncContext::new(CoveCodec),
            RequestContext::new(100),
        )
        .await
        .map_err(|e| StartError::Engine(e.to_string()))?;

        let app_cfg = AppConfig {
            validators: cfg.validators.clone(),
            signer,
            chain_id: cfg.chain_id,
            timeouts: cfg.timeouts,
            block_time: cfg.block_time,
        };
        let app = tokio::spawn(app::run(app_cfg, external.clone(), store, channels));
        Ok(ValidatorNode { external, held: Some(held), engine, app, rpc })
    }

    /// The node's handle (head, blocks, mempool).
    pub fn external(&self) -> &External {
        &self.external
    }

    /// Where RPC listens, if it does.
    pub fn rpc(&self) -> Option<SocketAddr> {
        self.rpc
    }

    /// Whether the application loop has stopped (halted on an error, or the engine stopped).
    pub fn halted(&self) -> bool {
        self.app.is_finished()
    }

    /// Stops the engine and the application loop, as a crash would (nothing is flushed
    /// beyond what was already durable; the network closes its sockets first), and
    /// closes the stores. Returns the loop's result if it had ended before this call.
    pub async fn kill(mut self) -> Option<Result<(), AppError>> {
        // Read first: what follows closes the engine's channels, which ends a loop
        // still running with `EngineGone`.
        let finished = self.app.is_finished();
        // The network actor runs its libp2p swarm in a task of its own that only an
        // orderly stop ends: killed, the swarm would go on listening and answering
        // peers as this node (a node restarted in this process would share its port
        // with it). So the network stops first; the engine then dies without another
        // orderly step. Unlinked before it stops, or the engine's supervisor would take
        // the stop for a failure and stop itself.
        for child in self.engine.actor.get_children() {
            if child.is_message_type_of::<NetworkActorMsg<CoveContext>>() == Some(true) {
                child.unlink(self.engine.actor.get_cell());
                if child.stop_and_wait(None, Some(NETWORK_STOP_WAIT)).await.is_err()
                    && child.wait(Some(NETWORK_STOP_WAIT)).await.is_err()
                {
                    log::warn!("the consensus network did not stop in {NETWORK_STOP_WAIT:?}");
                }
            }
        }
        let _ = self.engine.actor.kill_and_wait(None).await;
        self.engine.handle.abort();
        let _ = (&mut self.engine.handle).await;
        self.app.abort();
        let result = (&mut self.app).await.ok();
        // The node's stores close when the last handle goes: the loop's is gone now.
        let held = self.held.take();
        tokio::task::block_in_place(move || drop(held));
        if finished { result } else { None }
    }
}
