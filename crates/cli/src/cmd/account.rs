//! `cove fund ADDRESS (AMOUNT | COINS)` (dev faucet) and `cove balance ADDRESS [--height H]`.

use std::process::ExitCode;

use anyhow::Result;
use runtime::{Balance, Block, Receipt, Runtime};
use serde_json::{Value, json};
use types::Address;

use crate::args::{Cli, Funds};
use crate::output;

pub(crate) fn fund(cli: &Cli, address: &Address, amount: &Funds) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let (receipt, mut value) = apply_fund(&mut block, address, amount)?;
    block.commit()?;
    if receipt.result.is_ok() {
        let state = rt.at(None)?;
        let balance = state.balance(address)?;
        value["balance"] = json!(balance.to_string());
        value["coins"] = coins_json(&state.coins(address)?, native_denom(&rt), &balance);
    }
    Ok(output::print_receipt(&receipt, cli.json, value))
}

/// Funds `address` as one transaction of `block`: the receipt and its JSON.
pub(crate) fn apply_fund(
    block: &mut Block<'_>,
    address: &Address,
    amount: &Funds,
) -> Result<(Receipt, Value)> {
    let receipt = match amount {
        Funds::Native(amount) => block.fund(*address, *amount)?,
        Funds::Coins(coins) => block.fund_coins(*address, coins)?,
    };
    let value = output::receipt_json(&receipt, json!({"address": address.to_string()}));
    Ok((receipt, value))
}

/// Coins as JSON: `[{"denom": .., "amount": ".."}]`, as cosmwasm-std writes them. The
/// native denomination's amount is `balance`, exact: the bank reads it as CosmWasm's
/// `Uint128` (above that, the maximum), but it is a 256-bit balance.
fn coins_json(coins: &[cosmwasm::Coin], native: &str, balance: &Balance) -> Value {
    coins
        .iter()
        .map(|c| {
            let amount = if c.denom == native { balance.to_string() } else { c.amount.to_string() };
            json!({"denom": c.denom, "amount": amount})
        })
        .collect()
}

/// A contract's storage deposit: the bytes it keeps and the balance held for them.
fn deposit_json(deposit: &runtime::Deposit) -> serde_json::Value {
    json!({"bytes": deposit.bytes, "held": deposit.held.to_string()})
}

fn native_denom(rt: &Runtime) -> &str {
    &rt.config().cosmwasm.native_denom
}

pub(crate) fn balance(cli: &Cli, address: &Address, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let state = rt.at(height)?;
    let balance = state.balance(address)?;
    let value = json!({
        "address": address.to_string(),
        "balance": balance.to_string(),
        "nonce": state.nonce(address)?,
        "coins": coins_json(&state.coins(address)?, native_denom(&rt), &balance),
        "storage_deposit": deposit_json(&state.deposit(address)?),
        "height": state.block().height,
    });
    output::print(cli.json, &value);
    Ok(ExitCode::SUCCESS)
}
