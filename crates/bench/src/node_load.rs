//! `cove bench node`: a load generator for the node, end to end over its real HTTP path.
//!
//! It starts a node in-process (`cove-node`'s API: the same server, mempool and block
//! producer `cove node` runs) on a fresh temporary data dir, `--dev`, blocks on an
//! interval, JSON-RPC on a free loopback port. Over HTTP only, it then deploys the
//! solc-compiled ERC-20 (`examples/evm/Token.bin`) from dev account 0, hands tokens to
//! the other dev accounts, and has the ten dev accounts fund every sender with ether and
//! exactly the tokens it will send plus [`SPARE_TOKENS`]. Then, with every transfer
//! signed before the clock starts, it sends them all ([`drive`]) and waits until each
//! has a receipt: the figure is transfers accepted and mined per second, end to end.
//! Every receipt must have status 1, and afterwards every holder's `balanceOf` (the
//! dev accounts, the senders, the recipients) must equal what the transfers imply;
//! those `eth_call`s, one at a time from one client on the idle node, are the
//! `eth_call` latency figures.
//!
//! Nothing here is asserted on time; a failed check is an error, never a figure.

mod client;
mod drive;
mod wallet;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, TxKind, U256};
use node::{Mining, Node, NodeConfig};
use serde_json::{Value, json};

use client::{Client, quantity};
use wallet::{PRICE, Signed, Wallet, balance_of, transfer};

/// Most sender accounts: 100,000 (the dev accounts fund them all).
pub const MAX_ACCOUNTS: usize = 100_000;
/// Most transfers in one run: 10,000,000.
pub const MAX_TXS: usize = 10_000_000;
/// Most client tasks (connections): 64 (the node's server takes 100 at once).
pub const MAX_CONCURRENCY: usize = 64;
/// Tokens each sender holds beyond what it sends, so a balance that drifts shows.
pub const SPARE_TOKENS: u64 = 1_000;
/// Gas limit of every transfer (a transfer to a fresh holder uses about 52,000).
const TRANSFER_GAS: u64 = 100_000;
/// The token's supply: 10^27 (a billion tokens of 18 decimals).
const SUPPLY: u128 = 1_000_000_000_000_000_000_000_000_000;

/// What to run.
#[derive(Debug, Clone)]
pub struct NodeLoad {
    /// Sender accounts. By default 1,000.
    pub accounts: usize,
    /// Transfers, spread evenly over the senders. By default 20,000.
    pub txs: usize,
    /// Client tasks sending at once, each on its own connection. By default 8.
    pub concurrency: usize,
    /// The node's block interval. By default 100 ms.
    pub block_time: Duration,
}

impl Default for NodeLoad {
    fn default() -> NodeLoad {
        NodeLoad { accounts: 1000, txs: 20_000, concurrency: 8, block_time: Duration::from_millis(100) }
    }
}

/// What one run measured and checked.
#[derive(Debug, Clone)]
pub struct NodeFigures {
    /// Transfers sent, mined and checked (all succeeded).
    pub transfers: usize,
    /// From the first send to the last receipt, seconds.
    pub secs: f64,
    /// `transfers / secs`.
    pub transfers_per_sec: f64,
    /// `eth_sendRawTransaction` → its receipt seen, milliseconds: median and 99th
    /// percentile.
    pub send_to_receipt_ms_p50: f64,
    /// See [`NodeFigures::send_to_receipt_ms_p50`].
    pub send_to_receipt_ms_p99: f64,
    /// One `balanceOf` `eth_call` on the idle node, milliseconds.
    pub eth_call_ms_p50: f64,
    /// See [`NodeFigures::eth_call_ms_p50`].
    pub eth_call_ms_p99: f64,
    /// Receipts seen, each with status 1.
    pub receipts_ok: usize,
    /// Balances checked with those calls.
    pub balances_checked: usize,
    /// Blocks holding the transfers, and the most one held.
    pub blocks: usize,
    /// See [`NodeFigures::blocks`].
    pub max_block_txs: usize,
    /// Sends the pool refused as full (each retried after a block).
    pub pool_full_retries: u64,
}

/// Runs `load` against a node with the runtime `config` (its `[evm] chain_id` is the
/// chain's).
pub fn run(config: &runtime::Config, load: &NodeLoad) -> Result<NodeFigures, String> {
    if !(1..=MAX_ACCOUNTS).contains(&load.accounts) {
        return Err(format!("--accounts must be in 1..={MAX_ACCOUNTS}"));
    }
    if !(1..=MAX_TXS).contains(&load.txs) {
        return Err(format!("--txs must be in 1..={MAX_TXS}"));
    }
    if !(1..=MAX_CONCURRENCY).contains(&load.concurrency) {
        return Err(format!("--concurrency must be in 1..={MAX_CONCURRENCY}"));
    }
    if load.block_time.is_zero() {
        return Err("--block-time must be above zero".into());
    }
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary data dir: {e}"))?;
    let mut node_config = NodeConfig::new(dir.path().to_path_buf());
    node_config.rpc = SocketAddr::from(([127, 0, 0, 1], 0));
    node_config.mining = Mining::Interval(load.block_time);
    node_config.dev = true;
    node_config.min_gas_price = PRICE;
    node_config.runtime = config.clone();
    let node = Node::open(node_config).map_err(|e| format!("opening the node: {e}"))?;
    let chain_id = node.chain_id();
    let running = node.start().map_err(|e| format!("starting the node: {e}"))?;
    let addr = running.addr();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("the client's runtime: {e}"))?;
    let figures = tokio.block_on(load_and_check(addr, chain_id, load));
    drop(tokio);
    running.stop().map_err(|e| format!("stopping the node: {e}"))?;
    figures
}

/// Tokens transfer `j` of sender `s` moves: 1 to 7.
fn amount(s: usize, j: usize) -> U256 {
    U256::from(1 + (s + j) % 7)
}

/// Recipient `i`: `0xee00…00` followed by `i`.
fn recipient(i: usize) -> Address {
    let mut a = [0u8; 20];
    a[0] = 0xee;
    a[12..].copy_from_slice(&(i as u64).to_be_bytes());
    Address::from(a)
}

/// Token balances the transfers imply.
#[derive(Default)]
struct Ledger(BTreeMap<Address, U256>);

impl Ledger {
    fn mint(&mut self, to: Address, v: U256) {
        *self.0.entry(to).or_default() += v;
    }

    fn transfer(&mut self, from: Address, to: Address, v: U256) -> Result<(), String> {
        let have = self.0.entry(from).or_default();
        *have = have.checked_sub(v).ok_or_else(|| format!("{from} would overdraw the token"))?;
        self.mint(to, v);
        Ok(())
    }
}

async fn load_and_check(addr: SocketAddr, chain_id: u64, load: &NodeLoad) -> Result<NodeFigures, String> {
    let mut c = Client::connect(addr).await?;
    let dev: Vec<Wallet> = (0..node::DEV_ACCOUNTS.len()).map(Wallet::dev).collect::<Result<_, _>>()?;
    let senders: Vec<Wallet> = (0..load.accounts as u64).map(Wallet::sender).collect();
    let per_sender: Vec<usize> = (0..load.accounts)
        .map(|s| load.txs / load.accounts + usize::from(s < load.txs % load.accounts))
        .collect();
    let mut ledger = Ledger::default();

    // The token, from dev account 0.
    let mut code = hex::decode(crate::EVM_TOKEN_BIN.trim()).map_err(|e| format!("Token.bin: {e}"))?;
    code.extend_from_slice(&U256::from(SUPPLY).to_be_bytes::<32>());
    let deploy = dev[0].sign(chain_id, 0, TxKind::Create, U256::ZERO, code, 2_000_000)?;
    let receipt = send_and_wait(&mut c, &deploy).await?;
    let token: Address = receipt["contractAddress"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("the token's receipt has no contract address: {receipt}"))?;
    ledger.mint(dev[0].address, U256::from(SUPPLY));

    // Dev account d funds the senders s with s % 10 == d: first dev account 0 gives
    // the others their share of tokens.
    let need = |s: usize| (0..per_sender[s]).fold(U256::from(SPARE_TOKENS), |sum, j| sum + amount(s, j));
    let mut nonces = vec![0u64; dev.len()];
    nonces[0] = 1;
    let mut shares = Vec::new();
    for (d, w) in dev.iter().enumerate().skip(1) {
        let share = (d..load.accounts).step_by(dev.len()).fold(U256::ZERO, |sum, s| sum + need(s));
        if share.is_zero() {
            continue;
        }
        shares.push(dev[0].sign(
            chain_id,
            nonces[0],
            call(token),
            U256::ZERO,
            transfer(w.address, share),
            TRANSFER_GAS,
        )?);
        nonces[0] += 1;
        ledger.transfer(dev[0].address, w.address, share)?;
    }
    expect_success(drive::drive(addr, vec![shares], 1).await?)?;
    let mut funding: Vec<Vec<Signed>> = dev.iter().map(|_| Vec::new()).collect();
    for (s, w) in senders.iter().enumerate() {
        let d = s % dev.len();
        let wei = U256::from(per_sender[s] as u128 + 1) * U256::from(TRANSFER_GAS as u128 * PRICE * 2);
        funding[d].push(dev[d].sign(
            chain_id,
            nonces[d],
            TxKind::Call(w.address),
            wei,
            Vec::new(),
            21_000,
        )?);
        let tokens = need(s);
        funding[d].push(dev[d].sign(
            chain_id,
            nonces[d] + 1,
            call(token),
            U256::ZERO,
            transfer(w.address, tokens),
            TRANSFER_GAS,
        )?);
        nonces[d] += 2;
        ledger.transfer(dev[d].address, w.address, tokens)?;
    }
    expect_success(drive::drive(addr, funding, dev.len()).await?)?;

    // The load: every transfer signed before the clock starts.
    let mut queues = Vec::with_capacity(load.accounts);
    for (s, w) in senders.iter().enumerate() {
        let mut q = Vec::with_capacity(per_sender[s]);
        for j in 0..per_sender[s] {
            let to = recipient((s + j) % load.accounts);
            let v = amount(s, j);
            q.push(w.sign(chain_id, j as u64, call(token), U256::ZERO, transfer(to, v), TRANSFER_GAS)?);
            ledger.transfer(w.address, to, v)?;
        }
        queues.push(q);
    }
    let start = Instant::now();
    let driven = drive::drive(addr, queues, load.concurrency).await?;
    let secs = start.elapsed().as_secs_f64();
    let pool_full_retries = driven.pool_full;
    let blocks = driven.per_block.len();
    let max_block_txs = driven.per_block.values().copied().max().unwrap_or(0);
    let mut latencies = expect_success(driven)?;
    let receipts_ok = latencies.len();
    if latencies.len() != load.txs {
        return Err(format!("{} receipts for {} transfers", latencies.len(), load.txs));
    }

    // Every holder's balance, one eth_call at a time.
    let mut calls = Vec::with_capacity(ledger.0.len());
    for (holder, want) in &ledger.0 {
        let params = json!([{"to": token, "data": balance_of(*holder)}, "latest"]);
        let t = Instant::now();
        let got = c.result("eth_call", params).await?;
        calls.push(t.elapsed());
        let got: U256 =
            got.as_str().and_then(|h| h.parse().ok()).ok_or_else(|| format!("balanceOf answered {got}"))?;
        if got != *want {
            return Err(format!("balanceOf({holder}) is {got}, the transfers imply {want}"));
        }
    }
    let (send_p50, send_p99) = percentiles(&mut latencies);
    let (call_p50, call_p99) = percentiles(&mut calls);
    Ok(NodeFigures {
        transfers: load.txs,
        secs,
        transfers_per_sec: load.txs as f64 / secs,
        send_to_receipt_ms_p50: send_p50,
        send_to_receipt_ms_p99: send_p99,
        eth_call_ms_p50: call_p50,
        eth_call_ms_p99: call_p99,
        receipts_ok,
        balances_checked: calls.len(),
        blocks,
        max_block_txs,
        pool_full_retries,
    })
}

fn call(token: Address) -> TxKind {
    TxKind::Call(token)
}

/// The latencies, or an error naming the failed transactions.
fn expect_success(d: drive::Driven) -> Result<Vec<Duration>, String> {
    match d.failed.first() {
        Some(first) => Err(format!("{} transactions failed (status 0), the first {first}", d.failed.len())),
        None => Ok(d.latencies),
    }
}

/// Sends one transaction and polls for its receipt (status 1 or an error).
async fn send_and_wait(c: &mut Client, tx: &Signed) -> Result<Value, String> {
    let sent = c.post(tx.body.clone()).await?;
    if let Some(e) = sent.get("error") {
        return Err(format!("eth_sendRawTransaction: {e}"));
    }
    let start = Instant::now();
    loop {
        let r = c.result("eth_getTransactionReceipt", json!([tx.hash])).await?;
        if !r.is_null() {
            if r["status"] != "0x1" {
                return Err(format!("transaction {} failed: {r}", tx.hash));
            }
            quantity(&r["blockNumber"])?;
            return Ok(r);
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("no receipt for {} in 60 s", tx.hash));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The median and 99th percentile, in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1e3
    };
    (at(0.50), at(0.99))
}
