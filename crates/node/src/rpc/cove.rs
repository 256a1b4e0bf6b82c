//! The `cove_` namespace: what Ethereum's methods cannot say about cove's contracts (the
//! VM a contract runs on, its code id, the storage of a cove-ABI or CosmWasm contract).
//! The explorer page reads them; so may any client.
//!
//! - `cove_getContract(address, block?)`: `null` for an address without a contract,
//!   else `{vm, codeId, creator, admin, createdHeight, storageDeposit: {bytes, held}}`
//!   (`held` a hex quantity, as balances are).
//! - `cove_getStorage(address, block?, {start?, limit?}?)`: one page of the contract's
//!   storage in key order, `{entries: [{key, value}], next}` (hex; `next` is the key to
//!   start the next page at, `null` after the last), at most [`MAX_STORAGE_PAGE`] pairs.
//!   EVM slots live under their own keys: read them with `eth_getStorageAt`.
//! - `cove_call` and `cove_query` take, for a contract whose module carries a `cove_abi`
//!   section (built with cove-sdk), an entry point's arguments as a JSON object and
//!   answer its result as JSON beside the raw bytes (`cove-abi`, `docs/sdk.md`).

use alloy_primitives::{Address as EthAddress, Bytes};
use jsonrpsee::types::ErrorObjectOwned;
use runtime::{CallError, keys};
use serde_json::{Value, json};
use types::{Address, ErrorKind, VmType};

use super::{RpcResult, arg, cove, err, height, hex_bytes, hex_u, internal, invalid};
use crate::chain::{StoredBlock, StoredTx};
use crate::native::{MAX_NATIVE_ENTRY_BYTES, MAX_NATIVE_INPUT_BYTES, NATIVE_TX_TYPE, parse_signed};
use crate::node::{Shared, SubmitError};

/// Most storage pairs one `cove_getStorage` answer holds: 256.
pub const MAX_STORAGE_PAGE: usize = 256;
/// Longest key `cove_getProof` takes: 1 KiB (the WASM VM's longest storage key by
/// default, `MAX_KEY_LEN`; no contract can hold a longer one).
pub const MAX_PROOF_KEY_BYTES: usize = 1024;

pub(super) fn get_contract(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    let Some(info) = at.contract(&cove(address)).map_err(internal)? else { return Ok(Value::Null) };
    let deposit = at.deposit(&cove(address)).map_err(internal)?;
    Ok(json!({
        "vm": info.vm.as_str(),
        "codeId": hex_bytes(&info.code_id.0),
        "creator": EthAddress::from(info.creator.0),
        "admin": info.admin.map(|a| EthAddress::from(a.0)),
        "createdHeight": info.created_height,
        "storageDeposit": {
            "bytes": deposit.bytes,
            "held": alloy_primitives::U256::from_be_bytes(deposit.held.0),
        },
    }))
}

/// `cove_getAbi(address, block?)`: a cove-ABI contract's entry points as its module's
/// ABI section lists them (`[{name, args: [{name, type}], result}]`), or `null` for an
/// address without a contract or a contract without that section (EVM and CosmWasm
/// contracts, modules built without the SDK).
pub(super) fn get_abi(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    let Some(info) = at.contract(&cove(address)).map_err(internal)? else { return Ok(Value::Null) };
    if info.vm != VmType::Wasm {
        return Ok(Value::Null);
    }
    let code = s.runtime.code(&info.code_id).map_err(internal)?;
    let code = code.ok_or_else(|| internal(format!("code {} is not stored", info.code_id)))?;
    match abi::entry_points(&code) {
        Ok(Some(entries)) => Ok(Value::Array(entries.iter().map(abi::EntryPoint::to_json).collect())),
        Ok(None) => Ok(Value::Null),
        Err(e) => Err(err(-32000, e.to_string())),
    }
}

/// The options of a storage page.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    start: Option<Bytes>,
    limit: Option<usize>,
}

pub(super) fn get_storage(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let page: Page = match a.get(2) {
        None | Some(Value::Null) => Page::default(),
        Some(_) => arg(a, 2, "page options")?,
    };
    let limit = page.limit.unwrap_or(MAX_STORAGE_PAGE);
    if limit == 0 || limit > MAX_STORAGE_PAGE {
        return Err(invalid(format!("limit must be in 1..={MAX_STORAGE_PAGE}, got {limit}")));
    }
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    // One more than asked: whether another page follows.
    let mut entries = at
        .contract_state_page(&cove(address), page.start.as_ref().map(|b| &b[..]), limit + 1)
        .map_err(internal)?;
    let next = (entries.len() > limit).then(|| entries.pop().map(|(k, _)| hex_bytes(&k)));
    let entries: Vec<Value> =
        entries.iter().map(|(k, v)| json!({"key": hex_bytes(k), "value": hex_bytes(v)})).collect();
    Ok(json!({"entries": entries, "next": next.flatten()}))
}

/// `cove_sendRawTransaction(hex)`: a signed native transaction (`docs/node.md`) into
/// the mempool under the same checks as `eth_sendRawTransaction`; its hash.
pub(super) fn send_raw_transaction(s: &Shared, a: &[Value]) -> RpcResult {
    let raw: Bytes = arg(a, 0, "raw native transaction")?;
    match s.submit_native(&raw) {
        Ok(hash) => Ok(json!(hash)),
        Err(SubmitError::Node(e)) => Err(internal(e)),
        Err(e) => Err(err(-32000, e.to_string())),
    }
}

/// A failed read: a revert is code 3 with its data (as `eth_call`); any other failure
/// -32000 with the error's message and `{kind, data}`.
fn read_error(e: &CallError) -> ErrorObjectOwned {
    let data = hex_bytes(&e.data);
    if e.kind == ErrorKind::Reverted {
        return ErrorObjectOwned::owned(3, e.message.clone(), Some(data));
    }
    ErrorObjectOwned::owned(-32000, e.message.clone(), Some(json!({"kind": e.kind.as_str(), "data": data})))
}

/// `cove_call(address, entry, input?, block?)`: a read-only call of a cove-ABI
/// contract's `entry` (empty entry and calldata for an EVM contract) with `input`: hex
/// bytes, or a JSON object of arguments encoded by the contract's ABI. `{output,
/// gasUsed}`, plus `result` (the output decoded by the ABI) when the arguments were JSON.
pub(super) fn call(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let entry: String = arg(a, 1, "entry")?;
    let args = match a.get(2) {
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    };
    let input: Option<Bytes> = if args.is_some() { None } else { arg(a, 2, "input")? };
    read_entry(s, address, &entry, input, args, a.get(3))
}

/// Runs `entry` of the cove-ABI or EVM contract at `address` read-only with `input`, or
/// with `args` encoded by its ABI (then the answer carries `result`).
fn read_entry(
    s: &Shared,
    address: EthAddress,
    entry: &str,
    input: Option<Bytes>,
    args: Option<&Value>,
    block: Option<&Value>,
) -> RpcResult {
    if entry.len() > MAX_NATIVE_ENTRY_BYTES {
        return Err(invalid(format!("entry longer than {MAX_NATIVE_ENTRY_BYTES} bytes")));
    }
    let at = s.runtime.at(height(s, block)?).map_err(internal)?;
    let Some(info) = at.contract(&cove(address)).map_err(internal)? else {
        return Err(err(-32000, format!("no contract at {address}")));
    };
    let (input, abi) = match args {
        None => (input.map(|b| b.to_vec()).unwrap_or_default(), None),
        Some(args) => {
            if info.vm != VmType::Wasm {
                return Err(invalid(format!(
                    "JSON args need a cove-ABI contract built with cove-sdk; {address} runs on the {} VM: \
                     send hex input",
                    info.vm
                )));
            }
            let code = s.runtime.code(&info.code_id).map_err(internal)?;
            let code = code.ok_or_else(|| internal(format!("code {} is not stored", info.code_id)))?;
            let e = abi::entry_point(&code, entry).map_err(abi_error)?;
            (e.encode_args(args).map_err(abi_error)?, Some(e))
        }
    };
    if input.len() > MAX_NATIVE_INPUT_BYTES {
        return Err(invalid(format!("input longer than {MAX_NATIVE_INPUT_BYTES} bytes")));
    }
    let r = at.query(Address::default(), cove(address), entry, input, None).map_err(internal)?;
    let out = r.result.as_ref().map_err(read_error)?;
    let mut answer = json!({"output": hex_bytes(out), "gasUsed": hex_u(r.gas_used)});
    if let Some(e) = abi {
        match e.decode_result(out) {
            Ok(v) => answer["result"] = v,
            Err(e) => answer["resultError"] = json!(e.to_string()),
        }
    }
    Ok(answer)
}

/// An ABI error: the caller's arguments (or the contract's ABI) do not fit, so invalid
/// params.
fn abi_error(e: abi::AbiError) -> ErrorObjectOwned {
    let hint = match e {
        abi::AbiError::NoSection | abi::AbiError::UnsupportedType { .. } => ": send hex input",
        _ => "",
    };
    invalid(format!("{e}{hint}"))
}

/// The message of `cove_query` to a cove-ABI contract.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AbiQuery {
    method: String,
    #[serde(default)]
    args: Option<Value>,
}

/// `cove_query(address, msg, block?)`: a CosmWasm smart query with the JSON message
/// `msg` (an object, or its text): the contract's answer as JSON. To a cove-ABI contract,
/// `msg` is `{method, args}` (`args` a JSON object, `{}` if omitted) and the answer that
/// of `cove_call` with JSON arguments: `{output, gasUsed, result}`.
pub(super) fn query(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let is_wasm = {
        let at = s.runtime.at(height(s, a.get(2))?).map_err(internal)?;
        at.contract(&cove(address)).map_err(internal)?.is_some_and(|i| i.vm == VmType::Wasm)
    };
    if is_wasm {
        let msg: AbiQuery = arg(a, 1, "msg: {method, args} for a cove-ABI contract")?;
        let args = msg.args.unwrap_or_else(|| json!({}));
        return read_entry(s, address, &msg.method, None, Some(&args), a.get(2));
    }
    let msg = match a.get(1) {
        Some(Value::String(t)) => t.clone().into_bytes(),
        Some(v @ Value::Object(_)) => v.to_string().into_bytes(),
        _ => return Err(invalid("invalid argument 1 (msg): a JSON object or its text")),
    };
    if msg.len() > MAX_NATIVE_INPUT_BYTES {
        return Err(invalid(format!("msg longer than {MAX_NATIVE_INPUT_BYTES} bytes")));
    }
    let at = s.runtime.at(height(s, a.get(2))?).map_err(internal)?;
    match at.contract(&cove(address)).map_err(internal)? {
        Some(info) if info.vm == VmType::CosmWasm => {}
        Some(info) => return Err(err(-32000, format!("{address} is a {} contract, not CosmWasm", info.vm))),
        None => return Err(err(-32000, format!("no contract at {address}"))),
    }
    let (r, _) = at.cosmwasm_query(cove(address), &msg, None).map_err(internal)?;
    match &r.result {
        Ok(out) => Ok(serde_json::from_slice(out).unwrap_or_else(|_| hex_bytes(out))),
        Err(e) => Err(read_error(e)),
    }
}

/// `cove_getStateRoot(block?)`: `{height, timestamp, root}` of a block (`root` null on
/// a store that keeps none).
pub(super) fn get_state_root(s: &Shared, a: &[Value]) -> RpcResult {
    let h = height(s, a.first())?;
    let record = s.runtime.block_record(h).map_err(internal)?;
    Ok(json!({
        "height": hex_u(record.height),
        "timestamp": hex_u(record.timestamp),
        "root": record.root.map(|r| hex_bytes(&r)),
    }))
}

/// `cove_getProof(address, keyHex, block?)`: the proof of a contract's storage key (or
/// of its absence) against the state root of a block, as `cove state proof --json`
/// prints it but for `height`, a hex quantity, and `root`, `0x`-prefixed (as
/// `cove_getStateRoot`). A key is at most [`MAX_PROOF_KEY_BYTES`].
pub(super) fn get_proof(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let key: Bytes = arg(a, 1, "key")?;
    if key.len() > MAX_PROOF_KEY_BYTES {
        return Err(invalid(format!("key longer than {MAX_PROOF_KEY_BYTES} bytes")));
    }
    let h = height(s, a.get(2))?;
    let (record, p) =
        s.runtime.proof(&keys::storage(&cove(address), &key), h).map_err(|e| err(-32000, e.to_string()))?;
    let Some(root) = record.root else { return Err(err(-32000, "this store commits to no root")) };
    Ok(json!({
        "height": hex_u(record.height),
        "root": hex_bytes(&root),
        "address": cove(address).to_string(),
        "key_hex": hex::encode(&key),
        "value_hex": p.value.as_ref().map(hex::encode),
        "proof": {
            "depth": p.depth,
            "key_hex": hex::encode(&p.key),
            "value_hex": p.value.as_ref().map(hex::encode),
            "others": p.others.iter().map(|(kh, leaf)| json!([hex::encode(kh), hex::encode(leaf)])).collect::<Vec<_>>(),
            "siblings": p.siblings.iter().map(hex::encode).collect::<Vec<_>>(),
        },
    }))
}

/// The fields of a native transaction over JSON-RPC, Ethereum's where they mean the same
/// (`type` is [`NATIVE_TX_TYPE`]), and `cove` with the rest.
pub(super) fn native_tx_json(block: Option<&StoredBlock>, index: usize, t: &StoredTx) -> RpcResult {
    let (tx, sig) = parse_signed(&t.raw).map_err(internal)?;
    Ok(json!({
        "hash": t.hash,
        "from": t.from,
        "to": tx.to_address(),
        "nonce": hex_u(tx.nonce),
        "gas": hex_u(tx.gas_limit),
        "value": tx.value,
        "input": hex_bytes(&tx.input),
        "type": hex_u(NATIVE_TX_TYPE),
        "chainId": hex_u(tx.chain_id),
        "r": sig.r(),
        "s": sig.s(),
        "v": hex_u(u8::from(sig.v())),
        "yParity": hex_u(u8::from(sig.v())),
        "gasPrice": hex_u(tx.gas_price),
        "blockHash": block.and_then(|b| b.hash),
        "blockNumber": block.map(|b| hex_u(b.number)),
        "transactionIndex": block.map(|_| hex_u(index as u64)),
        "cove": {
            "kind": tx.kind().map(|k| k.name()),
            "entry": tx.entry_str(),
            "codeSize": tx.code.len(),
            "codeId": (!tx.code_id.is_empty()).then(|| hex_bytes(&tx.code_id)),
            "flags": tx.flags,
            "label": tx.label_str(),
            "admin": tx.admin_address(),
        },
    }))
}

/// What a native transaction's receipt adds: `{kind, output, error, codeId}`.
pub(super) fn outcome_json(t: &StoredTx) -> Result<(Option<EthAddress>, Value), ErrorObjectOwned> {
    let (tx, _) = parse_signed(&t.raw).map_err(internal)?;
    let Some(o) = &t.native else { return Ok((tx.to_address(), Value::Null)) };
    let error = o.error.as_ref().map(|(kind, message)| json!({"kind": kind, "message": message}));
    Ok((
        tx.to_address(),
        json!({
            "kind": tx.kind().map(|k| k.name()),
            "output": hex_bytes(&o.output),
            "error": error,
            "codeId": o.code_id,
        }),
    ))
}
