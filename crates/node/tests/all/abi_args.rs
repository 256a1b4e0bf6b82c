//! `cove_call` and `cove_query` with JSON arguments, encoded by the contract's
//! `cove_abi` section, and their results decoded back; the clear invalid-params errors
//! of a contract without one, an unknown entry point and wrong arguments.

use alloy_primitives::Address;
use serde_json::{Value, json};

use crate::harness::*;
use crate::native::{address, send, tx};

/// The ABI cove-sdk would write for `examples/token.wat`, one JSON line per entry.
const TOKEN_ABI: &[&str] = &[
    r#"{"name":"init","args":[],"result":"()"}"#,
    r#"{"name":"transfer","args":[{"name":"to","type":"Address"},{"name":"amount","type":"u64"}],"result":"()"}"#,
    r#"{"name":"balance","args":[{"name":"owner","type":"Address"}],"result":"u64"}"#,
];

/// `examples/token.wat` with [`TOKEN_ABI`] as its `cove_abi` section.
fn token_with_abi() -> Vec<u8> {
    let text = include_str!("../../../../examples/token.wat").trim_end();
    let body = text.strip_suffix(')').expect("a module");
    let section = TOKEN_ABI.join("\n").replace('"', "\\\"").replace('\n', "\\n");
    wat::parse_str(format!("{body} (@custom \"cove_abi\" \"{section}\"))")).expect("wat")
}

/// Deploys `code` (running `init` if `init`) from `w` with nonce `nonce`: its address.
fn deploy(c: &Client, w: &Wallet, nonce: u64, code: Vec<u8>, init: bool) -> Address {
    let mut t = tx(1, nonce);
    t.code = code.into();
    if init {
        t.entry = b"init".to_vec().into();
    }
    let r = c.receipt(&send(c, &w.native(&t)));
    assert_eq!(r["status"], "0x1", "{r}");
    address(&r)
}

fn invalid_params(c: &Client, method: &str, params: Value) -> String {
    let e = c.error(method, params);
    assert_eq!(e["code"], -32602, "{e}");
    e["message"].as_str().expect("message").to_string()
}

#[test]
fn json_args_are_encoded_by_the_contracts_abi_and_the_result_decoded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(3);
    let token = deploy(&c, &w, 0, token_with_abi(), true);

    let r = c.call("cove_call", json!([token, "balance", {"owner": w.address}]));
    assert_eq!(r["result"], 1_000_000, "{r}");
    assert_eq!(r["output"], format!("0x{}", hex::encode(1_000_000u64.to_le_bytes())), "{r}");
    assert!(quantity(&r["gasUsed"]) > 0, "{r}");
    // The same read with hex input answers the same bytes, without `result`.
    let raw = c.call("cove_call", json!([token, "balance", w.address]));
    assert_eq!((&raw["output"], raw.get("result")), (&r["output"], None), "{raw}");

    // cove_query takes {method, args}; a transfer shows in it.
    let to = Address::repeat_byte(0x42);
    let mut t = tx(4, 1);
    t.to = token.to_vec().into();
    t.entry = b"transfer".to_vec().into();
    t.input = [to.as_slice(), &250u64.to_le_bytes()].concat().into();
    assert_eq!(c.receipt(&send(&c, &w.native(&t)))["status"], "0x1");
    let q = c.call("cove_query", json!([token, {"method": "balance", "args": {"owner": to}}]));
    assert_eq!(q["result"], 250, "{q}");
    let mine = c.call("cove_query", json!([token, {"method": "balance", "args": {"owner": w.address}}]));
    assert_eq!(mine["result"], 1_000_000 - 250, "{mine}");
    // At the block before the transfer.
    let head = quantity(&c.call("eth_blockNumber", json!([])));
    let before = c.call(
        "cove_query",
        json!([token, {"method": "balance", "args": {"owner": to}}, format!("{:#x}", head - 1)]),
    );
    assert_eq!(before["result"], 0, "{before}");
}

#[test]
fn bad_json_args_are_invalid_params_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(4);
    let token = deploy(&c, &w, 0, token_with_abi(), true);
    let plain =
        deploy(&c, &w, 1, wat::parse_str(include_str!("../../../../examples/token.wat")).expect("wat"), true);
    let owner = json!({"owner": w.address});

    for (method, params, message) in [
        (
            "cove_call",
            json!([token, "mint", owner]),
            "no entry point `mint`; it has: init, transfer, balance",
        ),
        (
            "cove_call",
            json!([token, "balance", {}]),
            "missing argument `owner`: expected {\"owner\": Address}",
        ),
        (
            "cove_call",
            json!([token, "balance", {"owner": "0x12"}]),
            "argument `owner`: an address is 20 bytes, got 1",
        ),
        (
            "cove_call",
            json!([token, "balance", {"owner": w.address, "x": 1}]),
            "`balance` takes no argument `x`",
        ),
        (
            "cove_call",
            json!([plain, "balance", owner]),
            "has no cove_abi section (it was not built with cove-sdk): send hex input",
        ),
        ("cove_query", json!([token, {"method": "mint"}]), "no entry point `mint`"),
        ("cove_query", json!([token, {"args": owner}]), "missing field `method`"),
        ("cove_query", json!([plain, {"method": "balance", "args": owner}]), "has no cove_abi section"),
    ] {
        let got = invalid_params(&c, method, params.clone());
        assert!(got.contains(message), "{method} {params}: {got}");
    }

    // An EVM contract has no cove ABI.
    let (erc20, _) = deploy_token(&c, &Wallet::dev(5), 0xc07e, 1000);
    let got = invalid_params(&c, "cove_call", json!([erc20, "", {"x": 1}]));
    assert!(got.contains("runs on the evm VM: send hex input"), "{got}");
    // cove_query takes neither a CosmWasm message nor {method, args} for it.
    let e = c.error("cove_query", json!([erc20, {"method": "balance"}]));
    assert_eq!(e["code"], -32000, "{e}");
    assert!(e["message"].as_str().expect("message").contains("is a evm contract, not CosmWasm"), "{e}");
}
