//! Execution modes: which tiers each mode's engine has, that `interpreter` generates no
//! native code, and that the harness really runs every tier.

use cove_wasm::{Compiler, Config, Engine, PULLEY_TARGET, Tier};

use crate::support::*;

const GO: &str = r#"(module (memory (export "memory") 1) (func (export "go") (result i32) i32.const 7))"#;

#[test]
fn each_mode_compiles_with_its_first_tier_and_tiers_up_only_when_it_should() {
    for (mode, first, tiers_up) in [
        (Compiler::Tiered, Tier::Baseline, true),
        (Compiler::Baseline, Tier::Baseline, false),
        (Compiler::Optimizing, Tier::Optimized, false),
        (Compiler::Interpreter, Tier::Interpreted, false),
        (Compiler::Hybrid, Tier::Interpreted, true),
    ] {
        let engine = Engine::new(Config { compiler: mode, ..Config::default() }).unwrap();
        assert_eq!((engine.first_tier(), engine.tiers_up()), (first, tiers_up), "{mode:?}");
        let compiled = engine.compile(&wat::parse_str(GO).unwrap()).unwrap();
        assert_eq!(compiled.tier(), first, "{mode:?}");
        assert!(engine.wasmtime(Tier::Optimized).is_some(), "{mode:?}: Cranelift is there for the switch");
        let has = |t| engine.wasmtime(t).is_some();
        assert_eq!(has(Tier::Baseline), first == Tier::Baseline, "{mode:?}: Winch only when used");
        assert_eq!(has(Tier::Interpreted), first == Tier::Interpreted, "{mode:?}: Pulley only when used");
    }
}

#[test]
fn the_interpreter_runs_pulley_bytecode_not_native_code() {
    let engine = Engine::new(Config { compiler: Compiler::Interpreter, ..Config::default() }).unwrap();
    let pulley = engine.wasmtime(Tier::Interpreted).unwrap();
    assert!(pulley.is_pulley());
    assert!(PULLEY_TARGET.starts_with("pulley"));
    assert!(!engine.wasmtime(Tier::Optimized).unwrap().is_pulley());
    let compiled = engine.compile(&wat::parse_str(GO).unwrap()).unwrap();
    assert!(compiled.module().engine().is_pulley(), "the module's code is Pulley bytecode");
}

#[test]
fn the_harness_runs_every_call_on_every_tier() {
    for mode in Compiler::ALL {
        let mut h = Harness::with_config(GO, Config { compiler: mode, ..Config::default() });
        let mut tiers: Vec<Tier> = h.others.iter().map(|(t, _)| *t).collect();
        tiers.push(h.module.tier());
        tiers.sort_by_key(|t| *t as u8);
        assert_eq!(tiers, TIERS, "{mode:?}");
        assert_eq!(h.ok("go", &[]), 7i32.to_le_bytes());
    }
}

#[test]
fn mode_names_are_the_config_values() {
    let names: Vec<&str> = Compiler::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["tiered", "baseline", "jit", "interpreter", "hybrid"]);
}
