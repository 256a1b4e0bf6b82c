//! `cove node` as a user runs it: started on a free port, asked over JSON-RPC, stopped
//! by SIGTERM, restarted on the same data dir.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--data-dir")
        .arg(dir)
        .args(["node", "--rpc", "127.0.0.1:0", "--dev"])
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
