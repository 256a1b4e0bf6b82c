//! WebSocket subscriptions: `newHeads` and `logs` notifications as geth sends them,
//! over a minimal WebSocket client written here (RFC 6455: the upgrade, masked client
//! text frames, unmasked server frames).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use serde_json::{Value, json};

use crate::harness::{Client, TRANSFER_TOPIC, Wallet, deploy_token, quantity, start, transfer};

struct Ws {
    reader: BufReader<TcpStream>,
    next_id: u64,
}

impl Ws {
    fn connect(addr: std::net::SocketAddr) -> Ws {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .expect("upgrade");
        let mut reader = BufReader::new(s);
        let mut status = String::new();
        reader.read_line(&mut status).expect("status");
        assert!(status.starts_with("HTTP/1.1 101"), "{status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
        }
        Ws { reader, next_id: 1 }
    }

    fn send(&mut self, v: &Value) {
        let payload = v.to_string().into_bytes();
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.reader.get_mut().write_all(&frame).expect("send");
    }

    /// The next text message.
    fn recv(&mut self) -> Value {
        loop {
            let mut head = [0u8; 2];
            self.reader.read_exact(&mut head).expect("frame");
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.reader.read_exact(&mut b).expect("len");
                    u16::from_be_bytes(b) as usize
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.reader.read_exact(&mut b).expect("len");
                    u64::from_be_bytes(b) as usize
                }
                n => n as usize,
            };
            let mut payload = vec![0u8; len];
            self.reader.read_exact(&mut payload).expect("payload");
            if head[0] & 0x0f == 1 {
                return serde_json::from_slice(&payload).expect("json");
            }
        }
    }

    /// Calls `method` and returns its whole answer (notifications before it are
    /// returned in `skipped`).
    fn call(&mut self, method: &str, params: Value, skipped: &mut Vec<Value>) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v["id"] == id {
                return v;
            }
            skipped.push(v);
        }
    }
}

#[test]
fn new_heads_and_logs_are_pushed_as_geth_pushes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(3);
    let chain_id = quantity(&c.call("eth_chainId", json!([])));
    let (token, _) = deploy_token(&c, &w, chain_id, 1_000);

    let mut ws = Ws::connect(node.addr());
    let mut early = Vec::new();
    let heads = ws.call("eth_subscribe", json!(["newHeads"]), &mut early)["result"].clone();
    let logs =
        ws.call("eth_subscribe", json!(["logs", {"address": token, "topics": [TRANSFER_TOPIC]}]), &mut early)
            ["result"]
            .clone();
    let other =
        ws.call("eth_subscribe", json!(["logs", {"address": Address::repeat_byte(9)}]), &mut early)["result"]
            .clone();
    assert!(heads.is_string() && logs.is_string() && heads != logs, "{heads} {logs}");
    assert!(early.is_empty(), "{early:?}");
    let e = ws.call("eth_subscribe", json!(["syncing2"]), &mut early);
    assert_eq!(e["error"]["message"], "no \"syncing2\" subscription in eth namespace", "{e}");

    // A token transfer: one head and one Transfer log, as the block and receipt show them.
    let to = Address::repeat_byte(0x51);
    let hash = c.send(&w.eip1559(chain_id, c.nonce(w.address), Some(token), transfer(to, 5), 100_000));
    let r = c.receipt(&hash);
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(ws.recv());
    }
    let find =
        |sub: &Value| got.iter().find(|v| &v["params"]["subscription"] == sub).cloned().expect("notified");
    let head = find(&heads);
    assert_eq!(head["method"], "eth_subscription");
    let block = c.call("eth_getBlockByNumber", json!([r["blockNumber"], false]));
    let mut expected = block.clone();
    expected.as_object_mut().expect("block").remove("transactions");
    assert_eq!(head["params"]["result"], expected);
    let log = find(&logs);
    assert_eq!(log["params"]["result"], r["logs"][0]);

    // Unsubscribed: the next block sends nothing to it; another connection's id is not ours.
    let done = ws.call("eth_unsubscribe", json!([heads]), &mut got);
    assert_eq!(done["result"], true, "{done}");
    let again = ws.call("eth_unsubscribe", json!([heads]), &mut got);
    assert_eq!(again["result"], false, "{again}");
    got.clear();
    let hash = c.send(&w.eip1559(chain_id, c.nonce(w.address), Some(token), transfer(to, 6), 100_000));
    c.receipt(&hash);
    let v = loop {
        let v = ws.recv();
        if v["params"]["subscription"] == logs {
            break v;
        }
        got.push(v);
    };
    let value = U256::from_str_radix(
        v["params"]["result"]["data"].as_str().expect("data").trim_start_matches("0x"),
        16,
    );
    assert_eq!(value.expect("u256"), U256::from(6));
    ws.call("eth_chainId", json!([]), &mut got);
    assert!(
        got.iter().all(|v| v["params"]["subscription"] != heads && v["params"]["subscription"] != other),
        "neither the ended subscription nor a filter on another address hears: {got:?}"
    );

    // At most MAX_SUBSCRIPTIONS_PER_CONNECTION at once.
    let mut ws2 = Ws::connect(node.addr());
    let mut refused = None;
    for _ in 0..=cove_node::rpc::MAX_SUBSCRIPTIONS_PER_CONNECTION {
        let v = ws2.call("eth_subscribe", json!(["newHeads"]), &mut Vec::new());
        if v.get("error").is_some() {
            refused = Some(v);
            break;
        }
    }
    assert!(refused.is_some(), "the limit holds");
}

#[test]
fn subscribing_over_http_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let e = c.error("eth_subscribe", json!(["newHeads"]));
    assert!(e["code"].is_number(), "{e}");
}
