//! The node's index of blocks, transactions and receipts: `node.redb` in the data dir,
//! beside the state store, which keeps only contract state.
//!
//! A block is written twice: before its state is committed (its transactions and
//! receipts, no root or hash yet) and after (its state root and hash). On open,
//! entries above the state's committed height are dropped (the state never got them)
//! and incomplete ones at or below it are completed from the state's block record, so
//! the index always matches the committed state. Heights the state holds but the index
//! does not (blocks made by `cove` commands while no node ran) get entries with no
//! transactions. A state restored from a snapshot at height H holds no record below H:
//! the index starts at H, whose parent hash is then unknown (zero), so this node's
//! block hashes differ from those of the node the snapshot came from, unless block H's
//! entry was [`seed`]ed from that node's index before the node first opened.
//!
//! The last [`RECENT_BLOCKS`] complete blocks are also kept decoded in memory, written
//! there only once their complete entry is committed: the head and the receipts of
//! recent transactions are asked for far more often than blocks are made, and decoding
//! a whole block's JSON for each would cost as much as the block holds.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use alloy_consensus::{Header, TxEnvelope, TxType};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address as EthAddress, B256, Bloom, Bytes, Log, LogData, keccak256};
use alloy_rlp::BufMut;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::NodeError;

const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const TXS: TableDefinition<&[u8], u64> = TableDefinition::new("txs");

/// Complete blocks kept decoded in memory, the newest: 64.
pub const RECENT_BLOCKS: usize = 64;

/// The gas limit blocks report (`max_block_gas` is what binds).
pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;

/// A block as the index keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredBlock {
    /// Its height.
    pub number: u64,
    /// Its time (unix seconds).
    pub timestamp: u64,
    /// The previous block's hash.
    pub parent_hash: B256,
    /// cove's state root after it; `None` until the state is committed.
    pub state_root: Option<B256>,
    /// Its hash; `None` until the state is committed.
    pub hash: Option<B256>,
    /// Who received its fees.
    pub fee_recipient: EthAddress,
    /// Gas its transactions used.
    pub gas_used: u64,
    /// Its transactions, in order.
    pub txs: Vec<StoredTx>,
}

/// A transaction in a block, with its receipt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredTx {
    /// Its hash.
    pub hash: B256,
    /// Its sender.
    pub from: EthAddress,
    /// Its EIP-2718 bytes.
    pub raw: Bytes,
    /// Whether it succeeded.
    pub status: bool,
    /// Gas it used.
    pub gas_used: u64,
    /// Gas the block's transactions used up to and including it.
    pub cumulative_gas_used: u64,
    /// The price per gas it paid.
    pub effective_gas_price: u128,
    /// The contract it created.
    pub contract_address: Option<EthAddress>,
    /// Its logs.
    pub logs: Vec<Log>,
    /// What a native transaction returned (`None` for an Ethereum one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeOutcome>,
}

/// What a native transaction's receipt adds to Ethereum's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NativeOutcome {
    /// What it returned (a call's output; a CosmWasm call's `data`).
    pub output: Bytes,
    /// Why it failed: the error's kind (`docs/abi.md`) and message.
    pub error: Option<(String, String)>,
    /// The code it stored or created a contract of.
    pub code_id: Option<B256>,
}

impl StoredTx {
    /// Its envelope (decoded from `raw`, which the node checked when it was sent); an
    /// error for a native transaction.
    pub fn envelope(&self) -> Result<TxEnvelope, NodeError> {
        TxEnvelope::decode_2718(&mut &self.raw[..]).map_err(NodeError::index)
    }

    /// Whether it is a native transaction.
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// Its bytes as a block's transactions root takes them (Ethereum's EIP-2718
    /// encoding, or a native transaction's signed bytes) and its receipt's type (a
    /// native transaction's receipt is encoded as a legacy one).
    fn root_entry(&self) -> Result<(Vec<u8>, TxType), NodeError> {
        if self.is_native() {
            return Ok((self.raw.to_vec(), TxType::Legacy));
        }
        let envelope = self.envelope()?;
        Ok((envelope.encoded_2718(), envelope.tx_type()))
    }

    /// Its receipt's logs bloom.
    pub fn bloom(&self) -> Bloom {
        let mut bloom = Bloom::default();
        for log in &self.logs {
            bloom.accrue_log(log);
        }
        bloom
    }
}

impl StoredBlock {
    /// The header its hash is taken over.
    pub fn header(&self) -> Result<Header, NodeError> {
        let entries = self.txs.iter().map(StoredTx::root_entry).collect::<Result<Vec<_>, _>>()?;
        let receipts: Vec<_> = self
            .txs
            .iter()
            .zip(&entries)
            .map(|(t, (_, ty))| {
                let receipt = alloy_consensus::Receipt {
                    status: t.status.into(),
                    cumulative_gas_used: t.cumulative_gas_used,
                    logs: t.logs.clone(),
                };
                alloy_consensus::ReceiptEnvelope::from_typed(*ty, receipt.with_bloom())
            })
            .collect();
        let mut bloom = Bloom::default();
        for t in &self.txs {
            bloom.accrue_bloom(&t.bloom());
        }
        Ok(Header {
            parent_hash: self.parent_hash,
            beneficiary: self.fee_recipient,
            state_root: self.state_root.unwrap_or_default(),
            transactions_root: alloy_consensus::proofs::ordered_trie_root_with_encoder(
                &entries,
                |(bytes, _), buf| buf.put_slice(bytes),
            ),
            receipts_root: alloy_consensus::proofs::calculate_receipt_root(&receipts),
            logs_bloom: bloom,
            number: self.number,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used: self.gas_used,
            timestamp: self.timestamp,
            base_fee_per_gas: Some(0),
            ..Header::default()
        })
    }
}

/// A cove event as an Ethereum log. A topic of up to 32 bytes is left-padded to 32; a
/// longer one (WASM topics reach `MAX_TOPIC_LEN`, 256 bytes) becomes its keccak-256, as
/// Solidity indexes a dynamic value.
pub fn to_log(event: &types::Event) -> Log {
    let topics = event
        .topics
        .iter()
        .map(|t| if t.len() <= 32 { B256::left_padding_from(t) } else { keccak256(t) })
        .collect();
    Log {
        address: EthAddress::from(event.contract.0),
        data: LogData::new_unchecked(topics, event.data.clone().into()),
    }
}

/// Writes `block` as the first entry of the index in `dir`, a data dir whose state was
/// just restored from the snapshot of `manifest` and that no node has opened yet, so
/// that the node's block hashes from there on are the chain's (without it, the index
/// starts at the snapshot's height with an unknown, zero, parent hash).
///
/// `block` is block H's entry as another node's index holds it (its transactions and
/// receipts included), from any source: it is checked, not trusted. Its height, time
/// and state root must be the snapshot's, and its hash the one its contents give; the
/// contents themselves (its parent hash among them) are proved only by the chain, when
/// the node checks the next certified block's parent hash against it. Refused if the
/// index holds any block.
pub fn seed(
    dir: &std::path::Path,
    manifest: &runtime::Manifest,
    block: &StoredBlock,
) -> Result<(), NodeError> {
    let root: B256 = manifest
        .root
        .parse()
        .map_err(|e| NodeError::Index(format!("snapshot root {}: {e}", manifest.root)))?;
    let refuse =
        |why: String| Err(NodeError::Index(format!("block {} cannot seed the index: {why}", block.number)));
    if (block.number, block.timestamp) != (manifest.height, manifest.timestamp) {
        return refuse(format!(
            "the snapshot is of block {} at time {}, this block's time is {}",
            manifest.height, manifest.timestamp, block.timestamp
        ));
    }
    if block.state_root != Some(root) {
        return refuse(format!("its state root is not the snapshot's {root}"));
    }
    let hash = block.header()?.hash_slow();
    if block.hash != Some(hash) {
        return refuse(format!("its contents hash to {hash}, not to the hash it names"));
    }
    let db = Database::create(dir.join("node.redb")).map_err(NodeError::index)?;
    let w = db.begin_write().map_err(NodeError::index)?;
    {
        let mut blocks = w.open_table(BLOCKS).map_err(NodeError::index)?;
        if blocks.first().map_err(NodeError::index)?.is_some() {
            return refuse("the index already holds blocks".into());
        }
        let bytes = serde_json::to_vec(block).map_err(NodeError::index)?;
        blocks.insert(block.number, bytes.as_slice()).map_err(NodeError::index)?;
        let mut txs = w.open_table(TXS).map_err(NodeError::index)?;
        for t in &block.txs {
            txs.insert(t.hash.as_slice(), block.number).map_err(NodeError::index)?;
        }
    }
    w.commit().map_err(NodeError::index)
}

/// The index.
pub struct Chain {
    db: Database,
    /// The newest complete blocks, oldest first (at most [`RECENT_BLOCKS`]).
    recent: Mutex<VecDeque<Arc<StoredBlock>>>,
}

impl Chain {
    /// Opens (or creates) `node.redb` in `dir` and brings it in line with the state,
    /// whose head is `state_height`; `root_at` gives the time and state root of a
    /// height, or `None` for a height the state holds no record of (below the height
    /// of the snapshot it was restored from): such heights get no entry.
    pub fn open(
        dir: &std::path::Path,
        state_height: u64,
        mut root_at: impl FnMut(u64) -> Result<Option<(u64, B256)>, NodeError>,
    ) -> Result<Chain, NodeError> {
        let db = Database::create(dir.join("node.redb")).map_err(NodeError::index)?;
        let chain = Chain { db, recent: Mutex::new(VecDeque::new()) };
        let w = chain.db.begin_write().map_err(NodeError::index)?;
        {
            let mut blocks = w.open_table(BLOCKS).map_err(NodeError::index)?;
            let mut txs = w.open_table(TXS).map_err(NodeError::index)?;
            // Drop what the state never committed.
            let above: Vec<u64> = blocks
                .range(state_height + 1..)
                .map_err(NodeError::index)?
                .map(|e| e.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()
                .map_err(NodeError::index)?;
            for h in above {
                if let Some(v) = blocks.remove(h).map_err(NodeError::index)? {
                    let b: StoredBlock = serde_json::from_slice(v.value()).map_err(NodeError::index)?;
                    for t in &b.txs {
                        txs.remove(t.hash.as_slice()).map_err(NodeError::index)?;
                    }
                    tracing::warn!(
                        height = h,
                        "dropped a block from the node index: its state was never committed"
                    );
                }
            }
            // Complete or create every height up to the state's head.
            let mut parent = B256::ZERO;
            let mut next = 0;
            while next <= state_height {
                let h = next;
                next += 1;
                let stored = blocks.get(h).map_err(NodeError::index)?.map(|v| v.value().to_vec());
                let mut block = match stored {
                    Some(v) => serde_json::from_slice::<StoredBlock>(&v).map_err(NodeError::index)?,
                    None => {
                        let Some((timestamp, _)) = root_at(h)? else {
                            // A restored store holds records from its snapshot's height
                            // on (they are never pruned): find that height by bisection.
                            let (mut lo, mut hi) = (h + 1, state_height);
                            while lo < hi {
                                let mid = lo + (hi - lo) / 2;
                                if root_at(mid)?.is_some() { hi = mid } else { lo = mid + 1 }
                            }
                            next = lo;
                            continue;
                        };
                        StoredBlock {
                            number: h,
                            timestamp,
                            parent_hash: parent,
                            state_root: None,
                            hash: None,
                            fee_recipient: EthAddress::ZERO,
                            gas_used: 0,
                            txs: Vec::new(),
                        }
                    }
                };
                if block.hash.is_none() {
                    let Some((_, root)) = root_at(h)? else {
                        return Err(NodeError::index(format!(
                            "block {h} is indexed but the state has no record of it"
                        )));
                    };
                    block.state_root = Some(root);
                    block.parent_hash = parent;
                    block.hash = Some(block.header()?.hash_slow());
                    let bytes = serde_json::to_vec(&block).map_err(NodeError::index)?;
                    blocks.insert(h, bytes.as_slice()).map_err(NodeError::index)?;
                }
                parent = block.hash.unwrap_or_default();
            }
        }
        w.commit().map_err(NodeError::index)?;
        let head = chain.head()?;
        chain.remember(head);
        Ok(chain)
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<StoredBlock>>> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a complete block decoded, above the ones kept (a rewritten height
    /// replaces them).
    fn remember(&self, block: Arc<StoredBlock>) {
        let mut recent = self.recent();
        while recent.back().is_some_and(|b| b.number >= block.number) {
            recent.pop_back();
        }
        recent.push_back(block);
        while recent.len() > RECENT_BLOCKS {
            recent.pop_front();
        }
    }

    fn remembered(&self, number: u64) -> Option<Arc<StoredBlock>> {
        let recent = self.recent();
        let first = recent.front()?.number;
        recent.get(usize::try_from(number.checked_sub(first)?).ok()?).filter(|b| b.number == number).cloned()
    }

    /// The complete block at `number`, shared.
    fn block_arc(&self, number: u64) -> Result<Option<Arc<StoredBlock>>, NodeError> {
        if let Some(b) = self.remembered(number) {
            return Ok(Some(b));
        }
        let r = self.db.begin_read().map_err(NodeError::index)?;
        let blocks = r.open_table(BLOCKS).map_err(NodeError::index)?;
        let Some(v) = blocks.get(number).map_err(NodeError::index)? else { return Ok(None) };
        let block: StoredBlock = serde_json::from_slice(v.value()).map_err(NodeError::index)?;
        Ok(block.hash.is_some().then(|| Arc::new(block)))
    }

    /// Writes `block` (complete or not) and its transactions' positions.
    pub fn put(&self, block: &StoredBlock) -> Result<(), NodeError> {
        let w = self.db.begin_write().map_err(NodeError::index)?;
        {
            let mut blocks = w.open_table(BLOCKS).map_err(NodeError::index)?;
            let mut txs = w.open_table(TXS).map_err(NodeError::index)?;
            let bytes = serde_json::to_vec(block).map_err(NodeError::index)?;
            blocks.insert(block.number, bytes.as_slice()).map_err(NodeError::index)?;
            for t in &block.txs {
                txs.insert(t.hash.as_slice(), block.number).map_err(NodeError::index)?;
            }
        }
        w.commit().map_err(NodeError::index)?;
        if block.hash.is_some() {
            self.remember(Arc::new(block.clone()));
        }
        Ok(())
    }

    /// The complete block at `number`, if any.
    pub fn block(&self, number: u64) -> Result<Option<StoredBlock>, NodeError> {
        Ok(self.block_arc(number)?.map(Arc::unwrap_or_clone))
    }

    /// Calls `f` with each complete block from `from` to `to` (inclusive) in order,
    /// until it returns false.
    pub fn each_block(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(&StoredBlock) -> bool,
    ) -> Result<(), NodeError> {
        let r = self.db.begin_read().map_err(NodeError::index)?;
        let blocks = r.open_table(BLOCKS).map_err(NodeError::index)?;
        for e in blocks.range(from..=to).map_err(NodeError::index)? {
            let (_, v) = e.map_err(NodeError::index)?;
            let block: StoredBlock = serde_json::from_slice(v.value()).map_err(NodeError::index)?;
            if block.hash.is_some() && !f(&block) {
                break;
            }
        }
        Ok(())
    }

    /// The highest complete block.
    pub fn head(&self) -> Result<Arc<StoredBlock>, NodeError> {
        if let Some(b) = self.recent().back() {
            return Ok(b.clone());
        }
        let r = self.db.begin_read().map_err(NodeError::index)?;
        let blocks = r.open_table(BLOCKS).map_err(NodeError::index)?;
        for e in blocks.iter().map_err(NodeError::index)?.rev() {
            let (_, v) = e.map_err(NodeError::index)?;
            let block: StoredBlock = serde_json::from_slice(v.value()).map_err(NodeError::index)?;
            if block.hash.is_some() {
                return Ok(Arc::new(block));
            }
        }
        Err(NodeError::Index("no block, not even genesis".into()))
    }

    /// The complete block holding transaction `hash`, and its index there.
    pub fn tx(&self, hash: &B256) -> Result<Option<(Arc<StoredBlock>, usize)>, NodeError> {
        let number = {
            let r = self.db.begin_read().map_err(NodeError::index)?;
            let txs = r.open_table(TXS).map_err(NodeError::index)?;
            let Some(v) = txs.get(hash.as_slice()).map_err(NodeError::index)? else { return Ok(None) };
            v.value()
        };
        let Some(block) = self.block_arc(number)? else { return Ok(None) };
        let index = block.txs.iter().position(|t| &t.hash == hash);
        Ok(index.map(|i| (block, i)))
    }

    /// The complete block with hash `hash` (a scan from the head: the index keeps no
    /// hash table yet).
    pub fn block_by_hash(&self, hash: &B256) -> Result<Option<StoredBlock>, NodeError> {
        let r = self.db.begin_read().map_err(NodeError::index)?;
        let blocks = r.open_table(BLOCKS).map_err(NodeError::index)?;
        for e in blocks.iter().map_err(NodeError::index)?.rev() {
            let (_, v) = e.map_err(NodeError::index)?;
            let block: StoredBlock = serde_json::from_slice(v.value()).map_err(NodeError::index)?;
            if block.hash.as_ref() == Some(hash) {
                return Ok(Some(block));
            }
        }
        Ok(None)
    }
}
