//! `cove-fuzz`: runs a fuzz target on the cases of a seed, or replays inputs.
//!
//! `cove-fuzz --target wasm --seed 1 --cases 10000` runs cases `0..10000` of seed 1;
//! a failing case is printed with its index and written to `--out` (by default
//! `target/fuzz-findings`); `cove-fuzz --target wasm --replay FILE...` runs saved
//! inputs (a file from there, or from cargo-fuzz's `fuzz/artifacts`). Exits 1 on any
//! finding. See `docs/fuzzing.md`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use cove_fuzz::runner::{MAX_INPUT_LEN, run_cases, run_one};

/// Differential fuzzing of cove's VMs (docs/fuzzing.md).
#[derive(Parser, Debug)]
#[command(name = "cove-fuzz")]
struct Args {
    /// The target: wasm, host-calls, evm or cosmwasm.
    #[arg(long)]
    target: String,
    /// The seed the cases are generated from.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many cases to run.
    #[arg(long, default_value_t = 1000)]
    cases: u64,
    /// The largest input of a case, in bytes.
    #[arg(long, default_value_t = MAX_INPUT_LEN)]
    max_len: usize,
    /// Stop after this many seconds even if cases remain (the summary says how many ran).
    #[arg(long)]
    seconds: Option<u64>,
    /// Where failing inputs are written.
    #[arg(long, default_value = "target/fuzz-findings")]
    out: PathBuf,
    /// Replay these input files instead of generating cases.
    #[arg(long, num_args = 1..)]
    replay: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut target = match cove_fuzz::target(&args.target) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cove-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    if !args.replay.is_empty() {
        let mut failed = 0;
        for file in &args.replay {
            let data = match std::fs::read(file) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("cove-fuzz: reading {}: {e}", file.display());
                    return ExitCode::from(2);
                }
            };
            match run_one(target.as_mut(), &data) {
                Ok(()) => println!("{}: ok", file.display()),
                Err(f) => {
                    failed += 1;
                    println!("{}: FINDING\n{f}", file.display());
                }
            }
        }
        return if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    let report = run_cases(
        target.as_mut(),
        &args.target,
        args.seed,
        args.cases,
        args.max_len,
        Some(&args.out),
        args.seconds.map(Duration::from_secs),
    );
    println!(
        "{{\"target\":\"{}\",\"seed\":{},\"cases\":{},\"findings\":{},\"seconds\":{:.1},\"cases_per_sec\":{:.0},\"stats\":{}}}",
        args.target,
        args.seed,
        report.cases,
        report.failures.len(),
        report.elapsed.as_secs_f64(),
        report.per_sec(),
        target.stats().unwrap_or_else(|| "null".into())
    );
    if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
