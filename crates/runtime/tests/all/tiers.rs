//! Compiler tiers: Winch (tiered) or Pulley (hybrid) at deploy, Cranelift after tier-up,
//! and the same results from every tier and mode.

use cove_runtime::{Compiler, Config, Receipt, Runtime, Tier};
use types::Address;

use crate::support::*;

fn config(compiler: Compiler, tier_up_after_calls: u32) -> Config {
    let mut c = Config::default();
    c.wasm.compiler = compiler;
    c.wasm.tier_up_after_calls = tier_up_after_calls;
    c
}

/// Deploys the token and the counter, then makes 40 calls; returns every receipt.
fn workload(rt: &Runtime) -> (Vec<Receipt>, Address) {
    let mut receipts = Vec::new();
    let mut block = rt.begin_block(T0).unwrap();
    let t = block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap();
    let token_addr = t.address.unwrap();
    receipts.push(t);
    let c = block.deploy(ALICE, &counter(), None, None).unwrap();
    let counter_addr = c.address.unwrap();
    receipts.push(c);
    block.commit().unwrap();
    for i in 0..20u64 {
        let mut block = rt.begin_block(T0 + 1 + i).unwrap();
        receipts.push(block.call(ALICE, token_addr, "transfer", transfer_input(BOB, i + 1), None).unwrap());
        receipts.push(block.call(BOB, counter_addr, "increment", Vec::new(), None).unwrap());
        block.commit().unwrap();
        // Let a started tier-up finish at a known point, so later calls run on it.
        rt.settle();
    }
    receipts.push(rt.query(ALICE, token_addr, "balance", BOB.0.to_vec(), None).unwrap());
    (receipts, token_addr)
}

#[test]
fn hot_modules_tier_up_from_winch_to_cranelift() {
    let rt = Runtime::in_memory(config(Compiler::Tiered, 5)).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let token_addr =
        block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap().address.unwrap();
    block.commit().unwrap();
    assert_eq!(rt.tier_of(&token_addr).unwrap(), Some(Tier::Baseline), "deploy compiles with Winch");
    let mut block = rt.begin_block(T0 + 1).unwrap();
    for i in 0..5 {
        assert!(block.call(ALICE, token_addr, "transfer", transfer_input(BOB, i + 1), None).unwrap().is_ok());
    }
    rt.settle();
    assert_eq!(rt.tier_of(&token_addr).unwrap(), Some(Tier::Optimized), "the 5th call started the tier-up");
    assert!(block.call(ALICE, token_addr, "transfer", transfer_input(BOB, 1), None).unwrap().is_ok());
}

#[test]
fn every_tier_gives_identical_receipts() {
    let (tiered, _) = workload(&Runtime::in_memory(config(Compiler::Tiered, 7)).unwrap());
    let (baseline, _) = workload(&Runtime::in_memory(config(Compiler::Baseline, 7)).unwrap());
    let (optimizing, _) = workload(&Runtime::in_memory(config(Compiler::Optimizing, 7)).unwrap());
    let (interpreter, _) = workload(&Runtime::in_memory(config(Compiler::Interpreter, 7)).unwrap());
    let (hybrid, _) = workload(&Runtime::in_memory(config(Compiler::Hybrid, 7)).unwrap());
    assert_eq!(tiered, baseline, "tiered (switching mid-run) vs Winch only");
    assert_eq!(tiered, optimizing, "tiered vs Cranelift only");
    assert_eq!(tiered, interpreter, "tiered vs Pulley only");
    assert_eq!(tiered, hybrid, "tiered vs hybrid (Pulley, then Cranelift mid-run)");
}

#[test]
fn hybrid_interprets_fresh_modules_then_switches_to_cranelift() {
    let rt = Runtime::in_memory(config(Compiler::Hybrid, 5)).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let token_addr =
        block.deploy(ALICE, &token(), Some(("init", Vec::new())), None).unwrap().address.unwrap();
    block.commit().unwrap();
    assert_eq!(rt.tier_of(&token_addr).unwrap(), Some(Tier::Interpreted), "deploy compiles to Pulley");
    let mut block = rt.begin_block(T0 + 1).unwrap();
    // The deploy's `init` was the first call.
    for i in 0..3 {
        assert!(block.call(ALICE, token_addr, "transfer", transfer_input(BOB, i + 1), None).unwrap().is_ok());
    }
    rt.settle();
    assert_eq!(rt.tier_of(&token_addr).unwrap(), Some(Tier::Interpreted), "4 calls: still interpreted");
    assert!(block.call(ALICE, token_addr, "transfer", transfer_input(BOB, 1), None).unwrap().is_ok());
    rt.settle();
    assert_eq!(rt.tier_of(&token_addr).unwrap(), Some(Tier::Optimized), "the 5th call started the compile");
}

#[test]
fn single_tier_modes_never_switch() {
    for (compiler, tier) in [
        (Compiler::Baseline, Tier::Baseline),
        (Compiler::Optimizing, Tier::Optimized),
        (Compiler::Interpreter, Tier::Interpreted),
    ] {
        let rt = Runtime::in_memory(config(compiler, 1)).unwrap();
        let (_, addr) = workload(&rt);
        assert_eq!(rt.tier_of(&addr).unwrap(), Some(tier), "{compiler:?}");
    }
}
