//! `cove code list`, `cove store FILE`, `cove inspect ADDRESS`

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use types::Address;

use crate::args::Cli;

pub(crate) fn list(cli: &Cli) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let codes = rt.codes()?;
    if cli.json {
        let codes: Vec<_> =
            codes.iter().map(|c| json!({"code_id": c.code_id.to_string(), "size": c.size})).collect();
        println!("{}", json!({"codes": codes}));
    } else {
        if codes.is_empty() {
            println!("(no code stored)");
        }
        for c in &codes {
            println!("{}  {} bytes", c.code_id, c.size);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cove store FILE [--gas-limit N]`: validates and stores the code in one block,
/// paying its deploy gas; prints its id (and the gas, with `--json`).
pub(crate) fn store(cli: &Cli, file: &Path, gas_limit: Option<u64>) -> Result<ExitCode> {
    let code = super::read_code(file)?;
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let receipt = block.store_code(&code, gas_limit)?;
    if !receipt.is_ok() {
        return Ok(crate::output::receipt(&receipt, cli.json, json!({})));
    }
    block.commit()?;
    let id = receipt.code_id.map(|c| c.to_string()).unwrap_or_default();
    if cli.json {
        println!("{}", json!({"status": "ok", "code_id": id, "gas_used": receipt.gas_used}));
    } else {
        println!("{id}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `cove inspect ADDRESS`: the contract's record at the head.
pub(crate) fn inspect(cli: &Cli, address: &Address) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let Some(info) = rt.contract(address)? else {
        return Err(runtime::RuntimeError::NotFound(format!("no contract at {address}")).into());
    };
    if cli.json {
        let admin = info.admin.map(|a| a.to_string());
        println!(
            "{}",
            json!({
                "address": address.to_string(),
                "vm": info.vm.as_str(),
                "code_id": info.code_id.to_string(),
                "creator": info.creator.to_string(),
                "admin": admin,
                "created_height": info.created_height,
                "flags": info.flags.names(),
            })
        );
    } else {
        println!("address:        {address}");
        println!("vm:             {}", info.vm.as_str());
        println!("code id:        {}", info.code_id);
        println!("creator:        {}", info.creator);
        println!("admin:          {}", info.admin.map_or("none".to_string(), |a| a.to_string()));
        println!("created height: {}", info.created_height);
        println!("flags:          {}", info.flags);
    }
    Ok(ExitCode::SUCCESS)
}
