//! `cove query ADDRESS METHOD [--args-hex HEX]`: read-only, never writes.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::args::{CallArgs, Cli};
use crate::output;

pub(crate) fn run(cli: &Cli, a: &CallArgs) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let receipt =
        rt.query(sender, a.address, &a.method, a.args_hex.clone().unwrap_or_default().0, a.tx.gas_limit)?;
    let ret = receipt.result.as_ref().map(hex::encode).unwrap_or_default();
    Ok(output::receipt(&receipt, cli.json, json!({"return_hex": ret})))
}
