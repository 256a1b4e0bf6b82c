//! `cove cache stats|pin|unpin|clear`
//!
//! Each command opens the data dir like any other, so `stats` shows what is on disk and
//! pinned, plus the counters of this (short-lived) process. cove's WASM contracts and
//! CosmWasm contracts have a cache each; `stats` shows both, `clear` clears both, and
//! `pin` pins in the cache of the code's VM.

use std::process::ExitCode;

use anyhow::Result;
use runtime::{CacheStats, Runtime};
use serde_json::json;
use types::CodeId;

use crate::args::{Cli, CodeRef};

pub(crate) fn stats(cli: &Cli) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let (wasm, cosmwasm) = (rt.cache_stats(), rt.cosmwasm_cache_stats());
    if cli.json {
        // cove's cache at the top level, CosmWasm's with the same fields under `cosmwasm`.
        let mut out = serde_json::to_value(&wasm)?;
        out["cosmwasm"] = serde_json::to_value(&cosmwasm)?;
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    print_stats(&wasm);
    println!("cosmwasm");
    print_stats(&cosmwasm);
    Ok(ExitCode::SUCCESS)
}

fn print_stats(s: &CacheStats) {
    match &s.dir {
        Some(dir) => println!("dir      {}", dir.display()),
        None => println!("dir      (none: disk tier off)"),
    }
    println!("disk     {} artifacts, {} bytes", s.disk.modules, s.disk.bytes);
    println!("pinned   {} code(s)", s.pinned_codes.len());
    for id in &s.pinned_codes {
        println!("         {id}");
    }
}

pub(crate) fn pin(cli: &Cli, target: CodeRef, pin: bool) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let (id, changed) = match (pin, target) {
        (true, CodeRef::Contract(address)) => (rt.pin_contract(&address)?, true),
        (true, CodeRef::Code(id)) => {
            rt.pin(&id)?;
            (id, true)
        }
        (false, target) => {
            let id = resolve(&rt, target)?;
            (id, rt.unpin(&id)?)
        }
    };
    let verb = if pin { "pinned" } else { "unpinned" };
    if cli.json {
        println!("{}", json!({"status": "ok", "code_id": id.to_string(), verb: changed}));
    } else if changed {
        println!("{verb} {id}");
    } else {
        println!("{id} was not pinned");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn clear(cli: &Cli) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    rt.clear_cache()?;
    if cli.json {
        println!("{}", json!({"status": "ok"}));
    } else {
        println!("cache cleared");
    }
    Ok(ExitCode::SUCCESS)
}

fn resolve(rt: &Runtime, target: CodeRef) -> Result<CodeId> {
    match target {
        CodeRef::Code(id) => Ok(id),
        CodeRef::Contract(address) => {
            let info = rt.contract(&address)?;
            let id = info.map(|info| info.code_id);
            Ok(id.ok_or_else(|| runtime::RuntimeError::NotFound(format!("no contract at {address}")))?)
        }
    }
}
