//! A failed transaction leaves state exactly as before it and emits nothing.

use cove_runtime::Runtime;
use types::{Address, CodeId, ErrorKind, Event};

use crate::support::*;

#[test]
fn token_transfer_over_balance_aborts_and_changes_nothing() {
    let rt = mem_runtime();
    let token_addr = deploy_committed(&rt, ALICE, &token(), Some(("init", Vec::new())));
    assert_eq!(balance(&rt, token_addr, ALICE), 1_000_000);

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.call(ALICE, token_addr, "transfer", transfer_input(BOB, 100), None).unwrap();
    ok(&r);
    let mut data = ALICE.0.to_vec();
    data.extend_from_slice(&BOB.0);
    data.extend_from_slice(&100u64.to_le_bytes());
    assert_eq!(r.events, vec![Event { contract: token_addr, topics: vec![b"transfer".to_vec()], data }]);
    block.commit().unwrap();
    let state = rt.contract_state(&token_addr).unwrap();

    let mut block = rt.begin_block(T0 + 2).unwrap();
    let r = block.call(ALICE, token_addr, "transfer", transfer_input(BOB, 1_000_000), None).unwrap();
    assert_eq!(failed(&r, ErrorKind::Aborted), "insufficient balance");
    assert!(r.gas_used > 0);
    let r = block.call(BOB, token_addr, "transfer", transfer_input(ALICE, 101), None).unwrap();
    assert_eq!(failed(&r, ErrorKind::Aborted), "insufficient balance");
    // Inside the same block, the failed transfers are invisible too.
    let r = block.call(BOB, token_addr, "balance", BOB.0.to_vec(), None).unwrap();
    assert_eq!(ok(&r), u64le(100));
    block.commit().unwrap();

    assert_eq!(balance(&rt, token_addr, ALICE), 999_900);
    assert_eq!(balance(&rt, token_addr, BOB), 100);
    assert_eq!(rt.contract_state(&token_addr).unwrap(), state);
}

/// Deploys kv with "k" = "v1", committed.
fn kv_with_v1(rt: &Runtime) -> Address {
    let a = deploy_committed(rt, ALICE, &kv(), None);
    ok(&call_committed(rt, ALICE, a, "set", b"v1".to_vec()));
    assert_eq!(rt.contract_state(&a).unwrap(), vec![(b"k".to_vec(), b"v1".to_vec())]);
    a
}

#[test]
fn write_then_fail_leaves_state_as_before() {
    let rt = mem_runtime();
    let a = kv_with_v1(&rt);
    let before = rt.contract_state(&a).unwrap();

    // Each failing call wrote "k" and logged an event before failing.
    let cases: [(&str, Option<u64>, ErrorKind); 3] = [
        ("set_then_trap", None, ErrorKind::Trap),
        ("set_then_abort", None, ErrorKind::Aborted),
        ("set_then_spin", Some(200_000), ErrorKind::OutOfGas),
    ];
    for (method, gas, kind) in cases {
        let mut block = rt.begin_block(T0 + 1).unwrap();
        let r = block.call(BOB, a, method, b"bad".to_vec(), gas).unwrap();
        let msg = failed(&r, kind);
        if kind == ErrorKind::Aborted {
            assert_eq!(msg, "boom");
        }
        if let Some(limit) = gas {
            assert_eq!(r.gas_used, limit, "out of gas uses the whole limit");
        }
        // The same block sees the old value...
        assert_eq!(ok(&block.call(BOB, a, "get", Vec::new(), None).unwrap()), b"v1", "{method}");
        block.commit().unwrap();
        // ...and so does committed state.
        assert_eq!(rt.contract_state(&a).unwrap(), before, "{method}");
    }
}

#[test]
fn a_failed_transaction_does_not_undo_earlier_ones_in_its_block() {
    let rt = mem_runtime();
    let a = kv_with_v1(&rt);
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.call(BOB, a, "set", b"v2".to_vec(), None).unwrap();
    ok(&r);
    assert_eq!(r.events.len(), 1);
    failed(&block.call(BOB, a, "set_then_trap", b"v3".to_vec(), None).unwrap(), ErrorKind::Trap);
    failed(&block.call(BOB, a, "set_then_abort", b"v4".to_vec(), None).unwrap(), ErrorKind::Aborted);
    failed(&block.call(BOB, a, "set_then_spin", b"v5".to_vec(), Some(100_000)).unwrap(), ErrorKind::OutOfGas);
    assert_eq!(ok(&block.call(BOB, a, "get", Vec::new(), None).unwrap()), b"v2");
    block.commit().unwrap();
    assert_eq!(rt.contract_state(&a).unwrap(), vec![(b"k".to_vec(), b"v2".to_vec())]);
}

#[test]
fn failed_init_leaves_nothing_behind() {
    let rt = mem_runtime();
    let code = kv();
    let would_be = Address::contract(&ALICE, 0);

    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &code, Some(("init_then_abort", b"x".to_vec())), None).unwrap();
    assert_eq!(failed(&r, ErrorKind::Aborted), "boom");
    let r = block.deploy(ALICE, &code, Some(("set_then_trap", b"x".to_vec())), None).unwrap();
    failed(&r, ErrorKind::Trap);
    let r = block.deploy(ALICE, &code, Some(("set_then_spin", b"x".to_vec())), Some(50_000)).unwrap();
    failed(&r, ErrorKind::OutOfGas);
    assert_eq!(r.gas_used, 50_000);
    let r = block.deploy(ALICE, &code, Some(("no_such_method", Vec::new())), None).unwrap();
    failed(&r, ErrorKind::NotFound);
    assert_eq!(r.address, None, "a failed deploy reports no address");
    let r = block.deploy(ALICE, b"\0asm not really", None, None).unwrap();
    failed(&r, ErrorKind::Validation);
    assert_eq!(r.address, None);
    block.commit().unwrap();

    assert_eq!(rt.contract(&would_be).unwrap(), None, "no contract record");
    assert!(rt.codes().unwrap().is_empty(), "new code of a failed deploy is not stored");
    assert!(rt.contract_state(&would_be).is_err());

    // The nonce was not consumed: the next successful deploy gets the same address.
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.deploy(ALICE, &code, Some(("set", b"ok".to_vec())), None).unwrap();
    ok(&r);
    assert_eq!(r.address, Some(would_be));
    assert_eq!(r.code_id, Some(CodeId::of(&code)));
    assert_eq!(r.events.len(), 1, "init's events are the deploy's");
    block.commit().unwrap();
    assert_eq!(rt.contract_state(&would_be).unwrap(), vec![(b"k".to_vec(), b"ok".to_vec())]);
    assert_eq!(rt.codes().unwrap().len(), 1);
}

#[test]
fn failed_init_of_already_stored_code_keeps_the_code() {
    let rt = mem_runtime();
    let code = kv();
    let first = deploy_committed(&rt, ALICE, &code, None);
    let codes = rt.codes().unwrap();

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.deploy(ALICE, &code, Some(("init_then_abort", b"x".to_vec())), None).unwrap();
    failed(&r, ErrorKind::Aborted);
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap(), codes);
    assert_eq!(rt.contract(&Address::contract(&ALICE, 1)).unwrap(), None);
    assert!(rt.contract(&first).unwrap().is_some());
    assert_eq!(deploy_committed(&rt, ALICE, &code, None), Address::contract(&ALICE, 1));
}
