//! Reads and proofs at past heights: [`History`] for [`RedbBackend`].
//!
//! Each view and proof reads one redb read transaction, a snapshot: a commit that
//! prunes the height meanwhile cannot change what a view already open returns.
//!
//! Reads are checked against the tree (`super::versions::value_checked`): reads of
//! the tables' head against the newest version of each page (the tree checked against
//! the head's root when the store was opened), reads at a past height against the tree
//! at that height, rebuilt and checked against its recorded root when the view opens.

use std::sync::Arc;

use merkle::{Hash, Proof, Tree, ZERO, bucket_of, key_hash};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use types::{BlockInfo, StorageError};

use super::tables::{
    BASE, BLOCKS, HISTORY, KEYS, LIVE_KEYS, META, PAGE_BUCKETS, PAGES, PRUNED_THROUGH, corrupt, decode_block,
    decode_page, is_checkpoint, meta_u64,
};
use super::versions::{bucket_at, scan_at, scan_range_at, value_at, value_checked};
use super::{Inner, RedbBackend};
use crate::backend::{Backend, ChangeSet, Order, range_bounds};
use crate::{BlockRecord, History, HistoryError, StoreConfig};

impl Inner {
    /// The hash of `bucket` in the tree of the tables' head: from its page's newest
    /// version at or below the head block in `txn` (a page never written holds empty
    /// buckets). Bounded by the head, as the tree checked against the head's root at
    /// open is: a page version whose damaged key claims a later height is never read.
    fn head_bucket_hash(&self, txn: &ReadTransaction, bucket: u32) -> Result<Hash, StorageError> {
        let depth = self.config.tree_depth;
        let page = bucket / PAGE_BUCKETS;
        let blocks = txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        let head = blocks.last().map_err(|e| self.err("read blocks", e))?.map_or(0, |(k, _)| k.value());
        let pages = txn.open_table(PAGES).map_err(|e| self.err("open pages", e))?;
        let last = pages
            .range((page, 0)..=(page, head))
            .map_err(|e| self.err("pages range", e))?
            .next_back()
            .transpose()
            .map_err(|e| self.err("pages read", e))?;
        let Some((_, v)) = last else { return Ok(ZERO) };
        let hashes = decode_page(v.value(), depth, page)?;
        Ok(hashes[(bucket - page * PAGE_BUCKETS) as usize])
    }

    /// The value of `key` in the tables' head, checked against the tree.
    pub(super) fn head_value(
        &self,
        txn: &ReadTransaction,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let history = txn.open_table(HISTORY).map_err(|e| self.err("open history", e))?;
        let depth = self.config.tree_depth;
        value_checked(&history, &key_hash(key), depth, u64::MAX, &mut |b| self.head_bucket_hash(txn, b))
    }

    /// Every key with `prefix` and its value in the tables' head, checked against the
    /// tree.
    #[expect(clippy::type_complexity, reason = "the `Backend::scan_prefix` result")]
    pub(super) fn head_scan(
        &self,
        txn: &ReadTransaction,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let keys = self.head_keys(txn)?;
        let history = txn.open_table(HISTORY).map_err(|e| self.err("open history", e))?;
        let at = (self.config.tree_depth, u64::MAX);
        let mut walked = 0;
        let out = scan_at(&keys, &history, prefix, at, &mut |b| self.head_bucket_hash(txn, b), &mut walked);
        self.count_walked(walked);
        out
    }

    /// At most `limit` pairs of the range `bounds` (full keys, the upper one exclusive)
    /// in the tables' head, in `order`, checked against the tree.
    #[expect(clippy::type_complexity, reason = "the `Backend::scan_range` result")]
    pub(super) fn head_scan_range(
        &self,
        txn: &ReadTransaction,
        bounds: (&[u8], Option<&[u8]>),
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let keys = self.head_keys(txn)?;
        let history = txn.open_table(HISTORY).map_err(|e| self.err("open history", e))?;
        let at = (self.config.tree_depth, u64::MAX);
        let mut walked = 0;
        let out = scan_range_at(
            &keys,
            &history,
            bounds,
            (order, limit),
            at,
            &mut |b| self.head_bucket_hash(txn, b),
            &mut walked,
        );
        self.count_walked(walked);
        out
    }

    /// At most `limit` pairs of the range `bounds` at the head, in `order`, read from
    /// the pending write transaction `txn`, which holds every committed block (the
    /// tables' head and the blocks only the log holds): `live_keys` there lists exactly
    /// the keys holding a value at the head, so nothing is merged and nothing deleted is
    /// walked, whether or not the blocks were written back. Values are checked against
    /// `tree`, the head's. The caller holds the pending blocks' lock.
    #[expect(clippy::type_complexity, reason = "the `Backend::scan_range` result")]
    pub(super) fn pending_scan_range(
        &self,
        (txn, tree): (&WriteTransaction, &Tree),
        bounds: (&[u8], Option<&[u8]>),
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let keys = txn.open_table(LIVE_KEYS).map_err(|e| self.err("open live_keys", e))?;
        let history = txn.open_table(HISTORY).map_err(|e| self.err("open history", e))?;
        let at = (self.config.tree_depth, u64::MAX);
        let mut walked = 0;
        let out = scan_range_at(
            &keys,
            &history,
            bounds,
            (order, limit),
            at,
            &mut |b| Ok(tree.bucket(b)),
            &mut walked,
        );
        self.count_walked(walked);
        out
    }

    /// The key table scans at the tables' head walk: `live_keys`, which lists only the
    /// keys holding a value there, so a scan never steps over deleted keys; `keys` in a
    /// read-only handle of a format-2 store, which has no `live_keys` yet.
    fn head_keys(
        &self,
        txn: &ReadTransaction,
    ) -> Result<redb::ReadOnlyTable<&'static [u8], ()>, StorageError> {
        let table = if self.live_keys { LIVE_KEYS } else { KEYS };
        txn.open_table(table).map_err(|e| self.err("open the key table", e))
    }

    /// Adds `n` entries of a key table to those scans walked ([`RedbBackend::scan_walked`]).
    pub(super) fn count_walked(&self, n: u64) {
        self.walked.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// The record of block `height` in `txn`.
    pub(super) fn block_in(
        &self,
        txn: &ReadTransaction,
        height: u64,
    ) -> Result<Option<BlockRecord>, StorageError> {
        let blocks = txn.open_table(BLOCKS).map_err(|e| self.err("open blocks", e))?;
        let Some(v) = blocks.get(height).map_err(|e| self.err("read blocks", e))? else {
            // Block records are never pruned: from the base to the head, each is there.
            let head = blocks.last().map_err(|e| self.err("read blocks", e))?.map_or(0, |(k, _)| k.value());
            let meta = txn.open_table(META).map_err(|e| self.err("open meta", e))?;
            let base = meta_u64(&meta, BASE)?.unwrap_or(0);
            if height > 0 && height >= base && height <= head {
                return Err(corrupt(&format!(
                    "the record of block {height} (below the head, {head}) is missing"
                )));
            }
            return Ok(None);
        };
        let (timestamp, root) = decode_block(height, v.value())?;
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
        self.inner.guard("read a block", || {
            self.inner.settle()?;
            self.inner.block_in(&self.inner.read()?, height)
        })
    }

    fn at(&self, height: u64) -> Result<Arc<dyn Backend>, HistoryError> {
        if let Some(view) = self.inner.log_view(height)? {
            return Ok(view);
        }
        self.inner.guard("read a past height", || {
            self.inner.settle()?;
            let txn = self.inner.read()?;
            self.inner.check_retained(&txn, height)?;
            let block = self.inner.block_in(&txn, height)?;
            let mut tree = self.inner.tree_at(&txn, height)?;
            self.inner.check_root(&mut tree, block.as_ref())?;
            Ok(Arc::new(View { inner: self.inner.clone(), txn, height, block, tree }) as Arc<dyn Backend>)
        })
    }

    fn proof(&self, key: &[u8], height: u64) -> Result<Proof, HistoryError> {
        self.inner.guard("proof", || self.proof_unguarded(key, height))
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
        self.inner.guard("snapshot export", || self.export_snapshot_unguarded(height, out, progress))
    }
}

impl RedbBackend {
    fn proof_unguarded(&self, key: &[u8], height: u64) -> Result<Proof, HistoryError> {
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
}

/// The state right after one block, read-only.
struct View {
    inner: Arc<Inner>,
    txn: ReadTransaction,
    height: u64,
    /// The block's record (`None` at height 0).
    block: Option<BlockRecord>,
    /// The tree at `height`, checked against the block's root; reads are checked
    /// against it.
    tree: Tree,
}

impl Backend for View {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.guard("get at a past height", || {
            let history = self.txn.open_table(HISTORY).map_err(|e| self.inner.err("open history", e))?;
            let depth = self.inner.config.tree_depth;
            value_checked(&history, &key_hash(key), depth, self.height, &mut |b| Ok(self.tree.bucket(b)))
        })
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.inner.guard("scan at a past height", || {
            let keys = self.txn.open_table(KEYS).map_err(|e| self.inner.err("open keys", e))?;
            let history = self.txn.open_table(HISTORY).map_err(|e| self.inner.err("open history", e))?;
            let at = (self.inner.config.tree_depth, self.height);
            let mut walked = 0;
            let out = scan_at(&keys, &history, prefix, at, &mut |b| Ok(self.tree.bucket(b)), &mut walked);
            self.inner.count_walked(walked);
            out
        })
    }

    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let Some((low, high)) = range_bounds(prefix, start, end) else { return Ok(Vec::new()) };
        self.inner.guard("scan at a past height", || {
            let keys = self.txn.open_table(KEYS).map_err(|e| self.inner.err("open keys", e))?;
            let history = self.txn.open_table(HISTORY).map_err(|e| self.inner.err("open history", e))?;
            let at = (self.inner.config.tree_depth, self.height);
            let bounds = (low.as_slice(), high.as_deref());
            let mut walked = 0;
            let out = scan_range_at(
                &keys,
                &history,
                bounds,
                (order, limit),
                at,
                &mut |b| Ok(self.tree.bucket(b)),
                &mut walked,
            );
            self.inner.count_walked(walked);
            out
        })
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
