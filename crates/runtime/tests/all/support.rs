//! Shared fixtures: example contracts, test contracts in WAT, accounts and assertions.

use std::path::Path;

use cove_runtime::{CacheStats, Config, Receipt, Runtime};
use types::{Address, ErrorKind};

/// The deployer used by most tests.
pub(crate) const ALICE: Address = Address([0xa1; 20]);
/// A second account.
pub(crate) const BOB: Address = Address([0xb0; 20]);

/// A block time to start from (unix seconds).
pub(crate) const T0: u64 = 1_700_000_000;

/// `examples/counter.wat`, compiled.
pub(crate) fn counter() -> Vec<u8> {
    wat::parse_str(include_str!("../../../../examples/counter.wat")).expect("counter.wat parses")
}

/// `examples/token.wat`, compiled.
pub(crate) fn token() -> Vec<u8> {
    wat::parse_str(include_str!("../../../../examples/token.wat")).expect("token.wat parses")
}

/// The counter with `increment` adding 10 instead of 1 (the upgrade target).
pub(crate) fn counter_plus_ten() -> Vec<u8> {
    let src = include_str!("../../../../examples/counter.wat");
    let needle = "(i32.add (call $load) (i32.const 1))";
    assert_eq!(src.matches(needle).count(), 1, "counter.wat changed shape");
    wat::parse_str(src.replace(needle, "(i32.add (call $load) (i32.const 10))")).expect("variant parses")
}

/// A key/value contract with entry points that write and then fail in every way.
///
/// * `set`: stores the input under key "k"; `get`: returns the value under "k" (empty if none).
/// * `set_then_trap` / `set_then_abort` / `set_then_spin`: store the input under "k",
///   log an event, then hit `unreachable` / abort with "boom" / loop until out of gas.
/// * `init_then_abort`: like `set_then_abort`, meant as a failing `init`.
pub(crate) const KV_WAT: &str = r#"(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "log_event" (func $log (param i32 i32 i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))

  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (data (i32.const 32) "boom")
  (data (i32.const 64) "wrote")

  (global $heap (mut i32) (i32.const 1024))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))

  ;; "k" = input, then an event "wrote" carrying the input.
  (func $set
    (call $input_read (i32.const 256))
    (drop (call $write (i32.const 0) (i32.const 1) (i32.const 256) (call $input_len)))
    (call $log (i32.const 64) (i32.const 5) (i32.const 256) (call $input_len)))

  (func (export "set") (call $set))
  (func (export "set_then_trap") (call $set) (unreachable))
  (func (export "set_then_abort") (call $set) (call $abort (i32.const 32) (i32.const 4)))
  (func (export "set_then_spin") (call $set) (loop $forever (br $forever)))
  (func (export "init_then_abort") (call $set) (call $abort (i32.const 32) (i32.const 4)))

  (func (export "get")
    (local $found i64)
    (local.set $found (call $read (i32.const 0) (i32.const 1)))
    (if (i64.ne (local.get $found) (i64.const 0))
      (then
        (call $return_data
          (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))
          (i32.wrap_i64 (local.get $found)))))))"#;

/// [`KV_WAT`], compiled.
pub(crate) fn kv() -> Vec<u8> {
    wat::parse_str(KV_WAT).expect("kv parses")
}

/// A fresh in-memory runtime with the default configuration.
pub(crate) fn mem_runtime() -> Runtime {
    Runtime::in_memory(Config::default()).expect("in-memory runtime")
}

/// A persistent runtime in `dir`.
pub(crate) fn redb_runtime(dir: &Path) -> Runtime {
    Runtime::open(dir, Config::default()).expect("redb runtime")
}

/// The return bytes of a successful receipt.
#[track_caller]
pub(crate) fn ok(receipt: &Receipt) -> Vec<u8> {
    match &receipt.result {
        Ok(bytes) => bytes.clone(),
        Err(e) => panic!("expected success, got {e}"),
    }
}

/// Asserts the receipt failed with `kind` and left no events; returns the message.
#[track_caller]
pub(crate) fn failed(receipt: &Receipt, kind: ErrorKind) -> String {
    assert!(receipt.events.is_empty(), "failed receipt has events: {:?}", receipt.events);
    match &receipt.result {
        Err(e) if e.kind == kind => e.message.clone(),
        other => panic!("expected {kind}, got {other:?}"),
    }
}

/// A u32 as the counter returns it.
pub(crate) fn u32le(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A u64 as the token returns it.
pub(crate) fn u64le(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// The token's `transfer` input.
pub(crate) fn transfer_input(to: Address, amount: u64) -> Vec<u8> {
    [&to.0[..], &amount.to_le_bytes()].concat()
}

/// Deploys `code` (no init) in its own committed block; returns the address.
pub(crate) fn deploy_committed(
    rt: &Runtime,
    sender: Address,
    code: &[u8],
    init: Option<(&str, Vec<u8>)>,
) -> Address {
    let mut block = rt.begin_block(T0).expect("begin block");
    let receipt = block.deploy(sender, code, init, None).expect("deploy");
    ok(&receipt);
    block.commit().expect("commit");
    receipt.address.expect("deploy receipt has an address")
}

/// Calls `method` in its own committed block; returns the receipt.
pub(crate) fn call_committed(
    rt: &Runtime,
    sender: Address,
    address: Address,
    method: &str,
    input: Vec<u8>,
) -> Receipt {
    let mut block = rt.begin_block(T0).expect("begin block");
    let receipt = block.call(sender, address, method, input, None).expect("call");
    block.commit().expect("commit");
    receipt
}

/// A token balance, via a query.
pub(crate) fn balance(rt: &Runtime, token: Address, who: Address) -> u64 {
    let bytes = ok(&rt.query(who, token, "balance", who.0.to_vec(), None).expect("query"));
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

/// The counters that moved between two snapshots: (pinned, memory, disk, misses).
pub(crate) fn answered(before: &CacheStats, after: &CacheStats) -> (u64, u64, u64, u64) {
    (
        after.hits.pinned - before.hits.pinned,
        after.hits.memory - before.hits.memory,
        after.hits.disk - before.hits.disk,
        after.misses - before.misses,
    )
}

/// The names of the artifact files under `<cache_dir>/modules` ending in `suffix`
/// (e.g. `.baseline.cwasm`), sorted.
pub(crate) fn artifact_names(cache_dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache_dir.join("modules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// The default configuration with a minute's wall-clock backstop, for tests that run
/// work near the gas cap (tens of thousands of writes in one transaction). The 2 s
/// backstop bounds that work in a release build (`docs/gas.md`, "Gas caps"); a debug
/// build on a loaded machine can be ten times slower, and these tests check results
/// and gas, never the time.
pub(crate) fn config_for_heavy_work() -> Config {
    let mut config = Config::default();
    config.wasm.timeout_ms = 60_000;
    config
}
