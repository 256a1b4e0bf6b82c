//! Unknown addresses and entry points.

use cove_runtime::RuntimeError;
use types::{Address, ErrorKind};

use crate::support::*;

const NOWHERE: Address = Address([0x42; 20]);

#[test]
fn unknown_address() {
    let rt = mem_runtime();
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.call(ALICE, NOWHERE, "increment", Vec::new(), None).unwrap();
    failed(&r, ErrorKind::NotFound);
    assert_eq!(r.gas_used, 0);
    block.commit().unwrap();
    failed(&rt.query(ALICE, NOWHERE, "get", Vec::new(), None).unwrap(), ErrorKind::NotFound);
    assert_eq!(rt.contract(&NOWHERE).unwrap(), None);
    assert!(matches!(rt.contract_state(&NOWHERE), Err(RuntimeError::NotFound(_))));
}

#[test]
fn unknown_method() {
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    let mut block = rt.begin_block(T0).unwrap();
    for method in ["decrement", "", "allocate", "__cove_start", "memory"] {
        let r = block.call(ALICE, c, method, Vec::new(), None).unwrap();
        failed(&r, ErrorKind::NotFound);
    }
    block.commit().unwrap();
    failed(&rt.query(ALICE, c, "decrement", Vec::new(), None).unwrap(), ErrorKind::NotFound);
    assert!(rt.contract_state(&c).unwrap().is_empty());
}
