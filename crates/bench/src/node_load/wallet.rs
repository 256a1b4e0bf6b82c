//! Keys, signed EIP-1559 transactions and the ERC-20's calldata.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use k256::ecdsa::SigningKey;

/// Price of every transaction: the node's default minimum, 1 gwei.
pub(crate) const PRICE: u128 = 1_000_000_000;

/// A key and its address.
pub(crate) struct Wallet {
    key: SigningKey,
    pub(crate) address: Address,
}

/// A signed transaction ready to send: its `eth_sendRawTransaction` body and its hash.
pub(crate) struct Signed {
    pub(crate) body: bytes::Bytes,
    pub(crate) hash: B256,
}

impl Wallet {
    fn from_key(key: SigningKey) -> Wallet {
        let address = Address::from_public_key(key.verifying_key());
        Wallet { key, address }
    }

    /// Dev account `i` of the node (`node::DEV_ACCOUNTS`).
    pub(crate) fn dev(i: usize) -> Result<Wallet, String> {
        let (_, key) = node::DEV_ACCOUNTS.get(i).ok_or_else(|| format!("no dev account {i}"))?;
        let key = hex::decode(key).map_err(|e| format!("dev key {i}: {e}"))?;
        Ok(Wallet::from_key(SigningKey::from_slice(&key).map_err(|e| format!("dev key {i}: {e}"))?))
    }

    /// The load generator's sender `i`: its key is keccak-256 of `"cove bench node"` and
    /// `i` (re-hashed in the negligible case that is not a valid scalar).
    pub(crate) fn sender(i: u64) -> Wallet {
        let mut seed = keccak256([b"cove bench node".as_slice(), i.to_be_bytes().as_slice()].concat());
        loop {
            if let Ok(key) = SigningKey::from_slice(seed.as_slice()) {
                return Wallet::from_key(key);
            }
            seed = keccak256(seed);
        }
    }

    /// An EIP-1559 transaction at [`PRICE`] (fee cap and tip alike: the node has no base
    /// fee), signed.
    pub(crate) fn sign(
        &self,
        chain_id: u64,
        nonce: u64,
        to: TxKind,
        value: U256,
        input: Vec<u8>,
        gas_limit: u64,
    ) -> Result<Signed, String> {
        let tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: PRICE,
            max_priority_fee_per_gas: PRICE,
            to,
            value,
            access_list: Default::default(),
            input: input.into(),
        };
        let (sig, recid) = self
            .key
            .sign_prehash_recoverable(tx.signature_hash().as_slice())
            .map_err(|e| format!("sign: {e}"))?;
        let envelope = TxEnvelope::from(tx.into_signed(alloy_primitives::Signature::from((sig, recid))));
        let raw = Bytes::from(envelope.encoded_2718());
        let hash = *envelope.tx_hash();
        let body = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw],
        });
        Ok(Signed { body: bytes::Bytes::from(body.to_string()), hash })
    }
}

/// `transfer(to, value)` calldata.
pub(crate) fn transfer(to: Address, value: U256) -> Vec<u8> {
    let mut data = Vec::with_capacity(68);
    data.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(to.as_slice());
    data.extend_from_slice(&value.to_be_bytes::<32>());
    data
}

/// `balanceOf(who)` calldata.
pub(crate) fn balance_of(who: Address) -> Bytes {
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(&[0x70, 0xa0, 0x82, 0x31]);
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(who.as_slice());
    data.into()
}
