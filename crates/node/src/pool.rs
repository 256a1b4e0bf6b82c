//! The mempool: signed transactions waiting for a block, per sender in nonce order.
//!
//! Admission checks the sender's committed nonce (too low is refused) and balance: it
//! must cover gas limit × price + value of this transaction plus that of the sender's
//! other waiting ones (geth's overdraft check; a cost past 2^256 − 1 is never covered);
//! a transaction with the nonce of one already
//! waiting replaces it only at a strictly higher price. A block takes, among the senders
//! whose next transaction carries their next nonce, the highest price first. Bounds:
//! transactions in all and per sender (which also bounds those one sender has waiting
//! behind a nonce gap), and raw bytes in all. It owns no state: callers
//! pass the committed nonce and balance.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use alloy_primitives::{Address as EthAddress, B256, U256};

use crate::tx::SignedTx;

/// Most transactions the pool holds: 4,096 (a new one is refused when full).
pub const MAX_POOL_TXS: usize = 4096;
/// Most transactions one sender may have waiting: 64.
pub const MAX_SENDER_TXS: usize = 64;
/// Most bytes of raw transactions the pool holds: 32 MiB (native deploys carry up to
/// 2 MiB each; a new one past it is refused).
pub const MAX_POOL_BYTES: usize = 32 << 20;

/// Why the pool refuses a transaction (geth's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The nonce is below the sender's.
    #[error("nonce too low: next nonce {next}, tx nonce {tx}")]
    NonceTooLow {
        /// The sender's next nonce.
        next: u64,
        /// The transaction's.
        tx: u64,
    },
    /// The balance does not cover the most it may cost.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {overshot}"
    )]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// gas limit × price + value, of this transaction and the sender's others waiting
        /// (2^256 − 1 if that overflows).
        cost: U256,
        /// cost − balance.
        overshot: U256,
    },
    /// The same transaction is already waiting.
    #[error("already known")]
    AlreadyKnown,
    /// A replacement not priced above the one it replaces.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// A price below the node's minimum.
    #[error("transaction underpriced: gas price {price}, minimum needed {min}")]
    Underpriced {
        /// The transaction's price.
        price: u128,
        /// The node's minimum.
        min: u128,
    },
    /// The pool or the sender's queue is full.
    #[error("txpool is full")]
    Full,
}

/// The waiting transactions.
#[derive(Debug, Default)]
pub struct Pool {
    by_sender: HashMap<EthAddress, BTreeMap<u64, SignedTx>>,
    by_hash: HashMap<B256, (EthAddress, u64)>,
    /// Bytes of the raw transactions waiting.
    bytes: usize,
}

impl Pool {
    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Admits `tx` given its sender's committed `nonce` and `balance`.
    pub fn insert(
        &mut self,
        tx: SignedTx,
        nonce: u64,
        balance: U256,
        min_price: u128,
    ) -> Result<(), PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        if tx.nonce() < nonce {
            return Err(PoolError::NonceTooLow { next: nonce, tx: tx.nonce() });
        }
        if tx.gas_price() < min_price {
            return Err(PoolError::Underpriced { price: tx.gas_price(), min: min_price });
        }
        let waiting = self.by_sender.get(&tx.from).and_then(|q| q.get(&tx.nonce()));
        match self.sender_cost(&tx) {
            Some(cost) if cost <= balance => {}
            cost => {
                let cost = cost.unwrap_or(U256::MAX);
                return Err(PoolError::InsufficientFunds {
                    balance,
                    cost,
                    overshot: cost.saturating_sub(balance),
                });
            }
        }
        let freed = waiting.map_or(0, |old| old.raw.len());
        if self.bytes - freed + tx.raw.len() > MAX_POOL_BYTES {
            return Err(PoolError::Full);
        }
        let queue = self.by_sender.entry(tx.from).or_default();
        if let Some(old) = queue.get(&tx.nonce()) {
            if tx.gas_price() <= old.gas_price() {
                return Err(PoolError::ReplacementUnderpriced);
            }
            self.by_hash.remove(&old.hash);
        } else if queue.len() >= MAX_SENDER_TXS || self.by_hash.len() >= MAX_POOL_TXS {
            return Err(PoolError::Full);
        }
        self.bytes = self.bytes - freed + tx.raw.len();
        self.by_hash.insert(tx.hash, (tx.from, tx.nonce()));
        queue.insert(tx.nonce(), tx);
        Ok(())
    }

    /// The most `tx` and its sender's other waiting transactions (one it would replace
    /// excepted) may cost together; `None` past 2^256 − 1.
    fn sender_cost(&self, tx: &SignedTx) -> Option<U256> {
        let others = self.by_sender.get(&tx.from).into_iter().flat_map(|q| q.values());
        others
            .filter(|t| t.nonce() != tx.nonce())
            .try_fold(tx.max_cost()?, |sum, t| sum.checked_add(t.max_cost()?))
    }

    /// The transaction `hash`, if waiting.
    pub fn get(&self, hash: &B256) -> Option<&SignedTx> {
        let (from, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(from)?.get(nonce)
    }

    /// The nonce after `sender`'s waiting transactions that follow `nonce` without a gap.
    pub fn pending_nonce(&self, sender: &EthAddress, nonce: u64) -> u64 {
        let mut next = nonce;
        if let Some(queue) = self.by_sender.get(sender) {
            while queue.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Removes `sender`'s transactions with a nonce below `nonce` (already mined or
    /// outdated) and the transaction `hash` if given.
    pub fn remove(&mut self, sender: &EthAddress, nonce: u64) {
        let Some(queue) = self.by_sender.get_mut(sender) else { return };
        let keep = queue.split_off(&nonce);
        for tx in queue.values() {
            self.by_hash.remove(&tx.hash);
            self.bytes -= tx.raw.len();
        }
        *queue = keep;
        if queue.is_empty() {
            self.by_sender.remove(sender);
        }
    }

    /// Drops the transaction `hash`.
    pub fn drop_tx(&mut self, hash: &B256) {
        if let Some((from, nonce)) = self.by_hash.remove(hash)
            && let Some(queue) = self.by_sender.get_mut(&from)
        {
            if let Some(tx) = queue.remove(&nonce) {
                self.bytes -= tx.raw.len();
            }
            if queue.is_empty() {
                self.by_sender.remove(&from);
            }
        }
    }

    /// Up to `max` transactions ready to run, in block order: each sender's from its
    /// next nonce (`nonce_of`) without a gap, the highest price first across senders.
    ///
    /// Among senders, the highest price first and, at equal prices, the lowest hash: an
    /// order that depends on the pool's content alone. Each sender's next transaction
    /// waits in a heap, so a block of `n` from `s` senders costs O((s + n) log s).
    pub fn ready(&self, max: usize, mut nonce_of: impl FnMut(&EthAddress) -> u64) -> Vec<SignedTx> {
        let mut heads = BinaryHeap::new();
        for (sender, queue) in &self.by_sender {
            let next = nonce_of(sender);
            if let Some(tx) = queue.get(&next) {
                heads.push((tx.gas_price(), Reverse(tx.hash), *sender, next));
            }
        }
        let mut out = Vec::new();
        while out.len() < max {
            let Some((_, _, sender, nonce)) = heads.pop() else { break };
            let Some(queue) = self.by_sender.get(&sender) else { break };
            let Some(tx) = queue.get(&nonce) else { break };
            out.push(tx.clone());
            if let Some(tx) = queue.get(&(nonce + 1)) {
                heads.push((tx.gas_price(), Reverse(tx.hash), sender, nonce + 1));
            }
        }
        out
    }
}
