//! The block a proposer streams: its header fields and raw transactions, in the
//! [`crate::codec`] encoding, whose SHA-256 is the [`BlockId`] consensus decides on.
//!
//! The block carries the state root after its parent (the app hash): every validator
//! checks it against its own before voting, and a node whose root differs from the one
//! a decided block carries halts rather than commit on a diverged state. It carries no
//! root of its own: that one is carried by the next block.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::codec::{CodecError, Reader, Writer};
use crate::types::{Address, BlockId};

/// Most bytes one encoded block may hold: 8 MiB (below the 10 MiB of a value-sync
/// response, which carries one block with its certificate).
pub const MAX_BLOCK_BYTES: usize = 8 << 20;
/// Most bytes of a block one `Data` proposal part carries: 256 KiB (gossip messages
/// are limited to 4 MiB).
pub const MAX_PART_BYTES: usize = 256 << 10;

/// One transaction of a block, as it was sent to a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockTx {
    /// An Ethereum transaction's EIP-2718 bytes.
    Eth(Bytes),
    /// A cove native transaction's signed bytes.
    Native(Bytes),
}

/// A proposed block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposedBlock {
    /// Its height.
    pub height: u64,
    /// Its time (unix seconds), the proposer's choice, never below its parent's.
    pub timestamp: u64,
    /// The hash of its parent in the node's index (Ethereum's block hash).
    pub parent_hash: [u8; 32],
    /// cove's state root after its parent (the app hash).
    pub prev_state_root: [u8; 32],
    /// The validator that proposed it.
    pub proposer: Address,
    /// Who receives its fees.
    pub fee_recipient: [u8; 20],
    /// Its transactions, in order.
    pub txs: Vec<BlockTx>,
}

impl ProposedBlock {
    /// Its canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(self.height);
        w.u64(self.timestamp);
        w.raw(&self.parent_hash);
        w.raw(&self.prev_state_root);
        w.raw(&self.proposer.0);
        w.raw(&self.fee_recipient);
        w.u32(u32::try_from(self.txs.len()).unwrap_or(u32::MAX));
        for tx in &self.txs {
            let (tag, raw) = match tx {
                BlockTx::Eth(r) => (0, r),
                BlockTx::Native(r) => (1, r),
            };
            w.u8(tag);
            w.bytes(raw);
        }
        w.into_vec()
    }

    /// Decodes a block; over [`MAX_BLOCK_BYTES`] is an error.
    pub fn decode(b: &[u8]) -> Result<ProposedBlock, CodecError> {
        if b.len() > MAX_BLOCK_BYTES {
            return Err(CodecError::TooLarge(b.len()));
        }
        let mut r = Reader::new(b);
        let mut fixed = |n| r.take(n).map(<[u8]>::to_vec);
        let height = u64::from_be_bytes(fixed(8)?.try_into().map_err(|_| CodecError::Truncated)?);
        let timestamp = u64::from_be_bytes(fixed(8)?.try_into().map_err(|_| CodecError::Truncated)?);
        let parent_hash = fixed(32)?.try_into().map_err(|_| CodecError::Truncated)?;
        let prev_state_root = fixed(32)?.try_into().map_err(|_| CodecError::Truncated)?;
        let proposer = Address(fixed(20)?.try_into().map_err(|_| CodecError::Truncated)?);
        let fee_recipient = fixed(20)?.try_into().map_err(|_| CodecError::Truncated)?;
        let n = r.u32()? as usize;
        // Each transaction takes at least its tag and length.
        let mut txs = Vec::with_capacity(n.min(b.len() / 5));
        for _ in 0..n {
            let tag = r.u8()?;
            let raw = Bytes::copy_from_slice(r.bytes()?);
            txs.push(match tag {
                0 => BlockTx::Eth(raw),
                1 => BlockTx::Native(raw),
                tag => return Err(CodecError::Tag { what: "block transaction", tag }),
            });
        }
        r.finish()?;
        Ok(ProposedBlock { height, timestamp, parent_hash, prev_state_root, proposer, fee_recipient, txs })
    }

    /// Its id: SHA-256 of its encoding.
    pub fn id(&self) -> BlockId {
        id_of(&self.encode())
    }
}

/// The id of an encoded block.
pub fn id_of(encoded: &[u8]) -> BlockId {
    BlockId(Sha256::digest(encoded).into())
}
