//! The types cove hands Malachite: heights, validator addresses and sets, the value
//! (a block id), proposals, votes and proposal parts.
//!
//! They are plain data: signing lives in [`crate::signing`], encoding in
//! [`crate::codec`], the choice of proposer in [`crate::context`]. Nothing here reads a
//! clock or a store.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use malachitebft_app_channel::app::types::core::{
    self as core, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};
use sha2::{Digest, Sha256};

use crate::context::CoveContext;
use crate::signing::PublicKey;

/// A block height; Malachite's height is cove's block height.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl core::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the first 20 bytes of SHA-256 of its ed25519 public key.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of `key`.
    pub fn from_public_key(key: &PublicKey) -> Address {
        let digest = Sha256::digest(key.as_bytes());
        let mut a = [0u8; 20];
        a.copy_from_slice(&digest[..20]);
        Address(a)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl core::Address for Address {}

/// The value consensus agrees on: the id of a proposed block, SHA-256 of its canonical
/// encoding ([`crate::block::ProposedBlock::id`]). The block itself travels as proposal
/// parts and is kept by the application; the WAL and the signed messages hold only this.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BlockId(pub [u8; 32]);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex::encode(self.0))
    }
}

impl fmt::Debug for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockId({self})")
    }
}

impl core::Value for BlockId {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        *self
    }
}

/// A validator: its address, key and voting power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Derived from `public_key`.
    pub address: Address,
    /// Its ed25519 key.
    pub public_key: PublicKey,
    /// Its weight in votes.
    pub voting_power: VotingPower,
}

impl Validator {
    /// A validator of `public_key` with `voting_power`.
    pub fn new(public_key: PublicKey, voting_power: VotingPower) -> Validator {
        Validator { address: Address::from_public_key(&public_key), public_key, voting_power }
    }
}

impl core::Validator<CoveContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.voting_power
    }
}

/// The validators of a height, sorted by address (a deterministic order every node
/// shares, whatever order the genesis lists them in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Arc<Vec<Validator>>,
}

impl ValidatorSet {
    /// The set of `validators`, sorted by address; a repeated address keeps the first.
    pub fn new(validators: impl IntoIterator<Item = Validator>) -> ValidatorSet {
        let mut v: Vec<Validator> = validators.into_iter().collect();
        v.sort_by_key(|a| a.address);
        v.dedup_by_key(|a| a.address);
        ValidatorSet { validators: Arc::new(v) }
    }

    /// The validators, sorted by address.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }
}

impl core::ValidatorSet<CoveContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.validators.iter().map(|v| v.voting_power).fold(0, u64::saturating_add)
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A proposal: `value` at (`height`, `round`), re-proposed from `pol_round` if that is
/// defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Its height.
    pub height: Height,
    /// Its round.
    pub round: Round,
    /// The block proposed.
    pub value: BlockId,
    /// The round of the polka it re-proposes, or `Round::Nil`.
    pub pol_round: Round,
    /// Its proposer.
    pub proposer: Address,
}

impl core::Proposal<CoveContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockId {
        &self.value
    }

    fn take_value(self) -> BlockId {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// A prevote or precommit for a block id or nil.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// Its height.
    pub height: Height,
    /// Its round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockId>,
    /// Who votes.
    pub validator: Address,
    /// A signed vote extension (cove does not use them: the policy stays `Disabled`,
    /// but the codec carries one if present).
    pub extension: Option<SignedExtension<CoveContext>>,
}

impl core::Vote<CoveContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &Address {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<CoveContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<CoveContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<CoveContext>) -> Self {
        Vote { extension: Some(extension), ..self }
    }
}

/// One part of a streamed proposal: `Init`, then the encoded block in `Data` chunks,
/// then `Fin` with the proposer's signature over (height, round, block id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalPart {
    /// Opens the stream.
    Init {
        /// The proposal's height.
        height: Height,
        /// Its round.
        round: Round,
        /// The round of the polka it re-proposes, or `Round::Nil`.
        pol_round: Round,
        /// Its proposer.
        proposer: Address,
    },
    /// A chunk of the encoded block (at most [`crate::block::MAX_PART_BYTES`]).
    Data(Bytes),
    /// Closes the stream.
    Fin {
        /// The proposer's signature ([`crate::signing::part_sign_bytes`]).
        signature: crate::signing::Signature,
    },
}

impl core::ProposalPart<CoveContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin { .. })
    }
}
