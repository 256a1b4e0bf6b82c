//! A transaction that hits the wall-clock backstop is a node fault: the block's entry
//! points never return (so never commit) its `timeout` receipt. It is rolled back and
//! left out of the block, which commits the same root as the block without it. The
//! backstop is made to fire deterministically with a tiny `timeout_ms` and an endless
//! loop under a gas limit it cannot exhaust in that time.

use cosmwasm::{Action, Request};
use cove_runtime::{Config, Runtime, RuntimeError};
use types::Address;

use crate::support::*;

/// More gas than an endless loop burns in `TIMEOUT_MS`: the backstop fires first.
const HUGE_GAS: u64 = 1 << 60;
/// The backstop of these tests, in milliseconds.
const TIMEOUT_MS: u64 = 50;

fn config() -> Config {
    // Gas caps far above what the loop can burn before the backstop fires.
    let mut config =
        Config { max_tx_gas: HUGE_GAS, max_block_gas: types::MAX_GAS_LIMIT, ..Config::default() };
    config.wasm.timeout_ms = TIMEOUT_MS;
    config
}

/// A redb runtime (it has roots) with the tiny backstop, the KV contract deployed in
/// block 1.
fn kv_chain(dir: &std::path::Path) -> (Runtime, Address) {
    let rt = Runtime::open(dir, config()).unwrap();
    let kv = deploy_committed(&rt, ALICE, &kv(), None);
    (rt, kv)
}

#[track_caller]
fn expect_timeout<T: std::fmt::Debug>(r: Result<T, RuntimeError>) -> String {
    match r {
        Err(e @ RuntimeError::Timeout(_)) => {
            assert!(e.is_dropped_transaction());
            e.to_string()
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn a_timed_out_call_is_dropped_and_the_root_is_the_block_without_it() {
    let (with_dir, without_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (rt, kv) = kv_chain(with_dir.path());
    let mut block = rt.begin_block(T0 + 1).unwrap();
    ok(&block.call(BOB, kv, "set", b"first".to_vec(), None).unwrap());
    let message = expect_timeout(block.call(BOB, kv, "set_then_spin", b"spun".to_vec(), Some(HUGE_GAS)));
    assert!(message.contains("not executed"), "{message}");
    assert_eq!(block.transactions(), 1, "the timed-out call takes no transaction index");
    ok(&block.call(BOB, kv, "set", b"last".to_vec(), None).unwrap());
    assert_eq!(block.transactions(), 2);
    let with = block.commit().unwrap();

    let (rt2, kv2) = kv_chain(without_dir.path());
    assert_eq!(kv, kv2);
    let mut block = rt2.begin_block(T0 + 1).unwrap();
    ok(&block.call(BOB, kv, "set", b"first".to_vec(), None).unwrap());
    ok(&block.call(BOB, kv, "set", b"last".to_vec(), None).unwrap());
    let without = block.commit().unwrap();

    assert!(with.root.is_some());
    assert_eq!(with, without, "same height, time and root");
    assert_eq!(ok(&rt.query(BOB, kv, "get", Vec::new(), None).unwrap()), b"last");
}

#[test]
fn a_timed_out_deploy_leaves_no_contract_and_no_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), config()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    expect_timeout(block.deploy(ALICE, &kv(), Some(("set_then_spin", b"x".to_vec())), Some(HUGE_GAS)));
    assert_eq!(block.transactions(), 0);
    block.commit().unwrap();
    assert_eq!(rt.nonce(&ALICE).unwrap(), 0);
    assert_eq!(rt.contract(&Address::contract(&ALICE, 0)).unwrap(), None);
}

/// A CosmWasm contract scripted in WAT. `execute` returns its message as its
/// `ContractResult<Response>`, except that a message shorter than 8 bytes (`{}`) makes
/// it loop forever and a `{"wasm":..}` query request is passed to `query_chain` (then it
/// answers `{"ok":{}}`); `reply` answers `{"ok":{}}`; `query` loops forever.
const SPINNER: &str = r#"(module
  (import "env" "query_chain" (func $query_chain (param i32) (result i32)))
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
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (i32.const 224))
  (func (export "execute") (param i32 i32 i32) (result i32)
    (if (i32.lt_u (i32.load offset=8 (local.get 2)) (i32.const 8))
      (then (loop $forever (br $forever))))
    ;; The third byte of the message: `w` for `{"wasm":..}`.
    (if (i32.eq (i32.load8_u offset=2 (i32.load (local.get 2))) (i32.const 119))
      (then
        (drop (call $query_chain (local.get 2)))
        (return (i32.const 224))))
    (local.get 2))
  (func (export "reply") (param i32 i32) (result i32)
    (i32.const 224))
  (func (export "query") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 224)))"#;

fn cosmwasm<'a>(gas_limit: Option<u64>, action: Action<'a>, msg: &'a [u8]) -> Request<'a> {
    Request { sender: ALICE, action, msg, funds: &[], gas_limit }
}

/// Instantiates [`SPINNER`] in a block of its own; returns its address.
fn spinner(rt: &Runtime) -> Address {
    let code = wat::parse_str(SPINNER).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let action = Action::Instantiate { code: &code, label: "spinner", admin: None };
    let (receipt, _) = block.cosmwasm(cosmwasm(None, action, b"{}")).unwrap();
    ok(&receipt);
    block.commit().unwrap();
    receipt.address.unwrap()
}

#[test]
fn a_timed_out_cosmwasm_execute_is_dropped() {
    let rt = Runtime::in_memory(config()).unwrap();
    let contract = spinner(&rt);
    let mut block = rt.begin_block(T0).unwrap();
    expect_timeout(block.cosmwasm(cosmwasm(Some(HUGE_GAS), Action::Execute { contract }, b"{}")));
    assert_eq!(block.transactions(), 0, "the next transaction gets index 0");
}

/// A timeout inside a sub-message whose `reply_on` catches errors is not a sub-message
/// error the contract may handle: the whole transaction is the node's fault.
#[test]
fn a_timeout_inside_a_caught_sub_message_is_not_caught() {
    let rt = Runtime::in_memory(config()).unwrap();
    let contract = spinner(&rt);
    let human = rt.vms().cosmwasm().addresses().humanize(&contract);
    for reply_on in ["error", "always"] {
        // `e30=` is base64 for `{}`, the message that makes the spinner loop.
        let msg = format!(
            r#"{{"ok":{{"messages":[{{"id":1,"msg":{{"wasm":{{"execute":{{"contract_addr":"{human}","msg":"e30=","funds":[]}}}}}},"reply_on":"{reply_on}"}}]}}}}"#
        );
        let mut block = rt.begin_block(T0).unwrap();
        let run = block.cosmwasm(cosmwasm(Some(HUGE_GAS), Action::Execute { contract }, msg.as_bytes()));
        expect_timeout(run);
        assert_eq!(block.transactions(), 0, "reply_on {reply_on}");
    }
}

/// A smart query into a contract that times out is not an answer the querier may act
/// on: the querier's call ends as `timeout` too, and the transaction is dropped.
#[test]
fn a_timeout_inside_a_smart_query_ends_the_querier_too() {
    let rt = Runtime::in_memory(config()).unwrap();
    let (querier, queried) = (spinner(&rt), spinner(&rt));
    let human = rt.vms().cosmwasm().addresses().humanize(&queried);
    let msg = format!(r#"{{"wasm":{{"smart":{{"contract_addr":"{human}","msg":"e30="}}}}}}"#);
    let mut block = rt.begin_block(T0).unwrap();
    let run = block.cosmwasm(cosmwasm(Some(HUGE_GAS), Action::Execute { contract: querier }, msg.as_bytes()));
    expect_timeout(run);
    assert_eq!(block.transactions(), 0);
}

#[test]
fn an_estimate_whose_probe_times_out_is_a_timeout_not_an_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, kv) = kv_chain(dir.path());
    let req = cove_runtime::EstimateRequest {
        sender: BOB,
        address: kv,
        method: "set_then_spin",
        input: b"x".to_vec(),
        value: cove_runtime::Balance::ZERO,
        cap: Some(HUGE_GAS),
    };
    expect_timeout(rt.estimate_gas(req));
}
