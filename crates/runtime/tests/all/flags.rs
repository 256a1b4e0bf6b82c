//! App flags and library calls: a contract that is not `callable` runs for a
//! transaction but not for a contract; a `public` contract takes plain transfers; a
//! library call runs an `importable` contract's code in the caller's context (its
//! storage, its address, its caller) and is refused for any other.

use cove_runtime::{AppFlags, Balance, CallsConfig, Config, Receipt, Reentrancy, Runtime};
use types::{Address, ErrorKind, VmType};

use crate::calls::{PROXY_WAT, forward_mode};
use crate::support::{ALICE, KV_WAT, T0, failed, mem_runtime, ok};

/// A library: `stamp` stores under "who" (in whichever storage it runs in) the address
/// it runs as and its caller (20 + 20 bytes) and returns them; `stamp_then_trap` does
/// the same, then traps; `call_self` calls the contract it runs as (entry "who") and
/// returns the status (4 bytes LE).
const LIBRARY_WAT: &str = r#"(module
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "get_caller" (func $caller (param i32) (result i32)))
  (import "env" "get_contract_address" (func $self (param i32) (result i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (import "env" "call" (func $call (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "who")
  (func $stamp
    (drop (call $self (i32.const 64)))
    (drop (call $caller (i32.const 84)))
    (drop (call $write (i32.const 0) (i32.const 3) (i32.const 64) (i32.const 40)))
    (call $return_data (i32.const 64) (i32.const 40)))
  (func (export "stamp") (call $stamp))
  (func (export "stamp_then_trap") (call $stamp) (unreachable))
  (func (export "call_self")
    (drop (call $self (i32.const 64)))
    (i32.store (i32.const 128)
      (call $call (i32.const 64) (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 160) (i64.const 0)))
    (call $return_data (i32.const 128) (i32.const 4))))"#;

/// `delegate`, input = library (20) ++ entry length (1) ++ entry ++ input: makes that
/// library call with all the gas allowed, stores "status" (4 bytes LE) and returns the
/// status ++ the result.
const DELEGATOR_WAT: &str = r#"(module
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (import "env" "library_call" (func $library_call (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "env" "call_result_len" (func $result_len (result i32)))
  (import "env" "call_result_read" (func $result_read (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "status")
  (func (export "delegate")
    (local $elen i32) (local $status i32) (local $rlen i32)
    (call $input_read (i32.const 1024))
    (local.set $elen (i32.load8_u (i32.const 1044)))
    (local.set $status
      (call $library_call
        (i32.const 1024)
        (i32.const 1045) (local.get $elen)
        (i32.add (i32.const 1045) (local.get $elen))
        (i32.sub (call $input_len) (i32.add (i32.const 21) (local.get $elen)))
        (i64.const 0)))
    (i32.store (i32.const 32) (local.get $status))
    (drop (call $write (i32.const 0) (i32.const 6) (i32.const 32) (i32.const 4)))
    (local.set $rlen (call $result_len))
    (i32.store (i32.const 65532) (local.get $status))
    (call $result_read (i32.const 65536))
    (call $return_data (i32.const 65532) (i32.add (local.get $rlen) (i32.const 4)))))"#;

fn deploy(rt: &Runtime, wat: &str, flags: AppFlags) -> Address {
    let code = wat::parse_str(wat).expect("wat parses");
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.create_with_flags(VmType::Wasm, ALICE, &code, "", Vec::new(), Balance::ZERO, None, flags);
    let r = r.unwrap();
    ok(&r);
    block.commit().unwrap();
    let address = r.address.expect("an address");
    assert_eq!(rt.contract(&address).unwrap().expect("a record").flags, flags);
    address
}

fn call(rt: &Runtime, to: Address, entry: &str, input: Vec<u8>) -> Receipt {
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.call(ALICE, to, entry, input, None).unwrap();
    block.commit().unwrap();
    r
}

fn value(rt: &Runtime, address: Address, key: &[u8]) -> Option<Vec<u8>> {
    rt.contract_state(&address).unwrap().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn delegate(library: Address, entry: &str) -> Vec<u8> {
    let mut input = library.0.to_vec();
    input.push(entry.len() as u8);
    input.extend_from_slice(entry.as_bytes());
    input
}

/// The status and result `delegate` returned.
fn status_and_result(receipt: &Receipt) -> (u32, Vec<u8>) {
    let out = ok(receipt);
    (u32::from_le_bytes(out[..4].try_into().unwrap()), out[4..].to_vec())
}

const IMPORTABLE: AppFlags = AppFlags { importable: true, ..AppFlags::DEFAULT };

#[test]
fn a_library_call_runs_in_the_callers_storage_as_the_caller() {
    let rt = mem_runtime();
    let library = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let delegator = deploy(&rt, DELEGATOR_WAT, AppFlags::DEFAULT);
    let r = call(&rt, delegator, "delegate", delegate(library, "stamp"));
    let (status, result) = status_and_result(&r);
    assert_eq!(status, 0);
    // The code ran as the delegator (its address), for the delegator's caller.
    let expected = [delegator.0, ALICE.0].concat();
    assert_eq!(result, expected);
    assert_eq!(value(&rt, delegator, b"who"), Some(expected));
    // The library's own storage is untouched.
    assert_eq!(rt.contract_state(&library).unwrap(), Vec::new());
}

#[test]
fn a_failed_library_call_undoes_its_writes_and_the_caller_goes_on() {
    let rt = mem_runtime();
    let library = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let delegator = deploy(&rt, DELEGATOR_WAT, AppFlags::DEFAULT);
    let r = call(&rt, delegator, "delegate", delegate(library, "stamp_then_trap"));
    assert_eq!(status_and_result(&r), (1, Vec::new()));
    assert_eq!(value(&rt, delegator, b"who"), None);
    assert_eq!(value(&rt, delegator, b"status"), Some(1u32.to_le_bytes().to_vec()));
}

#[test]
fn a_library_call_to_code_that_is_not_importable_is_refused() {
    let rt = mem_runtime();
    let library = deploy(&rt, LIBRARY_WAT, AppFlags::DEFAULT);
    let delegator = deploy(&rt, DELEGATOR_WAT, AppFlags::DEFAULT);
    let gas_refused = {
        let r = call(&rt, delegator, "delegate", delegate(library, "stamp"));
        assert_eq!(status_and_result(&r), (7, Vec::new()), "unauthorized");
        r.gas_used
    };
    assert_eq!(value(&rt, delegator, b"who"), None);
    // Nothing of the library ran: the refusal costs less than the library call that runs.
    let importable = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let r = call(&rt, delegator, "delegate", delegate(importable, "stamp"));
    assert_eq!(status_and_result(&r).0, 0);
    assert!(gas_refused < r.gas_used, "{gas_refused} < {}", r.gas_used);
    // No contract at the address: not_found.
    let r = call(&rt, delegator, "delegate", delegate(Address([0x77; 20]), "stamp"));
    assert_eq!(status_and_result(&r), (6, Vec::new()));
}

#[test]
fn a_contract_that_is_not_callable_runs_for_a_transaction_but_not_for_a_contract() {
    let rt = mem_runtime();
    let kv = deploy(&rt, KV_WAT, AppFlags::NONE);
    let proxy = deploy(&rt, PROXY_WAT, AppFlags::DEFAULT);
    // A contract calling it: status 7 (unauthorized), nothing of it ran.
    let r = call(&rt, proxy, "forward", forward_mode(2, kv, 0, 0, "set", b"from a contract"));
    assert_eq!(ok(&r), 7u32.to_le_bytes().to_vec());
    assert_eq!(value(&rt, kv, b"k"), None);
    // A transaction calling it: it runs.
    ok(&call(&rt, kv, "set", b"from a transaction".to_vec()));
    assert_eq!(value(&rt, kv, b"k").as_deref(), Some(&b"from a transaction"[..]));
    // And a callable one runs for the contract.
    let callable = deploy(&rt, KV_WAT, AppFlags::DEFAULT);
    let r = call(&rt, proxy, "forward", forward_mode(2, callable, 0, 0, "set", b"hi"));
    assert_eq!(ok(&r), 0u32.to_le_bytes().to_vec());
}

#[test]
fn a_public_contract_takes_plain_transfers_and_others_refuse_them() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let public = deploy(&rt, KV_WAT, AppFlags { public: true, ..AppFlags::DEFAULT });
    let private = deploy(&rt, KV_WAT, AppFlags::DEFAULT);
    let mut block = rt.begin_block(T0).unwrap();
    ok(&block.fund(ALICE, Balance::from_u128(1_000)).unwrap());
    let sent = block.call_with_value(ALICE, public, "", Vec::new(), Balance::from_u128(400), None).unwrap();
    ok(&sent);
    // Two balance writes at the default `storage_write` price, and no code ran.
    assert_eq!(sent.gas_used, 2 * 1_000);
    let refused =
        block.call_with_value(ALICE, private, "", Vec::new(), Balance::from_u128(400), None).unwrap();
    failed(&refused, ErrorKind::NotFound);
    // Too little gas for the transfer: out of gas, nothing moved.
    let short = block.call_with_value(ALICE, public, "", Vec::new(), Balance::from_u128(1), Some(1_999));
    failed(&short.unwrap(), ErrorKind::OutOfGas);
    block.commit().unwrap();
    assert_eq!(rt.balance(&public).unwrap(), Balance::from_u128(400));
    assert_eq!(rt.balance(&private).unwrap(), Balance::ZERO);
    assert_eq!(rt.balance(&ALICE).unwrap(), Balance::from_u128(600));
    assert_eq!(rt.contract_state(&public).unwrap(), Vec::new());
}

/// Flags are for contracts of cove's ABI: an EVM contract's calls to EVM contracts run
/// inside the EVM, which does not see them, so an EVM (or CosmWasm) contract with other
/// flags is refused before anything runs.
#[test]
fn flags_other_than_the_defaults_are_refused_for_other_vms() {
    use crate::evm::{SUPPLY, token_init_code, word_u64};
    let rt = mem_runtime();
    let mut block = rt.begin_block(T0).unwrap();
    let create = |block: &mut cove_runtime::Block<'_>, flags| {
        block.create_with_flags(
            VmType::Evm,
            ALICE,
            &token_init_code(),
            "",
            word_u64(SUPPLY),
            Balance::ZERO,
            None,
            flags,
        )
    };
    let e = create(&mut block, AppFlags::NONE).unwrap_err();
    assert!(e.to_string().contains("app flags are for contracts of cove's ABI"), "{e}");
    assert_eq!(block.transactions(), 0, "nothing ran");
    let r = create(&mut block, AppFlags::DEFAULT).unwrap();
    ok(&r);
    block.commit().unwrap();
    assert_eq!(rt.contract(&r.address.unwrap()).unwrap().unwrap().flags, AppFlags::DEFAULT);
}

#[test]
fn a_library_call_counts_toward_the_depth_limit_and_is_read_only_in_a_query() {
    let config =
        Config { calls: CallsConfig { max_call_depth: 1, ..CallsConfig::default() }, ..Config::default() };
    let rt = Runtime::in_memory(config).unwrap();
    let library = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let delegator = deploy(&rt, DELEGATOR_WAT, AppFlags::DEFAULT);
    let proxy = deploy(&rt, PROXY_WAT, AppFlags::DEFAULT);
    // A transaction's library call runs at depth 1: allowed.
    assert_eq!(status_and_result(&call(&rt, delegator, "delegate", delegate(library, "stamp"))).0, 0);
    // Called by the proxy, the delegator runs at depth 1 and its library call would run
    // at depth 2, past max_call_depth = 1: status 9 (the proxy's own call succeeded).
    let input = forward_mode(2, delegator, 0, 0, "delegate", &delegate(library, "stamp"));
    let out = ok(&call(&rt, proxy, "forward", input));
    assert_eq!(out, [0u32.to_le_bytes(), 9u32.to_le_bytes()].concat());

    let rt = mem_runtime();
    let library = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let query = r#"(module
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (import "env" "library_call" (func $library_call (param i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "stamp")
  (func (export "ask")
    (call $input_read (i32.const 0))
    (i32.store (i32.const 64) (call $library_call (i32.const 0) (i32.const 32) (i32.const 5) (i32.const 0) (i32.const 0) (i64.const 0)))
    (call $return_data (i32.const 64) (i32.const 4))))"#;
    let asker = deploy(&rt, query, AppFlags::DEFAULT);
    // In a query the library's write fails it: status 5 (read_only).
    let out = ok(&rt.query(ALICE, asker, "ask", library.0.to_vec(), None).unwrap());
    assert_eq!(out, 5u32.to_le_bytes().to_vec());
}

#[test]
fn library_code_calling_the_contract_it_runs_as_is_reentrancy_under_deny() {
    let rt = mem_runtime();
    let library = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let delegator = deploy(&rt, DELEGATOR_WAT, AppFlags::DEFAULT);
    // The library's code runs as the delegator, which is on the call stack: status 10.
    let r = call(&rt, delegator, "delegate", delegate(library, "call_self"));
    assert_eq!(status_and_result(&r), (0, 10u32.to_le_bytes().to_vec()));
    // Run by a transaction as itself, the same code's call is reentrancy too (the
    // library's own address is then on the stack), so the refusal is the stack's, not
    // the library call's.
    let r = call(&rt, library, "call_self", Vec::new());
    assert_eq!(ok(&r), 10u32.to_le_bytes().to_vec());
    // Under `allow` the call reaches the delegator, which has no entry point "who": 6.
    let calls = CallsConfig { reentrancy: Reentrancy::Allow, ..CallsConfig::default() };
    let rt = Runtime::in_memory(Config { calls, ..Config::default() }).unwrap();
    let library = deploy(&rt, LIBRARY_WAT, IMPORTABLE);
    let delegator = deploy(&rt, DELEGATOR_WAT, AppFlags::DEFAULT);
    let r = call(&rt, delegator, "delegate", delegate(library, "call_self"));
    assert_eq!(status_and_result(&r), (0, 6u32.to_le_bytes().to_vec()));
}
