//! `cove code list`

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
