//! The node's answers: chain data, a solc-compiled ERC-20 deployed, called and read back,
//! fees, reverts, exact estimates, restart continuity.

use alloy_primitives::{Address, U256};
use cove_node::DEV_BALANCE_WEI;
use serde_json::json;

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;

#[test]
fn a_dev_node_answers_chain_queries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    assert_eq!(c.call("eth_chainId", json!([])), "0xc07e");
    assert_eq!(c.call("net_version", json!([])), "49278");
    assert!(c.call("web3_clientVersion", json!([])).as_str().expect("str").starts_with("cove/v"));
    // Block 1 funded the dev accounts.
    assert_eq!(c.call("eth_blockNumber", json!([])), "0x1");
    assert_eq!(c.balance(Wallet::dev(9).address), U256::from(DEV_BALANCE_WEI));
    assert_eq!(c.call("eth_gasPrice", json!([])), "0x3b9aca00");
    let b1 = c.call("eth_getBlockByNumber", json!(["0x1", false]));
    assert_eq!(b1["number"], "0x1");
    let b0 = c.call("eth_getBlockByNumber", json!(["earliest", false]));
    assert_eq!(b1["parentHash"], b0["hash"]);
    assert_eq!(c.call("eth_getBlockByHash", json!([b1["hash"], false]))["number"], "0x1");
    assert!(c.call("eth_getBlockByNumber", json!(["0x99", false])).is_null());
    let fees = c.call("eth_feeHistory", json!(["0x2", "latest", [50]]));
    assert_eq!(fees["oldestBlock"], "0x0");
    assert_eq!(fees["baseFeePerGas"].as_array().expect("array").len(), 3);
    node.stop().expect("stop");
}

#[test]
fn an_erc20_deploys_transfers_logs_and_charges_its_fees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(0);
    let to = Wallet::dev(1).address;
    let recipient = Address::repeat_byte(0xfe);
    let before = c.balance(w.address);

    let (token, deployed) = deploy_token(&c, &w, CHAIN_ID, 1_000_000);
    assert_eq!(deployed["logs"][0]["topics"][0], TRANSFER_TOPIC);
    assert!(c.call("eth_getCode", json!([token, "latest"])).as_str().expect("code").len() > 100);
    // Slot 0 is totalSupply.
    let slot0 = c.u256("eth_getStorageAt", json!([token, "0x0", "latest"]));
    assert_eq!(slot0, U256::from(1_000_000));

    // Estimate exactly: the call succeeds at the estimate and fails one below.
    let data = format!("0x{}", hex::encode(transfer(to, 250)));
    let call = json!({"from": w.address, "to": token, "data": data});
    let gas = quantity(&c.call("eth_estimateGas", json!([call])));
    let at = |g: u64| json!({"from": w.address, "to": token, "data": data, "gas": format!("{g:#x}")});
    c.call("eth_call", json!([at(gas), "latest"]));
    c.error("eth_call", json!([at(gas - 1), "latest"]));

    let hash = c.send(&w.eip1559(CHAIN_ID, 1, Some(token), transfer(to, 250), gas));
    let tx = c.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["from"], json!(w.address));
    let r = c.receipt(&hash);
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["logs"][0]["address"], json!(token));
    assert_eq!(r["logs"][0]["topics"][0], TRANSFER_TOPIC);
    assert_eq!(r["logs"][0]["logIndex"], "0x0");
    assert_eq!(r["effectiveGasPrice"], format!("{PRICE:#x}"));
    let read = c.call("eth_call", json!([{"to": token, "data": balance_of(to)}, "latest"]));
    assert_eq!(read.as_str().expect("hex").parse::<U256>().expect("u256"), U256::from(250));

    // The sender paid gas used × price for both, the fee recipient got it all.
    let fees = U256::from(quantity(&deployed["gasUsed"]) + quantity(&r["gasUsed"])) * U256::from(PRICE);
    assert_eq!(c.balance(w.address), before - fees);
    assert_eq!(c.balance(recipient), fees);
    assert_eq!(c.nonce(w.address), 2);

    // The block holds it, its state root is cove's.
    let block = c.call("eth_getBlockByNumber", json!([r["blockNumber"], true]));
    assert_eq!(block["transactions"][0]["hash"], json!(hash));
    assert_eq!(block["hash"], r["blockHash"]);
    node.stop().expect("stop");
}

#[test]
fn a_revert_carries_its_data_and_a_failed_transaction_still_pays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(2);
    let (token, _) = deploy_token(&c, &w, CHAIN_ID, 100);
    let poor = Wallet::dev(3);
    let data = format!("0x{}", hex::encode(transfer(w.address, 1)));
    let e = c.error("eth_call", json!([{"from": poor.address, "to": token, "data": data}, "latest"]));
    assert_eq!(e["code"], 3);
    assert_eq!(e["message"], "execution reverted: ERC20: insufficient balance");
    assert!(e["data"].as_str().expect("data").starts_with("0x08c379a0"), "{e}");
    let e = c.error("eth_estimateGas", json!([{"from": poor.address, "to": token, "data": data}]));
    assert_eq!(e["code"], 3);

    let before = c.balance(poor.address);
    let hash = c.send(&poor.eip1559(CHAIN_ID, 0, Some(token), transfer(w.address, 1), 100_000));
    let r = c.receipt(&hash);
    assert_eq!(r["status"], "0x0");
    assert!(r["logs"].as_array().expect("logs").is_empty());
    let used = quantity(&r["gasUsed"]);
    assert!(used > 21_000 && used < 100_000, "{used}");
    assert_eq!(c.balance(poor.address), before - U256::from(used) * U256::from(PRICE));
    assert_eq!(c.nonce(poor.address), 1, "a failed transaction bumps the nonce");
    node.stop().expect("stop");
}

#[test]
fn a_restart_continues_from_the_last_committed_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = Wallet::dev(4);
    let (hash, height, root, balance) = {
        let node = start(dir.path());
        let c = Client::new(&node);
        let hash = c.send(&w.legacy(Some(CHAIN_ID), 0, Address::repeat_byte(7), U256::from(5)));
        c.receipt(&hash);
        let head = c.call("eth_getBlockByNumber", json!(["latest", false]));
        let balance = c.balance(w.address);
        node.stop().expect("stop");
        (hash, head["number"].clone(), head["stateRoot"].clone(), balance)
    };
    let node = start(dir.path());
    let c = Client::new(&node);
    assert_eq!(c.call("eth_blockNumber", json!([])), height);
    let head = c.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(head["stateRoot"], root);
    assert_eq!(c.receipt(&hash)["status"], "0x1");
    assert_eq!(c.balance(w.address), balance);
    assert_eq!(c.balance(Address::repeat_byte(7)), U256::from(5));
    // The dev accounts are funded once, not at every start.
    assert_eq!(c.nonce(w.address), 1);
    let next = c.send(&w.legacy(Some(CHAIN_ID), 1, Address::repeat_byte(7), U256::from(5)));
    let r = c.receipt(&next);
    assert_eq!(quantity(&r["blockNumber"]), quantity(&height) + 1);
    assert_eq!(c.balance(Address::repeat_byte(7)), U256::from(10));
    node.stop().expect("stop");
}

#[test]
fn a_create_estimate_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(1);
    let mut code = hex::decode(TOKEN_BIN.trim()).expect("token hex");
    code.extend_from_slice(&U256::from(7).to_be_bytes::<32>());
    let request = json!({"from": w.address, "data": format!("0x{}", hex::encode(&code))});
    let gas = quantity(&c.call("eth_estimateGas", json!([request])));
    let short = c.send(&w.eip1559(CHAIN_ID, 0, None, code.clone(), gas - 1));
    assert_eq!(c.receipt(&short)["status"], "0x0", "one below the estimate fails");
    let exact = c.send(&w.eip1559(CHAIN_ID, 1, None, code, gas));
    let r = c.receipt(&exact);
    assert_eq!(r["status"], "0x1", "{r}");
    assert!(quantity(&r["gasUsed"]) <= gas);
    node.stop().expect("stop");
}
