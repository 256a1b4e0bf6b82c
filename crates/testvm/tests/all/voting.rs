//! The poll (`examples/rust/voting`): votes, closing by the chair, blocks.

use cove_testvm::{Address, ErrorKind, TestVM};

use crate::contract;

fn poll(vm: &mut TestVM) -> (Address, Address) {
    let chair = vm.create_account(0).unwrap();
    vm.set_caller(chair);
    let options = vec!["tea".to_string(), "coffee".to_string(), "water".to_string()];
    let poll = vm.deploy(&contract("voting"), "init", ("Drink?", options)).unwrap();
    (poll, chair)
}

#[test]
fn votes_tally_and_close_at_the_current_height() {
    let mut vm = TestVM::new();
    let (poll, chair) = poll(&mut vm);
    assert_eq!(vm.call_view::<Vec<String>>(&poll, "options", ()).unwrap(), ["tea", "coffee", "water"]);

    for option in [1u32, 1, 0] {
        let voter = vm.create_account(0).unwrap();
        vm.set_caller(voter);
        vm.call::<()>(&poll, "vote", option).unwrap();
        assert_eq!(vm.call_view::<Option<u32>>(&poll, "vote_of", voter).unwrap(), Some(option));
        let err = vm.call::<()>(&poll, "vote", option).unwrap_err();
        assert_eq!(err.message(), Some("already voted"));
    }
    assert_eq!(vm.call_view::<Vec<u64>>(&poll, "tally", ()).unwrap(), [1, 2, 0]);
    assert_eq!(vm.call_view::<u32>(&poll, "winner", ()).unwrap(), 1);

    let err = vm.call::<()>(&poll, "close", ()).unwrap_err();
    assert_eq!(err.message(), Some("only the chair can close the poll"));

    vm.advance_blocks(10).unwrap();
    vm.set_caller(chair);
    vm.call::<()>(&poll, "close", ()).unwrap();
    assert_eq!(vm.last_events()[0].topics, vec![b"closed".to_vec()]);
    // The call ran in the block after the last committed one, and committed it.
    let closed = vm.last_block().unwrap().height;
    assert_eq!(vm.call_view::<Option<u64>>(&poll, "closed_at", ()).unwrap(), Some(closed));
    let err = vm.call::<()>(&poll, "vote", 0u32).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Aborted));
    assert_eq!(err.message(), Some("the poll is closed"));
}

#[test]
fn a_panic_reports_its_message() {
    let mut vm = TestVM::new();
    let (poll, _) = poll(&mut vm);
    let err = vm.call_view::<u32>(&poll, "winner", ()).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Aborted));
    let message = err.message().unwrap();
    assert!(message.starts_with("panicked at voting/src/lib.rs:"), "{message}");
    assert!(message.ends_with(": no votes cast"), "{message}");
}
