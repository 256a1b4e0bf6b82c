//! The in-process harness: N validators of one chain in this process on loopback, on
//! free ports, each with its own home; a node can be killed and restarted, cut off
//! from the others and healed, and nodes that are not validators can be added. Also
//! transaction signing for the dev accounts.
//!
//! Nodes never dial each other directly: node `i` reaches node `j` through a relay of
//! its own (`relay.rs`), so cutting node `i` off is closing every relay to and from it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use cove_consensus::types::{Validator, ValidatorSet};
use cove_consensus::{ValidatorConfig, ValidatorNode};
use ed25519_dalek::SigningKey;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use node::DEV_ACCOUNTS;
use socket2::{Domain, Protocol, Socket, Type};

use crate::relay::Relay;

/// The chain id of test chains.
pub(crate) const CHAIN_ID: u64 = 4242;
/// Gas price the tests pay: 2 gwei.
pub(crate) const PRICE: u128 = 2_000_000_000;

/// Prints the engine's `tracing` events and the crates' `log` records (INFO and up)
/// to stderr when `COVE_TEST_LOG` is set; nextest shows a failing test's output. Each
/// engine event carries its node's moniker (`node{i}-{pid}`) in its span.
pub(crate) fn init_log() {
    if std::env::var_os("COVE_TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
            .with_writer(std::io::stderr)
            .try_init();
    }
}

/// A loopback port held for one node of this process for as long as the value lives:
/// bound, never listening, with `SO_REUSEADDR` and `SO_REUSEPORT`.
///
/// libp2p listens with `SO_REUSEPORT`, so the node binds the port while it is held,
/// again after a restart (on Linux, where a bound socket that does not listen conflicts
/// with no listener of the same user); and the kernel gives the port to no other socket
/// that asks it for a free one meanwhile. A port bound only long enough to learn a free
/// number could go to another test process's node, and two libp2p listeners on one port
/// share its connections: nodes of two clusters with the same keys then vote in each
/// other's chains. (A socket that names the port explicitly still gets it, or finds the
/// node's own listener: `ValidatorNode::start` refuses a port another node listens on.)
pub(crate) struct Port {
    addr: SocketAddr,
    _held: Socket,
}

impl Port {
    pub(crate) fn new() -> Port {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
        socket.set_reuse_address(true).expect("SO_REUSEADDR");
        socket.set_reuse_port(true).expect("SO_REUSEPORT");
        socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into()).expect("bind");
        let addr = socket.local_addr().expect("addr").as_socket().expect("an IP address");
        Port { addr, _held: socket }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// N validators of one chain (and the nodes that follow it).
pub(crate) struct Cluster {
    _dir: tempfile::TempDir,
    configs: Vec<ValidatorConfig>,
    nodes: Vec<Option<ValidatorNode>>,
    /// `relays[i][j]`: how node `i` reaches node `j` (`None` where `i` does not dial `j`).
    relays: Vec<Vec<Option<Relay>>>,
    /// The lowest height each node holds a block of (1, or a snapshot's height).
    first: Vec<u64>,
    /// Each node's consensus port, held while the cluster lives.
    ports: Vec<Port>,
}

impl Cluster {
    /// `n` validators of equal power, not started.
    pub(crate) fn new(n: usize) -> Cluster {
        init_log();
        let dir = tempfile::tempdir().expect("tempdir");
        let keys: Vec<SigningKey> = (0..n).map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32])).collect();
        let validators = ValidatorSet::new(keys.iter().map(|k| Validator::new(k.verifying_key(), 1)));
        let ports: Vec<Port> = (0..n).map(|_| Port::new()).collect();
        let addrs: Vec<SocketAddr> = ports.iter().map(Port::addr).collect();
        let timeouts = LinearTimeouts {
            propose: Duration::from_millis(1500),
            propose_delta: Duration::from_millis(500),
            prevote: Duration::from_millis(500),
            prevote_delta: Duration::from_millis(250),
            precommit: Duration::from_millis(500),
            precommit_delta: Duration::from_millis(250),
            rebroadcast: Duration::from_millis(2500),
            max_timeout: Duration::from_secs(10),
        };
        let relays: Vec<Vec<Option<Relay>>> =
            (0..n).map(|i| (0..n).map(|j| (i != j).then(|| Relay::new(addrs[j]))).collect()).collect();
        let configs = (0..n)
            .map(|i| ValidatorConfig {
                moniker: format!("node{i}-{}", std::process::id()),
                home: dir.path().join(format!("node{i}")),
                chain_id: CHAIN_ID,
                genesis_time: 1_700_000_000,
                validators: validators.clone(),
                key: keys[i].clone(),
                p2p: addrs[i],
                peers: relays[i].iter().flatten().map(Relay::addr).collect(),
                rpc: None,
                timeouts,
                block_time: Some(Duration::from_millis(250)),
                sync_interval: Duration::from_secs(1),
                // Two threads, whatever the machine: each thread of a node holds its
                // own VMs, and a cluster's nodes share this process's address space.
                runtime: runtime::Config {
                    execution: runtime::Parallelism { threads: 2 },
                    ..runtime::Config::default()
                },
                accounts: None,
            })
            .collect();
        Cluster {
            _dir: dir,
            configs,
            nodes: (0..n).map(|_| None).collect(),
            relays,
            first: vec![1; n],
            ports,
        }
    }

    /// Adds a node of the chain that is not a validator (not started): it dials every
    /// validator, none dials it. Returns its index.
    pub(crate) fn add_follower(&mut self) -> usize {
        let k = self.configs.len();
        let mut cfg = self.configs[0].clone();
        cfg.moniker = format!("node{k}-{}", std::process::id());
        cfg.home = self._dir.path().join(format!("node{k}"));
        cfg.key = SigningKey::from_bytes(&[0x40 + k as u8; 32]);
        let address = Validator::new(cfg.key.verifying_key(), 1).address;
        assert!(!cfg.validators.validators().iter().any(|v| v.address == address), "a validator's key");
        let port = Port::new();
        cfg.p2p = port.addr();
        self.ports.push(port);
        let row: Vec<Option<Relay>> = (0..k).map(|j| Some(Relay::new(self.configs[j].p2p))).collect();
        cfg.peers = row.iter().flatten().map(Relay::addr).collect();
        for r in &mut self.relays {
            r.push(None);
        }
        self.relays.push(row.into_iter().chain([None]).collect());
        self.configs.push(cfg);
        self.nodes.push(None);
        self.first.push(1);
        k
    }

    /// Node `i`'s configuration, to change before it starts.
    pub(crate) fn config_mut(&mut self, i: usize) -> &mut ValidatorConfig {
        &mut self.configs[i]
    }

    /// Node `i`'s configuration.
    pub(crate) fn config(&self, i: usize) -> &ValidatorConfig {
        &self.configs[i]
    }

    /// Records that node `i` holds blocks from `height` on (it started from a snapshot).
    pub(crate) fn set_first(&mut self, i: usize, height: u64) {
        self.first[i] = height;
    }

    /// Cuts node `i` off: every connection to or from it is shut down and none is let
    /// through until [`Cluster::heal`].
    pub(crate) fn cut(&self, i: usize) {
        for (a, b, r) in self.relays_of(i) {
            log::info!("cutting {a} -> {b}");
            r.cut();
        }
    }

    /// Lets node `i` reach the others again.
    pub(crate) fn heal(&self, i: usize) {
        for (_, _, r) in self.relays_of(i) {
            r.open();
        }
    }

    fn relays_of(&self, i: usize) -> impl Iterator<Item = (usize, usize, &Relay)> {
        self.relays.iter().enumerate().flat_map(move |(a, row)| {
            row.iter()
                .enumerate()
                .filter_map(move |(b, r)| r.as_ref().filter(|_| a == i || b == i).map(|r| (a, b, r)))
        })
    }

    /// Starts node `i`.
    pub(crate) async fn start(&mut self, i: usize) {
        let node = ValidatorNode::start(self.configs[i].clone()).await.expect("start");
        self.nodes[i] = Some(node);
    }

    /// Starts every node.
    pub(crate) async fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i).await;
        }
    }

    /// Node `i`, running.
    pub(crate) fn node(&self, i: usize) -> &ValidatorNode {
        self.nodes[i].as_ref().expect("node running")
    }

    /// Kills node `i` (no orderly shutdown); panics if its loop had halted on an error.
    pub(crate) async fn kill(&mut self, i: usize) {
        let node = self.nodes[i].take().expect("node running");
        if let Some(Err(e)) = node.kill().await {
            panic!("node {i} had halted: {e}");
        }
    }

    /// Stops node `i`, which must have halted on an error; returns the error's message.
    pub(crate) async fn stop_halted(&mut self, i: usize) -> String {
        let node = self.nodes[i].take().expect("node running");
        match node.kill().await {
            Some(Err(e)) => e.to_string(),
            other => panic!("node {i} had not halted on an error: {other:?}"),
        }
    }

    /// The committed height of node `i`.
    pub(crate) fn height(&self, i: usize) -> u64 {
        self.node(i).external().head().expect("head").number
    }

    /// Waits until every running node has committed `height`.
    pub(crate) async fn wait_height(&self, height: u64, limit: Duration) {
        self.wait_height_of(&self.running(), height, limit).await;
    }

    /// Waits until each of `nodes` has committed `height`.
    pub(crate) async fn wait_height_of(&self, nodes: &[usize], height: u64, limit: Duration) {
        let start = Instant::now();
        loop {
            let mut all = true;
            for i in nodes {
                assert!(!self.node(*i).halted(), "node {i} halted");
                all &= self.height(*i) >= height;
            }
            if all {
                return;
            }
            let heights: Vec<u64> = nodes.iter().map(|i| self.height(*i)).collect();
            assert!(
                start.elapsed() < limit,
                "height {height} not reached in {limit:?} by nodes {nodes:?} (at {heights:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Running node indices.
    pub(crate) fn running(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|i| self.nodes[*i].is_some()).collect()
    }

    /// Checks that every running node has the same block hash and state root as the
    /// first running one at every height both hold; returns the lowest head.
    pub(crate) fn assert_same_chain(&self) -> u64 {
        let running = self.running();
        let low = running.iter().map(|i| self.height(*i)).min().expect("a running node");
        assert_eq!(self.first[running[0]], 1, "the first running node holds every block");
        for h in 1..=low {
            let first = self.node(running[0]).external().block(h).expect("block").expect("committed");
            for i in running[1..].iter().filter(|i| h >= self.first[**i]) {
                let b = self.node(*i).external().block(h).expect("block").expect("committed");
                assert_eq!(b.state_root, first.state_root, "state root of node {i} at height {h}");
                assert_eq!(b.hash, first.hash, "block hash of node {i} at height {h}");
            }
        }
        low
    }
}

/// A dev account's signing key and address.
pub(crate) struct Wallet {
    key: k256::ecdsa::SigningKey,
}

impl Wallet {
    pub(crate) fn dev(i: usize) -> Wallet {
        let key =
            k256::ecdsa::SigningKey::from_slice(&hex::decode(DEV_ACCOUNTS[i].1).expect("hex")).expect("key");
        Wallet { key }
    }

    /// A value transfer of `value` wei to `to`.
    pub(crate) fn transfer(&self, nonce: u64, to: Address, value: u64) -> Vec<u8> {
        let tx = TxLegacy {
            chain_id: Some(CHAIN_ID),
            nonce,
            gas_price: PRICE,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            value: U256::from(value),
            input: Bytes::new(),
        };
        let (sig, recid) = self.key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("sign");
        TxEnvelope::from(tx.into_signed(alloy_primitives::Signature::from((sig, recid)))).encoded_2718()
    }
}
