//! `cove code list`, `cove store FILE`

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

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

/// `cove store FILE`: validates and stores the code in one block; prints its id.
pub(crate) fn store(cli: &Cli, file: &Path) -> Result<ExitCode> {
    let code = super::read_code(file)?;
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let stored = block.store_code(&code)?;
    if stored.is_ok() {
        block.commit()?;
    }
    match stored {
        Ok(id) if cli.json => println!("{}", json!({"status": "ok", "code_id": id.to_string()})),
        Ok(id) => println!("{id}"),
        Err(e) => {
            let receipt = runtime::Receipt::failed(e);
            return Ok(crate::output::receipt(&receipt, cli.json, json!({})));
        }
    }
    Ok(ExitCode::SUCCESS)
}
