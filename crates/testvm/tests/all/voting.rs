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
fn a_panic_reports_its_message_and_a_backtrace_with_rust_names() {
    let mut vm = TestVM::new();
    let (poll, _) = poll(&mut vm);
    let err = vm.call_view::<u32>(&poll, "winner", ()).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Aborted));
    let message = err.message().unwrap();
    assert!(message.starts_with("panicked at voting/src/lib.rs:"), "{message}");
    assert!(message.ends_with(": no votes cast"), "{message}");

    let trace = vm.last_backtrace();
    println!("{message}\n{trace}");
    let names: Vec<String> = vm.last_call().backtrace.iter().map(|f| f.to_string()).collect();
    // Innermost first: the SDK's panic handler, then core's panic machinery, then the
    // entry point `winner` that called `expect`.
    assert!(names.iter().any(|n| n.contains("panic")), "{trace}");
    let winner = names.iter().position(|n| n.contains("winner")).unwrap_or_else(|| panic!("{trace}"));
    assert!(winner > 0, "`winner` is not the innermost frame:\n{trace}");
    assert!(vm.last_call().backtrace.iter().all(|f| f.name.is_some()), "{trace}");
}

#[test]
fn backtraces_change_no_result_gas_or_kind() {
    let mut vm = TestVM::new();
    let named = contract("voting");
    let bare = without_custom_sections(&named);
    assert!(bare.len() < named.len());
    let options = vec!["a".to_string(), "b".to_string()];
    let mut runs = Vec::new();
    for code in [&named, &bare] {
        let poll = vm.deploy(code, "init", ("?", options.clone())).unwrap();
        let err = vm.call_view::<u32>(&poll, "winner", ()).unwrap_err();
        let last = vm.last_call().clone();
        let names: Vec<bool> = last.backtrace.iter().map(|f| f.name.is_some()).collect();
        let indices: Vec<u32> = last.backtrace.iter().map(|f| f.func_index).collect();
        runs.push((err.kind(), err.message().map(str::to_owned), last.gas_used, indices, names));
    }
    let (named, bare) = (&runs[0], &runs[1]);
    // Same kind, message and gas; the same frames, named only where the module has names.
    assert_eq!((&named.0, &named.1, named.2, &named.3), (&bare.0, &bare.1, bare.2, &bare.3));
    assert!(!named.3.is_empty());
    assert!(named.4.iter().all(|&n| n) && bare.4.iter().all(|&n| !n));
    // And a call that succeeds has no backtrace.
    let poll = vm.deploy(&contract("voting"), "init", ("?", options)).unwrap();
    vm.call::<()>(&poll, "vote", 0u32).unwrap();
    assert!(vm.last_call().backtrace.is_empty());
}

/// `code` without its custom sections (the `name` section among them).
fn without_custom_sections(code: &[u8]) -> Vec<u8> {
    let mut out = code[..8].to_vec();
    let mut at = 8;
    while at < code.len() {
        let id = code[at];
        let (mut size, mut shift, mut len) = (0usize, 0, 1);
        loop {
            let byte = code[at + len];
            size |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            len += 1;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let end = at + len + size;
        if id != 0 {
            out.extend_from_slice(&code[at..end]);
        }
        at = end;
    }
    out
}
