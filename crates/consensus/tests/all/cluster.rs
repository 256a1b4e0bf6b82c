//! Four validators on loopback: transactions finalized exactly once, the same roots
//! everywhere, a killed validator's recovery.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use node::{SubmitError, pool::PoolError};

use cove_consensus::{StartError, ValidatorNode};

use crate::harness::{Cluster, Wallet};

/// Transactions the acceptance test sends: 1,000 (100 from each dev account).
const TXS: usize = 1_000;

/// Sends `per_sender` transfers from each of the ten dev accounts, sender `s` to node
/// `s % n` (round-robin over nodes; one sender's nonces stay on one node, whose pool
/// orders them), waiting while a pool is full. Returns the hashes sent.
pub(crate) async fn send_all(
    cluster: &Cluster,
    nodes: &[usize],
    per_sender: u64,
    limit: Duration,
) -> Vec<B256> {
    send_from(cluster, nodes, 0, per_sender, limit).await
}

/// As [`send_all`], with nonces from `first` on.
pub(crate) async fn send_from(
    cluster: &Cluster,
    nodes: &[usize],
    first: u64,
    per_sender: u64,
    limit: Duration,
) -> Vec<B256> {
    let wallets: Vec<Wallet> = (0..10).map(Wallet::dev).collect();
    let to = Address::repeat_byte(0x77);
    let mut next = [first; 10];
    let per_sender = first + per_sender;
    let mut hashes = Vec::new();
    let start = Instant::now();
    while next.iter().any(|n| *n < per_sender) {
        for (s, w) in wallets.iter().enumerate() {
            let node = cluster.node(nodes[s % nodes.len()]);
            while next[s] < per_sender {
                let raw = w.transfer(next[s], to, 1);
                match node.external().submit(&raw) {
                    Ok(h) => {
                        hashes.push(h);
                        next[s] += 1;
                    }
                    Err(SubmitError::Pool(PoolError::Full)) => break,
                    Err(e) => panic!("submit: {e}"),
                }
            }
        }
        assert!(start.elapsed() < limit, "could not send every transaction in {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    hashes
}

/// Every hash in `sent` is in exactly one committed block of node `i`, and no block
/// holds a transaction twice.
pub(crate) fn assert_finalized_once(cluster: &Cluster, i: usize, sent: &[B256]) {
    let head = cluster.height(i);
    let mut seen: HashMap<B256, u64> = HashMap::new();
    for h in 1..=head {
        let b = cluster.node(i).external().block(h).expect("block").expect("committed");
        for t in &b.txs {
            assert!(t.status, "transfer {} failed", t.hash);
            if let Some(prev) = seen.insert(t.hash, h) {
                panic!("transaction {} in blocks {prev} and {h}", t.hash);
            }
        }
    }
    for h in sent {
        assert!(seen.contains_key(h), "transaction {h} not finalized");
    }
    assert_eq!(seen.len(), sent.len(), "blocks hold transactions never sent");
}

pub(crate) async fn wait_all_in(cluster: &Cluster, sent: &[B256], limit: Duration) {
    let start = Instant::now();
    loop {
        let i = cluster.running()[0];
        let found = sent
            .iter()
            .filter(|h| cluster.node(i).external().block_of_tx(h).expect("index").is_some())
            .count();
        if found == sent.len() {
            return;
        }
        assert!(start.elapsed() < limit, "{found} of {} finalized in {limit:?}", sent.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_validators_finalize_each_transaction_once_with_equal_roots() {
    let mut cluster = Cluster::new(4);
    cluster.start_all().await;
    cluster.wait_height(3, Duration::from_secs(60)).await;
    let sent = send_all(&cluster, &[0, 1, 2, 3], (TXS / 10) as u64, Duration::from_secs(90)).await;
    assert_eq!(sent.len(), TXS);
    wait_all_in(&cluster, &sent, Duration::from_secs(90)).await;
    let top = cluster.running().iter().map(|i| cluster.height(*i)).max().unwrap_or(0);
    cluster.wait_height(top, Duration::from_secs(30)).await;
    let low = cluster.assert_same_chain();
    assert!(low >= 3);
    for i in 0..4 {
        assert_finalized_once(&cluster, i, &sent);
    }
    for i in 0..4 {
        cluster.kill(i).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_validator_restarts_and_catches_up() {
    let mut cluster = Cluster::new(4);
    cluster.start_all().await;
    cluster.wait_height(3, Duration::from_secs(60)).await;
    cluster.kill(3).await;
    // The other three keep finalizing, transactions included.
    let sent = send_all(&cluster, &[0, 1, 2], 5, Duration::from_secs(30)).await;
    wait_all_in(&cluster, &sent, Duration::from_secs(60)).await;
    let h = cluster.height(0) + 2;
    cluster.wait_height(h, Duration::from_secs(60)).await;
    // Restarted, it recovers from its WAL and stores and syncs what it missed.
    cluster.start(3).await;
    cluster.wait_height(h + 2, Duration::from_secs(90)).await;
    cluster.assert_same_chain();
    assert_finalized_once(&cluster, 3, &sent);
    for i in 0..4 {
        cluster.kill(i).await;
    }
}

/// A node given the consensus address a running node listens on is refused at start,
/// before it opens anything, instead of starting to share that node's connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_the_address_of_a_running_one_is_refused() {
    let mut cluster = Cluster::new(1);
    cluster.start(0).await;
    cluster.wait_height(2, Duration::from_secs(60)).await;
    let mut cfg = cluster.config(0).clone();
    cfg.home = cfg.home.with_file_name("second");
    match ValidatorNode::start(cfg.clone()).await.err() {
        Some(StartError::P2pAddress { addr, source }) => {
            assert_eq!(addr, cluster.config(0).p2p);
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("started, or refused for another reason: {other:?}"),
    }
    assert!(!cfg.home.exists(), "nothing was opened");
    cluster.wait_height(4, Duration::from_secs(60)).await;
    cluster.kill(0).await;
}

/// A killed node leaves nothing listening on its address (the engine's network
/// closes its sockets as a crash would), so it can start there again at once; and a
/// kill finds the loop it stops still running, not halted by the kill itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_leaves_its_address_free() {
    let mut cluster = Cluster::new(1);
    cluster.start(0).await;
    cluster.wait_height(2, Duration::from_secs(60)).await;
    let addr = cluster.config(0).p2p;
    assert!(std::net::TcpListener::bind(addr).is_err(), "the running node listens on {addr}");
    // A lone validator proposes every height: each kill comes while it builds or
    // streams a block, and must still find its loop running, not halted.
    for _ in 0..5 {
        cluster.kill(0).await;
        drop(std::net::TcpListener::bind(addr).expect("nothing listens after the kill"));
        cluster.start(0).await;
        let next = cluster.height(0) + 2;
        cluster.wait_height(next, Duration::from_secs(60)).await;
    }
    cluster.kill(0).await;
}
