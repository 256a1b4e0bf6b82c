//! The call stack of a failed call (`cove_wasm::take_backtrace`): recorded for traps and
//! for host functions that end the call, never for a success, and read once.

use cove_wasm::take_backtrace;
use types::ErrorKind;

use crate::support::{Harness, expect_err, import, module};

/// `go` (function 3: after the import, `allocate` and `inner`) calls `inner` (2), which
/// traps or aborts as `how` says.
fn nested(how: &str) -> Harness {
    let body = format!(
        r#"(func $inner (param $how i32)
             (if (i32.eqz (local.get $how)) (then unreachable))
             (call $abort (i32.const 0) (i32.const 4)))
           (func (export "go") (param) (call $inner (i32.const {how})))
           (func (export "fine"))
           (data (i32.const 0) "oops")"#
    );
    Harness::new(&module(&import("abort"), &body))
}

#[test]
fn a_trap_and_an_abort_record_the_frames_innermost_first() {
    for (how, kind) in [("0", ErrorKind::Trap), ("1", ErrorKind::Aborted)] {
        let mut h = nested(how);
        expect_err(&h.call("go", &[]), kind);
        let frames = take_backtrace().expect("a failed call records its frames");
        let indices: Vec<u32> = frames.iter().map(|f| f.func_index).collect();
        assert_eq!(indices, [2, 3], "{kind:?}");
        assert!(take_backtrace().is_none(), "reading clears it");

        // A call that succeeds records nothing, and forgets an earlier failure's frames.
        expect_err(&h.call("go", &[]), kind);
        assert!(h.call("fine", &[]).result.is_ok());
        assert!(take_backtrace().is_none());
    }
}

#[test]
fn recording_changes_no_outcome() {
    let mut h = nested("0");
    let first = h.call("go", &[]);
    let _ = take_backtrace();
    // Twice, with the frames read or not in between: the same outcome and gas.
    assert_eq!(h.call("go", &[]), first);
    assert_eq!(h.call("go", &[]), first);
    assert!(first.gas_used > 0);
}

#[test]
fn every_tier_records_the_same_frames() {
    use crate::support::{BLOCK, CALLER, CONTRACT, GAS, MapStorage};
    use cove_wasm::{CallContext, Compiler, Config, Engine, Vm};
    let code = wat::parse_str(module(
        &import("abort"),
        r#"(func $inner (param $how i32) unreachable)
           (func (export "go") (param) (call $inner (i32.const 0)))"#,
    ))
    .unwrap();
    let ctx = CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false };
    for mode in [Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter] {
        let vm = Vm::<MapStorage>::new(Engine::new(Config { compiler: mode, ..Config::default() }).unwrap());
        let linked = vm.link(&vm.engine().compile(&code).unwrap()).unwrap();
        let (_, out) = vm.call(&linked, &ctx, "go", Vec::new(), GAS, MapStorage::default());
        expect_err(&out.unwrap(), ErrorKind::Trap);
        let frames = take_backtrace().expect("a failed call records its frames");
        let indices: Vec<u32> = frames.iter().map(|f| f.func_index).collect();
        assert_eq!(indices, [2, 3], "{mode:?}");
    }
}
