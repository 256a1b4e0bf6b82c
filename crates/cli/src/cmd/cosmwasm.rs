//! The CosmWasm commands: `cove migrate ADDRESS FILE --msg JSON` and `cove sudo ADDRESS
//! --msg JSON`, and what `deploy` and `call` do for a CosmWasm contract: a request with
//! funds of any denomination (and a label and an admin for an instantiate), run with
//! `Block::cosmwasm`, shown with wasmd's events and, with `--debug`, the contracts'
//! `debug` output.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use cosmwasm::{Action, Coin, Request};
use runtime::{Balance, Block, Receipt};
use serde_json::{Value, json};
use types::Address;

use crate::args::{Cli, Coins, MigrateArgs, SudoArgs};
use crate::output;

pub(crate) fn migrate(cli: &Cli, a: &MigrateArgs) -> Result<ExitCode> {
    let code = super::read_code(&a.file)?;
    let request = Request {
        sender: a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER),
        action: Action::Migrate { contract: a.address, code: &code },
        msg: &a.msg.0,
        funds: &[],
        gas_limit: a.tx.gas_limit,
    };
    run_one(cli, request, a.tx.debug, json!({"address": a.address.to_string()}))
}

pub(crate) fn sudo(cli: &Cli, a: &SudoArgs) -> Result<ExitCode> {
    let request = Request {
        // `sudo` has no sender; the field is unused.
        sender: runtime::DEFAULT_SENDER,
        action: Action::Sudo { contract: a.address },
        msg: &a.msg.0,
        funds: &[],
        gas_limit: a.gas_limit,
    };
    run_one(cli, request, a.debug, json!({"address": a.address.to_string()}))
}

/// Runs `request` as a block of its own and prints its receipt.
fn run_one(cli: &Cli, request: Request<'_>, debug: bool, success: Value) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let (receipt, value) = apply(&mut block, request, debug, success)?;
    block.commit()?;
    Ok(output::print_receipt(&receipt, cli.json, value))
}

/// Runs `request` as one transaction of `block`: its receipt and the JSON to print
/// (`success`'s fields, data and events on success; the debug output if asked).
pub(crate) fn apply(
    block: &mut Block<'_>,
    request: Request<'_>,
    debug: bool,
    mut success: Value,
) -> Result<(Receipt, Value)> {
    let (receipt, lines) = block.cosmwasm(request)?;
    output::add_cosmwasm(&mut success, &receipt);
    let mut value = output::receipt_json(&receipt, success);
    if debug {
        value["debug"] = json!(lines);
    }
    Ok((receipt, value))
}

/// The funds of a deploy or call: `--funds` coins, or `--value` of the native token.
pub(crate) fn funds(native: &str, value: Option<Balance>, coins: Option<&Coins>) -> Result<Vec<Coin>> {
    if let Some(coins) = coins {
        return Ok(coins.0.clone());
    }
    match value {
        Some(v) if !v.is_zero() => {
            let amount = v.to_u128().context("CosmWasm amounts are at most 2^128 - 1")?;
            Ok(vec![Coin { denom: native.to_string(), amount }])
        }
        _ => Ok(Vec::new()),
    }
}

/// The action of `cove call ADDRESS [METHOD] --msg JSON`: `execute` (the default) or `sudo`.
pub(crate) fn call_action(contract: Address, method: Option<&str>) -> Result<Action<'static>> {
    match method.unwrap_or("execute") {
        "execute" => Ok(Action::Execute { contract }),
        "sudo" => Ok(Action::Sudo { contract }),
        other => bail!(
            "{other:?}: with --msg a call runs `execute` (or `sudo`); use `cove query` or `cove migrate` for the others"
        ),
    }
}
