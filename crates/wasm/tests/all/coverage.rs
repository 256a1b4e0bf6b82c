//! Coverage (`cove_wasm::coverage`): a coverage compile gives the outcome, gas and
//! effects of an ordinary one, on every tier, and counts the blocks, functions and
//! (without DWARF) function-level lcov records a run reached.

use std::sync::Arc;

use cove_wasm::coverage::{BlockCounts, CodeCoverage, Granularity, report};
use cove_wasm::{CallContext, Compiler, Config, Engine, Vm, abi};

use crate::support::{BLOCK, CALLER, CONTRACT, MapStorage, import, module};

fn code() -> Vec<u8> {
    let imports = ["storage_read", "storage_write", "abort"].map(import).join("\n");
    let body = r#"
      (func $leaf (param $n i32)
        (loop $l
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
      (func $mid
        (call $leaf (i32.const 20))
        (drop (call $storage_write (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4)))
        (drop (call $storage_read (i32.const 0) (i32.const 4))))
      (func $go (export "go") (result i32)
        (call $mid)
        (if (result i32) (i32.eqz (i32.const 1))
          (then (call $abort (i32.const 0) (i32.const 4)) (i32.const 1))
          (else (i32.const 7))))
      (func $never (export "never") (call $mid))
      (func $aborts (export "aborts")
        (call $abort (i32.const 0) (i32.const 4))
        (call $mid))
      (func $spin (export "spin") (loop $forever (call $leaf (i32.const 5)) (br $forever)))
      (func $deep (export "deep") (call $deep))
      (data (i32.const 0) "key!")"#;
    wat::parse_str(module(&imports, body)).expect("test WAT parses")
}

fn ctx() -> CallContext {
    CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false }
}

#[test]
fn covered_calls_match_ordinary_ones_on_every_tier() {
    let code = code();
    for compiler in [Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter] {
        let vm = Vm::new(Engine::new(Config { compiler, ..Config::default() }).unwrap());
        let plain = vm.link(&vm.engine().compile(&code).unwrap()).unwrap();
        let (compiled, map) = vm.engine().compile_coverage_for(&code, &abi::COVE).unwrap();
        assert_eq!(compiled.tier(), vm.engine().first_tier());
        let covered = vm.link(&compiled).unwrap();
        let counts = Arc::new(BlockCounts::new(&map));
        for (entry, gas) in [
            ("go", 1_000_000),
            ("never", 1_000_000),
            ("aborts", 1_000_000),
            ("deep", 1_000_000),
            ("missing", 1_000_000),
            ("spin", 5_000),
            ("go", 0),
            ("go", 150),
        ] {
            let (s1, expected) = vm.call(&plain, &ctx(), entry, vec![], gas, MapStorage::default());
            let (s2, got) =
                vm.call_covered(&covered, &ctx(), entry, vec![], gas, MapStorage::default(), counts.clone());
            assert_eq!(got.unwrap(), expected.unwrap(), "{compiler:?} {entry} with {gas} gas");
            assert_eq!(s2, s1, "{compiler:?} {entry}: storage");
        }
    }
}

/// Runs `entries` (each with plenty of gas) on a coverage compile of `code`; the
/// function-level coverage.
fn run(code: &[u8], entries: &[&str]) -> (CodeCoverage, Vec<u64>) {
    let vm = Vm::new(Engine::new(Config::default()).unwrap());
    let (compiled, map) = vm.engine().compile_coverage_for(code, &abi::COVE).unwrap();
    let covered = vm.link(&compiled).unwrap();
    let counts = Arc::new(BlockCounts::new(&map));
    for entry in entries {
        let (_, out) = vm.call_covered(
            &covered,
            &ctx(),
            entry,
            vec![],
            1_000_000,
            MapStorage::default(),
            counts.clone(),
        );
        out.unwrap();
    }
    let counts = counts.snapshot();
    (CodeCoverage::new("t", "m.wasm", code, &[], &map, &counts), counts)
}

#[test]
fn without_dwarf_coverage_counts_functions_by_name() {
    let (cov, counts) = run(&code(), &["go", "go", "aborts"]);
    assert_eq!(cov.granularity, Granularity::Functions);
    assert_eq!(cov.note, None);
    let file = &cov.files["m.wasm"];
    let count = |name: &str| file.functions.iter().find(|f| f.name == name).map(|f| f.count);
    assert_eq!(count("go"), Some(2));
    assert_eq!(count("mid"), Some(2), "`aborts` stopped before calling it");
    assert_eq!(count("leaf"), Some(2));
    assert_eq!(count("aborts"), Some(1));
    assert_eq!(count("never"), Some(0));
    assert_eq!(count("spin"), Some(0));
    assert_eq!(count("allocate"), Some(2), "storage_read allocates its result");
    // The loop body ran 20 times per call of `leaf`.
    assert!(counts.contains(&40), "{counts:?}");

    let lcov = report::lcov(&[cov]);
    for line in ["TN:t", "SF:m.wasm", "FNDA:2,go", "FNDA:0,never", "FNDA:1,aborts", "end_of_record"] {
        assert!(lcov.lines().any(|l| l == line), "no {line:?} in\n{lcov}");
    }
    assert!(lcov.contains("\nFNF:8\nFNH:5\n"), "{lcov}");
}

#[test]
fn a_branch_not_taken_is_a_block_never_counted() {
    let code = code();
    let engine = Engine::new(Config::default()).unwrap();
    let (_, map) = engine.compile_coverage_for(&code, &abi::COVE).unwrap();
    let (_, counts) = run(&code, &["go"]);
    let names = cove_wasm::profile::FunctionNames::of(&code);
    let index = (0..20).find(|i| names.get(*i) == Some("go")).expect("go is named");
    let go = map.functions().find(|(f, _)| *f == index).and_then(|(_, b)| b).expect("go has blocks");
    let blocks: Vec<u64> =
        map.blocks().iter().zip(&counts).filter(|(b, _)| b.func == index).map(|(_, c)| *c).collect();
    assert_eq!(counts[go], 1);
    // `go`: entry, after `mid`, the `then` arm (never), after `abort` (never), the
    // `else` arm, after the `if`.
    assert!(blocks.iter().filter(|c| **c == 0).count() >= 2, "{blocks:?}");
    assert!(blocks.iter().filter(|c| **c == 1).count() >= 3, "{blocks:?}");
    for pair in map.blocks().windows(2) {
        assert!(pair[0].end <= pair[1].start, "blocks are in code order: {pair:?}");
        assert!(pair[0].start < pair[0].end, "{pair:?}");
    }
}
