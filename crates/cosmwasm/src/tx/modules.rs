//! The transaction's side of messages to the chain's modules: `StakingMsg`,
//! `DistributionMsg`, `GovMsg`, and the protobuf messages of `CosmosMsg::Any` (`Stargate`
//! in cosmwasm-std 1.x) that cove decodes: bank `MsgSend`, the staking and distribution
//! messages and gov `MsgVote`, each signed by the contract that sends it, as wasmd requires. The modules'
//! state is `crate::staking`'s; this file turns messages into its calls and records the
//! events wasmd's modules emit.

use state::Journal;
use types::{Address, ErrorKind};

use super::{Step, Tx, attr, coins_string, err};
use crate::gov::{VoteOption, WeightedVoteOption};
use crate::msg::{Coin, DistributionMsg, GovMsg, StakingMsg};
use crate::staking::module_address;

/// The protobuf messages cove executes (cosmos-sdk's `cosmos.bank.v1beta1`,
/// `cosmos.staking.v1beta1` and `cosmos.distribution.v1beta1` types, the fields cove reads).
mod proto {
    /// `cosmos.base.v1beta1.Coin`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Coin {
        #[prost(string, tag = "1")]
        pub denom: String,
        #[prost(string, tag = "2")]
        pub amount: String,
    }

    /// `MsgSend`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MsgSend {
        #[prost(string, tag = "1")]
        pub from_address: String,
        #[prost(string, tag = "2")]
        pub to_address: String,
        #[prost(message, repeated, tag = "3")]
        pub amount: Vec<Coin>,
    }

    /// `MsgDelegate` and `MsgUndelegate` (the same fields).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MsgDelegate {
        #[prost(string, tag = "1")]
        pub delegator_address: String,
        #[prost(string, tag = "2")]
        pub validator_address: String,
        #[prost(message, optional, tag = "3")]
        pub amount: Option<Coin>,
    }

    /// `MsgBeginRedelegate`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MsgBeginRedelegate {
        #[prost(string, tag = "1")]
        pub delegator_address: String,
        #[prost(string, tag = "2")]
        pub validator_src_address: String,
        #[prost(string, tag = "3")]
        pub validator_dst_address: String,
        #[prost(message, optional, tag = "4")]
        pub amount: Option<Coin>,
    }

    /// `MsgWithdrawDelegatorReward`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MsgWithdrawDelegatorReward {
        #[prost(string, tag = "1")]
        pub delegator_address: String,
        #[prost(string, tag = "2")]
        pub validator_address: String,
    }

    /// `cosmos.gov.v1.MsgVote` and `v1beta1.MsgVote` (the fields cove reads are the same).
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MsgVote {
        #[prost(uint64, tag = "1")]
        pub proposal_id: u64,
        #[prost(string, tag = "2")]
        pub voter: String,
        #[prost(int32, tag = "3")]
        pub option: i32,
    }

    /// `MsgSetWithdrawAddress`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MsgSetWithdrawAddress {
        #[prost(string, tag = "1")]
        pub delegator_address: String,
        #[prost(string, tag = "2")]
        pub withdraw_address: String,
    }
}

/// RFC 3339 (UTC, whole seconds) of a Unix time, as wasmd's events print times.
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3_600, rem % 3_600 / 60, rem % 60)
}

/// The state reads and writes each module message pays for, at `costs.db_read` and
/// `costs.db_write` (`docs/cosmwasm.md`, "Staking and distribution"): an upper bound of
/// what it does (rewards withdrawn on the way, both pools' balances, the unbonding entry
/// and its index). Bank transfers (`FundCommunityPool`, a protobuf `MsgSend`) cost what
/// `BankMsg::Send` costs.
pub(crate) const MODULE_ACCESSES: [(&str, u64, u64); 6] = [
    ("delegate", 5, 4),
    ("undelegate", 6, 7),
    ("redelegate", 8, 6),
    ("withdraw_delegator_reward", 3, 2),
    ("set_withdraw_address", 0, 1),
    ("vote", 0, 1),
];

impl Tx<'_> {
    /// Charges the module message `kind` its reads and writes ([`MODULE_ACCESSES`]) out of
    /// the transaction's gas, before it runs; `out_of_gas` (the limit used) if it is more
    /// than is left.
    fn charge_module(&mut self, kind: &str) -> Step<()> {
        let Some(&(_, reads, writes)) = MODULE_ACCESSES.iter().find(|(k, _, _)| *k == kind) else {
            return Ok(());
        };
        let costs = &self.shared.config.costs;
        let cost = reads.saturating_mul(costs.db_read).saturating_add(writes.saturating_mul(costs.db_write));
        let left = self.gas_left();
        if cost > left {
            self.gas_used = self.gas_limit;
            return err(
                ErrorKind::OutOfGas,
                format!("the {kind} message costs {cost} gas; {left} gas is left"),
            );
        }
        self.gas_used += cost;
        Ok(())
    }

    fn module_event(&mut self, account: Address, ty: &str, attributes: Vec<(&str, String)>) {
        let attributes = attributes.into_iter().map(|(k, v)| attr(k, v)).collect();
        self.emit_bank(account, ty, attributes);
    }

    /// Rewards paid while a delegation changed, as the distribution module reports them.
    fn paid_event(&mut self, delegator: Address, validator: &str, paid: u128) {
        if paid > 0 {
            let amount = format!("{paid}{}", self.shared.staking.bonded_denom());
            let d = self.human(&delegator);
            self.module_event(
                delegator,
                "withdraw_rewards",
                vec![("amount", amount), ("validator", validator.to_string()), ("delegator", d)],
            );
        }
    }

    /// Executes a `StakingMsg` sent by `sender`.
    pub(super) fn staking(
        &mut self,
        state: &mut Journal,
        sender: Address,
        msg: StakingMsg,
    ) -> Step<Option<Vec<u8>>> {
        let shared = std::sync::Arc::clone(self.shared);
        let staking = &shared.staking;
        let block = self.ctx.block;
        let d = self.human(&sender);
        self.charge_module(match &msg {
            StakingMsg::Delegate { .. } => "delegate",
            StakingMsg::Undelegate { .. } => "undelegate",
            StakingMsg::Redelegate { .. } => "redelegate",
        })?;
        match msg {
            StakingMsg::Delegate { validator, amount } => {
                let paid = staking
                    .delegate(state, block.height, &sender, &validator, &amount)?
                    .map_err(super::Fail::Contract)?;
                self.paid_event(sender, &validator, paid);
                let a = coins_string(std::slice::from_ref(&amount));
                self.module_event(
                    sender,
                    "delegate",
                    vec![
                        ("validator", validator),
                        ("delegator", d),
                        ("amount", a),
                        ("new_shares", amount.amount.to_string()),
                    ],
                );
            }
            StakingMsg::Undelegate { validator, amount } => {
                let done = staking
                    .undelegate(state, block.height, block.timestamp, &sender, &validator, &amount)?
                    .map_err(super::Fail::Contract)?;
                let a = coins_string(std::slice::from_ref(&amount));
                self.module_event(
                    sender,
                    "unbond",
                    vec![
                        ("validator", validator),
                        ("delegator", d),
                        ("amount", a),
                        ("completion_time", rfc3339(done)),
                    ],
                );
            }
            StakingMsg::Redelegate { src_validator, dst_validator, amount } => {
                let (from_src, from_dst) = staking
                    .redelegate(state, block.height, &sender, &src_validator, &dst_validator, &amount)?
                    .map_err(super::Fail::Contract)?;
                self.paid_event(sender, &src_validator, from_src);
                self.paid_event(sender, &dst_validator, from_dst);
                let a = coins_string(std::slice::from_ref(&amount));
                self.module_event(
                    sender,
                    "redelegate",
                    vec![
                        ("source_validator", src_validator),
                        ("destination_validator", dst_validator),
                        ("delegator", d),
                        ("amount", a),
                        ("completion_time", rfc3339(block.timestamp)),
                    ],
                );
            }
        }
        Ok(None)
    }

    /// Executes a `DistributionMsg` sent by `sender`.
    pub(super) fn distribution(
        &mut self,
        state: &mut Journal,
        sender: Address,
        msg: DistributionMsg,
    ) -> Step<Option<Vec<u8>>> {
        let shared = std::sync::Arc::clone(self.shared);
        let staking = &shared.staking;
        match &msg {
            DistributionMsg::SetWithdrawAddress { .. } => self.charge_module("set_withdraw_address")?,
            DistributionMsg::WithdrawDelegatorReward { .. } => {
                self.charge_module("withdraw_delegator_reward")?
            }
            DistributionMsg::FundCommunityPool { .. } => {}
        }
        match msg {
            DistributionMsg::SetWithdrawAddress { address } => {
                let to = self.shared.addresses.validate(&address).map_err(|e| {
                    super::Fail::Contract(types::CallError::new(ErrorKind::InvalidArgument, e))
                })?;
                staking.set_withdraw_address(state, &sender, &to).map_err(super::Fail::Contract)?;
                self.module_event(sender, "set_withdraw_address", vec![("withdraw_address", address)]);
            }
            DistributionMsg::WithdrawDelegatorReward { validator } => {
                let paid = staking
                    .withdraw(state, self.ctx.block.height, &sender, &validator)?
                    .map_err(super::Fail::Contract)?;
                let amount =
                    if paid == 0 { String::new() } else { format!("{paid}{}", staking.bonded_denom()) };
                let d = self.human(&sender);
                self.module_event(
                    sender,
                    "withdraw_rewards",
                    vec![("amount", amount), ("validator", validator), ("delegator", d)],
                );
            }
            DistributionMsg::FundCommunityPool { amount } => {
                self.move_funds(state, &sender, &module_address("distribution"), &amount)?;
            }
        }
        Ok(None)
    }

    /// Executes a `GovMsg` sent by `sender`: its vote on a proposal of the chain's.
    pub(super) fn gov(&mut self, state: &mut Journal, sender: Address, msg: GovMsg) -> Step<Option<Vec<u8>>> {
        let (proposal, options) = match msg {
            GovMsg::Vote { proposal_id, option } => {
                (proposal_id, vec![WeightedVoteOption { option, weight: "1".into() }])
            }
            GovMsg::VoteWeighted { proposal_id, options } => (proposal_id, options),
        };
        self.charge_module("vote")?;
        let shared = std::sync::Arc::clone(self.shared);
        shared
            .gov
            .vote(state, self.ctx.block.timestamp, &sender, proposal, &options)?
            .map_err(super::Fail::Contract)?;
        let option = match options.as_slice() {
            [one] if one.weight == "1" => one.option.name().to_string(),
            all => {
                all.iter().map(|o| format!("{}={}", o.option.name(), o.weight)).collect::<Vec<_>>().join(",")
            }
        };
        let voter = self.human(&sender);
        self.module_event(
            sender,
            "proposal_vote",
            vec![("option", option), ("proposal_id", proposal.to_string()), ("voter", voter)],
        );
        Ok(None)
    }

    /// Executes a protobuf message (`CosmosMsg::Any`, or `Stargate`) sent by `sender`:
    /// bank `MsgSend` and the staking and distribution messages, whose signer must be
    /// `sender`; anything else is refused as unsupported.
    pub(super) fn any(
        &mut self,
        state: &mut Journal,
        sender: Address,
        type_url: &str,
        value: &[u8],
    ) -> Step<Option<Vec<u8>>> {
        fn decode<M: prost::Message + Default>(type_url: &str, value: &[u8]) -> Step<M> {
            M::decode(value)
                .or_else(|e| err(ErrorKind::InvalidArgument, format!("malformed {type_url}: {e}")))
        }
        let signer = |tx: &Self, human: &str| -> Step<()> {
            match tx.shared.addresses.validate(human) {
                Ok(a) if a == sender => Ok(()),
                _ => err(
                    ErrorKind::Unauthorized,
                    format!("{type_url}: the signer {human:?} is not the sending contract"),
                ),
            }
        };
        let coin = |c: Option<proto::Coin>| -> Step<Coin> {
            let Some(c) = c else { return err(ErrorKind::InvalidArgument, format!("{type_url}: no amount")) };
            match c.amount.parse::<u128>() {
                Ok(amount) => Ok(Coin { denom: c.denom, amount }),
                Err(_) => err(
                    ErrorKind::InvalidArgument,
                    format!("{type_url}: amount {:?} is not a Uint128", c.amount),
                ),
            }
        };
        match type_url {
            "/cosmos.bank.v1beta1.MsgSend" => {
                let m: proto::MsgSend = decode(type_url, value)?;
                signer(self, &m.from_address)?;
                let to = self.shared.addresses.validate(&m.to_address).map_err(|e| {
                    super::Fail::Contract(types::CallError::new(ErrorKind::InvalidArgument, e))
                })?;
                let amount = m.amount.into_iter().map(|c| coin(Some(c))).collect::<Step<Vec<Coin>>>()?;
                if amount.is_empty() || amount.iter().any(|c| c.amount == 0) {
                    return err(
                        ErrorKind::InvalidArgument,
                        format!("{type_url}: invalid coins: none, or an amount of 0"),
                    );
                }
                self.move_funds(state, &sender, &to, &amount)?;
                Ok(None)
            }
            "/cosmos.staking.v1beta1.MsgDelegate" | "/cosmos.staking.v1beta1.MsgUndelegate" => {
                let m: proto::MsgDelegate = decode(type_url, value)?;
                signer(self, &m.delegator_address)?;
                let (validator, amount) = (m.validator_address, coin(m.amount)?);
                let msg = if type_url.ends_with("MsgDelegate") {
                    StakingMsg::Delegate { validator, amount }
                } else {
                    StakingMsg::Undelegate { validator, amount }
                };
                self.staking(state, sender, msg)
            }
            "/cosmos.staking.v1beta1.MsgBeginRedelegate" => {
                let m: proto::MsgBeginRedelegate = decode(type_url, value)?;
                signer(self, &m.delegator_address)?;
                let msg = StakingMsg::Redelegate {
                    src_validator: m.validator_src_address,
                    dst_validator: m.validator_dst_address,
                    amount: coin(m.amount)?,
                };
                self.staking(state, sender, msg)
            }
            "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward" => {
                let m: proto::MsgWithdrawDelegatorReward = decode(type_url, value)?;
                signer(self, &m.delegator_address)?;
                self.distribution(
                    state,
                    sender,
                    DistributionMsg::WithdrawDelegatorReward { validator: m.validator_address },
                )
            }
            "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress" => {
                let m: proto::MsgSetWithdrawAddress = decode(type_url, value)?;
                signer(self, &m.delegator_address)?;
                self.distribution(
                    state,
                    sender,
                    DistributionMsg::SetWithdrawAddress { address: m.withdraw_address },
                )
            }
            "/cosmos.gov.v1.MsgVote" | "/cosmos.gov.v1beta1.MsgVote" => {
                let m: proto::MsgVote = decode(type_url, value)?;
                signer(self, &m.voter)?;
                let Some(option) = VoteOption::from_proto(m.option) else {
                    return err(
                        ErrorKind::InvalidArgument,
                        format!("{type_url}: vote option {} is not one", m.option),
                    );
                };
                self.gov(state, sender, GovMsg::Vote { proposal_id: m.proposal_id, option })
            }
            other => err(
                ErrorKind::InvalidArgument,
                format!(
                    "unsupported protobuf message {other:?} (cove decodes bank MsgSend, the staking and \
                     distribution messages and gov MsgVote)"
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn protobuf_messages_decode() {
        let m = proto::MsgDelegate {
            delegator_address: "a".into(),
            validator_address: "v".into(),
            amount: Some(proto::Coin { denom: "ucove".into(), amount: "5".into() }),
        };
        let bytes = m.encode_to_vec();
        assert_eq!(proto::MsgDelegate::decode(bytes.as_slice()).unwrap(), m);
        assert!(proto::MsgDelegate::decode(&[0xff, 0xff][..]).is_err());
    }
}
