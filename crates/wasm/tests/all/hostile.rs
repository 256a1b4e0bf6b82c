//! Hostile contracts: each attack ends with the right outcome, promptly, at deploy or at
//! call time, and leaves the process able to run the next contract.

use crate::support::*;
use cove_wasm::{Compiler, Config, MAX_EVENTS, MAX_INPUT_LEN, PULLEY_DEADLINE_FACTOR, Tier};
use types::ErrorKind;

/// Every rule name `Engine::compile` may report.
const RULES: &[&str] = &[
    "code-size",
    "magic",
    "version",
    "wasm",
    "params-limit",
    "imports",
    "functions-limit",
    "tables",
    "table-limit",
    "memory-limit",
    "globals-limit",
    "exports",
    "data-segment",
    "element-segment",
    "locals-limit",
    "memory-export",
    "allocate-export",
    "instrument",
    "compile",
];

const SPIN: &str = r#"(module (memory (export "memory") 1) (func (export "go") (loop $l (br $l))))"#;

#[test]
fn an_infinite_loop_runs_out_of_gas() {
    let mut h = Harness::new(SPIN);
    let out = h.call("go", &[]);
    let msg = expect_err(&out, ErrorKind::OutOfGas);
    assert!(msg.contains(&GAS.to_string()), "{msg}");
    assert_eq!(out.gas_used, GAS);
    assert_healthy();
}

#[test]
fn an_infinite_loop_with_unbounded_gas_hits_the_wall_clock_timeout() {
    let mut h = Harness::with_config(SPIN, config_200());
    let out = h.call_with_gas("go", &[], u64::MAX >> 2);
    let msg = expect_err(&out, ErrorKind::Timeout);
    assert!(msg.contains("timeout"), "{msg}");
    assert!(out.gas_used > 0 && out.gas_used < u64::MAX >> 2);
    assert!(out.events.is_empty());
    // The same engine still runs calls afterwards (the deadline is per call).
    let mut ok =
        Harness::with_config(r#"(module (memory (export "memory") 1) (func (export "go")))"#, config_200());
    assert_eq!(ok.call("go", &[]).result, Ok(vec![]));
    assert_healthy();
}

#[test]
fn calls_on_pulley_get_a_longer_backstop() {
    // The interpreter is slower per gas unit: the deadline that native code gets could
    // fire before gas ends a call it bounds (docs/gas.md, "Timeout").
    let engine = cove_wasm::Engine::new(Config { compiler: Compiler::Hybrid, ..config_200() }).unwrap();
    let native = engine.wasmtime(Tier::Optimized).expect("hybrid has Cranelift");
    let pulley = engine.wasmtime(Tier::Interpreted).expect("hybrid has Pulley");
    let ticks = 200 / cove_wasm::EPOCH_TICK.as_millis() as u64;
    assert_eq!(engine.deadline_ticks(native), ticks);
    assert_eq!(engine.deadline_ticks(pulley), ticks * PULLEY_DEADLINE_FACTOR);
}

fn config_200() -> Config {
    Config { timeout_ms: 200, ..Config::default() }
}

#[test]
fn a_loop_inside_a_host_call_chain_still_times_out() {
    // The loop runs in `allocate`, called by the host from `storage_read`.
    let wat = format!(
        r#"(module {}
  (memory (export "memory") 1)
  (func (export "allocate") (param i32) (result i32) (loop $l (br $l)) (i32.const 0))
  (func (export "go") (drop (call $storage_read (i32.const 0) (i32.const 1)))))"#,
        import("storage_read")
    );
    let mut h = Harness::with_config(&wat, config_200());
    h.storage.0.insert(vec![0], vec![1]);
    expect_err(&h.call_with_gas("go", &[], u64::MAX >> 2), ErrorKind::Timeout);
    let mut h = Harness::new(&wat);
    h.storage.0.insert(vec![0], vec![1]);
    let out = h.call("go", &[]);
    expect_err(&out, ErrorKind::OutOfGas);
    assert_eq!(out.gas_used, GAS);
    assert_healthy();
}

#[test]
fn unbounded_recursion_is_a_trap_not_a_crash() {
    let direct = r#"(module (memory (export "memory") 1)
      (func $f (call $f))
      (func (export "go") (call $f)))"#;
    let mutual = r#"(module (memory (export "memory") 1)
      (type $v (func))
      (table 2 funcref)
      (elem (i32.const 0) $a $b)
      (func $a (call_indirect (type $v) (i32.const 1)))
      (func $b (call_indirect (type $v) (i32.const 0)))
      (func (export "go") (call $a)))"#;
    for wat in [direct, mutual] {
        let mut h = Harness::new(wat);
        let out = h.call("go", &[]);
        let msg = expect_err(&out, ErrorKind::Trap);
        assert!(msg.contains("call stack exhausted"), "{msg}");
        assert!(out.gas_used < GAS);
        assert_eq!(h.call("go", &[]), out, "deterministic");
    }
    assert_healthy();
}

#[test]
fn ordinary_wasm_traps_are_kind_trap() {
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1)
      (type $v (func))
      (type $i (func (result i32)))
      (table 2 funcref)
      (elem (i32.const 0) $v0)
      (func $v0)
      (func (export "unreachable") unreachable)
      (func (export "div0") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
      (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
      (func (export "oob") (result i32) (i32.load (i32.const 65535)))
      (func (export "null") (call_indirect (type $v) (i32.const 1)))
      (func (export "sig") (result i32) (call_indirect (type $i) (i32.const 0)))
      (func (export "table_oob") (call_indirect (type $v) (i32.const 2)))
      (func (export "trunc") (result i32) (i32.trunc_f32_s (f32.const nan))))"#,
    );
    for entry in ["unreachable", "div0", "overflow", "oob", "null", "sig", "table_oob", "trunc"] {
        let out = h.call(entry, &[]);
        expect_err(&out, ErrorKind::Trap);
        assert!(out.gas_used > 0 && out.gas_used < 100, "{entry}: {}", out.gas_used);
    }
    assert_healthy();
}

#[test]
fn memory_grow_past_the_limit_returns_minus_one() {
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1)
      (func (export "to_max") (result i32)
        (if (i32.ne (memory.grow (i32.const 511)) (i32.const 1)) (then unreachable))
        (if (i32.ne (memory.size) (i32.const 512)) (then unreachable))
        (i32.store (i32.const 33554428) (i32.const 7))
        (memory.grow (i32.const 1)))
      (func (export "too_far") (result i32) (memory.grow (i32.const 600)))
      (func (export "after") (result i32) (drop (memory.grow (i32.const 600))) (memory.size)))"#,
    );
    assert_eq!(h.ok("to_max", &[]), (-1i32).to_le_bytes());
    assert_eq!(h.ok("too_far", &[]), (-1i32).to_le_bytes());
    assert_eq!(h.ok("after", &[]), 1i32.to_le_bytes(), "a failed grow changes nothing");
    // A declared maximum below the limit is honoured as well.
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1 3) (func (export "go") (result i32) (memory.grow (i32.const 3))))"#,
    );
    assert_eq!(h.ok("go", &[]), (-1i32).to_le_bytes());
    assert_healthy();
}

#[test]
fn table_grow_past_the_limit_returns_minus_one() {
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1) (table $t 1 funcref)
      (func (export "go") (result i32) (table.grow $t (ref.null func) (i32.const 10000)))
      (func (export "max") (result i32) (table.grow $t (ref.null func) (i32.const 9999))))"#,
    );
    assert_eq!(h.ok("go", &[]), (-1i32).to_le_bytes());
    assert_eq!(h.ok("max", &[]), 1i32.to_le_bytes());
    assert_healthy();
}

#[test]
fn oversized_structures_are_refused_at_deploy() {
    let mem = r#"(memory (export "memory") 1)"#;
    let cases: Vec<(String, &str)> = vec![
        (r#"(module (memory (export "memory") 513))"#.into(), "memory-limit"),
        (r#"(module (memory (export "memory") 1 65536))"#.into(), "memory-limit"),
        (format!("(module {mem} (table 10001 funcref))"), "table-limit"),
        (format!("(module {mem} {})", "(func)".repeat(10_001)), "functions-limit"),
        (format!("(module {mem} {})", "(global i32 (i32.const 0))".repeat(257)), "globals-limit"),
        (format!("(module {mem} (func (local {})))", "i32 ".repeat(1_001)), "locals-limit"),
        (format!("(module {mem} (type (func (param {}))))", "i64 ".repeat(65)), "params-limit"),
    ];
    for (wat, rule) in &cases {
        let err = compile_err(wat);
        assert_eq!(err.rule, *rule, "{err}");
    }
    assert_healthy();
}

#[test]
fn bad_imports_are_refused_at_deploy() {
    let mem = r#"(memory (export "memory") 1)"#;
    for wat in [
        format!(r#"(module (import "env" "exec" (func)) {mem})"#),
        format!(r#"(module (import "env" "get_caller" (func (param i32))) {mem})"#),
        format!(r#"(module (import "env" "get_caller" (func (param i64) (result i32))) {mem})"#),
        format!(r#"(module (import "env" "get_block_number" (func (result i32))) {mem})"#),
        format!(
            r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) {mem})"#
        ),
        format!(r#"(module (import "ENV" "get_caller" (func (param i32) (result i32))) {mem})"#),
        format!(r#"(module (import "env" "get_caller" (global i32)) {mem})"#),
        r#"(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)))"#.to_string(),
        format!(r#"(module (import "env" "table" (table 1 funcref)) {mem})"#),
    ] {
        assert_eq!(compile_err(&wat).rule, "imports", "{wat}");
    }
    assert_healthy();
}

#[test]
fn a_module_without_an_exported_memory_is_refused() {
    for wat in [
        "(module)",
        r#"(module (memory 1) (func (export "go")))"#,
        r#"(module (memory 1) (export "mem" (memory 0)))"#,
        r#"(module (memory 1) (func (export "memory")))"#,
    ] {
        assert_eq!(compile_err(wat).rule, "memory-export", "{wat}");
    }
    assert_healthy();
}

#[test]
fn oversized_code_is_refused_before_parsing() {
    let big = format!(
        r#"(module (memory (export "memory") 32) (data (i32.const 0) "{}"))"#,
        "\\00".repeat(1024 * 1024)
    );
    let err = compile_err(&big);
    assert_eq!(err.rule, "code-size");
    // Even bytes that are not wasm at all.
    let err = compile_bytes_with(&vec![0u8; 1024 * 1024 + 1], Config::default()).unwrap_err();
    assert_eq!(err.rule, "code-size");
    assert_healthy();
}

#[test]
fn a_looping_start_function_deploys_but_every_call_runs_out_of_gas() {
    let wat = r#"(module (memory (export "memory") 1)
      (start $s) (func $s (loop $l (br $l)))
      (func (export "go") (result i32) (i32.const 1)))"#;
    let mut h = Harness::new(wat);
    let out = h.call("go", &[]);
    expect_err(&out, ErrorKind::OutOfGas);
    assert_eq!(out.gas_used, GAS);
    // The start function cannot be reached by name either.
    expect_err(&h.call("__cove_start", &[]), ErrorKind::NotFound);
    assert_healthy();
}

#[test]
fn a_trapping_start_function_fails_every_call() {
    let wat = r#"(module (memory (export "memory") 1)
      (start $s) (func $s unreachable)
      (func (export "go") (result i32) (i32.const 1)))"#;
    let mut h = Harness::new(wat);
    expect_err(&h.call("go", &[]), ErrorKind::Trap);
    // An unknown entry is not found before the start function runs.
    let out = h.call("nope", &[]);
    expect_err(&out, ErrorKind::NotFound);
    assert_eq!(out.gas_used, 0);
    assert_healthy();
}

// ---------------------------------------------------------------------------------------
// Garbage in: compile returns an error, never panics.
// ---------------------------------------------------------------------------------------

/// A valid module with most section kinds and no trailing optional section, so that no
/// proper prefix of it is a valid module.
const SAMPLE: &str = r#"(module
  (type (func (param i32) (result i32)))
  (import "env" "get_caller" (func (type 0)))
  (import "env" "input_len" (func (result i32)))
  (table 2 funcref)
  (memory (export "memory") 1 4)
  (global (mut i32) (i32.const 5))
  (export "go" (func 3))
  (elem (i32.const 0) func 2 3)
  (func (param i32) (result i32)
    (i32.add (local.get 0) (global.get 0)))
  (func (result i32) (local i64)
    (global.set 0 (call 2 (call 1)))
    (i32.store (i32.const 16) (global.get 0))
    (block (loop (br_if 1 (i32.eqz (global.get 0))) (global.set 0 (i32.sub (global.get 0) (i32.const 1))) (br 0)))
    (drop (call 0 (i32.const 32)))
    (i32.load (i32.const 16))))"#;

fn sample() -> Vec<u8> {
    wat::parse_str(SAMPLE).unwrap()
}

#[test]
fn the_sample_module_is_valid_and_runs() {
    let mut h = Harness::new(SAMPLE);
    assert_eq!(h.ok("go", b"abc"), 8i32.to_le_bytes());
    // No custom sections (e.g. names) that a prefix could drop and stay valid.
    for payload in wasmparser::Parser::new(0).parse_all(&sample()) {
        assert!(!matches!(payload.unwrap(), wasmparser::Payload::CustomSection(_)));
    }
    assert_healthy();
}

#[test]
fn random_bytes_are_refused_without_panicking() {
    let engine = engine(Config::default());
    let mut rng = Rng(0x00c0_ffee_1234_5678);
    for i in 0..200 {
        let len = match i % 4 {
            0 => rng.below(16),
            1 => rng.below(256),
            _ => rng.below(4096),
        } as usize;
        let mut bytes = rng.bytes(len);
        // Half of them get a valid header so that the section parser is exercised.
        if i % 2 == 1 && len >= 8 {
            bytes[..8].copy_from_slice(b"\0asm\x01\0\0\0");
        }
        let err = engine.compile(&bytes).err().unwrap_or_else(|| panic!("random buffer {i} compiled"));
        assert!(RULES.contains(&err.rule), "{err}");
        if i % 2 == 1 && len >= 8 {
            assert_ne!(err.rule, "magic");
        }
    }
    assert_healthy();
}

#[test]
fn every_truncation_of_a_valid_module_is_refused() {
    let engine = engine(Config::default());
    let code = sample();
    for len in 0..code.len() {
        let err =
            engine.compile(&code[..len]).err().unwrap_or_else(|| panic!("prefix of {len} bytes compiled"));
        // A prefix ending on a section boundary before the function section is a valid
        // module without memory; any other is malformed.
        let expected: &[&str] = match len {
            0..8 => &["magic"],
            8 => &["memory-export"],
            _ => &["wasm", "memory-export"],
        };
        assert!(expected.contains(&err.rule), "prefix {len}: {err}");
    }
    assert!(engine.compile(&code).is_ok());
    assert_healthy();
}

#[test]
fn mutated_modules_are_refused_or_run_to_a_classified_outcome() {
    let code = sample();
    let mut rng = Rng(0xdead_beef_0bad_f00d);
    let (mut compiled, mut refused) = (0, 0);
    for _ in 0..300 {
        let mut bytes = code.clone();
        for _ in 0..1 + rng.below(3) {
            // Leave the header alone: those outcomes are covered above.
            let at = 8 + rng.below(bytes.len() as u64 - 8) as usize;
            bytes[at] ^= 1 << rng.below(8);
        }
        match Harness::from_code(&bytes, Config::default()) {
            Err(e) => {
                assert!(RULES.contains(&e.rule), "{e}");
                refused += 1;
            }
            Ok(mut h) => {
                // Whatever it does, it ends with a contract outcome (no node fault).
                let out = h.call_with_gas("go", b"abc", 100_000);
                assert!(out.gas_used <= 100_000);
                compiled += 1;
            }
        }
    }
    assert!(refused > 0 && compiled > 0, "refused {refused}, compiled {compiled}");
    assert_healthy();
}

// ---------------------------------------------------------------------------------------
// Features outside cove's set.
// ---------------------------------------------------------------------------------------

#[test]
fn disallowed_wasm_features_are_refused() {
    let mem = r#"(memory (export "memory") 1)"#;
    let cases = [
        ("simd", format!(r#"(module {mem} (func (export "go") (drop (v128.const i32x4 0 0 0 0))))"#)),
        ("simd type", format!(r#"(module {mem} (global v128 (v128.const i64x2 1 2)))"#)),
        (
            "relaxed simd",
            format!(
                r#"(module {mem} (func (export "go") (drop (f32x4.relaxed_madd (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0)))))"#
            ),
        ),
        ("threads: shared memory", r#"(module (memory (export "memory") 1 1 shared))"#.to_string()),
        (
            "threads: atomics",
            format!(r#"(module {mem} (func (export "go") (result i32) (i32.atomic.load (i32.const 0))))"#),
        ),
        ("multi-memory", r#"(module (memory (export "memory") 1) (memory 1))"#.to_string()),
        ("tail calls", format!(r#"(module {mem} (func $f (return_call $f)))"#)),
        ("memory64", r#"(module (memory (export "memory") i64 1))"#.to_string()),
        ("exceptions", format!(r#"(module {mem} (tag $t) (func (export "go") (throw $t)))"#)),
        ("gc", format!(r#"(module {mem} (type (struct (field i32))))"#)),
        ("extended const", format!(r#"(module {mem} (global i32 (i32.add (i32.const 1) (i32.const 2))))"#)),
        ("externref table", format!(r#"(module {mem} (table 1 externref))"#)),
        (
            "externref value",
            format!(r#"(module {mem} (func (export "go") (result i32) (ref.is_null (ref.null extern))))"#),
        ),
        ("typed function references", format!(r#"(module {mem} (type $v (func)) (func (param (ref $v))))"#)),
        ("custom page sizes", r#"(module (memory (export "memory") 1 (pagesize 1)))"#.to_string()),
    ];
    for (feature, wat) in &cases {
        let err = compile_err(wat);
        assert_eq!(err.rule, "wasm", "{feature}: {err}");
    }
    assert_healthy();
}

#[test]
fn exports_with_the_reserved_prefix_are_refused() {
    let mem = r#"(memory (export "memory") 1)"#;
    for wat in [
        format!(r#"(module {mem} (func (export "__cove_gas")))"#),
        format!(r#"(module {mem} (func (export "__cove_start")))"#),
        format!(r#"(module {mem} (global (export "__cove_x") i32 (i32.const 0)))"#),
        r#"(module (memory (export "__cove_memory") 1) (export "memory" (memory 0)))"#.to_string(),
    ] {
        let err = compile_err(&wat);
        assert_eq!(err.rule, "exports", "{wat}");
        assert!(err.message.contains("__cove_"), "{err}");
    }
    // Merely similar names are fine.
    Harness::new(&format!(r#"(module {mem} (func (export "__cove")) (func (export "_cove_gas")))"#));
    assert_healthy();
}

// ---------------------------------------------------------------------------------------
// Bad calls.
// ---------------------------------------------------------------------------------------

#[test]
fn bad_entry_points_are_refused_without_running_anything() {
    let mut h = Harness::new(&module(
        "",
        r#"
  (global (export "counter") (mut i32) (i32.const 0))
  (func (export "params") (param i32))
  (func (export "float") (result f32) (f32.const 1))
  (func (export "pair") (result i32 i32) (i32.const 1) (i32.const 2))
  (func (export "ok") (result i32) (i32.const 3))"#,
    ));
    for entry in [
        "missing",
        "",
        "memory",
        "counter",
        "allocate",
        "__cove_gas",
        "__cove_stack",
        "__cove_start",
        "__cove_",
    ] {
        let out = h.call(entry, &[]);
        expect_err(&out, ErrorKind::NotFound);
        assert_eq!(out.gas_used, 0, "{entry:?}");
    }
    for entry in ["params", "float", "pair"] {
        let out = h.call(entry, &[]);
        let msg = expect_err(&out, ErrorKind::InvalidArgument);
        assert!(msg.contains(entry), "{msg}");
        assert_eq!(out.gas_used, 0, "{entry}");
    }
    assert_eq!(h.ok("ok", &[]), 3i32.to_le_bytes());
    assert_healthy();
}

#[test]
fn input_over_the_maximum_is_refused_before_running() {
    let mut h =
        Harness::new(&module(&import("input_len"), r#"(func (export "go") (result i32) (call $input_len))"#));
    let out = h.call("go", &vec![0u8; MAX_INPUT_LEN as usize + 1]);
    expect_err(&out, ErrorKind::InvalidArgument);
    assert_eq!(out.gas_used, 0);
    let out = h.call("go", &vec![0u8; 4 * MAX_INPUT_LEN as usize]);
    expect_err(&out, ErrorKind::InvalidArgument);
    assert_eq!(h.ok("go", &vec![0u8; MAX_INPUT_LEN as usize]), MAX_INPUT_LEN.to_le_bytes());
    assert_healthy();
}

#[test]
fn more_than_the_maximum_number_of_events_is_invalid_argument() {
    let mut h = Harness::new(&module(
        &[import("log_event"), import("input_read")].concat(),
        r#"
  (func (export "go") (local $n i32)
    (call $input_read (i32.const 0))
    (local.set $n (i32.load (i32.const 0)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (call $log_event (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 4))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l))))"#,
    ));
    let out = h.call("go", &MAX_EVENTS.to_le_bytes());
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert_eq!(out.events.len(), MAX_EVENTS as usize);
    let out = h.call("go", &(MAX_EVENTS + 1).to_le_bytes());
    let msg = expect_err(&out, ErrorKind::InvalidArgument);
    assert!(msg.contains(&MAX_EVENTS.to_string()), "{msg}");
    assert!(out.events.is_empty());
    assert_healthy();
}

#[test]
fn nan_results_are_canonical() {
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1)
      (func (export "f32_div") (result i32)
        (i32.reinterpret_f32 (f32.div (f32.load (i32.const 0)) (f32.load (i32.const 0)))))
      (func (export "f32_div_const") (result i32)
        (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0))))
      (func (export "f32_payload") (result i32)
        (i32.reinterpret_f32 (f32.add (f32.reinterpret_i32 (i32.const 0x7fa00001)) (f32.load (i32.const 0)))))
      (func (export "f32_negative") (result i32)
        (i32.reinterpret_f32 (f32.mul (f32.reinterpret_i32 (i32.const 0xffc00000)) (f32.const 1))))
      (func (export "f32_sqrt") (result i32) (i32.reinterpret_f32 (f32.sqrt (f32.const -1))))
      (func (export "f64_div") (result i64)
        (i64.reinterpret_f64 (f64.div (f64.load (i32.const 0)) (f64.load (i32.const 0)))))
      (func (export "f64_div_const") (result i64)
        (i64.reinterpret_f64 (f64.div (f64.const 0) (f64.const 0))))
      (func (export "f64_payload") (result i64)
        (i64.reinterpret_f64 (f64.sub (f64.reinterpret_i64 (i64.const 0xfff4000000000001)) (f64.load (i32.const 0)))))
      (func (export "f64_sqrt") (result i64) (i64.reinterpret_f64 (f64.sqrt (f64.load (i32.const 8)))))
      (func (export "f64_promote") (result i64)
        (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (i32.const 0xff800001)))))
      (data (i32.const 8) "\00\00\00\00\00\00\f0\bf"))"#,
    );
    for entry in ["f32_div", "f32_div_const", "f32_payload", "f32_negative", "f32_sqrt"] {
        assert_eq!(h.ok(entry, &[]), 0x7fc0_0000u32.to_le_bytes(), "{entry}");
    }
    for entry in ["f64_div", "f64_div_const", "f64_payload", "f64_sqrt", "f64_promote"] {
        assert_eq!(h.ok(entry, &[]), 0x7ff8_0000_0000_0000u64.to_le_bytes(), "{entry}");
    }
    assert_healthy();
}

// ---------------------------------------------------------------------------------------
// Isolation between calls.
// ---------------------------------------------------------------------------------------

const DIRTY: &str = r#"(module (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (table $t 2 funcref)
  (elem declare func $f)
  (func $f)
  (func (export "dirty") (result i32)
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 0) (i32.const -1))
    (i32.store (i32.const 70000) (i32.const -1))
    (i32.store (i32.const 150000) (i32.const -1))
    (global.set $g (i32.const 9))
    (table.set $t (i32.const 1) (ref.func $f))
    (i32.const 1))
  (func (export "look") (result i32)
    (drop (memory.grow (i32.const 2)))
    (i32.or
      (i32.or (i32.load (i32.const 0)) (i32.load (i32.const 70000)))
      (i32.or
        (i32.or (i32.load (i32.const 150000)) (global.get $g))
        (i32.eqz (ref.is_null (table.get $t (i32.const 1)))))))
  (func (export "size") (result i32) (memory.size)))"#;

#[test]
fn nothing_a_call_leaves_in_memory_globals_or_tables_reaches_the_next_call() {
    let mut h = Harness::new(DIRTY);
    for _ in 0..5 {
        assert_eq!(h.ok("dirty", &[]), 1i32.to_le_bytes());
        assert_eq!(h.ok("size", &[]), 1i32.to_le_bytes(), "memory starts at its initial size");
        assert_eq!(h.ok("look", &[]), 0i32.to_le_bytes(), "fresh memory, globals and table");
    }
    // Nor another contract's: a second module on the same engine reuses the instance slots.
    let other = module(
        "",
        r#"(func (export "look") (result i32)
    (drop (memory.grow (i32.const 2)))
    (i32.or (i32.load (i32.const 70000)) (i32.load (i32.const 150000))))"#,
    );
    let compiled = h.vm.engine().compile(&wat::parse_str(other).unwrap()).unwrap();
    let linked = h.vm.link(&compiled).unwrap();
    let ctx = cove_wasm::CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false };
    for _ in 0..5 {
        assert_eq!(h.ok("dirty", &[]), 1i32.to_le_bytes());
        let (_, out) = h.vm.call(&linked, &ctx, "look", vec![], GAS, MapStorage::default());
        assert_eq!(out.unwrap().result, Ok(0i32.to_le_bytes().to_vec()));
    }
    assert_healthy();
}

#[test]
fn concurrent_calls_on_one_vm_agree() {
    let h = Harness::new(&module(
        &import("crypto_hash"),
        r#"(func (export "go") (result i32) (local $i i32)
    (loop $l
      (drop (call $crypto_hash (i32.const 0) (i32.const 64) (i32.const 0)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 2000))))
    (i32.load (i32.const 0)))"#,
    ));
    let ctx = cove_wasm::CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false };
    let run = || h.vm.call(&h.module, &ctx, "go", vec![], GAS, MapStorage::default()).1.unwrap();
    let alone = run();
    assert!(alone.result.is_ok());
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(run)).collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for out in outcomes {
        assert_eq!(out, alone);
    }
    assert_healthy();
}

#[test]
fn a_malformed_entry_point_runs_nothing_not_even_start() {
    let wat = r#"(module
  (memory (export "memory") 1)
  (func $spin (loop $l (br $l)))
  (start $spin)
  (func (export "takes_a_param") (param i32)))"#;
    let mut h = Harness::new(wat);
    let out = h.call("takes_a_param", &[]);
    expect_err(&out, ErrorKind::InvalidArgument);
    assert_eq!(out.gas_used, 0);
}
