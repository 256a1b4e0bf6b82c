//! CosmWasm contracts and contracts of the other VMs calling each other through the
//! runtime's one dispatch: `WasmMsg::Execute` and `WasmQuery::Smart` to a contract of
//! cove's ABI or the EVM, cove's `call` of a CosmWasm contract's `execute` and `query`;
//! value, failures undoing only their own subtree, queries read-only, and one depth
//! limit and one reentrancy policy across VMs.

use base64::Engine as _;
use cosmwasm::{Action, Coin, Request};
use cove_runtime::{Balance, CallsConfig, Config, Receipt, Reentrancy, Runtime};
use serde_json::{Value, json};
use types::{Address, ErrorKind};

use crate::calls::{PROXY_WAT, forward, forward_mode};
use crate::evm::{BALANCE_OF, TRANSFER, balance_of, calldata, deploy_token, word_addr, word_u64};
use crate::support::{ALICE, BOB, KV_WAT, T0, failed, ok};

/// A scripted CosmWasm contract (as in `cove-cosmwasm`'s message tests): `execute`
/// stores its message under `last` and returns it as its result, so the message *is*
/// the `ContractResult<Response>` and may carry any sub-message. `reply` stores the
/// `Reply` under `replied`. `query` passes its message to `query_chain` and prints the
/// answer with `debug`.
pub(crate) const ECHO_WAT: &str = r#"(module
  (import "env" "db_write" (func $db_write (param i32 i32)))
  (import "env" "query_chain" (func $query_chain (param i32) (result i32)))
  (import "env" "debug" (func $debug (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "last")
  (data (i32.const 110) "replied")
  (data (i32.const 120) "{\"ok\":{}}")
  (data (i32.const 140) "{\"ok\":\"\"}")
  (data (i32.const 200) "\64\00\00\00\04\00\00\00\04\00\00\00")
  (data (i32.const 212) "\6e\00\00\00\07\00\00\00\07\00\00\00")
  (data (i32.const 224) "\78\00\00\00\09\00\00\00\09\00\00\00")
  (data (i32.const 236) "\8c\00\00\00\09\00\00\00\09\00\00\00")
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
    (call $db_write (i32.const 200) (local.get 2))
    (local.get 2))
  (func (export "reply") (param i32 i32) (result i32)
    (call $db_write (i32.const 212) (local.get 1))
    (i32.const 224))
  (func (export "query") (param i32 i32) (result i32)
    (call $debug (call $query_chain (local.get 1)))
    (i32.const 236)))"#;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn runtime(calls: CallsConfig) -> Runtime {
    Runtime::in_memory(Config { calls, ..Config::default() }).expect("runtime")
}

fn human(rt: &Runtime, a: &Address) -> String {
    rt.vms().cosmwasm().addresses().humanize(a)
}

fn native(rt: &Runtime) -> String {
    rt.vms().cosmwasm().config().native_denom.clone()
}

/// Deploys a contract of cove's ABI.
fn deploy(rt: &Runtime, wat: &str) -> Address {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &wat::parse_str(wat).unwrap(), None, None).unwrap();
    block.commit().unwrap();
    r.address.unwrap_or_else(|| panic!("{r:?}"))
}

/// Instantiates a CosmWasm contract from `code` with `msg`.
fn instantiate(rt: &Runtime, code: &[u8], msg: &str) -> Address {
    let mut block = rt.begin_block(T0).unwrap();
    let action = Action::Instantiate { code, label: "c", admin: None };
    let request = Request { sender: ALICE, action, msg: msg.as_bytes(), funds: &[], gas_limit: None };
    let (r, _) = block.cosmwasm(request).unwrap();
    block.commit().unwrap();
    r.address.unwrap_or_else(|| panic!("{r:?}"))
}

fn echo(rt: &Runtime) -> Address {
    instantiate(rt, &wat::parse_str(ECHO_WAT).unwrap(), "{}")
}

fn fund(rt: &Runtime, who: Address, amount: u128) {
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(who, Balance::from_u128(amount)).unwrap());
    block.commit().unwrap();
}

fn balance(rt: &Runtime, who: Address) -> u128 {
    rt.balance(&who).unwrap().to_u128().unwrap()
}

fn stored(rt: &Runtime, contract: Address, key: &[u8]) -> Option<Vec<u8>> {
    rt.contract_state(&contract).unwrap().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The `Reply` the echo contract last stored.
fn replied(rt: &Runtime, echo: Address) -> Value {
    serde_json::from_slice(&stored(rt, echo, b"replied").expect("a reply")).unwrap()
}

/// `{"entry": .., "input": base64}`: the `msg` of a message to a contract of cove's ABI.
fn cove_msg(entry: &str, input: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&json!({"entry": entry, "input": b64(input)})).unwrap()
}

/// A sub-message executing `target` with `msg` and `funds` (native).
fn execute(rt: &Runtime, id: u64, target: Address, msg: &[u8], funds: u128, reply_on: &str) -> Value {
    let funds =
        if funds == 0 { json!([]) } else { json!([{"denom": native(rt), "amount": funds.to_string()}]) };
    json!({"id": id, "reply_on": reply_on, "msg": {"wasm": {"execute": {
        "contract_addr": human(rt, &target), "msg": b64(msg), "funds": funds,
    }}}})
}

/// The echo's execute message answering with `messages`.
fn respond_msg(messages: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"ok": {"messages": messages}})).unwrap()
}

/// Executes the echo contract, which answers with `messages`, in its own block.
fn respond(rt: &Runtime, echo: Address, messages: Vec<Value>) -> Receipt {
    let msg = respond_msg(messages);
    let mut block = rt.begin_block(T0).unwrap();
    let request = Request {
        sender: ALICE,
        action: Action::Execute { contract: echo },
        msg: &msg,
        funds: &[],
        gas_limit: None,
    };
    let (r, _) = block.cosmwasm(request).unwrap();
    block.commit().unwrap();
    r
}

/// The echo contract's `query_chain` answer to `request`, the query given `gas`.
fn chain_query(rt: &Runtime, echo: Address, request: Value, gas: Option<u64>) -> Value {
    let msg = serde_json::to_vec(&request).unwrap();
    let (r, debug) = rt.at(None).unwrap().cosmwasm_query(echo, &msg, gas).unwrap();
    ok(&r);
    serde_json::from_str(debug.last().expect("the answer, printed")).unwrap()
}

fn smart(rt: &Runtime, target: Address, msg: &[u8]) -> Value {
    json!({"wasm": {"smart": {"contract_addr": human(rt, &target), "msg": b64(msg)}}})
}

fn call(rt: &Runtime, to: Address, entry: &str, input: Vec<u8>) -> Receipt {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.call(ALICE, to, entry, input, None).unwrap();
    block.commit().unwrap();
    r
}

#[test]
fn a_cosmwasm_contract_executes_a_cove_contract_with_value() {
    let rt = runtime(CallsConfig::default());
    let (kv, echo) = (deploy(&rt, KV_WAT), echo(&rt));
    fund(&rt, echo, 100);
    let r = respond(&rt, echo, vec![execute(&rt, 7, kv, &cove_msg("set", b"hi"), 40, "always")]);
    ok(&r);
    assert_eq!(stored(&rt, kv, b"k").as_deref(), Some(&b"hi"[..]));
    assert_eq!((balance(&rt, echo), balance(&rt, kv)), (60, 40), "the native funds are the value");
    // The callee's event joins the transaction's as it emitted it ...
    let wrote = r.events.iter().find(|e| e.contract == kv).expect("the callee's event");
    assert_eq!((wrote.topics[0].as_slice(), wrote.data.as_slice()), (&b"wrote"[..], &b"hi"[..]));
    // ... and the reply sees it as a `cove_event`.
    let reply = replied(&rt, echo);
    assert_eq!(reply["id"], 7);
    let events = reply["result"]["ok"]["events"].as_array().unwrap();
    let cove = events.iter().find(|e| e["type"] == "cove_event").expect("a cove_event");
    assert_eq!(cove["attributes"][0]["value"], human(&rt, &kv));
    assert_eq!(cove["attributes"][1], json!({"key": "topic", "value": hex::encode(b"wrote")}));
    assert_eq!(reply["result"]["ok"]["data"], Value::Null, "set returns nothing");
    // The callee's return bytes are the message's data.
    ok(&respond(&rt, echo, vec![execute(&rt, 8, kv, &cove_msg("get", b""), 0, "success")]));
    assert_eq!(replied(&rt, echo)["result"]["ok"]["data"], b64(b"hi"));
}

#[test]
fn a_failed_cove_callee_is_a_sub_message_error_that_undoes_only_itself() {
    let rt = runtime(CallsConfig::default());
    let (kv, echo) = (deploy(&rt, KV_WAT), echo(&rt));
    fund(&rt, echo, 100);
    // Caught: the echo's own write stands, the callee's write, event and value do not.
    let r = respond(&rt, echo, vec![execute(&rt, 1, kv, &cove_msg("set_then_abort", b"v"), 10, "error")]);
    ok(&r);
    assert!(r.events.iter().all(|e| e.contract != kv), "no event of the failed callee");
    assert_eq!(stored(&rt, kv, b"k"), None);
    assert_eq!((balance(&rt, echo), balance(&rt, kv)), (100, 0));
    assert_eq!(
        (replied(&rt, echo)["id"].clone(), replied(&rt, echo)["result"].clone()),
        (json!(1), json!({"error": "aborted: boom"}))
    );
    assert!(stored(&rt, echo, b"last").is_some());
    // A trap reads as its kind alone: the host's wording never reaches the contract.
    ok(&respond(&rt, echo, vec![execute(&rt, 2, kv, &cove_msg("set_then_trap", b"v"), 0, "error")]));
    assert_eq!(replied(&rt, echo)["result"], json!({"error": "trap"}));
    // Not caught: the whole transaction fails, nothing of it stays.
    let before = stored(&rt, echo, b"last");
    let msgs = vec![
        execute(&rt, 3, kv, &cove_msg("set", b"first"), 0, "never"),
        execute(&rt, 4, kv, &cove_msg("set_then_abort", b"v"), 0, "never"),
    ];
    let r = respond(&rt, echo, msgs);
    assert_eq!(failed(&r, ErrorKind::Aborted), "aborted: boom");
    assert_eq!((stored(&rt, kv, b"k"), stored(&rt, echo, b"last")), (None, before));
    // A malformed message is refused before anything runs.
    ok(&respond(&rt, echo, vec![execute(&rt, 6, kv, br#"{"method":"set"}"#, 0, "error")]));
    let error = replied(&rt, echo)["result"]["error"].as_str().unwrap().to_string();
    assert!(error.contains(r#"{"entry": "...", "input": "<base64>"}"#), "{error}");
    assert_eq!(stored(&rt, kv, b"k"), None);
}

#[test]
fn a_cosmwasm_contract_queries_a_cove_contract_read_only() {
    let rt = runtime(CallsConfig::default());
    let (kv, echo) = (deploy(&rt, KV_WAT), echo(&rt));
    ok(&call(&rt, kv, "set", b"stored".to_vec()));
    let answer = chain_query(&rt, echo, smart(&rt, kv, &cove_msg("get", b"")), None);
    assert_eq!(answer, json!({"ok": {"ok": b64(b"stored")}}));
    // A write in a query is refused, and nothing is written.
    let answer = chain_query(&rt, echo, smart(&rt, kv, &cove_msg("set", b"new")), None);
    assert_eq!(answer, json!({"ok": {"error": "read_only"}}));
    let answer = chain_query(&rt, echo, smart(&rt, kv, &cove_msg("missing", b"")), None);
    assert_eq!(answer, json!({"ok": {"error": "not_found"}}));
    assert_eq!(stored(&rt, kv, b"k").as_deref(), Some(&b"stored"[..]));
}

#[test]
fn a_cosmwasm_contract_executes_and_queries_an_evm_contract() {
    let rt = runtime(CallsConfig::default());
    let (erc20, echo) = (deploy_token(&rt), echo(&rt));
    fund(&rt, echo, 100);
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.call(ALICE, erc20, "", calldata(TRANSFER, &[word_addr(&echo), word_u64(500)]), None).unwrap());
    block.commit().unwrap();
    let pay = |amount: u64| calldata(TRANSFER, &[word_addr(&BOB), word_u64(amount)]);
    // Sub-messages naming a gas limit (one without: below).
    let with_gas = |mut sub: Value| {
        sub["gas_limit"] = json!(1_000_000);
        sub
    };
    // `msg` is the calldata; the return data is the message's data.
    let r = respond(&rt, echo, vec![with_gas(execute(&rt, 1, erc20, &pay(200), 0, "success"))]);
    ok(&r);
    assert_eq!(replied(&rt, echo)["result"]["ok"]["data"], b64(&word_u64(1)), "transfer returned true");
    assert!(r.events.iter().any(|e| e.contract == erc20), "the ERC-20's Transfer event");
    assert_eq!((balance_of(&rt, erc20, &echo), balance_of(&rt, erc20, &BOB)), (300, 200));
    // A revert is a sub-message error carrying the revert data; nothing moved.
    ok(&respond(&rt, echo, vec![with_gas(execute(&rt, 2, erc20, &pay(301), 0, "error"))]));
    let error = replied(&rt, echo)["result"]["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("reverted: 0x08c379a0"), "Error(string): {error}");
    assert_eq!((balance_of(&rt, erc20, &echo), balance_of(&rt, erc20, &BOB)), (300, 200));
    // Funds are the call's value: `transfer` is not payable and reverts, and the
    // value comes back.
    ok(&respond(&rt, echo, vec![with_gas(execute(&rt, 3, erc20, &pay(1), 10, "error"))]));
    assert!(replied(&rt, echo)["result"]["error"].as_str().unwrap().starts_with("reverted"));
    assert_eq!((balance(&rt, echo), balance(&rt, erc20)), (100, 0));
    // A smart query's `msg` is the calldata too. A query forwards all the gas it has
    // left; the EVM takes at most its cap on a message, with any gas.
    let balance_query = smart(&rt, erc20, &calldata(BALANCE_OF, &[word_addr(&echo)]));
    let answer = chain_query(&rt, echo, balance_query.clone(), Some(10_000_000));
    assert_eq!(answer, json!({"ok": {"ok": b64(&word_u64(300))}}));
    let answer = chain_query(&rt, echo, balance_query, None);
    assert_eq!(answer, json!({"ok": {"ok": b64(&word_u64(300))}}));
    // So does a sub-message without a gas limit.
    ok(&respond(&rt, echo, vec![execute(&rt, 4, erc20, &pay(100), 0, "success")]));
    assert_eq!((balance_of(&rt, erc20, &echo), balance_of(&rt, erc20, &BOB)), (200, 300));
}

/// hackatom, with `verifier` the only account that may `release` its funds to BOB.
pub(crate) fn hackatom(rt: &Runtime, verifier: Address) -> Address {
    let code = bench::fixtures::load("hackatom").unwrap_or_else(|e| panic!("{e}"));
    let msg = json!({"verifier": human(rt, &verifier), "beneficiary": human(rt, &BOB)});
    instantiate(rt, &code, &msg.to_string())
}

fn status(rt: &Runtime, proxy: Address) -> u32 {
    u32::from_le_bytes(stored(rt, proxy, b"status").expect("a status").try_into().unwrap())
}

#[test]
fn a_cove_contract_executes_a_cosmwasm_contract_with_value() {
    let rt = runtime(CallsConfig::default());
    let proxy = deploy(&rt, PROXY_WAT);
    let (mine, alices) = (hackatom(&rt, proxy), hackatom(&rt, ALICE));
    fund(&rt, proxy, 100);
    let release = br#"{"release":{}}"#;
    // The proxy is the verifier: `info.sender` is the calling contract. The value is
    // the funds; release sends them on to BOB; the response's data is the result.
    let r = call(&rt, proxy, "forward", forward(false, mine, 30, 0, "execute", release));
    assert_eq!(ok(&r), [0xF0, 0x0B, 0xAA]);
    assert_eq!(status(&rt, proxy), 0);
    assert_eq!((balance(&rt, proxy), balance(&rt, mine), balance(&rt, BOB)), (70, 0, 30));
    assert!(r.events.iter().any(|e| e.contract == mine && e.topics[0] == b"wasm"), "hackatom's events join");
    // Not the verifier: hackatom's error, the abort's message, is what the proxy sees;
    // its own write stands, the value and everything hackatom did do not.
    let r = call(&rt, proxy, "forward", forward(false, alices, 30, 0, "execute", release));
    let message = String::from_utf8(ok(&r)).unwrap();
    assert!(message.contains("Unauthorized"), "{message}");
    assert_eq!(status(&rt, proxy), 3);
    assert_eq!((balance(&rt, proxy), balance(&rt, alices)), (70, 0));
    assert!(r.events.iter().all(|e| e.contract == proxy));
    // Other entry points are refused, running nothing.
    for entry in ["sudo", "migrate", "instantiate", "reply"] {
        ok(&call(&rt, proxy, "forward", forward(false, mine, 0, 0, entry, b"{}")));
        assert_eq!(status(&rt, proxy), 8, "{entry}");
    }
}

#[test]
fn a_cove_contract_queries_a_cosmwasm_contract_read_only() {
    let rt = runtime(CallsConfig::default());
    let proxy = deploy(&rt, PROXY_WAT);
    let contract = hackatom(&rt, proxy);
    let query = |entry: &str, msg: &[u8]| {
        let out = ok(&rt
            .query(ALICE, proxy, "forward", forward_mode(2, contract, 0, 0, entry, msg), None)
            .unwrap());
        (u32::from_le_bytes(out[..4].try_into().unwrap()), out[4..].to_vec())
    };
    let (code, answer) = query("query", br#"{"verifier":{}}"#);
    assert_eq!(code, 0);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer, json!({"verifier": human(&rt, &proxy)}));
    // An execute inside a query is refused as read-only.
    assert_eq!(query("execute", br#"{"release":{}}"#).0, 5);
    // The same call in a transaction runs: `query` works there too.
    ok(&call(&rt, proxy, "forward", forward(false, contract, 0, 0, "query", br#"{"verifier":{}}"#)));
    assert_eq!(stored(&rt, proxy, b"result"), Some(serde_json::to_vec(&answer).unwrap()));
    // A query moves nothing, so value sent with one is refused, not kept by the sender.
    fund(&rt, proxy, 10);
    ok(&call(&rt, proxy, "forward", forward(false, contract, 5, 0, "query", br#"{"verifier":{}}"#)));
    assert_eq!(status(&rt, proxy), 8);
    assert_eq!((balance(&rt, proxy), balance(&rt, contract)), (10, 0));
    // `sudo` writes, so a read-only message cannot run it, even at the top.
    let r =
        rt.query(ALICE, contract, "sudo", br#"{"steal_funds":{"recipient":"x","amount":[]}}"#.to_vec(), None);
    assert_eq!(r.unwrap().result.unwrap_err().kind, ErrorKind::ReadOnly);
}

#[test]
fn a_failure_below_a_cosmwasm_contract_undoes_only_its_subtree() {
    // proxy (cove) -> echo (CosmWasm) -> kv (cove) twice, the second failing uncaught:
    // the echo fails, taking the first kv write with it; the proxy continues.
    let rt = runtime(CallsConfig::default());
    let (proxy, echo, kv) = (deploy(&rt, PROXY_WAT), echo(&rt), deploy(&rt, KV_WAT));
    let messages = vec![
        execute(&rt, 1, kv, &cove_msg("set", b"first"), 0, "never"),
        execute(&rt, 2, kv, &cove_msg("set_then_abort", b"v"), 0, "never"),
    ];
    let r = call(&rt, proxy, "forward", forward(false, echo, 0, 0, "execute", &respond_msg(messages)));
    ok(&r);
    assert_eq!(status(&rt, proxy), 3);
    assert_eq!(stored(&rt, proxy, b"result").as_deref(), Some(&b"aborted: boom"[..]));
    assert_eq!((stored(&rt, kv, b"k"), stored(&rt, echo, b"last")), (None, None));
    assert_eq!(stored(&rt, proxy, b"mark").as_deref(), Some(&b"x"[..]));
    // Caught by the echo instead: the first write and the echo's stand.
    let messages = vec![
        execute(&rt, 1, kv, &cove_msg("set", b"first"), 0, "never"),
        execute(&rt, 2, kv, &cove_msg("set_then_abort", b"v"), 0, "error"),
    ];
    ok(&call(&rt, proxy, "forward", forward(false, echo, 0, 0, "execute", &respond_msg(messages))));
    assert_eq!(status(&rt, proxy), 0);
    assert_eq!(stored(&rt, kv, b"k").as_deref(), Some(&b"first"[..]));
    assert_eq!(replied(&rt, echo)["result"], json!({"error": "aborted: boom"}));
}

#[test]
fn one_depth_limit_holds_across_vms() {
    let run = |max_call_depth: u32| {
        let rt = runtime(CallsConfig { max_call_depth, ..CallsConfig::default() });
        let (proxy, echo, kv) = (deploy(&rt, PROXY_WAT), echo(&rt), deploy(&rt, KV_WAT));
        // proxy (depth 0) -> echo (1) -> kv (2).
        let messages = vec![execute(&rt, 1, kv, &cove_msg("set", b"deep"), 0, "never")];
        ok(&call(&rt, proxy, "forward", forward(false, echo, 0, 0, "execute", &respond_msg(messages))));
        let through_cove = status(&rt, proxy);
        // echo (0) -> echo2 (1) -> echo (2), all CosmWasm: the same limit.
        let echo2 = self::echo(&rt);
        let inner = respond_msg(vec![execute(&rt, 2, echo, &respond_msg(Vec::new()), 0, "never")]);
        let r = respond(&rt, echo, vec![execute(&rt, 3, echo2, &inner, 0, "never")]);
        let within_cosmwasm = r.result.map(|_| ()).map_err(|e| e.kind);
        (through_cove, stored(&rt, kv, b"k"), within_cosmwasm)
    };
    assert_eq!(run(2), (0, Some(b"deep".to_vec()), Ok(())));
    assert_eq!(run(1), (9, None, Err(ErrorKind::CallDepth)));
}

#[test]
fn one_reentrancy_policy_holds_across_vms() {
    // proxy (cove) -> echo (CosmWasm) -> proxy again.
    let run = |reentrancy: Reentrancy| {
        let rt = runtime(CallsConfig { reentrancy, ..CallsConfig::default() });
        let (proxy, echo, kv) = (deploy(&rt, PROXY_WAT), echo(&rt), deploy(&rt, KV_WAT));
        let back = forward(false, kv, 0, 0, "set", b"back");
        let messages = vec![execute(&rt, 1, proxy, &cove_msg("forward", &back), 0, "never")];
        ok(&call(&rt, proxy, "forward", forward(false, echo, 0, 0, "execute", &respond_msg(messages))));
        (status(&rt, proxy), stored(&rt, kv, b"k"))
    };
    assert_eq!(run(Reentrancy::Deny), (10, None));
    assert_eq!(run(Reentrancy::Allow), (0, Some(b"back".to_vec())));
}

/// The funds of a message to a contract of another VM are native coins only: another
/// denomination is refused before anything moves.
#[test]
fn coins_in_another_denomination_never_reach_another_vm() {
    let rt = runtime(CallsConfig::default());
    let (kv, echo) = (deploy(&rt, KV_WAT), echo(&rt));
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund_coins(echo, &[Coin { denom: "uatom".into(), amount: 5 }]).unwrap());
    block.commit().unwrap();
    let atom = json!({"id": 1, "reply_on": "never", "msg": {"wasm": {"execute": {
        "contract_addr": human(&rt, &kv), "msg": b64(&cove_msg("set", b"v")),
        "funds": [{"denom": "uatom", "amount": "5"}]}}}});
    let r = respond(&rt, echo, vec![atom]);
    let message = failed(&r, ErrorKind::InvalidArgument);
    assert!(message.contains("native denomination ucove, not uatom"), "{message}");
    assert_eq!(rt.at(None).unwrap().coins(&echo).unwrap(), vec![Coin { denom: "uatom".into(), amount: 5 }]);
    assert_eq!(stored(&rt, kv, b"k"), None);
}

/// A CosmWasm contract entered from another VM is on the call stack of the messages
/// between CosmWasm contracts below it too: echo (CosmWasm, the transaction) -> proxy
/// (cove) -> echo2 (CosmWasm) -> echo again.
#[test]
fn a_cosmwasm_contract_entered_from_another_vm_cannot_be_reentered_under_deny() {
    let run = |reentrancy: Reentrancy| {
        let rt = runtime(CallsConfig { reentrancy, ..CallsConfig::default() });
        let (proxy, echo, echo2) = (deploy(&rt, PROXY_WAT), echo(&rt), self::echo(&rt));
        let back = respond_msg(vec![execute(&rt, 1, echo, &respond_msg(Vec::new()), 0, "never")]);
        let through = forward(false, echo2, 0, 0, "execute", &back);
        let r = respond(&rt, echo, vec![execute(&rt, 2, proxy, &cove_msg("forward", &through), 0, "never")]);
        ok(&r);
        (status(&rt, proxy), stored(&rt, echo2, b"last").is_some())
    };
    assert_eq!(run(Reentrancy::Deny), (10, false));
    assert_eq!(run(Reentrancy::Allow), (0, true));
}

/// Every receipt, and the state root after each, of a run of calls across VMs that
/// succeed, fail caught and uncaught, on a fresh data directory.
fn run_across_vms(compiler: cove_runtime::Compiler) -> Vec<(Receipt, Option<cove_runtime::Hash>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.wasm.compiler = compiler;
    let rt = Runtime::open(dir.path(), config).unwrap();
    let (proxy, echo, kv, erc20) =
        (deploy(&rt, PROXY_WAT), echo(&rt), deploy(&rt, KV_WAT), deploy_token(&rt));
    let contract = hackatom(&rt, proxy);
    fund(&rt, echo, 100);
    fund(&rt, proxy, 100);
    let with_gas = |mut sub: Value, gas: u64| {
        sub["gas_limit"] = json!(gas);
        sub
    };
    let pay = calldata(TRANSFER, &[word_addr(&BOB), word_u64(1)]);
    let through_echo = respond_msg(vec![execute(&rt, 5, kv, &cove_msg("set", b"d"), 0, "never")]);
    let transactions: Vec<Box<dyn Fn() -> Receipt>> = vec![
        Box::new(|| respond(&rt, echo, vec![execute(&rt, 1, kv, &cove_msg("set", b"a"), 10, "always")])),
        Box::new(|| {
            respond(&rt, echo, vec![execute(&rt, 2, kv, &cove_msg("set_then_abort", b"b"), 0, "error")])
        }),
        Box::new(|| {
            let spin = with_gas(execute(&rt, 3, kv, &cove_msg("set_then_spin", b"c"), 0, "never"), 200_000);
            respond(&rt, echo, vec![spin])
        }),
        Box::new(|| respond(&rt, echo, vec![with_gas(execute(&rt, 4, erc20, &pay, 0, "always"), 1_000_000)])),
        Box::new(|| {
            call(&rt, proxy, "forward", forward(false, contract, 20, 0, "execute", br#"{"release":{}}"#))
        }),
        Box::new(|| {
            call(&rt, proxy, "forward", forward(false, contract, 0, 0, "execute", br#"{"panic":{}}"#))
        }),
        Box::new(|| call(&rt, proxy, "forward", forward(false, echo, 0, 0, "execute", &through_echo))),
    ];
    let out = transactions.iter().map(|run| (run(), rt.block_record(None).unwrap().root)).collect();
    assert_eq!(stored(&rt, kv, b"k").as_deref(), Some(&b"d"[..]), "the last call wrote");
    out
}

#[test]
fn calls_across_vms_give_identical_gas_events_and_roots_in_every_mode() {
    use cove_runtime::Compiler;
    let baseline = run_across_vms(Compiler::Baseline);
    assert!(baseline.iter().all(|(_, root)| root.is_some()), "an authenticated store has roots");
    let outcomes: Vec<bool> = baseline.iter().map(|(r, _)| r.is_ok()).collect();
    assert_eq!(outcomes, [true, true, false, true, true, true, true], "the spin runs out of gas uncaught");
    for mode in [Compiler::Optimizing, Compiler::Interpreter, Compiler::Hybrid] {
        assert_eq!(baseline, run_across_vms(mode), "{mode:?}");
    }
    assert_eq!(baseline, run_across_vms(Compiler::Baseline), "and on a second fresh data directory");
}
