//! State survives a restart of a redb-backed runtime; uncommitted blocks leave nothing.

use types::{Address, BlockInfo, CodeId};

use crate::support::*;

#[test]
fn state_survives_reopen_and_modules_recompile() {
    let dir = tempfile::tempdir().unwrap();
    let (counter_addr, token_addr) = {
        let rt = redb_runtime(dir.path());
        let mut block = rt.begin_block(T0).unwrap();
        let c = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
        let t = block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap();
        ok(&t);
        let t = t.address.unwrap();
        assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(1));
        block.commit().unwrap();

        let mut block = rt.begin_block(T0 + 7).unwrap();
        assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(2));
        ok(&block.call(ALICE, t, "transfer", transfer_input(BOB, 250), None).unwrap());
        block.commit().unwrap();

        // A third block that is never committed.
        let mut block = rt.begin_block(T0 + 9).unwrap();
        ok(&block.deploy(BOB, &kv(), None, None).unwrap());
        ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap());
        drop(block);
        (c, t)
    };

    let rt = redb_runtime(dir.path());
    assert_eq!(rt.last_block().unwrap(), BlockInfo { height: 2, timestamp: T0 + 7 });

    let info = rt.contract(&counter_addr).unwrap().expect("counter survives");
    assert_eq!(info.code_id, CodeId::of(&counter()));
    assert_eq!((info.creator, info.admin, info.created_height), (ALICE, Some(ALICE), 1));
    assert_eq!(rt.contract_state(&counter_addr).unwrap(), vec![(b"counter".to_vec(), u32le(2))]);
    assert_eq!(ok(&rt.query(BOB, counter_addr, "get", Vec::new(), None).unwrap()), u32le(2));

    assert_eq!(balance(&rt, token_addr, ALICE), 1_000_000 - 250);
    assert_eq!(balance(&rt, token_addr, BOB), 250);
    let mut key_alice = b"b".to_vec();
    key_alice.extend_from_slice(&ALICE.0);
    let mut key_bob = b"b".to_vec();
    key_bob.extend_from_slice(&BOB.0);
    assert_eq!(
        rt.contract_state(&token_addr).unwrap(),
        vec![(key_alice, u64le(1_000_000 - 250)), (key_bob, u64le(250))]
    );

    // The uncommitted block left nothing: no kv contract, no kv code, BOB's nonce unused.
    assert_eq!(rt.contract(&Address::contract(&BOB, 0)).unwrap(), None);
    let mut codes: Vec<CodeId> = rt.codes().unwrap().into_iter().map(|c| c.code_id).collect();
    codes.sort();
    let mut expected = vec![CodeId::of(&counter()), CodeId::of(&token())];
    expected.sort();
    assert_eq!(codes, expected);

    // The module cache starts empty after a restart: the first call recompiles the
    // stored code, and calls carry on from the persisted state.
    let mut block = rt.begin_block(T0 + 20).unwrap();
    assert_eq!(block.info().height, 3);
    assert_eq!(ok(&block.call(BOB, counter_addr, "increment", Vec::new(), None).unwrap()), u32le(3));
    ok(&block.call(BOB, token_addr, "transfer", transfer_input(ALICE, 50), None).unwrap());
    assert_eq!(block.deploy(BOB, &kv(), None, None).unwrap().address, Some(Address::contract(&BOB, 0)));
    block.commit().unwrap();
    drop(rt);

    let rt = redb_runtime(dir.path());
    assert_eq!(rt.last_block().unwrap(), BlockInfo { height: 3, timestamp: T0 + 20 });
    assert_eq!(ok(&rt.query(BOB, counter_addr, "get", Vec::new(), None).unwrap()), u32le(3));
    assert_eq!(balance(&rt, token_addr, BOB), 200);
    assert!(rt.contract(&Address::contract(&BOB, 0)).unwrap().is_some());
}

#[test]
fn dropped_block_leaves_nothing() {
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    ok(&call_committed(&rt, ALICE, c, "increment", Vec::new()));
    let last = rt.last_block().unwrap();
    let state = rt.contract_state(&c).unwrap();
    let codes = rt.codes().unwrap();

    {
        let mut block = rt.begin_block(T0 + 1_000).unwrap();
        let t = block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap();
        ok(&t);
        assert_eq!(t.address, Some(Address::contract(&ALICE, 1)));
        assert_eq!(ok(&block.call(ALICE, c, "increment", Vec::new(), None).unwrap()), u32le(2));
        ok(&block.upgrade(ALICE, c, &counter_plus_ten(), None).unwrap());
        // Not committed: queries do not see any of it even while the block is alive.
        assert_eq!(ok(&rt.query(ALICE, c, "get", Vec::new(), None).unwrap()), u32le(1));
    }

    assert_eq!(rt.last_block().unwrap(), last);
    assert_eq!(rt.contract_state(&c).unwrap(), state);
    assert_eq!(rt.codes().unwrap(), codes);
    assert_eq!(rt.contract(&Address::contract(&ALICE, 1)).unwrap(), None);
    assert_eq!(rt.contract(&c).unwrap().unwrap().code_id, CodeId::of(&counter()), "upgrade discarded");

    // The next block reuses the height and ALICE's nonce, and runs the old code.
    let mut block = rt.begin_block(T0 + 2_000).unwrap();
    assert_eq!(block.info().height, last.height + 1);
    assert_eq!(ok(&block.call(ALICE, c, "increment", Vec::new(), None).unwrap()), u32le(2));
    let t = block.deploy(ALICE, &token(), None, None).unwrap();
    assert_eq!(t.address, Some(Address::contract(&ALICE, 1)));
    block.commit().unwrap();
}
