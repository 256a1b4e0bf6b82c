//! The host ABI: the exact set of imports a contract may use (module `env`).
//!
//! This table is the single source of truth: validation checks imports against it and
//! the linker defines exactly these functions (a test keeps the two in step).
//! `docs/abi.md` describes each function's pointer rules, limits and errors.

use wasmparser::ValType::{self, I32, I64};

/// One host function's name and wasm signature.
#[derive(Debug, Clone, Copy)]
pub struct HostFn {
    /// Import name in module `env`.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [ValType],
    /// Result types.
    pub results: &'static [ValType],
}

const fn f(name: &'static str, params: &'static [ValType], results: &'static [ValType]) -> HostFn {
    HostFn { name, params, results }
}

/// The module every import must come from.
pub const IMPORT_MODULE: &str = "env";

/// Every host function, in the order `docs/abi.md` lists them.
pub const HOST_FUNCTIONS: &[HostFn] = &[
    f("storage_read", &[I32, I32], &[I64]),
    f("storage_write", &[I32, I32, I32, I32], &[I32]),
    f("storage_delete", &[I32, I32], &[I32]),
    f("get_caller", &[I32], &[I32]),
    f("get_contract_address", &[I32], &[I32]),
    f("get_block_number", &[], &[I64]),
    f("get_block_timestamp", &[], &[I64]),
    f("crypto_hash", &[I32, I32, I32], &[I32]),
    f("crypto_verify", &[I32, I32, I32, I32, I32, I32], &[I32]),
    f("log_event", &[I32, I32, I32, I32], &[]),
    f("input_len", &[], &[I32]),
    f("input_read", &[I32], &[]),
    f("return_data", &[I32, I32], &[]),
    f("abort", &[I32, I32], &[]),
    f("precompile", &[I32, I32, I32], &[I64]),
    f("call", &[I32, I32, I32, I32, I32, I32, I64], &[I32]),
    f("create", &[I32, I32, I32, I32, I32, I32, I32, I64, I32], &[I32]),
    f("library_call", &[I32, I32, I32, I32, I32, I64], &[I32]),
    f("call_result_len", &[], &[I32]),
    f("call_result_read", &[I32], &[]),
    f("storage_write_lived", &[I32, I32, I32, I32, I64], &[I32]),
    f("storage_read_lived", &[I32, I32, I32], &[I64]),
    f("storage_life", &[I32, I32], &[I64]),
    f("storage_extend_life", &[I32, I32, I64], &[I64]),
    f("storage_delete_lived", &[I32, I32], &[I32]),
];

/// Looks up a host function of cove's ABI by import name.
pub fn host_fn(name: &str) -> Option<&'static HostFn> {
    COVE.function(name)
}

/// An import table: the host functions one family of contracts may import from `env`.
///
/// Validation and instrumentation are shared by every ABI; only the imports a module may
/// name differ. cove's own ABI is [`COVE`]; the CosmWasm VM brings its own table.
#[derive(Debug, Clone, Copy)]
pub struct Abi {
    /// Its name, for error messages.
    pub name: &'static str,
    /// Every function a module may import (from [`IMPORT_MODULE`]).
    pub functions: &'static [HostFn],
    /// Imports that hand values back through the contract's [`ALLOCATE_EXPORT`], so a
    /// module importing any of them must export it with the right signature.
    pub need_allocate: &'static [&'static str],
}

impl Abi {
    /// Looks up a host function by import name.
    pub fn function(&self, name: &str) -> Option<&'static HostFn> {
        self.functions.iter().find(|h| h.name == name)
    }
}

/// cove's own host ABI (`docs/abi.md`).
pub const COVE: Abi = Abi {
    name: "cove",
    functions: HOST_FUNCTIONS,
    need_allocate: &["storage_read", "precompile", "storage_read_lived"],
};

/// The contract export the host calls to obtain memory for values it returns
/// (`storage_read`): `allocate(len i32) -> i32`.
pub const ALLOCATE_EXPORT: &str = "allocate";

/// The exported linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// Prefix of the names instrumentation adds; contracts may not export such names.
pub const RESERVED_PREFIX: &str = "__cove_";
/// The injected remaining-gas global (an `i64`).
pub const GAS_GLOBAL_EXPORT: &str = "__cove_gas";
/// The injected gas-charged-so-far global (an `i64`, read as unsigned) of the energy
/// surcharge; only a schedule with a surcharge adds it (`docs/gas.md`).
pub const SPENT_GLOBAL_EXPORT: &str = "__cove_gas_spent";
/// The injected stack-height global (an `i32`).
pub const STACK_GLOBAL_EXPORT: &str = "__cove_stack";
/// The module's former `start` function, exported so it runs after gas is set.
pub const START_EXPORT: &str = "__cove_start";
