//! `cove evm statetest PATH... [--threads N]`: Ethereum's state tests through cove.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use evm::statetest;
use serde_json::json;

use crate::args::Cli;

pub(crate) fn statetest(cli: &Cli, paths: &[PathBuf], threads: Option<usize>) -> Result<ExitCode> {
    let files = statetest::collect_files(paths).context("reading the fixture paths")?;
    if files.is_empty() {
        bail!("no .json fixture files under {paths:?}");
    }
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let show = std::io::stderr().is_terminal();
    let start = Instant::now();
    let progress = |done: usize, total: usize| {
        if show && (done == total || done.is_multiple_of(16)) {
            let width = 30;
            let filled = done * width / total;
            eprint!("\r[{}{}] {done}/{total} files", "#".repeat(filled), " ".repeat(width - filled));
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    };
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
