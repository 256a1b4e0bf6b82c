//! `cove`: the command-line front end. Glue only: parse arguments into validated values,
//! call the runtime, print the result (human-readable, or JSON with `--json`).
//!
//! Exit codes: 0 success; 1 a contract call failed or a lookup found nothing (the JSON
//! carries its kind); 2 usage or I/O error (including a state store that cannot be opened)
//! or damaged stored data (kind `corrupt`); 3 a transaction was not executed and nothing
//! of it was committed: it hit the wall-clock backstop (kind `timeout`, a node fault) or
//! did not fit in the block's limits (kind `block_limit`); for `batch`, such a line was
//! dropped and the rest of the block committed.

mod args;
mod cmd;
mod input;
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

/// A closed stdout (`cove … | head`) ends the process quietly, as it does other Unix
/// tools, instead of making `println!` panic. Output is printed only after a block is
/// committed, so nothing is lost.
#[cfg(unix)]
#[expect(unsafe_code, reason = "restoring the default SIGPIPE action needs libc::signal")]
fn default_sigpipe() {
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is
    // a valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    #[cfg(unix)]
    default_sigpipe();
    logger::init();
    let cli = args::Cli::parse();
    match cmd::run(&cli) {
        Ok(code) => code,
        Err(e) => {
            // A lookup of something absent (a contract, a pruned height) is an answer,
            // exit 1 with its kind; a transaction dropped (timeout, block limit) exits 3;
            // anything else is a usage or I/O error, or damage, exit 2.
            let (kind, code, dropped) = output::error_kind(&e);
            if cli.json {
                let mut body = serde_json::json!({"status": "error", "error": {"kind": kind, "message": format!("{e:#}")}});
                if dropped {
                    body["committed"] = serde_json::json!(false);
                }
                println!("{body}");
            }
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}
