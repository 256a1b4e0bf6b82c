//! `cove call ADDRESS [METHOD] [--args-hex HEX | --args JSON | --calldata HEX | --msg JSON] [--value N | --funds COINS]`

use std::process::ExitCode;

use anyhow::Result;
use cosmwasm::Request;
use runtime::{Block, Receipt};
use serde_json::{Value, json};

use crate::args::{CallArgs, Cli};
use crate::output;

pub(crate) fn run(cli: &Cli, a: &CallArgs) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let (receipt, value) = apply(&mut block, a)?;
    block.commit()?;
    Ok(output::print_receipt(&receipt, cli.json, value))
}

/// Runs the call as one transaction of `block`: its receipt and its JSON.
pub(crate) fn apply(block: &mut Block<'_>, a: &CallArgs) -> Result<(Receipt, Value)> {
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    if let Some(msg) = &a.msg {
        let native = block.runtime().config().cosmwasm.native_denom.clone();
        let funds = super::cosmwasm::funds(&native, a.value, a.funds.as_ref())?;
        let request = Request {
            sender,
            action: super::cosmwasm::call_action(a.address, a.method.as_deref())?,
            msg: &msg.0,
            funds: &funds,
            gas_limit: a.tx.gas_limit,
        };
        return super::cosmwasm::apply(block, request, a.tx.debug, json!({}));
    }
    let rt = block.runtime();
    let sdk = super::sdk_args::input(rt, rt.contract(&a.address)?, a)?;
    let (method, mut input) = a.message("execute");
    if let Some((_, encoded)) = &sdk {
        input = encoded.clone();
    }
    let value = a.value.unwrap_or_default();
    let receipt = block.call_with_value(sender, a.address, method, input, value, a.tx.gas_limit)?;
    let mut value =
        output::receipt_json(&receipt, super::sdk_args::return_json(&receipt, sdk.as_ref().map(|s| &s.0)));
    output::add_backtrace(&mut value, block.runtime(), &receipt, &a.address);
    Ok((receipt, value))
}
