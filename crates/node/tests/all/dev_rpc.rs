//! What a dev node answers for tools that let it sign: `eth_accounts`,
//! `eth_sendTransaction` and `evm_mine`.

use std::time::Duration;

use alloy_primitives::{Address, U256};
use cove_node::{DEV_ACCOUNTS, Mining, Node, NodeConfig};
use serde_json::json;

use crate::harness::{Client, TOKEN_BIN, Wallet, balance_of, quantity, start, start_mining, transfer};

#[test]
fn eth_accounts_lists_the_dev_accounts_and_send_transaction_signs_for_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let accounts = c.call("eth_accounts", json!([]));
    let expected: Vec<String> = DEV_ACCOUNTS.iter().map(|(a, _)| format!("0x{a}")).collect();
    assert_eq!(accounts, json!(expected));

    // A transfer with nothing but from, to and value: nonce, gas and price are filled.
    let from = Wallet::dev(1).address;
    let to = Address::repeat_byte(0x42);
    let before = c.balance(from);
    let hash = c.call("eth_sendTransaction", json!([{"from": from, "to": to, "value": "0x3e8"}]));
    let r = c.receipt(hash.as_str().expect("hash"));
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(c.balance(to), U256::from(1000));
    let fee = U256::from(quantity(&r["gasUsed"])) * U256::from(quantity(&r["effectiveGasPrice"]));
    assert_eq!(before - c.balance(from), U256::from(1000) + fee);
    let tx = c.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(
        (tx["from"].as_str(), &tx["type"], &tx["nonce"]),
        (Some(&*format!("{from:#x}")), &json!("0x2"), &json!("0x0"))
    );
    assert_eq!(quantity(&tx["gas"]), 21_000, "the estimate: {tx}");

    // A deployment and a call with data; the next nonce is taken.
    let mut code = hex::decode(TOKEN_BIN.trim()).expect("token hex");
    code.extend_from_slice(&U256::from(500).to_be_bytes::<32>());
    let hash =
        c.call("eth_sendTransaction", json!([{"from": from, "data": format!("0x{}", hex::encode(code))}]));
    let r = c.receipt(hash.as_str().expect("hash"));
    assert_eq!(r["status"], "0x1", "{r}");
    let token: Address = r["contractAddress"].as_str().expect("address").parse().expect("address");
    let data = format!("0x{}", hex::encode(transfer(to, 7)));
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": from, "to": token, "input": data, "gasPrice": "0x77359400"}]),
    );
    let r = c.receipt(hash.as_str().expect("hash"));
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(c.call("eth_getTransactionByHash", json!([hash]))["type"], "0x0", "gasPrice: legacy");
    let out = c.call("eth_call", json!([{"to": token, "data": balance_of(to)}, "latest"]));
    assert_eq!(
        U256::from_str_radix(out.as_str().expect("hex").trim_start_matches("0x"), 16).expect("u256"),
        U256::from(7)
    );
    assert_eq!(c.nonce(from), 3);

    // Refusals: an account the node holds no key of, a wrong chain id, a short balance.
    let stranger = Address::repeat_byte(0x07);
    let e = c.error("eth_sendTransaction", json!([{"from": stranger, "to": to}]));
    assert_eq!(e["message"], "unknown account", "{e}");
    let e = c.error("eth_sendTransaction", json!([{"from": from, "to": to, "chainId": "0x1"}]));
    assert!(e["message"].as_str().expect("message").starts_with("invalid chain id"), "{e}");
    let e = c.error(
        "eth_sendTransaction",
        json!([{"from": from, "to": to, "value": format!("{:#x}", U256::MAX >> 8), "gas": "0x5208"}]),
    );
    assert!(
        e["message"].as_str().expect("message").starts_with("insufficient funds for gas * price + value"),
        "{e}"
    );
}

#[test]
fn evm_mine_makes_a_block_now_and_a_node_without_dev_signs_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_mining(dir.path(), Mining::Interval(Duration::from_secs(3600)));
    let c = Client::new(&node);
    let head = quantity(&c.call("eth_blockNumber", json!([])));
    let from = Wallet::dev(2).address;
    let hash =
        c.call("eth_sendTransaction", json!([{"from": from, "to": Address::repeat_byte(1), "value": "0x1"}]));
    assert!(c.call("eth_getTransactionReceipt", json!([hash])).is_null(), "no block yet");
    assert_eq!(c.call("evm_mine", json!([])), "0x0");
    assert_eq!(quantity(&c.call("eth_blockNumber", json!([]))), head + 1);
    let r = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!((&r["status"], quantity(&r["blockNumber"])), (&json!("0x1"), head + 1), "{r}");
    // An empty block too.
    assert_eq!(c.call("evm_mine", json!([])), "0x0");
    assert_eq!(quantity(&c.call("eth_blockNumber", json!([]))), head + 2);
    drop(node);

    let plain = tempfile::tempdir().expect("tempdir");
    let mut config = NodeConfig::new(plain.path().to_path_buf());
    config.rpc = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let node = Node::open(config).expect("open").start().expect("start");
    let c = Client::new(&node);
    assert_eq!(c.call("eth_accounts", json!([])), json!([]));
    let e = c.error("eth_sendTransaction", json!([{"from": from, "to": from}]));
    assert!(e["message"].as_str().expect("message").contains("--dev"), "{e}");
}
