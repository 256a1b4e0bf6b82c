//! Gas profiles (`cove_wasm::profile`): a profiling compile charges exactly the gas of an
//! ordinary one, gives the same outcome and effects, and attributes every unit of gas to
//! a stack of named functions, host functions as leaves, on every tier.

use cove_wasm::profile::{FunctionNames, GasProfile};
use cove_wasm::{CallContext, CallOutcome, Compiler, Config, Engine, Vm, abi};
use types::ErrorKind;

use crate::support::{BLOCK, CALLER, CONTRACT, MapStorage, import, module};

fn code() -> Vec<u8> {
    let imports = ["storage_read", "storage_write", "abort"].map(import).join("\n");
    let body = r#"
      (global $started (mut i32) (i32.const 0))
      (func $init (global.set $started (i32.const 1)))
      (start $init)
      (func $leaf (param $n i32)
        (loop $l
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
      (func $mid
        (call $leaf (i32.const 20))
        (drop (call $storage_write (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4)))
        (drop (call $storage_read (i32.const 0) (i32.const 4))))
      (func $rec (param $depth i32) (result i32)
        (if (result i32) (i32.eqz (local.get $depth))
          (then (i32.const 0))
          (else (return (call $rec (i32.sub (local.get $depth) (i32.const 1)))))))
      (func $go (export "go")
        (call $mid)
        (drop (call $rec (i32.const 3)))
        (call $mid))
      (func $inner (unreachable))
      (func $fails (export "fails")
        (call $mid)
        (call $inner))
      (func $aborts (export "aborts")
        (call $abort (i32.const 0) (i32.const 4)))
      (func $deep (export "deep") (call $deep))
      (func $spin (export "spin")
        (loop $forever (call $leaf (i32.const 5)) (br $forever)))
      (data (i32.const 0) "key!")"#;
    wat::parse_str(module(&imports, body)).expect("test WAT parses")
}

fn ctx() -> CallContext {
    CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: false }
}

/// Runs `entry` with `gas` ordinarily and profiled, both on the engine's first tier:
/// asserts the same outcome and storage, and that the profile holds exactly the gas
/// used. Returns both.
fn compare(vm: &Vm<MapStorage>, entry: &str, gas: u64) -> (CallOutcome, GasProfile) {
    let code = code();
    let plain = vm.link(&vm.engine().compile(&code).expect("validates")).unwrap();
    let profiled = vm.engine().compile_profiling_for(&code, &abi::COVE).expect("compiles");
    assert_eq!(profiled.tier(), vm.engine().first_tier());
    let profiled = vm.link(&profiled).unwrap();
    let (storage, expected) = vm.call(&plain, &ctx(), entry, vec![], gas, MapStorage::default());
    let (storage2, got) = vm.call_profiled(&profiled, &ctx(), entry, vec![], gas, MapStorage::default());
    let expected = expected.expect("no node fault");
    let (got, profile) = got.expect("no node fault");
    assert_eq!(got, expected, "{entry}: the profiled call differs");
    assert_eq!(storage2, storage, "{entry}: the profiled call left different storage");
    let names = FunctionNames::of(&code);
    let profile = profile.map(|p| p.named(&names, &format!("[{entry}]"))).unwrap_or_default();
    assert_eq!(profile.total(), got.gas_used, "{entry}: attributed gas\n{}", profile.folded());
    (got, profile)
}

fn stack_names(profile: &GasProfile) -> Vec<String> {
    profile.stacks().map(|(s, _)| s.join(";")).collect()
}

#[test]
fn profiled_calls_match_ordinary_ones_and_attribute_all_their_gas() {
    for compiler in [Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter] {
        let vm = Vm::new(Engine::new(Config { compiler, ..Config::default() }).unwrap());
        let (out, profile) = compare(&vm, "go", 1_000_000);
        assert!(out.result.is_ok());
        let stacks = stack_names(&profile);
        for expected in [
            "[go];init",
            "[go];go;mid;leaf",
            "[go];go;mid;storage_write",
            "[go];go;mid;storage_read;allocate",
            "[go];go;rec;rec;rec;rec",
        ] {
            assert!(stacks.iter().any(|s| s == expected), "{compiler:?}: no {expected} in {stacks:#?}");
        }
        // Deterministic: the same call, the same profile.
        assert_eq!(compare(&vm, "go", 1_000_000).1, profile);

        // A trap charges the open frames; a host function that ends the call is a leaf.
        let (out, profile) = compare(&vm, "fails", 1_000_000);
        assert_eq!(out.result.unwrap_err().kind, ErrorKind::Trap);
        assert!(
            stack_names(&profile).iter().any(|s| s == "[fails];fails;inner"),
            "{:#?}",
            stack_names(&profile)
        );
        let (out, profile) = compare(&vm, "aborts", 1_000_000);
        assert_eq!(out.result.unwrap_err().kind, ErrorKind::Aborted);
        assert!(stack_names(&profile).iter().any(|s| s == "[aborts];aborts;abort"));

        // Unbounded recursion hits the deterministic stack limit as ordinarily; every
        // open frame keeps its gas.
        let (out, profile) = compare(&vm, "deep", 1_000_000);
        assert!(out.result.unwrap_err().message.contains("call stack exhausted"));
        let deepest = profile.stacks().map(|(s, _)| s.len()).max();
        assert_eq!(deepest, Some(cove_wasm::profile::MAX_PROFILE_DEPTH + 1), "the root and the kept frames");
        assert!(profile.truncated());

        // Out of gas, at many limits: the profile always holds the whole limit.
        for gas in [0, 1, 7, 100, 1_000, 12_345] {
            let (out, profile) = compare(&vm, "spin", gas);
            assert_eq!(out.result.unwrap_err().kind, ErrorKind::OutOfGas);
            assert_eq!(profile.total(), gas);
        }
        for gas in [50, 300, 2_000] {
            compare(&vm, "go", gas);
        }
    }
}

#[test]
fn ordinary_compiles_carry_no_hooks() {
    let vm: Vm<MapStorage> = Vm::new(Engine::new(Config::default()).unwrap());
    let instrumented = vm.engine().instrument(&code()).unwrap();
    let imports: Vec<String> = wasmparser::Parser::new(0)
        .parse_all(&instrumented)
        .filter_map(|p| match p.unwrap() {
            wasmparser::Payload::ImportSection(r) => {
                Some(r.into_imports().map(|i| i.unwrap().module.to_string()).collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert!(!imports.is_empty());
    assert!(imports.iter().all(|m| m == abi::IMPORT_MODULE), "{imports:?}");
    // And a deployed module may not import the hooks itself.
    let hooked = module(r#"(import "__cove_profile" "exit" (func))"#, "");
    assert!(vm.engine().compile(&wat::parse_str(hooked).unwrap()).is_err());
}
