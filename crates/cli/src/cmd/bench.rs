//! `cove bench [--json] [--quick]`: the figures of docs/benchmarks.md;
//! `cove bench gas-calibration`: nanoseconds per unit of gas (docs/gas.md);
//! `cove bench node`: a node under HTTP load (docs/benchmarks.md, "The node").

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::args::{BenchArgs, BenchCommand, BenchNodeArgs, Cli};

pub(crate) fn run(cli: &Cli, a: &BenchArgs) -> Result<ExitCode> {
    match &a.what {
        Some(BenchCommand::GasCalibration) => return gas_calibration(cli, a),
        Some(BenchCommand::Node(n)) => return node(cli, n),
        None => {}
    }
    let scale = if a.quick { 10 } else { 1 };
    let config = super::load_config(cli)?;
    let (rt, token) = bench::token_runtime(&config);
    // Warm up, then measure: 1,000 transfers per committed block.
    bench::transfers_per_sec(&rt, token, 2_000 / scale, 1_000);
    let transfers = bench::transfers_per_sec(&rt, token, 200_000 / scale, 1_000);
    let transfers_block_each = bench::transfers_per_sec(&rt, token, 20_000 / scale, 1);
    let counter = bench::counter_call_us_p50(&config, 20_000 / scale as usize);
    let cross_call = bench::cross_contract_call_us_p50(&config, 10_000 / scale as usize);
    let swap = bench::defi_swap_us_p50(&config, 5_000 / scale as usize);
    let module = bench::generated_module(200 * 1024);
    let deploy = bench::deploy_ms(&config, &module, 11 / scale as usize + 1);
    let metering = bench::metering_overhead_ratio(&config, 31 / scale as usize + 1);
    let deposits = bench::deposit_transfers_ratio(&config, 100_000 / scale);
    // The module cache, on a module the size of the real CosmWasm contracts.
    let module_230kb = bench::generated_module(230 * 1024);
    let instantiate_memory = bench::instantiate_memory_us(&config, &module_230kb, 20_000 / scale as usize);
    let disk = bench::instantiate_disk_ms(&config, &module_230kb, 11 / scale as usize + 1);
    let compile = bench::deploy_ms(&config, &module_230kb, 11 / scale as usize + 1);
    let compile_optimized = bench::compile_optimized_ms(&config, &module_230kb, 5 / scale as usize + 1);
    let evm = bench::evm_transfers(&config, 70_000 / scale);
    // Issue 6: 1,000,000 keys, blocks of 10,000 updates, each durable with its root,
    // over one whole cycle of the block log (`write_back_blocks` blocks).
    let cycle = u32::try_from(runtime::StoreConfig::default().write_back_blocks).unwrap_or(u32::MAX);
    let store = bench::state_store(1_000_000 / scale, 10_000 / scale, cycle);
    // Issue 5: cyberpunk (a real CosmWasm contract; the fixture is fetched if missing).
    let noop = bench::cosmwasm::noop_execute_us(&config, 20_000 / scale as usize);
    let argon2 = bench::cosmwasm::argon2_ms(&config, 11 / scale as usize + 1);
    // Execution modes (docs/modes.md), each against `jit` in the same run.
    let modes = bench::modes::transfers(&config, 70_000 / scale);
    let compute_ratio = bench::modes::interpreter_vs_jit_compute_ratio(&config, 15 / scale as usize + 1);
    let first_call = bench::modes::hybrid_first_call(&config, &module_230kb, 11 / scale as usize + 1);
    // Parallel execution: blocks of 10,000 on 2 threads against 1 (docs/parallel.md).
    let parallel = bench::parallel::speedups(&config, 10_000 / scale as usize);
    let round = |x: f64, digits: i32| (x * 10f64.powi(digits)).round() / 10f64.powi(digits);
    // A figure that could not be measured is null, and the reason goes to stderr.
    let figure = |r: Result<f64, String>, digits: i32| match r {
        Ok(x) => json!(round(x, digits)),
        Err(e) => {
            eprintln!("cove bench: {e}");
            serde_json::Value::Null
        }
    };
    let speedup =
        |f: fn(&bench::parallel::Speedups) -> f64| figure(parallel.as_ref().map(f).map_err(Clone::clone), 3);
    let figures = json!({
        "transfer_calls_per_sec": transfers.round(),
        "transfer_calls_per_sec_block_each": transfers_block_each.round(),
        "counter_call_us_p50": (counter * 100.0).round() / 100.0,
        "cross_contract_call_us_p50": round(cross_call, 2),
        "defi_swap_us_p50": round(swap, 2),
        "deploy_ms_200kb": (deploy * 100.0).round() / 100.0,
        "deploy_module_bytes": module.len(),
        "metering_overhead_ratio": (metering * 1000.0).round() / 1000.0,
        "storage_deposit_transfers_ratio": round(deposits, 3),
        "instantiate_memory_us": round(instantiate_memory, 2),
        "instantiate_disk_ms": round(disk.hot_ms, 3),
        "instantiate_disk_first_tier_ms": round(disk.first_tier_ms, 3),
        "compile_ms_230kb": round(compile, 2),
        "compile_optimized_ms_230kb": round(compile_optimized, 2),
        "cache_module_bytes": module_230kb.len(),
        "evm_erc20_transfers_per_sec": evm.cove_per_sec.round(),
        "evm_raw_revm_transfers_per_sec": evm.revm_per_sec.round(),
        "evm_vs_revm_ratio": round(evm.ratio, 3),
        "state_commit_updates_per_sec": store.commit_updates_per_sec.round(),
        "state_read_us_p50": round(store.read_us_p50, 2),
        "state_keys": store.keys,
        "cosmwasm_noop_execute_us": figure(noop, 2),
        "cosmwasm_argon2_ms": figure(argon2, 3),
        "interpreter_transfer_calls_per_sec": modes.interpreter_per_sec.round(),
        "jit_transfer_calls_per_sec": modes.jit_per_sec.round(),
        "jit_vs_interpreter_transfer_ratio": round(modes.jit_over_interpreter, 3),
        "interpreter_vs_jit_compute_ratio": round(compute_ratio, 2),
        "hybrid_first_call_ms": round(first_call.hybrid_ms, 3),
        "hybrid_deploy_ms_230kb": round(first_call.hybrid_deploy_ms, 2),
        "jit_first_call_ms": round(first_call.jit_ms, 3),
        "jit_deploy_ms_230kb": round(first_call.jit_deploy_ms, 2),
        "parallel_speedup_wasm_transfers_disjoint": speedup(|s| s.wasm_disjoint),
        "parallel_speedup_evm_erc20_transfers_disjoint": speedup(|s| s.evm_disjoint),
        "parallel_speedup_hot_contract": speedup(|s| s.hot),
        "parallel_speedup_mixed": speedup(|s| s.mixed),
        "mode": config.wasm.compiler.name(),
    });
    if cli.json {
        println!("{figures}");
    } else {
        crate::output::print_human(&figures);
    }
    Ok(ExitCode::SUCCESS)
}

/// Every item's ns per gas, and the worst.
fn gas_calibration(cli: &Cli, a: &BenchArgs) -> Result<ExitCode> {
    let config = super::load_config(cli)?;
    let items = bench::gas::calibrate(&config, a.quick);
    let worst = bench::gas::worst(&items).cloned();
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    if cli.json {
        let items: Vec<_> = items
            .iter()
            .map(|i| json!({"name": i.name, "gas": i.gas, "ns": i.ns.round(), "ns_per_gas": round(i.ns_per_gas)}))
            .collect();
        let worst = worst.map(|w| json!({"name": w.name, "ns_per_gas": round(w.ns_per_gas)}));
        println!("{}", json!({"items": items, "worst": worst}));
    } else {
        println!("{:<72} {:>14} {:>14} {:>10}", "item", "gas", "ns", "ns/gas");
        for i in &items {
            println!("{:<72} {:>14} {:>14.0} {:>10.3}", i.name, i.gas, i.ns, i.ns_per_gas);
        }
        if let Some(w) = worst {
            println!("worst: {} at {:.3} ns/gas", w.name, w.ns_per_gas);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cove bench node`: the figures of one run, which fails unless every receipt
/// succeeded and every balance adds up.
fn node(cli: &Cli, a: &BenchNodeArgs) -> Result<ExitCode> {
    // The node's line per block (height, transactions, execution and commit times) on
    // stderr, as under `cove node`: what bounds a run.
    log::set_max_level(log::LevelFilter::Info);
    let config = super::load_config(cli)?;
    let load = bench::node_load::NodeLoad {
        accounts: a.accounts,
        txs: a.txs,
        concurrency: a.concurrency,
        block_time: a.block_time,
    };
    let f = bench::node_load::run(&config, &load).map_err(anyhow::Error::msg)?;
    let round = |x: f64, digits: i32| (x * 10f64.powi(digits)).round() / 10f64.powi(digits);
    let figures = json!({
        "node_transfers_per_sec": f.transfers_per_sec.round(),
        "node_send_to_receipt_ms_p50": round(f.send_to_receipt_ms_p50, 2),
        "node_send_to_receipt_ms_p99": round(f.send_to_receipt_ms_p99, 2),
        "node_eth_call_ms_p50": round(f.eth_call_ms_p50, 3),
        "node_eth_call_ms_p99": round(f.eth_call_ms_p99, 3),
        "transfers": f.transfers,
        "secs": round(f.secs, 3),
        "accounts": a.accounts,
        "concurrency": a.concurrency,
        "block_time_ms": u64::try_from(a.block_time.as_millis()).unwrap_or(u64::MAX),
        "blocks": f.blocks,
        "max_block_txs": f.max_block_txs,
        "pool_full_retries": f.pool_full_retries,
        "receipts_ok": f.receipts_ok,
        "balances_checked": f.balances_checked,
    });
    if cli.json {
        println!("{figures}");
    } else {
        crate::output::print_human(&figures);
    }
    Ok(ExitCode::SUCCESS)
}
