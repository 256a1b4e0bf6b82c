//! `cove staking validators`, `cove staking delegations ADDRESS [--height H]`,
//! `cove staking proposals [--height H]`: the CosmWasm staking and governance modules'
//! state, as contracts see it through `StakingQuery` and vote through `GovMsg`.

use std::process::ExitCode;

use anyhow::Result;
use cosmwasm::staking::{decimal_string as decimal, format_decimal};
use serde_json::{Value, json};

use crate::args::{Cli, StakingCommand};
use crate::output;

pub(crate) fn run(cli: &Cli, command: &StakingCommand) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let denom = rt.config().cosmwasm.native_denom.clone();
    let value = match command {
        StakingCommand::Validators => {
            let state = rt.at(None)?;
            let validators: Vec<Value> = state
                .validators()
                .iter()
                .map(|v| {
                    json!({
                        "address": v.address,
                        "commission": decimal(v.commission),
                        "max_commission": decimal(v.max_commission),
                        "max_change_rate": decimal(v.max_change_rate),
                    })
                })
                .collect();
            json!({ "bonded_denom": denom, "validators": validators })
        }
        StakingCommand::Proposals { height } => {
            let state = rt.at(*height)?;
            let proposals: Vec<Value> = state
                .proposals()?
                .into_iter()
                .map(|t| {
                    let tally: serde_json::Map<String, Value> =
                        t.options.into_iter().map(|(o, v)| (o.to_string(), json!(v))).collect();
                    json!({
                        "id": t.id,
                        "title": t.title,
                        "voting_end_time": t.voting_end_time,
                        "voters": t.voters,
                        "tally": tally,
                    })
                })
                .collect();
            json!({ "proposals": proposals, "height": state.block().height })
        }
        StakingCommand::Delegations { address, height } => {
            let state = rt.at(*height)?;
            let (delegations, unbonding) = state.delegations(address)?;
            let delegations: Vec<Value> = delegations
                .iter()
                .map(|d| {
                    json!({
                        "validator": d.validator,
                        "amount": format!("{}{denom}", d.amount),
                        "rewards": format!("{}{denom}", format_decimal(d.rewards)),
                    })
                })
                .collect();
            let unbonding: Vec<Value> = unbonding
                .iter()
                .map(|u| json!({"validator": u.validator, "amount": format!("{}{denom}", u.amount), "completion_time": u.completion}))
                .collect();
            json!({
                "delegator": address.to_string(),
                "delegations": delegations,
                "unbonding": unbonding,
                "height": state.block().height,
            })
        }
    };
    output::print(cli.json, &value);
    Ok(ExitCode::SUCCESS)
}
