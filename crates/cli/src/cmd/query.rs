//! `cove query ADDRESS [METHOD] [--args-hex HEX | --calldata HEX] [--height H]`: read-only,
//! never writes;
//! `cove estimate-gas` (same arguments, plus `--value`): the exact gas a call needs.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde_json::json;

use crate::args::{CallArgs, Cli, QueryArgs};
use crate::output;

pub(crate) fn run(cli: &Cli, q: &QueryArgs) -> Result<ExitCode> {
    let a = &q.call;
    if a.value.is_some() {
        bail!("a query moves no tokens: drop --value, or use `cove call`");
    }
    let rt = super::open(cli)?;
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let (method, input) = a.message("query");
    let receipt = rt.at(q.height)?.query(sender, a.address, method, input, a.tx.gas_limit)?;
    let ret = receipt.result.as_ref().map(hex::encode).unwrap_or_default();
    let mut success = json!({"return_hex": ret});
    if a.msg.is_some() {
        // A CosmWasm query answers JSON: show it as such when it is.
        if let Some(v) =
            receipt.result.as_ref().ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        {
            success["result"] = v;
        }
    }
    Ok(output::receipt(&receipt, cli.json, success))
}

pub(crate) fn estimate_gas(cli: &Cli, a: &CallArgs) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let (method, input) = a.message("execute");
    let req = runtime::EstimateRequest {
        sender: a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER),
        address: a.address,
        method,
        input,
        value: a.value.unwrap_or_default(),
        cap: a.tx.gas_limit,
    };
    match rt.estimate_gas(req)? {
        Ok(gas) => {
            let value = json!({"gas": gas});
            if cli.json {
                println!("{value}");
            } else {
                output::print_human(&value);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failed) => Ok(output::receipt(&failed, cli.json, json!({}))),
    }
}
