//! Gas is deterministic, and a limit of exactly the gas used is enough.

use cove_runtime::{Receipt, Runtime};
use types::{Address, ErrorKind};

use crate::support::*;

/// Each contract's storage, in key order.
type States = Vec<Vec<(Vec<u8>, Vec<u8>)>>;

/// A mixed workload: deploys with and without init, successful and failing calls of
/// every kind, queries. Returns every receipt and the final storage of each contract.
fn workload(rt: &Runtime) -> (Vec<Receipt>, States) {
    let mut receipts = Vec::new();
    let mut block = rt.begin_block(T0).unwrap();
    let mut deploy = |block: &mut cove_runtime::Block<'_>, code: &[u8], init: Option<(&str, Vec<u8>)>| {
        let r = block.deploy(ALICE, code, init, None).unwrap();
        let a = r.address;
        receipts.push(r);
        a
    };
    let c = deploy(&mut block, &counter(), None).unwrap();
    let t = deploy(&mut block, &token(), Some(("init", Vec::new()))).unwrap();
    let k = deploy(&mut block, &kv(), Some(("set", b"genesis".to_vec()))).unwrap();
    deploy(&mut block, &kv(), Some(("init_then_abort", b"x".to_vec())));
    block.commit().unwrap();

    /// (sender, contract, method, input, gas limit)
    type Call<'a> = (Address, Address, &'a str, Vec<u8>, Option<u64>);
    let calls: Vec<Call<'_>> = vec![
        (BOB, c, "increment", vec![], None),
        (ALICE, c, "increment", vec![], None),
        (ALICE, t, "transfer", transfer_input(BOB, 1_234), None),
        (BOB, t, "transfer", transfer_input(ALICE, 34), None),
        (BOB, t, "transfer", transfer_input(ALICE, 1_000_000), None),
        (BOB, t, "transfer", b"short".to_vec(), None),
        (ALICE, k, "set", vec![7; 300], None),
        (ALICE, k, "set_then_trap", b"x".to_vec(), None),
        (ALICE, k, "set_then_spin", b"x".to_vec(), Some(300_000)),
        (ALICE, k, "get", vec![], None),
        (ALICE, c, "nope", vec![], None),
        (ALICE, Address([9; 20]), "get", vec![], None),
    ];
    for (height, chunk) in calls.chunks(4).enumerate() {
        let mut block = rt.begin_block(T0 + 10 * (height as u64 + 1)).unwrap();
        for (sender, to, method, input, gas) in chunk {
            receipts.push(block.call(*sender, *to, method, input.clone(), *gas).unwrap());
        }
        block.commit().unwrap();
    }
    receipts.push(rt.query(ALICE, t, "balance", BOB.0.to_vec(), None).unwrap());
    receipts.push(rt.query(ALICE, c, "get", vec![], None).unwrap());
    receipts.push(rt.query(ALICE, c, "increment", vec![], None).unwrap());
    let states = [c, t, k].iter().map(|a| rt.contract_state(a).unwrap()).collect();
    (receipts, states)
}

#[test]
fn same_workload_same_gas_results_and_events_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let (mem_receipts, mem_states) = workload(&mem_runtime());
    let (redb_receipts, redb_states) = workload(&redb_runtime(dir.path()));
    assert_eq!(mem_receipts.len(), redb_receipts.len());
    for (i, (m, r)) in mem_receipts.iter().zip(&redb_receipts).enumerate() {
        assert_eq!(m, r, "receipt {i} differs");
    }
    assert_eq!(mem_states, redb_states);
    // And again on a fresh runtime of the same kind.
    let (again, _) = workload(&mem_runtime());
    assert_eq!(mem_receipts, again);

    // The workload really exercised metering and events.
    failed(&mem_receipts[3], ErrorKind::Aborted);
    assert!(mem_receipts.iter().any(|r| !r.events.is_empty()));
    assert!(mem_receipts.iter().any(|r| matches!(&r.result, Err(e) if e.kind == ErrorKind::OutOfGas)));
    let transfer = &mem_receipts[6];
    assert_eq!(transfer.events.len(), 1, "{transfer:?}");
    assert!(transfer.gas_used > 0);
}

#[test]
fn exact_gas_limit_succeeds_one_less_runs_out() {
    let rt = mem_runtime();
    let t = deploy_committed(&rt, ALICE, &token(), Some(("init", Vec::new())));
    ok(&call_committed(&rt, ALICE, t, "transfer", transfer_input(BOB, 10)));
    let input = transfer_input(BOB, 5);

    // Measure in a block that is thrown away.
    let measured = {
        let mut block = rt.begin_block(T0 + 1).unwrap();
        let r = block.call(ALICE, t, "transfer", input.clone(), None).unwrap();
        ok(&r);
        r
    };
    let used = measured.gas_used;
    assert!(used > 0);
    let before = rt.contract_state(&t).unwrap();

    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = block.call(ALICE, t, "transfer", input.clone(), Some(used - 1)).unwrap();
    failed(&r, ErrorKind::OutOfGas);
    assert_eq!(r.gas_used, used - 1, "out of gas consumes the whole limit");
    block.commit().unwrap();
    assert_eq!(rt.contract_state(&t).unwrap(), before, "out of gas changed state");

    let mut block = rt.begin_block(T0 + 2).unwrap();
    let r = block.call(ALICE, t, "transfer", input, Some(used)).unwrap();
    assert_eq!(r, measured, "the exact limit gives the same receipt");
    block.commit().unwrap();
    assert_eq!(balance(&rt, t, BOB), 15);

    // The same holds for a counter increment and for a deploy's init.
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    let used = {
        let mut block = rt.begin_block(T0 + 3).unwrap();
        block.call(ALICE, c, "increment", vec![], None).unwrap().gas_used
    };
    let mut block = rt.begin_block(T0 + 3).unwrap();
    failed(&block.call(ALICE, c, "increment", vec![], Some(used - 1)).unwrap(), ErrorKind::OutOfGas);
    assert_eq!(ok(&block.call(ALICE, c, "increment", vec![], Some(used)).unwrap()), u32le(1));
    block.commit().unwrap();

    let init_used = {
        let mut block = rt.begin_block(T0 + 4).unwrap();
        block.deploy(BOB, &token(), Some(("init", vec![])), None).unwrap().gas_used
    };
    let mut block = rt.begin_block(T0 + 4).unwrap();
    let r = block.deploy(BOB, &token(), Some(("init", vec![])), Some(init_used - 1)).unwrap();
    failed(&r, ErrorKind::OutOfGas);
    let r = block.deploy(BOB, &token(), Some(("init", vec![])), Some(init_used)).unwrap();
    ok(&r);
    assert_eq!(r.address, Some(Address::contract(&BOB, 0)), "the out-of-gas deploy used no nonce");
    block.commit().unwrap();
}
