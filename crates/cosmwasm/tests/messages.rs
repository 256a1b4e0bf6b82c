//! Messages, sub-messages and queries, driven by a scripted module (WAT) whose `execute`
//! answers with the message it was sent: the test writes the `ContractResult<Response>`
//! the contract returns, so any response can be tried without compiling a contract.
//! Covers `Instantiate2`, `reply_on` never/success/error/always with each sub-message's
//! writes and events rolled back alone, and unsupported queries and messages.

use std::sync::Arc;

use base64::Engine as _;
use cove_cosmwasm::{Action, Config, CosmWasmVm, Request};
use serde_json::{Value, json};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, CodeId, ErrorKind};
use vm::Outcome;

/// A scripted contract. `instantiate` answers `{"ok":{}}`. `execute` stores its message
/// under `last` and returns it as its result, so the message *is* the
/// `ContractResult<Response>`. `reply` stores the `Reply` it gets under `replied` and
/// answers `{"ok":{}}`. `query` passes its message to `query_chain`, prints the answer
/// with `debug` and returns `{"ok":""}`.
const ECHO: &str = r#"(module
  (import "env" "db_write" (func $db_write (param i32 i32)))
  (import "env" "query_chain" (func $query_chain (param i32) (result i32)))
  (import "env" "debug" (func $debug (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "last")
  (data (i32.const 110) "replied")
  (data (i32.const 120) "{\"ok\":{}}")
  (data (i32.const 140) "{\"ok\":\"\"}")
  ;; regions {offset, capacity, length}: "last", "replied", {"ok":{}}, {"ok":""}
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

struct Chain {
    vm: CosmWasmVm,
    journal: Journal,
    code: Vec<u8>,
}

const SENDER: Address = Address([0x5e; 20]);

impl Chain {
    fn new() -> Chain {
        Chain::with(Config::default())
    }

    fn with(config: Config) -> Chain {
        let engine = wasm::Engine::new(wasm::Config::default()).unwrap();
        Chain {
            vm: CosmWasmVm::new(engine, config).unwrap(),
            journal: Journal::new(Arc::new(MemBackend::new())),
            code: wat::parse_str(ECHO).unwrap(),
        }
    }

    fn run(&mut self, action: Action<'_>, msg: &[u8]) -> Outcome {
        self.run_debug(action, msg).0
    }

    /// Runs a request as the runtime does (reverted on failure): the outcome and what
    /// the contract printed.
    fn run_debug(&mut self, action: Action<'_>, msg: &[u8]) -> (Outcome, Vec<String>) {
        let cp = self.journal.checkpoint();
        let request = Request { sender: SENDER, action, msg, funds: &[], gas_limit: None };
        let block = BlockInfo { height: 1, timestamp: 1 };
        let (o, debug) = self.vm.run(&mut self.journal, &block, request).unwrap();
        if o.is_ok() {
            self.journal.accept(cp);
        } else {
            self.journal.revert(cp);
        }
        (o, debug)
    }

    /// What `contract` stored under `key`, as text.
    fn stored(&self, contract: Address, key: &str) -> Option<String> {
        let value = self.journal.get(&vm::keys::storage(&contract, key.as_bytes())).unwrap()?;
        Some(String::from_utf8(value).unwrap())
    }

    fn deploy(&mut self) -> Address {
        let code = self.code.clone();
        let o = self.run(Action::Instantiate { code: &code, label: "echo", admin: None }, b"{}");
        o.address.unwrap_or_else(|| panic!("{o:?}"))
    }

    /// Executes `contract`, which returns `response` as its `Response`.
    fn respond(&mut self, contract: Address, response: Value) -> Outcome {
        let result = serde_json::to_vec(&json!({ "ok": response })).unwrap();
        self.run(Action::Execute { contract }, &result)
    }
}

fn instantiate2(salt: &[u8]) -> Value {
    json!({"messages": [{
        "id": 0,
        "msg": {"wasm": {"instantiate2": {
            "admin": null, "code_id": 1, "label": "child", "msg": "e30=", "funds": [],
            "salt": base64::engine::general_purpose::STANDARD.encode(salt),
        }}},
        "reply_on": "never",
    }]})
}

#[test]
fn instantiate2_creates_at_the_predictable_address_once() {
    let mut chain = Chain::new();
    let parent = chain.deploy();
    let o = chain.respond(parent, instantiate2(b"salt"));
    assert!(o.is_ok(), "{o:?}");

    // cosmwasm-std's `instantiate2_address` over (checksum, creator, salt), cut to 20 bytes.
    let checksum = CodeId::of(&chain.code);
    let mut key = b"wasm\0".to_vec();
    for part in [&checksum.0[..], &parent.0[..], b"salt", b""] {
        key.extend_from_slice(&(part.len() as u64).to_be_bytes());
        key.extend_from_slice(part);
    }
    let mut input = types::sha256(b"module").to_vec();
    input.extend_from_slice(&key);
    let expected = Address(types::sha256(&input)[..20].try_into().unwrap());
    let child =
        vm::load_contract(&chain.journal, &expected).unwrap().expect("a contract at the predicted address");
    assert_eq!(child.creator, parent);
    let human = chain.vm.addresses().humanize(&expected);
    let instantiated = o.events.iter().find(|e| e.topics[0] == b"instantiate").unwrap();
    assert!(String::from_utf8_lossy(&instantiated.data).contains(&human), "{instantiated:?}");

    // The same salt again: the address is taken, and the whole transaction fails.
    let e = chain.respond(parent, instantiate2(b"salt")).result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e:?}");
    assert!(e.message.contains("already exists"), "{e:?}");

    // Salts of 0 or more than 64 bytes are refused, as by wasmd.
    for salt in [&b""[..], &[7u8; 65][..]] {
        let e = chain.respond(parent, instantiate2(salt)).result.unwrap_err();
        assert!(e.message.contains("salt is 1 to 64 bytes"), "{e:?}");
    }
    assert!(chain.respond(parent, instantiate2(&[7u8; 64])).is_ok());
}

/// A response whose one sub-message executes `child` with `child_result` as the child's
/// own `ContractResult<Response>`.
fn call_child(child: &str, child_result: Value, reply_on: &str) -> Value {
    let msg = base64::engine::general_purpose::STANDARD.encode(child_result.to_string());
    json!({"messages": [{
        "id": 7,
        "payload": "cGF5",
        "msg": {"wasm": {"execute": {"contract_addr": child, "msg": msg, "funds": []}}},
        "reply_on": reply_on,
    }]})
}

#[test]
fn a_caught_sub_message_failure_undoes_only_its_own_writes() {
    let mut chain = Chain::new();
    let (parent, child) = (chain.deploy(), chain.deploy());
    let child_human = chain.vm.addresses().humanize(&child);
    let boom = json!({"error": "boom"});

    // reply_on error: the child's write is undone, the parent's kept, reply sees the error.
    let o = chain.respond(parent, call_child(&child_human, boom.clone(), "error"));
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(chain.stored(child, "last"), None, "the failed child's write is rolled back");
    assert!(chain.stored(parent, "last").is_some(), "the parent's own write stays");
    let reply: Value = serde_json::from_str(&chain.stored(parent, "replied").unwrap()).unwrap();
    assert_eq!((&reply["id"], &reply["payload"]), (&json!(7), &json!("cGF5")));
    assert!(reply["result"]["error"].as_str().unwrap().contains("boom"), "{reply}");
    assert!(o.events.iter().all(|e| e.contract != child), "the failed child's events are dropped");
}

#[test]
fn an_uncaught_failure_fails_the_whole_transaction() {
    for reply_on in ["never", "success"] {
        let mut chain = Chain::new();
        let (parent, child) = (chain.deploy(), chain.deploy());
        let child_human = chain.vm.addresses().humanize(&child);
        let before = chain.journal.changes();
        let o = chain.respond(parent, call_child(&child_human, json!({"error": "boom"}), reply_on));
        let e = o.result.unwrap_err();
        assert!(e.message.contains("boom"), "{reply_on}: {e:?}");
        assert_eq!(chain.journal.changes(), before, "{reply_on}: nothing is left behind");
    }
}

#[test]
fn success_replies_see_the_result_and_keep_the_writes() {
    for (reply_on, replied) in [("success", true), ("always", true), ("error", false), ("never", false)] {
        let mut chain = Chain::new();
        let (parent, child) = (chain.deploy(), chain.deploy());
        let child_human = chain.vm.addresses().humanize(&child);
        let ok = json!({"ok": {"attributes": [{"key": "k", "value": "v"}], "data": "ZGF0YQ=="}});
        let o = chain.respond(parent, call_child(&child_human, ok, reply_on));
        assert!(o.is_ok(), "{reply_on}: {o:?}");
        assert!(chain.stored(child, "last").is_some(), "{reply_on}: the child's write stays");
        let reply = chain.stored(parent, "replied");
        assert_eq!(reply.is_some(), replied, "{reply_on}: {reply:?}");
        if let Some(reply) = reply {
            let reply: Value = serde_json::from_str(&reply).unwrap();
            // The child's events, wasmd-style, and its data.
            let events = &reply["result"]["ok"]["events"];
            assert!(events.as_array().unwrap().iter().any(|e| e["type"] == "wasm"), "{reply}");
            assert_eq!(reply["result"]["ok"]["data"], "ZGF0YQ==", "{reply}");
        }
    }
    // reply_on always with a failure: reply runs, the child's write is undone.
    let mut chain = Chain::new();
    let (parent, child) = (chain.deploy(), chain.deploy());
    let child_human = chain.vm.addresses().humanize(&child);
    assert!(chain.respond(parent, call_child(&child_human, json!({"error": "boom"}), "always")).is_ok());
    assert_eq!(chain.stored(child, "last"), None);
    assert!(chain.stored(parent, "replied").unwrap().contains("boom"));
}

#[test]
fn unsupported_queries_and_messages_fail_cleanly() {
    let mut chain = Chain::new();
    let contract = chain.deploy();
    for (query, kind) in [
        (json!({"grpc": {"path": "/cosmos.bank.v1beta1.Query/Balance", "data": ""}}), "unsupported_request"),
        (json!({"custom": {}}), "unsupported_request"),
        (
            json!({"stargate": {"path": "/cosmos.bank.v1beta1.Query/Balance", "data": ""}}),
            "unsupported_request",
        ),
        (json!({"ibc": {"port_id": {}}}), "unsupported_request"),
    ] {
        let (o, debug) = chain.run_debug(Action::Query { contract }, query.to_string().as_bytes());
        assert!(o.is_ok(), "{query}: {o:?}");
        // What query_chain answered the contract: a SystemError, not a failure of the call.
        let answer: Value = serde_json::from_str(&debug[0]).unwrap();
        assert!(answer["error"].get(kind).is_some(), "{query}: {answer}");
    }
    let ibc = json!({"messages": [{"id": 0, "msg": {"ibc": {"close_channel": {"channel_id": "c"}}}, "reply_on": "never"}]});
    let e = chain.respond(contract, ibc).result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e:?}");
    assert!(e.message.contains("\"ibc\""), "{e:?}");
    // A staking message runs in the staking module: an unknown validator is not found.
    let staking = json!({"messages": [{"id": 0, "msg": {"staking": {"delegate": {"validator": "v", "amount": {"denom": "ucove", "amount": "1"}}}}, "reply_on": "never"}]});
    let e = chain.respond(contract, staking).result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(e.message.contains("validator v does not exist"), "{e:?}");
    let any = json!({"messages": [{"id": 0, "msg": {"any": {"type_url": "/cosmos.authz.v1beta1.MsgExec", "value": ""}}, "reply_on": "never"}]});
    let e = chain.respond(contract, any).result.unwrap_err();
    assert!(e.message.contains("unsupported protobuf message"), "{e:?}");
}

#[test]
fn a_chain_without_the_modules_capabilities_runs_their_messages_as_unsupported() {
    // As a chain configured before the modules existed recorded its capabilities.
    let mut config = Config::default();
    config.capabilities.retain(|c| c != "staking" && c != "stargate");
    let mut chain = Chain::with(config);
    let contract = chain.deploy();
    for query in [
        json!({"staking": {"all_validators": {}}}),
        json!({"distribution": {"delegator_validators": {"delegator_address": "x"}}}),
    ] {
        let (o, debug) = chain.run_debug(Action::Query { contract }, query.to_string().as_bytes());
        assert!(o.is_ok(), "{query}: {o:?}");
        let answer: Value = serde_json::from_str(&debug[0]).unwrap();
        assert!(answer["error"].get("unsupported_request").is_some(), "{query}: {answer}");
    }
    for (msg, capability) in [
        (
            json!({"staking": {"delegate": {"validator": "v", "amount": {"denom": "ucove", "amount": "1"}}}}),
            "staking",
        ),
        (json!({"distribution": {"set_withdraw_address": {"address": "x"}}}), "staking"),
        (json!({"gov": {"vote": {"proposal_id": 1, "option": "yes"}}}), "stargate"),
        (json!({"any": {"type_url": "/cosmos.bank.v1beta1.MsgSend", "value": ""}}), "stargate"),
    ] {
        let sent = json!({"messages": [{"id": 0, "msg": msg, "reply_on": "never"}]});
        let e = chain.respond(contract, sent).result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e:?}");
        // The text it always had: a contract's reply sees it.
        let kind = msg.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            e.message,
            format!("unsupported message kind {kind:?} (cove runs bank and wasm messages)"),
            "{capability}"
        );
    }
}

/// What a [`Recorder`] saw of one nested message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    depth: u32,
    callers: Vec<Address>,
    sender: Address,
    entry: String,
    input: Vec<u8>,
    value: vm::Balance,
    read_only: bool,
}

/// A runtime's dispatch stand-in: records each message and answers `answer` with 5
/// gas; admits messages up to depth `max_depth`.
struct Recorder {
    seen: std::sync::Mutex<Vec<Seen>>,
    max_depth: u32,
}

impl vm::Dispatch for Recorder {
    fn dispatch(
        &self,
        _: &mut Journal,
        env: &vm::Env<'_>,
        msg: vm::Message<'_>,
    ) -> Result<Outcome, vm::VmError> {
        self.seen.lock().unwrap().push(Seen {
            depth: env.depth,
            callers: env.callers.to_vec(),
            sender: msg.sender,
            entry: msg.entry.to_string(),
            input: msg.input,
            value: msg.value,
            read_only: msg.read_only,
        });
        Ok(Outcome {
            result: Ok(b"answer".to_vec()),
            gas_used: 5,
            events: Vec::new(),
            address: None,
            code_id: None,
        })
    }

    fn admits(&self, env: &vm::Env<'_>, _: &Address) -> Option<types::CallError> {
        (env.depth + 1 > self.max_depth).then(|| types::CallError::new(ErrorKind::CallDepth, "too deep"))
    }
}

/// A contract of cove's ABI (its record only) at `address`.
fn cove_contract(journal: &mut Journal, address: Address) {
    let info = vm::ContractInfo {
        vm: types::VmType::Wasm,
        code_id: CodeId([9; 32]),
        creator: SENDER,
        admin: None,
        created_height: 1,
        flags: vm::AppFlags::DEFAULT,
    };
    journal.set(&vm::keys::contract(&address), &info.encode());
}

/// Executes `contract` (answering `response`) in an environment at depth 3 inside
/// `caller`'s call, with `recorder` as the dispatch.
fn respond_in_env(
    chain: &mut Chain,
    recorder: &Arc<Recorder>,
    contract: Address,
    response: Value,
) -> Outcome {
    let dispatch: Arc<dyn vm::Dispatch> = recorder.clone();
    let block = BlockInfo { height: 1, timestamp: 1 };
    let callers = [Address([0xca; 20])];
    let env = vm::Env { block: &block, depth: 3, dispatch: &dispatch, callers: &callers };
    let msg = serde_json::to_vec(&json!({ "ok": response })).unwrap();
    let request = Request {
        sender: SENDER,
        action: Action::Execute { contract },
        msg: &msg,
        funds: &[],
        gas_limit: None,
    };
    chain.vm.run_in_env(&mut chain.journal, &env, Some(0), request).unwrap().0
}

#[test]
fn a_message_to_another_vm_goes_to_the_dispatch_one_level_down_inside_its_senders() {
    let mut chain = Chain::new();
    let echo = chain.deploy();
    let other = Address([0x0c; 20]);
    cove_contract(&mut chain.journal, other);
    let recorder = Arc::new(Recorder { seen: Default::default(), max_depth: 16 });
    let msg = base64::engine::general_purpose::STANDARD.encode(br#"{"entry":"set","input":"aGk="}"#);
    let response = json!({"messages": [{"id": 1, "reply_on": "success", "msg": {"wasm": {"execute": {
        "contract_addr": chain.vm.addresses().humanize(&other), "msg": msg,
        "funds": [{"denom": "ucove", "amount": "7"}]}}}}]});
    let o = respond_in_env(&mut chain, &recorder, echo, response);
    assert!(o.is_ok(), "{o:?}");
    // Sent from the echo's frame (depth 3), the echo last on the call stack.
    let expected = Seen {
        depth: 3,
        callers: vec![Address([0xca; 20]), echo],
        sender: echo,
        entry: "set".into(),
        input: b"hi".to_vec(),
        value: vm::Balance::from_u128(7),
        read_only: false,
    };
    assert_eq!(recorder.seen.lock().unwrap().as_slice(), &[expected]);
    let reply: Value = serde_json::from_str(&chain.stored(echo, "replied").unwrap()).unwrap();
    assert_eq!(reply["result"]["ok"]["data"], "YW5zd2Vy", "the callee's result is the data");
    assert!(reply["gas_used"].as_u64().unwrap() >= 5, "the callee's gas is paid: {reply}");

    // A smart query of it: read-only, from the querier's frame, the answer its result.
    let dispatch: Arc<dyn vm::Dispatch> = recorder.clone();
    let block = BlockInfo { height: 1, timestamp: 1 };
    let env = vm::Env { block: &block, depth: 3, dispatch: &dispatch, callers: &[] };
    let query =
        json!({"wasm": {"smart": {"contract_addr": chain.vm.addresses().humanize(&other), "msg": msg}}});
    let query = serde_json::to_vec(&query).unwrap();
    let request = Request {
        sender: SENDER,
        action: Action::Query { contract: echo },
        msg: &query,
        funds: &[],
        gas_limit: None,
    };
    let (o, debug) = chain.vm.run_in_env(&mut chain.journal, &env, None, request).unwrap();
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(debug, [r#"{"ok":{"ok":"YW5zd2Vy"}}"#]);
    let seen = recorder.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (seen.depth, seen.callers, seen.read_only, seen.value),
        (3, vec![echo], true, vm::Balance::ZERO)
    );

    // Alone (no runtime), the VM refuses it.
    let o = chain.respond(
        echo,
        json!({"messages": [{"id": 1, "reply_on": "never", "msg": {"wasm": {"execute": {
        "contract_addr": chain.vm.addresses().humanize(&other), "msg": msg, "funds": []}}}}]}),
    );
    assert_eq!(o.result.unwrap_err().kind, ErrorKind::InvalidArgument);
}

#[test]
fn messages_between_cosmwasm_contracts_obey_the_runtime_depth_limit() {
    let mut chain = Chain::new();
    let (parent, child) = (chain.deploy(), chain.deploy());
    let child_human = chain.vm.addresses().humanize(&child);
    // The transaction runs at depth 3: its message to the child would run at depth 4.
    for (max_depth, ok) in [(4, true), (3, false)] {
        let recorder = Arc::new(Recorder { seen: Default::default(), max_depth });
        let o = respond_in_env(
            &mut chain,
            &recorder,
            parent,
            call_child(&child_human, json!({"ok": {}}), "never"),
        );
        match o.result {
            Ok(_) => assert!(ok, "max depth {max_depth}"),
            Err(e) => assert!(!ok && e.kind == ErrorKind::CallDepth, "max depth {max_depth}: {e:?}"),
        }
    }
}

#[test]
fn smart_queries_between_cosmwasm_contracts_obey_the_runtime_depth_limit() {
    let mut chain = Chain::new();
    let (querier, queried) = (chain.deploy(), chain.deploy());
    let query = json!({"wasm": {"smart": {
        "contract_addr": chain.vm.addresses().humanize(&queried),
        "msg": base64::engine::general_purpose::STANDARD.encode(br#"{"bank":{"all_balances":{"address":"x"}}}"#),
    }}});
    let query = serde_json::to_vec(&query).unwrap();
    // The querier runs at depth 3: the queried contract would run at depth 4.
    let mut answers = Vec::new();
    for max_depth in [4, 3] {
        let dispatch: Arc<dyn vm::Dispatch> = Arc::new(Recorder { seen: Default::default(), max_depth });
        let block = BlockInfo { height: 1, timestamp: 1 };
        let env = vm::Env { block: &block, depth: 3, dispatch: &dispatch, callers: &[] };
        let action = Action::Query { contract: querier };
        let request = Request { sender: SENDER, action, msg: &query, funds: &[], gas_limit: None };
        let (o, debug) = chain.vm.run_in_env(&mut chain.journal, &env, None, request).unwrap();
        assert!(o.is_ok(), "{o:?}");
        answers.push(debug[0].clone());
    }
    // Within the limit the queried contract ran (its own query's answer, `""`).
    assert_eq!(answers, [r#"{"ok":{"ok":""}}"#, r#"{"error":{"exceeded_recursion_limit":{}}}"#]);
}
