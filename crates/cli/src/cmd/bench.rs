//! `cove bench [--json] [--quick]`: the figures of docs/benchmarks.md.

use std::process::ExitCode;

use anyhow::Result;
use runtime::bench;
use serde_json::json;

use crate::args::{BenchArgs, Cli};

pub(crate) fn run(cli: &Cli, a: &BenchArgs) -> Result<ExitCode> {
    let scale = if a.quick { 10 } else { 1 };
    let config = super::load_config(cli)?;
    let (rt, token) = bench::token_runtime(&config);
    // Warm up, then measure: 1,000 transfers per committed block.
    bench::transfers_per_sec(&rt, token, 2_000 / scale, 1_000);
    let transfers = bench::transfers_per_sec(&rt, token, 200_000 / scale, 1_000);
    let transfers_block_each = bench::transfers_per_sec(&rt, token, 20_000 / scale, 1);
    let counter = bench::counter_call_us_p50(&config, 20_000 / scale as usize);
    let module = bench::generated_module(200 * 1024);
    let deploy = bench::deploy_ms(&config, &module, 11 / scale as usize + 1);
    let metering = bench::metering_overhead_ratio(&config, 31 / scale as usize + 1);
    let figures = json!({
        "transfer_calls_per_sec": transfers.round(),
        "transfer_calls_per_sec_block_each": transfers_block_each.round(),
        "counter_call_us_p50": (counter * 100.0).round() / 100.0,
        "deploy_ms_200kb": (deploy * 100.0).round() / 100.0,
        "deploy_module_bytes": module.len(),
        "metering_overhead_ratio": (metering * 1000.0).round() / 1000.0,
        "compiler": config.wasm.compiler,
    });
    if cli.json {
        println!("{figures}");
    } else {
        crate::output::print_human(&figures);
    }
    Ok(ExitCode::SUCCESS)
}
