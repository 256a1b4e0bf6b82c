//! The explorer page (`GET /`) and the `cove_` methods it reads.

use std::io::{Read, Write};
use std::net::TcpStream;

use cove_node::rpc::MAX_STORAGE_PAGE;
use serde_json::json;

use crate::harness::*;

/// A data dir holding `examples/token.wat` with three balances (the deployer's and two
/// recipients'), made through the runtime before any node opens it; the token's address.
fn token_state(dir: &std::path::Path) -> types::Address {
    let rt = runtime::Runtime::open(dir, runtime::Config::default()).expect("runtime");
    let code = wat::parse_str(include_str!("../../../../examples/token.wat")).expect("token.wat");
    let mut block = rt.begin_block(1_700_000_000).expect("block");
    let sender = runtime::DEFAULT_SENDER;
    let r = block.deploy(sender, &code, Some(("init", Vec::new())), None).expect("deploy");
    let token = r.address.expect("an address");
    for to in [[0xb1; 20], [0xb2; 20]] {
        let input = [&to[..], &5u64.to_le_bytes()].concat();
        assert!(block.call(sender, token, "transfer", input, None).expect("call").is_ok());
    }
    block.commit().expect("commit");
    token
}

fn get(node: &cove_node::RunningNode, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(node.addr()).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let (head, body) = out.split_once("\r\n\r\n").expect("an http response");
    (head.to_string(), body.to_string())
}

#[test]
fn the_page_is_served_at_the_root_beside_json_rpc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let (head, body) = get(&node, "/");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
    assert!(head.contains("content-security-policy: default-src 'none'"), "{head}");
    assert!(body.contains("<title>cove explorer</title>") && body.contains("cove_getStorage"));
    // JSON-RPC on the same address is untouched.
    assert_eq!(Client::new(&node).call("eth_chainId", json!([])), json!("0xc07e"));
    // Only the root is the page.
    let (head, _) = get(&node, "/other");
    assert!(!head.starts_with("HTTP/1.1 200"), "{head}");
}

#[test]
fn contracts_and_their_storage_page_by_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = token_state(dir.path());
    let node = start(dir.path());
    let c = Client::new(&node);
    let address = format!("0x{}", hex::encode(token.0));

    let info = c.call("cove_getContract", json!([address, "latest"]));
    assert_eq!(info["vm"], "wasm");
    assert_eq!(info["createdHeight"], 1);
    // Deposits are off by default: nothing held.
    assert_eq!(info["storageDeposit"], json!({"bytes": 0, "held": "0x0"}));
    assert_eq!(
        info["creator"].as_str().unwrap().to_lowercase(),
        format!("0x{}", hex::encode(runtime::DEFAULT_SENDER.0))
    );
    assert_eq!(c.call("cove_getContract", json!([format!("0x{}", "00".repeat(20))])), json!(null));

    // Three balances, keys "b" ++ address, in key order: two pages of two.
    let all = c.call("cove_getStorage", json!([address]));
    assert_eq!(all["entries"].as_array().unwrap().len(), 3);
    assert_eq!(all["next"], json!(null));
    let first = c.call("cove_getStorage", json!([address, "latest", {"limit": 2}]));
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0], all["entries"][0]);
    assert_eq!(first["next"], all["entries"][2]["key"]);
    let second = c.call("cove_getStorage", json!([address, "latest", {"start": first["next"], "limit": 2}]));
    assert_eq!(second["entries"], json!([all["entries"][2]]));
    assert_eq!(second["next"], json!(null));
    let mut values: Vec<String> =
        all["entries"].as_array().unwrap().iter().map(|e| e["value"].as_str().unwrap().to_string()).collect();
    values.sort();
    let le = |v: u64| format!("0x{}", hex::encode(v.to_le_bytes()));
    let mut expected = vec![le(5), le(5), le(1_000_000 - 10)];
    expected.sort();
    assert_eq!(values, expected);

    // Bounded: 1..=MAX_STORAGE_PAGE.
    for limit in [0, MAX_STORAGE_PAGE + 1] {
        let e = c.error("cove_getStorage", json!([address, "latest", {"limit": limit}]));
        assert_eq!(e["code"], -32602, "{e}");
    }
    let e = c.error("cove_getStorage", json!([address, "latest", {"from": "0x00"}]));
    assert_eq!(e["code"], -32602, "unknown options are refused: {e}");
}
