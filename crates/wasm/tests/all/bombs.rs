//! Compile-time bombs: modules small enough to upload whose functions make a compiler's
//! time or memory explode (deep nesting, huge `br_table`s, very many blocks, one huge
//! body). Each rule is checked at its boundary under a small configured limit, and each
//! bomb at cove's default limits is refused with its rule, while a module just inside
//! every default limit compiles under every tier (Winch, Cranelift, Pulley).

use crate::support::*;
use cove_wasm::{Compiler, Config, ValidationError};

const MEM: &str = r#"(memory (export "memory") 1)"#;

fn check_with(wat: &str, config: Config) -> Result<(), ValidationError> {
    let code = wat::parse_str(wat).expect("test WAT parses");
    engine(config).instrument(&code).map(|_| ())
}

fn rule(wat: &str, config: Config) -> &'static str {
    check_with(wat, config).expect_err("the bomb must be refused").rule
}

/// One function nesting `depth` blocks.
fn nested(depth: usize) -> String {
    format!("(module {MEM} (func {}{}))", "block ".repeat(depth), "end ".repeat(depth))
}

/// One function with `n` blocks one after another.
fn sequential(n: usize) -> String {
    format!("(module {MEM} (func {}))", "block end ".repeat(n))
}

/// One function with a `br_table` of `targets` targets, the default included.
fn br_table(targets: usize) -> String {
    format!("(module {MEM} (func block i32.const 0 br_table {} end))", "0 ".repeat(targets))
}

/// One function whose body holds `nops` `nop`s (1 byte each) besides its framing.
fn long_body(nops: usize) -> String {
    format!("(module {MEM} (func {}))", "nop ".repeat(nops))
}

#[test]
fn each_rule_holds_at_its_configured_boundary() {
    let mut config = Config::default();
    config.limits.max_control_depth = 10;
    config.limits.max_blocks_per_function = 20;
    config.limits.max_br_table_targets = 30;
    config.limits.max_function_body_bytes = 100;
    let ok = |wat: &str| check_with(wat, config.clone()).unwrap_or_else(|e| panic!("{e}"));
    // The function's own frame is one level: 9 blocks reach depth 10.
    ok(&nested(9));
    assert_eq!(rule(&nested(10), config.clone()), "nesting-limit");
    ok(&sequential(20));
    assert_eq!(rule(&sequential(21), config.clone()), "blocks-limit");
    ok(&br_table(30));
    assert_eq!(rule(&br_table(31), config.clone()), "br-table-limit");
    // A body is its locals count (1 byte), the code and `end`: 98 nops make 100 bytes.
    ok(&long_body(98));
    let err = check_with(&long_body(99), config.clone()).unwrap_err();
    assert_eq!(err.rule, "body-size", "{err}");
    assert!(err.message.contains("101-byte body") && err.message.contains("100"), "{err}");
}

#[test]
fn bombs_are_refused_at_the_default_limits() {
    let d = Config::default().limits;
    let cases = [
        (nested(d.max_control_depth as usize * 50), "nesting-limit"),
        (sequential(d.max_blocks_per_function as usize + 1), "blocks-limit"),
        (br_table(d.max_br_table_targets as usize * 10), "br-table-limit"),
        (long_body(d.max_function_body_bytes as usize), "body-size"),
    ];
    for (wat, expected) in cases {
        let code = wat::parse_str(&wat).unwrap();
        assert!(code.len() < Config::default().limits.max_code_bytes, "a bomb fits the upload limit");
        assert_eq!(rule(&wat, Config::default()), expected);
    }
}

#[test]
fn modules_just_inside_the_default_limits_compile_under_every_tier() {
    let d = Config::default().limits;
    let cases = [
        nested(d.max_control_depth as usize - 1),
        sequential(d.max_blocks_per_function as usize),
        br_table(d.max_br_table_targets as usize),
    ];
    for compiler in [Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter] {
        let config = Config { compiler, ..Config::default() };
        for wat in &cases {
            let code = wat::parse_str(wat).unwrap();
            engine(config.clone()).compile(&code).unwrap_or_else(|e| panic!("{compiler:?}: {e}"));
        }
    }
}
