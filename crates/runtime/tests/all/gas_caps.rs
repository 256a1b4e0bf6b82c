//! Gas caps and the work gas must bound: a gas limit above `max_tx_gas` is refused
//! (never clamped), a block admits transactions only while its gas lasts, and the slow
//! work reachable from a contract (BLS12-381 pairings through `precompile`, CosmWasm
//! scans after many writes in the block) ends out of gas at any admitted limit.

use bench::gas_cosmwasm::{OP_SCAN, OP_WRITE, execute_store, instantiate_store, store_msg};
use cove_runtime::{Config, Runtime, RuntimeError};
use types::ErrorKind;

use crate::support::*;

fn refused(r: Result<cove_runtime::Receipt, RuntimeError>) -> String {
    match r {
        Err(RuntimeError::InvalidArgument(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The message of a transaction dropped because the block's gas is spent.
fn dropped(r: Result<cove_runtime::Receipt, RuntimeError>) -> String {
    match r {
        Err(RuntimeError::BlockLimit(m)) => m,
        other => panic!("expected the block to be full, got {other:?}"),
    }
}

/// A runtime for running work to the gas cap (a minute's backstop: see
/// [`config_for_heavy_work`]).
fn runtime_to_the_cap() -> Runtime {
    Runtime::in_memory(config_for_heavy_work()).expect("in-memory runtime")
}

#[test]
fn a_gas_limit_above_the_cap_is_refused_naming_it() {
    let rt = mem_runtime();
    let cap = rt.config().max_tx_gas;
    let c = deploy_committed(&rt, ALICE, &counter(), None);
    let mut block = rt.begin_block(T0 + 1).unwrap();
    for limit in [cap + 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
        let m = refused(block.call(ALICE, c, "increment", vec![], Some(limit)));
        assert!(
            m.contains("max_tx_gas") && m.contains(&cap.to_string()) && m.contains(&limit.to_string()),
            "{m}"
        );
        let m = refused(block.deploy(ALICE, &counter(), None, Some(limit)));
        assert!(m.contains("max_tx_gas"), "{m}");
        let m = refused(rt.query(ALICE, c, "get", vec![], Some(limit)));
        assert!(m.contains("max_tx_gas"), "{m}");
    }
    // The cap itself is admitted, and nothing refused ran.
    let r = block.call(ALICE, c, "increment", vec![], Some(cap)).unwrap();
    assert!(r.is_ok(), "{r:?}");
    block.commit().unwrap();
    assert_eq!(ok(&rt.query(ALICE, c, "get", vec![], None).unwrap()), u32le(1));
}

#[test]
fn a_block_admits_transactions_while_its_gas_lasts() {
    let config = Config { max_tx_gas: 1_000_000, max_block_gas: 2_500_000, ..Config::default() };
    let config = Config { default_gas_limit: 1_000_000, ..config };
    let mut config = Config { cosmwasm: cove_cosmwasm_config(1_000_000), ..config };
    config.evm.default_gas_limit = 1_000_000;
    let rt = Runtime::in_memory(config).unwrap();
    let k = deploy_committed(&rt, ALICE, &kv(), None);
    let mut block = rt.begin_block(T0 + 1).unwrap();
    // Each spins until out of gas: it uses its whole limit.
    for _ in 0..2 {
        let r = block.call(ALICE, k, "set_then_spin", b"x".to_vec(), Some(1_000_000)).unwrap();
        assert_eq!((r.result.unwrap_err().kind, r.gas_used), (ErrorKind::OutOfGas, 1_000_000));
    }
    // 500,000 left: a limit of 1,000,000, or none (counted as max_tx_gas), is refused.
    let m = dropped(block.call(ALICE, k, "set_then_spin", b"x".to_vec(), Some(1_000_000)));
    assert!(m.contains("500000") && m.contains("max_block_gas = 2500000"), "{m}");
    dropped(block.call(ALICE, k, "set", b"x".to_vec(), None));
    // A limit that fits is admitted.
    let r = block.call(ALICE, k, "set", b"y".to_vec(), Some(500_000)).unwrap();
    assert!(r.is_ok(), "{r:?}");
    block.commit().unwrap();
    // A new block starts afresh.
    let mut block = rt.begin_block(T0 + 2).unwrap();
    assert!(block.call(ALICE, k, "set", b"z".to_vec(), None).unwrap().is_ok());
}

fn cove_cosmwasm_config(default_gas_limit: u64) -> cosmwasm::Config {
    cosmwasm::Config { default_gas_limit, ..cosmwasm::Config::default() }
}

#[test]
fn the_gas_caps_are_validated() {
    let error = |config: Config| match Runtime::in_memory(config) {
        Err(RuntimeError::Config(m)) => m,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("configuration accepted"),
    };
    assert!(error(Config { max_tx_gas: 0, ..Config::default() }).contains("max_tx_gas"));
    let over = types::MAX_GAS_LIMIT + 1;
    assert!(
        error(Config { max_tx_gas: over, max_block_gas: over, ..Config::default() }).contains("max_tx_gas")
    );
    let d = Config::default();
    assert!(error(Config { max_block_gas: d.max_tx_gas - 1, ..Config::default() }).contains("max_block_gas"));
    assert!(error(Config { max_block_gas: over, ..Config::default() }).contains("max_block_gas"));
    assert!(
        error(Config { default_gas_limit: d.max_tx_gas + 1, ..Config::default() })
            .contains("default_gas_limit")
    );
    let c = Config { cosmwasm: cove_cosmwasm_config(d.max_tx_gas + 1), ..Config::default() };
    assert!(error(c).contains("cosmwasm.default_gas_limit"));
    let mut c = Config::default();
    c.evm.default_gas_limit = d.max_tx_gas + 1;
    assert!(error(c).contains("evm.default_gas_limit"));
    // The boundaries are accepted.
    let max = types::MAX_GAS_LIMIT;
    Runtime::in_memory(Config { max_tx_gas: max, max_block_gas: max, ..Config::default() }).unwrap();
    Runtime::in_memory(Config { max_block_gas: d.max_tx_gas, ..Config::default() }).unwrap();
}

/// A WASM contract calling the BLS12-381 pairing check (address 0x0f) on pairs of
/// generators at 64: `go` with one pair in an endless loop, `once1` / `once2` once
/// with one or two pairs.
fn bls_contract() -> Vec<u8> {
    let pair = bench::gas::precompile_inputs()
        .into_iter()
        .find(|(name, _, _)| name == "BLS12 PAIRING_CHECK (2 pairs)")
        .map(|(_, _, input)| input)
        .expect("the calibration's pairing input");
    let data: String = pair.iter().map(|b| format!("\\{b:02x}")).collect();
    wat::parse_str(format!(
        r#"(module
  (import "env" "precompile" (func $precompile (param i32 i32 i32) (result i64)))
  (memory (export "memory") 2)
  (data (i32.const 19) "\0f")
  (data (i32.const 64) "{data}")
  (func (export "allocate") (param i32) (result i32) (i32.const 65536))
  (func (export "once1") (drop (call $precompile (i32.const 0) (i32.const 64) (i32.const 384))))
  (func (export "once2") (drop (call $precompile (i32.const 0) (i32.const 64) (i32.const 768))))
  (func (export "go")
    (loop $forever
      (drop (call $precompile (i32.const 0) (i32.const 64) (i32.const 384)))
      (br $forever))))"#
    ))
    .unwrap()
}

#[test]
fn a_loop_of_bls_pairings_ends_out_of_gas_at_any_admitted_limit() {
    let rt = runtime_to_the_cap();
    let c = deploy_committed(&rt, ALICE, &bls_contract(), None);
    for limit in [None, Some(rt.config().max_tx_gas)] {
        let mut block = rt.begin_block(T0 + 1).unwrap();
        let r = block.call(ALICE, c, "go", vec![], limit).unwrap();
        let expected = limit.unwrap_or(rt.config().default_gas_limit);
        assert_eq!((r.result.unwrap_err().kind, r.gas_used), (ErrorKind::OutOfGas, expected), "{limit:?}");
    }
}

#[test]
fn precompile_gas_is_charged_at_the_documented_rate() {
    assert_eq!(wasm::DEFAULT_PRECOMPILE_PER_EVM_GAS, 20);
    assert_eq!(wasm::HostCosts::default().precompile_per_evm_gas, 20);
    let rt = mem_runtime();
    let c = deploy_committed(&rt, ALICE, &bls_contract(), None);
    let gas = |entry: &str| {
        let r = rt.query(ALICE, c, entry, vec![], None).unwrap();
        assert!(r.is_ok(), "{r:?}");
        r.gas_used
    };
    // EIP-2537: a pair more costs 32,600 EVM gas, times 20 in cove gas, plus the 384
    // more bytes copied in (1 per byte).
    assert_eq!(gas("once2") - gas("once1"), 32_600 * 20 + 384);
}

/// Writes by another contract earlier in the block change neither what a scan costs
/// nor (in time) what it walks: it walks its own range.
#[test]
fn a_cosmwasm_scan_costs_the_same_after_many_writes_in_the_block() {
    let rt = mem_runtime();
    let mut block = rt.begin_block(T0).unwrap();
    let scanned = instantiate_store(&mut block, ALICE).unwrap();
    let writer = instantiate_store(&mut block, ALICE).unwrap();
    let r = execute_store(&mut block, ALICE, scanned, &store_msg(OP_WRITE, 100, 1), None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    block.commit().unwrap();

    let scan = |block: &mut cove_runtime::Block<'_>| {
        let r = execute_store(block, ALICE, scanned, &store_msg(OP_SCAN, 10, 1), None).unwrap();
        assert!(r.is_ok(), "{r:?}");
        r.gas_used
    };
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let alone = scan(&mut block);
    let r = execute_store(&mut block, ALICE, writer, &store_msg(OP_WRITE, 50_000, 2), None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(scan(&mut block), alone, "50,000 writes to another contract earlier in the block");
    // Its own writes in the block are walked, and charged.
    let r = execute_store(&mut block, ALICE, scanned, &store_msg(OP_WRITE, 100, 3), None).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert!(scan(&mut block) > alone);
}

/// A contract opening scans of a large storage, after many writes in the block, runs
/// out of gas (its scans are charged for every entry walked) at the default limit and
/// at the cap.
#[test]
fn a_cosmwasm_scan_loop_ends_out_of_gas_at_any_admitted_limit() {
    let rt = runtime_to_the_cap();
    let cap = rt.config().max_tx_gas;
    let mut block = rt.begin_block(T0).unwrap();
    let scanned = instantiate_store(&mut block, ALICE).unwrap();
    let writer = instantiate_store(&mut block, ALICE).unwrap();
    for tag in 0..4 {
        let r =
            execute_store(&mut block, ALICE, scanned, &store_msg(OP_WRITE, 10_000, tag), Some(cap)).unwrap();
        assert!(r.is_ok(), "{r:?}");
    }
    block.commit().unwrap();
    let mut block = rt.begin_block(T0 + 1).unwrap();
    let r = execute_store(&mut block, ALICE, writer, &store_msg(OP_WRITE, 50_000, 9), Some(cap)).unwrap();
    assert!(r.is_ok(), "{r:?}");
    for limit in [None, Some(cap)] {
        let r = execute_store(&mut block, ALICE, scanned, &store_msg(OP_SCAN, 256, 0), limit).unwrap();
        let expected = limit.unwrap_or(rt.config().cosmwasm.default_gas_limit);
        assert_eq!((r.result.unwrap_err().kind, r.gas_used), (ErrorKind::OutOfGas, expected), "{limit:?}");
    }
}
