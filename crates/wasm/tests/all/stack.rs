//! The deterministic stack limit fires before the native one, the same way everywhere.

use crate::support::*;
use types::ErrorKind;

/// `$f` recurses forever; with `live` every local holds a distinct value across the call.
fn recursion(locals: u32, params: u32) -> String {
    recursion_shape(locals, params, false)
}

fn recursion_shape(locals: u32, params: u32, live: bool) -> String {
    let param_decl = if params > 0 { format!("(param {})", "i64 ".repeat(params as usize)) } else { String::new() };
    let local_decl = if locals > 0 { format!("(local {})", "i64 ".repeat(locals as usize)) } else { String::new() };
    let args = "i64.const 1 ".repeat(params as usize);
    let (set, sum) = if live {
        let set: String = (0..locals).map(|i| format!("global.get $g i64.const {i} i64.add local.set {} ", params + i)).collect();
        let sum: String = (0..locals).map(|i| format!("local.get {} i64.add ", params + i)).collect();
        (set, format!("global.get $g {sum} global.set $g"))
    } else {
        (String::new(), String::new())
    };
    format!(
        r#"(module
  (memory (export "memory") 1)
  (global $g (mut i64) (i64.const 3))
  (func $f {param_decl} {local_decl}
    {set}
    {args}
    call $f
    {sum})
  (func (export "go") {args} call $f))"#
    )
}

#[test]
fn unbounded_recursion_hits_the_deterministic_limit_for_every_frame_shape() {
    for (locals, params) in [(0, 0), (0, 64), (100, 0), (999, 8), (10, 32)] {
        let mut h = Harness::new(&recursion(locals, params));
        let out = h.call_with_gas("go", &[], u64::MAX >> 2);
        let msg = expect_err(&out, ErrorKind::Trap);
        assert!(msg.contains("call stack exhausted"), "locals={locals} params={params}: {msg}");
        // Deterministic: the same gas on a second run.
        let again = h.call_with_gas("go", &[], u64::MAX >> 2);
        assert_eq!(out, again);
    }
}

#[test]
fn frames_with_many_live_values_still_hit_the_deterministic_limit() {
    for (locals, params) in [(50, 0), (300, 0), (200, 64)] {
        let mut h = Harness::new(&recursion_shape(locals, params, true));
        let msg = expect_err(&h.call_with_gas("go", &[], u64::MAX >> 2), ErrorKind::Trap);
        assert!(msg.contains("call stack exhausted"), "locals={locals} params={params}: {msg}");
    }
}

#[test]
fn recursion_on_a_small_thread_stack_is_still_deterministic() {
    let out = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut h = Harness::new(&recursion(0, 0));
            h.call_with_gas("go", &[], u64::MAX >> 2)
        })
        .unwrap()
        .join()
        .unwrap();
    let msg = expect_err(&out, ErrorKind::Trap);
    assert!(msg.contains("call stack exhausted"), "{msg}");
    let mut h = Harness::new(&recursion(0, 0));
    assert_eq!(out, h.call_with_gas("go", &[], u64::MAX >> 2), "same outcome on the main test thread");
}
