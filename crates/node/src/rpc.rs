//! Ethereum JSON-RPC over HTTP (jsonrpsee's server): the methods, their parameters and
//! their answers, shaped as geth's. Errors carry geth's codes and messages: -32000 for
//! a refused transaction or a missing block, 3 with the revert data for a revert,
//! -32602 for bad parameters.

use std::net::SocketAddr;
use std::sync::Arc;

use alloy_consensus::Transaction;
use alloy_primitives::{Address as EthAddress, B256, U256};
use jsonrpsee::server::{RpcModule, Server, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use runtime::{EstimateRequest, keys};
use serde_json::{Value, json};
use types::{Address, ErrorKind, VmType};

use crate::NodeError;
use crate::chain::{BLOCK_GAS_LIMIT, NativeOutcome, StoredBlock, StoredTx};
use crate::node::{Shared, SubmitError};
use crate::tx::TxBody;

mod blocks;
mod cove;
mod dev;
mod logs;
mod snapshot;
mod subscribe;
pub use cove::{MAX_PROOF_KEY_BYTES, MAX_STORAGE_PAGE};
pub use logs::{
    MAX_LOG_ADDRESSES, MAX_LOG_BLOCK_RANGE, MAX_LOG_TOPIC_ALTERNATIVES, MAX_LOG_TOPICS, MAX_LOGS,
};
pub use subscribe::{MAX_SUBSCRIPTION_LAG, MAX_SUBSCRIPTIONS_PER_CONNECTION};

/// The client version `web3_clientVersion` answers.
pub const CLIENT_VERSION: &str = concat!("cove/v", env!("CARGO_PKG_VERSION"));
/// Most blocks `eth_feeHistory` reports: 1,024 (as geth).
pub const MAX_FEE_HISTORY: u64 = 1024;

type RpcResult = Result<Value, ErrorObjectOwned>;

fn err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    err(-32602, message)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    err(-32603, e.to_string())
}

fn node(e: NodeError) -> ErrorObjectOwned {
    internal(e)
}

fn hex_u(v: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", v.into()))
}

fn hex_bytes(b: &[u8]) -> Value {
    Value::String(format!("0x{}", hex::encode(b)))
}

/// Starts the server on `addr`; returns its handle and the address it listens on.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    addr: SocketAddr,
) -> Result<(ServerHandle, SocketAddr), NodeError> {
    let config = jsonrpsee::server::ServerConfig::builder()
        .max_subscriptions_per_connection(MAX_SUBSCRIPTIONS_PER_CONNECTION)
        .set_id_provider(subscribe::HexIds::default())
        .build();
    let server = Server::builder()
        .set_config(config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(crate::explorer::ExplorerLayer))
        .build(addr)
        .await?;
    let local = server.local_addr()?;
    let module = methods(shared).map_err(|e| NodeError::Config(e.to_string()))?;
    Ok((server.start(module), local))
}

type Method = fn(&Shared, &[Value]) -> RpcResult;

fn methods(shared: Arc<Shared>) -> Result<RpcModule<Arc<Shared>>, jsonrpsee::core::RegisterMethodError> {
    let mut module = RpcModule::new(shared);
    let table: &[(&'static str, Method)] = &[
        ("eth_chainId", |s, _| Ok(hex_u(s.chain_id()))),
        ("net_version", |s, _| Ok(Value::String(s.chain_id().to_string()))),
        ("web3_clientVersion", |_, _| Ok(Value::String(CLIENT_VERSION.into()))),
        ("eth_blockNumber", |s, _| Ok(hex_u(s.chain.head().map_err(node)?.number))),
        ("eth_gasPrice", |s, _| Ok(hex_u(s.config.min_gas_price))),
        ("eth_maxPriorityFeePerGas", |s, _| Ok(hex_u(s.config.min_gas_price))),
        ("eth_feeHistory", fee_history),
        ("eth_getBalance", get_balance),
        ("eth_getTransactionCount", get_transaction_count),
        ("eth_getCode", get_code),
        ("eth_getStorageAt", get_storage_at),
        ("eth_call", call),
        ("eth_estimateGas", estimate_gas),
        ("eth_sendRawTransaction", send_raw_transaction),
        ("eth_getTransactionByHash", get_transaction_by_hash),
        ("eth_getTransactionReceipt", get_transaction_receipt),
        ("eth_getBlockByNumber", get_block_by_number),
        ("eth_getBlockByHash", get_block_by_hash),
        ("eth_getLogs", logs::get_logs),
        ("eth_getBlockTransactionCountByNumber", blocks::tx_count_by_number),
        ("eth_getBlockTransactionCountByHash", blocks::tx_count_by_hash),
        ("eth_getTransactionByBlockNumberAndIndex", blocks::tx_by_number_and_index),
        ("eth_getTransactionByBlockHashAndIndex", blocks::tx_by_hash_and_index),
        ("eth_syncing", |_, _| Ok(Value::Bool(false))),
        ("eth_accounts", dev::accounts),
        ("eth_sendTransaction", dev::send_transaction),
        ("evm_mine", dev::mine),
        ("cove_getContract", cove::get_contract),
        ("cove_getAbi", cove::get_abi),
        ("cove_getStorage", cove::get_storage),
        ("cove_sendRawTransaction", cove::send_raw_transaction),
        ("cove_call", cove::call),
        ("cove_query", cove::query),
        ("cove_getStateRoot", cove::get_state_root),
        ("cove_getProof", cove::get_proof),
        ("cove_snapshotInfo", snapshot::info),
        ("cove_getSnapshotChunk", snapshot::chunk),
    ];
    for &(name, f) in table {
        module.register_blocking_method(name, move |params: Params<'_>, ctx: Arc<Arc<Shared>>, _| {
            f(&ctx, &params_of(&params)?)
        })?;
    }
    // Starts a thread that holds the node's state.
    module
        .register_blocking_method("cove_createSnapshot", |params: Params<'_>, ctx: Arc<Arc<Shared>>, _| {
            snapshot::create(&ctx, &params_of(&params)?)
        })?;
    subscribe::register(&mut module)?;
    Ok(module)
}

/// The positional parameters of a call.
fn params_of(params: &Params<'_>) -> Result<Vec<Value>, ErrorObjectOwned> {
    match params.as_str() {
        None => Ok(Vec::new()),
        Some(_) => params.parse().map_err(|e| invalid(e.to_string())),
    }
}

fn arg<T: serde::de::DeserializeOwned>(args: &[Value], i: usize, what: &str) -> Result<T, ErrorObjectOwned> {
    let v = args.get(i).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(|e| invalid(format!("invalid argument {i} ({what}): {e}")))
}

fn quantity(v: &Value) -> Result<u64, ErrorObjectOwned> {
    let s = v.as_str().ok_or_else(|| invalid("expected a hex quantity"))?;
    let digits = s.strip_prefix("0x").ok_or_else(|| invalid(format!("hex string without 0x prefix: {s}")))?;
    u64::from_str_radix(digits, 16).map_err(|e| invalid(format!("invalid hex quantity {s}: {e}")))
}

/// A block parameter: a tag, a number, a block hash, or an EIP-1898 object
/// (`{"blockNumber": …}` or `{"blockHash": …}`). `None` is the head.
fn height(s: &Shared, v: Option<&Value>) -> Result<Option<u64>, ErrorObjectOwned> {
    let head = s.chain.head().map_err(node)?.number;
    let n = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(t)) if matches!(t.as_str(), "latest" | "pending" | "safe" | "finalized") => {
            return Ok(None);
        }
        Some(Value::String(t)) if t == "earliest" => 0,
        Some(Value::String(t)) if t.len() == 66 => blocks::number_of_hash(s, v)?,
        Some(Value::Object(o)) => match (o.get("blockNumber"), o.get("blockHash")) {
            (Some(n), None) if !n.is_object() => return height(s, Some(n)),
            (None, Some(h)) => blocks::number_of_hash(s, Some(h))?,
            _ => {
                return Err(invalid(
                    "invalid argument: a block parameter object takes one of blockNumber or blockHash",
                ));
            }
        },
        Some(v) => quantity(v)?,
    };
    match n {
        n if n == head => Ok(None),
        n if n > head => Err(err(-32000, "header not found")),
        n => Ok(Some(n)),
    }
}

fn cove(a: EthAddress) -> Address {
    Address(a.into_array())
}

fn get_balance(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    let b = at.balance(&cove(address)).map_err(internal)?;
    Ok(json!(U256::from_be_bytes(b.0)))
}

fn get_transaction_count(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let nonce =
        s.runtime.at(height(s, a.get(1))?).map_err(internal)?.nonce(&cove(address)).map_err(internal)?;
    if a.get(1).and_then(Value::as_str) == Some("pending") {
        let pool = s.pool.lock().unwrap_or_else(|e| e.into_inner());
        return Ok(hex_u(pool.pending_nonce(&address, nonce)));
    }
    Ok(hex_u(nonce))
}

fn get_code(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    let Some(info) = at.contract(&cove(address)).map_err(internal)? else { return Ok(hex_bytes(&[])) };
    if info.vm != VmType::Evm {
        return Ok(hex_bytes(&[]));
    }
    let code = at.get(&keys::evm_code(&info.code_id.0)).map_err(internal)?.unwrap_or_default();
    Ok(hex_bytes(&code))
}

fn get_storage_at(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let slot: U256 = arg(a, 1, "slot")?;
    let at = s.runtime.at(height(s, a.get(2))?).map_err(internal)?;
    let v =
        at.get(&keys::slot(&cove(address), &slot.to_be_bytes::<32>())).map_err(internal)?.unwrap_or_default();
    let mut word = [0u8; 32];
    let n = v.len().min(32);
    word[32 - n..].copy_from_slice(&v[v.len() - n..]);
    Ok(hex_bytes(&word))
}

/// The fields of an `eth_call` / `eth_estimateGas` request.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallRequest {
    from: Option<EthAddress>,
    to: Option<EthAddress>,
    gas: Option<U256>,
    value: Option<U256>,
    data: Option<alloy_primitives::Bytes>,
    input: Option<alloy_primitives::Bytes>,
}

impl CallRequest {
    fn input(&self) -> Vec<u8> {
        self.input.as_ref().or(self.data.as_ref()).map(|b| b.to_vec()).unwrap_or_default()
    }
    fn gas(&self) -> Result<Option<u64>, ErrorObjectOwned> {
        self.gas.map(|g| u64::try_from(g).map_err(|_| invalid("gas too large"))).transpose()
    }
}

/// A failed call as geth reports it: a revert is code 3 with its data.
fn call_error(e: &types::CallError) -> ErrorObjectOwned {
    if e.kind == ErrorKind::Reverted {
        return ErrorObjectOwned::owned(3, e.message.clone(), Some(format!("0x{}", hex::encode(&e.data))));
    }
    let message = match e.kind {
        ErrorKind::OutOfGas => "out of gas".to_string(),
        _ => e.message.clone(),
    };
    err(-32000, message)
}

fn call(s: &Shared, a: &[Value]) -> RpcResult {
    let req: CallRequest = arg(a, 0, "call")?;
    let Some(to) = req.to else { return Err(invalid("eth_call without `to` is not supported")) };
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    let sender = cove(req.from.unwrap_or_default());
    let r = at.query(sender, cove(to), "", req.input(), req.gas()?).map_err(internal)?;
    match &r.result {
        Ok(out) => Ok(hex_bytes(out)),
        Err(e) => Err(call_error(e)),
    }
}

fn estimate_gas(s: &Shared, a: &[Value]) -> RpcResult {
    let req: CallRequest = arg(a, 0, "call")?;
    let sender = cove(req.from.unwrap_or_default());
    let value = runtime::Balance(req.value.unwrap_or_default().to_be_bytes::<32>());
    let cap = req.gas()?.or(Some(s.runtime.config().evm.default_gas_limit));
    if let Some(value) = req.value.filter(|v| !v.is_zero()) {
        // As geth's at a zero price: the value alone must be covered, and clients
        // (viem, web3.py) recognise the message.
        let from = req.from.unwrap_or_default();
        let balance = U256::from_be_bytes(s.runtime.balance(&sender).map_err(internal)?.0);
        if value > balance {
            return Err(err(
                -32000,
                format!(
                    "insufficient funds for gas * price + value: address {from} have {balance} want {value}"
                ),
            ));
        }
    }
    let Some(to) = req.to else {
        return estimate_create(s, sender, req.input(), value, cap.unwrap_or_default());
    };
    let request = EstimateRequest { sender, address: cove(to), method: "", input: req.input(), value, cap };
    match s.runtime.estimate_gas(request).map_err(internal)? {
        Ok(gas) => Ok(hex_u(gas)),
        Err(r) => Err(r.result.err().map_or_else(|| internal("estimate failed"), |e| call_error(&e))),
    }
}

/// A create's estimate: a binary search of creates in throwaway blocks, never
/// committed (the runtime's estimator takes calls only).
fn estimate_create(
    s: &Shared,
    sender: Address,
    code: Vec<u8>,
    value: runtime::Balance,
    cap: u64,
) -> RpcResult {
    let _building = s.building.lock().unwrap_or_else(|e| e.into_inner());
    let probe = |gas: u64| -> Result<runtime::Receipt, ErrorObjectOwned> {
        let mut block = s.runtime.begin_block(crate::node::now()).map_err(internal)?;
        block.create(VmType::Evm, sender, &code, "", Vec::new(), value, Some(gas)).map_err(internal)
    };
    let top = probe(cap)?;
    if let Err(e) = &top.result {
        return Err(call_error(e));
    }
    let (mut lo, mut hi) = (crate::tx::intrinsic_gas(s.spec(), &code, true).saturating_sub(1), cap);
    if probe(top.gas_used)?.is_ok() {
        hi = top.gas_used;
    } else {
        lo = lo.max(top.gas_used);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if probe(mid)?.is_ok() { hi = mid } else { lo = mid }
    }
    Ok(hex_u(hi))
}

fn send_raw_transaction(s: &Shared, a: &[Value]) -> RpcResult {
    let raw: alloy_primitives::Bytes = arg(a, 0, "raw transaction")?;
    match s.submit(&raw) {
        Ok(hash) => Ok(json!(hash)),
        Err(e) => Err(submit_error(e)),
    }
}

/// A refused transaction as geth reports it: -32000 with the mempool's message.
fn submit_error(e: SubmitError) -> ErrorObjectOwned {
    match e {
        SubmitError::Node(e) => node(e),
        e => err(-32000, e.to_string()),
    }
}

fn tx_json(block: Option<&StoredBlock>, index: usize, t: &StoredTx) -> RpcResult {
    if t.is_native() {
        return cove::native_tx_json(block, index, t);
    }
    let env = t.envelope().map_err(node)?;
    let sig = env.signature();
    let mut v = json!({
        "hash": t.hash,
        "from": t.from,
        "to": env.to(),
        "nonce": hex_u(env.nonce()),
        "gas": hex_u(env.gas_limit()),
        "value": env.value(),
        "input": hex_bytes(env.input()),
        "type": hex_u(u8::from(env.tx_type())),
        "chainId": env.chain_id().map(hex_u),
        "r": sig.r(),
        "s": sig.s(),
        "v": hex_u(match &env { alloy_consensus::TxEnvelope::Legacy(_) =>
            alloy_primitives::Signature::as_bytes(sig)[64] as u64 - 27 + 35 + 2 * env.chain_id().unwrap_or(0),
            _ => sig.v() as u64 }),
        "yParity": hex_u(sig.v() as u8),
        "gasPrice": hex_u(env.effective_gas_price(Some(0))),
        "blockHash": block.and_then(|b| b.hash),
        "blockNumber": block.map(|b| hex_u(b.number)),
        "transactionIndex": block.map(|_| hex_u(index as u64)),
    });
    if let Some(tip) = env.max_priority_fee_per_gas() {
        v["maxPriorityFeePerGas"] = hex_u(tip);
        v["maxFeePerGas"] = hex_u(env.max_fee_per_gas());
        v["accessList"] = json!([]);
    } else if !env.is_legacy() {
        v["accessList"] = json!([]);
    }
    Ok(v)
}

fn get_transaction_by_hash(s: &Shared, a: &[Value]) -> RpcResult {
    let hash: B256 = arg(a, 0, "hash")?;
    if let Some((block, i)) = s.chain.tx(&hash).map_err(node)? {
        return tx_json(Some(&*block), i, &block.txs[i]);
    }
    let pool = s.pool.lock().unwrap_or_else(|e| e.into_inner());
    let Some(tx) = pool.get(&hash) else { return Ok(Value::Null) };
    let t = StoredTx {
        hash: tx.hash,
        from: tx.from,
        raw: tx.raw.clone().into(),
        status: false,
        gas_used: 0,
        cumulative_gas_used: 0,
        effective_gas_price: tx.gas_price(),
        contract_address: None,
        logs: Vec::new(),
        native: matches!(tx.body, TxBody::Native(_)).then(NativeOutcome::default),
    };
    tx_json(None, 0, &t)
}

fn receipt_json(block: &StoredBlock, index: usize) -> RpcResult {
    let t = &block.txs[index];
    let (to, ty, native) = if t.is_native() {
        let (to, native) = cove::outcome_json(t)?;
        (to, crate::native::NATIVE_TX_TYPE, Some(native))
    } else {
        let env = t.envelope().map_err(node)?;
        (env.to(), u8::from(env.tx_type()), None)
    };
    let first_log: usize = block.txs[..index].iter().map(|t| t.logs.len()).sum();
    let logs: Vec<Value> =
        t.logs.iter().enumerate().map(|(i, l)| logs::log_json(block, index, first_log + i, l)).collect();
    let mut v = json!({
        "transactionHash": t.hash,
        "transactionIndex": hex_u(index as u64),
        "blockHash": block.hash,
        "blockNumber": hex_u(block.number),
        "from": t.from,
        "to": to,
        "cumulativeGasUsed": hex_u(t.cumulative_gas_used),
        "gasUsed": hex_u(t.gas_used),
        "effectiveGasPrice": hex_u(t.effective_gas_price),
        "contractAddress": t.contract_address,
        "logs": logs,
        "logsBloom": t.bloom(),
        "status": if t.status { "0x1" } else { "0x0" },
        "type": hex_u(ty),
    });
    if let Some(native) = native {
        v["cove"] = native;
    }
    Ok(v)
}

fn get_transaction_receipt(s: &Shared, a: &[Value]) -> RpcResult {
    let hash: B256 = arg(a, 0, "hash")?;
    match s.chain.tx(&hash).map_err(node)? {
        Some((block, i)) => receipt_json(&block, i),
        None => Ok(Value::Null),
    }
}

fn block_json(block: &StoredBlock, full: bool) -> RpcResult {
    let header = block.header().map_err(node)?;
    let txs = if full {
        block
            .txs
            .iter()
            .enumerate()
            .map(|(i, t)| tx_json(Some(block), i, t))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        block.txs.iter().map(|t| json!(t.hash)).collect()
    };
    Ok(json!({
        "number": hex_u(block.number),
        "hash": block.hash,
        "parentHash": header.parent_hash,
        "nonce": "0x0000000000000000",
        "sha3Uncles": header.ommers_hash,
        "logsBloom": header.logs_bloom,
        "transactionsRoot": header.transactions_root,
        "stateRoot": header.state_root,
        "receiptsRoot": header.receipts_root,
        "miner": header.beneficiary,
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "extraData": "0x",
        "size": hex_u(alloy_rlp::encode(&header).len() as u64),
        "gasLimit": hex_u(BLOCK_GAS_LIMIT),
        "gasUsed": hex_u(block.gas_used),
        "timestamp": hex_u(block.timestamp),
        "mixHash": header.mix_hash,
        "baseFeePerGas": "0x0",
        "transactions": txs,
        "uncles": [],
    }))
}

fn get_block_by_number(s: &Shared, a: &[Value]) -> RpcResult {
    let full: bool = arg::<Option<bool>>(a, 1, "full")?.unwrap_or(false);
    let number = match height(s, a.first()) {
        Ok(Some(n)) => n,
        Ok(None) => s.chain.head().map_err(node)?.number,
        Err(_) if a.first().is_some_and(|v| v.as_str().is_some_and(|t| t.starts_with("0x"))) => {
            return Ok(Value::Null);
        }
        Err(e) => return Err(e),
    };
    match s.chain.block(number).map_err(node)? {
        Some(b) => block_json(&b, full),
        None => Ok(Value::Null),
    }
}

fn get_block_by_hash(s: &Shared, a: &[Value]) -> RpcResult {
    let hash: B256 = arg(a, 0, "hash")?;
    let full: bool = arg::<Option<bool>>(a, 1, "full")?.unwrap_or(false);
    match s.chain.block_by_hash(&hash).map_err(node)? {
        Some(b) => block_json(&b, full),
        None => Ok(Value::Null),
    }
}

fn fee_history(s: &Shared, a: &[Value]) -> RpcResult {
    let count = match a.first() {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(v) => quantity(v)?,
        None => return Err(invalid("missing block count")),
    }
    .min(MAX_FEE_HISTORY);
    let newest = match height(s, a.get(1))? {
        Some(n) => n,
        None => s.chain.head().map_err(node)?.number,
    };
    let count = count.min(newest + 1);
    let oldest = newest + 1 - count;
    let percentiles: Option<Vec<f64>> = arg(a, 2, "reward percentiles")?;
    let mut ratios = Vec::new();
    let mut rewards = Vec::new();
    for n in oldest..=newest {
        if count == 0 {
            break;
        }
        let b = s.chain.block(n).map_err(node)?;
        let used = b.as_ref().map_or(0, |b| b.gas_used);
        ratios.push(json!(used as f64 / BLOCK_GAS_LIMIT as f64));
        if let Some(p) = &percentiles {
            let mut prices: Vec<u128> =
                b.iter().flat_map(|b| b.txs.iter().map(|t| t.effective_gas_price)).collect();
            prices.sort_unstable();
            let row: Vec<Value> = p
                .iter()
                .map(|q| {
                    let i = ((q / 100.0) * prices.len() as f64) as usize;
                    hex_u(prices.get(i.min(prices.len().saturating_sub(1))).copied().unwrap_or(0))
                })
                .collect();
            rewards.push(json!(row));
        }
    }
    let mut v = json!({
        "oldestBlock": hex_u(oldest),
        "baseFeePerGas": vec!["0x0"; count as usize + 1],
        "gasUsedRatio": ratios,
    });
    if percentiles.is_some() {
        v["reward"] = json!(rewards);
    }
    Ok(v)
}
