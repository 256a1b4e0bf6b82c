//! Contracts never see each other's storage, even running the same code and keys.

use crate::support::*;

#[test]
fn same_code_same_key_different_contracts() {
    let rt = mem_runtime();
    let code = kv();
    let mut block = rt.begin_block(T0).unwrap();
    let a = block.deploy(ALICE, &code, None, None).unwrap().address.unwrap();
    let b = block.deploy(ALICE, &code, None, None).unwrap().address.unwrap();
    ok(&block.call(ALICE, a, "set", b"alpha".to_vec(), None).unwrap());
    // Before b writes anything, it sees no value under the key a just wrote.
    assert_eq!(ok(&block.call(ALICE, b, "get", Vec::new(), None).unwrap()), b"");
    ok(&block.call(BOB, b, "set", b"beta".to_vec(), None).unwrap());
    assert_eq!(ok(&block.call(ALICE, a, "get", Vec::new(), None).unwrap()), b"alpha");
    assert_eq!(ok(&block.call(ALICE, b, "get", Vec::new(), None).unwrap()), b"beta");
    block.commit().unwrap();

    assert_eq!(rt.contract_state(&a).unwrap(), vec![(b"k".to_vec(), b"alpha".to_vec())]);
    assert_eq!(rt.contract_state(&b).unwrap(), vec![(b"k".to_vec(), b"beta".to_vec())]);
    assert_eq!(ok(&rt.query(BOB, a, "get", Vec::new(), None).unwrap()), b"alpha");
    assert_eq!(ok(&rt.query(BOB, b, "get", Vec::new(), None).unwrap()), b"beta");
}

#[test]
fn counters_count_separately() {
    let rt = mem_runtime();
    let code = counter();
    let a = deploy_committed(&rt, ALICE, &code, None);
    let b = deploy_committed(&rt, BOB, &code, None);
    for _ in 0..3 {
        ok(&call_committed(&rt, ALICE, a, "increment", Vec::new()));
    }
    assert_eq!(ok(&call_committed(&rt, ALICE, b, "increment", Vec::new())), u32le(1));
    assert_eq!(rt.contract_state(&a).unwrap(), vec![(b"counter".to_vec(), u32le(3))]);
    assert_eq!(rt.contract_state(&b).unwrap(), vec![(b"counter".to_vec(), u32le(1))]);
}

#[test]
fn two_tokens_keep_separate_ledgers() {
    let rt = mem_runtime();
    let code = token();
    let t1 = deploy_committed(&rt, ALICE, &code, Some(("init", Vec::new())));
    let t2 = deploy_committed(&rt, ALICE, &code, Some(("init", u64le(42))));
    ok(&call_committed(&rt, ALICE, t1, "transfer", transfer_input(BOB, 7)));
    assert_eq!(balance(&rt, t1, ALICE), 999_993);
    assert_eq!(balance(&rt, t1, BOB), 7);
    assert_eq!(balance(&rt, t2, ALICE), 42);
    assert_eq!(balance(&rt, t2, BOB), 0);
    assert_eq!(rt.contract_state(&t2).unwrap().len(), 1);
    assert_eq!(rt.contract_state(&t1).unwrap().len(), 2);
}
