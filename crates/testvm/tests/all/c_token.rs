//! The C token (`examples/c/token.c`, built with `crates/sdk/include/cove.h`): the WAT
//! token's behaviour, its storage layout and events, from C.

use cove_testvm::{Address, Decode, ErrorKind, TestVM};

use crate::contract;

#[test]
fn the_c_token_behaves_as_the_wat_token() {
    let mut vm = TestVM::new();
    let alice = vm.create_account(0).unwrap();
    let bob = vm.create_account(0).unwrap();
    vm.set_caller(alice);
    let token = vm.deploy(&contract("token_c"), "init", 1_000u64).unwrap();

    vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
    let event = &vm.last_events()[0];
    assert_eq!(event.topics, vec![b"transfer".to_vec()]);
    assert_eq!(<(Address, Address, u64)>::decode(&event.data).unwrap(), (alice, bob, 100));
    assert_eq!(vm.call_view::<u64>(&token, "balance", alice).unwrap(), 900);
    assert_eq!(vm.call_view::<u64>(&token, "balance", bob).unwrap(), 100);
    // The WAT token's key layout: "b" ++ address -> u64 LE.
    let key = [&b"b"[..], &bob.0].concat();
    assert_eq!(vm.storage_raw(&token, &key).unwrap(), Some(100u64.to_le_bytes().to_vec()));

    vm.set_caller(bob);
    let err = vm.call::<()>(&token, "transfer", (alice, 101u64)).unwrap_err();
    assert_eq!((err.kind(), err.message()), (Some(ErrorKind::Aborted), Some("insufficient balance")));
    let err = vm.call::<()>(&token, "transfer", alice).unwrap_err();
    assert_eq!(err.message(), Some("bad input"));
}

#[test]
fn the_c_token_deploys_without_an_init_supply() {
    let mut vm = TestVM::new();
    let alice = vm.create_account(0).unwrap();
    vm.set_caller(alice);
    let token = vm.deploy(&contract("token_c"), "init", ()).unwrap();
    assert_eq!(vm.call_view::<u64>(&token, "balance", alice).unwrap(), 1_000_000);
}

/// `cove.h` declares exactly the host functions of cove's ABI, in its order.
#[test]
fn the_c_header_declares_every_host_function() {
    let header = std::fs::read_to_string(crate::root().join("crates/sdk/include/cove.h")).unwrap();
    let declared: Vec<&str> = header
        .lines()
        .filter_map(|line| line.strip_prefix("COVE_IMPORT("))
        .filter_map(|rest| rest.split(')').next())
        .collect();
    let abi: Vec<&str> = wasm::abi::HOST_FUNCTIONS.iter().map(|f| f.name).collect();
    assert_eq!(declared, abi);
}
