//! A node on a free port, a minimal blocking JSON-RPC client, and transaction signing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use cove_node::{DEV_ACCOUNTS, Mining, Node, NodeConfig, RunningNode};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

/// The solc-compiled ERC-20 (`examples/evm/Token.sol`), init code.
pub(crate) const TOKEN_BIN: &str = include_str!("../../../../examples/evm/Token.bin");
/// `Transfer(address,address,uint256)`.
pub(crate) const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
/// Gas price the tests pay: 2 gwei.
pub(crate) const PRICE: u128 = 2_000_000_000;

pub(crate) fn start(dir: &Path) -> RunningNode {
    start_mining(dir, Mining::Auto)
}

pub(crate) fn start_mining(dir: &Path, mining: Mining) -> RunningNode {
    let mut config = NodeConfig::new(dir.to_path_buf());
    config.rpc = SocketAddr::from(([127, 0, 0, 1], 0));
    config.mining = mining;
    config.dev = true;
    config.fee_recipient = Address::repeat_byte(0xfe);
    Node::open(config).expect("open").start().expect("start")
}

pub(crate) struct Client {
    addr: SocketAddr,
}

impl Client {
    pub(crate) fn new(node: &RunningNode) -> Client {
        Client { addr: node.addr() }
    }

    /// The whole JSON-RPC response.
    pub(crate) fn raw(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(self.addr).expect("connect");
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        let (head, body) = out.split_once("\r\n\r\n").expect("http response");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// The result, panicking on an error.
    pub(crate) fn call(&self, method: &str, params: Value) -> Value {
        let r = self.raw(method, params);
        assert!(r.get("error").is_none(), "{method}: {r}");
        r["result"].clone()
    }

    /// The error object, panicking on success.
    pub(crate) fn error(&self, method: &str, params: Value) -> Value {
        let r = self.raw(method, params);
        r.get("error").cloned().unwrap_or_else(|| panic!("{method} succeeded: {r}"))
    }

    pub(crate) fn u256(&self, method: &str, params: Value) -> U256 {
        self.call(method, params).as_str().expect("hex").parse().expect("quantity")
    }

    pub(crate) fn balance(&self, a: Address) -> U256 {
        self.u256("eth_getBalance", json!([a, "latest"]))
    }

    pub(crate) fn nonce(&self, a: Address) -> u64 {
        self.u256("eth_getTransactionCount", json!([a, "latest"])).to::<u64>()
    }

    pub(crate) fn send(&self, raw: &[u8]) -> String {
        self.call("eth_sendRawTransaction", json!([Bytes::copy_from_slice(raw)]))
            .as_str()
            .expect("hash")
            .to_string()
    }

    /// Polls for the receipt of `hash` (automine mines it at once).
    pub(crate) fn receipt(&self, hash: &str) -> Value {
        let start = Instant::now();
        loop {
            let r = self.call("eth_getTransactionReceipt", json!([hash]));
            if !r.is_null() {
                return r;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no receipt for {hash}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub(crate) fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex").trim_start_matches("0x"), 16).expect("quantity")
}

pub(crate) struct Wallet {
    key: SigningKey,
    pub(crate) address: Address,
}

impl Wallet {
    pub(crate) fn dev(i: usize) -> Wallet {
        Wallet::from_secret(&hex::decode(DEV_ACCOUNTS[i].1).expect("hex"))
    }

    /// The wallet of a 32-byte secret key.
    pub(crate) fn from_secret(secret: &[u8]) -> Wallet {
        let key = SigningKey::from_slice(secret).expect("key");
        let address = Address::from_public_key(key.verifying_key());
        Wallet { key, address }
    }

    fn sign<T: SignableTransaction<alloy_primitives::Signature>>(&self, tx: T) -> Vec<u8>
    where
        TxEnvelope: From<alloy_consensus::Signed<T>>,
    {
        let (sig, recid) = self.key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("sign");
        let sig = alloy_primitives::Signature::from((sig, recid));
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
    }

    /// A native transaction signed by this wallet.
    pub(crate) fn native(&self, tx: &cove_node::native::NativeTx) -> Vec<u8> {
        let (sig, recid) = self.key.sign_prehash_recoverable(tx.signing_hash().as_slice()).expect("sign");
        tx.encode_signed(&alloy_primitives::Signature::from((sig, recid)))
    }

    /// An EIP-1559 transaction on `chain_id`.
    pub(crate) fn eip1559(
        &self,
        chain_id: u64,
        nonce: u64,
        to: Option<Address>,
        input: Vec<u8>,
        gas: u64,
    ) -> Vec<u8> {
        self.sign(TxEip1559 {
            chain_id,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: PRICE,
            max_priority_fee_per_gas: PRICE,
            to: to.map_or(TxKind::Create, TxKind::Call),
            value: U256::ZERO,
            access_list: Default::default(),
            input: input.into(),
        })
    }

    /// A legacy transaction, EIP-155-protected unless `chain_id` is `None`.
    pub(crate) fn legacy(&self, chain_id: Option<u64>, nonce: u64, to: Address, value: U256) -> Vec<u8> {
        self.legacy_at(PRICE, chain_id, nonce, to, value)
    }

    /// [`Wallet::legacy`] at gas price `price`.
    pub(crate) fn legacy_at(
        &self,
        price: u128,
        chain_id: Option<u64>,
        nonce: u64,
        to: Address,
        value: U256,
    ) -> Vec<u8> {
        self.sign(TxLegacy {
            chain_id,
            nonce,
            gas_price: price,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            value,
            input: Bytes::new(),
        })
    }
}

/// `transfer(to, value)` calldata.
pub(crate) fn transfer(to: Address, value: u64) -> Vec<u8> {
    let mut data = hex::decode("a9059cbb").expect("selector");
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(to.as_slice());
    data.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    data
}

/// `balanceOf(who)` calldata.
pub(crate) fn balance_of(who: Address) -> String {
    format!("0x70a08231{}{}", "00".repeat(12), hex::encode(who))
}

/// Deploys the ERC-20 with `supply` from `w`; returns its address and the receipt.
pub(crate) fn deploy_token(c: &Client, w: &Wallet, chain_id: u64, supply: u64) -> (Address, Value) {
    let mut code = hex::decode(TOKEN_BIN.trim()).expect("token hex");
    code.extend_from_slice(&U256::from(supply).to_be_bytes::<32>());
    let hash = c.send(&w.eip1559(chain_id, c.nonce(w.address), None, code, 2_000_000));
    let r = c.receipt(&hash);
    assert_eq!(r["status"], "0x1", "{r}");
    (r["contractAddress"].as_str().expect("address").parse().expect("address"), r)
}
