//! `cove node` as a user runs it: started on a free port, asked over JSON-RPC, stopped
//! by SIGTERM, restarted on the same data dir.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// A `cove node` child, killed if a test fails before it stops it.
struct Running {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cove node --dev` on a free port.
fn start(dir: &std::path::Path) -> Running {
    start_with(dir, None, &[])
}

/// Starts `cove [--config CONFIG] node --dev NODE_ARGS` on a free port.
fn start_with(dir: &std::path::Path, config: Option<&std::path::Path>, node_args: &[&str]) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cove"));
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let mut child = command
        .arg("--data-dir")
        .arg(dir)
        .args(["node", "--rpc", "127.0.0.1:0", "--dev"])
        .args(node_args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("cove node starts");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut node = Running { child, out, addr: String::new() };
    let mut line = String::new();
    loop {
        line.clear();
        assert!(node.out.read_line(&mut line).expect("read") > 0, "cove node exited before listening");
        if let Some(addr) = line.trim().strip_prefix("listening on http://") {
            node.addr = addr.to_string();
            return node;
        }
    }
}

fn rpc(addr: &str, method: &str) -> Value {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[]}}"#);
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let (_, body) = text.split_once("\r\n\r\n").expect("http");
    serde_json::from_str(body).expect("json")
}

/// SIGTERM; the node must exit 0. Returns what it printed after listening.
fn terminate(mut node: Running) -> String {
    let status = Command::new("kill").args(["-TERM", &node.child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let code = node.child.wait().expect("wait");
    let mut rest = String::new();
    node.out.read_to_string(&mut rest).expect("read");
    assert!(code.success(), "{code:?}: {rest}");
    rest
}

#[test]
fn cove_node_serves_rpc_stops_on_sigterm_and_restarts_where_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let addr = node.addr.clone();
    assert_eq!(rpc(&addr, "eth_chainId")["result"], "0xc07e");
    assert_eq!(rpc(&addr, "eth_blockNumber")["result"], "0x1");
    // The node holds the data dir: another cove process is refused, never let in.
    let other = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["fund", "0x00000000000000000000000000000000000000aa", "1"])
        .output()
        .expect("cove runs");
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("in use by another cove process"), "{other:?}");
    assert!(terminate(node).contains("shutting down"));

    let node = start(dir.path());
    assert_eq!(rpc(&node.addr, "eth_blockNumber")["result"], "0x1", "the dev block is made once");
    terminate(node);
}

/// A JSON-RPC call with `params`: the whole response, or `None` if the node is gone.
fn try_rpc(addr: &str, method: &str, params: Value) -> Option<Value> {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut s = TcpStream::connect(addr).ok()?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

fn rpc_with(addr: &str, method: &str, params: Value) -> Value {
    try_rpc(addr, method, params).expect("the node answers")
}

/// A legacy value transfer of `value` wei from dev account `from` to `to`, signed.
fn signed_transfer_from(from: usize, nonce: u64, to: [u8; 20], value: u64) -> String {
    use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Address, Bytes, TxKind, U256};
    let key = k256::ecdsa::SigningKey::from_slice(&hex_bytes(node::DEV_ACCOUNTS[from].1)).expect("key");
    let tx = TxLegacy {
        chain_id: Some(0xc07e),
        nonce,
        gas_price: 2_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(Address::from(to)),
        value: U256::from(value),
        input: Bytes::new(),
    };
    let (sig, recid) = key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("sign");
    let signed = tx.into_signed(alloy_primitives::Signature::from((sig, recid)));
    format!("0x{}", hex_string(&TxEnvelope::from(signed).encoded_2718()))
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `kill -9` while transactions are being sent: after a restart every transaction whose
/// receipt was returned is there with the same receipt, the recipients hold what those
/// paid, the chain goes on from where it was, and the node serves again. Four senders
/// at once and a block every 100 ms, with `[execution] threads = 4`: the blocks run
/// their transactions in parallel.
#[test]
fn kill_9_under_load_loses_no_transaction_whose_receipt_was_returned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("parallel.toml");
    std::fs::write(&config, "[execution]\nthreads = 4\n").expect("config");
    let data = dir.path().join("data");
    let node = start_with(&data, Some(&config), &["--block-time", "100ms"]);
    // Sender threads: one transfer at a time each, each waited on by receipt, to
    // recipients of their own; each stops at its first failure (the node is gone).
    let senders: Vec<_> = (0..4usize)
        .map(|from| {
            let addr = node.addr.clone();
            std::thread::spawn(move || {
                let mut confirmed = Vec::new();
                for nonce in 0..10_000u64 {
                    let mut to = [0u8; 20];
                    to[0] = 0xee;
                    to[1] = from as u8;
                    to[12..].copy_from_slice(&(nonce + 1).to_be_bytes());
                    let raw = signed_transfer_from(from, nonce, to, 1_000 + nonce);
                    let sent = try_rpc(&addr, "eth_sendRawTransaction", serde_json::json!([raw]));
                    let Some(hash) = sent.and_then(|v| v["result"].as_str().map(str::to_string)) else {
                        break;
                    };
                    let receipt = loop {
                        match try_rpc(&addr, "eth_getTransactionReceipt", serde_json::json!([hash])) {
                            Some(v) if v["result"].is_object() => break Some(v["result"].clone()),
                            Some(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                            None => break None,
                        }
                    };
                    match receipt {
                        Some(receipt) => confirmed.push((hash, to, 1_000 + nonce, receipt)),
                        None => break,
                    }
                }
                confirmed
            })
        })
        .collect();
    // Let some transactions through, then kill the node without warning.
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let mut node = node;
    node.child.kill().expect("SIGKILL");
    node.child.wait().expect("wait");
    let confirmed: Vec<_> = senders.into_iter().flat_map(|s| s.join().expect("a sender thread")).collect();
    assert!(confirmed.len() >= 5, "only {} transactions went through before the kill", confirmed.len());
    assert!(confirmed.len() < 40_000, "the kill came while transactions were being sent");
    let mut per_block = std::collections::BTreeMap::new();
    for (_, _, _, r) in &confirmed {
        *per_block.entry(r["blockNumber"].as_str().expect("a block number").to_string()).or_insert(0) += 1;
    }
    assert!(per_block.values().any(|n| *n > 1), "some block ran several transactions: {per_block:?}");
    eprintln!(
        "{} transactions in {} blocks had their receipts before the kill",
        confirmed.len(),
        per_block.len()
    );
    let last_block = confirmed
        .iter()
        .filter_map(|(_, _, _, r)| {
            u64::from_str_radix(r["blockNumber"].as_str()?.trim_start_matches("0x"), 16).ok()
        })
        .max()
        .expect("a receipt");

    let node = start_with(&data, Some(&config), &["--block-time", "100ms"]);
    assert_eq!(rpc(&node.addr, "eth_chainId")["result"], "0xc07e", "it serves again");
    for (hash, to, value, receipt) in &confirmed {
        let again = rpc_with(&node.addr, "eth_getTransactionReceipt", serde_json::json!([hash]));
        assert_eq!(&again["result"], receipt, "the receipt of {hash} survived as it was");
        let balance = rpc_with(
            &node.addr,
            "eth_getBalance",
            serde_json::json!([format!("0x{}", hex_string(to)), "latest"]),
        );
        assert_eq!(balance["result"], format!("{value:#x}"), "what {hash} paid is there");
    }
    let head = rpc(&node.addr, "eth_blockNumber")["result"].as_str().expect("a height").to_string();
    let head = u64::from_str_radix(&head[2..], 16).unwrap();
    assert!(head >= last_block, "the chain goes on from where it was");
    terminate(node);
}

/// `cove --json ARGS` against a running node: its exit code and JSON.
fn cove_rpc(addr: &str, args: &[&str]) -> (i32, Value) {
    let url = format!("http://{addr}");
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--json")
        .args(args)
        .args(["--rpc", &url])
        .env("COVE_KEY", "dev:2")
        .output()
        .expect("cove runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(text.trim())
        .unwrap_or_else(|_| Value::String(format!("{text}{}", String::from_utf8_lossy(&out.stderr))));
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn deploy_call_query_balance_and_fund_go_to_a_running_node_with_rpc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let addr = node.addr.clone();
    let sender = format!("0x{}", node::DEV_ACCOUNTS[2].0);
    let counter = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat");

    let (code, before) = cove_rpc(&addr, &["balance", &sender]);
    assert_eq!(code, 0, "{before}");
    let (code, deployed) = cove_rpc(&addr, &["deploy", counter]);
    assert_eq!((code, deployed["status"].as_str()), (0, Some("ok")), "{deployed}");
    assert_eq!(deployed["sender"], sender);
    let contract = deployed["address"].as_str().expect("address").to_string();
    let (code, called) = cove_rpc(&addr, &["call", &contract, "increment"]);
    assert_eq!((code, called["output_hex"].as_str()), (0, Some("01000000")), "{called}");
    let (code, read) = cove_rpc(&addr, &["query", &contract, "get"]);
    assert_eq!((code, read["output_hex"].as_str()), (0, Some("01000000")), "{read}");
    // The node's proof of the counter's value is a file `cove state verify-proof` checks.
    let key = format!("0x{}", hex_string(b"counter"));
    let p = rpc_with(&addr, "cove_getProof", serde_json::json!([contract, key]))["result"].clone();
    let height = p["height"].as_str().and_then(|h| u64::from_str_radix(h.strip_prefix("0x")?, 16).ok());
    let height = height.unwrap_or_else(|| panic!("a hex height: {p}")).to_string();
    let file = dir.path().join("proof.json");
    std::fs::write(&file, p.to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .args(["--json", "state", "verify-proof"])
        .arg(&file)
        .args(["--height", &height])
        .output()
        .expect("cove runs");
    assert!(out.status.success(), "{p} {out:?}");
    // A failed call: exit 1, its error, and it still paid.
    let (code, failed) = cove_rpc(&addr, &["call", &contract, "nope"]);
    assert_eq!((code, failed["error"]["kind"].as_str()), (1, Some("not_found")), "{failed}");

    // The sender paid exactly the fees it was told of, one nonce per transaction.
    let (_, after) = cove_rpc(&addr, &["balance", &sender]);
    let fees: u128 = [&deployed, &called, &failed]
        .iter()
        .map(|v| v["fee"].as_str().expect("fee").parse::<u128>().expect("fee"))
        .sum();
    let (b, a): (u128, u128) = (
        before["balance"].as_str().unwrap().parse().unwrap(),
        after["balance"].as_str().unwrap().parse().unwrap(),
    );
    assert_eq!(b - a, fees);
    assert_eq!(after["nonce"].as_u64(), Some(3));

    let (code, funded) = cove_rpc(&addr, &["fund", "0x00000000000000000000000000000000000000cc", "77"]);
    assert_eq!(code, 0, "{funded}");
    let (_, balance) = cove_rpc(&addr, &["balance", "0x00000000000000000000000000000000000000cc"]);
    assert_eq!(balance["balance"], "77");
    assert_eq!(balance["storage_deposit"], json!({"bytes": 0, "held": "0"}), "an account holds no deposit");

    // Without --rpc, COVE_KEY is unused: the command opens its data dir as always.
    let local = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--data-dir")
        .arg(local.path())
        .args(["--json", "fund", "0x00000000000000000000000000000000000000cc", "5"])
        .env("COVE_KEY", "dev:2")
        .output()
        .expect("cove runs");
    assert!(out.status.success(), "{out:?}");

    // What --rpc does not take is said, not ignored.
    let (code, v) = cove_rpc(&addr, &["estimate-gas", &contract, "get"]);
    assert_ne!(code, 0);
    assert!(v.to_string().contains("--rpc works with deploy, call, query, migrate, balance and fund"), "{v}");
    terminate(node);
}

#[test]
fn json_args_go_to_a_running_node_for_queries_and_signed_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let addr = node.addr.clone();
    let owner = format!("0x{}", node::DEV_ACCOUNTS[2].0);
    // examples/token.wat with the ABI cove-sdk would write for it.
    let abi = [
        r#"{"name":"init","args":[],"result":"()"}"#,
        r#"{"name":"balance","args":[{"name":"owner","type":"Address"}],"result":"u64"}"#,
        r#"{"name":"transfer","args":[{"name":"to","type":"Address"},{"name":"amount","type":"u64"}],"result":"()"}"#,
    ]
    .join("\\n")
    .replace('"', "\\\"");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/token.wat"))
        .expect("token.wat");
    let body = text.trim_end().strip_suffix(')').expect("a module");
    let wat = dir.path().join("token_abi.wat");
    std::fs::write(&wat, format!("{body} (@custom \"cove_abi\" \"{abi}\"))")).expect("write");
    let (code, deployed) = cove_rpc(&addr, &["deploy", wat.to_str().expect("utf-8"), "--init", "init"]);
    assert_eq!((code, deployed["status"].as_str()), (0, Some("ok")), "{deployed}");
    let token = deployed["address"].as_str().expect("address").to_string();

    let args = format!(r#"{{"owner": "{owner}"}}"#);
    let (code, read) = cove_rpc(&addr, &["query", &token, "balance", "--args", &args]);
    assert_eq!((code, &read["result"]), (0, &serde_json::json!(1_000_000)), "{read}");
    assert_eq!(read["output_hex"], hex_string(&1_000_000u64.to_le_bytes()), "{read}");
    // Arguments that do not fit the ABI: a usage error naming what is wrong.
    let (code, bad) = cove_rpc(&addr, &["query", &token, "balance", "--args", r#"{"who": "0x00"}"#]);
    assert_eq!((code, bad["error"]["kind"].as_str()), (2, Some("invalid_argument")), "{bad}");
    assert!(
        bad["error"]["message"].as_str().is_some_and(|m| m.contains("`balance` takes no argument `who`")),
        "{bad}"
    );
    let (code, unknown) = cove_rpc(&addr, &["query", &token, "mint", "--args", "{}"]);
    assert_eq!(code, 2, "{unknown}");
    assert!(unknown.to_string().contains("no entry point `mint`"), "{unknown}");

    // A signed call with JSON arguments: encoded by the CLI from the ABI the node reports.
    let to = "0x00000000000000000000000000000000000000ab";
    let args = format!(r#"{{"to": "{to}", "amount": 250}}"#);
    let (code, sent) = cove_rpc(&addr, &["call", &token, "transfer", "--args", &args]);
    assert_eq!((code, sent["status"].as_str()), (0, Some("ok")), "{sent}");
    let (_, read) =
        cove_rpc(&addr, &["query", &token, "balance", "--args", &format!(r#"{{"owner": "{to}"}}"#)]);
    assert_eq!(read["result"], 250, "{read}");
    let (code, bad) = cove_rpc(&addr, &["call", &token, "transfer", "--args", r#"{"to": "0x01"}"#]);
    assert_eq!((code, bad["error"]["kind"].as_str()), (2, Some("invalid_argument")), "{bad}");
    // A contract without the ABI: said, with the way around it.
    let counter = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat");
    let (_, deployed) = cove_rpc(&addr, &["deploy", counter]);
    let plain = deployed["address"].as_str().expect("address").to_string();
    let (code, none) = cove_rpc(&addr, &["call", &plain, "increment", "--args", "{}"]);
    assert_eq!(code, 2, "{none}");
    assert!(none.to_string().contains("use --args-hex"), "{none}");
    assert_eq!(rpc_with(&addr, "cove_getAbi", serde_json::json!([plain]))["result"], Value::Null);
    let abi = rpc_with(&addr, "cove_getAbi", serde_json::json!([token]))["result"].clone();
    assert_eq!(abi[2]["args"][1], serde_json::json!({"name": "amount", "type": "u64"}), "{abi}");
    terminate(node);
}

#[test]
fn snapshot_import_with_rpc_starts_a_data_dir_from_a_running_nodes_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(&dir.path().join("node"));
    let addr = node.addr.clone();
    let counter = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat");
    let (_, deployed) = cove_rpc(&addr, &["deploy", counter]);
    let contract = deployed["address"].as_str().expect("address").to_string();
    let (code, called) = cove_rpc(&addr, &["call", &contract, "increment"]);
    assert_eq!(code, 0, "{called}");
    let root = rpc(&addr, "cove_getStateRoot")["result"].clone();

    let cove = |data_dir: &std::path::Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cove"))
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--json")
            .args(args)
            .output()
            .expect("cove runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (
            out.status.code().unwrap_or(-1),
            serde_json::from_str::<Value>(text.trim()).unwrap_or(Value::String(text + &err)),
        )
    };
    let url = format!("http://{addr}");
    // A root other than the trusted one: refused, nothing imported.
    let joined = dir.path().join("joined");
    let other = "11".repeat(32);
    let (code, refused) = cove(&joined, &["snapshot", "import", "--rpc", &url, "--root", &other]);
    assert_ne!(code, 0, "{refused}");
    assert!(refused.to_string().contains("not the trusted"), "{refused}");

    let trusted = root["root"].as_str().expect("root");
    let (code, imported) = cove(&joined, &["snapshot", "import", "--rpc", &url, "--root", trusted]);
    assert_eq!((code, imported["status"].as_str()), (0, Some("ok")), "{imported}");
    assert_eq!(format!("0x{}", imported["root"].as_str().expect("root")), trusted, "{imported}");
    assert_eq!(imported["rpc"], url);
    let (code, read) = cove(&joined, &["query", &contract, "get"]);
    assert_eq!((code, read["return_hex"].as_str()), (0, Some("01000000")), "{read}");
    terminate(node);
}

/// A stand-in node that answers every request with `result`, for `requests` requests.
fn fake_node(result: &'static str, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let serve = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut s = BufReader::new(stream.expect("accept"));
            // The whole request: headers, then Content-Length bytes of body.
            let mut length = 0;
            loop {
                let mut line = String::new();
                s.read_line(&mut line).expect("read");
                if let Some((name, v)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().expect("length");
                }
                if line.trim().is_empty() {
                    break;
                }
            }
            s.read_exact(&mut vec![0; length]).expect("body");
            let mut s = s.into_inner();
            let body = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{result}}}"#);
            write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                .expect("write");
        }
    });
    (addr, serve)
}

#[test]
fn a_node_answer_that_is_no_quantity_or_out_of_range_is_an_error_not_zero() {
    for (result, said) in [
        (r#""0xnothex""#, r#"the node answered "0xnothex" for eth_chainId, not a hex quantity"#),
        (
            r#""0x10000000000000000""#,
            r#"the node answered "0x10000000000000000" for eth_chainId, out of range"#,
        ),
        (r#""12""#, r#"the node answered "12" for eth_chainId, not a hex quantity"#),
    ] {
        let (addr, serve) = fake_node(result, 1);
        let (code, v) = cove_rpc(&addr, &["fund", "0x00000000000000000000000000000000000000cc", "5"]);
        assert_ne!(code, 0, "{v}");
        assert_eq!(v["error"]["message"].as_str(), Some(said), "{v}");
        serve.join().expect("served");
    }
}

#[test]
fn a_cosmwasm_contract_is_migrated_over_rpc_by_its_admin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let addr = node.addr.clone();
    let human = |hex: &str| {
        let a: types::Address = hex.parse().expect("address");
        cosmwasm::Addresses::new("cove").expect("prefix").humanize(&a)
    };
    let sender = format!("0x{}", node::DEV_ACCOUNTS[2].0);
    let other = "0x00000000000000000000000000000000000000bb";
    let wasm = bench::fixtures::path("hackatom").unwrap_or_else(|e| panic!("{e}"));
    let wasm = wasm.to_str().expect("path");
    let msg = serde_json::json!({"verifier": human(&sender), "beneficiary": human(other)}).to_string();
    let (code, v) = cove_rpc(&addr, &["deploy", wasm, "--msg", &msg, "--admin", &sender]);
    assert_eq!((code, v["status"].as_str()), (0, Some("ok")), "{v}");
    let contract = v["address"].as_str().expect("address").to_string();
    let migrate = serde_json::json!({"verifier": human(other)}).to_string();
    let (code, v) = cove_rpc(&addr, &["migrate", &contract, wasm, "--msg", &migrate]);
    assert_eq!((code, v["status"].as_str()), (0, Some("ok")), "{v}");
    let (code, v) = cove_rpc(&addr, &["query", &contract, "--msg", r#"{"verifier":{}}"#]);
    assert_eq!((code, &v["result"]), (0, &serde_json::json!({"verifier": human(other)})), "{v}");
    terminate(node);
}

/// `cove bench node` on a small load: it exits 0 only if every transfer has a receipt
/// with status 1 and every holder's `balanceOf` is what the transfers imply; its figures
/// say how many it checked.
#[test]
fn bench_node_mines_every_transfer_and_the_balances_add_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .args(["--json", "bench", "node", "--accounts", "2", "--txs", "40", "--concurrency", "2"])
        .args(["--block-time", "50ms"])
        .output()
        .expect("cove runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["transfers"], 40);
    assert_eq!(v["receipts_ok"], 40);
    // Dev accounts 0 (the deployer) and 1 (which funded sender 1), the two senders and
    // their two recipients.
    assert_eq!(v["balances_checked"], 6);
    assert!(v["blocks"].as_u64().expect("a count") >= 1, "{v}");
}
