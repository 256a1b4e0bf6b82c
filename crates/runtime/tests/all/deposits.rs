//! Storage deposits: a contract holds `per_byte` of its native balance for each byte it
//! keeps; a transaction that leaves a contract unable to pay fails `storage_deposit`
//! and changes nothing; a deletion releases the deposit. Under cove's ABI and the EVM,
//! on fresh data directories, under both compilers.

use std::sync::Arc;

use cove_runtime::{
    Balance, Block, Compiler, Config, Deposit, Receipt, Runtime, RuntimeError, StorageDeposit,
};
use state::{Backend, MemBackend};
use types::{Address, ErrorKind, VmType};

use crate::evm::word_u64;
use crate::support::*;

const PER_BYTE: u64 = 10;
const OVERHEAD: u64 = 40;
/// A contract record's bytes: its encoding (84) and its address (20), plus the overhead.
const RECORD: u64 = 84 + 20 + OVERHEAD;

/// `set` stores the input under "k"; `del` deletes "k"; `get` returns it;
/// `set_empty_key` stores the input under the empty key.
const STORE_WAT: &str = r#"(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "storage_delete" (func $delete (param i32 i32) (result i32)))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32)))
  (import "env" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "set")
    (call $input_read (i32.const 256))
    (drop (call $write (i32.const 0) (i32.const 1) (i32.const 256) (call $input_len))))
  (func (export "del") (drop (call $delete (i32.const 0) (i32.const 1))))
  (func (export "set_empty_key")
    (call $input_read (i32.const 256))
    (drop (call $write (i32.const 0) (i32.const 0) (i32.const 256) (call $input_len))))
  (func (export "get")
    (local $found i64)
    (local.set $found (call $read (i32.const 0) (i32.const 1)))
    (if (i64.ne (local.get $found) (i64.const 0))
      (then (call $return_data
        (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))
        (i32.wrap_i64 (local.get $found)))))))"#;

fn config(per_byte: u64, compiler: Compiler) -> Config {
    let mut c = Config {
        storage_deposit: StorageDeposit { per_byte, entry_overhead: OVERHEAD },
        ..Config::default()
    };
    c.wasm.compiler = compiler;
    c
}

fn coins(n: u64) -> Balance {
    Balance::from_u128(n as u128)
}

fn held(bytes: u64) -> Deposit {
    Deposit { bytes, held: coins(bytes * PER_BYTE) }
}

/// Runs one transaction in its own committed block.
fn tx(rt: &Runtime, run: impl FnOnce(&mut Block<'_>) -> Result<Receipt, RuntimeError>) -> Receipt {
    let height = rt.block_record(None).unwrap().height + 1;
    let mut block = rt.begin_block(T0 + height).unwrap();
    let r = run(&mut block).unwrap();
    block.commit().unwrap();
    r
}

fn deposit(rt: &Runtime, who: &Address) -> Deposit {
    rt.at(None).unwrap().deposit(who).unwrap()
}

/// Everything a scenario observed, to compare across data dirs and compilers.
#[derive(Debug, PartialEq)]
struct Seen {
    receipts: Vec<Receipt>,
    roots: Vec<[u8; 32]>,
}

fn wasm_scenario(compiler: Compiler) -> Seen {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), config(PER_BYTE, compiler)).unwrap();
    let code = wat::parse_str(STORE_WAT).unwrap();
    let mut receipts = Vec::new();
    let mut keep = |r: &Receipt| receipts.push(r.clone());
    tx(&rt, |b| b.fund(ALICE, coins(1_000_000)));

    // The record alone needs RECORD bytes' deposit: sent nothing, the deploy fails whole.
    let r = tx(&rt, |b| b.create(VmType::Wasm, ALICE, &code, "", Vec::new(), Balance::ZERO, None));
    let message = failed(&r, ErrorKind::StorageDeposit);
    assert!(message.contains(&format!("{} for {RECORD} stored bytes", RECORD * PER_BYTE)), "{message}");
    assert!(r.gas_used > 0, "the gas it used is kept: {r:?}");
    assert_eq!((r.address, rt.nonce(&ALICE).unwrap()), (None, 0), "no address taken");
    assert_eq!(rt.balance(&ALICE).unwrap(), coins(1_000_000));
    keep(&r);

    // Sent exactly the record's deposit, it deploys holding it, its free balance 0.
    let r = tx(&rt, |b| b.create(VmType::Wasm, ALICE, &code, "", Vec::new(), coins(RECORD * PER_BYTE), None));
    ok(&r);
    keep(&r);
    let c = r.address.unwrap();
    assert_eq!((deposit(&rt, &c), rt.balance(&c).unwrap()), (held(RECORD), Balance::ZERO));

    // "k" = "hello" is 1 + 5 + 40 bytes: the contract cannot pay, nothing changes.
    let hello = 1 + 5 + OVERHEAD;
    let r = tx(&rt, |b| b.call(ALICE, c, "set", b"hello".to_vec(), None));
    let message = failed(&r, ErrorKind::StorageDeposit);
    assert!(message.contains(&format!("{} more than it holds", hello * PER_BYTE)), "{message}");
    keep(&r);
    let failed_gas = r.gas_used;
    assert_eq!(ok(&rt.query(ALICE, c, "get", Vec::new(), None).unwrap()), b"");
    assert_eq!((deposit(&rt, &c), rt.balance(&c).unwrap()), (held(RECORD), Balance::ZERO));

    // Funded, the same write succeeds for the same gas and moves the deposit.
    keep(&tx(&rt, |b| b.fund(c, coins(1_000))));
    let r = tx(&rt, |b| b.call(ALICE, c, "set", b"hello".to_vec(), None));
    ok(&r);
    assert_eq!(r.gas_used, failed_gas);
    keep(&r);
    assert_eq!(ok(&rt.query(ALICE, c, "get", Vec::new(), None).unwrap()), b"hello");
    assert_eq!(deposit(&rt, &c), held(RECORD + hello));
    assert_eq!(rt.balance(&c).unwrap(), coins(1_000 - hello * PER_BYTE));

    // A shorter value releases the difference; a delete releases the rest.
    keep(&tx(&rt, |b| b.call(ALICE, c, "set", b"hi".to_vec(), None)));
    assert_eq!(deposit(&rt, &c), held(RECORD + 1 + 2 + OVERHEAD));
    assert_eq!(rt.balance(&c).unwrap(), coins(1_000 - (1 + 2 + OVERHEAD) * PER_BYTE));
    keep(&tx(&rt, |b| b.call(ALICE, c, "del", Vec::new(), None)));
    assert_eq!((deposit(&rt, &c), rt.balance(&c).unwrap()), (held(RECORD), coins(1_000)), "all back");

    let head = rt.block_record(None).unwrap().height;
    let roots = (1..=head).map(|h| rt.block_record(Some(h)).unwrap().root.unwrap()).collect();
    Seen { receipts, roots }
}

#[test]
fn a_contract_pays_for_what_it_stores_and_gets_it_back_when_it_deletes() {
    let first = wasm_scenario(Compiler::Baseline);
    assert_eq!(wasm_scenario(Compiler::Baseline), first, "a second fresh data dir");
    assert_eq!(wasm_scenario(Compiler::Optimizing), first, "the optimizing compiler");
}

/// EVM runtime code: `SSTORE(0, CALLDATALOAD(0))`.
const SLOT_WRITER: [u8; 6] = [0x60, 0x00, 0x35, 0x60, 0x00, 0x55];

fn evm_init(runtime: &[u8]) -> Vec<u8> {
    // PUSH1 len, DUP1, PUSH1 11 (the runtime code's offset), PUSH1 0, CODECOPY, PUSH1 0, RETURN
    let mut init = vec![0x60, runtime.len() as u8, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    init.extend_from_slice(runtime);
    init
}

#[test]
fn an_evm_contract_pays_for_its_code_and_its_slots() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), config(PER_BYTE, Compiler::Baseline)).unwrap();
    tx(&rt, |b| b.fund(ALICE, coins(1_000_000)));
    let record = RECORD + SLOT_WRITER.len() as u64;
    let init = &evm_init(&SLOT_WRITER);
    let create = |value: u64| {
        move |b: &mut Block<'_>| b.create(VmType::Evm, ALICE, init, "", Vec::new(), coins(value), None)
    };
    failed(&tx(&rt, create(record * PER_BYTE - 1)), ErrorKind::StorageDeposit);
    let r = tx(&rt, create(record * PER_BYTE));
    ok(&r);
    let c = r.address.unwrap();
    assert_eq!(deposit(&rt, &c), held(record), "its record and its code");

    // A slot is 32 + 32 bytes and the overhead.
    let slot = 32 + 32 + OVERHEAD;
    let r = tx(&rt, |b| b.call(ALICE, c, "", word_u64(7), None));
    failed(&r, ErrorKind::StorageDeposit);
    assert_eq!(rt.contract_state(&c).unwrap().len(), 0, "no slot written");
    tx(&rt, |b| b.fund(c, coins(slot * PER_BYTE)));
    ok(&tx(&rt, |b| b.call(ALICE, c, "", word_u64(7), None)));
    assert_eq!((deposit(&rt, &c), rt.balance(&c).unwrap()), (held(record + slot), Balance::ZERO));
    // Overwriting a slot changes no bytes; clearing it (zero) releases its deposit.
    ok(&tx(&rt, |b| b.call(ALICE, c, "", word_u64(8), None)));
    assert_eq!(deposit(&rt, &c), held(record + slot));
    ok(&tx(&rt, |b| b.call(ALICE, c, "", word_u64(0), None)));
    assert_eq!((deposit(&rt, &c), rt.balance(&c).unwrap()), (held(record), coins(slot * PER_BYTE)));
}

#[test]
fn unpriced_storage_counts_nothing_and_writes_no_record() {
    let backend = Arc::new(MemBackend::new());
    let rt = Runtime::with_backend(backend.clone(), config(0, Compiler::Baseline)).unwrap();
    let c = deploy_committed(&rt, ALICE, &kv(), None);
    ok(&call_committed(&rt, ALICE, c, "set", b"value".to_vec()));
    assert_eq!(deposit(&rt, &c), Deposit::default());
    let records = backend.scan_prefix(&[cove_runtime::deposit::DEPOSIT]).unwrap();
    assert!(records.is_empty(), "{records:?}");
    assert!(!backend.scan_prefix(&cove_runtime::keys::storage_prefix(&c)).unwrap().is_empty());
}

/// A runtime in `dir` at `per_byte`, with a deployed store contract funded with `funds`
/// beyond its record's deposit.
fn funded_store(dir: &std::path::Path, per_byte: u64, funds: u64) -> (Runtime, Address) {
    let rt = Runtime::open(dir, config(per_byte, Compiler::Baseline)).unwrap();
    tx(&rt, |b| b.fund(ALICE, coins(1_000_000)));
    let code = wat::parse_str(STORE_WAT).unwrap();
    let r = tx(&rt, |b| {
        b.create(VmType::Wasm, ALICE, &code, "", Vec::new(), coins(RECORD * per_byte + funds), None)
    });
    (rt, r.address.unwrap())
}

#[test]
fn an_entry_under_the_empty_key_pays_too() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, c) = funded_store(dir.path(), PER_BYTE, 1_000);
    ok(&tx(&rt, |b| b.call(ALICE, c, "set_empty_key", b"abc".to_vec(), None)));
    assert_eq!(deposit(&rt, &c), held(RECORD + 3 + OVERHEAD));
}

#[test]
fn after_a_price_rise_a_delete_never_costs() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, c) = funded_store(dir.path(), PER_BYTE, 460);
    let hello = 1 + 5 + OVERHEAD;
    ok(&tx(&rt, |b| b.call(ALICE, c, "set", b"hello".to_vec(), None)));
    assert_eq!(rt.balance(&c).unwrap(), Balance::ZERO);
    // From the next block on, storage costs ten times as much.
    let dearer = cove_runtime::ExecutionConfig::of(&config(PER_BYTE * 10, Compiler::Baseline));
    let next = rt.block_record(None).unwrap().height + 2;
    tx(&rt, |b| {
        b.schedule_execution_config(next, &dearer)?;
        b.fund(BOB, coins(1))
    });
    // The contract cannot pay the new price for what it keeps, yet deleting succeeds: it
    // keeps what it held, owes nothing, and gets back what the rest does not need.
    ok(&tx(&rt, |b| b.call(ALICE, c, "del", Vec::new(), None)));
    let d = deposit(&rt, &c);
    assert_eq!((d.bytes, d.held), (RECORD, coins((RECORD + hello) * PER_BYTE)));
    assert_eq!(rt.balance(&c).unwrap(), Balance::ZERO);
    // Growing again re-prices everything it keeps: it must pay the difference.
    let r = tx(&rt, |b| b.call(ALICE, c, "set", b"hello".to_vec(), None));
    failed(&r, ErrorKind::StorageDeposit);
}

#[test]
fn an_estimate_reports_a_write_its_contract_cannot_pay_for() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, c) = funded_store(dir.path(), PER_BYTE, 0);
    let request = |input: &[u8]| cove_runtime::EstimateRequest {
        sender: ALICE,
        address: c,
        method: "set",
        input: input.to_vec(),
        value: Balance::ZERO,
        cap: None,
    };
    let r = rt.estimate_gas(request(b"hello")).unwrap().unwrap_err();
    failed(&r, ErrorKind::StorageDeposit);
    // Funded, the estimate is the gas the write uses in a block.
    tx(&rt, |b| b.fund(c, coins(1_000)));
    let gas = rt.estimate_gas(request(b"hello")).unwrap().unwrap();
    assert_eq!(tx(&rt, |b| b.call(ALICE, c, "set", b"hello".to_vec(), Some(gas))).gas_used, gas);
}

#[test]
fn a_cosmwasm_contract_pays_for_its_storage_too() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), config(PER_BYTE, Compiler::Baseline)).unwrap();
    tx(&rt, |b| b.fund(ALICE, coins(1_000_000)));
    let code = bench::fixtures::load("hackatom").unwrap_or_else(|e| panic!("{e}"));
    let human = |a: &Address| rt.vms().cosmwasm().addresses().humanize(a);
    let msg = format!(r#"{{"verifier":"{}","beneficiary":"{}"}}"#, human(&ALICE), human(&BOB));
    let instantiate = |funds: &[cosmwasm::Coin]| {
        tx(&rt, |b| {
            let action = cosmwasm::Action::Instantiate { code: &code, label: "h", admin: None };
            let request =
                cosmwasm::Request { sender: ALICE, action, msg: msg.as_bytes(), funds, gas_limit: None };
            b.cosmwasm(request).map(|(r, _)| r)
        })
    };
    // Sent nothing, it cannot pay for its record and the state its instantiate writes.
    let r = instantiate(&[]);
    failed(&r, ErrorKind::StorageDeposit);
    let funds = [cosmwasm::Coin { denom: "ucove".into(), amount: 100_000 }];
    let r = instantiate(&funds);
    ok(&r);
    let c = r.address.unwrap();
    let state = rt.contract_state(&c).unwrap();
    assert!(!state.is_empty(), "hackatom stores its config");
    let bytes = RECORD + state.iter().map(|(k, v)| (k.len() + v.len()) as u64 + OVERHEAD).sum::<u64>();
    assert_eq!(deposit(&rt, &c), held(bytes));
    assert_eq!(rt.balance(&c).unwrap(), coins(100_000 - bytes * PER_BYTE));
}
