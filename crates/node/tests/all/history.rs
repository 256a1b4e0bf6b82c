//! Blocks, transactions and receipts older than the node's in-memory cache of recent
//! blocks (`RECENT_BLOCKS`) are served from its index, exactly as they were when fresh.

use alloy_primitives::Address;
use cove_node::chain::RECENT_BLOCKS;
use serde_json::{Value, json};

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;

/// What the node says of the block and transaction `hash` at once.
fn views(c: &Client, hash: &str) -> Vec<Value> {
    let r = c.call("eth_getTransactionReceipt", json!([hash]));
    let (number, block_hash) = (r["blockNumber"].clone(), r["blockHash"].clone());
    vec![
        r,
        c.call("eth_getTransactionByHash", json!([hash])),
        c.call("eth_getBlockByNumber", json!([number, false])),
        c.call("eth_getBlockByNumber", json!([number, true])),
        c.call("eth_getBlockByHash", json!([block_hash, true])),
        c.call("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x0"])),
        c.call("eth_getLogs", json!([{"fromBlock": number, "toBlock": number}])),
    ]
}

#[test]
fn blocks_older_than_the_recent_cache_are_served_as_they_were_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(8);
    let (token, _) = deploy_token(&c, &w, CHAIN_ID, 1_000_000);
    let to = Address::repeat_byte(0x31);
    let early = c.send(&w.eip1559(CHAIN_ID, 1, Some(token), transfer(to, 5), 100_000));
    c.receipt(&early);
    let fresh = views(&c, &early);
    assert_eq!(fresh[0]["status"], "0x1", "{}", fresh[0]);
    assert_eq!(fresh[6].as_array().map(Vec::len), Some(1), "the Transfer log: {}", fresh[6]);
    let first = quantity(&fresh[0]["blockNumber"]);

    // Automine: one block per transaction, until the early block has left the cache.
    for nonce in 2..RECENT_BLOCKS as u64 + 8 {
        c.receipt(&c.send(&w.eip1559(CHAIN_ID, nonce, Some(to), vec![], 21_000)));
    }
    let head = quantity(&c.call("eth_blockNumber", json!([])));
    assert!(head > first + RECENT_BLOCKS as u64, "head {head}, early block {first}");
    assert_eq!(views(&c, &early), fresh);
}
