//! A node that is not a validator joins from another node's snapshot: state imported
//! over RPC, block H's entry seeded, then value sync; it serves the chain's roots. Given
//! an entry that is not the chain's, it halts at the first synced block instead.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use cove_consensus::join;
use node::chain::StoredBlock;
use serde_json::{Value, json};

use crate::cluster::{send_all, send_from, wait_all_in};
use crate::harness::Cluster;

/// One JSON-RPC call over HTTP/1.1 to `addr`: the result, or the error's message.
fn rpc(addr: SocketAddr, method: &str, params: Value) -> Result<Value, String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP body")?;
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return Err("a chunked answer (not read by this client)".into());
    }
    let v: Value = serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))?;
    match v.get("error") {
        Some(e) => Err(e["message"].as_str().unwrap_or("error").to_string()),
        None => Ok(v["result"].clone()),
    }
}

/// Block `h` as node `addr`'s RPC answers it: (hash, state root).
fn rpc_block(addr: SocketAddr, h: u64) -> (String, String) {
    let b =
        rpc(addr, "eth_getBlockByNumber", json!([format!("{h:#x}"), false])).expect("eth_getBlockByNumber");
    assert!(!b.is_null(), "node at {addr} has no block {h}");
    (b["hash"].as_str().expect("hash").to_string(), b["stateRoot"].as_str().expect("stateRoot").to_string())
}

/// Four validators, node 0 serving RPC, transfers committed; the follower (not
/// started) and block H's entry, as node 0's index holds it, read back from JSON as a
/// file would give it.
async fn chain_and_follower() -> (Cluster, usize, StoredBlock) {
    let mut cluster = Cluster::new(4);
    let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    cluster.config_mut(0).rpc = Some(any);
    let j = cluster.add_follower();
    cluster.config_mut(j).rpc = Some(any);
    for i in 0..4 {
        cluster.start(i).await;
    }
    cluster.wait_height(3, Duration::from_secs(60)).await;
    let sent = send_all(&cluster, &[0, 1, 2, 3], 3, Duration::from_secs(30)).await;
    wait_all_in(&cluster, &sent, Duration::from_secs(60)).await;
    let h = cluster.height(0);
    cluster.wait_height(h, Duration::from_secs(60)).await;
    let entry = cluster.node(0).external().block(h).expect("block").expect("committed");
    let file = serde_json::to_vec(&entry).expect("encode");
    (cluster, j, serde_json::from_slice(&file).expect("decode"))
}

/// Prepares the follower's home from node 0's snapshot at the entry's height, the root
/// trusted being node 1's at that height.
fn try_prepare(
    cluster: &Cluster,
    j: usize,
    entry: &StoredBlock,
) -> Result<runtime::Manifest, join::JoinError> {
    let serving = cluster.node(0).rpc().expect("node 0 serves RPC");
    let trusted =
        cluster.node(1).external().block(entry.number).expect("block").expect("committed").state_root;
    let trusted = format!("{:#x}", trusted.expect("root"));
    let mut call = |m: &str, p: Value| rpc(serving, m, p);
    let cfg = cluster.config(j).clone();
    tokio::task::block_in_place(|| join::prepare(&cfg, &mut call, entry, Some(&trusted)))
}

fn prepare(cluster: &Cluster, j: usize, entry: &StoredBlock) -> runtime::Manifest {
    try_prepare(cluster, j, entry).expect("prepare")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_joins_from_a_snapshot_and_serves_the_same_roots() {
    let (mut cluster, j, entry) = chain_and_follower().await;
    let h = entry.number;
    let manifest = prepare(&cluster, j, &entry);
    assert_eq!(manifest.height, h);
    cluster.set_first(j, h);
    cluster.start(j).await;
    assert!(cluster.height(j) >= h, "the joining node starts at the snapshot's height");
    // More transfers after H: the follower runs them as it syncs.
    let sent = send_from(&cluster, &[0, 1, 2, 3], 3, 3, Duration::from_secs(30)).await;
    wait_all_in(&cluster, &sent, Duration::from_secs(60)).await;
    let top = (0..4).map(|i| cluster.height(i)).max().unwrap_or(0);
    cluster.wait_height(top + 1, Duration::from_secs(90)).await;
    // Same hash and root as every validator at every height from H on.
    cluster.assert_same_chain();
    let joined = cluster.node(j).external();
    assert!(joined.block(h - 1).expect("block").is_none(), "a node joined at {h} holds no block below it");
    for t in &sent {
        assert!(
            joined.block_of_tx(t).expect("index").is_some(),
            "transaction {t} not in the joined node's blocks"
        );
    }
    // Its RPC answers as the validators' does.
    let (ours, theirs) = (cluster.node(j).rpc().expect("rpc"), cluster.node(0).rpc().expect("rpc"));
    for height in [h, h + 1, top] {
        assert_eq!(rpc_block(ours, height), rpc_block(theirs, height), "block {height} over RPC");
        let root =
            |a| rpc(a, "cove_getStateRoot", json!([format!("{height:#x}")])).expect("cove_getStateRoot");
        assert_eq!(root(ours)["root"], root(theirs)["root"], "cove_getStateRoot at {height}");
    }
    let to = format!("{:#x}", Address::repeat_byte(0x77));
    let balance = |a| rpc(a, "eth_getBalance", json!([to, format!("{top:#x}")])).expect("eth_getBalance");
    assert_eq!(balance(ours), balance(theirs));
    assert_eq!(balance(ours), json!(format!("{:#x}", 60)), "sixty transfers of 1 wei");
    for i in 0..5 {
        cluster.kill(i).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_joined_with_another_block_entry_halts_at_the_next_block() {
    let (mut cluster, j, mut entry) = chain_and_follower().await;
    let h = entry.number;
    let data = cluster.config(j).home.join("data");
    // Refused at once, the data dir left as it was (absent): an entry whose contents do
    // not give its hash, and one on another state root than the snapshot's.
    let mut forged = entry.clone();
    forged.fee_recipient = Address::repeat_byte(0x22);
    let err = try_prepare(&cluster, j, &forged).expect_err("an entry whose hash is not its contents'");
    assert!(err.to_string().contains("not to the hash it names"), "{err}");
    assert!(!data.exists(), "a refused home kept its data dir");
    let mut other_root = entry.clone();
    other_root.state_root = Some(B256::repeat_byte(0x33));
    other_root.hash = Some(other_root.header().expect("header").hash_slow());
    let err = try_prepare(&cluster, j, &other_root).expect_err("an entry on another root");
    assert!(err.to_string().contains("state root is not the snapshot's"), "{err}");
    assert!(!data.exists(), "a refused home kept its data dir");
    // Self-consistent (its hash is its contents') and on the snapshot's root, but not
    // the chain's block H: only the certified block H + 1 can tell.
    entry.parent_hash = B256::repeat_byte(0x11);
    entry.hash = Some(entry.header().expect("header").hash_slow());
    prepare(&cluster, j, &entry);
    cluster.start(j).await;
    let start = Instant::now();
    while !cluster.node(j).halted() {
        assert!(start.elapsed() < Duration::from_secs(60), "the node joined with a wrong entry did not halt");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cluster.height(j), h, "the node joined with a wrong entry committed past it");
    let err = cluster.stop_halted(j).await;
    assert!(err.contains(&format!("chain diverged at height {}", h + 1)), "{err}");
    for i in 0..4 {
        cluster.kill(i).await;
    }
}
