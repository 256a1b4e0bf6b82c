//! ed25519 signing for consensus messages, on the `ed25519-dalek` cove already builds.
//!
//! Every signed message is domain-separated: the signed bytes are a tag naming the
//! message kind, the chain id (8 bytes, big-endian) and the message's canonical
//! encoding ([`crate::codec`]). A vote of one chain is therefore never a valid vote of
//! another, nor a proposal. Verification is strict (`verify_strict`: no small-order
//! keys, no malleable signatures). The validator proof of Malachite's network layer is
//! the one exception: its bytes are fixed by Malachite (`ValidatorProof::signing_bytes`).

use async_trait::async_trait;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use malachitebft_app_channel::app::types::core::{
    self as core, SignedMessage, ValidatorProof, VoteExtensionScope,
};
use malachitebft_signing::{Error as SigningError, Signer, VerificationResult, Verifier};

use crate::codec::Writer;
use crate::context::CoveContext;
use crate::types::{Address, BlockId, Height, Proposal, Vote};

/// A validator's public key.
pub type PublicKey = VerifyingKey;
/// A validator's private key.
pub type PrivateKey = SigningKey;

/// An ed25519 signature (64 bytes), ordered bytewise as Malachite requires.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    fn dalek(&self) -> ed25519_dalek::Signature {
        ed25519_dalek::Signature::from_bytes(&self.0)
    }
}

/// A key or signature of the wrong length or not a curve point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad ed25519 {0}")]
pub struct DecodingError(&'static str);

/// cove's signing scheme: ed25519.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519;

impl core::SigningScheme for Ed25519 {
    type DecodingError = DecodingError;
    type Signature = Signature;
    type PublicKey = PublicKey;
    type PrivateKey = PrivateKey;

    fn decode_signature(bytes: &[u8]) -> Result<Signature, DecodingError> {
        Ok(Signature(bytes.try_into().map_err(|_| DecodingError("signature length"))?))
    }

    fn encode_signature(signature: &Signature) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, DecodingError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| DecodingError("public key length"))?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| DecodingError("public key"))
    }

    fn encode_public_key(key: &PublicKey) -> Vec<u8> {
        key.as_bytes().to_vec()
    }
}

const VOTE_TAG: &[u8] = b"cove/consensus/vote/v1";
const PROPOSAL_TAG: &[u8] = b"cove/consensus/proposal/v1";
const PART_TAG: &[u8] = b"cove/consensus/proposal-parts/v1";
const EXTENSION_TAG: &[u8] = b"cove/consensus/vote-extension/v1";

fn tagged(tag: &[u8], chain_id: u64, body: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(tag);
    w.u64(chain_id);
    body(&mut w);
    w.into_vec()
}

/// The bytes a validator signs for `vote` on chain `chain_id`.
pub fn vote_sign_bytes(chain_id: u64, vote: &Vote) -> Vec<u8> {
    tagged(VOTE_TAG, chain_id, |w| w.vote(vote))
}

/// The bytes a proposer signs for `proposal` on chain `chain_id`.
pub fn proposal_sign_bytes(chain_id: u64, proposal: &Proposal) -> Vec<u8> {
    tagged(PROPOSAL_TAG, chain_id, |w| w.proposal(proposal))
}

/// The bytes a proposer signs in the `Fin` part of a streamed block: height, round and
/// the id of the block the parts assemble to.
pub fn part_sign_bytes(chain_id: u64, height: Height, round: core::Round, id: &BlockId) -> Vec<u8> {
    tagged(PART_TAG, chain_id, |w| {
        w.u64(height.0);
        w.round(round);
        w.raw(&id.0);
    })
}

fn extension_sign_bytes(chain_id: u64, scope: &VoteExtensionScope<CoveContext>, ext: &[u8]) -> Vec<u8> {
    tagged(EXTENSION_TAG, chain_id, |w| {
        w.u64(scope.height.0);
        w.round(scope.round);
        w.raw(&scope.value_id.0);
        w.raw(&scope.validator_address.0);
        w.bytes(ext);
    })
}

/// Whether `signature` by `key` over `msg` is valid (strict ed25519).
pub fn verify(key: &PublicKey, msg: &[u8], signature: &Signature) -> bool {
    key.verify_strict(msg, &signature.dalek()).is_ok()
}

/// Signs consensus messages with one validator's key, for one chain.
#[derive(Clone)]
pub struct CoveSigner {
    key: SigningKey,
    chain_id: u64,
}

impl CoveSigner {
    /// A signer with `key` on chain `chain_id`.
    pub fn new(key: SigningKey, chain_id: u64) -> CoveSigner {
        CoveSigner { key, chain_id }
    }

    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.verifying_key()
    }

    /// Its validator address.
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.public_key())
    }

    /// Signs raw bytes (already domain-separated by the caller).
    pub fn sign_bytes(&self, msg: &[u8]) -> Signature {
        Signature(self.key.sign(msg).to_bytes())
    }

    /// Signs a block's `Fin` part.
    pub fn sign_parts(&self, height: Height, round: core::Round, id: &BlockId) -> Signature {
        self.sign_bytes(&part_sign_bytes(self.chain_id, height, round, id))
    }
}

#[async_trait]
impl Signer<CoveContext> for CoveSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<CoveContext, Vote>, SigningError> {
        let signature = self.sign_bytes(&vote_sign_bytes(self.chain_id, &vote));
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<CoveContext, Proposal>, SigningError> {
        let signature = self.sign_bytes(&proposal_sign_bytes(self.chain_id, &proposal));
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<CoveContext>,
        extension: bytes::Bytes,
    ) -> Result<SignedMessage<CoveContext, bytes::Bytes>, SigningError> {
        let signature = self.sign_bytes(&extension_sign_bytes(self.chain_id, &scope, &extension));
        Ok(SignedMessage::new(extension, signature))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<CoveContext>, SigningError> {
        let bytes = ValidatorProof::<CoveContext>::signing_bytes(&public_key, &peer_id);
        let signature = self.sign_bytes(&bytes);
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Verifies consensus messages of one chain.
#[derive(Clone, Copy, Debug)]
pub struct CoveVerifier {
    chain_id: u64,
}

impl CoveVerifier {
    /// A verifier for chain `chain_id`.
    pub fn new(chain_id: u64) -> CoveVerifier {
        CoveVerifier { chain_id }
    }

    /// Whether `signature` is `key`'s over the `Fin` part of block `id` at (`height`, `round`).
    pub fn verify_parts(
        &self,
        height: Height,
        round: core::Round,
        id: &BlockId,
        signature: &Signature,
        key: &PublicKey,
    ) -> bool {
        verify(key, &part_sign_bytes(self.chain_id, height, round, id), signature)
    }
}

#[async_trait]
impl Verifier<CoveContext> for CoveVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::from_bool(verify(key, &vote_sign_bytes(self.chain_id, vote), signature)))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        let bytes = proposal_sign_bytes(self.chain_id, proposal);
        Ok(VerificationResult::from_bool(verify(key, &bytes, signature)))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<CoveContext>,
        extension: &bytes::Bytes,
        signature: &Signature,
        key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        let bytes = extension_sign_bytes(self.chain_id, scope, extension);
        Ok(VerificationResult::from_bool(verify(key, &bytes, signature)))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<CoveContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(key) = proof.decoded_public_key() else {
            return Ok(VerificationResult::Invalid);
        };
        Ok(VerificationResult::from_bool(verify(&key, &proof.preimage(), &proof.signature)))
    }
}
