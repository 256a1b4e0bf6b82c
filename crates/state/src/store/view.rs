//! Reads and proofs at past heights: [`History`] for [`RedbBackend`].
//!
//! Each view and proof reads one redb read transaction, a snapshot: a commit that
//! prunes the height meanwhile cannot change what a view already open returns.

use std::sync::Arc;

use merkle::{Hash, Proof, ZERO, bucket_of, key_hash};
use redb::{ReadTransaction, ReadableTable};
use types::{BlockInfo, StorageError};

use super::tables::{
    BASE, BLOCKS, HISTORY, KEYS, META, PRUNED_THROUGH, corrupt, decode_block, is_checkpoint, meta_u64,
};
use super::versions::{bucket_at, scan_at, value_at};
use super::{Inner, RedbBackend};
use crate::backend::{Backend, ChangeSet};
use crate::{BlockRecord, History, HistoryError, StoreConfig};

impl Inner {
    /// The record of block `height` in `txn`.
    pub(super) fn block_in(
        &self,
        txn: &ReadTransaction,
        height: u64,
    ) -> Result<Option<BlockRecord>, StorageError> {
        let blocks = txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        let Some(v) = blocks.get(height).map_err(|e| self.err("read blocks", e))? else { return Ok(None) };
        let (timestamp, root) = decode_block(v.value())?;
        Ok(Some(BlockRecord { height, timestamp, root: Some(root) }))
    }

    /// Checks that `height` is retained in `txn`'s snapshot.
    pub(super) fn check_retained(&self, txn: &ReadTransaction, height: u64) -> Result<(), HistoryError> {
        self.check_in_tables(height)?;
        let blocks = txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        let head = blocks.last().map_err(|e| self.err("read blocks", e))?.map_or(0, |(k, _)| k.value());
        if height > head {
            return Err(HistoryError::Future { height, head });
        }
        let meta = txn.open_table(META).map_err(|e| self.err("open meta", e))?;
        let through = meta_u64(&meta, PRUNED_THROUGH)?.unwrap_or(0);
        let base = meta_u64(&meta, BASE)?.unwrap_or(0);
        if height < base {
            return Err(HistoryError::BeforeBase { height, base });
        }
        let interval = self.config.checkpoint_interval;
        if height <= through && !is_checkpoint(height, interval) {
            return Err(HistoryError::Pruned { height, oldest: through + 1, interval });
        }
        Ok(())
    }
}

impl History for RedbBackend {
    fn block(&self, height: u64) -> Result<Option<BlockRecord>, StorageError> {
        if let Some(record) = self.inner.logged_record(height) {
            return Ok(Some(record));
        }
        self.inner.settle()?;
        self.inner.block_in(&self.inner.read()?, height)
    }

    fn at(&self, height: u64) -> Result<Arc<dyn Backend>, HistoryError> {
        if let Some(view) = self.inner.log_view(height)? {
            return Ok(view);
        }
        self.inner.settle()?;
        let txn = self.inner.read()?;
        self.inner.check_retained(&txn, height)?;
        let block = self.inner.block_in(&txn, height)?;
        Ok(Arc::new(View { inner: self.inner.clone(), txn, height, block }))
    }

    fn proof(&self, key: &[u8], height: u64) -> Result<Proof, HistoryError> {
        let inner = &self.inner;
        inner.settle()?;
        let txn = inner.read()?;
        inner.check_retained(&txn, height)?;
        let depth = inner.config.tree_depth;
        let kh = key_hash(key);
        let bucket = bucket_of(&kh, depth);
        let history = txn.open_table(HISTORY).map_err(|e| inner.err("open history", e))?;
        let leaves = bucket_at(&history, bucket, depth, height, |leaf, _, _| *leaf)?;
        let value = value_at(&history, &kh, height)?;
        let siblings = inner.tree_at(&txn, height)?.siblings(bucket);
        let proof = Proof::new(depth, key.to_vec(), value, &leaves, siblings);
        // A proof that does not lead to the recorded root means the store is damaged:
        // say so rather than hand out a proof that will not verify.
        let recorded = inner.block_in(&txn, height)?.and_then(|b| b.root).unwrap_or(ZERO);
        let computed: Hash = proof.root().map_err(|e| StorageError::io(format!("redb: proof: {e}")))?;
        if computed != recorded {
            return Err(
                corrupt(&format!("the tree at height {height} does not match its recorded root")).into()
            );
        }
        Ok(proof)
    }

    fn config(&self) -> StoreConfig {
        self.inner.config
    }

    fn export_snapshot(
        &self,
        height: u64,
        out: &mut dyn std::io::Write,
        progress: &dyn Fn(u64, u64),
    ) -> Result<crate::Manifest, HistoryError> {
        RedbBackend::export_snapshot(self, height, out, progress)
    }
}

/// The state right after one block, read-only.
struct View {
    inner: Arc<Inner>,
    txn: ReadTransaction,
    height: u64,
    /// The block's record (`None` at height 0).
    block: Option<BlockRecord>,
}

impl Backend for View {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let history = self.txn.open_table(HISTORY).map_err(|e| self.inner.err("open history", e))?;
        value_at(&history, &key_hash(key), self.height)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let keys = self.txn.open_table(KEYS).map_err(|e| self.inner.err("open keys", e))?;
        let history = self.txn.open_table(HISTORY).map_err(|e| self.inner.err("open history", e))?;
        scan_at(&keys, &history, prefix, self.height)
    }

    fn commit(&self, _: &BlockInfo, changes: ChangeSet) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        let e = StorageError::io(format!("the state at height {} is read-only", self.height));
        Err((e, changes))
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        Ok(self.block)
    }

    /// Never changes: a snapshot.
    fn generation(&self) -> Option<u64> {
        Some(0)
    }
}
