//! `eth_getLogs`: block ranges, a block hash, addresses, topics with wildcards and
//! alternatives, log order and indices, geth's errors, and the documented bounds.

use alloy_primitives::Address;
use cove_node::rpc::{
    MAX_LOG_ADDRESSES, MAX_LOG_BLOCK_RANGE, MAX_LOG_TOPIC_ALTERNATIVES, MAX_LOG_TOPICS, MAX_LOGS,
};
use serde_json::{Value, json};

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;

/// An address as a 32-byte topic.
fn topic(a: Address) -> String {
    format!("0x{:0>64}", hex::encode(a))
}

fn logs(c: &Client, filter: Value) -> Vec<Value> {
    c.call("eth_getLogs", json!([filter])).as_array().expect("array").clone()
}

#[test]
fn logs_filter_by_range_address_topics_and_block_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let (w0, w2) = (Wallet::dev(0), Wallet::dev(2));
    let to = Wallet::dev(1).address;
    // Block 2: mint of `a`; block 3: a transfer on `a`; block 4: mint of `b`; block 5:
    // a transfer on `b`. Every log is a Transfer.
    let (a, _) = deploy_token(&c, &w0, CHAIN_ID, 100);
    let ta = c.receipt(&c.send(&w0.eip1559(CHAIN_ID, 1, Some(a), transfer(to, 1), 100_000)));
    let (b, _) = deploy_token(&c, &w2, CHAIN_ID, 200);
    let tb = c.receipt(&c.send(&w2.eip1559(CHAIN_ID, 1, Some(b), transfer(to, 2), 100_000)));
    assert_eq!(c.call("eth_blockNumber", json!([])), "0x5");

    let all = logs(&c, json!({"fromBlock": "earliest", "toBlock": "latest"}));
    let blocks: Vec<&str> = all.iter().map(|l| l["blockNumber"].as_str().expect("number")).collect();
    assert_eq!(blocks, ["0x2", "0x3", "0x4", "0x5"]);
    assert_eq!(all[1], ta["logs"][0], "a log reads the same as in its receipt");
    assert_eq!(all[3], tb["logs"][0]);
    // Without a range: the head block only.
    assert_eq!(logs(&c, json!({})), vec![all[3].clone()]);
    assert_eq!(logs(&c, json!({"fromBlock": "0x3", "toBlock": "0x4"})), all[1..3].to_vec());

    assert_eq!(logs(&c, json!({"fromBlock": "0x0", "address": a})), all[..2].to_vec());
    assert_eq!(logs(&c, json!({"fromBlock": "0x0", "address": [b, a]})), all);
    assert!(logs(&c, json!({"fromBlock": "0x0", "address": Address::repeat_byte(9)})).is_empty());

    // Topics: a wildcard position, alternatives, and an exact match.
    let mints = json!({"fromBlock": "0x0", "topics": [null, topic(Address::ZERO)]});
    assert_eq!(logs(&c, mints), vec![all[0].clone(), all[2].clone()]);
    let to_recipient = json!({"fromBlock": "0x0", "topics": [TRANSFER_TOPIC, [], topic(to)]});
    assert_eq!(logs(&c, to_recipient), vec![all[1].clone(), all[3].clone()]);
    let either =
        json!({"fromBlock": "0x0", "topics": [[TRANSFER_TOPIC], [topic(w0.address), topic(w2.address)]]});
    assert_eq!(logs(&c, either), vec![all[1].clone(), all[3].clone()]);
    let anded = json!({"fromBlock": "0x0", "address": b, "topics": [null, topic(w0.address)]});
    assert!(logs(&c, anded).is_empty());
    let fifth = json!({"fromBlock": "0x0", "topics": [TRANSFER_TOPIC, null, null, null, null]});
    assert_eq!(c.error("eth_getLogs", json!([fifth]))["message"], "exceed max topics");

    // One block by its hash.
    assert_eq!(logs(&c, json!({"blockHash": ta["blockHash"]})), vec![all[1].clone()]);
    let both = c.error("eth_getLogs", json!([{"blockHash": ta["blockHash"], "fromBlock": "0x1"}]));
    assert_eq!(both["code"], -32602);
    let unknown = c.error("eth_getLogs", json!([{"blockHash": format!("0x{}", "ab".repeat(32))}]));
    assert_eq!(
        (unknown["code"].clone(), unknown["message"].clone()),
        (json!(-32000), json!("unknown block"))
    );
    node.stop().expect("stop");
}

#[test]
fn log_queries_are_bounded_with_geths_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let error = |filter: Value| {
        let e = c.error("eth_getLogs", json!([filter]));
        (e["code"].as_i64().expect("code"), e["message"].as_str().expect("message").to_string())
    };
    assert_eq!(
        error(json!({"fromBlock": "0x1", "toBlock": "0x0"})),
        (-32602, "invalid block range params".into())
    );
    assert_eq!(error(json!({"fromBlock": "0x9"})), (-32602, "invalid block range params".into()));
    assert_eq!(
        error(json!({"fromBlock": "0x0", "toBlock": "0x9"})),
        (-32602, "block range extends beyond current head block".into())
    );
    // The range bound is checked before the head: MAX_LOG_BLOCK_RANGE blocks pass it.
    let last = format!("{:#x}", MAX_LOG_BLOCK_RANGE - 1);
    assert_eq!(
        error(json!({"fromBlock": "0x0", "toBlock": last})),
        (-32602, "block range extends beyond current head block".into())
    );
    let past = format!("{MAX_LOG_BLOCK_RANGE:#x}");
    assert_eq!(
        error(json!({"fromBlock": "0x0", "toBlock": past})),
        (-32000, format!("exceed maximum block range: {MAX_LOG_BLOCK_RANGE}"))
    );
    let many: Vec<Address> =
        (0..=MAX_LOG_ADDRESSES).map(|i| Address::left_padding_from(&i.to_be_bytes())).collect();
    assert_eq!(error(json!({"address": many})), (-32000, "exceed max addresses".into()));
    assert_eq!(logs(&c, json!({"address": &many[..MAX_LOG_ADDRESSES]})), Vec::<Value>::new());
    let alternatives: Vec<String> = many.iter().map(|a| topic(*a)).collect();
    assert_eq!(error(json!({"topics": [null, alternatives]})), (-32000, "exceed max topics".into()));
    let within = json!({"topics": [null, &alternatives[..MAX_LOG_TOPIC_ALTERNATIVES]]});
    assert_eq!(logs(&c, within), Vec::<Value>::new());
    let positions = vec![Value::Null; MAX_LOG_TOPICS];
    assert_eq!(logs(&c, json!({"topics": positions})), Vec::<Value>::new());

    // MAX_LOGS logs are returned; one more is refused. The init code logs (LOG0, no
    // data) a count of times given by its PUSH2, then stops (no code deployed).
    let emitter = |count: u16| {
        let [hi, lo] = count.to_be_bytes();
        let mut code = vec![0x61, hi, lo, 0x5b, 0x80, 0x15, 0x60, 0x15, 0x57];
        code.extend_from_slice(&[
            0x60, 0x00, 0x60, 0x00, 0xa0, 0x60, 0x01, 0x90, 0x03, 0x60, 0x03, 0x56, 0x5b, 0x00,
        ]);
        code
    };
    let w = Wallet::dev(5);
    let max = u16::try_from(MAX_LOGS).expect("fits a PUSH2");
    let first = c.receipt(&c.send(&w.eip1559(CHAIN_ID, 0, None, emitter(max), 10_000_000)));
    assert_eq!(first["status"], "0x1");
    assert_eq!(first["logs"].as_array().expect("logs").len(), MAX_LOGS);
    assert_eq!(logs(&c, json!({"fromBlock": "0x0"})).len(), MAX_LOGS);
    let second = c.receipt(&c.send(&w.eip1559(CHAIN_ID, 1, None, emitter(1), 100_000)));
    assert_eq!(
        error(json!({"fromBlock": "0x0"})),
        (-32000, format!("query returned more than {MAX_LOGS} results"))
    );
    assert_eq!(logs(&c, json!({"fromBlock": second["blockNumber"]})).len(), 1);
    node.stop().expect("stop");
}
