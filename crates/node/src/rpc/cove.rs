//! The `cove_` namespace: what Ethereum's methods cannot say about cove's contracts (the
//! VM a contract runs on, its code id, the storage of a cove-ABI or CosmWasm contract).
//! The explorer page reads them; so may any client.
//!
//! - `cove_getContract(address, block?)`: `null` for an address without a contract,
//!   else `{vm, codeId, creator, admin, createdHeight}`.
//! - `cove_getStorage(address, block?, {start?, limit?}?)`: one page of the contract's
//!   storage in key order, `{entries: [{key, value}], next}` (hex; `next` is the key to
//!   start the next page at, `null` after the last), at most [`MAX_STORAGE_PAGE`] pairs.
//!   EVM slots live under their own keys: read them with `eth_getStorageAt`.

use alloy_primitives::{Address as EthAddress, Bytes};
use serde_json::{Value, json};

use super::{RpcResult, arg, cove, height, hex_bytes, internal, invalid};
use crate::node::Shared;

/// Most storage pairs one `cove_getStorage` answer holds: 256.
pub const MAX_STORAGE_PAGE: usize = 256;

pub(super) fn get_contract(s: &Shared, a: &[Value]) -> RpcResult {
    let address: EthAddress = arg(a, 0, "address")?;
    let at = s.runtime.at(height(s, a.get(1))?).map_err(internal)?;
    let Some(info) = at.contract(&cove(address)).map_err(internal)? else { return Ok(Value::Null) };
    Ok(json!({
        "vm": info.vm.as_str(),
        "codeId": hex_bytes(&info.code_id.0),
        "creator": EthAddress::from(info.creator.0),
        "admin": info.admin.map(|a| EthAddress::from(a.0)),
        "createdHeight": info.created_height,
    }))
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
