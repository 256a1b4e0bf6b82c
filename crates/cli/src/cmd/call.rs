//! `cove call ADDRESS [METHOD] [--args-hex HEX | --calldata HEX | --msg JSON] [--value N]`

use std::process::ExitCode;

use anyhow::Result;
use runtime::{Block, Receipt};
use serde_json::{Value, json};

use crate::args::{CallArgs, Cli};
use crate::output;

pub(crate) fn run(cli: &Cli, a: &CallArgs) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let (receipt, success) = apply(&mut block, a)?;
    block.commit()?;
    Ok(output::receipt(&receipt, cli.json, success))
}

/// Runs the call as one transaction of `block`: its receipt and the fields a success adds.
pub(crate) fn apply(block: &mut Block<'_>, a: &CallArgs) -> Result<(Receipt, Value)> {
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let (method, input) = a.message("execute");
    let value = a.value.unwrap_or_default();
    let receipt = block.call_with_value(sender, a.address, method, input, value, a.tx.gas_limit)?;
    let ret = receipt.result.as_ref().map(hex::encode).unwrap_or_default();
    let mut success = json!({"return_hex": ret});
    if a.msg.is_some() {
        output::add_cosmwasm(&mut success, &receipt);
    }
    Ok((receipt, success))
}
