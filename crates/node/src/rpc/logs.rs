//! `eth_getLogs`: a filter (a block range or one block's hash, addresses, topics)
//! matched against the receipts in the node's index, in block, transaction and log
//! order, with geth's errors. Bounded: at most [`MAX_LOG_BLOCK_RANGE`] blocks scanned,
//! [`MAX_LOGS`] logs returned, [`MAX_LOG_ADDRESSES`] addresses and [`MAX_LOG_TOPICS`]
//! topic positions of at most [`MAX_LOG_TOPIC_ALTERNATIVES`] topics each per query.

use alloy_primitives::{Address as EthAddress, B256, Log};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};

use super::{RpcResult, arg, err, hex_bytes, hex_u, invalid, node, quantity};
use crate::chain::StoredBlock;
use crate::node::Shared;

/// Most blocks one `eth_getLogs` query may span: 10,000 (`exceed maximum block range:
/// 10000`, the message public endpoints give for theirs).
pub const MAX_LOG_BLOCK_RANGE: u64 = 10_000;
/// Most logs one query returns: 10,000 (`query returned more than 10000 results`).
pub const MAX_LOGS: usize = 10_000;
/// Most addresses one filter names: 1,000 (`exceed max addresses`).
pub const MAX_LOG_ADDRESSES: usize = 1_000;
/// Most topic positions one filter constrains: 4, as many as a log has (`exceed max
/// topics`).
pub const MAX_LOG_TOPICS: usize = 4;
/// Most alternatives at one topic position: 1,000 (`exceed max topics`).
pub const MAX_LOG_TOPIC_ALTERNATIVES: usize = 1_000;

/// One value or a list of them, as filters accept for addresses and topics.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

/// A filter as clients send it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterRequest {
    from_block: Option<Value>,
    to_block: Option<Value>,
    block_hash: Option<B256>,
    address: Option<OneOrMany<EthAddress>>,
    topics: Option<Vec<Option<OneOrMany<B256>>>>,
}

/// What a `logs` subscription filters on.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct LogsFilter {
    address: Option<OneOrMany<EthAddress>>,
    topics: Option<Vec<Option<OneOrMany<B256>>>>,
}

/// The checked criteria: an empty list matches anything.
pub(super) struct Criteria {
    addresses: Vec<EthAddress>,
    topics: Vec<Vec<B256>>,
}

impl Criteria {
    /// The criteria of `address` and `topics`, within the bounds.
    fn new(
        address: Option<OneOrMany<EthAddress>>,
        topics: Option<Vec<Option<OneOrMany<B256>>>>,
    ) -> Result<Criteria, ErrorObjectOwned> {
        let addresses = address.map(OneOrMany::into_vec).unwrap_or_default();
        if addresses.len() > MAX_LOG_ADDRESSES {
            return Err(err(-32000, "exceed max addresses"));
        }
        let topics: Vec<Vec<B256>> = topics
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.map(OneOrMany::into_vec).unwrap_or_default())
            .collect();
        if topics.len() > MAX_LOG_TOPICS || topics.iter().any(|t| t.len() > MAX_LOG_TOPIC_ALTERNATIVES) {
            return Err(err(-32000, "exceed max topics"));
        }
        Ok(Criteria { addresses, topics })
    }

    /// The criteria of a subscription's filter.
    pub(super) fn of(f: LogsFilter) -> Result<Criteria, ErrorObjectOwned> {
        Criteria::new(f.address, f.topics)
    }

    pub(super) fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        let topics = log.data.topics();
        self.topics
            .iter()
            .enumerate()
            .all(|(i, wanted)| wanted.is_empty() || topics.get(i).is_some_and(|t| wanted.contains(t)))
    }
}

/// A block tag or number for a filter bound; `None` is the head.
fn bound(v: Option<&Value>) -> Result<Option<u64>, ErrorObjectOwned> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) if matches!(t.as_str(), "latest" | "pending" | "safe" | "finalized") => {
            Ok(None)
        }
        Some(Value::String(t)) if t == "earliest" => Ok(Some(0)),
        Some(v) => quantity(v).map(Some),
    }
}

pub(super) fn get_logs(s: &Shared, a: &[Value]) -> RpcResult {
    let f: FilterRequest = arg(a, 0, "filter")?;
    let criteria = Criteria::new(f.address, f.topics)?;
    let (from, to) = match f.block_hash {
        Some(hash) => {
            if f.from_block.is_some() || f.to_block.is_some() {
                return Err(invalid(
                    "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
                ));
            }
            let Some(block) = s.chain.block_by_hash(&hash).map_err(node)? else {
                return Err(err(-32000, "unknown block"));
            };
            (block.number, block.number)
        }
        None => {
            let head = s.chain.head().map_err(node)?.number;
            let from = bound(f.from_block.as_ref())?.unwrap_or(head);
            let to = bound(f.to_block.as_ref())?.unwrap_or(head);
            if from > to {
                return Err(invalid("invalid block range params"));
            }
            if to - from >= MAX_LOG_BLOCK_RANGE {
                return Err(err(-32000, format!("exceed maximum block range: {MAX_LOG_BLOCK_RANGE}")));
            }
            if to > head {
                return Err(invalid("block range extends beyond current head block"));
            }
            (from, to)
        }
    };
    let mut out = Vec::new();
    let mut too_many = false;
    s.chain
        .each_block(from, to, |block| {
            let mut log_index = 0;
            for (tx_index, t) in block.txs.iter().enumerate() {
                for l in &t.logs {
                    if criteria.matches(l) {
                        if out.len() == MAX_LOGS {
                            too_many = true;
                            return false;
                        }
                        out.push(log_json(block, tx_index, log_index, l));
                    }
                    log_index += 1;
                }
            }
            true
        })
        .map_err(node)?;
    if too_many {
        return Err(err(-32000, format!("query returned more than {MAX_LOGS} results")));
    }
    Ok(Value::Array(out))
}

/// A log as receipts and `eth_getLogs` show it; `log_index` counts the block's logs.
pub(super) fn log_json(block: &StoredBlock, tx_index: usize, log_index: usize, l: &Log) -> Value {
    json!({
        "address": l.address,
        "topics": l.data.topics(),
        "data": hex_bytes(&l.data.data),
        "blockNumber": hex_u(block.number),
        "blockHash": block.hash,
        "blockTimestamp": hex_u(block.timestamp),
        "transactionHash": block.txs[tx_index].hash,
        "transactionIndex": hex_u(tx_index as u64),
        "logIndex": hex_u(log_index as u64),
        "removed": false,
    })
}
