//! `cove fund ADDRESS AMOUNT` (dev faucet) and `cove balance ADDRESS`.

use std::process::ExitCode;

use anyhow::Result;
use runtime::Balance;
use serde_json::json;
use types::Address;

use crate::args::Cli;
use crate::output;

pub(crate) fn fund(cli: &Cli, address: &Address, amount: Balance) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let receipt = block.fund(*address, amount)?;
    block.commit()?;
    let balance = rt.balance(address)?;
    let success = json!({"address": address.to_string(), "balance": balance.to_string()});
    Ok(output::receipt(&receipt, cli.json, success))
}

pub(crate) fn balance(cli: &Cli, address: &Address) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let value = json!({
        "address": address.to_string(),
        "balance": rt.balance(address)?.to_string(),
        "nonce": rt.nonce(address)?,
    });
    if cli.json {
        println!("{value}");
    } else {
        output::print_human(&value);
    }
    Ok(ExitCode::SUCCESS)
}
