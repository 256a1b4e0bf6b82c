//! A block's transactions by position (`eth_getBlockTransactionCountBy*`,
//! `eth_getTransactionByBlock*AndIndex`) and block hashes as block parameters.

use alloy_primitives::B256;
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;

use super::{RpcResult, arg, err, hex_u, invalid, node, quantity, tx_json};
use crate::chain::StoredBlock;
use crate::node::Shared;

/// The height of the block with hash `v` (geth's `header for hash not found` if none).
pub(super) fn number_of_hash(s: &Shared, v: Option<&Value>) -> Result<u64, ErrorObjectOwned> {
    let hash: B256 = serde_json::from_value(v.cloned().unwrap_or(Value::Null))
        .map_err(|e| invalid(format!("invalid block hash: {e}")))?;
    match s.chain.block_by_hash(&hash).map_err(node)? {
        Some(b) => Ok(b.number),
        None => Err(err(-32000, "header for hash not found")),
    }
}

/// The block a tag or number names; `None` above the head (as geth, a null answer).
fn by_number(s: &Shared, v: Option<&Value>) -> Result<Option<StoredBlock>, ErrorObjectOwned> {
    let number = match v {
        Some(Value::String(t)) if matches!(t.as_str(), "latest" | "pending" | "safe" | "finalized") => {
            s.chain.head().map_err(node)?.number
        }
        Some(Value::String(t)) if t == "earliest" => 0,
        Some(v) => quantity(v)?,
        None => return Err(invalid("missing block number")),
    };
    s.chain.block(number).map_err(node)
}

fn by_hash(s: &Shared, a: &[Value]) -> Result<Option<StoredBlock>, ErrorObjectOwned> {
    let hash: B256 = arg(a, 0, "block hash")?;
    s.chain.block_by_hash(&hash).map_err(node)
}

fn count(block: Option<StoredBlock>) -> RpcResult {
    Ok(block.map_or(Value::Null, |b| hex_u(b.txs.len() as u64)))
}

fn at_index(block: Option<StoredBlock>, a: &[Value]) -> RpcResult {
    let index = a.get(1).map(quantity).transpose()?.ok_or_else(|| invalid("missing transaction index"))?;
    let Some(block) = block else { return Ok(Value::Null) };
    match usize::try_from(index).ok().and_then(|i| block.txs.get(i).map(|t| (i, t))) {
        Some((i, t)) => tx_json(Some(&block), i, t),
        None => Ok(Value::Null),
    }
}

pub(super) fn tx_count_by_number(s: &Shared, a: &[Value]) -> RpcResult {
    count(by_number(s, a.first())?)
}

pub(super) fn tx_count_by_hash(s: &Shared, a: &[Value]) -> RpcResult {
    count(by_hash(s, a)?)
}

pub(super) fn tx_by_number_and_index(s: &Shared, a: &[Value]) -> RpcResult {
    at_index(by_number(s, a.first())?, a)
}

pub(super) fn tx_by_hash_and_index(s: &Shared, a: &[Value]) -> RpcResult {
    at_index(by_hash(s, a)?, a)
}
