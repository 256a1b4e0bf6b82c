//! The `call` host function against a stand-in for the runtime: what it hands over,
//! the gas it forwards and charges, the status and result it gives back, its limits.

use std::sync::{Arc, Mutex};

use cove_wasm::{CallReply, CallRequest, ContractCalls, MAX_ENTRY_LEN, VmError};
use types::{Address, CallError, ErrorKind, Event};

use crate::support::{CONTRACT, GAS, Harness, MapStorage, expect_err, module};

/// One request as the stand-in saw it: target, entry, input, value, gas, read-only.
type Seen = (Address, String, Vec<u8>, [u8; 32], u64, bool);

/// What the stand-in saw, and what it answers.
struct Callee {
    seen: Mutex<Vec<Seen>>,
    reply: CallReply,
}

impl ContractCalls<MapStorage> for Callee {
    fn call(&self, _: &mut MapStorage, r: CallRequest<'_>) -> Result<CallReply, VmError> {
        assert_eq!(r.sender, CONTRACT);
        self.seen.lock().unwrap().push((
            r.target,
            r.entry.to_string(),
            r.input,
            r.value,
            r.gas_limit,
            r.read_only,
        ));
        Ok(self.reply.clone())
    }
}

const IMPORTS: &str = r#"
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "env" "call_result_len" (func $result_len (result i32)))
  (import "env" "call_result_read" (func $result_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))"#;

/// `go` calls address 0x11.. entry "pong" with input "ping", value 7, gas 5,000, and
/// returns status (4 bytes LE) ++ result; `all` asks for all the gas allowed; `long`
/// names an entry point one byte over the maximum; `negative` asks for -1 gas.
fn harness(reply: CallReply) -> (Harness, Arc<Callee>) {
    let body = format!(
        r#"
  (data (i32.const 0) "\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11")
  (data (i32.const 32) "pong")
  (data (i32.const 40) "ping")
  (data (i32.const 95) "\07")
  (func $go (param $gas i64) (param $elen i32)
    (local $status i32)
    (local.set $status (call $call (i32.const 0) (i32.const 32) (local.get $elen) (i32.const 40) (i32.const 4)
                                   (i32.const 64) (local.get $gas)))
    (i32.store (i32.const 4092) (local.get $status))
    (call $result_read (i32.const 4096))
    (call $return_data (i32.const 4092) (i32.add (call $result_len) (i32.const 4))))
  (func (export "go") (call $go (i64.const 5000) (i32.const 4)))
  (func (export "all") (call $go (i64.const 0) (i32.const 4)))
  (func (export "long") (call $go (i64.const 0) (i32.const {})))
  (func (export "negative") (call $go (i64.const -1) (i32.const 4)))"#,
        MAX_ENTRY_LEN + 1
    );
    let mut h = Harness::new(&module(IMPORTS, &body));
    let callee = Arc::new(Callee { seen: Mutex::new(Vec::new()), reply });
    h.vm = cove_wasm::Vm::new(h.vm.engine().clone()).with_calls(callee.clone());
    (h, callee)
}

fn pong(gas_used: u64) -> CallReply {
    let event = Event { contract: Address([0x11; 20]), topics: vec![b"t".to_vec()], data: vec![1] };
    CallReply { result: Ok(b"pong!".to_vec()), gas_used, events: vec![event] }
}

fn split(out: Vec<u8>) -> (i32, Vec<u8>) {
    (i32::from_le_bytes(out[..4].try_into().unwrap()), out[4..].to_vec())
}

#[test]
fn a_call_hands_over_its_request_and_returns_status_result_and_events() {
    let (mut h, callee) = harness(pong(1_000));
    let out = h.call("go", &[]);
    assert_eq!(out.events, pong(0).events, "the callee's events join the caller's");
    assert_eq!(split(out.result.unwrap()), (0, b"pong!".to_vec()));
    let seen = callee.seen.lock().unwrap()[0].clone();
    let mut value = [0; 32];
    value[31] = 7;
    assert_eq!(seen, (Address([0x11; 20]), "pong".into(), b"ping".to_vec(), value, 5_000, false));
}

#[test]
fn the_caller_pays_exactly_what_the_callee_used() {
    let used = |gas_used| harness(pong(gas_used)).0.call("go", &[]).gas_used;
    assert_eq!(used(1_000) - used(0), 1_000);
    // A callee reporting more than it was given is charged what it was given.
    assert_eq!(used(1_000_000) - used(0), 5_000);
}

#[test]
fn asking_for_all_the_gas_forwards_all_but_a_64th() {
    let (mut h, callee) = harness(pong(0));
    let out = h.call("all", &[]);
    assert!(out.result.is_ok());
    let given = callee.seen.lock().unwrap()[0].4;
    // What was left when `call` ran: the limit minus what ran before and its base price.
    let before = GAS - (out.gas_used - 30 - 5);
    assert!(given < GAS && given >= before - before / 64 - 100, "given {given}");
    assert_eq!(given, cove_wasm::forwarded_gas(given + given / 63 + 1, 0).min(given));
}

#[test]
fn a_failed_callee_gives_its_status_and_message() {
    let reply =
        CallReply { result: Err(CallError::new(ErrorKind::Aborted, "no")), gas_used: 10, events: vec![] };
    let (mut h, _) = harness(reply);
    let out = h.call("go", &[]);
    assert!(out.events.is_empty());
    assert_eq!(split(out.result.unwrap()), (3, b"no".to_vec()));
    let reply = CallReply { result: Err(CallError::reverted(vec![9, 9])), gas_used: 10, events: vec![] };
    assert_eq!(split(harness(reply).0.ok("go", &[])), (4, vec![9, 9]), "revert data, not the message");
}

#[test]
fn a_timeout_below_ends_the_caller_as_a_timeout() {
    let reply =
        CallReply { result: Err(CallError::new(ErrorKind::Timeout, "slow")), gas_used: 0, events: vec![] };
    expect_err(&harness(reply).0.call("go", &[]), ErrorKind::Timeout);
}

#[test]
fn entry_points_over_the_maximum_and_negative_gas_are_refused_before_calling() {
    let (mut h, callee) = harness(pong(0));
    let m = expect_err(&h.call("long", &[]), ErrorKind::InvalidArgument);
    assert!(m.contains(&format!("exceeds the maximum {MAX_ENTRY_LEN}")), "{m}");
    expect_err(&h.call("negative", &[]), ErrorKind::InvalidArgument);
    assert!(callee.seen.lock().unwrap().is_empty());
}

#[test]
fn a_read_only_call_cannot_send_value() {
    let (mut h, callee) = harness(pong(0));
    h.read_only = true;
    let (status, message) = split(h.ok("go", &[]));
    assert_eq!(status, 5, "{}", String::from_utf8_lossy(&message));
    assert!(callee.seen.lock().unwrap().is_empty());
}

#[test]
fn without_a_runtime_every_call_is_refused() {
    let (mut h, _) = harness(pong(0));
    h.vm = cove_wasm::Vm::new(h.vm.engine().clone());
    assert_eq!(split(h.ok("go", &[])).0, 8);
}
