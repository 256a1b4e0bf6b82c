//! The application's consensus store, `consensus.redb` in the node home: the blocks it
//! proposed or received (by id), the values it saw per (height, round), and each
//! decided block with its commit certificate (for value sync and recovery).
//!
//! It holds no cove state: that is the runtime's. Every write is committed (durable)
//! before the caller replies to the engine, which is what lets a restarted node answer
//! `StartedRound` after a WAL replay and re-apply a decided block its state missed.

use std::path::Path;

use bytes::Bytes;
use malachitebft_app_channel::app::types::ProposedValue;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::{CommitCertificate, Round};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use crate::CoveContext;
use crate::codec::{CoveCodec, decode_commit_certificate, encode_commit_certificate};
use crate::types::BlockId;

/// id → encoded block.
const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
/// height ‖ round ‖ id → encoded `ProposedValue`.
const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("values");
/// height → encoded decided block.
const DECIDED: TableDefinition<u64, &[u8]> = TableDefinition::new("decided");
/// height → encoded commit certificate.
const CERTS: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[error("consensus store: {0}")]
pub struct StoreError(String);

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// A decided block's bytes and its commit certificate.
pub type Decided = (Vec<u8>, CommitCertificate<CoveContext>);

/// The store.
pub struct Store {
    db: Database,
}

fn value_key(height: u64, round: Round, id: &BlockId) -> Vec<u8> {
    let mut k = height.to_be_bytes().to_vec();
    k.extend_from_slice(&round.as_u32().unwrap_or(u32::MAX).to_be_bytes());
    k.extend_from_slice(&id.0);
    k
}

impl Store {
    /// Opens (or creates) `consensus.redb` in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = Database::create(dir.join("consensus.redb")).map_err(err)?;
        let w = db.begin_write().map_err(err)?;
        {
            w.open_table(BLOCKS).map_err(err)?;
            w.open_table(VALUES).map_err(err)?;
            w.open_table(DECIDED).map_err(err)?;
            w.open_table(CERTS).map_err(err)?;
        }
        w.commit().map_err(err)?;
        Ok(Store { db })
    }

    /// Keeps block `bytes` (id `id`) and, if given, the value seen for it.
    pub fn put_block(
        &self,
        id: &BlockId,
        bytes: &[u8],
        value: Option<&ProposedValue<CoveContext>>,
    ) -> Result<(), StoreError> {
        let w = self.db.begin_write().map_err(err)?;
        {
            w.open_table(BLOCKS).map_err(err)?.insert(&id.0[..], bytes).map_err(err)?;
            if let Some(v) = value {
                let enc = CoveCodec.encode(v).map_err(err)?;
                let key = value_key(v.height.0, v.round, id);
                w.open_table(VALUES).map_err(err)?.insert(key.as_slice(), &enc[..]).map_err(err)?;
            }
        }
        w.commit().map_err(err)
    }

    /// The block with id `id`, if kept.
    pub fn block(&self, id: &BlockId) -> Result<Option<Vec<u8>>, StoreError> {
        let r = self.db.begin_read().map_err(err)?;
        let t = r.open_table(BLOCKS).map_err(err)?;
        Ok(t.get(&id.0[..]).map_err(err)?.map(|v| v.value().to_vec()))
    }

    /// The values seen at (`height`, `round`).
    pub fn values(&self, height: u64, round: Round) -> Result<Vec<ProposedValue<CoveContext>>, StoreError> {
        let r = self.db.begin_read().map_err(err)?;
        let t = r.open_table(VALUES).map_err(err)?;
        let lo = value_key(height, round, &BlockId([0; 32]));
        let hi = value_key(height, round, &BlockId([0xff; 32]));
        let mut out = Vec::new();
        for e in t.range(lo.as_slice()..=hi.as_slice()).map_err(err)? {
            let (_, v) = e.map_err(err)?;
            out.push(CoveCodec.decode(Bytes::copy_from_slice(v.value())).map_err(err)?);
        }
        Ok(out)
    }

    /// The values seen at `height`, in any round.
    pub fn values_at(&self, height: u64) -> Result<Vec<ProposedValue<CoveContext>>, StoreError> {
        let r = self.db.begin_read().map_err(err)?;
        let t = r.open_table(VALUES).map_err(err)?;
        let lo = height.to_be_bytes();
        let hi = value_key(height, Round::Nil, &BlockId([0xff; 32]));
        let mut out = Vec::new();
        for e in t.range(&lo[..]..=hi.as_slice()).map_err(err)? {
            let (_, v) = e.map_err(err)?;
            out.push(CoveCodec.decode(Bytes::copy_from_slice(v.value())).map_err(err)?);
        }
        Ok(out)
    }

    /// Records the decided block of `height` and its certificate, in one write.
    pub fn put_decided(
        &self,
        height: u64,
        bytes: &[u8],
        cert: &CommitCertificate<CoveContext>,
    ) -> Result<(), StoreError> {
        let w = self.db.begin_write().map_err(err)?;
        {
            w.open_table(DECIDED).map_err(err)?.insert(height, bytes).map_err(err)?;
            let c = encode_commit_certificate(cert);
            w.open_table(CERTS).map_err(err)?.insert(height, c.as_slice()).map_err(err)?;
        }
        w.commit().map_err(err)
    }

    /// The decided block of `height` and its certificate.
    pub fn decided(&self, height: u64) -> Result<Option<Decided>, StoreError> {
        let r = self.db.begin_read().map_err(err)?;
        let blocks = r.open_table(DECIDED).map_err(err)?;
        let certs = r.open_table(CERTS).map_err(err)?;
        let (Some(b), Some(c)) = (blocks.get(height).map_err(err)?, certs.get(height).map_err(err)?) else {
            return Ok(None);
        };
        Ok(Some((b.value().to_vec(), decode_commit_certificate(c.value()).map_err(err)?)))
    }

    /// The lowest and highest decided heights kept.
    pub fn decided_range(&self) -> Result<Option<(u64, u64)>, StoreError> {
        let r = self.db.begin_read().map_err(err)?;
        let t = r.open_table(DECIDED).map_err(err)?;
        let first = t.first().map_err(err)?.map(|(k, _)| k.value());
        let last = t.last().map_err(err)?.map(|(k, _)| k.value());
        Ok(first.zip(last))
    }

    /// Forgets the blocks and values of heights up to `height` that were not decided.
    /// Not made durable by itself (no sync): the next durable write carries it, and one
    /// lost in a crash leaves only blocks that the next pruning forgets.
    pub fn prune_undecided(&self, height: u64) -> Result<(), StoreError> {
        let mut w = self.db.begin_write().map_err(err)?;
        w.set_durability(Durability::None).map_err(err)?;
        {
            let mut values = w.open_table(VALUES).map_err(err)?;
            let mut blocks = w.open_table(BLOCKS).map_err(err)?;
            let hi = value_key(height, Round::Nil, &BlockId([0xff; 32]));
            let keys: Vec<Vec<u8>> = values
                .range(..=hi.as_slice())
                .map_err(err)?
                .map(|e| e.map(|(k, _)| k.value().to_vec()))
                .collect::<Result<_, _>>()
                .map_err(err)?;
            for k in keys {
                values.remove(k.as_slice()).map_err(err)?;
                if let Some(id) = k.get(12..44) {
                    blocks.remove(id).map_err(err)?;
                }
            }
        }
        w.commit().map_err(err)
    }
}
