//! What the viem and web3.py client tests (`tests/clients`) needed of the node: each
//! test pins one answer a client relies on.

use alloy_primitives::{Address, U256};
use serde_json::json;

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;

/// viem's `sendTransaction` estimates first and recognises only geth's message as
/// `InsufficientFundsError`.
#[test]
fn an_estimate_beyond_the_balance_is_insufficient_funds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(6);
    let balance = c.balance(w.address);
    let over = balance + U256::from(1);
    let e = c.error(
        "eth_estimateGas",
        json!([{"from": w.address, "to": Address::repeat_byte(3), "value": format!("{over:#x}")}]),
    );
    assert_eq!(e["code"], -32000);
    assert_eq!(
        e["message"],
        format!(
            "insufficient funds for gas * price + value: address {} have {balance} want {over}",
            w.address
        )
    );
    // A create too.
    let e = c.error(
        "eth_estimateGas",
        json!([{"from": w.address, "data": "0x00", "value": format!("{over:#x}")}]),
    );
    assert_eq!(e["code"], -32000);
    // The whole balance is fine (the estimate runs at price zero).
    let all = json!([{"from": w.address, "to": Address::repeat_byte(3), "value": format!("{balance:#x}")}]);
    assert_eq!(c.call("eth_estimateGas", all), "0x5208");
    node.stop().expect("stop");
}

/// web3.py sends a block hash as a plain 32-byte string (`block_identifier=hash`);
/// EIP-1898 objects name a block by number or hash.
#[test]
fn a_block_hash_or_an_eip1898_object_names_a_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(7);
    let to = Address::repeat_byte(0x42);
    let first = c.receipt(&c.send(&w.legacy(Some(CHAIN_ID), 0, to, U256::from(5))));
    c.receipt(&c.send(&w.legacy(Some(CHAIN_ID), 1, to, U256::from(6))));
    let at = |block: serde_json::Value| c.u256("eth_getBalance", json!([to, block]));
    assert_eq!(at(json!("latest")), U256::from(11));
    assert_eq!(at(first["blockHash"].clone()), U256::from(5));
    assert_eq!(at(json!({"blockHash": first["blockHash"]})), U256::from(5));
    assert_eq!(at(json!({"blockHash": first["blockHash"], "requireCanonical": true})), U256::from(5));
    assert_eq!(at(json!({"blockNumber": first["blockNumber"]})), U256::from(5));
    assert_eq!(at(json!({"blockNumber": "earliest"})), U256::ZERO);
    let unknown = format!("0x{}", "cd".repeat(32));
    let e = c.error("eth_getBalance", json!([to, unknown]));
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(-32000), json!("header for hash not found"))
    );
    let both = json!({"blockHash": first["blockHash"], "blockNumber": "0x1"});
    assert_eq!(c.error("eth_getBalance", json!([to, both]))["code"], -32602);
    // The same parameter serves the nonce and eth_call.
    assert_eq!(c.call("eth_getTransactionCount", json!([w.address, first["blockHash"]])), "0x1");
    node.stop().expect("stop");
}

/// web3.py's `get_block_transaction_count`, `get_transaction_by_block` and `syncing`;
/// viem's `getBlockTransactionCount` and `getTransaction({ blockNumber, index })`.
#[test]
fn transactions_by_block_position_and_syncing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(8);
    let hash = c.send(&w.legacy(Some(CHAIN_ID), 0, Address::repeat_byte(1), U256::from(1)));
    let r = c.receipt(&hash);
    let (number, block_hash) = (r["blockNumber"].clone(), r["blockHash"].clone());
    assert_eq!(c.call("eth_getBlockTransactionCountByNumber", json!([number])), "0x1");
    assert_eq!(c.call("eth_getBlockTransactionCountByNumber", json!(["latest"])), "0x1");
    assert_eq!(c.call("eth_getBlockTransactionCountByNumber", json!(["earliest"])), "0x0");
    assert_eq!(c.call("eth_getBlockTransactionCountByHash", json!([block_hash])), "0x1");
    assert!(c.call("eth_getBlockTransactionCountByNumber", json!(["0x99"])).is_null());
    assert!(
        c.call("eth_getBlockTransactionCountByHash", json!([format!("0x{}", "00".repeat(32))])).is_null()
    );

    let by_number = c.call("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x0"]));
    assert_eq!(by_number, c.call("eth_getTransactionByHash", json!([hash])));
    let by_hash = c.call("eth_getTransactionByBlockHashAndIndex", json!([block_hash, "0x0"]));
    assert_eq!(by_hash, by_number);
    assert!(c.call("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x1"])).is_null());
    assert!(c.call("eth_getTransactionByBlockNumberAndIndex", json!(["0x99", "0x0"])).is_null());
    assert_eq!(c.error("eth_getTransactionByBlockHashAndIndex", json!([block_hash]))["code"], -32602);

    assert_eq!(c.call("eth_syncing", json!([])), false);
    node.stop().expect("stop");
}
