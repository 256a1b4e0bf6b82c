//! cove's Malachite [`Context`]: which types consensus runs on and who proposes.
//!
//! The proposer of (height, round) is the validator at index `(height + round) mod n` of
//! the set sorted by address: a round-robin every node computes alike, which moves to
//! the next validator on each new round, so one that is down costs one round, not the
//! height. Voting power weighs votes but not proposer turns.

use malachitebft_app_channel::app::types::core::{
    Context, LinearTimeouts, NilOrVal, Round, ValidatorSet as _, VoteType,
};

use crate::signing::Ed25519;
use crate::types::{Address, BlockId, Height, Proposal, ProposalPart, Validator, ValidatorSet, Vote};

/// cove's consensus context. It holds nothing: every choice it makes is a function of
/// its arguments.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoveContext;

impl Context for CoveContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockId;
    type Vote = Vote;
    type Extension = bytes::Bytes;
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(&self, set: &'a ValidatorSet, height: Height, round: Round) -> &'a Validator {
        let n = set.count().max(1) as u64;
        let r = u64::from(round.as_u32().unwrap_or(0));
        let index = height.0.wrapping_add(r) % n;
        // The engine never runs a height with an empty set (it could not reach a quorum).
        set.get_by_index(index as usize).expect("a non-empty validator set")
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockId,
        pol_round: Round,
        proposer: Address,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        validator: Address,
    ) -> Vote {
        Vote { vote_type: VoteType::Prevote, height, round, value, validator, extension: None }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        validator: Address,
    ) -> Vote {
        Vote { vote_type: VoteType::Precommit, height, round, value, validator, extension: None }
    }
}
