//! Deploy, call across blocks, query, code dedup and address derivation.

use cove_runtime::{Config, Receipt, Runtime};
use types::{Address, BlockInfo, CodeId, ErrorKind};

use crate::support::*;

/// The lifecycle scenario: deploy the counter, increment it in three committed blocks,
/// try to increment through a query, increment again, and `get` through a query.
/// Returns every receipt in order (also used by the backends test).
pub(crate) fn scenario(rt: &Runtime) -> Vec<Receipt> {
    let code = counter();
    let mut receipts = Vec::new();

    let mut block = rt.begin_block(T0).unwrap();
    let deployed = block.deploy(ALICE, &code, None, None).unwrap();
    block.commit().unwrap();
    let address = deployed.address.expect("deploy returns an address");
    receipts.push(deployed);

    for (i, expected) in (1..=3u32).enumerate() {
        let mut block = rt.begin_block(T0 + 10 * (i as u64 + 1)).unwrap();
        let r = block.call(BOB, address, "increment", Vec::new(), None).unwrap();
        assert_eq!(ok(&r), u32le(expected));
        block.commit().unwrap();
        receipts.push(r);
    }

    let before = rt.contract_state(&address).unwrap();
    let q = rt.query(BOB, address, "increment", Vec::new(), None).unwrap();
    failed(&q, ErrorKind::ReadOnly);
    assert_eq!(rt.contract_state(&address).unwrap(), before, "a query changed state");
    receipts.push(q);

    let mut block = rt.begin_block(T0 + 100).unwrap();
    let r = block.call(BOB, address, "increment", Vec::new(), None).unwrap();
    assert_eq!(ok(&r), u32le(4), "the read-only query must not have counted");
    block.commit().unwrap();
    receipts.push(r);

    let q = rt.query(BOB, address, "get", Vec::new(), None).unwrap();
    assert_eq!(ok(&q), u32le(4));
    receipts.push(q);
    receipts
}

#[test]
fn counter_lifecycle() {
    let rt = mem_runtime();
    let code = counter();
    let receipts = scenario(&rt);
    let deployed = &receipts[0];
    ok(deployed);

    let address = deployed.address.unwrap();
    assert_eq!(address, Address::contract(&ALICE, 0), "first deploy uses nonce 0");
    assert_eq!(deployed.code_id, Some(CodeId(types::sha256(&code))), "code id is SHA-256 of the wasm");
    let deploy_gas = Config::default().wasm.gas.deploy.of(code.len());
    assert_eq!(deployed.gas_used, deploy_gas, "a deploy without init pays its deploy gas only");
    assert!(deployed.events.is_empty());

    let info = rt.contract(&address).unwrap().expect("contract record");
    assert_eq!(info.code_id, CodeId::of(&code));
    assert_eq!(info.creator, ALICE);
    assert_eq!(info.admin, Some(ALICE));
    assert_eq!(info.created_height, 1);

    // Increments were real calls with gas; the query that tried to write charged gas too.
    for r in &receipts[1..] {
        assert!(r.gas_used > 0, "{r:?}");
        assert_eq!(r.address, None);
        assert_eq!(r.code_id, None);
    }

    assert_eq!(rt.contract_state(&address).unwrap(), vec![(b"counter".to_vec(), u32le(4))]);
    // Five committed blocks: deploy, three increments, one more increment.
    assert_eq!(rt.last_block().unwrap(), BlockInfo { height: 5, timestamp: T0 + 100 });
}

#[test]
fn identical_code_is_stored_once_but_deployed_twice() {
    let rt = mem_runtime();
    let code = counter();
    let mut block = rt.begin_block(T0).unwrap();
    let first = block.deploy(ALICE, &code, None, None).unwrap();
    let second = block.deploy(ALICE, &code, None, None).unwrap();
    block.commit().unwrap();
    // And once more in a later block, by someone else.
    let third = deploy_committed(&rt, BOB, &code, None);

    let (a, b) = (first.address.unwrap(), second.address.unwrap());
    assert_eq!(a, Address::contract(&ALICE, 0));
    assert_eq!(b, Address::contract(&ALICE, 1));
    assert_eq!(third, Address::contract(&BOB, 0));
    assert!(a != b && b != third && a != third);
    assert_eq!(first.code_id, second.code_id);

    let codes = rt.codes().unwrap();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].code_id, CodeId::of(&code));
    assert_eq!(codes[0].size, code.len());
    for addr in [a, b, third] {
        assert_eq!(rt.contract(&addr).unwrap().unwrap().code_id, CodeId::of(&code));
    }

    // They are separate contracts.
    assert_eq!(ok(&call_committed(&rt, ALICE, a, "increment", Vec::new())), u32le(1));
    assert_eq!(ok(&call_committed(&rt, ALICE, a, "increment", Vec::new())), u32le(2));
    assert_eq!(ok(&rt.query(ALICE, b, "get", Vec::new(), None).unwrap()), u32le(0));
}

#[test]
fn address_derivation_is_deterministic() {
    let run = || {
        let rt = mem_runtime();
        let mut addresses = Vec::new();
        let mut block = rt.begin_block(T0).unwrap();
        for (sender, code) in [(ALICE, counter()), (BOB, token()), (ALICE, token()), (ALICE, counter())] {
            addresses.push(block.deploy(sender, &code, None, None).unwrap().address.unwrap());
        }
        block.commit().unwrap();
        addresses.push(deploy_committed(&rt, BOB, &counter(), None));
        addresses
    };
    let first = run();
    assert_eq!(first, run());
    assert_eq!(
        first,
        vec![
            Address::contract(&ALICE, 0),
            Address::contract(&BOB, 0),
            Address::contract(&ALICE, 1),
            Address::contract(&ALICE, 2),
            Address::contract(&BOB, 1),
        ]
    );
}

#[test]
fn block_heights_and_times_advance() {
    let rt = mem_runtime();
    assert_eq!(rt.last_block().unwrap(), BlockInfo::default());
    let block = rt.begin_block(T0).unwrap();
    assert_eq!(block.info(), BlockInfo { height: 1, timestamp: T0 });
    let record = block.commit().unwrap();
    assert_eq!((record.height, record.timestamp, record.root), (1, T0, None), "in memory: no root");
    assert_eq!(rt.last_block().unwrap(), BlockInfo { height: 1, timestamp: T0 });
    let block = rt.begin_block(T0 + 5).unwrap();
    assert_eq!(block.info().height, 2);
    block.commit().unwrap();
    assert_eq!(rt.last_block().unwrap(), BlockInfo { height: 2, timestamp: T0 + 5 });
}
