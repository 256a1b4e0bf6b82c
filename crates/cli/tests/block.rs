//! Transactions the CLI must not commit, as a user meets them: a call that hits the
//! wall-clock backstop (made to fire with a tiny `timeout_ms` and an endless loop under
//! a huge gas limit), a batch line over the block's event bytes, a batch longer than a
//! block; and usage errors in a batch, named by line.

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::cove;

/// `set` stores its input under "k"; `spin` does the same, then loops forever; `emit`
/// logs 1,024 events (the most one call may), each with a 256-byte topic and as many
/// bytes of data as its input (a u32, little-endian) says.
const CONTRACT: &str = r#"(module
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "log_event" (func $log (param i32 i32 i32 i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 70000) "k")
  (func $set
    (call $input_read (i32.const 0))
    (drop (call $write (i32.const 70000) (i32.const 1) (i32.const 0) (call $input_len))))
  (func (export "set") (call $set))
  (func (export "spin") (call $set) (loop $forever (br $forever)))
  (func (export "emit") (local $i i32) (local $n i32)
    (call $input_read (i32.const 0))
    (local.set $n (i32.load (i32.const 0)))
    (loop $more
      (call $log (i32.const 0) (i32.const 256) (i32.const 0) (local.get $n))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 1024))))))"#;

/// More gas than an endless loop burns before the backstop fires.
const HUGE_GAS: &str = "1152921504606846976";

/// A data dir with `config` as its TOML configuration (passed with every command) and
/// the contract deployed; returns the contract's address.
struct Chain {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
    address: String,
}

impl Chain {
    fn new(config: &str) -> Chain {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, config_path, wat) =
            (tmp.path().join("data"), tmp.path().join("cove.toml"), tmp.path().join("contract.wat"));
        std::fs::write(&config_path, config).unwrap();
        std::fs::write(&wat, CONTRACT).unwrap();
        let mut chain = Chain { _tmp: tmp, dir, config: config_path, address: String::new() };
        let (code, v) = chain.cove(&["deploy", wat.to_str().unwrap()]);
        assert_eq!(code, 0, "{v}");
        chain.address = v["address"].as_str().unwrap().to_string();
        chain
    }

    fn cove(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--config", self.config.to_str().unwrap()];
        all.extend_from_slice(args);
        cove(&self.dir, &all)
    }

    /// The head's height and root.
    fn head(&self) -> (u64, String) {
        let (code, v) = self.cove(&["state", "root"]);
        assert_eq!(code, 0, "{v}");
        (v["height"].as_u64().unwrap(), v["root"].as_str().unwrap().to_string())
    }

    /// Runs `lines` (JSON objects) as a batch.
    fn batch(&self, lines: &[String]) -> (i32, Value) {
        let file = self._tmp.path().join("batch.jsonl");
        std::fs::write(&file, lines.join("\n")).unwrap();
        self.cove(&["batch", file.to_str().unwrap()])
    }

    fn set(&self, value: &[u8]) -> String {
        serde_json::json!({"op": "call", "address": self.address, "method": "set", "args_hex": hex::encode(value)})
            .to_string()
    }

    fn spin(&self) -> String {
        serde_json::json!({"op": "call", "address": self.address, "method": "spin", "args_hex": "00", "gas_limit": HUGE_GAS.parse::<u64>().unwrap()})
            .to_string()
    }
}

/// A tiny backstop, and gas caps far above what the loop can burn before it fires.
const TINY_TIMEOUT: &str =
    "max_tx_gas = 1152921504606846976\nmax_block_gas = 9223372036854775807\n[wasm]\ntimeout_ms = 50\n";

#[track_caller]
fn assert_not_committed(code: i32, v: &Value, kind: &str) {
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["status"], "error", "{v}");
    assert_eq!(v["error"]["kind"], kind, "{v}");
    assert_eq!(v["committed"], false, "{v}");
}

#[test]
fn a_call_that_times_out_commits_nothing_and_exits_3() {
    let chain = Chain::new(TINY_TIMEOUT);
    let before = chain.head();
    let (code, v) =
        chain.cove(&["call", &chain.address, "spin", "--args-hex", "01", "--gas-limit", HUGE_GAS]);
    assert_not_committed(code, &v, "timeout");
    assert!(v["error"]["message"].as_str().unwrap().contains("not executed"), "{v}");
    assert_eq!(chain.head(), before, "no block, same root");

    // A deploy whose init times out: no block either.
    let wat = chain._tmp.path().join("contract.wat");
    let args =
        ["deploy", wat.to_str().unwrap(), "--init", "spin", "--args-hex", "01", "--gas-limit", HUGE_GAS];
    let (code, v) = chain.cove(&args);
    assert_not_committed(code, &v, "timeout");
    assert_eq!(chain.head(), before);
}

#[test]
fn a_batch_drops_the_line_that_times_out_and_commits_the_root_without_it() {
    let with = Chain::new(TINY_TIMEOUT);
    let (code, v) = with.batch(&[with.set(b"a"), with.spin(), with.set(b"b")]);
    assert_eq!(code, 3, "a line was dropped: {v}");
    assert_eq!(v["status"], "ok", "the block is committed: {v}");
    assert_eq!((v["transactions"].as_u64(), v["dropped"].as_u64()), (Some(2), Some(1)), "{v}");
    let dropped = &v["results"][1];
    assert_eq!((dropped["line"].as_u64(), dropped["committed"].as_bool()), (Some(2), Some(false)), "{v}");
    assert_eq!(dropped["error"]["kind"], "timeout", "{v}");

    let without = Chain::new(TINY_TIMEOUT);
    let (code, v2) = without.batch(&[without.set(b"a"), without.set(b"b")]);
    assert_eq!(code, 0, "{v2}");
    assert_eq!(v["root"], v2["root"], "the root of the block without the timed-out line");
    assert_eq!(with.head(), without.head());
}

/// Twenty lines of the most events a call may log (here 1 KiB of data each, set in the
/// config) against a block of 4 MiB of events: the lines that fit are committed, the
/// others dropped with kind `block_limit`.
#[test]
fn a_batch_of_maximal_events_stops_at_the_block_event_bytes() {
    let config = "[wasm.host_limits]\nmax_event_data_len = 1024\n[block]\nmax_event_bytes = 4194304\n";
    let chain = Chain::new(config);
    let emit = serde_json::json!({"op": "call", "address": chain.address, "method": "emit",
        "args_hex": hex::encode(1024u32.to_le_bytes()), "gas_limit": 100_000_000u64})
    .to_string();
    let (code, v) = chain.batch(&vec![emit; 20]);
    // Each line logs 1,024 × (20 + 256 + 1,024) = 1,331,200 bytes: three fit in 4 MiB.
    assert_eq!(code, 3, "{v}");
    assert_eq!((v["transactions"].as_u64(), v["dropped"].as_u64()), (Some(3), Some(17)), "{v}");
    for (i, r) in v["results"].as_array().unwrap().iter().enumerate() {
        if i < 3 {
            assert_eq!(r["status"], "ok", "line {}: {r}", i + 1);
            assert_eq!(r["events"].as_array().unwrap().len(), 1024);
        } else {
            assert_eq!(
                (r["error"]["kind"].as_str(), r["committed"].as_bool()),
                (Some("block_limit"), Some(false))
            );
        }
    }
}

#[test]
fn a_batch_longer_than_a_block_is_refused_before_it_runs() {
    let chain = Chain::new("[block]\nmax_transactions = 2\n");
    let before = chain.head();
    let (code, v) = chain.batch(&[chain.set(b"a"), chain.set(b"b"), chain.set(b"c")]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "invalid_argument", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("max_transactions"), "{v}");
    assert_eq!(chain.head(), before);
    let (code, v) = chain.batch(&[chain.set(b"a"), chain.set(b"b")]);
    assert_eq!((code, v["transactions"].as_u64()), (0, Some(2)), "{v}");
}

#[test]
fn usage_errors_in_a_batch_name_the_line_and_exit_2() {
    let chain = Chain::new("");
    let before = chain.head();
    let good = chain.set(b"a");
    let bad = [
        ("{\"op\":\"call\",", "line 2"),
        ("{\"op\":\"dance\"}", "unknown variant"),
        ("{\"op\":\"call\",\"address\":\"0x01\"}", "line 2"),
        (&*format!("{{\"op\":\"call\",\"address\":\"{}\",\"args_hex\":\"zz\"}}", chain.address), "line 2"),
        ("{\"op\":\"fund\",\"address\":\"0x0000000000000000000000000000000000000001\"}", "missing field"),
        ("{\"op\":\"deploy\"}", "exactly one of file and code_hex"),
    ];
    for (line, says) in bad {
        let (code, v) = chain.batch(&[good.clone(), line.to_string()]);
        assert_eq!(code, 2, "{line}: {v}");
        assert_eq!(v["error"]["kind"], "invalid_argument", "{line}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("line 2") && message.contains(says), "{line}: {message}");
    }
    // A missing code file is I/O, named by line too.
    let missing = serde_json::json!({"op": "deploy", "file": "/nonexistent/x.wasm"}).to_string();
    let (code, v) = chain.batch(&[missing]);
    assert_eq!((code, v["error"]["kind"].as_str()), (2, Some("io")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("line 1"), "{v}");
    assert_eq!(chain.head(), before, "nothing committed");
}

/// A CosmWasm contract whose `execute`, `sudo` and `migrate` loop forever;
/// `instantiate` answers `{"ok":{}}`.
const COSMWASM_SPINNER: &str = r#"(module
  (memory (export "memory") 2)
  (data (i32.const 120) "{\"ok\":{}}")
  (data (i32.const 224) "\78\00\00\00\09\00\00\00\09\00\00\00")
  (global $next (mut i32) (i32.const 4096))
  (func (export "interface_version_8"))
  (func (export "allocate") (param $size i32) (result i32)
    (local $region i32)
    (local.set $region (global.get $next))
    (i32.store (local.get $region) (i32.add (local.get $region) (i32.const 12)))
    (i32.store offset=4 (local.get $region) (local.get $size))
    (i32.store offset=8 (local.get $region) (i32.const 0))
    (global.set $next (i32.add (global.get $next) (i32.add (local.get $size) (i32.const 12))))
    (local.get $region))
  (func (export "deallocate") (param i32))
  (func (export "instantiate") (param i32 i32 i32) (result i32) (i32.const 224))
  (func $spin (loop $forever (br $forever)))
  (func (export "execute") (param i32 i32 i32) (result i32) (call $spin) (i32.const 224))
  (func (export "sudo") (param i32 i32) (result i32) (call $spin) (i32.const 224))
  (func (export "migrate") (param i32 i32 i32) (result i32) (call $spin) (i32.const 224)))"#;

#[test]
fn cosmwasm_execute_sudo_and_migrate_that_time_out_commit_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, config, wasm) =
        (tmp.path().join("data"), tmp.path().join("cove.toml"), tmp.path().join("spinner.wasm"));
    std::fs::write(&config, TINY_TIMEOUT).unwrap();
    std::fs::write(&wasm, wat::parse_str(COSMWASM_SPINNER).unwrap()).unwrap();
    let (config, wasm) = (config.to_str().unwrap(), wasm.to_str().unwrap());
    let admin = "0xc07e000000000000000000000000000000000001";
    let (code, v) = cove(&dir, &["--config", config, "deploy", wasm, "--msg", "{}", "--admin", admin]);
    assert_eq!(code, 0, "{v}");
    let address = v["address"].as_str().unwrap().to_string();
    let root = || cove(&dir, &["state", "root"]).1;
    let before = root();
    for args in [
        vec!["call", &address, "--msg", "{}", "--gas-limit", HUGE_GAS],
        vec!["sudo", &address, "--msg", "{}", "--gas-limit", HUGE_GAS],
        vec!["migrate", &address, wasm, "--msg", "{}", "--gas-limit", HUGE_GAS],
    ] {
        let mut all = vec!["--config", config];
        all.extend_from_slice(&args);
        let (code, v) = cove(&dir, &all);
        assert_not_committed(code, &v, "timeout");
        assert_eq!(root(), before, "{}: no block", args[0]);
    }
}
