//! Transactions the node refuses, with geth's messages, and the legacy kind it takes.

use alloy_primitives::{Address, U256};
use serde_json::json;

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;

fn refused(c: &Client, raw: &[u8]) -> String {
    let e = c.error("eth_sendRawTransaction", json!([alloy_primitives::Bytes::copy_from_slice(raw)]));
    assert_eq!(e["code"], -32000, "{e}");
    e["message"].as_str().expect("message").to_string()
}

#[test]
fn bad_transactions_are_refused_with_geths_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(5);
    let to = Address::repeat_byte(9);
    let hash = c.send(&w.legacy(Some(CHAIN_ID), 0, to, U256::from(1)));
    assert_eq!(c.receipt(&hash)["type"], "0x0");

    assert_eq!(
        refused(&c, &w.legacy(Some(CHAIN_ID), 0, to, U256::from(1))),
        "nonce too low: next nonce 1, tx nonce 0"
    );
    assert_eq!(
        refused(&c, &w.legacy(Some(1), 1, to, U256::from(1))),
        "invalid chain id for signer: have 1 want 49278"
    );
    assert_eq!(
        refused(&c, &w.legacy(None, 1, to, U256::from(1))),
        "only replay-protected (EIP-155) transactions allowed over RPC"
    );
    assert_eq!(
        refused(&c, &w.eip1559(CHAIN_ID, 1, Some(to), vec![], 20_000)),
        "intrinsic gas too low: gas 20000, minimum needed 21000"
    );
    let e = refused(&c, &Wallet::dev(6).legacy(Some(CHAIN_ID), 0, to, U256::from(10u128.pow(24))));
    assert!(e.starts_with("insufficient funds for gas * price + value"), "{e}");
    let e = refused(&c, &[0x02, 0xc0]);
    assert!(e.starts_with("rlp"), "{e}");
    assert_eq!(c.nonce(w.address), 1);
    node.stop().expect("stop");
}

#[test]
fn a_pending_nonce_counts_the_mempool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(7);
    // A gap: nonce 1 waits for nonce 0.
    c.send(&w.legacy(Some(CHAIN_ID), 1, Address::repeat_byte(3), U256::from(1)));
    assert_eq!(c.u256("eth_getTransactionCount", json!([w.address, "pending"])), U256::ZERO);
    // A waiting transaction is replaced only at a higher price.
    let to = Address::repeat_byte(3);
    assert_eq!(refused(&c, &w.legacy(Some(CHAIN_ID), 1, to, U256::from(1))), "already known");
    assert_eq!(
        refused(&c, &w.legacy_at(PRICE, Some(CHAIN_ID), 1, to, U256::from(2))),
        "replacement transaction underpriced"
    );
    let later = c.send(&w.legacy_at(PRICE + 1, Some(CHAIN_ID), 1, to, U256::from(1)));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(c.call("eth_getTransactionReceipt", json!([later])).is_null());
    assert!(c.call("eth_getTransactionByHash", json!([later]))["blockNumber"].is_null());
    let first = c.send(&w.legacy(Some(CHAIN_ID), 0, Address::repeat_byte(3), U256::from(1)));
    let (a, b) = (c.receipt(&first), c.receipt(&later));
    assert!(quantity(&a["blockNumber"]) < quantity(&b["blockNumber"]));
    assert_eq!(c.balance(Address::repeat_byte(3)), U256::from(2));
    node.stop().expect("stop");
}

#[test]
fn with_a_block_time_blocks_come_on_the_interval_and_hold_many_transactions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_mining(dir.path(), cove_node::Mining::Interval(std::time::Duration::from_secs(1)));
    let c = Client::new(&node);
    let (a, b) = (Wallet::dev(8), Wallet::dev(9));
    let first = c.send(&a.legacy(Some(CHAIN_ID), 0, Address::repeat_byte(4), U256::from(1)));
    let second = c.send(&b.legacy(Some(CHAIN_ID), 0, Address::repeat_byte(4), U256::from(1)));
    let third = c.send(&a.legacy(Some(CHAIN_ID), 1, Address::repeat_byte(4), U256::from(1)));
    let blocks: Vec<u64> =
        [first, second, third].iter().map(|h| quantity(&c.receipt(h)["blockNumber"])).collect();
    // Sent within well under a second, the three land in at most two blocks (one tick
    // may fall between them), so some block holds more than one; nonce order holds.
    assert!(blocks[0] <= blocks[2] && blocks[2] - blocks[0] <= 1, "{blocks:?}");
    let held: usize = (blocks[0]..=blocks[2].max(blocks[1]))
        .map(|n| {
            c.call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]))["transactions"]
                .as_array()
                .expect("txs")
                .len()
        })
        .sum();
    assert_eq!(held, 3);
    // Empty blocks follow on the interval.
    let last = *blocks.iter().max().expect("three");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(quantity(&c.call("eth_blockNumber", json!([]))) >= last + 2);
    node.stop().expect("stop");
}
