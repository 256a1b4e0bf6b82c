//! `cove query ADDRESS [METHOD] [--args-hex HEX | --args JSON | --calldata HEX | --msg JSON] [--height H]`: read-only,
//! never writes;
//! `cove estimate-gas` (same arguments, plus `--value`): the exact gas a call needs.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::args::{CallArgs, Cli, QueryArgs};
use crate::output;

pub(crate) fn run(cli: &Cli, q: &QueryArgs) -> Result<ExitCode> {
    let a = &q.call;
    if a.value.is_some() || a.funds.is_some() {
        bail!("a query moves no tokens: drop --value/--funds, or use `cove call`");
    }
    let rt = super::open_read_only(cli)?;
    let state = rt.at(q.height)?;
    if let Some(msg) = &a.msg {
        if a.method.as_deref().is_some_and(|m| m != "query") {
            bail!("with --msg a query runs the contract's `query` entry point; drop METHOD");
        }
        let (receipt, debug) = state.cosmwasm_query(a.address, &msg.0, a.tx.gas_limit)?;
        let ret = receipt.result.as_ref().map(hex::encode).unwrap_or_default();
        let mut success = json!({"return_hex": ret});
        // A CosmWasm query answers JSON: show it as such when it is.
        if let Some(v) = receipt.result.as_ref().ok().and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
            success["result"] = v;
        }
        let mut value = output::receipt_json(&receipt, success);
        if a.tx.debug {
            value["debug"] = json!(debug);
        }
        return Ok(output::print_receipt(&receipt, cli.json, value));
    }
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let sdk = super::sdk_args::input(&rt, state.contract(&a.address)?, a)?;
    let (method, mut input) = a.message("query");
    if let Some((_, encoded)) = &sdk {
        input = encoded.clone();
    }
    let receipt = state.query(sender, a.address, method, input, a.tx.gas_limit)?;
    Ok(output::receipt(
        &receipt,
        cli.json,
        super::sdk_args::return_json(&receipt, sdk.as_ref().map(|s| &s.0)),
    ))
}

pub(crate) fn estimate_gas(cli: &Cli, a: &CallArgs) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let sdk = super::sdk_args::input(&rt, rt.contract(&a.address)?, a)?;
    let (method, mut input) = a.message("execute");
    if let Some((_, encoded)) = sdk {
        input = encoded;
    }
    let native = &rt.config().cosmwasm.native_denom;
    let value = match a.funds.as_ref().map(|c| c.0.as_slice()) {
        None => a.value.unwrap_or_default(),
        Some([coin]) if &coin.denom == native => runtime::Balance::from_u128(coin.amount),
        Some(_) => {
            bail!("estimate-gas sends only the native token ({native}): give --value or --funds N{native}")
        }
    };
    let req = runtime::EstimateRequest {
        sender: a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER),
        address: a.address,
        method,
        input,
        value,
        cap: a.tx.gas_limit,
    };
    match rt.estimate_gas(req)? {
        Ok(gas) => {
            let value = json!({"gas": gas});
            output::print(cli.json, &value);
            Ok(ExitCode::SUCCESS)
        }
        Err(failed) => Ok(output::receipt(&failed, cli.json, json!({}))),
    }
}
