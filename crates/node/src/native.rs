//! Signed native transactions: the cove-ABI and CosmWasm messages Ethereum's envelopes
//! cannot carry (deploy, store code, instantiate stored code, call, CosmWasm
//! instantiate/execute/migrate, and in dev mode fund), their byte encoding, signature
//! and stateless checks.
//!
//! The encoding is RLP (`alloy-rlp`), documented byte for byte in `docs/node.md`
//! ("Native transactions"), so that a client in any language can produce it:
//!
//! * the transaction is the RLP list of the fourteen fields of [`NativeTx`], in order;
//! * its signing hash is `keccak256(SIGNING_DOMAIN ++ rlp(tx))` (the domain keeps a
//!   signature over it from ever being an Ethereum transaction's or message's, and the
//!   chain id inside keeps it from being replayed on another chain);
//! * the signed bytes are `NATIVE_MAGIC ++ rlp([rlp(tx), y_parity, r, s])` with a
//!   secp256k1 signature whose `s` is in the lower half of the order (EIP-2);
//! * its hash is `keccak256(signed bytes)`.
//!
//! The sender is the Ethereum address of the signing key: one account, one nonce and
//! one balance for both kinds of transaction. This module owns no state and runs
//! nothing: the block builder maps a checked transaction onto the runtime's own
//! transaction calls.

use alloy_primitives::{Address as EthAddress, B256, Bytes, Signature, U256, keccak256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

use crate::tx::{SignedTx, TxBody, TxError};

/// What the signed bytes start with: `cove` and the encoding's version, 1.
pub const NATIVE_MAGIC: &[u8; 5] = b"cove\x01";
/// What the signing hash is taken over before the transaction's RLP.
pub const SIGNING_DOMAIN: &[u8] = b"cove native transaction v1";
/// The largest signed native transaction: 2 MiB (a WASM module of the default
/// `max_code_bytes`, 1 MiB, with room to spare).
pub const MAX_NATIVE_TX_BYTES: usize = 2 << 20;
/// The largest `input` (entry input or CosmWasm message): 128 KiB (the WASM VM's
/// `MAX_INPUT_LEN`).
pub const MAX_NATIVE_INPUT_BYTES: usize = 128 * 1024;
/// The longest `entry`: 256 bytes (the WASM VM's `MAX_ENTRY_LEN`).
pub const MAX_NATIVE_ENTRY_BYTES: usize = 256;
/// The longest CosmWasm `label`: 128 bytes.
pub const MAX_NATIVE_LABEL_BYTES: usize = 128;
/// Gas every native transaction pays before it runs (as Ethereum's 21,000).
pub const NATIVE_BASE_GAS: u64 = 21_000;
/// Gas per byte of `code` and `input` a native transaction pays before it runs.
pub const NATIVE_GAS_PER_BYTE: u64 = 16;
/// The `type` native transactions and their receipts show over JSON-RPC: 0x63 (`c`).
pub const NATIVE_TX_TYPE: u8 = 0x63;

/// What a native transaction does (its `kind` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 1: store `code` and create a cove-ABI contract of it, running `entry` (if not
    /// empty) with `input`, sending it `value`, with app `flags`.
    Deploy,
    /// 2: validate and store `code`; the receipt names its code id.
    Store,
    /// 3: create a cove-ABI contract of the stored `code_id`, as `Deploy`.
    Instantiate,
    /// 4: call `entry` of the contract `to` with `input`, sending `value`.
    Call,
    /// 5: store `code` and instantiate a CosmWasm contract with the JSON message
    /// `input`, `label` and `admin`, sending `value` of the native denomination.
    CwInstantiate,
    /// 6: `execute` the CosmWasm contract `to` with the JSON message `input`, sending
    /// `value` of the native denomination.
    CwExecute,
    /// 7: migrate the CosmWasm contract `to` to `code` with the JSON message `input`.
    CwMigrate,
    /// 8: credit `value` to `to` out of nowhere; only a node in dev mode takes it.
    Fund,
}

/// The fields one kind uses (every other must be empty or zero).
#[derive(Clone, Copy)]
struct Uses {
    to: bool,
    code: bool,
    code_id: bool,
    entry: bool,
    input: bool,
    value: bool,
    flags: bool,
    label: bool,
    admin: bool,
}

impl Kind {
    /// The kind of a `kind` byte.
    pub fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Deploy,
            2 => Kind::Store,
            3 => Kind::Instantiate,
            4 => Kind::Call,
            5 => Kind::CwInstantiate,
            6 => Kind::CwExecute,
            7 => Kind::CwMigrate,
            8 => Kind::Fund,
            _ => return None,
        })
    }

    /// Its name over JSON-RPC.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Deploy => "deploy",
            Kind::Store => "store",
            Kind::Instantiate => "instantiate",
            Kind::Call => "call",
            Kind::CwInstantiate => "cosmwasm_instantiate",
            Kind::CwExecute => "cosmwasm_execute",
            Kind::CwMigrate => "cosmwasm_migrate",
            Kind::Fund => "fund",
        }
    }

    fn uses(self) -> Uses {
        let none = Uses {
            to: false,
            code: false,
            code_id: false,
            entry: false,
            input: false,
            value: false,
            flags: false,
            label: false,
            admin: false,
        };
        match self {
            Kind::Deploy => Uses { code: true, entry: true, input: true, value: true, flags: true, ..none },
            Kind::Store => Uses { code: true, ..none },
            Kind::Instantiate => {
                Uses { code_id: true, entry: true, input: true, value: true, flags: true, ..none }
            }
            Kind::Call => Uses { to: true, entry: true, input: true, value: true, ..none },
            Kind::CwInstantiate => {
                Uses { code: true, input: true, value: true, label: true, admin: true, ..none }
            }
            Kind::CwExecute => Uses { to: true, input: true, value: true, ..none },
            Kind::CwMigrate => Uses { to: true, code: true, input: true, ..none },
            Kind::Fund => Uses { to: true, value: true, ..none },
        }
    }
}

/// An unsigned native transaction: the fields, in their RLP order.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct NativeTx {
    /// The chain it is for (the node's `[evm] chain_id`).
    pub chain_id: u64,
    /// The sender's nonce.
    pub nonce: u64,
    /// Price per gas, in wei.
    pub gas_price: u128,
    /// Most gas it may use, [`NativeTx::intrinsic_gas`] included.
    pub gas_limit: u64,
    /// What it does ([`Kind`]).
    pub kind: u8,
    /// The contract or account it targets: 20 bytes, or empty.
    pub to: Bytes,
    /// A WASM module, or empty.
    pub code: Bytes,
    /// A stored code id: 32 bytes, or empty.
    pub code_id: Bytes,
    /// The entry point (UTF-8), or empty.
    pub entry: Bytes,
    /// The entry's input, or the CosmWasm JSON message.
    pub input: Bytes,
    /// Native token sent with it, in wei.
    pub value: U256,
    /// App flags of a created contract (bit 0 callable, bit 1 importable, bit 2
    /// public; `docs/abi.md`).
    pub flags: u8,
    /// A CosmWasm contract's label (UTF-8), or empty.
    pub label: Bytes,
    /// A CosmWasm contract's admin: 20 bytes, or empty for none.
    pub admin: Bytes,
}

#[derive(RlpEncodable, RlpDecodable)]
struct SignedNative {
    tx: NativeTx,
    y_parity: u8,
    r: U256,
    s: U256,
}

impl NativeTx {
    /// The hash its sender signs.
    pub fn signing_hash(&self) -> B256 {
        let mut buf = SIGNING_DOMAIN.to_vec();
        self.encode(&mut buf);
        keccak256(&buf)
    }

    /// The signed bytes of this transaction with `signature` (over
    /// [`NativeTx::signing_hash`]).
    pub fn encode_signed(&self, signature: &Signature) -> Vec<u8> {
        let signed = SignedNative {
            tx: self.clone(),
            y_parity: u8::from(signature.v()),
            r: signature.r(),
            s: signature.s(),
        };
        let mut out = NATIVE_MAGIC.to_vec();
        signed.encode(&mut out);
        out
    }

    /// Its kind (checked by [`decode`]).
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_byte(self.kind)
    }

    /// The gas it pays before it runs: [`NATIVE_BASE_GAS`] plus
    /// [`NATIVE_GAS_PER_BYTE`] per byte of `code` and `input`.
    pub fn intrinsic_gas(&self) -> u64 {
        let bytes = (self.code.len() + self.input.len()) as u64;
        NATIVE_BASE_GAS.saturating_add(bytes.saturating_mul(NATIVE_GAS_PER_BYTE))
    }

    /// `to` as an address (empty: none).
    pub fn to_address(&self) -> Option<EthAddress> {
        (self.to.len() == 20).then(|| EthAddress::from_slice(&self.to))
    }

    /// `admin` as an address (empty: none).
    pub fn admin_address(&self) -> Option<EthAddress> {
        (self.admin.len() == 20).then(|| EthAddress::from_slice(&self.admin))
    }

    /// `entry` as text (checked UTF-8 by [`decode`]).
    pub fn entry_str(&self) -> &str {
        std::str::from_utf8(&self.entry).unwrap_or_default()
    }

    /// `label` as text (checked UTF-8 by [`decode`]).
    pub fn label_str(&self) -> &str {
        std::str::from_utf8(&self.label).unwrap_or_default()
    }

    /// Checks every field against its kind and its bound.
    fn check(&self, dev: bool) -> Result<Kind, String> {
        let kind = self.kind().ok_or_else(|| format!("unknown kind {}", self.kind))?;
        let uses = kind.uses();
        let unused = |used: bool, empty: bool, name: &str| {
            if !used && !empty { Err(format!("{} takes no {name}", kind.name())) } else { Ok(()) }
        };
        unused(uses.to, self.to.is_empty(), "to")?;
        unused(uses.code, self.code.is_empty(), "code")?;
        unused(uses.code_id, self.code_id.is_empty(), "code_id")?;
        unused(uses.entry, self.entry.is_empty(), "entry")?;
        unused(uses.input, self.input.is_empty(), "input")?;
        unused(uses.value, self.value.is_zero(), "value")?;
        unused(uses.flags, self.flags == 0, "flags")?;
        unused(uses.label, self.label.is_empty(), "label")?;
        unused(uses.admin, self.admin.is_empty(), "admin")?;
        if uses.to && self.to.len() != 20 {
            return Err(format!("to must be 20 bytes, got {}", self.to.len()));
        }
        if uses.code && self.code.is_empty() {
            return Err(format!("{} needs code", kind.name()));
        }
        if uses.code_id && self.code_id.len() != 32 {
            return Err(format!("code_id must be 32 bytes, got {}", self.code_id.len()));
        }
        if !self.admin.is_empty() && self.admin.len() != 20 {
            return Err(format!("admin must be 20 bytes or empty, got {}", self.admin.len()));
        }
        if self.entry.len() > MAX_NATIVE_ENTRY_BYTES || std::str::from_utf8(&self.entry).is_err() {
            return Err(format!("entry must be UTF-8 of at most {MAX_NATIVE_ENTRY_BYTES} bytes"));
        }
        if self.label.len() > MAX_NATIVE_LABEL_BYTES || std::str::from_utf8(&self.label).is_err() {
            return Err(format!("label must be UTF-8 of at most {MAX_NATIVE_LABEL_BYTES} bytes"));
        }
        if self.input.len() > MAX_NATIVE_INPUT_BYTES {
            return Err(format!("input of {} bytes exceeds {MAX_NATIVE_INPUT_BYTES}", self.input.len()));
        }
        if matches!(kind, Kind::CwInstantiate | Kind::CwExecute | Kind::CwMigrate) && self.input.is_empty() {
            return Err(format!("{} needs a JSON message in input", kind.name()));
        }
        if matches!(kind, Kind::CwInstantiate | Kind::CwExecute) && self.value > U256::from(u128::MAX) {
            return Err("CosmWasm funds are at most 2^128 - 1".into());
        }
        if runtime::AppFlags::from_byte(self.flags).is_none() {
            return Err(format!("flags {:#x} set an unknown bit", self.flags));
        }
        if kind == Kind::Fund && !dev {
            return Err("fund is taken only by a node in dev mode".into());
        }
        Ok(kind)
    }
}

/// Decodes the signed bytes `raw` and checks what needs no state: size, encoding,
/// fields, chain id, gas and signature. `dev` admits `fund`; `code` (inflated first if
/// gzip-compressed) may have at most `max_code_bytes` (the WASM VM's, which would refuse
/// it when it runs).
pub fn decode(
    raw: &[u8],
    chain_id: u64,
    max_tx_gas: u64,
    max_code_bytes: usize,
    dev: bool,
) -> Result<SignedTx, TxError> {
    if raw.len() > MAX_NATIVE_TX_BYTES {
        return Err(TxError::NativeOversized(raw.len()));
    }
    let Some(body) = raw.strip_prefix(NATIVE_MAGIC) else {
        return Err(TxError::Decode("not a native transaction: it must start with \"cove\\x01\"".into()));
    };
    let mut buf = body;
    let signed = SignedNative::decode(&mut buf).map_err(|e| TxError::Decode(e.to_string()))?;
    if !buf.is_empty() {
        return Err(TxError::Decode(format!("{} bytes after the transaction", buf.len())));
    }
    let tx = signed.tx;
    if tx.chain_id != chain_id {
        return Err(TxError::ChainId { have: tx.chain_id, want: chain_id });
    }
    tx.check(dev).map_err(TxError::Native)?;
    if tx.code.len() > max_code_bytes {
        let len = tx.code.len();
        return Err(TxError::Native(format!(
            "code of {len} bytes exceeds max_code_bytes ({max_code_bytes})"
        )));
    }
    // Inflating is bounded by the limit itself (a gzip bomb costs at most that).
    wasm::inflate_code(&tx.code, max_code_bytes).map_err(|e| TxError::Native(e.message))?;
    let needed = tx.intrinsic_gas();
    if tx.gas_limit < needed {
        return Err(TxError::IntrinsicGas { gas: tx.gas_limit, needed });
    }
    if tx.gas_limit > max_tx_gas {
        return Err(TxError::GasCap);
    }
    if signed.y_parity > 1 {
        return Err(TxError::Signature);
    }
    let signature = Signature::new(signed.r, signed.s, signed.y_parity == 1);
    // A high `s` is the other signature of the same key and message (EIP-2).
    if signature.normalize_s().is_some() {
        return Err(TxError::Signature);
    }
    let from = signature.recover_address_from_prehash(&tx.signing_hash()).map_err(|_| TxError::Signature)?;
    Ok(SignedTx { hash: keccak256(raw), from, body: TxBody::Native(tx), raw: raw.to_vec() })
}

/// The transaction and signature of signed bytes the node already checked (its index
/// keeps them as sent).
pub fn parse_signed(raw: &[u8]) -> Result<(NativeTx, Signature), String> {
    let mut buf = raw.strip_prefix(NATIVE_MAGIC).ok_or("not a native transaction")?;
    let signed = SignedNative::decode(&mut buf).map_err(|e| e.to_string())?;
    Ok((signed.tx, Signature::new(signed.r, signed.s, signed.y_parity == 1)))
}
