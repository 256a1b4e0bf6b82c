//! The deterministic stack limit fires before the native one, the same way everywhere.

use crate::support::*;
use types::ErrorKind;

/// `$f` recurses forever; with `live` every local holds a distinct value across the call.
fn recursion(locals: u32, params: u32) -> String {
    recursion_shape(locals, params, false)
}

fn recursion_shape(locals: u32, params: u32, live: bool) -> String {
    let param_decl =
        if params > 0 { format!("(param {})", "i64 ".repeat(params as usize)) } else { String::new() };
    let local_decl =
        if locals > 0 { format!("(local {})", "i64 ".repeat(locals as usize)) } else { String::new() };
    let args = "i64.const 1 ".repeat(params as usize);
    let (set, sum) = if live {
        let set: String = (0..locals)
            .map(|i| format!("global.get $g i64.const {i} i64.add local.set {} ", params + i))
            .collect();
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

/// Every way out of a function (`return` from nested blocks, `br`/`br_table` to the
/// function's own label, multi-value results) releases its frame: a long loop of such
/// calls never approaches the budget, and the results are unchanged by instrumentation.
#[test]
fn every_function_exit_releases_its_frame() {
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1)
  (func $ret (param $x i32) (result i32)
    (block (loop (if (local.get $x) (then (return (i32.const 7)))) (br 1)))
    (i32.const 8))
  (func $br_out (param $x i32) (result i32)
    (block (drop (br_if 1 (i32.const 5) (local.get $x))))
    (i32.const 6))
  (func $table_out (param $x i32) (result i32)
    (drop (block $a (result i32)
      (drop (block $b (result i32) (br_table $a $b 2 (i32.const 9) (local.get $x))))
      (return (i32.const 10))))
    (i32.const 11))
  (func $multi (param $x i32) (result i32 i64)
    (if (local.get $x) (then (return (i32.const 1) (i64.const 2))))
    (i32.const 3) (i64.const 4))
  (func (export "go") (result i64) (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $ret (i32.and (local.get $i) (i32.const 1))))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $br_out (i32.and (local.get $i) (i32.const 1))))))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $table_out (i32.rem_u (local.get $i) (i32.const 3))))))
      (call $multi (i32.and (local.get $i) (i32.const 1)))
      (local.set $acc (i64.add (local.get $acc)))
      i64.extend_i32_u local.get $acc i64.add local.set $acc
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 30000))))
    (local.get $acc)))"#,
    );
    // Per pair of iterations (odd, even): ret 7+8, br_out 5+6, multi (1+2)+(3+4); table_out
    // cycles 11 (i%3==0 -> $a), 10 ($b), 9 (default, the function label).
    let pairs = 15_000u64;
    let expected = pairs * (7 + 8 + 5 + 6 + 1 + 2 + 3 + 4) + 10_000 * (11 + 10 + 9);
    let out = h.call_with_gas("go", &[], u64::MAX >> 2);
    assert_eq!(out.result, Ok(expected.to_le_bytes().to_vec()));
}
