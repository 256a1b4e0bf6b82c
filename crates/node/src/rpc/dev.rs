//! What a dev node (`--dev`) answers as anvil and hardhat do, for tools that let the
//! node sign:
//!
//! - `eth_accounts`: the ten dev accounts ([`crate::DEV_ACCOUNTS`]); `[]` on a node
//!   without `--dev`, as geth with no unlocked account.
//! - `eth_sendTransaction(tx)`: fills what `tx` leaves out (the pending nonce, the gas
//!   by `eth_estimateGas`, an EIP-1559 price of the node's least gas price, the chain
//!   id), signs it with the dev key of `from` and submits it as `eth_sendRawTransaction`
//!   does, under every mempool check. `from` must be a dev account (-32000 `unknown
//!   account`); without `--dev` the method is refused.
//! - `evm_mine`: makes one block now of what is ready (at most
//!   [`crate::MAX_BLOCK_TXS`]), whatever the mining mode; answers `"0x0"`, as anvil.
//!
//! It must not relax any check: a transaction signed here is one a wallet could have
//! sent.

use std::sync::Mutex;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address as EthAddress, Bytes, TxKind, U256};
use k256::ecdsa::SigningKey;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{RpcResult, arg, err, estimate_gas, hex_u, internal, invalid, node, submit_error};
use crate::node::{DEV_ACCOUNTS, Shared};

/// Serialises filling a nonce and submitting, so two sends from one account at once
/// take consecutive nonces.
static SENDING: Mutex<()> = Mutex::new(());

/// An `eth_sendTransaction` request, as geth's `TransactionArgs`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendRequest {
    from: EthAddress,
    to: Option<EthAddress>,
    gas: Option<U256>,
    gas_price: Option<U256>,
    max_fee_per_gas: Option<U256>,
    max_priority_fee_per_gas: Option<U256>,
    value: Option<U256>,
    nonce: Option<U256>,
    data: Option<Bytes>,
    input: Option<Bytes>,
    chain_id: Option<U256>,
    access_list: Option<AccessList>,
}

fn quantity<T: TryFrom<U256>>(v: U256, what: &str) -> Result<T, jsonrpsee::types::ErrorObjectOwned> {
    T::try_from(v).map_err(|_| invalid(format!("{what} too large")))
}

fn parse_quantity(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.strip_prefix("0x")?, 16).ok()
}

pub(super) fn accounts(s: &Shared, _: &[Value]) -> RpcResult {
    if !s.config.dev {
        return Ok(json!([]));
    }
    Ok(json!(DEV_ACCOUNTS.iter().map(|(a, _)| format!("0x{a}")).collect::<Vec<_>>()))
}

fn dev_key(s: &Shared, from: &EthAddress) -> Result<SigningKey, jsonrpsee::types::ErrorObjectOwned> {
    if !s.config.dev {
        return Err(err(-32000, "eth_sendTransaction needs a node started with --dev"));
    }
    let hex_from = hex::encode(from);
    let (_, key) =
        DEV_ACCOUNTS.iter().find(|(a, _)| *a == hex_from).ok_or_else(|| err(-32000, "unknown account"))?;
    let bytes = hex::decode(key).map_err(internal)?;
    SigningKey::from_slice(&bytes).map_err(internal)
}

pub(super) fn send_transaction(s: &Shared, a: &[Value]) -> RpcResult {
    let req: SendRequest = arg(a, 0, "transaction")?;
    let key = dev_key(s, &req.from)?;
    if let Some(id) = req.chain_id
        && id != U256::from(s.chain_id())
    {
        return Err(err(-32000, format!("invalid chain id: have {id}, want {}", s.chain_id())));
    }
    let input = req.input.clone().or(req.data.clone()).unwrap_or_default();
    let value = req.value.unwrap_or_default();
    let to = req.to.map_or(TxKind::Create, TxKind::Call);
    let _sending = SENDING.lock().unwrap_or_else(|e| e.into_inner());
    let gas_limit = match req.gas {
        Some(g) => quantity(g, "gas")?,
        None => {
            let call = json!({"from": req.from, "to": req.to, "value": value, "input": input});
            let estimate = estimate_gas(s, &[call])?;
            parse_quantity(&estimate).ok_or_else(|| internal("estimate is not a quantity"))?
        }
    };
    let nonce = match req.nonce {
        Some(n) => quantity(n, "nonce")?,
        None => {
            let committed = s.runtime.nonce(&super::cove(req.from)).map_err(internal)?;
            s.pool.lock().unwrap_or_else(|e| e.into_inner()).pending_nonce(&req.from, committed)
        }
    };
    let least = s.config.min_gas_price;
    let envelope = if let Some(price) = req.gas_price {
        let tx = TxLegacy {
            chain_id: Some(s.chain_id()),
            nonce,
            gas_price: quantity(price, "gasPrice")?,
            gas_limit,
            to,
            value,
            input,
        };
        sign(tx, &key)?
    } else {
        let max_fee: u128 =
            req.max_fee_per_gas.map(|v| quantity(v, "maxFeePerGas")).transpose()?.unwrap_or(least);
        let priority = req
            .max_priority_fee_per_gas
            .map(|v| quantity(v, "maxPriorityFeePerGas"))
            .transpose()?
            .unwrap_or(least.min(max_fee));
        let tx = TxEip1559 {
            chain_id: s.chain_id(),
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: priority,
            to,
            value,
            access_list: req.access_list.unwrap_or_default(),
            input,
        };
        sign(tx, &key)?
    };
    match s.submit(&envelope.encoded_2718()) {
        Ok(hash) => Ok(json!(hash)),
        Err(e) => Err(submit_error(e)),
    }
}

fn sign<T>(tx: T, key: &SigningKey) -> Result<TxEnvelope, jsonrpsee::types::ErrorObjectOwned>
where
    T: SignableTransaction<alloy_primitives::Signature>,
    TxEnvelope: From<alloy_consensus::Signed<T>>,
{
    let (sig, recid) = key.sign_prehash_recoverable(tx.signature_hash().as_slice()).map_err(internal)?;
    Ok(TxEnvelope::from(tx.into_signed(alloy_primitives::Signature::from((sig, recid)))))
}

pub(super) fn mine(s: &Shared, _: &[Value]) -> RpcResult {
    crate::produce::mine(s, crate::MAX_BLOCK_TXS).map_err(node)?;
    Ok(hex_u(0u8))
}
