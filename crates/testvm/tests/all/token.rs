//! The Rust token (`examples/rust/token`).

use cove_testvm::{Address, CallError, Decode, ErrorKind, TestVM};

use crate::contract;

/// Alice deploys "Cove"/"COV" with 1,000; returns the VM, the token, alice and bob.
fn setup() -> (TestVM, Address, Address, Address) {
    let mut vm = TestVM::new();
    let alice = vm.create_account(1_000_000).unwrap();
    let bob = vm.create_account(0).unwrap();
    vm.set_caller(alice);
    let token = vm.deploy(&contract("token"), "init", ("Cove", "COV", 1000u64)).unwrap();
    (vm, token, alice, bob)
}

#[test]
fn alice_pays_bob_100() {
    let (mut vm, token, alice, bob) = setup();
    assert_eq!(vm.call_view::<String>(&token, "name", ()).unwrap(), "Cove");
    assert_eq!(vm.call_view::<String>(&token, "symbol", ()).unwrap(), "COV");
    assert_eq!(vm.call_view::<u64>(&token, "total_supply", ()).unwrap(), 1000);

    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    assert!(vm.last_gas() > 0);
    let events = vm.last_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].contract.0, token.0);
    assert_eq!(events[0].topics, vec![b"transfer".to_vec()]);
    let (from, to, amount) = <(Address, Address, u64)>::decode(&events[0].data).unwrap();
    assert_eq!((from, to, amount), (alice, bob, 100));

    assert_eq!(vm.call_view::<u64>(&token, "balance", alice).unwrap(), 900);
    assert_eq!(vm.call_view::<u64>(&token, "balance", bob).unwrap(), 100);
}

#[test]
fn an_overdraft_is_refused_and_changes_nothing() {
    let (mut vm, token, alice, bob) = setup();
    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    let before = vm.storage(&token).unwrap();

    vm.set_caller(bob);
    let err = vm.call::<()>(&token, "transfer", (alice, 101u64)).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Aborted), "{err}");
    assert_eq!(err.message(), Some("insufficient balance"));
    assert!(vm.last_gas() > 0, "a failed call still costs gas");
    assert!(vm.last_events().is_empty());
    assert_eq!(vm.storage(&token).unwrap(), before);
}

#[test]
fn balances_live_under_b_and_the_address() {
    let (mut vm, token, alice, bob) = setup();
    vm.call::<()>(&token, "transfer", (bob, 250u64)).unwrap();
    let key = |a: &Address| [&b"b"[..], &a.0].concat();
    assert_eq!(vm.storage_get::<u64>(&token, &key(&alice)).unwrap(), Some(750));
    assert_eq!(vm.storage_get::<u64>(&token, &key(&bob)).unwrap(), Some(250));
    assert_eq!(vm.storage_raw(&token, &key(&bob)).unwrap(), Some(250u64.to_le_bytes().to_vec()));
    assert_eq!(vm.storage_get::<u64>(&token, b"nobody").unwrap(), None);
    // A stored string does not decode as a number: a decode error, not a panic.
    let err = vm.storage_get::<u64>(&token, b"symbol").unwrap_err();
    assert!(matches!(err, CallError::Decode { .. }), "{err}");
}

#[test]
fn a_result_of_the_wrong_type_is_a_decode_error() {
    let (mut vm, token, _, _) = setup();
    let err = vm.call_view::<u32>(&token, "total_supply", ()).unwrap_err();
    assert!(matches!(err, CallError::Decode { len: 8, .. }), "{err}");
    // The call itself ran: its gas and return data are there.
    assert_eq!(vm.last_call().return_data, 1000u64.to_le_bytes());
}

#[test]
fn bad_arguments_abort_before_the_body() {
    let (mut vm, token, _, bob) = setup();
    let err = vm.call::<()>(&token, "transfer", bob).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Aborted));
    assert_eq!(err.message(), Some("bad input: too short"));
}

#[test]
fn the_gas_is_that_of_the_runtime_itself() {
    let (mut vm, token, alice, bob) = setup();
    let before = vm.snapshot().unwrap();
    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    let harness_gas = vm.last_gas();
    // The same call straight on the runtime underneath, on the same state.
    vm.restore(&before).unwrap();
    let mut block = vm.runtime().begin_block(vm.time()).unwrap();
    let input = sdk::Encode::encode(&(bob, 100u64));
    let receipt =
        block.call(types::Address(alice.0), types::Address(token.0), "transfer", input, None).unwrap();
    assert!(receipt.is_ok());
    assert_eq!(receipt.gas_used, harness_gas);
}

/// `Runtime::profile` of the Rust token's `transfer`: every unit of the call's gas sits
/// in a stack of named Rust functions (host functions as leaves), the total is the gas
/// the same call uses in a block, and nothing is committed.
#[test]
fn a_profile_of_transfer_names_rust_functions_and_holds_all_its_gas() {
    use cove_testvm::Encode;
    let (mut vm, token, alice, bob) = setup();
    let req = runtime::EstimateRequest {
        sender: types::Address(alice.0),
        address: types::Address(token.0),
        method: "transfer",
        input: (bob, 100u64).encode(),
        value: Default::default(),
        cap: None,
    };
    let profiled = vm.runtime().profile(req).unwrap();
    assert!(profiled.receipt.is_ok(), "{:?}", profiled.receipt.result);
    let profile = &profiled.profile;
    assert_eq!(profile.total(), profiled.receipt.gas_used, "{}", profile.folded());
    let stacks: Vec<String> = profile.stacks().map(|(s, _)| s.join(";")).collect();
    assert!(stacks.iter().all(|s| s.starts_with("[transfer];transfer")), "{stacks:#?}");
    for leaf in ["token::transfer;storage_write", "token::transfer;log_event", "token::transfer;storage_read"]
    {
        assert!(stacks.iter().any(|s| s.ends_with(leaf)), "no {leaf} in {stacks:#?}");
    }
    assert_eq!(vm.call_view::<u64>(&token, "balance", bob).unwrap(), 0, "nothing committed");

    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    assert_eq!(vm.last_gas(), profiled.receipt.gas_used, "the same gas as the call in a block");
}

#[test]
fn coverage_from_the_harness_counts_the_token_lines_that_ran() {
    let mut vm = TestVM::new();
    let bob = vm.create_account(0).unwrap();
    let path = cove_testvm::examples::example_with_debug_info_path("token");
    let wasm = std::fs::read(path).unwrap();
    let token = vm.deploy(&wasm, "init", ("Cove", "COV", 1000u64)).unwrap();
    let plain = vm.snapshot().unwrap();
    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    let gas = vm.last_gas();

    vm.restore(&plain).unwrap();
    vm.enable_coverage();
    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    assert_eq!(vm.last_gas(), gas, "a covered call costs what an ordinary one does");
    assert_eq!(vm.call_view::<u64>(&token, "balance", bob).unwrap(), 100);

    let source = std::fs::read_to_string(crate::root().join("examples/rust/token/src/lib.rs")).unwrap();
    let line = |marker: &str| source.lines().position(|l| l.contains(marker)).unwrap() as u32 + 1;
    let coverage = vm.coverage(&[]);
    assert_eq!(coverage.len(), 1);
    let count = |marker| coverage[0].line("token/src/lib.rs", line(marker));
    assert!(count("wrapping_add(amount)").is_some_and(|n| n > 0));
    assert_eq!(count("storage::get_or_default(NAME)"), Some(0));
    let lcov = vm.coverage_lcov();
    assert!(lcov.contains("SF:token/src/lib.rs\n"), "{lcov}");
}
