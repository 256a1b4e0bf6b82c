//! Calls between contracts: a callee's failure undoes only its own subtree, gas is
//! forwarded and charged by one rule, the depth limit and the reentrancy policy hold,
//! and a query stays read-only all the way down.

use cove_runtime::{Balance, CallsConfig, Config, Reentrancy, Runtime};
use types::{Address, ErrorKind};

use crate::support::{ALICE, KV_WAT, T0, failed, ok};

/// A contract that makes one call as its input says, and keeps what it saw.
///
/// `forward`, input = mode (1: 0 continue, 1 propagate, 2 pure) ++ target (20) ++ value (32,
/// big-endian) ++ gas (8, LE) ++ entry length (1) ++ entry ++ callee input. Before the
/// call it stores "mark" = "x" and logs "before"; after it, it stores "status" (4 bytes
/// LE) and "result" (the result bytes, if any) and returns the result. In mode 1 a
/// failed call aborts with the callee's result instead. In mode 2 it writes and logs
/// nothing and returns the status (4 bytes LE) ++ the result.
pub(crate) const PROXY_WAT: &str = r#"(module
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "log_event" (func $log (param i32 i32 i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "env" "call_result_len" (func $result_len (result i32)))
  (import "env" "call_result_read" (func $result_read (param i32)))
  (memory (export "memory") 4)
  (data (i32.const 0) "mark")
  (data (i32.const 8) "x")
  (data (i32.const 16) "before")
  (data (i32.const 32) "status")
  (data (i32.const 48) "result")
  (func (export "forward")
    (local $elen i32) (local $status i32) (local $rlen i32)
    (call $input_read (i32.const 1024))
    (local.set $elen (i32.load8_u (i32.const 1085)))
    (if (i32.ne (i32.load8_u (i32.const 1024)) (i32.const 2))
      (then
        (drop (call $write (i32.const 0) (i32.const 4) (i32.const 8) (i32.const 1)))
        (call $log (i32.const 16) (i32.const 6) (i32.const 8) (i32.const 1))))
    (local.set $status
      (call $call
        (i32.const 1025)
        (i32.const 1086) (local.get $elen)
        (i32.add (i32.const 1086) (local.get $elen))
        (i32.sub (call $input_len) (i32.add (i32.const 62) (local.get $elen)))
        (i32.const 1045)
        (i64.load (i32.const 1077))))
    (local.set $rlen (call $result_len))
    (call $result_read (i32.const 131072))
    (if (i32.and (i32.ne (local.get $status) (i32.const 0))
                 (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 1)))
      (then (call $abort (i32.const 131072) (local.get $rlen))))
    (if (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 2))
      (then
        (i32.store (i32.const 131068) (local.get $status))
        (call $return_data (i32.const 131068) (i32.add (local.get $rlen) (i32.const 4)))
        (return)))
    (i32.store (i32.const 64) (local.get $status))
    (drop (call $write (i32.const 32) (i32.const 6) (i32.const 64) (i32.const 4)))
    (if (i32.gt_u (local.get $rlen) (i32.const 0))
      (then (drop (call $write (i32.const 48) (i32.const 6) (i32.const 131072) (local.get $rlen)))))
    (call $return_data (i32.const 131072) (local.get $rlen))))"#;

/// The proxy's input for one call.
pub(crate) fn forward(
    propagate: bool,
    target: Address,
    value: u128,
    gas: u64,
    entry: &str,
    input: &[u8],
) -> Vec<u8> {
    forward_mode(propagate as u8, target, value, gas, entry, input)
}

/// [`forward`] in any mode.
pub(crate) fn forward_mode(
    mode: u8,
    target: Address,
    value: u128,
    gas: u64,
    entry: &str,
    input: &[u8],
) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(&target.0);
    out.extend_from_slice(&Balance::from_u128(value).0);
    out.extend_from_slice(&gas.to_le_bytes());
    out.push(entry.len() as u8);
    out.extend_from_slice(entry.as_bytes());
    out.extend_from_slice(input);
    out
}

fn runtime(calls: CallsConfig) -> Runtime {
    Runtime::in_memory(Config { calls, ..Config::default() }).expect("runtime")
}

fn deploy(rt: &Runtime, wat: &str) -> Address {
    let mut block = rt.begin_block(T0).unwrap();
    let code = wat::parse_str(wat).expect("wat parses");
    let r = block.deploy(ALICE, &code, None, None).unwrap();
    ok(&r);
    block.commit().unwrap();
    r.address.expect("an address")
}

fn state(rt: &Runtime, address: Address) -> Vec<(Vec<u8>, Vec<u8>)> {
    rt.contract_state(&address).unwrap()
}

fn value(rt: &Runtime, address: Address, key: &[u8]) -> Option<Vec<u8>> {
    state(rt, address).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn status(rt: &Runtime, proxy: Address) -> u32 {
    u32::from_le_bytes(value(rt, proxy, b"status").expect("a status").try_into().unwrap())
}

fn call(rt: &Runtime, to: Address, entry: &str, input: Vec<u8>) -> cove_runtime::Receipt {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.call(ALICE, to, entry, input, None).unwrap();
    block.commit().unwrap();
    r
}

#[test]
fn a_successful_callee_writes_returns_and_its_events_join_the_callers() {
    let rt = runtime(CallsConfig::default());
    let (proxy, kv) = (deploy(&rt, PROXY_WAT), deploy(&rt, KV_WAT));
    let r = call(&rt, proxy, "forward", forward(false, kv, 0, 0, "set", b"hello"));
    ok(&r);
    assert_eq!(value(&rt, kv, b"k").as_deref(), Some(&b"hello"[..]));
    assert_eq!(status(&rt, proxy), 0);
    let emitters: Vec<(Address, Vec<u8>)> =
        r.events.iter().map(|e| (e.contract, e.topics[0].clone())).collect();
    assert_eq!(emitters, vec![(proxy, b"before".to_vec()), (kv, b"wrote".to_vec())]);
    // The callee's return bytes come back.
    let r = call(&rt, proxy, "forward", forward(false, kv, 0, 0, "get", b""));
    assert_eq!(ok(&r), b"hello");
}

#[test]
fn a_failed_callee_leaves_no_trace_and_the_caller_continues() {
    let rt = runtime(CallsConfig::default());
    let (proxy, kv) = (deploy(&rt, PROXY_WAT), deploy(&rt, KV_WAT));
    for (entry, status_code) in
        [("set_then_trap", 1), ("set_then_spin", 2), ("set_then_abort", 3), ("missing", 6)]
    {
        let r = call(&rt, proxy, "forward", forward(false, kv, 0, 1_000_000, entry, b"v"));
        // The proxy returns the call's result: an abort's message; for a failure the
        // host describes, nothing (its wording, wasmtime's or revm's, never reaches
        // the state).
        let expected: &[u8] = if entry == "set_then_abort" { b"boom" } else { b"" };
        assert_eq!(ok(&r), expected, "{entry}");
        assert_eq!(status(&rt, proxy), status_code, "{entry}");
        assert!(state(&rt, kv).is_empty(), "{entry} left a trace in the callee");
        assert_eq!(value(&rt, proxy, b"mark").as_deref(), Some(&b"x"[..]), "{entry}");
        assert_eq!(r.events.len(), 1, "{entry}: only the caller's own event");
        assert_eq!(r.events[0].contract, proxy);
    }
    // An abort's message is the result.
    call(&rt, proxy, "forward", forward(false, kv, 0, 1_000_000, "set_then_abort", b"v"));
    assert_eq!(value(&rt, proxy, b"result").as_deref(), Some(&b"boom"[..]));
}

#[test]
fn a_propagated_failure_leaves_nothing() {
    let rt = runtime(CallsConfig::default());
    let (proxy, kv) = (deploy(&rt, PROXY_WAT), deploy(&rt, KV_WAT));
    let r = call(&rt, proxy, "forward", forward(true, kv, 0, 0, "set_then_abort", b"v"));
    assert_eq!(failed(&r, ErrorKind::Aborted), "boom");
    assert!(state(&rt, kv).is_empty());
    assert!(state(&rt, proxy).is_empty());
}

#[test]
fn an_out_of_gas_callee_uses_exactly_what_it_was_given() {
    let rt = runtime(CallsConfig::default());
    let (proxy, kv) = (deploy(&rt, PROXY_WAT), deploy(&rt, KV_WAT));
    let gas = |given: u64| {
        let r = call(&rt, proxy, "forward", forward(false, kv, 0, given, "set_then_spin", b"v"));
        ok(&r);
        assert_eq!(status(&rt, proxy), 2);
        r.gas_used
    };
    // The whole forwarded amount is charged; nothing else changes with it.
    assert_eq!(gas(200_000) - gas(100_000), 100_000);
    // Asking for more than allowed gets all but a 64th of what is left.
    let limit = 10_000_000;
    let mut block = rt.begin_block(T0).unwrap();
    let input = forward(false, kv, 0, u64::MAX >> 1, "set_then_spin", b"v");
    let r = block.call(ALICE, proxy, "forward", input, Some(limit)).unwrap();
    ok(&r);
    assert!(r.gas_used < limit && r.gas_used > limit - limit / 64, "{}", r.gas_used);
}

#[test]
fn the_depth_limit_holds_at_exactly_the_configured_depth() {
    for depth in [1, 3] {
        let rt = runtime(CallsConfig {
            max_call_depth: depth,
            reentrancy: Reentrancy::Deny,
            ..CallsConfig::default()
        });
        let kv = deploy(&rt, KV_WAT);
        // Proxies p[0] -> p[1] -> ... -> kv; p[0] runs at depth 0, kv at depth n.
        let proxies: Vec<Address> = (0..5).map(|_| deploy(&rt, PROXY_WAT)).collect();
        for n in 1..=5u32 {
            let mut input = b"deep".to_vec();
            let mut target = kv;
            let mut entry = "set";
            // Each proxy returns its call's status (4 bytes LE) ++ the call's result,
            // so the statuses of every level come back nested.
            for p in proxies[..n as usize].iter().rev() {
                input = forward_mode(2, target, 0, 0, entry, &input);
                target = *p;
                entry = "forward";
            }
            let mut block = rt.begin_block(T0).unwrap();
            let r = block.call(ALICE, target, entry, input, None).unwrap();
            block.commit().unwrap();
            let statuses: Vec<u32> =
                ok(&r).chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0xff; 4]))).collect();
            // The calls from depths 0..n-1; the one from depth `depth` is refused.
            let expected: Vec<u32> = (0..n.min(depth + 1)).map(|d| if d < depth { 0 } else { 9 }).collect();
            assert_eq!(statuses, expected, "depth limit {depth}, {n} proxies");
        }
    }
}

#[test]
fn a_query_is_read_only_all_the_way_down() {
    let rt = runtime(CallsConfig::default());
    let (proxy, kv) = (deploy(&rt, PROXY_WAT), deploy(&rt, KV_WAT));
    call(&rt, kv, "set", b"stored".to_vec());
    let query = |entry: &str, value: u128| {
        let r =
            rt.query(ALICE, proxy, "forward", forward_mode(2, kv, value, 0, entry, b"new"), None).unwrap();
        let out = ok(&r);
        (u32::from_le_bytes(out[..4].try_into().unwrap()), out[4..].to_vec())
    };
    assert_eq!(query("get", 0), (0, b"stored".to_vec()));
    let (status, message) = query("set", 0);
    assert_eq!(status, 5, "{}", String::from_utf8_lossy(&message));
    assert_eq!(query("get", 1).0, 5, "no value in a query");
    assert_eq!(value(&rt, kv, b"k").as_deref(), Some(&b"stored"[..]));
    // The same call in a transaction writes.
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.call(ALICE, proxy, "forward", forward_mode(2, kv, 0, 0, "set", b"new"), None).unwrap());
    block.commit().unwrap();
    assert_eq!(value(&rt, kv, b"k").as_deref(), Some(&b"new"[..]));
}

/// A vault that pays out before it books: `deposit` (input: amount, u64 LE) credits the
/// caller; `withdraw` sends the caller its credit (under 256) in native tokens by calling
/// its `on_withdraw`, aborting if that call fails, and only then zeroes the credit.
const VAULT_WAT: &str = r#"(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "get_caller" (func $caller (param i32) (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "abort" (func $abort (param i32 i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "c")
  (data (i32.const 64) "on_withdraw")
  (data (i32.const 96) "payout failed")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))
  (func $credit (result i64)
    (local $found i64)
    (drop (call $caller (i32.const 1)))
    (local.set $found (call $read (i32.const 0) (i32.const 21)))
    (if (result i64) (i64.eqz (local.get $found))
      (then (i64.const 0))
      (else (i64.load (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))))))
  (func $book (param $amount i64)
    (i64.store (i32.const 128) (local.get $amount))
    (drop (call $write (i32.const 0) (i32.const 21) (i32.const 128) (i32.const 8))))
  (func (export "deposit")
    (call $input_read (i32.const 136))
    (call $book (i64.add (call $credit) (i64.load (i32.const 136)))))
  (func (export "withdraw")
    (local $amount i64)
    (local.set $amount (call $credit))
    (if (i64.eqz (local.get $amount)) (then (return)))
    (i32.store8 (i32.const 287) (i32.wrap_i64 (local.get $amount)))
    (if (call $call (i32.const 1) (i32.const 64) (i32.const 11) (i32.const 0) (i32.const 0)
                    (i32.const 256) (i64.const 0))
      (then (call $abort (i32.const 96) (i32.const 13))))
    (call $book (i64.const 0))))"#;

/// The attacker: `attack` (input: the vault's address) deposits 10 and withdraws;
/// `on_withdraw` withdraws again, up to 5 times, ignoring a failed withdrawal.
const ATTACKER_WAT: &str = r#"(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "abort" (func $abort (param i32 i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "v")
  (data (i32.const 8) "n")
  (data (i32.const 16) "deposit")
  (data (i32.const 32) "withdraw")
  (data (i32.const 48) "attack failed")
  (data (i32.const 200) "\0a\00\00\00\00\00\00\00")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))
  (func (export "attack")
    (call $input_read (i32.const 100))
    (drop (call $write (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 20)))
    (i32.store8 (i32.const 287) (i32.const 10))
    (if (call $call (i32.const 100) (i32.const 16) (i32.const 7) (i32.const 200) (i32.const 8)
                    (i32.const 256) (i64.const 0))
      (then (call $abort (i32.const 48) (i32.const 13))))
    (if (call $call (i32.const 100) (i32.const 32) (i32.const 8) (i32.const 0) (i32.const 0)
                    (i32.const 512) (i64.const 0))
      (then (call $abort (i32.const 48) (i32.const 13)))))
  (func (export "on_withdraw")
    (local $found i64) (local $n i32) (local $vault i32)
    (local.set $found (call $read (i32.const 8) (i32.const 1)))
    (if (i64.ne (local.get $found) (i64.const 0))
      (then (local.set $n (i32.load (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))))))
    (if (i32.ge_u (local.get $n) (i32.const 5)) (then (return)))
    (i32.store (i32.const 300) (i32.add (local.get $n) (i32.const 1)))
    (drop (call $write (i32.const 8) (i32.const 1) (i32.const 300) (i32.const 4)))
    (local.set $found (call $read (i32.const 0) (i32.const 1)))
    (local.set $vault (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32))))
    (drop (call $call (local.get $vault) (i32.const 32) (i32.const 8) (i32.const 0) (i32.const 0)
                      (i32.const 512) (i64.const 0)))))"#;

/// Runs the attack under `policy`: the attacker's and the vault's balances after it,
/// and the attack's receipt.
fn attack(policy: Reentrancy) -> (u128, u128, cove_runtime::Receipt) {
    let rt = runtime(CallsConfig { reentrancy: policy, ..CallsConfig::default() });
    let (vault, attacker) = (deploy(&rt, VAULT_WAT), deploy(&rt, ATTACKER_WAT));
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(vault, Balance::from_u128(30)).unwrap());
    ok(&block.fund(attacker, Balance::from_u128(10)).unwrap());
    let r = block.call(ALICE, attacker, "attack", vault.0.to_vec(), None).unwrap();
    block.commit().unwrap();
    let balance = |a: Address| rt.balance(&a).unwrap().to_u128().unwrap();
    (balance(attacker), balance(vault), r)
}

#[test]
fn reentrancy_drains_the_vault_under_allow_and_is_refused_under_deny() {
    let (attacker, vault, r) = attack(Reentrancy::Allow);
    ok(&r);
    assert_eq!((attacker, vault), (40, 0), "drained: 4 payouts of 10");
    let (attacker, vault, r) = attack(Reentrancy::Deny);
    assert_eq!(failed(&r, ErrorKind::Aborted), "attack failed");
    assert_eq!((attacker, vault), (10, 30), "nothing moved");
}

#[test]
fn a_contract_cannot_call_itself_under_deny() {
    let rt = runtime(CallsConfig::default());
    let proxy = deploy(&rt, PROXY_WAT);
    let inner = forward(false, proxy, 0, 0, "missing", b"");
    let r = call(&rt, proxy, "forward", forward(false, proxy, 0, 0, "forward", &inner));
    ok(&r);
    assert_eq!(status(&rt, proxy), 10);
    // Refused by the host: the status alone, no result.
    assert_eq!(value(&rt, proxy, b"result"), None);
}

/// Every receipt (result, gas, events) and every block's state root of a run of calls
/// that succeed, fail and propagate, on a fresh data directory.
fn run_everything(
    compiler: cove_runtime::Compiler,
) -> (Vec<cove_runtime::Receipt>, Vec<Option<cove_runtime::Hash>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.wasm.compiler = compiler;
    config.calls.reentrancy = Reentrancy::Allow;
    let rt = Runtime::open(dir.path(), config).unwrap();
    let (mut receipts, mut roots) = (Vec::new(), Vec::new());
    let mut block = rt.begin_block(T0).unwrap();
    let proxy = block.deploy(ALICE, &wat::parse_str(PROXY_WAT).unwrap(), None, None).unwrap();
    let kv = block.deploy(ALICE, &wat::parse_str(KV_WAT).unwrap(), None, None).unwrap();
    let vault = block.deploy(ALICE, &wat::parse_str(VAULT_WAT).unwrap(), None, None).unwrap();
    let attacker = block.deploy(ALICE, &wat::parse_str(ATTACKER_WAT).unwrap(), None, None).unwrap();
    let [proxy, kv, vault, attacker] = [proxy, kv, vault, attacker].map(|r| r.address.unwrap());
    ok(&block.fund(vault, Balance::from_u128(30)).unwrap());
    ok(&block.fund(attacker, Balance::from_u128(10)).unwrap());
    roots.push(block.commit().unwrap().root);
    for (mode, entry) in
        [(0, "set"), (0, "set_then_trap"), (0, "set_then_spin"), (1, "set_then_abort"), (0, "get")]
    {
        let mut block = rt.begin_block(T0).unwrap();
        receipts.push(
            block
                .call(ALICE, proxy, "forward", forward_mode(mode, kv, 0, 300_000, entry, b"v"), None)
                .unwrap(),
        );
        roots.push(block.commit().unwrap().root);
    }
    let mut block = rt.begin_block(T0).unwrap();
    receipts.push(block.call(ALICE, attacker, "attack", vault.0.to_vec(), None).unwrap());
    roots.push(block.commit().unwrap().root);
    (receipts, roots)
}

#[test]
fn calls_give_identical_gas_events_and_roots_in_every_mode() {
    use cove_runtime::Compiler;
    let baseline = run_everything(Compiler::Baseline);
    assert!(baseline.1.iter().all(Option::is_some), "an authenticated store has roots");
    assert_eq!(baseline.0.iter().filter(|r| r.is_ok()).count(), 5, "one propagated failure");
    for mode in [Compiler::Optimizing, Compiler::Interpreter, Compiler::Hybrid] {
        assert_eq!(baseline, run_everything(mode), "{mode:?}");
    }
    assert_eq!(baseline, run_everything(Compiler::Baseline), "and on a second fresh data directory");
}

/// A factory: `make`, input = code id (32) ++ salt (32), creates a contract from the code
/// with init entry point "set" and input "born", and returns the status (4 bytes LE) ++
/// the address (20 bytes; zeros unless created) ++ the result. It writes nothing itself.
const FACTORY_WAT: &str = r#"(module
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (import "env" "create" (func $create (param i32 i32 i32 i32 i32 i32 i32 i64 i32) (result i32)))
  (import "env" "call_result_len" (func $result_len (result i32)))
  (import "env" "call_result_read" (func $result_read (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "set")
  (data (i32.const 110) "born")
  (func (export "make")
    (call $input_read (i32.const 0))
    (i32.store (i32.const 196)
      (call $create (i32.const 0) (i32.const 32) (i32.const 100) (i32.const 3) (i32.const 110) (i32.const 4)
                    (i32.const 128) (i64.const 0) (i32.const 200)))
    (call $result_read (i32.const 220))
    (call $return_data (i32.const 196) (i32.add (i32.const 24) (call $result_len)))))"#;

#[test]
fn a_contract_creates_contracts_at_the_documented_address_once_per_salt() {
    let rt = runtime(CallsConfig::default());
    let factory = deploy(&rt, FACTORY_WAT);
    let mut block = rt.begin_block(T0).unwrap();
    let code_id = block.store_code(&crate::support::kv(), None).unwrap().code_id.expect("stored");
    block.commit().unwrap();
    let make = |salt: u8| {
        let mut input = code_id.0.to_vec();
        input.extend_from_slice(&[salt; 32]);
        let mut block = rt.begin_block(T0).unwrap();
        let out = ok(&block.call(ALICE, factory, "make", input, None).unwrap());
        block.commit().unwrap();
        let status = u32::from_le_bytes(out[..4].try_into().unwrap());
        (status, Address(out[4..24].try_into().unwrap()), String::from_utf8_lossy(&out[24..]).into_owned())
    };
    let (status, created, _) = make(1);
    assert_eq!(status, 0);
    assert_eq!(created, cove_runtime::created_address(&factory, &[1; 32], &code_id));
    // vm::created_address, spelled out: SHA-256("cove/create2" ‖ creator ‖ salt ‖ code id)[12..].
    let mut preimage = b"cove/create2".to_vec();
    preimage.extend_from_slice(&factory.0);
    preimage.extend_from_slice(&[1; 32]);
    preimage.extend_from_slice(&code_id.0);
    assert_eq!(created.0[..], types::sha256(&preimage)[12..]);
    let info = rt.contract(&created).unwrap().expect("a contract record");
    assert_eq!((info.creator, info.code_id), (factory, code_id));
    // Its init ran, and it is callable.
    assert_eq!(ok(&call(&rt, created, "get", Vec::new())), b"born");
    // The same salt again fails and changes nothing; another salt gets another address.
    let (status, _, message) = make(1);
    assert_eq!(status, 8, "{message}");
    assert!(message.is_empty(), "a refusal by the host leaves no result: {message}");
    let (status, other, _) = make(2);
    assert_eq!(status, 0);
    assert_ne!(other, created);
    // A code that is not stored: not_found.
    let mut input = [7u8; 32].to_vec();
    input.extend_from_slice(&[3; 32]);
    let r = rt.query(ALICE, factory, "make", input, None).unwrap();
    assert_eq!(ok(&r)[..4], 5u32.to_le_bytes(), "a query is refused before looking");
    let mut block = rt.begin_block(T0).unwrap();
    let mut input = [7u8; 32].to_vec();
    input.extend_from_slice(&[3; 32]);
    let out = ok(&block.call(ALICE, factory, "make", input, None).unwrap());
    assert_eq!(out[..4], 6u32.to_le_bytes());
}

#[test]
fn a_create_inside_a_query_is_refused() {
    let rt = runtime(CallsConfig::default());
    let factory = deploy(&rt, FACTORY_WAT);
    let mut block = rt.begin_block(T0).unwrap();
    let code_id = block.store_code(&crate::support::kv(), None).unwrap().code_id.expect("stored");
    block.commit().unwrap();
    let mut input = code_id.0.to_vec();
    input.extend_from_slice(&[1; 32]);
    let out = ok(&rt.query(ALICE, factory, "make", input, None).unwrap());
    assert_eq!(out[..4], 5u32.to_le_bytes());
    assert!(rt.contract(&cove_runtime::created_address(&factory, &[1; 32], &code_id)).unwrap().is_none());
}

/// `examples/pool.wat` between two `examples/token.wat`: balances of both tokens and the
/// pool's reserves exact after a swap; a swap that would break the invariant fails and
/// leaves both tokens untouched.
#[test]
fn a_pool_swaps_between_two_tokens_and_refuses_to_break_its_invariant() {
    use crate::support::{BOB, token};
    let rt = runtime(CallsConfig::default());
    let pool_code = wat::parse_str(include_str!("../../../../examples/pool.wat")).expect("pool.wat parses");
    let mut block = rt.begin_block(T0).unwrap();
    let a = block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap().address.unwrap();
    let b = block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap().address.unwrap();
    let init = [a.0, b.0].concat();
    let pool = block.deploy(ALICE, &pool_code, Some(("init", init)), None).unwrap();
    let pool = ok_address(&pool);
    block.commit().unwrap();
    let transfer = |token: Address, to: Address, amount: u64| {
        let input = [&to.0[..], &amount.to_le_bytes()].concat();
        ok(&call(&rt, token, "transfer", input));
    };
    let balance = |token: Address, who: Address| {
        let out = ok(&rt.query(ALICE, token, "balance", who.0.to_vec(), None).unwrap());
        u64::from_le_bytes(out.try_into().unwrap())
    };
    let reserves = || {
        let get = |k: &[u8]| u64::from_le_bytes(value(&rt, pool, k).unwrap().try_into().unwrap());
        (get(b"ra"), get(b"rb"))
    };
    let swap = |out: u64, to: Address| {
        let input = [&out.to_le_bytes()[..], &to.0[..]].concat();
        call(&rt, pool, "swap", input)
    };
    transfer(a, pool, 1_000);
    transfer(b, pool, 1_000);
    ok(&call(&rt, pool, "sync", Vec::new()));
    assert_eq!(reserves(), (1_000, 1_000));

    // 100 A in; 90 B out (the most: 1,000 x 100 / 1,100 = 90.9).
    transfer(a, pool, 100);
    let r = swap(90, BOB);
    ok(&r);
    assert_eq!(r.events.len(), 1, "the token's transfer event joins the swap's");
    assert_eq!(r.events[0].contract, b);
    assert_eq!((balance(a, pool), balance(b, pool), balance(b, BOB)), (1_100, 910, 90));
    assert_eq!((balance(a, ALICE), balance(b, ALICE)), (1_000_000 - 1_100, 1_000_000 - 1_000));
    assert_eq!(reserves(), (1_100, 910));

    // 10 A in, asking 100 B out: (1,110 x 810) < (1,100 x 910): refused, nothing moves.
    transfer(a, pool, 10);
    let r = swap(100, BOB);
    assert_eq!(failed(&r, ErrorKind::Aborted), "invariant broken");
    assert_eq!((balance(a, pool), balance(b, pool), balance(b, BOB)), (1_110, 910, 90));
    assert_eq!(reserves(), (1_100, 910));
    // The same 10 A buy what the invariant allows: 910 x 10 / 1,110 = 8.2 -> 8.
    ok(&swap(8, BOB));
    assert_eq!((balance(b, pool), balance(b, BOB)), (902, 98));
    failed(&swap(1, BOB), ErrorKind::Aborted);
}

fn ok_address(r: &cove_runtime::Receipt) -> Address {
    ok(r);
    r.address.expect("an address")
}

/// A contract of cove's ABI calls an EVM contract through the same dispatch: its input
/// is the calldata, the EVM's return data comes back, and a revert is status 4 with its
/// revert data, undoing what the EVM did.
#[test]
fn a_cove_contract_calls_an_evm_erc20() {
    use crate::evm::{BALANCE_OF, SUPPLY, TRANSFER, balance_of, calldata, deploy_token, word_addr, word_u64};
    use crate::support::BOB;
    let rt = runtime(CallsConfig::default());
    let (proxy, erc20) = (deploy(&rt, PROXY_WAT), deploy_token(&rt));
    // ALICE gives the proxy 500 tokens; the proxy sends 200 on to BOB through a call.
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.call(ALICE, erc20, "", calldata(TRANSFER, &[word_addr(&proxy), word_u64(500)]), None).unwrap());
    block.commit().unwrap();
    let pay = |amount: u64| calldata(TRANSFER, &[word_addr(&BOB), word_u64(amount)]);
    // The EVM caps a message's gas (2^24 since Osaka): "all the gas allowed" (0) gets
    // the cap, and the proxy pays only what the ERC-20 used.
    let r = call(&rt, proxy, "forward", forward(false, erc20, 0, 0, "", &pay(100)));
    assert_eq!(status(&rt, proxy), 0);
    assert!(r.gas_used < 1 << 24, "{}", r.gas_used);
    assert_eq!((balance_of(&rt, erc20, &proxy), balance_of(&rt, erc20, &BOB)), (400, 100));
    let r = call(&rt, proxy, "forward", forward(false, erc20, 0, 1_000_000, "", &pay(100)));
    ok(&r);
    let result = String::from_utf8_lossy(&value(&rt, proxy, b"result").unwrap_or_default()).into_owned();
    assert_eq!(status(&rt, proxy), 0, "{result}");
    assert_eq!(value(&rt, proxy, b"result").unwrap(), word_u64(1), "transfer returned true");
    assert_eq!(r.events.len(), 2, "the proxy's event, then the ERC-20's Transfer");
    assert_eq!(r.events[1].contract, erc20);
    assert_eq!((balance_of(&rt, erc20, &proxy), balance_of(&rt, erc20, &BOB)), (300, 200));
    // More than it holds: the ERC-20 reverts; the proxy sees status 4 and the revert data.
    ok(&call(&rt, proxy, "forward", forward(false, erc20, 0, 1_000_000, "", &pay(301))));
    assert_eq!(status(&rt, proxy), 4);
    let data = value(&rt, proxy, b"result").unwrap();
    assert_eq!(data[..4], [0x08, 0xc3, 0x79, 0xa0], "Error(string)");
    assert_eq!((balance_of(&rt, erc20, &proxy), balance_of(&rt, erc20, &BOB)), (300, 200));
    // And read-only, in a query.
    let query = forward_mode(2, erc20, 0, 1_000_000, "", &calldata(BALANCE_OF, &[word_addr(&ALICE)]));
    let out = ok(&rt.query(ALICE, proxy, "forward", query, None).unwrap());
    assert_eq!((out[..4].to_vec(), out[4..].to_vec()), (0u32.to_le_bytes().to_vec(), word_u64(SUPPLY - 500)));
}

#[test]
fn max_call_depth_is_checked_against_its_range() {
    use cove_runtime::MAX_CALL_DEPTH;
    for (depth, valid) in [(0, false), (1, true), (MAX_CALL_DEPTH, true), (MAX_CALL_DEPTH + 1, false)] {
        let config = Config {
            calls: CallsConfig { max_call_depth: depth, ..CallsConfig::default() },
            ..Config::default()
        };
        match Runtime::in_memory(config) {
            Ok(_) => assert!(valid, "{depth} accepted"),
            Err(e) => {
                assert!(!valid, "{depth} refused: {e}");
                assert!(e.to_string().contains("calls.max_call_depth"), "{e}");
            }
        }
    }
}
