//! The wire and WAL encoding of every consensus message: a hand-written,
//! length-prefixed binary format (no schema compiler).
//!
//! Integers are big-endian and fixed-width; a byte string or list is a `u32` length
//! then its items; an enum is a one-byte tag then its fields; a `Round` is a tag (0 nil,
//! 1 defined) then a `u32`. Decoding is total: any input yields a value or a
//! [`CodecError`], never a panic, and a length is checked against the bytes left before
//! anything is allocated. Trailing bytes are an error, so each value has exactly one
//! encoding (the signed bytes of [`crate::signing`] rely on that).
//!
//! [`CoveCodec`] implements Malachite's `Codec` for the WAL (signed messages, proposed
//! values, polka certificates), the network (proposal parts and their stream messages,
//! signed messages, liveness messages, validator proofs) and value sync (status,
//! requests, responses).

use bytes::Bytes;
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::engine::util::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, CommitSignature, ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal,
    PolkaCertificate, PolkaSignature, Round, RoundCertificate, RoundCertificateType, RoundSignature,
    SignedExtension, SignedMessage, ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{PeerId, ProposedValue, SignedConsensusMsg};

use crate::context::CoveContext;
use crate::signing::Signature;
use crate::types::{Address, BlockId, Height, Proposal, ProposalPart, Vote};

/// Most bytes one encoded message may hold: 16 MiB (above Malachite's 10 MiB sync
/// response limit, so every message the engine accepts can be decoded).
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Why bytes do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The input ended inside a value.
    #[error("truncated input")]
    Truncated,
    /// Bytes were left after the value.
    #[error("{0} trailing bytes")]
    Trailing(usize),
    /// An enum tag that names no variant.
    #[error("unknown tag {tag} for {what}")]
    Tag {
        /// The enum.
        what: &'static str,
        /// The tag read.
        tag: u8,
    },
    /// A field that is not well formed.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A message over [`MAX_MESSAGE_BYTES`].
    #[error("message of {0} bytes is over the limit")]
    TooLarge(usize),
}

/// Appends encoded fields to a buffer.
#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    /// The bytes written.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    /// Appends `b` as is (no length).
    pub fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// Appends a byte.
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    /// Appends a `u32`.
    pub fn u32(&mut self, v: u32) {
        self.raw(&v.to_be_bytes());
    }

    /// Appends a `u64`.
    pub fn u64(&mut self, v: u64) {
        self.raw(&v.to_be_bytes());
    }

    /// Appends a length: every caller's input is bounded far below 4 GiB (a message is
    /// at most [`MAX_MESSAGE_BYTES`]), so the cast saturates only on a caller's bug,
    /// which decoding then refuses.
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// Appends a length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.raw(b);
    }

    /// Appends a round.
    pub fn round(&mut self, r: Round) {
        match r.as_u32() {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.u32(v);
            }
        }
    }

    fn nil_or_val(&mut self, v: &NilOrVal<BlockId>) {
        match v {
            NilOrVal::Nil => self.u8(0),
            NilOrVal::Val(id) => {
                self.u8(1);
                self.raw(&id.0);
            }
        }
    }

    fn vote_type(&mut self, t: VoteType) {
        self.u8(match t {
            VoteType::Prevote => 0,
            VoteType::Precommit => 1,
        });
    }

    fn sig(&mut self, s: &Signature) {
        self.raw(&s.0);
    }

    fn extension(&mut self, e: &Option<SignedExtension<CoveContext>>) {
        match e {
            None => self.u8(0),
            Some(e) => {
                self.u8(1);
                self.bytes(&e.message);
                self.sig(&e.signature);
            }
        }
    }

    /// Appends a vote (its signed fields; the extension travels apart in signatures).
    pub fn vote(&mut self, v: &Vote) {
        self.vote_type(v.vote_type);
        self.u64(v.height.0);
        self.round(v.round);
        self.nil_or_val(&v.value);
        self.raw(&v.validator.0);
    }

    /// Appends a proposal.
    pub fn proposal(&mut self, p: &Proposal) {
        self.u64(p.height.0);
        self.round(p.round);
        self.raw(&p.value.0);
        self.round(p.pol_round);
        self.raw(&p.proposer.0);
    }

    fn signed_msg(&mut self, m: &SignedConsensusMsg<CoveContext>) {
        match m {
            SignedConsensusMsg::Vote(v) => {
                self.u8(0);
                self.vote(&v.message);
                self.extension(&v.message.extension);
                self.sig(&v.signature);
            }
            SignedConsensusMsg::Proposal(p) => {
                self.u8(1);
                self.proposal(&p.message);
                self.sig(&p.signature);
            }
        }
    }

    fn part(&mut self, p: &ProposalPart) {
        match p {
            ProposalPart::Init { height, round, pol_round, proposer } => {
                self.u8(0);
                self.u64(height.0);
                self.round(*round);
                self.round(*pol_round);
                self.raw(&proposer.0);
            }
            ProposalPart::Data(b) => {
                self.u8(1);
                self.bytes(b);
            }
            ProposalPart::Fin { signature } => {
                self.u8(2);
                self.sig(signature);
            }
        }
    }

    fn polka(&mut self, c: &PolkaCertificate<CoveContext>) {
        self.u64(c.height.0);
        self.round(c.round);
        self.raw(&c.value_id.0);
        self.len(c.polka_signatures.len());
        for s in &c.polka_signatures {
            self.raw(&s.address.0);
            self.sig(&s.signature);
        }
    }

    fn round_cert(&mut self, c: &RoundCertificate<CoveContext>) {
        self.u64(c.height.0);
        self.round(c.round);
        self.u8(match c.cert_type {
            RoundCertificateType::Skip => 0,
            RoundCertificateType::Precommit => 1,
        });
        self.len(c.round_signatures.len());
        for s in &c.round_signatures {
            self.vote_type(s.vote_type);
            self.nil_or_val(&s.value_id);
            self.raw(&s.address.0);
            self.sig(&s.signature);
        }
    }

    /// Appends a commit certificate with its vote extensions.
    pub fn certificate(&mut self, c: &ExtendedCommitCertificate<CoveContext>) {
        self.u64(c.height.0);
        self.round(c.round);
        self.raw(&c.value_id.0);
        self.len(c.commit_signatures.len());
        for s in &c.commit_signatures {
            self.raw(&s.address.0);
            self.sig(&s.signature);
            self.extension(&s.extension);
        }
    }

    fn proposed_value(&mut self, v: &ProposedValue<CoveContext>) {
        self.u64(v.height.0);
        self.round(v.round);
        self.round(v.valid_round);
        self.raw(&v.proposer.0);
        self.raw(&v.value.0);
        self.u8(u8::from(v.validity.is_valid()));
    }
}

/// Reads encoded fields from a buffer.
pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// A reader over `b`.
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader(b)
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), CodecError> {
        if self.0.is_empty() { Ok(()) } else { Err(CodecError::Trailing(self.0.len())) }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.0.len() < n {
            return Err(CodecError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// A byte.
    pub fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    /// A `u32`.
    pub fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A `u64`.
    pub fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A list length, at most the bytes left divided by `min_item` (the least an item
    /// takes), so a forged length cannot make the caller allocate.
    fn len(&mut self, min_item: usize) -> Result<usize, CodecError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_item.max(1)) > self.0.len() {
            return Err(CodecError::Truncated);
        }
        Ok(n)
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let n = self.len(1)?;
        self.take(n)
    }

    /// A round.
    pub fn round(&mut self) -> Result<Round, CodecError> {
        match self.u8()? {
            0 => Ok(Round::Nil),
            1 => Ok(Round::new(self.u32()?)),
            tag => Err(CodecError::Tag { what: "round", tag }),
        }
    }

    fn height(&mut self) -> Result<Height, CodecError> {
        Ok(Height(self.u64()?))
    }

    fn address(&mut self) -> Result<Address, CodecError> {
        Ok(Address(self.array()?))
    }

    fn id(&mut self) -> Result<BlockId, CodecError> {
        Ok(BlockId(self.array()?))
    }

    fn sig(&mut self) -> Result<Signature, CodecError> {
        Ok(Signature(self.array()?))
    }

    fn nil_or_val(&mut self) -> Result<NilOrVal<BlockId>, CodecError> {
        match self.u8()? {
            0 => Ok(NilOrVal::Nil),
            1 => Ok(NilOrVal::Val(self.id()?)),
            tag => Err(CodecError::Tag { what: "nil-or-value", tag }),
        }
    }

    fn vote_type(&mut self) -> Result<VoteType, CodecError> {
        match self.u8()? {
            0 => Ok(VoteType::Prevote),
            1 => Ok(VoteType::Precommit),
            tag => Err(CodecError::Tag { what: "vote type", tag }),
        }
    }

    fn extension(&mut self) -> Result<Option<SignedExtension<CoveContext>>, CodecError> {
        match self.u8()? {
            0 => Ok(None),
            1 => {
                let message = Bytes::copy_from_slice(self.bytes()?);
                Ok(Some(SignedMessage::new(message, self.sig()?)))
            }
            tag => Err(CodecError::Tag { what: "extension", tag }),
        }
    }

    /// A vote (its signed fields).
    pub fn vote(&mut self) -> Result<Vote, CodecError> {
        Ok(Vote {
            vote_type: self.vote_type()?,
            height: self.height()?,
            round: self.round()?,
            value: self.nil_or_val()?,
            validator: self.address()?,
            extension: None,
        })
    }

    /// A proposal.
    pub fn proposal(&mut self) -> Result<Proposal, CodecError> {
        Ok(Proposal {
            height: self.height()?,
            round: self.round()?,
            value: self.id()?,
            pol_round: self.round()?,
            proposer: self.address()?,
        })
    }

    fn signed_msg(&mut self) -> Result<SignedConsensusMsg<CoveContext>, CodecError> {
        match self.u8()? {
            0 => {
                let mut vote = self.vote()?;
                vote.extension = self.extension()?;
                Ok(SignedConsensusMsg::Vote(SignedMessage::new(vote, self.sig()?)))
            }
            1 => {
                let proposal = self.proposal()?;
                Ok(SignedConsensusMsg::Proposal(SignedMessage::new(proposal, self.sig()?)))
            }
            tag => Err(CodecError::Tag { what: "signed message", tag }),
        }
    }

    fn part(&mut self) -> Result<ProposalPart, CodecError> {
        match self.u8()? {
            0 => Ok(ProposalPart::Init {
                height: self.height()?,
                round: self.round()?,
                pol_round: self.round()?,
                proposer: self.address()?,
            }),
            1 => Ok(ProposalPart::Data(Bytes::copy_from_slice(self.bytes()?))),
            2 => Ok(ProposalPart::Fin { signature: self.sig()? }),
            tag => Err(CodecError::Tag { what: "proposal part", tag }),
        }
    }

    fn polka(&mut self) -> Result<PolkaCertificate<CoveContext>, CodecError> {
        let (height, round, value_id) = (self.height()?, self.round()?, self.id()?);
        let n = self.len(20 + 64)?;
        let mut polka_signatures = Vec::with_capacity(n);
        for _ in 0..n {
            polka_signatures.push(PolkaSignature::new(self.address()?, self.sig()?));
        }
        Ok(PolkaCertificate { height, round, value_id, polka_signatures })
    }

    fn round_cert(&mut self) -> Result<RoundCertificate<CoveContext>, CodecError> {
        let (height, round) = (self.height()?, self.round()?);
        let cert_type = match self.u8()? {
            0 => RoundCertificateType::Skip,
            1 => RoundCertificateType::Precommit,
            tag => return Err(CodecError::Tag { what: "round certificate", tag }),
        };
        let n = self.len(1 + 1 + 20 + 64)?;
        let mut round_signatures = Vec::with_capacity(n);
        for _ in 0..n {
            let (t, v, a) = (self.vote_type()?, self.nil_or_val()?, self.address()?);
            round_signatures.push(RoundSignature::new(t, v, a, self.sig()?));
        }
        Ok(RoundCertificate { height, round, cert_type, round_signatures })
    }

    /// A commit certificate with its vote extensions.
    pub fn certificate(&mut self) -> Result<ExtendedCommitCertificate<CoveContext>, CodecError> {
        let (height, round, value_id) = (self.height()?, self.round()?, self.id()?);
        let n = self.len(20 + 64 + 1)?;
        let mut commit_signatures = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, s) = (self.address()?, self.sig()?);
            commit_signatures.push(ExtendedCommitSignature::new(a, s, self.extension()?));
        }
        Ok(ExtendedCommitCertificate { height, round, value_id, commit_signatures })
    }

    fn proposed_value(&mut self) -> Result<ProposedValue<CoveContext>, CodecError> {
        Ok(ProposedValue {
            height: self.height()?,
            round: self.round()?,
            valid_round: self.round()?,
            proposer: self.address()?,
            value: self.id()?,
            validity: match self.u8()? {
                0 => Validity::Invalid,
                1 => Validity::Valid,
                tag => return Err(CodecError::Tag { what: "validity", tag }),
            },
        })
    }
}

/// A commit certificate without extensions, in the certificate encoding.
pub fn encode_commit_certificate(c: &CommitCertificate<CoveContext>) -> Vec<u8> {
    let ext = ExtendedCommitCertificate {
        height: c.height,
        round: c.round,
        value_id: c.value_id,
        commit_signatures: c
            .commit_signatures
            .iter()
            .map(|s| ExtendedCommitSignature::new(s.address, s.signature, None))
            .collect(),
    };
    let mut w = Writer::default();
    w.certificate(&ext);
    w.into_vec()
}

/// Decodes [`encode_commit_certificate`]'s bytes (extensions are dropped).
pub fn decode_commit_certificate(b: &[u8]) -> Result<CommitCertificate<CoveContext>, CodecError> {
    let mut r = Reader::new(b);
    let c = r.certificate()?;
    r.finish()?;
    Ok(CommitCertificate {
        height: c.height,
        round: c.round,
        value_id: c.value_id,
        commit_signatures: c
            .commit_signatures
            .into_iter()
            .map(|s| CommitSignature::new(s.address, s.signature))
            .collect(),
    })
}

/// cove's codec for the WAL, the network and value sync.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoveCodec;

fn encode(f: impl FnOnce(&mut Writer)) -> Result<Bytes, CodecError> {
    let mut w = Writer::default();
    f(&mut w);
    let v = w.into_vec();
    if v.len() > MAX_MESSAGE_BYTES {
        return Err(CodecError::TooLarge(v.len()));
    }
    Ok(Bytes::from(v))
}

fn decode<T>(b: &Bytes, f: impl FnOnce(&mut Reader<'_>) -> Result<T, CodecError>) -> Result<T, CodecError> {
    if b.len() > MAX_MESSAGE_BYTES {
        return Err(CodecError::TooLarge(b.len()));
    }
    let mut r = Reader::new(b);
    let v = f(&mut r)?;
    r.finish()?;
    Ok(v)
}

macro_rules! codec {
    ($t:ty, |$w:ident, $m:ident| $enc:expr, |$r:ident| $dec:expr) => {
        impl Codec<$t> for CoveCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$t, CodecError> {
                decode(&bytes, |$r| $dec)
            }

            fn encode(&self, $m: &$t) -> Result<Bytes, CodecError> {
                encode(|$w| $enc)
            }
        }
    };
}

codec!(ProposalPart, |w, m| w.part(m), |r| r.part());
codec!(SignedConsensusMsg<CoveContext>, |w, m| w.signed_msg(m), |r| r.signed_msg());
codec!(ProposedValue<CoveContext>, |w, m| w.proposed_value(m), |r| r.proposed_value());
codec!(PolkaCertificate<CoveContext>, |w, m| w.polka(m), |r| r.polka());

codec!(
    LivenessMsg<CoveContext>,
    |w, m| match m {
        LivenessMsg::Vote(v) => {
            w.u8(0);
            w.signed_msg(&SignedConsensusMsg::Vote(v.clone()));
        }
        LivenessMsg::PolkaCertificate(c) => {
            w.u8(1);
            w.polka(c);
        }
        LivenessMsg::SkipRoundCertificate(c) => {
            w.u8(2);
            w.round_cert(c);
        }
    },
    |r| match r.u8()? {
        0 => match r.signed_msg()? {
            SignedConsensusMsg::Vote(v) => Ok(LivenessMsg::Vote(v)),
            SignedConsensusMsg::Proposal(_) => Err(CodecError::Invalid("liveness vote")),
        },
        1 => Ok(LivenessMsg::PolkaCertificate(r.polka()?)),
        2 => Ok(LivenessMsg::SkipRoundCertificate(r.round_cert()?)),
        tag => Err(CodecError::Tag { what: "liveness message", tag }),
    }
);

codec!(
    StreamMessage<ProposalPart>,
    |w, m| {
        w.bytes(&m.stream_id.to_bytes());
        w.u64(m.sequence);
        match &m.content {
            StreamContent::Data(p) => {
                w.u8(0);
                w.part(p);
            }
            StreamContent::Fin => w.u8(1),
        }
    },
    |r| {
        let stream_id = StreamId::new(Bytes::copy_from_slice(r.bytes()?));
        let sequence = r.u64()?;
        let content = match r.u8()? {
            0 => StreamContent::Data(r.part()?),
            1 => StreamContent::Fin,
            tag => return Err(CodecError::Tag { what: "stream content", tag }),
        };
        Ok(StreamMessage::new(stream_id, sequence, content))
    }
);

codec!(
    ValidatorProof<CoveContext>,
    |w, m| {
        w.bytes(&m.public_key);
        w.bytes(&m.peer_id);
        w.sig(&m.signature);
    },
    |r| {
        let public_key = r.bytes()?.to_vec();
        let peer_id = r.bytes()?.to_vec();
        Ok(ValidatorProof::new(public_key, peer_id, r.sig()?))
    }
);

codec!(
    Status<CoveContext>,
    |w, m| {
        w.bytes(&m.peer_id.to_bytes());
        w.u64(m.tip_height.0);
        w.u64(m.history_min_height.0);
    },
    |r| {
        let peer_id = PeerId::from_bytes(r.bytes()?).map_err(|_| CodecError::Invalid("peer id"))?;
        Ok(Status { peer_id, tip_height: r.height()?, history_min_height: r.height()? })
    }
);

codec!(
    Request<CoveContext>,
    |w, m| match m {
        Request::ValueRequest(v) => {
            w.u8(0);
            w.u64(v.range.start().0);
            w.u64(v.range.end().0);
        }
    },
    |r| match r.u8()? {
        0 => {
            let (start, end) = (r.height()?, r.height()?);
            Ok(Request::ValueRequest(malachitebft_sync::ValueRequest::new(start..=end)))
        }
        tag => Err(CodecError::Tag { what: "sync request", tag }),
    }
);

codec!(
    Response<CoveContext>,
    |w, m| match m {
        Response::ValueResponse(v) => {
            w.u8(0);
            w.u64(v.start_height.0);
            w.len(v.values.len());
            for d in &v.values {
                w.bytes(&d.value_bytes);
                w.certificate(&d.certificate);
            }
        }
    },
    |r| match r.u8()? {
        0 => {
            let start = r.height()?;
            let n = r.len(4 + 8 + 5 + 32 + 4)?;
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                let value_bytes = Bytes::copy_from_slice(r.bytes()?);
                values.push(RawDecidedValue::new(value_bytes, r.certificate()?));
            }
            Ok(Response::ValueResponse(malachitebft_sync::ValueResponse::new(start, values)))
        }
        tag => Err(CodecError::Tag { what: "sync response", tag }),
    }
);

impl HasEncodedLen<Response<CoveContext>> for CoveCodec {
    fn encoded_len(&self, m: &Response<CoveContext>) -> Result<usize, CodecError> {
        Codec::<Response<CoveContext>>::encode(self, m).map(|b| b.len())
    }
}
