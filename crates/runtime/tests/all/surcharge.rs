//! The energy surcharge through the runtime: part of the chain's configuration, the same
//! gas and state root in every execution mode and on every fresh data dir, for contracts
//! of cove's ABI and CosmWasm alike.

use std::path::Path;

use cosmwasm::{Action, Request};
use cove_runtime::{BlockRecord, Compiler, Config, ExecutionConfig, Receipt, Runtime};

use crate::cosmwasm_calls::ECHO_WAT;
use crate::support::*;

fn config(mode: Compiler, divisor: u64) -> Config {
    let mut c = Config::default();
    c.wasm.compiler = mode;
    c.wasm.tier_up_after_calls = 3;
    c.wasm.gas.surcharge_divisor = divisor;
    c
}

/// Deploys KV and the CosmWasm echo, then sets KV five times and executes the echo
/// twice, one block each; returns every receipt and the last block's record.
fn workload(rt: &Runtime) -> (Vec<Receipt>, BlockRecord) {
    let mut receipts = Vec::new();
    let mut block = rt.begin_block(T0).unwrap();
    let r = block.deploy(ALICE, &kv(), None, None).unwrap();
    let kv = r.address.unwrap();
    receipts.push(r);
    let code = wat::parse_str(ECHO_WAT).unwrap();
    let action = Action::Instantiate { code: &code, label: "echo", admin: None };
    let (r, _) =
        block.cosmwasm(Request { sender: ALICE, action, msg: b"{}", funds: &[], gas_limit: None }).unwrap();
    let echo = r.address.unwrap();
    receipts.push(r);
    let mut record = block.commit().unwrap();
    for i in 0..5u8 {
        let mut block = rt.begin_block(T0 + 1 + i as u64).unwrap();
        receipts.push(block.call(BOB, kv, "set", vec![i; 100 * (i as usize + 1)], None).unwrap());
        if i < 2 {
            let msg = br#"{"ok":{"attributes":[{"key":"k","value":"v"}]}}"#;
            let action = Action::Execute { contract: echo };
            let request = Request { sender: BOB, action, msg, funds: &[], gas_limit: None };
            receipts.push(block.cosmwasm(request).unwrap().0);
        }
        record = block.commit().unwrap();
        rt.settle();
    }
    for r in &receipts {
        ok(r);
    }
    (receipts, record)
}

fn run(dir: &Path, config: Config) -> (Vec<Receipt>, BlockRecord) {
    workload(&Runtime::open(dir, config).unwrap())
}

#[test]
fn the_surcharge_gives_the_same_gas_and_root_in_every_mode_and_data_dir() {
    let plain_dir = tempfile::tempdir().unwrap();
    let (plain, plain_record) = run(plain_dir.path(), config(Compiler::Tiered, 0));
    let dir = tempfile::tempdir().unwrap();
    let (first, record) = run(dir.path(), config(Compiler::Tiered, 7));
    // Whatever ran code costs more, cove's ABI and CosmWasm alike; the deploy of KV runs
    // none (no init entry point) and pays only its deploy gas, which is not a charge of
    // a call. The results are the same.
    assert_eq!(plain.len(), first.len());
    assert_eq!(plain[0].gas_used, Config::default().wasm.gas.deploy.of(kv().len()));
    assert_eq!(first[0].gas_used, plain[0].gas_used);
    for (p, s) in plain.iter().zip(&first).skip(1) {
        assert_eq!(p.result, s.result);
        assert!(s.gas_used > p.gas_used, "{} !> {}", s.gas_used, p.gas_used);
    }
    assert_eq!(plain[0].result, first[0].result);
    assert_eq!(plain_record.height, record.height);
    for mode in Compiler::ALL {
        let other = tempfile::tempdir().unwrap();
        let (receipts, other_record) = run(other.path(), config(mode, 7));
        assert_eq!(receipts, first, "{mode:?}: receipts");
        assert_eq!(other_record, record, "{mode:?}: roots");
    }
}

#[test]
fn the_divisor_is_recorded_with_the_chain_and_kept_by_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), config(Compiler::Tiered, 7));
    // Opened without it, the data dir refuses the difference.
    let e = Runtime::open(dir.path(), Config::default()).err().expect("the chain's divisor differs");
    assert!(e.to_string().contains("wasm.gas.surcharge_divisor: chain 7, local absent"), "{e}");
    let rt = Runtime::open(dir.path(), config(Compiler::Interpreter, 7)).unwrap();
    assert_eq!(rt.execution_config(None).unwrap().config.wasm.gas.surcharge_divisor, 7);

    // A configuration without it encodes as before the setting existed; with it, the
    // canonical bytes round-trip.
    let plain = ExecutionConfig::default();
    let text = String::from_utf8_lossy(&plain.canonical_bytes()).to_string();
    assert!(!text.contains("surcharge_divisor"), "{text}");
    let with = ExecutionConfig::of(&config(Compiler::Tiered, 100_000));
    let back = ExecutionConfig::from_canonical_bytes(&with.canonical_bytes()).unwrap();
    assert_eq!(back, with);
    assert_ne!(with.hash(), plain.hash());
    // Out of range: refused, named.
    let bad = ExecutionConfig::of(&config(Compiler::Tiered, 1));
    assert!(bad.validate().unwrap_err().contains("surcharge_divisor"));
}
