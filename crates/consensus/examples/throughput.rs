//! Throughput of cove under Malachite consensus: four validators (by default) in this
//! process on loopback, each with its own home, consensus network and JSON-RPC server,
//! driven over HTTP by signed Ethereum transfers.
//!
//! ```sh
//! cargo run --release -p cove-consensus --example throughput
//! cargo run --release -p cove-consensus --example throughput -- --txs 40000 --block-ms 500
//! ```
//!
//! Setup (not timed): the ten dev accounts fund `--senders` fresh accounts (sender `s`
//! from dev account `s mod 10`). Then every transfer is signed before the clock starts
//! (sender `s`'s `j`-th sends 1 wei to one of the other senders) and sent round-robin
//! over the nodes: sender `s` to node `s mod N`, so one sender's nonces stay in one
//! mempool. Each node has one client task on a kept-alive HTTP/1.1 connection sending
//! `eth_sendRawTransaction` calls in JSON-RPC batch requests of at most `--batch`, and
//! keeping at most [`SENDER_WINDOW`] transactions of a sender and [`NODE_WINDOW`] in
//! all outstanding (sent, not yet in a block), below the mempool's limits. One watcher
//! per node polls `eth_blockNumber` every [`HEAD_POLL`] and reads each new block with
//! `eth_getBlockByNumber`: a transfer is final when the block holding it is seen on the
//! node it was sent to (a committed block is a decided one). The latency of a transfer
//! runs from just before the request that sent it to that moment; the throughput is the
//! transfers over the time from the first send to the last one seen final.
//!
//! Afterwards, outside the clock and in-process, every node's blocks are checked: each
//! transfer is in exactly one block, with status 1, and every node has the same block
//! hash and state root at every height. A failed check is an error, never a figure.
//! Nothing here is asserted on time.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes as EthBytes, TxKind, U256, keccak256};
use bytes::Bytes;
use cove_consensus::types::{Validator, ValidatorSet};
use cove_consensus::{ValidatorConfig, ValidatorNode};
use ed25519_dalek::SigningKey;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The benchmark chain's id.
const CHAIN_ID: u64 = 4242;
/// Gas price of every transfer: 2 gwei.
const PRICE: u128 = 2_000_000_000;
/// Most transactions of one sender outstanding at once: 32 (half the mempool's 64 per
/// sender, so a block's transactions still in the pool a moment after it is visible
/// never make it refuse a send).
const SENDER_WINDOW: usize = 32;
/// Most transactions outstanding on one node at once: 2,000 (half the mempool's 4,096).
const NODE_WINDOW: usize = 2_000;
/// How often each watcher asks its node for the head.
const HEAD_POLL: Duration = Duration::from_millis(5);
/// How long the load may go without one transfer becoming final before it fails.
const STALL: Duration = Duration::from_secs(60);

struct Args {
    nodes: usize,
    txs: usize,
    senders: usize,
    block_ms: u64,
    batch: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { nodes: 4, txs: 20_000, senders: 1_000, block_ms: 250, batch: 100 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: u64 = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
        match flag.as_str() {
            "--nodes" => a.nodes = n as usize,
            "--txs" => a.txs = n as usize,
            "--senders" => a.senders = n as usize,
            "--block-ms" => a.block_ms = n,
            "--batch" => a.batch = n as usize,
            _ => return Err(format!("unknown flag {flag} (--nodes, --txs, --senders, --block-ms, --batch)")),
        }
    }
    if a.nodes == 0 || a.txs == 0 || a.senders < 2 || a.batch == 0 || a.block_ms > 1000 {
        return Err(
            "--nodes, --txs, --batch must be above 0, --senders above 1, --block-ms at most 1000".into()
        );
    }
    Ok(a)
}

/// A signing key and its address.
struct Wallet {
    key: k256::ecdsa::SigningKey,
    address: Address,
}

impl Wallet {
    fn from_key(key: k256::ecdsa::SigningKey) -> Wallet {
        let point = key.verifying_key().to_encoded_point(false);
        let address = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
        Wallet { key, address }
    }

    fn dev(i: usize) -> Result<Wallet, String> {
        let raw = hex::decode(node::DEV_ACCOUNTS[i].1).map_err(|e| e.to_string())?;
        Ok(Wallet::from_key(k256::ecdsa::SigningKey::from_slice(&raw).map_err(|e| e.to_string())?))
    }

    /// Sender `i`: its key is keccak-256 of a label and `i` (re-hashed while that is not
    /// a valid scalar).
    fn sender(i: u64) -> Wallet {
        let mut seed = keccak256([b"cove consensus throughput".as_slice(), &i.to_be_bytes()].concat());
        loop {
            if let Ok(key) = k256::ecdsa::SigningKey::from_slice(seed.as_slice()) {
                return Wallet::from_key(key);
            }
            seed = keccak256(seed);
        }
    }

    /// A legacy value transfer, signed: its raw bytes as a hex string and its hash.
    fn transfer(&self, nonce: u64, to: Address, value: U256) -> Result<Signed, String> {
        let tx = TxLegacy {
            chain_id: Some(CHAIN_ID),
            nonce,
            gas_price: PRICE,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            value,
            input: EthBytes::new(),
        };
        let (sig, recid) =
            self.key.sign_prehash_recoverable(tx.signature_hash().as_slice()).map_err(|e| e.to_string())?;
        let env = TxEnvelope::from(tx.into_signed(alloy_primitives::Signature::from((sig, recid))));
        Ok(Signed { raw: format!("0x{}", hex::encode(env.encoded_2718())), hash: *env.tx_hash() })
    }
}

struct Signed {
    raw: String,
    hash: B256,
}

/// A free TCP port on 127.0.0.1 (bound, then released).
fn free_addr() -> Result<SocketAddr, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map_err(|e| e.to_string())
}

fn configs(n: usize, home: &std::path::Path, block_time: Duration) -> Result<Vec<ValidatorConfig>, String> {
    let keys: Vec<SigningKey> = (0..n).map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32])).collect();
    let validators = ValidatorSet::new(keys.iter().map(|k| Validator::new(k.verifying_key(), 1)));
    let p2p: Vec<SocketAddr> = (0..n).map(|_| free_addr()).collect::<Result<_, _>>()?;
    let rpc: Vec<SocketAddr> = (0..n).map(|_| free_addr()).collect::<Result<_, _>>()?;
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
    Ok((0..n)
        .map(|i| ValidatorConfig {
            moniker: format!("bench{i}"),
            home: home.join(format!("node{i}")),
            chain_id: CHAIN_ID,
            genesis_time: 1_700_000_000,
            validators: validators.clone(),
            key: keys[i].clone(),
            p2p: p2p[i],
            peers: p2p.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, a)| *a).collect(),
            rpc: Some(rpc[i]),
            timeouts,
            block_time: Some(block_time),
            sync_interval: Duration::from_secs(1),
            runtime: runtime::Config::default(),
            accounts: None,
        })
        .collect())
}

/// One kept-alive HTTP/1.1 connection to a node's JSON-RPC server.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Client, String> {
        let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("{addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        Ok(Client { sender, host: addr.to_string() })
    }

    async fn post(&mut self, body: String) -> Result<Value, String> {
        self.sender.ready().await.map_err(|e| format!("connection lost: {e}"))?;
        let request = hyper::Request::post("/")
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self.sender.send_request(request).await.map_err(|e| format!("request: {e}"))?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("response is not JSON ({e})"))
    }

    async fn result(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let mut v = self
            .post(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
            .await?;
        match v.get_mut("error") {
            Some(e) => Err(format!("{method}: {e}")),
            None => Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
        }
    }
}

fn quantity(v: &Value) -> Result<u64, String> {
    let s = v.as_str().ok_or_else(|| format!("expected a hex quantity, got {v}"))?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("{s}: {e}"))
}

/// What is outstanding on one node: sent, not yet seen in a block.
#[derive(Default)]
struct Outstanding {
    /// Transaction → when its request left and its lane.
    sent: HashMap<B256, (Instant, usize)>,
    /// Per lane (sender), how many are outstanding.
    per_lane: Vec<usize>,
    /// Send → final, one per transfer seen final.
    latencies: Vec<Duration>,
    /// Transfers per block that held any.
    per_block: Vec<(u64, usize)>,
    /// When the last one was seen final.
    last_final: Option<Instant>,
}

struct Shared {
    out: Mutex<Outstanding>,
    wake: Notify,
    left: AtomicUsize,
    failed: AtomicBool,
}

/// Sends `lanes` (one sender's transfers each, in nonce order) to the node at `addr`
/// and watches its blocks until every one is final; returns what the node saw.
async fn drive_node(
    addr: SocketAddr,
    lanes: Vec<VecDeque<Signed>>,
    batch: usize,
) -> Result<Outstanding, String> {
    let total: usize = lanes.iter().map(VecDeque::len).sum();
    let shared = Arc::new(Shared {
        out: Mutex::new(Outstanding { per_lane: vec![0; lanes.len()], ..Outstanding::default() }),
        wake: Notify::new(),
        left: AtomicUsize::new(total),
        failed: AtomicBool::new(false),
    });
    let watcher = tokio::spawn(watch(addr, shared.clone()));
    let sent = send(addr, lanes, batch, shared.clone()).await;
    if sent.is_err() {
        shared.failed.store(true, Ordering::SeqCst);
    }
    let watched = watcher.await.map_err(|e| e.to_string())?;
    sent?;
    watched?;
    let out = std::mem::take(&mut *shared.out.lock().map_err(|e| e.to_string())?);
    Ok(out)
}

async fn send(
    addr: SocketAddr,
    mut lanes: Vec<VecDeque<Signed>>,
    batch: usize,
    shared: Arc<Shared>,
) -> Result<(), String> {
    let mut client = Client::connect(addr).await?;
    let mut cursor = 0;
    while lanes.iter().any(|l| !l.is_empty()) {
        let mut calls = Vec::new();
        let mut hashes = Vec::new();
        {
            let mut out = shared.out.lock().map_err(|e| e.to_string())?;
            let n = lanes.len();
            let now = Instant::now();
            for k in 0..n {
                let i = (cursor + k) % n;
                while out.sent.len() < NODE_WINDOW && out.per_lane[i] < SENDER_WINDOW && calls.len() < batch {
                    let Some(tx) = lanes[i].pop_front() else { break };
                    calls.push(format!(
                        r#"{{"jsonrpc":"2.0","id":{},"method":"eth_sendRawTransaction","params":["{}"]}}"#,
                        calls.len(),
                        tx.raw
                    ));
                    out.sent.insert(tx.hash, (now, i));
                    out.per_lane[i] += 1;
                    hashes.push(tx.hash);
                }
                if calls.len() >= batch {
                    cursor = i + 1;
                    break;
                }
            }
        }
        if calls.is_empty() {
            // Every lane is at its window: wait for a block.
            let _ = tokio::time::timeout(Duration::from_secs(1), shared.wake.notified()).await;
            if shared.failed.load(Ordering::SeqCst) {
                return Err("the watcher failed".into());
            }
            continue;
        }
        let answers = client.post(format!("[{}]", calls.join(","))).await?;
        let Value::Array(answers) = answers else { return Err(format!("a batch answered {answers}")) };
        if answers.len() != hashes.len() {
            return Err(format!("{} answers for {} calls", answers.len(), hashes.len()));
        }
        for a in answers {
            if let Some(e) = a.get("error") {
                return Err(format!("eth_sendRawTransaction refused a transfer: {e}"));
            }
        }
    }
    Ok(())
}

async fn watch(addr: SocketAddr, shared: Arc<Shared>) -> Result<(), String> {
    let mut client = Client::connect(addr).await?;
    let mut seen = quantity(&client.result("eth_blockNumber", json!([])).await?)?;
    let mut progress = Instant::now();
    while shared.left.load(Ordering::SeqCst) > 0 {
        if shared.failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let head = quantity(&client.result("eth_blockNumber", json!([])).await?)?;
        while seen < head {
            seen += 1;
            let block = client.result("eth_getBlockByNumber", json!([format!("{seen:#x}"), false])).await?;
            let now = Instant::now();
            let txs = block["transactions"].as_array().cloned().unwrap_or_default();
            let mut out = shared.out.lock().map_err(|e| e.to_string())?;
            let mut here = 0;
            for t in txs {
                let hash: B256 =
                    t.as_str().and_then(|h| h.parse().ok()).ok_or_else(|| format!("a hash: {t}"))?;
                if let Some((at, lane)) = out.sent.remove(&hash) {
                    out.latencies.push(now - at);
                    out.per_lane[lane] -= 1;
                    here += 1;
                }
            }
            if here > 0 {
                out.per_block.push((seen, here));
                out.last_final = Some(now);
                progress = now;
                shared.left.fetch_sub(here, Ordering::SeqCst);
            }
            drop(out);
            shared.wake.notify_one();
        }
        if progress.elapsed() > STALL {
            shared.failed.store(true, Ordering::SeqCst);
            return Err(format!("no transfer final for {STALL:?} on {addr}"));
        }
        tokio::time::sleep(HEAD_POLL).await;
    }
    Ok(())
}

/// Drives `lanes` (node, transfers of one sender) over every node at once.
async fn drive(
    rpcs: &[SocketAddr],
    lanes: Vec<(usize, VecDeque<Signed>)>,
    batch: usize,
) -> Result<Vec<Outstanding>, String> {
    let mut per_node: Vec<Vec<VecDeque<Signed>>> = rpcs.iter().map(|_| Vec::new()).collect();
    for (n, q) in lanes {
        per_node[n].push(q);
    }
    let tasks: Vec<_> = rpcs
        .iter()
        .zip(per_node)
        .map(|(addr, lanes)| tokio::spawn(drive_node(*addr, lanes, batch)))
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

/// The process's user and system CPU time so far, seconds (from `/proc/self/stat`).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of the file (utime, stime), counted after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Waits until every node has committed the highest block any of them has (each
/// transfer was seen final on the node it was sent to; the others may be a block
/// behind), at most [`STALL`].
async fn catch_up(nodes: &[ValidatorNode]) -> Result<(), String> {
    let heads = || -> Result<Vec<u64>, String> {
        nodes.iter().map(|n| n.external().head().map(|h| h.number).map_err(|e| e.to_string())).collect()
    };
    let target = heads()?.into_iter().max().unwrap_or(0);
    let since = Instant::now();
    while heads()?.into_iter().any(|h| h < target) {
        if since.elapsed() > STALL {
            return Err(format!("a node did not reach height {target} in {STALL:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// The node of `nodes` whose every block holds each of `sent` once, succeeded, and
/// whose hashes and roots equal every other node's; returns the lowest head.
fn check(nodes: &[ValidatorNode], sent: &[B256]) -> Result<u64, String> {
    let heads: Vec<u64> = nodes
        .iter()
        .map(|n| n.external().head().map(|h| h.number))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let low = heads.iter().copied().min().unwrap_or(0);
    for (i, n) in nodes.iter().enumerate() {
        let mut seen: HashMap<B256, u64> = HashMap::new();
        for h in 1..=heads[i] {
            let b = n
                .external()
                .block(h)
                .map_err(|e| e.to_string())?
                .ok_or(format!("node {i} lacks block {h}"))?;
            for t in &b.txs {
                if !t.status {
                    return Err(format!("transfer {} failed on node {i}", t.hash));
                }
                if let Some(prev) = seen.insert(t.hash, h) {
                    return Err(format!("transaction {} in blocks {prev} and {h} of node {i}", t.hash));
                }
            }
        }
        if let Some(h) = sent.iter().find(|h| !seen.contains_key(*h)) {
            return Err(format!("transfer {h} is not in node {i}'s chain"));
        }
    }
    for h in 1..=low {
        let first = nodes[0].external().block(h).map_err(|e| e.to_string())?.ok_or("a block")?;
        for (i, n) in nodes.iter().enumerate().skip(1) {
            let b = n.external().block(h).map_err(|e| e.to_string())?.ok_or("a block")?;
            if b.state_root != first.state_root || b.hash != first.hash {
                return Err(format!("node {i} differs from node 0 at height {h}"));
            }
        }
    }
    Ok(low)
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let configs = configs(args.nodes, dir.path(), Duration::from_millis(args.block_ms))?;
    let mut nodes = Vec::new();
    for c in configs {
        nodes.push(ValidatorNode::start(c).await.map_err(|e| e.to_string())?);
    }
    let rpcs: Vec<SocketAddr> =
        nodes.iter().map(|n| n.rpc().ok_or("a node without RPC")).collect::<Result<_, _>>()?;
    eprintln!("{} validators started; RPC at {rpcs:?}", nodes.len());
    let result = load(&args, &nodes, &rpcs).await;
    for n in nodes {
        if let Some(Err(e)) = n.kill().await {
            return Err(format!("a node had halted: {e}"));
        }
    }
    result
}

/// Funds the senders, runs the load and prints the figures.
async fn load(args: &Args, nodes: &[ValidatorNode], rpcs: &[SocketAddr]) -> Result<(), String> {
    // Setup: the dev accounts fund the senders.
    let dev: Vec<Wallet> = (0..node::DEV_ACCOUNTS.len()).map(Wallet::dev).collect::<Result<_, _>>()?;
    let senders: Vec<Wallet> = (0..args.senders as u64).map(Wallet::sender).collect();
    let per_sender = |s: usize| args.txs / args.senders + usize::from(s < args.txs % args.senders);
    let mut funding: Vec<VecDeque<Signed>> = dev.iter().map(|_| VecDeque::new()).collect();
    for (s, w) in senders.iter().enumerate() {
        let d = s % dev.len();
        let wei = U256::from(per_sender(s) as u128 + 1) * U256::from(21_000 * PRICE + 1);
        let nonce = funding[d].len() as u64;
        funding[d].push_back(dev[d].transfer(nonce, w.address, wei)?);
    }
    let t = Instant::now();
    let lanes = funding.into_iter().enumerate().map(|(d, q)| (d % rpcs.len(), q)).collect();
    drive(rpcs, lanes, args.batch).await?;
    eprintln!("{} senders funded in {:.1} s", senders.len(), t.elapsed().as_secs_f64());

    // The load, signed before the clock starts.
    let mut lanes = Vec::with_capacity(senders.len());
    let mut sent = Vec::with_capacity(args.txs);
    for (s, w) in senders.iter().enumerate() {
        let mut q = VecDeque::with_capacity(per_sender(s));
        for j in 0..per_sender(s) {
            let to = senders[(s + j + 1) % senders.len()].address;
            let tx = w.transfer(j as u64, to, U256::from(1))?;
            sent.push(tx.hash);
            q.push_back(tx);
        }
        lanes.push((s % rpcs.len(), q));
    }
    let head0 = nodes[0].external().head().map_err(|e| e.to_string())?.number;
    let (load0, cpu0) = (load_avg(), cpu_secs());
    let start = Instant::now();
    let seen = drive(rpcs, lanes, args.batch).await?;
    let end = seen.iter().filter_map(|o| o.last_final).max().unwrap_or_else(Instant::now);
    let secs = (end - start).as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    let head1 = nodes[0].external().head().map_err(|e| e.to_string())?.number;
    let load1 = load_avg();

    let mut latencies: Vec<Duration> = seen.iter().flat_map(|o| o.latencies.iter().copied()).collect();
    latencies.sort_unstable();
    let mut blocks: HashMap<u64, usize> = HashMap::new();
    for o in &seen {
        for (h, n) in &o.per_block {
            *blocks.entry(*h).or_default() += n;
        }
    }
    catch_up(nodes).await?;
    let low = check(nodes, &sent)?;
    let figures = json!({
        "validators": nodes.len(),
        "senders": args.senders,
        "transfers": latencies.len(),
        "block_ms": args.block_ms,
        "batch": args.batch,
        "secs": (secs * 1000.0).round() / 1000.0,
        "transfers_per_sec": (latencies.len() as f64 / secs).round(),
        "latency_ms_p50": (percentile(&latencies, 0.50) * 10.0).round() / 10.0,
        "latency_ms_p99": (percentile(&latencies, 0.99) * 10.0).round() / 10.0,
        "blocks_during_load": head1 - head0,
        "blocks_holding_transfers": blocks.len(),
        "max_block_transfers": blocks.values().copied().max().unwrap_or(0),
        "cpu_secs": (cpu * 100.0).round() / 100.0,
        "cpu_us_per_transfer": (cpu * 1e6 / latencies.len().max(1) as f64).round(),
        "load_avg_before": load0,
        "load_avg_after": load1,
        "checked_heights": low,
    });
    println!("{figures}");
    Ok(())
}
