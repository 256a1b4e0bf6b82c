//! Upgrades: admin only, storage kept, new code runs, invalid code refused.

use types::{Address, CodeId, ErrorKind};

use crate::support::*;

#[test]
fn only_the_admin_may_upgrade() {
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    ok(&call_committed(&rt, BOB, c, "increment", Vec::new()));

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.upgrade(BOB, c, &counter_plus_ten(), None).unwrap();
    failed(&r, ErrorKind::Unauthorized);
    assert_eq!(r.code_id, None);
    // The old code still runs.
    assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(2));
    block.commit().unwrap();

    let info = rt.contract(&c).unwrap().unwrap();
    assert_eq!(info.code_id, CodeId::of(&counter()));
    assert_eq!(info.admin, Some(ALICE));
    assert_eq!(rt.codes().unwrap().len(), 1, "a refused upgrade stores no code");
}

#[test]
fn upgrade_keeps_storage_and_runs_new_code() {
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    ok(&call_committed(&rt, BOB, c, "increment", Vec::new()));
    ok(&call_committed(&rt, BOB, c, "increment", Vec::new()));

    let new_code = counter_plus_ten();
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.upgrade(ALICE, c, &new_code, None).unwrap();
    assert_eq!(ok(&r), b"");
    assert_eq!(r.address, Some(c));
    assert_eq!(r.code_id, Some(CodeId::of(&new_code)));
    // Effective immediately within the block.
    assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(12));
    block.commit().unwrap();

    assert_eq!(ok(&call_committed(&rt, BOB, c, "increment", Vec::new())), u32le(22));
    let info = rt.contract(&c).unwrap().unwrap();
    assert_eq!(info.code_id, CodeId::of(&new_code));
    assert_eq!((info.creator, info.admin, info.created_height), (ALICE, Some(ALICE), 1));
    assert_eq!(rt.contract_state(&c).unwrap(), vec![(b"counter".to_vec(), u32le(22))]);
    assert_eq!(rt.codes().unwrap().len(), 2, "both codes stay stored");

    // Upgrading back to stored code works too.
    let mut block = rt.begin_block(T0 + 2).unwrap();
    ok(&block.upgrade(ALICE, c, &counter(), None).unwrap());
    assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(23));
    block.commit().unwrap();
    assert_eq!(rt.codes().unwrap().len(), 2);
}

#[test]
fn upgrade_to_invalid_code_is_refused() {
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    ok(&call_committed(&rt, BOB, c, "increment", Vec::new()));
    let codes = rt.codes().unwrap();

    // Not wasm at all, and well-formed wasm that imports a function outside the ABI.
    let bad_import = wat::parse_str(
        r#"(module (import "env" "launch_missiles" (func)) (memory (export "memory") 1)
             (func (export "increment") (result i32) (i32.const 99)))"#,
    )
    .unwrap();
    for bad in [b"definitely not wasm".to_vec(), bad_import] {
        let mut block = rt.begin_block(T0 + 1).unwrap();
        let r = block.upgrade(ALICE, c, &bad, None).unwrap();
        failed(&r, ErrorKind::Validation);
        assert_eq!(rt.contract(&c).unwrap().unwrap().code_id, CodeId::of(&counter()));
        let n = ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap());
        block.commit().unwrap();
        assert_eq!(rt.contract(&c).unwrap().unwrap().code_id, CodeId::of(&counter()));
        assert_eq!(rt.codes().unwrap(), codes, "invalid code is not stored");
        assert!(n == u32le(2) || n == u32le(3), "old code runs: {n:?}");
    }
    assert_eq!(ok(&rt.query(BOB, c, "get", Vec::new(), None).unwrap()), u32le(3));
}

#[test]
fn upgrade_of_unknown_contract_is_not_found() {
    let rt = mem_runtime();
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.upgrade(ALICE, Address([0x77; 20]), &counter(), None).unwrap();
    failed(&r, ErrorKind::NotFound);
    block.commit().unwrap();
    assert!(rt.codes().unwrap().is_empty());
}
