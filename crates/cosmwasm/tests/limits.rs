//! Host-side limits, each tested with a hand-written CosmWasm module (WAT) that passes
//! a region of a chosen length to one host function.

mod common;

use std::sync::Arc;

use cove_cosmwasm::config::{MAX_DB_KEY_LEN, MAX_DB_VALUE_LEN, MAX_HUMAN_ADDRESS_LEN, MAX_QUERY_REQUEST_LEN};
use cove_cosmwasm::{Action, Config, CosmWasmVm, Request};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, CallError, ErrorKind};

use common::OK_FUNC;

/// A module whose `execute` builds region R at 1024 {offset 4096, capacity = length =
/// the i32 stored at byte 0 of the message} and calls `body` with it; `allocate`
/// hands out a region at 2048 pointing to 8192 with capacity 192 KiB.
fn module(import: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          {import}
          (memory (export "memory") 4)
          (func (export "interface_version_8"))
          (func (export "allocate") (param i32) (result i32)
            (i32.store (i32.const 2048) (i32.const 8192))
            (i32.store (i32.const 2052) (i32.const 196608))
            (i32.store (i32.const 2056) (i32.const 0))
            (i32.const 2048))
          (func (export "deallocate") (param i32))
          (func (export "instantiate") (param i32 i32 i32) (result i32)
            (call $ok))
          (func (export "execute") (param i32 i32 i32) (result i32)
            (local $len i32)
            ;; the message region's data starts with the length to use
            (local.set $len (i32.load (i32.load (local.get 2))))
            (i32.store (i32.const 1024) (i32.const 4096))
            (i32.store (i32.const 1028) (local.get $len))
            (i32.store (i32.const 1032) (local.get $len))
            {body}
            (call $ok))
          {OK_FUNC})"#
    ))
    .unwrap()
}

/// Deploys `code`, then executes it with the length `len` as the message's first bytes.
fn run_with_len(code: &[u8], len: usize) -> Result<Vec<u8>, CallError> {
    let engine = wasm::Engine::new(wasm::Config::default()).unwrap();
    let vm = CosmWasmVm::new(engine, Config::default()).unwrap();
    let mut journal = Journal::new(Arc::new(MemBackend::new()));
    let block = BlockInfo { height: 1, timestamp: 1 };
    let sender = Address([1; 20]);
    let deploy = Request {
        sender,
        action: Action::Instantiate { code, label: "", admin: None },
        msg: b"{}",
        funds: &[],
        gas_limit: None,
    };
    let (o, _) = vm.run(&mut journal, &block, deploy).unwrap();
    let contract = o.address.unwrap_or_else(|| panic!("{o:?}"));
    let msg = (len as u32).to_le_bytes();
    let call =
        Request { sender, action: Action::Execute { contract }, msg: &msg, funds: &[], gas_limit: None };
    vm.run(&mut journal, &block, call).unwrap().0.result
}

fn assert_limit(import: &str, body: &str, max: usize) {
    let code = module(import, body);
    assert!(run_with_len(&code, max).is_ok(), "{import}: {max} bytes must pass");
    let e = run_with_len(&code, max + 1).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{import}: {e:?}");
    assert!(e.message.contains(&format!("limit of {max} bytes")), "{e:?}");
}

#[test]
fn db_key_and_value_lengths() {
    // The key region is R; the value region is an empty one at 1100.
    let import = r#"(import "env" "db_write" (func $w (param i32 i32)))"#;
    let body = "(i32.store (i32.const 1104) (i32.const 0)) (call $w (i32.const 1024) (i32.const 1100))";
    assert_limit(import, body, MAX_DB_KEY_LEN);
    let body = "(i32.store (i32.const 1100) (i32.const 4096)) (i32.store (i32.const 1104) (i32.const 1)) \
                (i32.store (i32.const 1108) (i32.const 1)) (call $w (i32.const 1100) (i32.const 1024))";
    assert_limit(import, body, MAX_DB_VALUE_LEN);
}

#[test]
fn address_and_query_lengths() {
    let import = r#"(import "env" "addr_validate" (func $v (param i32) (result i32)))"#;
    assert_limit(import, "(drop (call $v (i32.const 1024)))", MAX_HUMAN_ADDRESS_LEN);
    let import = r#"(import "env" "query_chain" (func $q (param i32) (result i32)))"#;
    assert_limit(import, "(drop (call $q (i32.const 1024)))", MAX_QUERY_REQUEST_LEN);
}

#[test]
fn a_region_outside_memory_traps() {
    let import = r#"(import "env" "db_read" (func $r (param i32) (result i32)))"#;
    // Capacity beyond the 4 pages of memory.
    let code = module(import, "(drop (call $r (i32.const 1024)))");
    let e = run_with_len(&code, 300_000).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Trap, "{e:?}");
    assert!(e.message.contains("out of bounds"), "{e:?}");
}
