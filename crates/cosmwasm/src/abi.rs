//! The CosmWasm contract interface (`interface_version_8`): the imports a contract may
//! use, the exports it must have, and the `requires_*` capabilities checked at deploy.
//!
//! The import table is the single source of truth: validation checks modules against it
//! ([`IMPORTS`], through `cove-wasm`'s shared validator) and [`crate::host`] defines
//! exactly these functions (a test keeps the two in step).

use wasm::abi::{Abi, HostFn};
use wasmparser::ValType::{self, I32, I64};

const fn f(name: &'static str, params: &'static [ValType], results: &'static [ValType]) -> HostFn {
    HostFn { name, params, results }
}

/// Every host function of the CosmWasm 2.x ABI (cosmwasm-vm 2.3.5's `env` imports),
/// with its signature as cosmwasm-vm defines it. A module importing anything else is
/// rejected at deploy with the function's name.
pub const HOST_FUNCTIONS: &[HostFn] = &[
    f("db_read", &[I32], &[I32]),
    f("db_write", &[I32, I32], &[]),
    f("db_remove", &[I32], &[]),
    f("db_scan", &[I32, I32, I32], &[I32]),
    f("db_next", &[I32], &[I32]),
    f("db_next_key", &[I32], &[I32]),
    f("db_next_value", &[I32], &[I32]),
    f("addr_validate", &[I32], &[I32]),
    f("addr_canonicalize", &[I32, I32], &[I32]),
    f("addr_humanize", &[I32, I32], &[I32]),
    f("secp256k1_verify", &[I32, I32, I32], &[I32]),
    f("secp256k1_recover_pubkey", &[I32, I32, I32], &[I64]),
    f("ed25519_verify", &[I32, I32, I32], &[I32]),
    f("ed25519_batch_verify", &[I32, I32, I32], &[I32]),
    f("secp256r1_verify", &[I32, I32, I32], &[I32]),
    f("secp256r1_recover_pubkey", &[I32, I32, I32], &[I64]),
    f("bls12_381_aggregate_g1", &[I32, I32], &[I32]),
    f("bls12_381_aggregate_g2", &[I32, I32], &[I32]),
    f("bls12_381_pairing_equality", &[I32, I32, I32, I32], &[I32]),
    f("bls12_381_hash_to_g1", &[I32, I32, I32, I32], &[I32]),
    f("bls12_381_hash_to_g2", &[I32, I32, I32, I32], &[I32]),
    f("debug", &[I32], &[]),
    f("abort", &[I32], &[]),
    f("query_chain", &[I32], &[I32]),
];

/// The CosmWasm import table for `cove-wasm`'s validator. Values come back through
/// regions the host allocates with the contract's `allocate`, which [`check_exports`]
/// requires of every CosmWasm module.
pub const IMPORTS: Abi = Abi { name: "CosmWasm", functions: HOST_FUNCTIONS, need_allocate: &[] };

/// The interface marker export cove runs (cosmwasm-std 1.x and 2.x).
pub const INTERFACE_VERSION: &str = "interface_version_8";
/// Prefix of every interface marker export.
const INTERFACE_PREFIX: &str = "interface_version_";
/// Prefix of the capability exports (`requires_iterator`, ...).
const REQUIRES_PREFIX: &str = "requires_";
/// Exports every CosmWasm module must have besides the interface marker.
pub const REQUIRED_EXPORTS: &[&str] = &["allocate", "deallocate"];

/// Whether `code` looks like a CosmWasm contract (exports the interface marker), for
/// choosing the VM of a module whose VM the user did not name.
pub fn is_cosmwasm(code: &[u8]) -> bool {
    exports(code).is_ok_and(|names| names.iter().any(|n| n.starts_with(INTERFACE_PREFIX)))
}

/// The export names of `code` (a parse error as a message).
fn exports(code: &[u8]) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(code) {
        match payload.map_err(|e| e.message().to_string())? {
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    names.push(export.map_err(|e| e.message().to_string())?.name.to_string());
                }
            }
            wasmparser::Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    Ok(names)
}

/// Checks the exports the CosmWasm interface needs: the `interface_version_8` marker,
/// `allocate` and `deallocate`, and that every `requires_*` capability is in `supported`.
/// The message names what is missing.
pub fn check_exports(code: &[u8], supported: &[String]) -> Result<(), String> {
    let names = exports(code)?;
    let markers: Vec<&String> = names.iter().filter(|n| n.starts_with(INTERFACE_PREFIX)).collect();
    match markers.as_slice() {
        [] => return Err(format!("not a CosmWasm contract: no {INTERFACE_VERSION} export")),
        [one] if one.as_str() == INTERFACE_VERSION => {}
        [one] => {
            return Err(format!(
                "CosmWasm interface {one} is not supported; cove runs {INTERFACE_VERSION} (cosmwasm-std 1.x and 2.x)"
            ));
        }
        _ => return Err("more than one interface_version_* export".into()),
    }
    for required in REQUIRED_EXPORTS {
        if !names.iter().any(|n| n == required) {
            return Err(format!("a CosmWasm contract must export `{required}`"));
        }
    }
    let mut missing: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix(REQUIRES_PREFIX))
        .filter(|cap| !supported.iter().any(|s| s == cap))
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        return Err(format!(
            "the contract requires capabilities this chain does not support: {} (supported: {})",
            missing.join(", "),
            supported.join(", ")
        ));
    }
    Ok(())
}
