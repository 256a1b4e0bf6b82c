//! The harness itself: accounts, blocks and time, snapshots.

use cove_testvm::{BLOCK_TIME, DEFAULT_CALLER, GENESIS_TIME, TestVM};

use crate::contract;

#[test]
fn accounts_are_numbered_and_funded() {
    let mut vm = TestVM::new();
    let a = vm.create_account(500).unwrap();
    let b = vm.create_account(0).unwrap();
    assert_ne!(a, b);
    assert_ne!(a, DEFAULT_CALLER);
    assert_eq!(vm.balance(&a).unwrap(), runtime::Balance::from_u128(500));
    assert_eq!(vm.balance(&b).unwrap(), runtime::Balance::ZERO);
    // The same sequence in another VM gives the same addresses.
    let mut other = TestVM::new();
    assert_eq!(other.create_account(1).unwrap(), a);
}

#[test]
fn blocks_advance_height_and_time() {
    let mut vm = TestVM::new();
    assert_eq!(vm.last_block().unwrap().height, 0);
    assert_eq!(vm.time(), GENESIS_TIME);
    vm.advance_blocks(3).unwrap();
    let head = vm.last_block().unwrap();
    assert_eq!((head.height, head.timestamp), (3, GENESIS_TIME + 3 * BLOCK_TIME));
    vm.advance_time(3600);
    let counter = vm.deploy(&contract("counter"), "", ()).unwrap();
    let head = vm.last_block().unwrap();
    assert_eq!((head.height, head.timestamp), (4, GENESIS_TIME + 3 * BLOCK_TIME + 3600));
    vm.call::<u32>(&counter, "increment", ()).unwrap();
    assert_eq!(vm.last_block().unwrap().height, 5);
}

#[test]
fn restore_returns_to_the_snapshot_any_number_of_times() {
    let mut vm = TestVM::new();
    let counter = vm.deploy(&contract("counter"), "", ()).unwrap();
    vm.call::<u32>(&counter, "increment", ()).unwrap();
    let saved = vm.snapshot().unwrap();
    let head = vm.last_block().unwrap();

    for _ in 0..2 {
        let someone = vm.create_account(7).unwrap();
        vm.set_caller(someone);
        assert_eq!(vm.call::<u32>(&counter, "increment", ()).unwrap(), 2);
        assert_eq!(vm.call::<u32>(&counter, "increment", ()).unwrap(), 3);
        vm.advance_blocks(2).unwrap();

        vm.restore(&saved).unwrap();
        assert_eq!(vm.call_view::<u32>(&counter, "get", ()).unwrap(), 1);
        assert_eq!(vm.last_block().unwrap(), head);
        assert_eq!(vm.caller(), DEFAULT_CALLER);
        assert_eq!(vm.balance(&someone).unwrap(), runtime::Balance::ZERO);
    }
    // A contract deployed after the snapshot is gone after a restore.
    let later = vm.deploy(&contract("counter"), "", ()).unwrap();
    vm.restore(&saved).unwrap();
    assert!(vm.storage(&later).is_err(), "no contract at {later} after the restore");
}

#[test]
fn a_failed_deploy_leaves_nothing() {
    let mut vm = TestVM::new();
    let err = vm.deploy(&contract("voting"), "init", ("One option?", vec!["only".to_string()])).unwrap_err();
    assert_eq!(err.message(), Some("a poll has 2 to 16 options"));
    assert_eq!(vm.runtime().codes().unwrap(), []);
}
