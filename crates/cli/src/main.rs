//! `cove`: the command-line front end. Glue only: parse arguments into validated values,
//! call the runtime, print the result (human-readable, or JSON with `--json`).
//!
//! Exit codes: 0 success; 1 a contract call failed (the JSON carries its kind);
//! 2 usage or I/O error (including a state store that cannot be opened).

mod args;
mod cmd;
mod logger;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's allocator: glibc consolidates its free lists whenever a
/// block's commit makes or frees a large buffer, and every small allocation after that
/// takes its slow path. That alone cost the EVM benchmark ~10% against plain revm
/// (`docs/benchmarks.md`, "Allocator"). Embedders choose their own allocator; the
/// library crates do not set one.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    logger::init();
    let cli = args::Cli::parse();
    match cmd::run(&cli) {
        Ok(code) => code,
        Err(e) => {
            if cli.json {
                let body = serde_json::json!({"status": "error", "error": {"kind": "io", "message": format!("{e:#}")}});
                println!("{body}");
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
