//! `cove evm statetest PATH... [--threads N]`: Ethereum's state tests through cove.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bench::statetest;
use serde_json::json;

use crate::args::Cli;

pub(crate) fn statetest(cli: &Cli, paths: &[PathBuf], threads: Option<usize>) -> Result<ExitCode> {
    let files = statetest::collect_files(paths).context("reading the fixture paths")?;
    if files.is_empty() {
        bail!("no .json fixture files under {paths:?}");
    }
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let bar = crate::output::progress_bar("statetest");
    let progress = |done: usize, total: usize| bar(done as u64, total as u64);
    let report = statetest::run_files(&files, threads, &progress);
    let elapsed = start.elapsed().as_secs_f64();
    if cli.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for f in &report.failures {
            println!("FAIL {} {} {} #{}: {}", f.file, f.test, f.fork, f.index, f.reason);
        }
        let run = report.total - report.skipped;
        let rate = if run == 0 { 0.0 } else { 100.0 * report.passed as f64 / run as f64 };
        println!(
            "{}",
            json!({"files": files.len(), "total": report.total, "passed": report.passed, "failed": report.failed,
                   "skipped": report.skipped, "pass_rate_percent": (rate * 100.0).round() / 100.0, "seconds": (elapsed * 10.0).round() / 10.0})
        );
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
