//! `cove call ADDRESS [METHOD] [--args-hex HEX | --calldata HEX] [--value N]`

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::args::{CallArgs, Cli};
use crate::output;

pub(crate) fn run(cli: &Cli, a: &CallArgs) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let (method, input) = a.message();
    let value = a.value.unwrap_or_default();
    let receipt = block.call_with_value(sender, a.address, method, input, value, a.tx.gas_limit)?;
    block.commit()?;
    let ret = receipt.result.as_ref().map(hex::encode).unwrap_or_default();
    Ok(output::receipt(&receipt, cli.json, json!({"return_hex": ret})))
}
