//! Blocks decided outside the node, by a consensus engine: the node offers the
//! transactions it would include, checks a block another node proposes by running it
//! on a block it then discards, and commits a decided block exactly as its own producer
//! commits one (index entry before and after the state, mempool cleaned after).
//!
//! It decides nothing itself: which block comes next is the engine's choice. It must be
//! used with [`crate::Mining::External`], so no producer thread makes blocks beside it.

use std::sync::Arc;
use std::time::Instant;

use alloy_primitives::{Address as EthAddress, B256};
use types::Address;

use crate::NodeError;
use crate::chain::StoredBlock;
use crate::node::Shared;
use crate::produce::{Executed, MAX_BLOCK_TXS, execute, finish};
use crate::tx::{SignedTx, TxError};

/// The node's side of a consensus engine. Cheap to clone.
#[derive(Clone)]
pub struct External {
    pub(crate) shared: Arc<Shared>,
}

/// A block that ran on this node, set aside uncommitted with its receipts (its state
/// changes, the index entry they give): [`External::commit_prepared`] commits it without
/// running it again while the state it ran on is still the committed one.
pub struct Prepared {
    block: runtime::Suspended,
    run: Executed,
}

impl Prepared {
    /// The block's height.
    pub fn height(&self) -> u64 {
        self.run.stored.number
    }

    /// How many transactions it holds.
    pub fn len(&self) -> usize {
        self.run.stored.txs.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.run.stored.txs.is_empty()
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("height", &self.height()).field("txs", &self.len()).finish()
    }
}

/// Why a block cannot be committed as proposed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejected {
    /// A transaction would be dropped (stale nonce, unpaid fee, invalid for the EVM).
    #[error("transaction {0} would be dropped: {1}")]
    Dropped(B256, String),
    /// Transactions past the block's gas would not run.
    #[error("{0} transactions do not fit in the block")]
    Overfull(usize),
    /// A transaction hit the wall-clock backstop on this node.
    #[error("transaction timed out on this node")]
    TimedOut,
}

impl External {
    /// The highest committed block (its state root is the state every next block runs on).
    pub fn head(&self) -> Result<Arc<StoredBlock>, NodeError> {
        self.shared.chain.head()
    }

    /// The committed block at `number`.
    pub fn block(&self, number: u64) -> Result<Option<StoredBlock>, NodeError> {
        self.shared.chain.block(number)
    }

    /// The height of the committed block holding transaction `hash`.
    pub fn block_of_tx(&self, hash: &B256) -> Result<Option<u64>, NodeError> {
        Ok(self.shared.chain.tx(hash)?.map(|(b, _)| b.number))
    }

    /// Decodes and checks a raw transaction (native if it starts with cove's native magic,
    /// Ethereum otherwise) with the same stateless checks as a sent one.
    pub fn decode(&self, raw: &[u8]) -> Result<SignedTx, TxError> {
        // The next block's configuration: a block is checked on the head it extends.
        self.shared.decode_for(raw, self.shared.runtime.config())
    }

    /// The transactions a block at `timestamp` paying `fee_recipient` would hold now: the
    /// ready ones of the mempool (at most `max`, capped at [`MAX_BLOCK_TXS`], and as many
    /// as fit in `max_bytes` of raw transactions) that run, found by running them on a
    /// block, up to the first that does not fit in the block's gas or the first met
    /// once `deadline` has passed (so a full mempool cannot make building outlast a
    /// consensus round). That block is kept
    /// as a [`Prepared`] if it ran exactly the transactions returned (none dropped or
    /// timed out), else discarded.
    pub fn propose(
        &self,
        max: usize,
        max_bytes: usize,
        timestamp: u64,
        fee_recipient: EthAddress,
        deadline: Option<Instant>,
    ) -> Result<(Vec<SignedTx>, Option<Prepared>), NodeError> {
        let s = &self.shared;
        let _building = s.building.lock().unwrap_or_else(|e| e.into_inner());
        let rt = &s.runtime;
        let mut block = rt.begin_block(timestamp)?;
        let mut ready = {
            let mut pool = s.pool.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                let ready = pool.ready(max.min(MAX_BLOCK_TXS), |a| {
                    rt.nonce(&Address(a.into_array())).unwrap_or(u64::MAX)
                });
                // Admitted under a configuration an upgrade has since replaced (another
                // chain id, a lower gas cap): never valid again, so it leaves the mempool,
                // and the ready ones are taken again (a sender's later ones wait behind
                // it). What else an upgrade changes (the fork) drops it from the block.
                let stale: Vec<B256> =
                    ready.iter().filter(|t| !t.fits(block.config())).map(|t| t.hash).collect();
                let before = pool.len();
                for hash in &stale {
                    pool.drop_tx(hash);
                }
                if stale.is_empty() || pool.len() == before {
                    break ready.into_iter().filter(|t| !stale.contains(&t.hash)).collect::<Vec<_>>();
                }
            }
        };
        let mut bytes = 0usize;
        let fit = ready
            .iter()
            .take_while(|t| {
                bytes = bytes.saturating_add(t.raw.len());
                bytes <= max_bytes
            })
            .count();
        ready.truncate(fit);
        let parent = s.chain.head()?;
        let run = execute(s, &mut block, &parent, fee_recipient, &ready, deadline)?;
        // The run stops at the first transaction that does not fit: the block it left
        // holds exactly the ones before it.
        let taken = ready.len() - run.waiting;
        ready.truncate(taken);
        if run.dropped.is_empty() && !run.timed_out {
            return Ok((ready, Some(Prepared { block: block.suspend(), run })));
        }
        drop(block);
        let dropped: std::collections::HashSet<B256> = run.dropped.iter().map(|(h, _)| *h).collect();
        Ok((ready.into_iter().filter(|t| !dropped.contains(&t.hash)).collect(), None))
    }

    /// Whether the block of `txs` at `timestamp` paying `fee_recipient` runs on the
    /// committed state with every transaction given a receipt (run on a block that is
    /// then discarded).
    pub fn check(
        &self,
        timestamp: u64,
        fee_recipient: EthAddress,
        txs: &[SignedTx],
    ) -> Result<Result<(), Rejected>, NodeError> {
        Ok(self.prepare(timestamp, fee_recipient, txs)?.map(drop))
    }

    /// [`External::check`], keeping the block it ran if it passed: committing it later
    /// with [`External::commit_prepared`] does not run it again.
    pub fn prepare(
        &self,
        timestamp: u64,
        fee_recipient: EthAddress,
        txs: &[SignedTx],
    ) -> Result<Result<Prepared, Rejected>, NodeError> {
        let s = &self.shared;
        let _building = s.building.lock().unwrap_or_else(|e| e.into_inner());
        let parent = s.chain.head()?;
        let mut block = s.runtime.begin_block(timestamp)?;
        let run = execute(s, &mut block, &parent, fee_recipient, txs, None)?;
        Ok(verdict(&run).map(|()| Prepared { block: block.suspend(), run }))
    }

    /// Commits a block that ran in [`External::propose`] or [`External::prepare`] without
    /// running it again, exactly as [`External::commit`] would have committed it: only if
    /// the committed state is still the one it ran on (its parent is the head and nothing
    /// was committed since). `None` (nothing committed) otherwise: the caller commits the
    /// block with [`External::commit`], which runs it on the current state.
    pub fn commit_prepared(&self, prepared: Prepared) -> Result<Option<StoredBlock>, NodeError> {
        let s = &self.shared;
        let _building = s.building.lock().unwrap_or_else(|e| e.into_inner());
        let parent = s.chain.head()?;
        let Prepared { block, run } = prepared;
        if run.stored.number != parent.number + 1 || run.stored.parent_hash != parent.hash.unwrap_or_default()
        {
            return Ok(None);
        }
        let Some(block) = s.runtime.resume(block)? else { return Ok(None) };
        finish(s, block, run).map(Some)
    }

    /// Commits the decided block of `txs` at `timestamp` paying `fee_recipient`; returns
    /// its complete index entry. A transaction that would be dropped is dropped, as every
    /// node does alike; one that hit the wall-clock backstop is an error and nothing is
    /// committed (the result would depend on this node's speed).
    pub fn commit(
        &self,
        timestamp: u64,
        fee_recipient: EthAddress,
        txs: &[SignedTx],
    ) -> Result<StoredBlock, NodeError> {
        let s = &self.shared;
        let _building = s.building.lock().unwrap_or_else(|e| e.into_inner());
        let parent = s.chain.head()?;
        let mut block = s.runtime.begin_block(timestamp)?;
        let run = execute(s, &mut block, &parent, fee_recipient, txs, None)?;
        if run.timed_out {
            return Err(NodeError::Config(
                "a decided transaction hit the wall-clock backstop on this node".into(),
            ));
        }
        for (hash, why) in &run.dropped {
            tracing::warn!(tx = %hash, reason = %why, "decided block drops transaction");
        }
        finish(s, block, run)
    }

    /// Admits a raw transaction to the mempool, as `eth_sendRawTransaction` does.
    pub fn submit(&self, raw: &[u8]) -> Result<B256, crate::SubmitError> {
        if raw.starts_with(&crate::native::NATIVE_MAGIC[..]) {
            self.shared.submit_native(raw)
        } else {
            self.shared.submit(raw)
        }
    }

    /// Transactions waiting in the mempool.
    pub fn pool_len(&self) -> usize {
        self.shared.pool.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn verdict(run: &Executed) -> Result<(), Rejected> {
    if run.timed_out {
        return Err(Rejected::TimedOut);
    }
    if let Some((hash, why)) = run.dropped.first() {
        return Err(Rejected::Dropped(*hash, why.clone()));
    }
    if run.waiting > 0 {
        return Err(Rejected::Overfull(run.waiting));
    }
    Ok(())
}
