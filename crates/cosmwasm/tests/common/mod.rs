//! Shared by the WAT-module tests.

/// A function `$ok` returning a region that holds `{"ok":{}}` (at 2900, data at 3000):
/// the `ContractResult<Response>` of an entry point that did nothing.
pub(crate) const OK_FUNC: &str = r#"(func $ok (result i32)
            (i32.store (i32.const 3000) (i32.const 0x6b6f227b))
            (i32.store (i32.const 3004) (i32.const 0x7d7b3a22))
            (i32.store8 (i32.const 3008) (i32.const 0x7d))
            (i32.store (i32.const 2900) (i32.const 3000))
            (i32.store (i32.const 2904) (i32.const 9))
            (i32.store (i32.const 2908) (i32.const 9))
            (i32.const 2900))"#;
