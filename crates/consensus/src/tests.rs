//! Unit tests of the context, signing, codec and block format.

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::engine::util::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, CommitSignature, Context, ExtendedCommitCertificate, NilOrVal, PolkaCertificate,
    PolkaSignature, Round, RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage,
    SigningScheme, ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{PeerId, ProposedValue, SignedConsensusMsg};
use malachitebft_signing::{Signer, Verifier};

use crate::CoveContext;
use crate::block::{BlockTx, ProposedBlock};
use crate::codec::{CodecError, CoveCodec, decode_commit_certificate, encode_commit_certificate};
use crate::signing::{CoveSigner, CoveVerifier, Ed25519, Signature};
use crate::types::{Address, BlockId, Height, Proposal, ProposalPart, Validator, ValidatorSet, Vote};

const CHAIN: u64 = 31337;

fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i; 32])
}

fn vote(i: u8) -> Vote {
    CoveContext.new_precommit(
        Height(7),
        Round::new(2),
        NilOrVal::Val(BlockId([i; 32])),
        CoveSigner::new(key(i), CHAIN).address(),
    )
}

fn proposal() -> Proposal {
    CoveContext.new_proposal(Height(9), Round::new(1), BlockId([5; 32]), Round::new(0), Address([3; 20]))
}

#[tokio::test]
async fn a_signed_vote_verifies_only_unchanged_and_on_its_chain() {
    let signer = CoveSigner::new(key(1), CHAIN);
    let signed = signer.sign_vote(vote(1)).await.unwrap();
    let pk = signer.public_key();
    let v = CoveVerifier::new(CHAIN);
    assert!(v.verify_signed_vote(&signed.message, &signed.signature, &pk).await.unwrap().is_valid());
    // Another chain, another vote, another key: all refused.
    let other = CoveVerifier::new(CHAIN + 1);
    assert!(other.verify_signed_vote(&signed.message, &signed.signature, &pk).await.unwrap().is_invalid());
    let mut changed = signed.message.clone();
    changed.value = NilOrVal::Nil;
    assert!(v.verify_signed_vote(&changed, &signed.signature, &pk).await.unwrap().is_invalid());
    let pk2 = key(2).verifying_key();
    assert!(v.verify_signed_vote(&signed.message, &signed.signature, &pk2).await.unwrap().is_invalid());
    // A prevote's signature is not a precommit's.
    let mut prevote = signed.message.clone();
    prevote.vote_type = VoteType::Prevote;
    assert!(v.verify_signed_vote(&prevote, &signed.signature, &pk).await.unwrap().is_invalid());
}

#[tokio::test]
async fn a_signed_proposal_and_its_parts_verify() {
    let signer = CoveSigner::new(key(3), CHAIN);
    let pk = signer.public_key();
    let v = CoveVerifier::new(CHAIN);
    let signed = signer.sign_proposal(proposal()).await.unwrap();
    assert!(v.verify_signed_proposal(&signed.message, &signed.signature, &pk).await.unwrap().is_valid());
    let mut moved = signed.message.clone();
    moved.round = Round::new(2);
    assert!(v.verify_signed_proposal(&moved, &signed.signature, &pk).await.unwrap().is_invalid());
    // A proposal's signature does not pass as a vote's over the same bytes' owner.
    assert!(v.verify_signed_vote(&vote(3), &signed.signature, &pk).await.unwrap().is_invalid());

    let id = BlockId([8; 32]);
    let sig = signer.sign_parts(Height(9), Round::new(1), &id);
    assert!(v.verify_parts(Height(9), Round::new(1), &id, &sig, &pk));
    assert!(!v.verify_parts(Height(9), Round::new(2), &id, &sig, &pk));
    assert!(!v.verify_parts(Height(9), Round::new(1), &BlockId([9; 32]), &sig, &pk));
}

#[tokio::test]
async fn a_validator_proof_binds_key_and_peer() {
    let signer = CoveSigner::new(key(4), CHAIN);
    let pk = Ed25519::encode_public_key(&signer.public_key());
    let proof = signer.sign_validator_proof(pk.clone(), b"peer".to_vec()).await.unwrap();
    let v = CoveVerifier::new(CHAIN);
    assert!(v.verify_validator_proof(&proof).await.unwrap().is_valid());
    let forged = ValidatorProof::new(pk, b"other peer".to_vec(), proof.signature);
    assert!(v.verify_validator_proof(&forged).await.unwrap().is_invalid());
    let bad_key = ValidatorProof::new(vec![1, 2, 3], b"peer".to_vec(), proof.signature);
    assert!(v.verify_validator_proof(&bad_key).await.unwrap().is_invalid());
}

#[test]
fn keys_and_signatures_decode_only_at_their_length() {
    let pk = key(5).verifying_key();
    let bytes = Ed25519::encode_public_key(&pk);
    assert_eq!(Ed25519::decode_public_key(&bytes).unwrap(), pk);
    assert!(Ed25519::decode_public_key(&bytes[..31]).is_err());
    let sig = Signature([7; 64]);
    assert_eq!(Ed25519::decode_signature(&Ed25519::encode_signature(&sig)).unwrap(), sig);
    assert!(Ed25519::decode_signature(&[0; 63]).is_err());
}

#[test]
fn the_validator_set_is_sorted_and_proposers_rotate() {
    let vals: Vec<Validator> = (1..=4).map(|i| Validator::new(key(i).verifying_key(), 1)).collect();
    let a = ValidatorSet::new(vals.clone());
    let b = ValidatorSet::new(vals.into_iter().rev());
    assert_eq!(a, b, "the set's order does not depend on the genesis order");
    assert!(a.validators().windows(2).all(|w| w[0].address < w[1].address));
    let p = |h, r| CoveContext.select_proposer(&a, Height(h), Round::new(r)).address;
    // Each height's round 0 moves to the next validator; each new round too.
    let heights: Vec<_> = (0..4).map(|h| p(h, 0)).collect();
    let mut unique = heights.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4);
    assert_eq!(p(5, 1), p(6, 0));
    assert_ne!(p(5, 0), p(5, 1));
}

/// Encodes and decodes `m`; checks the round trip, that every strict prefix and a
/// trailing byte are refused.
fn round_trip<T>(m: &T)
where
    T: PartialEq + std::fmt::Debug,
    CoveCodec: Codec<T, Error = CodecError>,
{
    let bytes = CoveCodec.encode(m).unwrap();
    assert_eq!(&CoveCodec.decode(bytes.clone()).unwrap(), m);
    for n in 0..bytes.len() {
        assert!(CoveCodec.decode(bytes.slice(..n)).is_err(), "prefix of {n} bytes of {m:?} decoded");
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_eq!(CoveCodec.decode(Bytes::from(longer)).err(), Some(CodecError::Trailing(1)));
}

fn sig(i: u8) -> Signature {
    Signature([i; 64])
}

#[test]
fn consensus_messages_round_trip() {
    let mut with_ext = vote(1);
    with_ext.extension = Some(SignedMessage::new(Bytes::from_static(b"ext"), sig(9)));
    for v in
        [vote(1), with_ext, CoveContext.new_prevote(Height(1), Round::Nil, NilOrVal::Nil, Address([1; 20]))]
    {
        round_trip(&SignedConsensusMsg::<CoveContext>::Vote(SignedMessage::new(v.clone(), sig(1))));
        round_trip(&LivenessMsg::<CoveContext>::Vote(SignedMessage::new(v, sig(2))));
    }
    round_trip(&SignedConsensusMsg::<CoveContext>::Proposal(SignedMessage::new(proposal(), sig(3))));
    let polka = PolkaCertificate::<CoveContext> {
        height: Height(4),
        round: Round::new(0),
        value_id: BlockId([4; 32]),
        polka_signatures: vec![
            PolkaSignature::new(Address([1; 20]), sig(1)),
            PolkaSignature::new(Address([2; 20]), sig(2)),
        ],
    };
    round_trip(&polka);
    round_trip(&LivenessMsg::PolkaCertificate(polka));
    round_trip(&LivenessMsg::<CoveContext>::SkipRoundCertificate(RoundCertificate {
        height: Height(4),
        round: Round::new(3),
        cert_type: RoundCertificateType::Skip,
        round_signatures: vec![
            RoundSignature::new(VoteType::Prevote, NilOrVal::Nil, Address([1; 20]), sig(1)),
            RoundSignature::new(
                VoteType::Precommit,
                NilOrVal::Val(BlockId([2; 32])),
                Address([2; 20]),
                sig(2),
            ),
        ],
    }));
    for validity in [Validity::Valid, Validity::Invalid] {
        round_trip(&ProposedValue::<CoveContext> {
            height: Height(3),
            round: Round::new(1),
            valid_round: Round::Nil,
            proposer: Address([6; 20]),
            value: BlockId([6; 32]),
            validity,
        });
    }
}

#[test]
fn proposal_parts_and_streams_round_trip() {
    let parts = [
        ProposalPart::Init {
            height: Height(2),
            round: Round::new(0),
            pol_round: Round::Nil,
            proposer: Address([1; 20]),
        },
        ProposalPart::Data(Bytes::from_static(b"block bytes")),
        ProposalPart::Fin { signature: sig(4) },
    ];
    for (i, p) in parts.iter().enumerate() {
        round_trip(p);
        let id = StreamId::new(Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]));
        round_trip(&StreamMessage::new(id, i as u64, StreamContent::Data(p.clone())));
    }
    round_trip(&StreamMessage::<ProposalPart>::new(StreamId::new(Bytes::new()), 3, StreamContent::Fin));
    round_trip(&ValidatorProof::<CoveContext>::new(vec![1; 32], b"peer".to_vec(), sig(5)));
}

#[test]
fn sync_messages_round_trip() {
    round_trip(&Status::<CoveContext> {
        peer_id: PeerId::from_bytes(
            &malachitebft_app_channel::app::types::Keypair::ed25519_from_bytes([1u8; 32])
                .unwrap()
                .public()
                .to_peer_id()
                .to_bytes(),
        )
        .unwrap(),
        tip_height: Height(10),
        history_min_height: Height(1),
    });
    round_trip(&Request::<CoveContext>::ValueRequest(malachitebft_sync::ValueRequest::new(
        Height(3)..=Height(7),
    )));
    let cert = ExtendedCommitCertificate::<CoveContext>::from_commit_certificate_and_extensions(
        CommitCertificate {
            height: Height(3),
            round: Round::new(0),
            value_id: BlockId([3; 32]),
            commit_signatures: vec![CommitSignature::new(Address([1; 20]), sig(1))],
        },
        Default::default(),
    );
    let response = Response::<CoveContext>::ValueResponse(malachitebft_sync::ValueResponse::new(
        Height(3),
        vec![RawDecidedValue::new(Bytes::from_static(b"block"), cert)],
    ));
    round_trip(&response);
    let len = CoveCodec.encoded_len(&response).unwrap();
    assert_eq!(len, Codec::<Response<CoveContext>>::encode(&CoveCodec, &response).unwrap().len());
}

#[test]
fn commit_certificates_round_trip_without_extensions() {
    let cert = CommitCertificate::<CoveContext> {
        height: Height(12),
        round: Round::new(1),
        value_id: BlockId([1; 32]),
        commit_signatures: (1..=3).map(|i| CommitSignature::new(Address([i; 20]), sig(i))).collect(),
    };
    let bytes = encode_commit_certificate(&cert);
    assert_eq!(decode_commit_certificate(&bytes).unwrap(), cert);
    assert!(decode_commit_certificate(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn a_forged_length_is_refused_before_allocating() {
    // A polka certificate claiming 2^32 - 1 signatures in a few bytes.
    let mut b = Vec::new();
    b.extend_from_slice(&1u64.to_be_bytes());
    b.extend_from_slice(&[0]);
    b.extend_from_slice(&[0; 32]);
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    let r: Result<PolkaCertificate<CoveContext>, _> = CoveCodec.decode(Bytes::from(b));
    assert_eq!(r.err(), Some(CodecError::Truncated));
    let tag: Result<ProposalPart, _> = CoveCodec.decode(Bytes::from_static(&[9]));
    assert!(matches!(tag, Err(CodecError::Tag { .. })));
}

#[test]
fn a_block_round_trips_and_its_id_covers_every_field() {
    let block = ProposedBlock {
        height: 5,
        timestamp: 1_700_000_000,
        parent_hash: [1; 32],
        prev_state_root: [2; 32],
        proposer: Address([3; 20]),
        fee_recipient: [4; 20],
        txs: vec![BlockTx::Eth(Bytes::from_static(b"eth")), BlockTx::Native(Bytes::from_static(b"native"))],
    };
    let bytes = block.encode();
    assert_eq!(ProposedBlock::decode(&bytes).unwrap(), block);
    for n in 0..bytes.len() {
        assert!(ProposedBlock::decode(&bytes[..n]).is_err());
    }
    let mut other = block.clone();
    other.prev_state_root = [9; 32];
    assert_ne!(other.id(), block.id());
    let mut other = block.clone();
    other.txs.swap(0, 1);
    assert_ne!(other.id(), block.id());
}
