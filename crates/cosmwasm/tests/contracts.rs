//! The CosmWasm VM against real CosmWasm contracts: hackatom, cyberpunk, empty and
//! corrupted, the compiled test contracts cosmwasm-vm ships (copied by
//! `../shared/tools/cosmwasm-fixtures.sh`, never committed). A missing fixture fails.

use std::sync::Arc;

use cove_cosmwasm::{Action, Coin, Config, CosmWasmVm, Request};
use serde_json::{Value, json};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, ErrorKind};
use vm::Outcome;

fn fixture(name: &str) -> Vec<u8> {
    bench::fixtures::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// A chain under the default execution mode, mirrored by one chain per other tier
/// (Cranelift only, the Pulley interpreter): every request runs on all of them, which
/// must agree exactly on outcome, debug output and state changes.
struct Chain {
    vm: CosmWasmVm,
    journal: Journal,
    block: BlockInfo,
    mirrors: Vec<(wasm::Compiler, CosmWasmVm, Journal)>,
}

const CREATOR: Address = Address([0xc1; 20]);
const VERIFIER: Address = Address([0xaa; 20]);
const BENEFICIARY: Address = Address([0xbb; 20]);
const STRANGER: Address = Address([0xee; 20]);

impl Chain {
    fn new() -> Chain {
        Chain::with_config(Config::default())
    }

    fn with_config(config: Config) -> Chain {
        let vm = |compiler| {
            let engine = wasm::Engine::new(wasm::Config { compiler, ..wasm::Config::default() }).unwrap();
            CosmWasmVm::new(engine, config.clone()).unwrap()
        };
        let journal = || Journal::new(Arc::new(MemBackend::new()));
        let mirrors = [wasm::Compiler::Optimizing, wasm::Compiler::Interpreter]
            .into_iter()
            .map(|compiler| (compiler, vm(compiler), journal()))
            .collect();
        Chain {
            vm: vm(wasm::Compiler::default()),
            journal: journal(),
            block: BlockInfo { height: 7, timestamp: 1_700_000_000 },
            mirrors,
        }
    }

    fn human(&self, a: &Address) -> String {
        self.vm.addresses().humanize(a)
    }

    fn fund(&mut self, to: &Address, coins: &[Coin]) {
        self.vm.bank().mint(&mut self.journal, to, coins).unwrap().unwrap();
        for (_, vm, journal) in &mut self.mirrors {
            vm.bank().mint(journal, to, coins).unwrap().unwrap();
        }
    }

    fn balance(&self, a: &Address, denom: &str) -> u128 {
        self.vm.bank().balance(&self.journal, a, denom).unwrap()
    }

    /// Runs `request` (as transaction `index` of the block if given) on every mode,
    /// asserting they agree, then keeps or reverts its changes as the runtime does.
    fn run_request(
        &mut self,
        request: Request<'_>,
        index: Option<u32>,
        keep: impl Fn(&Outcome) -> bool,
    ) -> (Outcome, Vec<String>) {
        let run = |vm: &CosmWasmVm, journal: &mut Journal| {
            let cp = journal.checkpoint();
            let (outcome, debug) = match index {
                Some(i) => vm.run_in_block(journal, &self.block, i, request).unwrap(),
                None => vm.run(journal, &self.block, request).unwrap(),
            };
            let changes = journal.changes();
            if keep(&outcome) {
                journal.accept(cp);
            } else {
                journal.revert(cp);
            }
            (outcome, debug, changes)
        };
        let (outcome, debug, changes) = run(&self.vm, &mut self.journal);
        for (compiler, vm, journal) in &mut self.mirrors {
            let (o, d, c) = run(vm, journal);
            assert_eq!(o, outcome, "{compiler:?} disagrees with the default mode");
            assert_eq!(d, debug, "{compiler:?}: other debug output");
            assert_eq!(c, changes, "{compiler:?}: other state changes");
        }
        (outcome, debug)
    }

    /// Runs a request as the runtime does: reverted on failure.
    fn run(
        &mut self,
        sender: Address,
        action: Action<'_>,
        msg: Value,
        funds: &[Coin],
    ) -> (Outcome, Vec<String>) {
        let msg = serde_json::to_vec(&msg).unwrap();
        let request = Request { sender, action, msg: &msg, funds, gas_limit: None };
        self.run_request(request, None, Outcome::is_ok)
    }

    fn query(&mut self, contract: Address, msg: Value) -> Result<Value, types::CallError> {
        let (o, _) = self.run(STRANGER, Action::Query { contract }, msg, &[]);
        o.result.map(|bytes| serde_json::from_slice(&bytes).unwrap())
    }
}

fn coins(amount: u128, denom: &str) -> Vec<Coin> {
    vec![Coin { denom: denom.into(), amount }]
}

fn hackatom(chain: &mut Chain) -> Address {
    let code = fixture("hackatom");
    chain.fund(
        &CREATOR,
        &[Coin { denom: "ucove".into(), amount: 1000 }, Coin { denom: "uatom".into(), amount: 50 }],
    );
    let msg = json!({"verifier": chain.human(&VERIFIER), "beneficiary": chain.human(&BENEFICIARY)});
    let funds = [Coin { denom: "uatom".into(), amount: 20 }, Coin { denom: "ucove".into(), amount: 600 }];
    let (o, debug) = chain.run(
        CREATOR,
        Action::Instantiate { code: &code, label: "hack", admin: Some(CREATOR) },
        msg,
        &funds,
    );
    assert!(o.is_ok(), "{o:?}");
    assert!(!debug.is_empty(), "hackatom prints with debug on instantiate");
    o.address.unwrap()
}

#[test]
fn hackatom_instantiate_query_release() {
    let mut chain = Chain::new();
    let contract = hackatom(&mut chain);
    assert_eq!(chain.balance(&contract, "ucove"), 600);
    assert_eq!(chain.balance(&contract, "uatom"), 20);
    assert_eq!(chain.balance(&CREATOR, "ucove"), 400);
    let v = chain.query(contract, json!({"verifier": {}})).unwrap();
    assert_eq!(v, json!({"verifier": chain.human(&VERIFIER)}));

    // Anyone but the verifier: Unauthorized, nothing moves.
    let (o, _) = chain.run(STRANGER, Action::Execute { contract }, json!({"release": {}}), &[]);
    let e = o.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Aborted);
    assert!(e.message.contains("Unauthorized"), "{e:?}");
    assert_eq!(chain.balance(&contract, "ucove"), 600);

    // The verifier: every coin goes to the beneficiary, with wasmd's events and data.
    let (o, _) = chain.run(VERIFIER, Action::Execute { contract }, json!({"release": {}}), &[]);
    assert_eq!(o.result.as_deref(), Ok(&[0xF0, 0x0B, 0xAA][..]), "{o:?}");
    assert_eq!(chain.balance(&contract, "ucove"), 0);
    assert_eq!(chain.balance(&contract, "uatom"), 0);
    assert_eq!(chain.balance(&BENEFICIARY, "ucove"), 600);
    assert_eq!(chain.balance(&BENEFICIARY, "uatom"), 20);
    let wasm = o.events.iter().find(|e| e.topics[0] == b"wasm").expect("a wasm event");
    let attrs: Value = serde_json::from_slice(&wasm.data).unwrap();
    assert_eq!(attrs[0], json!({"key": "_contract_address", "value": chain.human(&contract)}));
    assert_eq!(attrs[1], json!({"key": "action", "value": "release"}));
    assert_eq!(attrs[2], json!({"key": "destination", "value": chain.human(&BENEFICIARY)}));
}

#[test]
fn hackatom_panic_migrate_sudo_and_recursion() {
    let mut chain = Chain::new();
    let contract = hackatom(&mut chain);
    let (o, _) = chain.run(VERIFIER, Action::Execute { contract }, json!({"panic": {}}), &[]);
    let e = o.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Aborted);
    assert!(e.message.contains("This page intentionally faulted"), "{e:?}");

    // Migrate: only the admin; the new verifier shows in the query.
    let code = fixture("hackatom");
    let msg = json!({"verifier": chain.human(&STRANGER)});
    let (o, _) = chain.run(STRANGER, Action::Migrate { contract, code: &code }, msg.clone(), &[]);
    assert_eq!(o.result.unwrap_err().kind, ErrorKind::Unauthorized);
    let (o, _) = chain.run(CREATOR, Action::Migrate { contract, code: &code }, msg, &[]);
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(
        chain.query(contract, json!({"verifier": {}})).unwrap(),
        json!({"verifier": chain.human(&STRANGER)})
    );

    // Sudo moves funds without a sender.
    let msg = json!({"steal_funds": {"recipient": chain.human(&STRANGER), "amount": coins(100, "ucove")}});
    let (o, _) = chain.run(CREATOR, Action::Sudo { contract }, msg, &[]);
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(chain.balance(&STRANGER, "ucove"), 100);

    // A query recursing through query_chain stops at the depth limit.
    let ok = chain.query(contract, json!({"recurse": {"depth": 3, "work": 10}}));
    assert!(ok.is_ok(), "{ok:?}");
    let deep = chain.query(contract, json!({"recurse": {"depth": 50, "work": 1}})).unwrap_err();
    assert!(deep.message.contains("recursion"), "{deep:?}");
}

fn cyberpunk(chain: &mut Chain) -> Address {
    let code = fixture("cyberpunk");
    let (o, _) =
        chain.run(CREATOR, Action::Instantiate { code: &code, label: "cp", admin: None }, json!({}), &[]);
    assert!(o.is_ok(), "{o:?}");
    o.address.unwrap()
}

/// Runs `msg` on cyberpunk with a small gas limit and returns the error kind.
fn cyberpunk_fails(chain: &mut Chain, contract: Address, msg: Value) -> types::CallError {
    let msg = serde_json::to_vec(&msg).unwrap();
    let before = chain.journal.changes();
    let request = Request {
        sender: CREATOR,
        action: Action::Execute { contract },
        msg: &msg,
        funds: &[],
        gas_limit: Some(50_000_000),
    };
    let (o, _) = chain.run_request(request, None, |_| false);
    assert_eq!(chain.journal.changes(), before, "a failure changes nothing once reverted");
    assert!(o.events.is_empty());
    o.result.unwrap_err()
}

#[test]
fn cyberpunk_loops_end_by_gas_or_limits() {
    let mut chain = Chain::new();
    let contract = cyberpunk(&mut chain);
    for name in ["cpu_loop", "storage_loop", "memory_loop"] {
        let e = cyberpunk_fails(&mut chain, contract, json!({ name: {} }));
        assert_eq!(e.kind, ErrorKind::OutOfGas, "{name}: {e:?}");
    }
    let e = cyberpunk_fails(&mut chain, contract, json!({"message_loop": {}}));
    assert!(matches!(e.kind, ErrorKind::OutOfGas | ErrorKind::Aborted), "message_loop: {e:?}");
    // Past the 32 MiB memory limit (512 pages): a clean failure, not a crash.
    let e = cyberpunk_fails(&mut chain, contract, json!({"allocate_large_memory": {"pages": 1024}}));
    assert!(matches!(e.kind, ErrorKind::Aborted | ErrorKind::Trap), "{e:?}");
    let e = cyberpunk_fails(&mut chain, contract, json!({"panic": {}}));
    assert_eq!(e.kind, ErrorKind::Aborted, "{e:?}");
    let e = cyberpunk_fails(&mut chain, contract, json!({"unreachable": {}}));
    assert_eq!(e.kind, ErrorKind::Trap, "{e:?}");
}

#[test]
fn cyberpunk_noop_debug_argon2_and_mirror_env() {
    // cyberpunk's `debug` uses ~3.3 x 10^8 gas: more than the runtime's default cap
    // (`max_tx_gas`, 10^8), which only a node configured for it would admit.
    let config = Config { default_gas_limit: 1_000_000_000, ..Config::default() };
    let mut chain = Chain::with_config(config);
    let contract = cyberpunk(&mut chain);
    let (o, _) = chain.run(CREATOR, Action::Execute { contract }, json!({"noop": {}}), &[]);
    assert!(o.is_ok(), "{o:?}");
    let (o, debug) = chain.run(CREATOR, Action::Execute { contract }, json!({"debug": {}}), &[]);
    assert!(o.is_ok(), "{o:?}");
    assert_eq!(debug.first().map(String::as_str), Some("Hey, ho – let's go"), "{debug:?}");
    assert_eq!(debug.last().map(String::as_str), Some("Work completed, bye"), "{debug:?}");
    let (o, _) = chain.run(
        CREATOR,
        Action::Execute { contract },
        json!({"argon2": {"mem_cost": 256, "time_cost": 1}}),
        &[],
    );
    assert!(o.is_ok(), "{o:?}");
    let env = chain.query(contract, json!({"mirror_env": {}})).unwrap();
    assert_eq!(env["block"]["height"], json!(7));
    assert_eq!(env["block"]["time"], json!("1700000000000000000"));
    assert_eq!(env["block"]["chain_id"], json!("cove-local"));
    assert_eq!(env["contract"]["address"], json!(chain.human(&contract)));
    assert_eq!(env["transaction"], Value::Null, "a query is in no transaction");

    // Executed as the block's fourth transaction, the contract sees index 3.
    let request = Request {
        sender: CREATOR,
        action: Action::Execute { contract },
        msg: br#"{"mirror_env":{}}"#,
        funds: &[],
        gas_limit: None,
    };
    let (o, _) = chain.run_request(request, Some(3), Outcome::is_ok);
    let env: Value = serde_json::from_slice(&o.result.unwrap()).unwrap();
    assert_eq!(env["transaction"], json!({"index": 3}));
}

#[test]
fn empty_deploys_and_corrupted_is_rejected() {
    let mut chain = Chain::new();
    let code = fixture("empty");
    let (o, _) =
        chain.run(CREATOR, Action::Instantiate { code: &code, label: "", admin: None }, json!({}), &[]);
    // empty has no `instantiate`: it deploys (validation passes) and the missing entry point is reported.
    assert_eq!(o.result.unwrap_err().kind, ErrorKind::NotFound);
    assert!(chain.vm_validates(&code));
    let corrupted = fixture("corrupted");
    let (o, _) =
        chain.run(CREATOR, Action::Instantiate { code: &corrupted, label: "", admin: None }, json!({}), &[]);
    assert_eq!(o.result.unwrap_err().kind, ErrorKind::Validation);
}

#[test]
fn capabilities_are_checked_at_deploy() {
    let code = fixture("cyberpunk");
    let engine = wasm::Engine::new(wasm::Config::default()).unwrap();
    let config = Config { capabilities: vec!["iterator".into()], ..Config::default() };
    let vm = CosmWasmVm::new(engine, config).unwrap();
    let e = vm::VirtualMachine::validate_code(&vm, &code).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.message.contains("cosmwasm_1_1, cosmwasm_1_2, cosmwasm_1_3"), "{e:?}");
}

#[test]
fn the_same_sequence_gives_identical_gas_events_and_state() {
    let run = || {
        let mut chain = Chain::new();
        let contract = hackatom(&mut chain);
        let (o, _) = chain.run(VERIFIER, Action::Execute { contract }, json!({"release": {}}), &[]);
        (o, chain.journal.changes())
    };
    let (a, b) = (run(), run());
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
}

impl Chain {
    fn vm_validates(&self, code: &[u8]) -> bool {
        vm::VirtualMachine::validate_code(&self.vm, code).is_ok()
    }
}
