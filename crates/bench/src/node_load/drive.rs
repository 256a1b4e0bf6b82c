//! Sending signed transactions from concurrent client tasks and waiting for every one's
//! receipt.
//!
//! Each task owns some senders' queues (in nonce order) and one connection. It sends
//! with `eth_sendRawTransaction`, one request per transaction, round-robin over its
//! senders, keeping at most its share of the mempool outstanding (sent, no receipt yet)
//! and at most [`node::pool::MAX_SENDER_TXS`] per sender, so the load never overflows the
//! pool by design; a `txpool is full` answer is counted and the transaction retried
//! after the next block. One watcher task polls `eth_blockNumber`; when the head moves,
//! each task asks for the receipts of all its outstanding transactions in one batch
//! request (`eth_getTransactionReceipt` × n). A transaction's latency runs from just
//! before its send to the answer that carried its receipt.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::client::{Client, quantity};
use super::wallet::Signed;

/// How often the watcher asks for the head: every 2 ms.
const HEAD_POLL: Duration = Duration::from_millis(2);
/// How long the load may go without a single new receipt before it fails: 60 s.
const STALL: Duration = Duration::from_secs(60);

/// What the tasks saw.
#[derive(Debug, Default)]
pub(crate) struct Driven {
    /// Send → receipt, one per transaction.
    pub(crate) latencies: Vec<Duration>,
    /// Transactions whose receipt has status 0.
    pub(crate) failed: Vec<B256>,
    /// Sends refused with `txpool is full` (each retried).
    pub(crate) pool_full: u64,
    /// Transactions per block that held any.
    pub(crate) per_block: BTreeMap<u64, usize>,
}

impl Driven {
    fn merge(&mut self, other: Driven) {
        self.latencies.extend(other.latencies);
        self.failed.extend(other.failed);
        self.pool_full += other.pool_full;
        for (block, n) in other.per_block {
            *self.per_block.entry(block).or_default() += n;
        }
    }
}

/// Sends every queue's transactions from `concurrency` tasks (queue `i` to task
/// `i % concurrency`) and waits for all their receipts.
pub(crate) async fn drive(
    addr: SocketAddr,
    queues: Vec<Vec<Signed>>,
    concurrency: usize,
) -> Result<Driven, String> {
    let concurrency = concurrency.clamp(1, queues.len().max(1));
    let window = (node::pool::MAX_POOL_TXS / concurrency).max(1);
    let mut shares: Vec<Vec<VecDeque<Signed>>> = (0..concurrency).map(|_| Vec::new()).collect();
    for (i, q) in queues.into_iter().enumerate() {
        shares[i % concurrency].push(q.into());
    }
    let (head_tx, head_rx) = watch::channel(0u64);
    let done = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch_head(addr, head_tx, done.clone()));
    let tasks: Vec<_> =
        shares.into_iter().map(|lanes| tokio::spawn(task(addr, lanes, window, head_rx.clone()))).collect();
    let mut out = Driven::default();
    let mut first_error = None;
    for t in tasks {
        match t.await.map_err(|e| format!("a client task failed: {e}")).and_then(|r| r) {
            Ok(d) => out.merge(d),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    done.store(true, Ordering::SeqCst);
    watcher.await.map_err(|e| format!("the head watcher failed: {e}"))??;
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

async fn watch_head(addr: SocketAddr, head: watch::Sender<u64>, done: Arc<AtomicBool>) -> Result<(), String> {
    let mut client = Client::connect(addr).await?;
    while !done.load(Ordering::SeqCst) {
        let n = quantity(&client.result("eth_blockNumber", json!([])).await?)?;
        head.send_if_modified(|h| std::mem::replace(h, n) != n);
        tokio::time::sleep(HEAD_POLL).await;
    }
    Ok(())
}

struct Lane {
    txs: VecDeque<Signed>,
    in_flight: usize,
}

struct Outstanding {
    hash: B256,
    sent: Instant,
    lane: usize,
}

async fn task(
    addr: SocketAddr,
    queues: Vec<VecDeque<Signed>>,
    window: usize,
    mut head: watch::Receiver<u64>,
) -> Result<Driven, String> {
    let mut client = Client::connect(addr).await?;
    let mut lanes: Vec<Lane> = queues.into_iter().map(|txs| Lane { txs, in_flight: 0 }).collect();
    let mut outstanding: Vec<Outstanding> = Vec::new();
    let mut out = Driven::default();
    let mut cursor = 0;
    let mut progress = Instant::now();
    loop {
        let mut refused = false;
        while outstanding.len() < window && !refused {
            let n = lanes.len();
            let Some(i) = (0..n)
                .map(|k| (cursor + k) % n)
                .find(|&i| lanes[i].in_flight < node::pool::MAX_SENDER_TXS && !lanes[i].txs.is_empty())
            else {
                break;
            };
            cursor = i + 1;
            let Some(tx) = lanes[i].txs.front() else { break };
            let sent = Instant::now();
            match client.post(tx.body.clone()).await? {
                v if v.get("error").is_none() => {
                    if v["result"].as_str() != Some(&format!("{:#x}", tx.hash)) {
                        return Err(format!("eth_sendRawTransaction answered {v}, not the hash {}", tx.hash));
                    }
                    outstanding.push(Outstanding { hash: tx.hash, sent, lane: i });
                    lanes[i].txs.pop_front();
                    lanes[i].in_flight += 1;
                }
                v if v["error"]["message"].as_str().is_some_and(|m| m.contains("txpool is full")) => {
                    out.pool_full += 1;
                    refused = true;
                }
                v => return Err(format!("eth_sendRawTransaction refused {}: {}", tx.hash, v["error"])),
            }
        }
        if outstanding.is_empty() {
            if lanes.iter().all(|l| l.txs.is_empty()) {
                return Ok(out);
            }
            // The pool was full of other tasks' transactions: wait for a block.
            wait_for_block(&mut head).await?;
            continue;
        }
        wait_for_block(&mut head).await?;
        let params: Vec<Value> = outstanding.iter().map(|o| json!([o.hash])).collect();
        let answers = client.batch("eth_getTransactionReceipt", &params).await?;
        let now = Instant::now();
        let before = outstanding.len();
        let mut waiting = Vec::with_capacity(before);
        for (o, a) in outstanding.drain(..).zip(answers) {
            match a.map_err(|e| format!("eth_getTransactionReceipt {}: {e}", o.hash))? {
                Value::Null => waiting.push(o),
                r => {
                    out.latencies.push(now - o.sent);
                    if r["status"] != "0x1" {
                        out.failed.push(o.hash);
                    }
                    *out.per_block.entry(quantity(&r["blockNumber"])?).or_default() += 1;
                    lanes[o.lane].in_flight -= 1;
                }
            }
        }
        outstanding = waiting;
        if outstanding.len() < before {
            progress = now;
        } else if progress.elapsed() > STALL {
            return Err(format!("no receipt for {} transactions in {STALL:?}", outstanding.len()));
        }
    }
}

/// Waits until the head moves past what this task last saw (at most a second, so a
/// stalled node is noticed by the caller's stall check).
async fn wait_for_block(head: &mut watch::Receiver<u64>) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(1), head.changed()).await {
        Ok(r) => r.map_err(|_| "the head watcher stopped".to_string()),
        Err(_) => Ok(()),
    }
}
