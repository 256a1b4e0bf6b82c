//! `cove state ADDRESS`: a contract's storage.

use std::process::ExitCode;

use anyhow::Result;
use runtime::RuntimeError;
use serde_json::json;
use types::Address;

use crate::args::Cli;

pub(crate) fn run(cli: &Cli, address: &Address) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let entries = match rt.contract_state(address) {
        Ok(e) => e,
        Err(RuntimeError::NotFound(msg)) => {
            let body = json!({"status": "error", "error": {"kind": "not_found", "message": msg}});
            if cli.json {
                println!("{body}");
            } else {
                println!("error (not_found): {msg}");
            }
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if cli.json {
        let entries: Vec<_> = entries
            .iter()
            .map(|(k, v)| json!({"key_hex": hex::encode(k), "value_hex": hex::encode(v)}))
            .collect();
        println!("{}", json!({"entries": entries}));
    } else {
        if entries.is_empty() {
            println!("(no entries)");
        }
        for (k, v) in &entries {
            println!("{} = {}", hex::encode(k), hex::encode(v));
        }
    }
    Ok(ExitCode::SUCCESS)
}
