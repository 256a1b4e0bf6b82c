//! The seam: the factory's registry of VMs and its one dispatch, as a VM's host function
//! will reach it (through `vm::Dispatch`, one level below its caller).

use std::sync::Arc;

use cove_runtime::{Balance, Config, Runtime};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, ErrorKind, VmType};
use vm::{Dispatch, Env, Message, Target};

use crate::support::{ALICE, BOB, T0, deploy_committed, failed, kv, ok};

/// Init code returning a one-byte runtime code (STOP).
const EVM_INIT: [u8; 10] = [0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3];

fn call<'a>(to: Address, entry: &'a str, input: &[u8]) -> Message<'a> {
    Message {
        sender: BOB,
        target: Target::Call(to),
        entry,
        input: input.to_vec(),
        value: Balance::ZERO,
        gas_limit: None,
        read_only: false,
        callee: None,
    }
}

#[test]
fn every_vm_type_is_registered_once_and_answers_for_its_type() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut seen: Vec<VmType> = rt.vms().all().iter().map(|vm| vm.vm_type()).collect();
    seen.sort();
    assert_eq!(seen, VmType::ALL.to_vec());
    for vm_type in VmType::ALL {
        assert_eq!(rt.vms().get(vm_type).vm_type(), vm_type);
    }
    let compiling: Vec<VmType> =
        rt.vms().all().iter().filter(|vm| vm.modules().is_some()).map(|vm| vm.vm_type()).collect();
    // CosmWasm's cache claims only code it numbered, so it is asked before cove's WASM.
    assert_eq!(compiling, vec![VmType::CosmWasm, VmType::Wasm]);
    assert_eq!(rt.vms().for_account().vm_type(), VmType::Evm);
}

#[test]
fn a_dispatched_message_runs_on_the_contracts_vm_and_a_failed_one_leaves_nothing() {
    let backend = Arc::new(MemBackend::new());
    let rt = Runtime::with_backend(backend.clone(), Config::default()).unwrap();
    let kv = deploy_committed(&rt, ALICE, &kv(), None);
    let block = BlockInfo { height: 2, timestamp: T0 };
    let dispatch: &dyn Dispatch = rt.vms();
    let env = Env::detached(&block);
    let mut journal = Journal::new(backend);

    ok(&dispatch.dispatch(&mut journal, &env, call(kv, "set", b"first")).unwrap());
    let aborted = dispatch.dispatch(&mut journal, &env, call(kv, "set_then_abort", b"second")).unwrap();
    assert_eq!(failed(&aborted, ErrorKind::Aborted), "boom");
    assert!(aborted.events.is_empty());
    // The failed message's write is gone; the one before it stands.
    let got = dispatch.dispatch(&mut journal, &env, call(kv, "get", b"")).unwrap();
    assert_eq!(ok(&got), b"first");

    let missing = dispatch.dispatch(&mut journal, &env, call(Address([0x77; 20]), "get", b"")).unwrap();
    assert!(failed(&missing, ErrorKind::NotFound).contains("no contract at"));
}

#[test]
fn a_dispatched_gas_limit_above_the_cap_is_the_senders_failure() {
    let backend = Arc::new(MemBackend::new());
    let config = Config::default();
    let rt = Runtime::with_backend(backend.clone(), config.clone()).unwrap();
    let kv = deploy_committed(&rt, ALICE, &kv(), None);
    let block = BlockInfo { height: 2, timestamp: T0 };
    let msg = Message { gas_limit: Some(config.max_tx_gas + 1), ..call(kv, "set", b"x") };
    let out = rt.vms().dispatch(&mut Journal::new(backend), &Env::detached(&block), msg).unwrap();
    assert!(failed(&out, ErrorKind::InvalidArgument).contains("max_tx_gas"));
}

#[test]
fn an_evm_contract_is_not_pinned_tiered_or_upgraded() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.create(VmType::Evm, ALICE, &EVM_INIT, "", Vec::new(), Balance::ZERO, None).unwrap();
    let evm = r.address.expect("created");
    block.commit().unwrap();
    // EVM code is kept with its account, not as stored code a cache could compile.
    let e = rt.pin_contract(&evm).unwrap_err();
    assert!(e.to_string().starts_with("not found: no stored code"), "{e}");
    assert_eq!(rt.tier_of(&evm).unwrap(), None);

    let mut block = rt.begin_block(T0).unwrap();
    let r = block.upgrade(ALICE, evm, &kv(), None).unwrap();
    assert!(failed(&r, ErrorKind::InvalidArgument).contains("only WASM contracts can be upgraded"));
}
