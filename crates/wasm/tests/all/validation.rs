//! Deploy-time rules: each one is reported by name with the limit it enforces, at the
//! boundary exactly, and configured limits are honoured.

use crate::support::*;
use cove_wasm::{Config, Engine, EngineError, MAX_STACK_BUDGET, MAX_UNIT_PRICE, ValidationError};

const MEM: &str = r#"(memory (export "memory") 1)"#;

/// Validates and instruments (no compilation): the deploy rules alone.
fn check_with(wat: &str, config: Config) -> Result<(), ValidationError> {
    let code = wat::parse_str(wat).expect("test WAT parses");
    engine(config).instrument(&code).map(|_| ())
}

fn check(wat: &str) -> Result<(), ValidationError> {
    check_with(wat, Config::default())
}

/// Asserts `wat` breaks `rule` and the message mentions each of `mentions`.
fn assert_rule(wat: &str, config: Config, rule: &str, mentions: &[&str]) {
    let err = compile_err_with(wat, config);
    assert_eq!(err.rule, rule, "{err}");
    for m in mentions {
        assert!(err.message.contains(m), "{rule}: message {:?} should mention {m:?}", err.message);
    }
    // Display shows the rule first.
    assert!(err.to_string().starts_with(&format!("{rule}: ")));
}

fn funcs(n: usize) -> String {
    "(func)".repeat(n)
}

fn globals(n: usize) -> String {
    "(global i32 (i32.const 0))".repeat(n)
}

fn locals(n: usize) -> String {
    format!("(func (local {}))", "i32 ".repeat(n))
}

fn params(n: usize) -> String {
    format!("(type (func (param {})))", "i32 ".repeat(n))
}

#[test]
fn format_rules() {
    let engine = engine(Config::default());
    for bytes in [&b""[..], b"\0asm", b"\0asm\x01\0\0", b"\x7fELF\x02\x01\x01\0", b"(module)"] {
        assert_eq!(engine.compile(bytes).err().unwrap().rule, "magic", "{bytes:?}");
    }
    for bytes in [&b"\0asm\x02\0\0\0"[..], b"\0asm\x0d\0\x01\0", b"\0asm\0\0\0\0"] {
        let err = engine.compile(bytes).err().unwrap();
        assert_eq!(err.rule, "version", "{bytes:?}");
        assert!(err.message.contains("version 1"), "{err}");
    }
    let err = engine.compile(b"\0asm\x01\0\0\0\x01\x05").err().unwrap();
    assert_eq!(err.rule, "wasm");
    assert!(err.message.contains("offset"), "{err}");
}

#[test]
fn code_size_is_checked_first_and_at_the_boundary() {
    let code =
        wat::parse_str(format!(r#"(module {MEM} (data (i32.const 0) "{}"))"#, "a".repeat(1000))).unwrap();
    let len = code.len();
    let config = |max| Config {
        limits: cove_wasm::Limits { max_code_bytes: max, ..Default::default() },
        ..Config::default()
    };
    assert!(compile_bytes_with(&code, config(len)).is_ok());
    let err = compile_bytes_with(&code, config(len - 1)).unwrap_err();
    assert_eq!(err.rule, "code-size");
    assert!(err.message.contains(&(len - 1).to_string()) && err.message.contains(&len.to_string()), "{err}");
    assert_rule(
        &format!(
            r#"(module (memory (export "memory") 17) (data (i32.const 0) "{}"))"#,
            "\\00".repeat(1024 * 1024)
        ),
        Config::default(),
        "code-size",
        &["1048576"],
    );
}

#[test]
fn memory_limit() {
    assert!(check(r#"(module (memory (export "memory") 512))"#).is_ok());
    assert!(check(r#"(module (memory (export "memory") 0 512))"#).is_ok());
    assert_rule(
        r#"(module (memory (export "memory") 513))"#,
        Config::default(),
        "memory-limit",
        &["513", "512 pages"],
    );
    assert_rule(
        r#"(module (memory (export "memory") 1 513))"#,
        Config::default(),
        "memory-limit",
        &["513", "512 pages"],
    );
}

#[test]
fn table_limits() {
    assert!(check(&format!("(module {MEM} (table 10000 funcref))")).is_ok());
    assert_rule(
        &format!("(module {MEM} (table 10001 funcref))"),
        Config::default(),
        "table-limit",
        &["10001", "10000"],
    );
    assert_rule(
        &format!("(module {MEM} (table 0 10001 funcref))"),
        Config::default(),
        "table-limit",
        &["10001", "10000"],
    );
    assert_rule(
        &format!("(module {MEM} (table 1 funcref) (table 1 funcref))"),
        Config::default(),
        "tables",
        &["2"],
    );
}

#[test]
fn functions_limit() {
    assert!(check(&format!("(module {MEM} {})", funcs(10_000))).is_ok());
    assert_rule(
        &format!("(module {MEM} {})", funcs(10_001)),
        Config::default(),
        "functions-limit",
        &["10001", "10000"],
    );
    // Imported functions count too.
    let imports = r#"(import "env" "get_block_number" (func (result i64)))"#;
    assert_rule(
        &format!("(module {imports} {MEM} {})", funcs(10_000)),
        Config::default(),
        "functions-limit",
        &["10001", "10000"],
    );
}

#[test]
fn imported_functions_alone_count_toward_the_functions_limit() {
    let imports = r#"(import "env" "get_block_number" (func (result i64)))"#.repeat(10_001);
    assert_rule(
        &format!("(module {imports} {MEM})"),
        Config::default(),
        "functions-limit",
        &["10001", "10000"],
    );
    let imports = r#"(import "env" "get_block_number" (func (result i64)))"#.repeat(10_000);
    assert!(check(&format!("(module {imports} {MEM})")).is_ok());
}

#[test]
fn globals_limit() {
    assert!(check(&format!("(module {MEM} {})", globals(256))).is_ok());
    assert_rule(
        &format!("(module {MEM} {})", globals(257)),
        Config::default(),
        "globals-limit",
        &["257", "256"],
    );
}

#[test]
fn locals_limit() {
    assert!(check(&format!("(module {MEM} {})", locals(1_000))).is_ok());
    assert_rule(&format!("(module {MEM} {})", locals(1_001)), Config::default(), "locals-limit", &["1000"]);
    // Spread over several declarations of different types.
    let split = format!("(func (local {}) (local {}))", "i64 ".repeat(600), "f32 ".repeat(401));
    assert_rule(&format!("(module {MEM} {split})"), Config::default(), "locals-limit", &["1000"]);
    // Parameters are not locals.
    assert!(
        check(&format!(
            "(module {MEM} (func (param {}) (local {})))",
            "i32 ".repeat(64),
            "i32 ".repeat(1_000)
        ))
        .is_ok()
    );
}

#[test]
fn a_huge_local_count_is_refused_without_allocating_it() {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, MemorySection, MemoryType, Module,
        TypeSection, ValType,
    };
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    module.section(&types);
    let mut functions = FunctionSection::new();
    functions.function(0);
    module.section(&functions);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    let mut f = Function::new([(u32::MAX, ValType::I64)]);
    f.instruction(&wasm_encoder::Instruction::End);
    code.function(&f);
    module.section(&code);
    let err = compile_bytes_with(&module.finish(), Config::default()).unwrap_err();
    assert_eq!(err.rule, "locals-limit", "{err}");
}

#[test]
fn params_limit() {
    assert!(check(&format!("(module {MEM} {})", params(64))).is_ok());
    assert_rule(&format!("(module {MEM} {})", params(65)), Config::default(), "params-limit", &["65", "64"]);
    // Results are not parameters.
    assert!(check(&format!("(module {MEM} (type (func (result {}))))", "i32 ".repeat(100))).is_ok());
}

#[test]
fn import_rules() {
    assert_rule(
        &format!(r#"(module (import "env" "nope" (func)) {MEM})"#),
        Config::default(),
        "imports",
        &["env.nope"],
    );
    assert_rule(
        &format!(r#"(module (import "host" "get_caller" (func (param i32) (result i32))) {MEM})"#),
        Config::default(),
        "imports",
        &["host.get_caller", "\"env\""],
    );
    assert_rule(
        &format!(r#"(module (import "env" "get_caller" (func (param i32))) {MEM})"#),
        Config::default(),
        "imports",
        &["env.get_caller", "signature"],
    );
    assert_rule(
        &format!(r#"(module (import "env" "input_len" (global i32)) {MEM})"#),
        Config::default(),
        "imports",
        &["env.input_len", "function"],
    );
}

#[test]
fn export_rules() {
    assert_rule(
        &format!(r#"(module {MEM} (func (export "__cove_gas")))"#),
        Config::default(),
        "exports",
        &["__cove_gas", "reserved"],
    );
    assert_rule(r#"(module (memory 1))"#, Config::default(), "memory-export", &["memory"]);
    assert_rule(
        r#"(module (import "env" "storage_read" (func (param i32 i32) (result i64))) (memory (export "memory") 1))"#,
        Config::default(),
        "allocate-export",
        &["allocate"],
    );
}

#[test]
fn data_segments_must_fit_the_initial_memory() {
    let seg = |memory: &str, offset: i64, len: usize| {
        format!(
            r#"(module (memory (export "memory") {memory}) (data (i32.const {offset}) "{}"))"#,
            "d".repeat(len)
        )
    };
    assert!(check(&seg("1", 65526, 10)).is_ok());
    assert!(check(&seg("0", 0, 0)).is_ok());
    assert_rule(&seg("1", 65530, 10), Config::default(), "data-segment", &["65530", "10", "65536"]);
    assert_rule(&seg("1", -1, 1), Config::default(), "data-segment", &["4294967295"]);
    assert_rule(&seg("0 2", 0, 1), Config::default(), "data-segment", &["initial size 0"]);
    // Passive segments are not placed at instantiation: nothing to check.
    assert!(check(&format!(r#"(module {MEM} (data "{}"))"#, "p".repeat(70_000))).is_ok());
    // A deployed module always instantiates: the fitting segment is really there.
    let mut h = Harness::new(&format!(
        r#"(module {MEM} (data (i32.const 65535) "z") (func (export "go") (result i32) (i32.load8_u (i32.const 65535))))"#
    ));
    assert_eq!(h.ok("go", &[]), (b'z' as i32).to_le_bytes());
}

#[test]
fn element_segments_must_fit_the_initial_table() {
    let seg = |table: &str, offset: i64| {
        format!(r#"(module {MEM} (table {table} funcref) (elem (i32.const {offset}) func $f $f) (func $f))"#)
    };
    assert!(check(&seg("2", 0)).is_ok());
    assert_rule(
        &seg("2", 1),
        Config::default(),
        "element-segment",
        &["offset 1", "length 2", "initial size 2"],
    );
    assert_rule(&seg("1 10", 0), Config::default(), "element-segment", &["initial size 1"]);
    assert_rule(&seg("2", -1), Config::default(), "element-segment", &["4294967295"]);
}

#[test]
fn configured_limits_are_honoured() {
    let mut config = Config::default();
    config.limits.max_functions = 5;
    config.limits.max_globals = 2;
    config.limits.max_locals = 3;
    config.limits.max_params = 2;
    config.limits.max_table_elements = 4;
    config.limits.max_memory_bytes = 2 * 65536;
    let ok = |wat: &str| check_with(wat, config.clone()).unwrap_or_else(|e| panic!("{wat}: {e}"));
    ok(&format!("(module {MEM} {})", funcs(5)));
    assert_rule(&format!("(module {MEM} {})", funcs(6)), config.clone(), "functions-limit", &["6", "5"]);
    ok(&format!("(module {MEM} {})", globals(2)));
    assert_rule(&format!("(module {MEM} {})", globals(3)), config.clone(), "globals-limit", &["3", "2"]);
    ok(&format!("(module {MEM} {})", locals(3)));
    assert_rule(&format!("(module {MEM} {})", locals(4)), config.clone(), "locals-limit", &["3"]);
    ok(&format!("(module {MEM} {})", params(2)));
    assert_rule(&format!("(module {MEM} {})", params(3)), config.clone(), "params-limit", &["3", "2"]);
    ok(&format!("(module {MEM} (table 4 funcref))"));
    assert_rule(&format!("(module {MEM} (table 5 funcref))"), config.clone(), "table-limit", &["5", "4"]);
    ok(r#"(module (memory (export "memory") 2))"#);
    assert_rule(
        r#"(module (memory (export "memory") 3))"#,
        config.clone(),
        "memory-limit",
        &["3", "2 pages"],
    );

    // A memory without a declared maximum is capped at the configured size.
    let mut h = Harness::with_config(
        r#"(module (memory (export "memory") 1)
          (func (export "one") (result i32) (memory.grow (i32.const 1)))
          (func (export "two") (result i32) (memory.grow (i32.const 2))))"#,
        config.clone(),
    );
    assert_eq!(h.ok("one", &[]), 1i32.to_le_bytes());
    assert_eq!(h.ok("two", &[]), (-1i32).to_le_bytes());
    // And a table likewise.
    let mut h = Harness::with_config(
        &format!(
            r#"(module {MEM} (table $t 1 funcref)
          (func (export "go") (result i32) (table.grow $t (ref.null func) (i32.const 4))))"#
        ),
        config,
    );
    assert_eq!(h.ok("go", &[]), (-1i32).to_le_bytes());
}

fn engine_error(config: Config) -> String {
    match Engine::new(config) {
        Err(EngineError::Config(msg)) => msg,
        Err(e) => panic!("expected a configuration error, got {e}"),
        Ok(_) => panic!("configuration accepted"),
    }
}

#[test]
fn config_validate_rejects_out_of_range_values() {
    assert!(Config::default().validate().is_ok());

    let mut c = Config::default();
    c.limits.max_stack_bytes = 0;
    assert!(engine_error(c).contains("max_stack_bytes"));
    let mut c = Config::default();
    c.limits.max_stack_bytes = MAX_STACK_BUDGET + 1;
    assert!(engine_error(c).contains("max_stack_bytes"));

    let mut c = Config::default();
    c.gas.ops.bulk_memory_per_byte = MAX_UNIT_PRICE + 1;
    assert!(engine_error(c).contains("bulk_memory_per_byte"));
    let mut c = Config::default();
    c.gas.ops.memory_grow_per_page = u64::MAX;
    assert!(engine_error(c).contains("memory_grow_per_page"));
    let mut c = Config::default();
    c.gas.ops.bulk_table_per_element = MAX_UNIT_PRICE + 1;
    assert!(engine_error(c).contains("bulk_table_per_element"));

    let c = Config { timeout_ms: 0, ..Config::default() };
    assert!(engine_error(c).contains("timeout_ms"));

    let mut c = Config::default();
    c.limits.max_memory_bytes = 65536 + 1;
    assert!(engine_error(c).contains("max_memory_bytes"));

    // The boundaries themselves are accepted.
    let mut c = Config::default();
    c.gas.ops.bulk_memory_per_byte = MAX_UNIT_PRICE;
    c.gas.ops.memory_grow_per_page = MAX_UNIT_PRICE;
    c.gas.ops.bulk_table_per_element = MAX_UNIT_PRICE;
    c.limits.max_stack_bytes = 1;
    c.timeout_ms = 1;
    assert!(c.validate().is_ok());
    assert!(Engine::new(c).is_ok());
}

/// Every price of the schedule is range-checked, each against its documented bound,
/// and none may be 0.
#[test]
fn config_validate_checks_every_price() {
    use cove_wasm::{MAX_HOST_PRICE, MAX_OP_PRICE, MAX_PRECOMPILE_RATE};
    type Field = (&'static str, fn(&mut Config) -> &mut u64, u64);
    let fields: [Field; 25] = [
        ("base", |c| &mut c.gas.ops.base, MAX_OP_PRICE),
        ("mul", |c| &mut c.gas.ops.mul, MAX_OP_PRICE),
        ("div", |c| &mut c.gas.ops.div, MAX_OP_PRICE),
        ("load", |c| &mut c.gas.ops.load, MAX_OP_PRICE),
        ("store", |c| &mut c.gas.ops.store, MAX_OP_PRICE),
        ("branch", |c| &mut c.gas.ops.branch, MAX_OP_PRICE),
        ("call", |c| &mut c.gas.ops.call, MAX_OP_PRICE),
        ("table_memory_meta", |c| &mut c.gas.ops.table_memory_meta, MAX_OP_PRICE),
        ("memory_grow_per_page", |c| &mut c.gas.ops.memory_grow_per_page, MAX_UNIT_PRICE),
        ("bulk_memory_per_byte", |c| &mut c.gas.ops.bulk_memory_per_byte, MAX_UNIT_PRICE),
        ("bulk_table_per_element", |c| &mut c.gas.ops.bulk_table_per_element, MAX_UNIT_PRICE),
        ("context", |c| &mut c.gas.host.context, MAX_HOST_PRICE),
        ("storage_read", |c| &mut c.gas.host.storage_read, MAX_HOST_PRICE),
        ("storage_write", |c| &mut c.gas.host.storage_write, MAX_HOST_PRICE),
        ("storage_delete", |c| &mut c.gas.host.storage_delete, MAX_HOST_PRICE),
        ("hash", |c| &mut c.gas.host.hash, MAX_HOST_PRICE),
        ("verify", |c| &mut c.gas.host.verify, MAX_HOST_PRICE),
        ("event", |c| &mut c.gas.host.event, MAX_HOST_PRICE),
        ("precompile", |c| &mut c.gas.host.precompile, MAX_HOST_PRICE),
        ("storage_read_per_byte", |c| &mut c.gas.host.storage_read_per_byte, MAX_UNIT_PRICE),
        ("storage_write_per_byte", |c| &mut c.gas.host.storage_write_per_byte, MAX_UNIT_PRICE),
        ("hash_per_byte", |c| &mut c.gas.host.hash_per_byte, MAX_UNIT_PRICE),
        ("event_per_byte", |c| &mut c.gas.host.event_per_byte, MAX_UNIT_PRICE),
        ("copy_per_byte", |c| &mut c.gas.host.copy_per_byte, MAX_UNIT_PRICE),
        ("precompile_per_evm_gas", |c| &mut c.gas.host.precompile_per_evm_gas, MAX_PRECOMPILE_RATE),
    ];
    for (name, field, max) in fields {
        for bad in [0, max + 1, u64::MAX] {
            let mut c = Config::default();
            *field(&mut c) = bad;
            let e = engine_error(c);
            assert!(e.contains(name) && e.contains(&max.to_string()), "{name} = {bad}: {e}");
        }
        for good in [1, max] {
            let mut c = Config::default();
            *field(&mut c) = good;
            assert!(c.validate().is_ok(), "{name} = {good}");
        }
    }
    assert_eq!((MAX_OP_PRICE, MAX_HOST_PRICE, MAX_PRECOMPILE_RATE), (1 << 16, 1 << 32, 1 << 10));
}

#[test]
fn the_maximum_unit_price_cannot_overflow_a_dynamic_charge() {
    // The largest count at the largest price stays far below i64::MAX: out of gas, not
    // a wrapped (negative) charge that would credit gas.
    let mut config = Config::default();
    config.gas.ops.bulk_memory_per_byte = MAX_UNIT_PRICE;
    let mut h = Harness::with_config(
        r#"(module (memory (export "memory") 1)
          (func (export "go") (memory.fill (i32.const 0) (i32.const 0) (i32.const -1))))"#,
        config,
    );
    let out = h.call_with_gas("go", &[], types::MAX_GAS_LIMIT);
    assert_eq!(out.result.unwrap_err().kind, types::ErrorKind::Trap, "charged, then out of bounds");
    // Three constants at the base price, the fill itself at the call price, then the
    // bytes.
    assert_eq!(out.gas_used, 3 + 5 + u32::MAX as u64 * MAX_UNIT_PRICE);
}
