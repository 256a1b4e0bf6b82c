//! `cove fund ADDRESS AMOUNT` (dev faucet) and `cove balance ADDRESS [--height H]`.

use std::process::ExitCode;

use anyhow::Result;
use runtime::{Balance, Block, Receipt};
use serde_json::{Value, json};
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

/// Funds `address` as one transaction of `block`.
pub(crate) fn apply_fund(
    block: &mut Block<'_>,
    address: &Address,
    amount: Balance,
) -> Result<(Receipt, Value)> {
    let receipt = block.fund(*address, amount)?;
    Ok((receipt, json!({"address": address.to_string()})))
}

pub(crate) fn balance(cli: &Cli, address: &Address, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let state = rt.at(height)?;
    let value = json!({
        "address": address.to_string(),
        "balance": state.balance(address)?.to_string(),
        "nonce": state.nonce(address)?,
        "height": state.block().height,
    });
    if cli.json {
        println!("{value}");
    } else {
        output::print_human(&value);
    }
    Ok(ExitCode::SUCCESS)
}
