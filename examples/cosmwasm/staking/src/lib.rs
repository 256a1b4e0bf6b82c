//! A CosmWasm contract that stakes its own funds, and votes with them, through the
//! chain's staking, distribution and governance modules, as a liquid-staking or vault contract would: every execute
//! message turns into one `StakingMsg`, `DistributionMsg` or protobuf `AnyMsg` sent by the
//! contract (`GovMsg` for votes), and every query answers with what the chain's module answered, unchanged,
//! so a test can compare it with the module's state.

use cosmwasm_std::{
    entry_point, to_json_binary, AnyMsg, Binary, Coin, CosmosMsg, Deps, DepsMut, DistributionMsg, Env, GovMsg,
    MessageInfo, Response, StakingMsg, StdError, StdResult, Uint128, VoteOption, WeightedVoteOption,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct InstantiateMsg {}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Delegates the funds sent with the message (one coin of the bonded denomination).
    Delegate { validator: String },
    /// Undelegates `amount` of the bonded denomination from `validator`.
    Undelegate { validator: String, amount: Uint128 },
    /// Moves `amount` of stake from `src` to `dst`.
    Redelegate { src: String, dst: String, amount: Uint128 },
    /// Withdraws the rewards of the delegation to `validator`.
    Withdraw { validator: String },
    /// Sends rewards to `address` from now on.
    SetWithdrawAddress { address: String },
    /// Delegates `amount` as a protobuf `/cosmos.staking.v1beta1.MsgDelegate`.
    DelegateAny { validator: String, amount: Uint128 },
    /// Sends `amount` to `to` as a protobuf `/cosmos.bank.v1beta1.MsgSend`.
    SendAny { to: String, amount: Uint128 },
    /// Votes on a proposal with the contract's stake.
    Vote { proposal: u64, option: VoteOption },
    /// Splits the contract's vote between options.
    VoteWeighted { proposal: u64, options: Vec<WeightedVoteOption> },
    /// Votes as a protobuf `/cosmos.gov.v1.MsgVote` (option: 1 yes, 2 abstain, 3 no, 4 veto).
    VoteAny { proposal: u64, option: i32 },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    BondedDenom {},
    AllValidators {},
    Validator { address: String },
    /// The contract's delegations.
    AllDelegations {},
    /// The contract's delegation to `validator`, with its rewards.
    Delegation { validator: String },
    /// The contract's rewards from `validator`.
    Rewards { validator: String },
    /// The contract's rewards from every validator, and their total.
    TotalRewards {},
    /// The validators the contract delegates to.
    DelegatorValidators {},
    /// Where the contract's rewards go.
    WithdrawAddress {},
}

#[entry_point]
pub fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: InstantiateMsg) -> StdResult<Response> {
    Ok(Response::new())
}

#[entry_point]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    let denom = || deps.querier.query_bonded_denom();
    let msg: CosmosMsg = match msg {
        ExecuteMsg::Delegate { validator } => {
            let [amount] = info.funds.as_slice() else {
                return Err(StdError::generic_err("send exactly one coin to delegate"));
            };
            StakingMsg::Delegate { validator, amount: amount.clone() }.into()
        }
        ExecuteMsg::Undelegate { validator, amount } => {
            StakingMsg::Undelegate { validator, amount: Coin { denom: denom()?, amount } }.into()
        }
        ExecuteMsg::Redelegate { src, dst, amount } => StakingMsg::Redelegate {
            src_validator: src,
            dst_validator: dst,
            amount: Coin { denom: denom()?, amount },
        }
        .into(),
        ExecuteMsg::Withdraw { validator } => DistributionMsg::WithdrawDelegatorReward { validator }.into(),
        ExecuteMsg::SetWithdrawAddress { address } => DistributionMsg::SetWithdrawAddress { address }.into(),
        ExecuteMsg::DelegateAny { validator, amount } => {
            let me = env.contract.address.as_str();
            let value = [
                proto_string(1, me),
                proto_string(2, &validator),
                proto_bytes(3, &proto_coin(&denom()?, amount)),
            ]
            .concat();
            CosmosMsg::Any(AnyMsg {
                type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(),
                value: Binary::from(value),
            })
        }
        ExecuteMsg::SendAny { to, amount } => {
            let me = env.contract.address.as_str();
            let value =
                [proto_string(1, me), proto_string(2, &to), proto_bytes(3, &proto_coin(&denom()?, amount))].concat();
            CosmosMsg::Any(AnyMsg { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: Binary::from(value) })
        }
        ExecuteMsg::Vote { proposal, option } => GovMsg::Vote { proposal_id: proposal, option }.into(),
        ExecuteMsg::VoteWeighted { proposal, options } => {
            GovMsg::VoteWeighted { proposal_id: proposal, options }.into()
        }
        ExecuteMsg::VoteAny { proposal, option } => {
            let me = env.contract.address.as_str();
            let value = [proto_varint(1, proposal), proto_string(2, me), proto_varint(3, option as u64)].concat();
            CosmosMsg::Any(AnyMsg { type_url: "/cosmos.gov.v1.MsgVote".into(), value: Binary::from(value) })
        }
    };
    Ok(Response::new().add_message(msg))
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    let me = env.contract.address;
    let q = &deps.querier;
    match msg {
        QueryMsg::BondedDenom {} => to_json_binary(&q.query_bonded_denom()?),
        QueryMsg::AllValidators {} => to_json_binary(&q.query_all_validators()?),
        QueryMsg::Validator { address } => to_json_binary(&q.query_validator(address)?),
        QueryMsg::AllDelegations {} => to_json_binary(&q.query_all_delegations(&me)?),
        QueryMsg::Delegation { validator } => to_json_binary(&q.query_delegation(&me, validator)?),
        QueryMsg::Rewards { validator } => to_json_binary(&q.query_delegation_rewards(&me, validator)?),
        QueryMsg::TotalRewards {} => to_json_binary(&q.query_delegation_total_rewards(&me)?),
        QueryMsg::DelegatorValidators {} => to_json_binary(&q.query_delegator_validators(&me)?),
        QueryMsg::WithdrawAddress {} => to_json_binary(&q.query_delegator_withdraw_address(&me)?),
    }
}

/// A protobuf `Coin { denom = 1; amount = 2 }` (the amount a decimal string).
fn proto_coin(denom: &str, amount: Uint128) -> Vec<u8> {
    [proto_string(1, denom), proto_string(2, &amount.to_string())].concat()
}

/// A varint protobuf field.
fn proto_varint(field: u32, v: u64) -> Vec<u8> {
    let mut out = varint(u64::from(field) << 3);
    out.extend(varint(v));
    out
}

fn proto_string(field: u32, s: &str) -> Vec<u8> {
    proto_bytes(field, s.as_bytes())
}

/// A length-delimited protobuf field.
fn proto_bytes(field: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = varint(u64::from(field) << 3 | 2);
    out.extend(varint(bytes.len() as u64));
    out.extend_from_slice(bytes);
    out
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}
