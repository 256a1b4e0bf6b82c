//! A full disk never loses a block that a command reported committed.
//!
//! The data directory sits on a tmpfs of 8 MiB, a third of it taken by a ballast file.
//! A contract stores 48 KiB values until the disk is full; in between and after, the
//! commands a user would run (calls that fail, queries, `state root`, `balance`, a batch)
//! must each end with a clean exit code, never a panic or a signal. Then the ballast is
//! deleted, freeing space, `cove state repair` brings the database back if the full disk
//! left it needing a repair, and every value whose call was reported committed must read
//! back exactly, and new blocks must commit again.
//!
//! Mounting a tmpfs needs root (CAP_SYS_ADMIN), which CI and the development machines
//! have: without it the test fails and says so, it is never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A contract that stores and returns values: `put` takes `key (8 bytes) ++ value`, `get`
/// takes the key and returns the value (empty if absent).
const STORE_WAT: &str = r#"
(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return (param i32 i32)))
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 131072))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))
  (func (export "put")
    (call $input_read (i32.const 0))
    (drop (call $write (i32.const 0) (i32.const 8) (i32.const 8)
      (i32.sub (call $input_len) (i32.const 8)))))
  (func (export "get")
    (local $found i64)
    (call $input_read (i32.const 0))
    (local.set $found (call $read (i32.const 0) (i32.const 8)))
    (call $return (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))
      (i32.wrap_i64 (local.get $found)))))
"#;

const VALUE_BYTES: usize = 48 * 1024;

/// An 8 MiB tmpfs mounted at a fresh directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("the mount command runs");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it, which needs root (CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Runs `cove --json --data-dir DIR ARGS...`, returning its exit code and JSON output;
/// fails the test if cove panicked or died by a signal.
fn cove(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("cove runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let what = format!("cove {:?}", &args[..args.len().min(2)]);
    let code = out.status.code().unwrap_or_else(|| panic!("{what} died by a signal: {stderr}"));
    assert!(code != 101 && !stderr.contains("panicked"), "{what} panicked: {stderr}");
    assert!(matches!(code, 0..=3), "{what} exited {code}: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (code, value)
}

fn key(i: u64) -> String {
    hex::encode(i.to_be_bytes())
}

fn value(i: u64) -> String {
    let bytes: Vec<u8> = (0..VALUE_BYTES).map(|j| (i as usize * 31 + j * 7) as u8).collect();
    hex::encode(bytes)
}

fn put(dir: &Path, contract: &str, i: u64) -> (i32, Value) {
    cove(dir, &["call", contract, "put", "--args-hex", &format!("{}{}", key(i), value(i))])
}

#[test]
fn every_block_reported_committed_survives_a_full_disk() {
    let fs = Tmpfs::mount("8m");
    let ballast: PathBuf = fs.path().join("ballast");
    std::fs::write(&ballast, vec![0xa5; 3 << 20]).unwrap();
    let data = fs.path().join("data");
    let wat = fs.path().join("store.wat");
    std::fs::write(&wat, STORE_WAT).unwrap();

    let (code, v) = cove(&data, &["deploy", wat.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let contract = v["address"].as_str().expect("an address").to_owned();

    // Fill the disk, running the other commands a user might run as it fills.
    let mut reported = Vec::new();
    let mut failures = 0;
    for i in 0..400u64 {
        let (code, v) = put(&data, &contract, i);
        if code == 0 {
            assert_eq!(v["status"], "ok", "{v}");
            reported.push(i);
        } else {
            assert_ne!(v["status"], "ok", "a failed command must not report ok: {v}");
            failures += 1;
        }
        if failures > 0 || i % 16 == 0 {
            cove(&data, &["state", "root"]);
            cove(&data, &["query", &contract, "get", "--args-hex", &key(i)]);
            cove(&data, &["balance", &contract]);
        }
        if failures == 8 {
            break;
        }
    }
    eprintln!("{} values reported committed before the disk filled", reported.len());
    assert!(failures > 0, "the disk never filled: {} values stored", reported.len());
    assert!(reported.len() > 10, "too few values fit before the disk filled: {reported:?}");

    // Free space. A read-only command answers, or (if the full disk left the database
    // needing a repair, which writes) refuses cleanly and names `cove state repair`.
    std::fs::remove_file(&ballast).unwrap();
    let (code, v) = cove(&data, &["query", &contract, "get", "--args-hex", &key(reported[0])]);
    if code != 0 {
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("cove state repair"), "{v}");
    }
    let (code, v) = cove(&data, &["state", "repair"]);
    assert_eq!(code, 0, "{v}");
    // Every reported value is there, byte for byte, and blocks commit again.
    for &i in &reported {
        let (code, v) = cove(&data, &["query", &contract, "get", "--args-hex", &key(i)]);
        assert_eq!(code, 0, "value {i}: {v}");
        assert!(v["return_hex"] == value(i), "value {i} was reported committed and is not there");
    }
    let (code, v) = put(&data, &contract, 1_000);
    assert_eq!(code, 0, "a commit after space was freed: {v}");
    let (code, v) = cove(&data, &["query", &contract, "get", "--args-hex", &key(1_000)]);
    assert_eq!(code, 0, "{v}");
    assert!(v["return_hex"] == value(1_000));
}
