//! `cove coverage --batch FILE.jsonl --lcov OUT [--dwarf FILE]...`: runs a batch (the
//! format of `cove batch`) as the next block would, commits nothing, and writes which
//! source lines of the WASM contracts it ran as lcov.
//!
//! Every call of a contract of cove's WASM ABI in the batch, nested calls included, runs
//! from a coverage compile (`cove-wasm`'s `coverage` module) with the result, gas and
//! effects of an ordinary call. A module carrying DWARF line tables (Rust built with
//! debug info, `scripts/build-contracts.sh --debug-info`) is covered by source line; a
//! module without (or whose DWARF `--dwarf` does not supply) by function, named from its
//! `name` section. `genhtml OUT` renders the file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtime::coverage::{CodeReport, Granularity, lcov};
use serde_json::{Value, json};

use crate::args::{Cli, CoverageArgs};
use crate::input;
use crate::output::{self, Usage};

/// The most `--dwarf` files one run reads.
pub(crate) const MAX_DWARF_FILES: usize = 16;

/// The largest `--dwarf` file: 128 MiB (a module with full debug info is several times
/// its code; its DWARF sections are read up to `MAX_DWARF_BYTES`).
pub(crate) const MAX_DWARF_FILE_BYTES: u64 = 128 << 20;

const DWARF: input::Limit =
    input::Limit { max: MAX_DWARF_FILE_BYTES, name: "MAX_DWARF_FILE_BYTES", what: "DWARF module" };

pub(crate) fn run(cli: &Cli, a: &CoverageArgs) -> Result<ExitCode> {
    if a.dwarf.len() > MAX_DWARF_FILES {
        return Err(Usage(format!(
            "{} --dwarf files; at most {MAX_DWARF_FILES} (MAX_DWARF_FILES)",
            a.dwarf.len()
        ))
        .into());
    }
    let debug = a.dwarf.iter().map(|p| input::read(p, &DWARF)).collect::<Result<Vec<_>>>()?;
    let txs = super::batch::read(cli, &a.batch)?;
    let ready = super::batch::prepare(&a.batch, &txs)?;
    let rt = super::open_read_only(cli)?;
    rt.enable_coverage();
    // The next block, never committed (dropped at the end).
    let mut block = rt.begin_block(super::now())?;
    let applied = super::batch::apply(&mut block, &ready, &a.batch)?;
    let height = block.info().height;
    drop(block);

    let debug: Vec<&[u8]> = debug.iter().map(Vec::as_slice).collect();
    let (reports, skipped) = rt.coverage(&debug).unwrap_or_default();
    let records: Vec<_> = reports.iter().map(|r| r.coverage.clone()).collect();
    std::fs::write(&a.lcov, lcov(&records)).with_context(|| format!("writing {}", a.lcov.display()))?;

    let codes: Vec<Value> = reports.iter().map(summary).collect();
    let skipped: Vec<String> = skipped.iter().map(ToString::to_string).collect();
    if cli.json {
        let mut body = json!({
            "status": "ok",
            "height": height,
            "committed": false,
            "lcov": path(&a.lcov),
            "transactions": applied.results.len() - applied.dropped,
            "failed": applied.failed,
            "dropped": applied.dropped,
            "results": applied.results,
            "codes": codes,
        });
        if !skipped.is_empty() {
            body["skipped_codes"] = json!(skipped);
        }
        println!("{body}");
    } else {
        for r in &applied.results {
            let line = r["line"].as_u64().unwrap_or(0);
            match r["status"].as_str() {
                Some("ok") => println!("line {line}: ok, gas_used {}", r["gas_used"]),
                _ => println!(
                    "line {line}: error ({}): {}",
                    r["error"]["kind"].as_str().unwrap_or("?"),
                    r["error"]["message"].as_str().unwrap_or("")
                ),
            }
        }
        for c in &codes {
            println!(
                "code {}: by {}, lines {}/{} hit, functions {}/{} hit{}",
                c["code_id"].as_str().unwrap_or("?"),
                c["granularity"].as_str().unwrap_or("?"),
                c["lines_hit"],
                c["lines_found"],
                c["functions_hit"],
                c["functions_found"],
                c["note"].as_str().map(|n| format!(" (no lines: {n})")).unwrap_or_default()
            );
        }
        for id in &skipped {
            println!("code {id}: not covered (more than {} codes)", runtime::coverage::MAX_COVERED_CODES);
        }
        println!("wrote {} (nothing committed)", a.lcov.display());
    }
    Ok(if applied.dropped > 0 { ExitCode::from(output::EXIT_DROPPED) } else { ExitCode::SUCCESS })
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// One code's totals.
fn summary(r: &CodeReport) -> Value {
    let c = &r.coverage;
    let files = c.files.values();
    let lines_found: usize = files.clone().map(|f| f.lines.len()).sum();
    let lines_hit: usize = files.clone().map(|f| f.lines.values().filter(|n| **n > 0).count()).sum();
    let functions_found: usize = files.clone().map(|f| f.functions.len()).sum();
    let functions_hit: usize = files.map(|f| f.functions.iter().filter(|f| f.count > 0).count()).sum();
    let mut v = json!({
        "code_id": r.code_id.to_string(),
        "granularity": match c.granularity { Granularity::Lines => "line", Granularity::Functions => "function" },
        "files": c.files.len(),
        "lines_found": lines_found,
        "lines_hit": lines_hit,
        "functions_found": functions_found,
        "functions_hit": functions_hit,
    });
    if let Some(note) = &c.note {
        v["note"] = json!(note);
    }
    v
}
