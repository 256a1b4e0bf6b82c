//! Messages a contract returns, driven by an "echo" module (WAT) whose `execute`
//! answers with the message it was sent: the test writes the `ContractResult<Response>`
//! the contract returns, so any message can be tried without compiling a contract.

use std::sync::Arc;

use base64::Engine as _;
use cove_cosmwasm::{Action, Config, CosmWasmVm, Request};
use serde_json::{Value, json};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, CodeId, ErrorKind};
use vm::Outcome;

/// `instantiate` answers `{"ok":{}}`; `execute` returns its message region as its result.
const ECHO: &str = r#"(module
  (memory (export "memory") 2)
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
    (i32.store (i32.const 1000) (i32.const 0x6b6f227b))
    (i32.store (i32.const 1004) (i32.const 0x7d7b3a22))
    (i32.store8 (i32.const 1008) (i32.const 0x7d))
    (i32.store (i32.const 900) (i32.const 1000))
    (i32.store (i32.const 904) (i32.const 9))
    (i32.store (i32.const 908) (i32.const 9))
    (i32.const 900))
  (func (export "execute") (param i32 i32 i32) (result i32)
    (local.get 2)))"#;

struct Chain {
    vm: CosmWasmVm,
    journal: Journal,
    code: Vec<u8>,
}

const SENDER: Address = Address([0x5e; 20]);

impl Chain {
    fn new() -> Chain {
        let engine = wasm::Engine::new(wasm::Config::default()).unwrap();
        Chain {
            vm: CosmWasmVm::new(engine, Config::default()).unwrap(),
            journal: Journal::new(Arc::new(MemBackend::new())),
            code: wat::parse_str(ECHO).unwrap(),
        }
    }

    fn run(&mut self, action: Action<'_>, msg: &[u8]) -> Outcome {
        let cp = self.journal.checkpoint();
        let request = Request { sender: SENDER, action, msg, funds: &[], gas_limit: None };
        let block = BlockInfo { height: 1, timestamp: 1 };
        let (o, _) = self.vm.run(&mut self.journal, &block, request).unwrap();
        if o.is_ok() {
            self.journal.accept(cp);
        } else {
            self.journal.revert(cp);
        }
        o
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
