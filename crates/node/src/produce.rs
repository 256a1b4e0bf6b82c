//! Block production: ready transactions from the mempool run through the runtime, each
//! charged gas used × its price, paid to the fee recipient.
//!
//! For each transaction: debit gas limit × price (a sender who cannot pay is dropped),
//! run it, refund the gas it did not use, pay the fee recipient for what it used, and
//! bump the nonce if it failed (the runtime leaves a failed message no trace). One whose
//! whole gas limit (a native transaction's intrinsic gas included, which the runtime
//! never sees) does not fit in `max_block_gas` less the gas the block's receipts used
//! goes back to waiting, a native `store` too; one that timed out (a node fault) or that the
//! EVM calls invalid is dropped and logged, with no receipt.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address as EthAddress, TxKind, U256};
use runtime::{Balance, Block, RuntimeError};
use types::{Address, ErrorKind, VmType};

use crate::NodeError;
use crate::chain::{StoredBlock, StoredTx, to_log};
use crate::native::Kind;
use crate::node::{Mining, Shared, now};
use crate::tx::{SignedTx, TxBody};

/// Most transactions one block takes from the mempool: 10,000.
pub const MAX_BLOCK_TXS: usize = 10_000;

/// The producer's loop, until the node stops.
pub(crate) fn run(shared: &Shared) -> Result<(), NodeError> {
    if shared.config.mining == Mining::External {
        return Ok(());
    }
    loop {
        {
            let pool = shared.pool.lock().unwrap_or_else(|e| e.into_inner());
            let pool = match shared.config.mining {
                Mining::Auto | Mining::External => shared
                    .wake
                    .wait_timeout_while(pool, std::time::Duration::from_millis(500), |p| {
                        p.is_empty() && !shared.stop.load(Ordering::SeqCst)
                    })
                    .map(|(p, _)| p),
                Mining::Interval(every) => shared
                    .wake
                    .wait_timeout_while(pool, every, |_| !shared.stop.load(Ordering::SeqCst))
                    .map(|(p, _)| p),
            }
            .unwrap_or_else(|e| e.into_inner().0);
            let empty = pool.is_empty();
            drop(pool);
            if shared.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            if empty && shared.config.mining == Mining::Auto {
                continue;
            }
        }
        let max = if shared.config.mining == Mining::Auto { 1 } else { MAX_BLOCK_TXS };
        if let Err(e) = mine(shared, max) {
            tracing::error!(error = %e, "block production halted");
            return Err(e);
        }
    }
}

/// Makes one block of at most `max` ready transactions; returns its height.
pub(crate) fn mine(shared: &Shared, max: usize) -> Result<u64, NodeError> {
    let _building = shared.building.lock().unwrap_or_else(|e| e.into_inner());
    let rt = &shared.runtime;
    let started = Instant::now();
    let parent = shared.chain.head()?;
    let ready = {
        let pool = shared.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.ready(max, |s| rt.nonce(&Address(s.into_array())).unwrap_or(u64::MAX))
    };
    let mut block = rt.begin_block(now())?;
    let run = execute(shared, &mut block, &parent, shared.config.fee_recipient, &ready, None)?;
    for (hash, why) in &run.dropped {
        tracing::warn!(tx = %hash, reason = %why, "dropped transaction");
    }
    let executed = started.elapsed();
    let stored = finish(shared, block, run)?;
    let exec_us = u64::try_from(executed.as_micros()).unwrap_or(u64::MAX);
    let commit_us = u64::try_from((started.elapsed() - executed).as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        height = stored.number,
        txs = stored.txs.len(),
        gas = stored.gas_used,
        exec_us,
        commit_us,
        "block"
    );
    Ok(stored.number)
}

/// What running transactions in a block gave.
pub(crate) struct Executed {
    /// The block's index entry (no root or hash yet), with a receipt per transaction run.
    pub(crate) stored: StoredBlock,
    /// The transactions dropped, and why.
    pub(crate) dropped: Vec<(alloy_primitives::B256, String)>,
    /// Whether one hit the wall-clock backstop (a node fault, not the transaction's).
    pub(crate) timed_out: bool,
    /// How many, from the first that did not fit, were left waiting.
    pub(crate) waiting: usize,
}

/// Runs `txs` in order in `block` (child of `parent`), paying fees to `fee_recipient`,
/// until one does not fit, or until `deadline` has passed (a proposer's bound on the
/// time it spends building: the transactions not run are left waiting, exactly as if
/// they had not fit; the block holds what ran, whatever the clock said).
///
/// They run as one batch ([`Block::run_batch`]): in parallel on `[execution] threads`,
/// with the results of running them one after another. Every fee credits the fee
/// recipient without reading its balance, so paying it is no conflict.
pub(crate) fn execute(
    shared: &Shared,
    block: &mut Block<'_>,
    parent: &StoredBlock,
    fee_recipient: EthAddress,
    txs: &[SignedTx],
    deadline: Option<Instant>,
) -> Result<Executed, NodeError> {
    let info = block.info();
    let mut stored = StoredBlock {
        number: info.height,
        timestamp: info.timestamp,
        parent_hash: parent.hash.unwrap_or_default(),
        state_root: None,
        hash: None,
        fee_recipient,
        gas_used: 0,
        txs: Vec::new(),
    };
    let (mut dropped, mut timed_out) = (Vec::new(), false);
    let max_block_gas = shared.runtime.config().max_block_gas;
    // The receipts' gas so far, as the gate sees them in order.
    let mut gas = 0u64;
    let ran = block.run_batch(
        txs.len(),
        |block, i| apply(block, &txs[i], fee_recipient),
        |i, prev| {
            match prev {
                Some(Ok(Applied::Receipt(r))) => gas += r.gas_used,
                Some(Ok(Applied::Wait) | Err(_)) => return false,
                _ => {}
            }
            // One whose whole gas limit does not fit waits; so do the rest once the
            // proposer's time is up.
            deadline.is_none_or(|d| Instant::now() < d)
                && gas.saturating_add(txs[i].gas_limit()) <= max_block_gas
        },
    );
    // The gate stopped the batch before these.
    let mut waiting = txs.len() - ran.len();
    for (i, (tx, applied)) in txs.iter().zip(ran).enumerate() {
        match applied? {
            Applied::Receipt(mut receipt) => {
                stored.gas_used += receipt.gas_used;
                receipt.cumulative_gas_used = stored.gas_used;
                stored.txs.push(*receipt);
            }
            Applied::Drop(why) => dropped.push((tx.hash, why)),
            Applied::TimedOut(why) => {
                timed_out = true;
                dropped.push((tx.hash, why));
            }
            Applied::Wait => {
                waiting = txs.len() - i;
                break;
            }
        }
    }
    Ok(Executed { stored, dropped, timed_out, waiting })
}

/// Commits `block` holding `run`: its index entry before and after the state, then the
/// mempool loses what the block took or dropped. Returns the complete entry.
pub(crate) fn finish(shared: &Shared, block: Block<'_>, run: Executed) -> Result<StoredBlock, NodeError> {
    let rt = &shared.runtime;
    let mut stored = run.stored;
    shared.chain.put(&stored)?;
    let record = block.commit()?;
    stored.state_root = Some(record.root.unwrap_or_default().into());
    stored.hash = Some(stored.header()?.hash_slow());
    shared.chain.put(&stored)?;
    if shared.heads.receiver_count() > 0 {
        // None listening is no error; a subscriber too far behind is closed.
        let _ = shared.heads.send(Arc::new(stored.clone()));
    }
    // Each sender's next nonce, read before the pool is locked: sends wait on that lock.
    let mut next = std::collections::BTreeMap::new();
    for t in &stored.txs {
        if let std::collections::btree_map::Entry::Vacant(e) = next.entry(t.from) {
            e.insert(rt.nonce(&Address(t.from.into_array()))?);
        }
    }
    {
        let mut pool = shared.pool.lock().unwrap_or_else(|e| e.into_inner());
        for (hash, _) in &run.dropped {
            pool.drop_tx(hash);
        }
        for (from, nonce) in &next {
            pool.remove(from, *nonce);
        }
    }
    Ok(stored)
}

enum Applied {
    Receipt(Box<StoredTx>),
    Drop(String),
    /// Dropped because it hit the wall-clock backstop (a node fault).
    TimedOut(String),
    Wait,
}

fn balance(v: U256) -> Balance {
    Balance(v.to_be_bytes::<32>())
}

/// Runs `tx` in `block` with its fees (whether it fits the block's gas is the
/// caller's check).
fn apply(block: &mut Block<'_>, tx: &SignedTx, fee_recipient: EthAddress) -> Result<Applied, NodeError> {
    let sender = Address(tx.from.into_array());
    let recipient = Address(fee_recipient.into_array());
    // Signed for the chain id of this block's configuration: one admitted before an
    // upgrade of the chain id, at whose height it no longer replays, is dropped.
    let want = block.config().evm.chain_id;
    if let Some(have) = tx.chain_id()
        && have != want
    {
        return Ok(Applied::Drop(format!("signed for chain id {have}, the chain's is {want}")));
    }
    if block.nonce(&sender)? != tx.nonce() {
        return Ok(Applied::Drop("nonce no longer next".into()));
    }
    let price = U256::from(tx.gas_price());
    let limit = tx.gas_limit();
    let max_fee = U256::from(limit) * price;
    if let Err(e) = block.debit(sender, balance(max_fee))? {
        return Ok(Applied::Drop(e.message));
    }
    let ran = match &tx.body {
        TxBody::Eth(env) => run_eth(block, sender, env, limit).map(|r| (r, None)),
        TxBody::Native(n) => crate::run_native::run(block, sender, n, limit).map(|(r, o)| (r, Some(o))),
    };
    let (receipt, native) = match ran {
        Ok(r) => r,
        Err(e) => {
            refund(block, sender, balance(max_fee))?;
            return match e {
                RuntimeError::BlockLimit(_) => Ok(Applied::Wait),
                RuntimeError::Timeout(m) => Ok(Applied::TimedOut(m)),
                RuntimeError::InvalidArgument(m) => Ok(Applied::Drop(m)),
                e => Err(e.into()),
            };
        }
    };
    if native.is_none()
        && let Err(e) = &receipt.result
        && e.kind == ErrorKind::InvalidArgument
        && receipt.gas_used == 0
    {
        refund(block, sender, balance(max_fee))?;
        return Ok(Applied::Drop(e.message.clone()));
    }
    let used = receipt.gas_used.min(limit);
    refund(block, sender, balance(U256::from(limit - used) * price))?;
    refund(block, recipient, balance(U256::from(used) * price))?;
    // One bump per transaction: a failed one left none, and a message that does not
    // count as a nonce-using one (a WASM call, a CosmWasm execute) none either.
    if block.nonce(&sender)? == tx.nonce() {
        block.bump_nonce(sender)?;
    }
    Ok(Applied::Receipt(Box::new(StoredTx {
        hash: tx.hash,
        from: tx.from,
        raw: tx.raw.clone().into(),
        status: receipt.is_ok(),
        gas_used: used,
        cumulative_gas_used: 0,
        effective_gas_price: tx.gas_price(),
        contract_address: receipt.address.filter(|_| creates(tx)).map(|a| EthAddress::from(a.0)),
        logs: receipt.events.iter().map(to_log).collect(),
        native,
    })))
}

/// Whether a receipt's address is a contract `tx` created (a native call or fund names
/// its target, which a receipt's `contractAddress` must not).
fn creates(tx: &SignedTx) -> bool {
    match &tx.body {
        TxBody::Eth(_) => true,
        TxBody::Native(n) => matches!(n.kind(), Some(Kind::Deploy | Kind::Instantiate | Kind::CwInstantiate)),
    }
}

/// An Ethereum transaction as the runtime's EVM call or create.
fn run_eth(
    block: &mut Block<'_>,
    sender: Address,
    env: &TxEnvelope,
    limit: u64,
) -> Result<runtime::Receipt, RuntimeError> {
    let value = balance(env.value());
    let input = env.input().to_vec();
    match env.kind() {
        TxKind::Call(to) => {
            block.call_with_value(sender, Address(to.into_array()), "", input, value, Some(limit))
        }
        TxKind::Create => block.create(VmType::Evm, sender, &input, "", Vec::new(), value, Some(limit)),
    }
}

/// Credits `amount` to `to`; a balance that would overflow is a node fault here (the
/// amount was just debited or is a fee within what was).
fn refund(block: &mut Block<'_>, to: Address, amount: Balance) -> Result<(), NodeError> {
    block.credit(to, amount)?.map_err(|e| NodeError::Runtime(RuntimeError::InvalidArgument(e.message)))
}
