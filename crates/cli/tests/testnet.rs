//! `cove testnet init` and `cove node --home` as a user runs them: four validator
//! processes on loopback, transfers sent round-robin to their JSON-RPC, one node killed
//! with SIGKILL under load and restarted, every node's chain compared block by block;
//! and homes that disagree with their genesis refused at start.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The chain id the tests give `--chain-id`.
const CHAIN_ID: u64 = 4242;
/// Validators of the process test.
const NODES: usize = 4;

fn cove(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cove")).args(args).output().expect("cove runs")
}

fn init(out: &Path, n: usize, base: u16) -> Output {
    cove(&[
        "testnet",
        "init",
        "--validators",
        &n.to_string(),
        "--out",
        &out.display().to_string(),
        "--chain-id",
        &CHAIN_ID.to_string(),
        "--base-port",
        &base.to_string(),
        "--block-time",
        "250ms",
    ])
}

/// A base port whose `2 * n` ports are free now (bound, then released).
fn free_base(n: usize) -> u16 {
    let seed = u32::from(std::process::id() as u16) * 7;
    for attempt in 0..200u32 {
        let base = 20_000 + ((seed + attempt * 97) % 40_000) as u16;
        let all: Vec<_> = (0..2 * n as u16).map(|i| TcpListener::bind(("127.0.0.1", base + i))).collect();
        if all.iter().all(Result::is_ok) {
            return base;
        }
    }
    panic!("no {} consecutive free ports found", 2 * n);
}

/// The validator processes, each killed when the test ends however it ends.
struct Net {
    homes: Vec<PathBuf>,
    base: u16,
    children: Vec<Option<Child>>,
}

impl Drop for Net {
    fn drop(&mut self) {
        for c in self.children.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Net {
    fn rpc_addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.base + 2 * i as u16 + 1)
    }

    fn log(&self, i: usize) -> PathBuf {
        self.homes[i].with_extension("log")
    }

    /// The last lines node `i` printed (for failure messages).
    fn tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.log(i)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Starts `cove node --home` for node `i`, its output appended to `nodeI.log`.
    fn start(&mut self, i: usize) {
        let log = File::options().create(true).append(true).open(self.log(i)).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_cove"))
            .arg("node")
            .arg("--home")
            .arg(&self.homes[i])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("cove node starts");
        self.children[i] = Some(child);
    }

    /// SIGKILL (std's `Child::kill` on unix).
    fn kill(&mut self, i: usize) {
        let mut child = self.children[i].take().expect("running");
        child.kill().expect("kill");
        child.wait().expect("wait");
    }

    /// Fails with the node's log if a running node has exited.
    fn check_alive(&mut self) {
        for i in 0..self.children.len() {
            if let Some(c) = &mut self.children[i]
                && let Some(status) = c.try_wait().expect("try_wait")
            {
                panic!("node{i} exited ({status}):\n{}", self.tail(i));
            }
        }
    }

    /// Waits until `f` holds, checking the nodes are alive; `what` names the wait.
    fn wait(&mut self, what: &str, limit: Duration, mut f: impl FnMut(&Net) -> bool) {
        let start = Instant::now();
        loop {
            self.check_alive();
            if f(self) {
                return;
            }
            if start.elapsed() > limit {
                let logs: Vec<String> =
                    (0..self.homes.len()).map(|i| format!("node{i}:\n{}", self.tail(i))).collect();
                panic!("{what}: not within {limit:?}\n{}", logs.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn head(&self, i: usize) -> Option<u64> {
        quantity(&try_rpc(&self.rpc_addr(i), "eth_blockNumber", json!([]))?["result"])
    }
}

/// A JSON-RPC call: the whole response, or `None` if the node does not answer.
fn try_rpc(addr: &str, method: &str, params: Value) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
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

fn quantity(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// A legacy transfer of 1 wei from dev account `sender` to a fixed address, signed.
fn transfer(sender: usize, nonce: u64) -> String {
    use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Address, Bytes, TxKind, U256};
    let secret = hex::decode(node::DEV_ACCOUNTS[sender].1).expect("hex");
    let key = k256::ecdsa::SigningKey::from_slice(&secret).expect("key");
    let tx = TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price: 2_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0x77)),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let (sig, recid) = key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("sign");
    let signed = tx.into_signed(alloy_primitives::Signature::from((sig, recid)));
    format!("0x{}", hex::encode(TxEnvelope::from(signed).encoded_2718()))
}

/// Sends `per_sender` transfers from each of the ten dev accounts, sender `s` to node
/// `nodes[s % nodes.len()]` (so one sender's nonces stay on one node's mempool);
/// returns the transaction hashes.
fn send(net: &Net, nodes: &[usize], next: &mut [u64; 10], per_sender: u64) -> Vec<String> {
    let mut hashes = Vec::new();
    for _ in 0..per_sender {
        for (s, nonce) in next.iter_mut().enumerate() {
            let node = nodes[s % nodes.len()];
            let r = try_rpc(&net.rpc_addr(node), "eth_sendRawTransaction", json!([transfer(s, *nonce)]))
                .unwrap_or_else(|| panic!("node{node} does not answer:\n{}", net.tail(node)));
            let hash = r["result"].as_str().unwrap_or_else(|| panic!("node{node} refused a transfer: {r}"));
            hashes.push(hash.to_string());
            *nonce += 1;
        }
    }
    hashes
}

/// Whether node `i` has a successful receipt for every one of `hashes`.
fn all_final(net: &Net, i: usize, hashes: &[String]) -> bool {
    hashes.iter().all(|h| {
        try_rpc(&net.rpc_addr(i), "eth_getTransactionReceipt", json!([h]))
            .is_some_and(|r| r["result"]["status"] == "0x1")
    })
}

/// Block `h` of node `i`: (hash, state root).
fn block(net: &Net, i: usize, h: u64) -> (Value, Value) {
    let r = try_rpc(&net.rpc_addr(i), "eth_getBlockByNumber", json!([format!("{h:#x}"), false]))
        .unwrap_or_else(|| panic!("node{i} does not answer"));
    let b = &r["result"];
    assert!(b.is_object(), "node{i} has no block {h}: {r}");
    (b["hash"].clone(), b["stateRoot"].clone())
}

#[test]
fn four_validator_processes_survive_a_sigkill_and_agree_on_every_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("net");
    let base = free_base(NODES);
    let made = init(&out, NODES, base);
    assert!(made.status.success(), "testnet init: {made:?}");
    let homes: Vec<PathBuf> = (0..NODES).map(|i| out.join(format!("node{i}"))).collect();
    let mut net = Net { homes, base, children: (0..NODES).map(|_| None).collect() };
    for i in 0..NODES {
        net.start(i);
    }
    let limit = Duration::from_secs(60);
    net.wait("every node answering RPC", limit, |n| (0..NODES).all(|i| n.head(i).is_some()));

    // Round-robin over the four.
    let mut next = [0u64; 10];
    let first = send(&net, &[0, 1, 2, 3], &mut next, 3);
    net.wait("30 transfers final on every node", limit, |n| (0..NODES).all(|i| all_final(n, i, &first)));

    // Under load: transfers in flight to the three others, node 3 killed, more sent.
    let survivors = [0, 1, 2];
    let mut second = send(&net, &survivors, &mut next, 3);
    net.kill(3);
    let killed_at = net.head(0).expect("node0 answers");
    second.extend(send(&net, &survivors, &mut next, 3));
    net.wait("the three survivors finalizing 60 transfers", limit, |n| {
        survivors.iter().all(|i| all_final(n, *i, &second))
    });
    net.wait("the survivors past the kill", limit, |n| {
        survivors.iter().all(|i| n.head(*i).is_some_and(|h| h > killed_at + 2))
    });

    // Restarted, node 3 catches up by value sync, and takes transfers again.
    net.start(3);
    let target = net.head(0).expect("node0 answers");
    net.wait("node3 catching up", limit, |n| n.head(3).is_some_and(|h| h >= target));
    let third = send(&net, &[0, 1, 2, 3], &mut next, 2);
    net.wait("20 more transfers final on every node", limit, |n| (0..NODES).all(|i| all_final(n, i, &third)));

    // Every node has the same block hash and state root at every height.
    let low = (0..NODES).map(|i| net.head(i).expect("answers")).min().expect("nodes");
    assert!(low > target, "the chain moved on after the restart");
    for h in 1..=low {
        let expected = block(&net, 0, h);
        assert!(expected.0.is_string() && expected.1.is_string(), "block {h}: {expected:?}");
        for i in 1..NODES {
            assert_eq!(
                block(&net, i, h),
                expected,
                "node{i}'s block {h} (hash, state root) differs from node0's"
            );
        }
    }

    eprintln!(
        "node3 killed at height {killed_at}, caught up to {target}; {low} heights compared on {NODES} nodes"
    );

    // SIGTERM stops each node cleanly.
    for i in 0..NODES {
        let mut child = net.children[i].take().expect("running");
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let code = child.wait().expect("wait");
        assert!(code.success(), "node{i} on SIGTERM: {code:?}\n{}", net.tail(i));
        assert!(net.tail(i).contains("shutting down"), "{}", net.tail(i));
    }
}

#[test]
fn testnet_init_refuses_a_nonempty_dir_and_bad_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("net");
    for n in ["0", "101"] {
        let o = cove(&["testnet", "init", "--validators", n, "--out", &out.display().to_string()]);
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("1..=100"), "{o:?}");
    }
    assert!(init(&out, 2, 30_000).status.success());
    let key = out.join("node0").join("validator_key.json");
    let before = std::fs::read(&key).expect("key");
    let again = init(&out, 2, 30_000);
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"), "{again:?}");
    assert_eq!(std::fs::read(&key).expect("key"), before);
    let o = cove(&[
        "testnet",
        "init",
        "--validators",
        "3",
        "--out",
        &out.display().to_string(),
        "--force",
        "--json",
    ]);
    assert!(o.status.success(), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["homes"].as_array().map(Vec::len), Some(3), "{v}");
    assert_eq!(v["chain_id"], 0xc07e, "the default chain id: {v}");
    assert_ne!(std::fs::read(&key).expect("key"), before, "a new key");
}

#[test]
fn a_node_home_that_differs_from_its_genesis_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("net");
    assert!(init(&out, 1, 30_000).status.success());
    let home = out.join("node0");
    let config = home.join("config.toml");
    let original = std::fs::read_to_string(&config).expect("config");
    let run = || cove(&["--json", "node", "--home", &home.display().to_string()]);

    std::fs::write(&config, format!("{original}\n[runtime.wasm.gas.host]\nstorage_write = 250\n"))
        .expect("write");
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["error"]["kind"], "config_mismatch", "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("wasm.gas.host.storage_write: genesis 1000, config.toml 250"), "{msg}");

    std::fs::write(&config, &original).expect("write");
    let genesis = home.join("genesis.json");
    let text = std::fs::read_to_string(&genesis).expect("genesis");
    std::fs::write(&genesis, text.replacen("\"power\": 1", "\"power\": 5", 1)).expect("write");
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("genesis_hash"), "{o:?}");
    assert!(!home.join("data").exists(), "nothing opened");
}
