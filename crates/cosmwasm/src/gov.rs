//! The chain's governance module as CosmWasm contracts see it through `GovMsg` (and the
//! protobuf `MsgVote`): votes on the proposals in the chain's configuration
//! (`docs/cosmwasm.md`, "Governance votes").
//!
//! This module owns the votes' state (namespace [`keys::STAKING`], tag 6) and the tally.
//! Invariant: a voter has at most one vote per proposal (a new vote replaces it), and a
//! vote's weights sum to exactly 1.
//! It must not run contracts, price gas or read a clock: the block time is passed in.
//! Proposals are not submitted by transactions; the chain lists them with the time their
//! voting ends. A voter's weight is its bonded stake when the tally is read, as the
//! Cosmos SDK tallies at the end of voting.

use serde::{Deserialize, Serialize};
use state::Journal;
use types::{Address, CallError, ErrorKind, StorageError};
use vm::keys;

use ruint::aliases::U256;

use crate::staking::{Staking, format_decimal, parse_decimal};

/// The most proposals a configuration may list (with [`MAX_TITLE_BYTES`], about 12 KiB of
/// the chain configuration's 64 KiB).
pub const MAX_PROPOSALS: usize = 64;
/// The longest proposal title, in bytes.
pub const MAX_TITLE_BYTES: usize = 128;

const VOTE: u8 = 6;
const ONE: u128 = 1_000_000_000_000_000_000;

/// A proposal open to votes (TOML `[[cosmwasm.gov.proposals]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalConfig {
    /// Its id, above 0, unique.
    pub id: u64,
    /// Its title, at most [`MAX_TITLE_BYTES`].
    pub title: String,
    /// The block time (Unix seconds) from which it takes no more votes.
    pub voting_end_time: u64,
}

/// The governance module's settings (TOML `[cosmwasm.gov]`). No proposals by default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GovConfig {
    /// The proposals, at most [`MAX_PROPOSALS`].
    pub proposals: Vec<ProposalConfig>,
}

impl GovConfig {
    /// Checks every proposal; the message names it.
    pub fn validate(&self) -> Result<(), String> {
        if self.proposals.len() > MAX_PROPOSALS {
            return Err(format!(
                "cosmwasm.gov.proposals: at most {MAX_PROPOSALS}, got {}",
                self.proposals.len()
            ));
        }
        for (i, p) in self.proposals.iter().enumerate() {
            if p.id == 0 || self.proposals[..i].iter().any(|q| q.id == p.id) {
                return Err(format!("cosmwasm.gov.proposals[{i}].id: above 0 and unique, got {}", p.id));
            }
            if p.title.len() > MAX_TITLE_BYTES {
                return Err(format!("cosmwasm.gov.proposals[{i}].title: at most {MAX_TITLE_BYTES} bytes"));
            }
        }
        Ok(())
    }
}

/// A vote option, as `cosmwasm_std::VoteOption` names it (the protobuf enum's numbers in
/// [`VoteOption::from_proto`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteOption {
    /// Yes.
    Yes,
    /// No.
    No,
    /// Abstain.
    Abstain,
    /// No with veto.
    NoWithVeto,
}

impl VoteOption {
    const ALL: [VoteOption; 4] =
        [VoteOption::Yes, VoteOption::No, VoteOption::Abstain, VoteOption::NoWithVeto];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            VoteOption::Yes => "yes",
            VoteOption::No => "no",
            VoteOption::Abstain => "abstain",
            VoteOption::NoWithVeto => "no_with_veto",
        }
    }

    /// `cosmos.gov.v1.VoteOption`: 1 yes, 2 abstain, 3 no, 4 no with veto.
    pub fn from_proto(n: i32) -> Option<VoteOption> {
        Some(match n {
            1 => VoteOption::Yes,
            2 => VoteOption::Abstain,
            3 => VoteOption::No,
            4 => VoteOption::NoWithVeto,
            _ => return None,
        })
    }

    fn byte(self) -> u8 {
        self as u8
    }

    fn from_byte(b: u8) -> Option<VoteOption> {
        VoteOption::ALL.get(usize::from(b)).copied()
    }
}

/// One option of a weighted vote (`cosmwasm_std::WeightedVoteOption`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WeightedVoteOption {
    /// The option.
    pub option: VoteOption,
    /// Its weight, a decimal; a vote's weights sum to 1.
    pub weight: String,
}

/// A proposal's tally: each option's bonded stake, weighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The proposal.
    pub id: u64,
    /// Its title.
    pub title: String,
    /// When its voting ends.
    pub voting_end_time: u64,
    /// `(option, bonded stake behind it, weighted, as a decimal)`, in [`VoteOption`] order.
    pub options: Vec<(&'static str, String)>,
    /// How many accounts voted.
    pub voters: usize,
}

/// The governance module.
#[derive(Debug, Clone)]
pub struct Gov {
    proposals: Vec<ProposalConfig>,
}

impl Gov {
    /// The module for `config` (checked by [`GovConfig::validate`]).
    pub fn new(config: &GovConfig) -> Gov {
        Gov { proposals: config.proposals.clone() }
    }

    /// Records `voter`'s vote on `proposal` at block time `time`, replacing an earlier
    /// one: the proposal must exist and be in its voting period, each weight above 0,
    /// each option once, the weights summing to exactly 1.
    pub fn vote(
        &self,
        j: &mut Journal,
        time: u64,
        voter: &Address,
        proposal: u64,
        options: &[WeightedVoteOption],
    ) -> Result<Result<(), CallError>, StorageError> {
        let refuse = |kind, m: String| Ok(Err(CallError::new(kind, m)));
        let Some(p) = self.proposals.iter().find(|p| p.id == proposal) else {
            return refuse(ErrorKind::NotFound, format!("unknown proposal {proposal}"));
        };
        if time >= p.voting_end_time {
            return refuse(
                ErrorKind::InvalidArgument,
                format!("inactive proposal {proposal}: its voting period has ended"),
            );
        }
        let mut value = Vec::with_capacity(options.len() * 17);
        let mut sum = 0u128;
        for (i, o) in options.iter().enumerate() {
            let weight = match parse_decimal(&o.weight) {
                Ok(w) if w > 0 && w <= ONE => w,
                _ => {
                    return refuse(
                        ErrorKind::InvalidArgument,
                        format!("invalid vote weight {:?}: a decimal in (0, 1]", o.weight),
                    );
                }
            };
            if options[..i].iter().any(|p| p.option == o.option) {
                return refuse(
                    ErrorKind::InvalidArgument,
                    format!("duplicate vote option {}", o.option.name()),
                );
            }
            sum = sum.saturating_add(weight);
            value.push(o.option.byte());
            value.extend_from_slice(&weight.to_be_bytes());
        }
        if options.is_empty() || sum != ONE {
            return refuse(ErrorKind::InvalidArgument, "the vote's weights must sum to 1".into());
        }
        j.set(&vote_key(proposal, voter), &value);
        Ok(Ok(()))
    }

    /// Every proposal's tally at `height`: each voter's bonded stake split by its weights.
    pub fn tallies(&self, j: &Journal, height: u64, staking: &Staking) -> Result<Vec<Tally>, StorageError> {
        let mut out = Vec::with_capacity(self.proposals.len());
        for p in &self.proposals {
            let prefix = vote_key(p.id, &Address([0; 20]))[..10].to_vec();
            let mut totals = [U256::ZERO; 4];
            let votes = j.scan_prefix(&prefix)?;
            for (k, v) in &votes {
                let corrupt = || StorageError::corrupt("a malformed vote");
                let voter = Address(k[prefix.len()..].try_into().map_err(|_| corrupt())?);
                let stake = staking
                    .delegations(j, height, &voter)?
                    .iter()
                    .fold(U256::ZERO, |t, d| t + U256::from(d.amount));
                for chunk in v.chunks(17) {
                    let option = chunk.first().and_then(|b| VoteOption::from_byte(*b)).ok_or_else(corrupt)?;
                    let weight = <[u8; 16]>::try_from(&chunk[1..]).map_err(|_| corrupt())?;
                    totals[option as usize] += stake * U256::from(u128::from_be_bytes(weight));
                }
            }
            out.push(Tally {
                id: p.id,
                title: p.title.clone(),
                voting_end_time: p.voting_end_time,
                options: VoteOption::ALL
                    .iter()
                    .map(|o| (o.name(), format_decimal(totals[*o as usize])))
                    .collect(),
                voters: votes.len(),
            });
        }
        Ok(out)
    }
}

fn vote_key(proposal: u64, voter: &Address) -> Vec<u8> {
    [&[keys::STAKING, VOTE][..], &proposal.to_be_bytes(), &voter.0].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_are_checked_and_options_named_as_cosmwasm_std_does() {
        let p = |id: u64, title: &str| ProposalConfig { id, title: title.into(), voting_end_time: 1 };
        assert!(GovConfig { proposals: vec![p(1, "a"), p(2, "b")] }.validate().is_ok());
        assert!(GovConfig { proposals: vec![p(0, "a")] }.validate().unwrap_err().contains("proposals[0].id"));
        assert!(
            GovConfig { proposals: vec![p(1, "a"), p(1, "b")] }
                .validate()
                .unwrap_err()
                .contains("proposals[1].id")
        );
        let long = "x".repeat(MAX_TITLE_BYTES + 1);
        assert!(GovConfig { proposals: vec![p(1, &long)] }.validate().unwrap_err().contains("title"));
        let names: Vec<&str> = VoteOption::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["yes", "no", "abstain", "no_with_veto"]);
        for o in VoteOption::ALL {
            assert_eq!(VoteOption::from_byte(o.byte()), Some(o));
            let parsed: VoteOption = serde_json::from_value(serde_json::json!(o.name())).unwrap();
            assert_eq!(parsed, o);
        }
        assert_eq!(VoteOption::from_proto(2), Some(VoteOption::Abstain));
        assert_eq!(VoteOption::from_proto(0), None);
    }
}
