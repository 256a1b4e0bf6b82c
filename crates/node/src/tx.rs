//! Signed Ethereum transactions: decoding, signature recovery and the checks that need
//! no state (type, chain id, replay protection, intrinsic gas, size).
//!
//! Legacy (EIP-155 only), EIP-2930 and EIP-1559 transactions are accepted; blob
//! (EIP-4844) and set-code (EIP-7702) transactions are refused, and so is a non-empty
//! access list, because the runtime's EVM message carries none (its gas would differ
//! from Ethereum's). Messages are geth's.

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address as EthAddress, B256, U256};
use revm::primitives::hardfork::SpecId;

use crate::native::{MAX_NATIVE_TX_BYTES, NativeTx};

/// The largest raw transaction accepted: 128 KiB (geth's `txMaxSize`).
pub const MAX_TX_BYTES: usize = 128 * 1024;

/// A transaction whose signature and stateless rules have been checked.
#[derive(Debug, Clone)]
pub struct SignedTx {
    /// Its hash (keccak-256 of the raw bytes).
    pub hash: B256,
    /// Who signed it.
    pub from: EthAddress,
    /// The decoded transaction.
    pub body: TxBody,
    /// The raw bytes, as sent.
    pub raw: Vec<u8>,
}

/// An Ethereum or a native transaction: one account, nonce and balance for both.
#[derive(Debug, Clone)]
pub enum TxBody {
    /// An Ethereum transaction.
    Eth(TxEnvelope),
    /// A native cove-ABI or CosmWasm transaction ([`crate::native`]).
    Native(NativeTx),
}

impl SignedTx {
    /// The chain id it is signed for (every transaction a node admits names one).
    pub fn chain_id(&self) -> Option<u64> {
        match &self.body {
            TxBody::Eth(e) => e.chain_id(),
            TxBody::Native(n) => Some(n.chain_id),
        }
    }

    /// Whether it still meets what `config` asks of every transaction and an upgrade can
    /// change: its chain id and the gas cap. (Decoding checked them, and its signature,
    /// under the configuration it was admitted with.)
    pub fn fits(&self, config: &runtime::Config) -> bool {
        self.chain_id().is_none_or(|id| id == config.evm.chain_id) && self.gas_limit() <= config.max_tx_gas
    }

    /// Its nonce.
    pub fn nonce(&self) -> u64 {
        match &self.body {
            TxBody::Eth(e) => e.nonce(),
            TxBody::Native(n) => n.nonce,
        }
    }

    /// Its gas limit.
    pub fn gas_limit(&self) -> u64 {
        match &self.body {
            TxBody::Eth(e) => e.gas_limit(),
            TxBody::Native(n) => n.gas_limit,
        }
    }

    /// The price per gas it pays with no base fee: the gas price, or for EIP-1559 the
    /// smaller of the fee cap and the tip.
    pub fn gas_price(&self) -> u128 {
        match &self.body {
            TxBody::Eth(e) => e.effective_gas_price(Some(0)),
            TxBody::Native(n) => n.gas_price,
        }
    }

    /// The native token it takes from its sender (a dev `fund` credits its value out of
    /// nowhere: none).
    pub fn value(&self) -> U256 {
        match &self.body {
            TxBody::Eth(e) => e.value(),
            TxBody::Native(n) if n.kind() == Some(crate::native::Kind::Fund) => U256::ZERO,
            TxBody::Native(n) => n.value,
        }
    }

    /// The most it may cost: gas limit × price + value, `None` past 2^256 − 1 (no
    /// balance covers it).
    pub fn max_cost(&self) -> Option<U256> {
        U256::from(self.gas_limit()).checked_mul(U256::from(self.gas_price()))?.checked_add(self.value())
    }
}

/// Why a raw transaction is refused before it reaches the mempool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TxError {
    /// Not a transaction.
    #[error("rlp: {0}")]
    Decode(String),
    /// Too big.
    #[error("oversized data: transaction size {0}, limit {MAX_TX_BYTES}")]
    Oversized(usize),
    /// A native transaction too big.
    #[error("oversized data: transaction size {0}, limit {MAX_NATIVE_TX_BYTES}")]
    NativeOversized(usize),
    /// A native transaction's fields break its kind's rules.
    #[error("invalid native transaction: {0}")]
    Native(String),
    /// A type the node does not take.
    #[error("transaction type not supported")]
    UnsupportedType,
    /// A non-empty access list.
    #[error("access lists are not supported")]
    AccessList,
    /// A legacy transaction without EIP-155.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Signed for another chain.
    #[error("invalid chain id for signer: have {have} want {want}")]
    ChainId {
        /// The transaction's.
        have: u64,
        /// The node's.
        want: u64,
    },
    /// The signature does not recover.
    #[error("invalid sender")]
    Signature,
    /// Gas limit below the intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGas {
        /// The limit.
        gas: u64,
        /// The intrinsic gas.
        needed: u64,
    },
    /// Gas limit above the per-transaction cap.
    #[error("exceeds block gas limit")]
    GasCap,
    /// EIP-1559 tip above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
}

/// Decodes `raw` (EIP-2718 bytes) and checks what needs no state.
pub fn decode(raw: &[u8], chain_id: u64, spec: SpecId, max_tx_gas: u64) -> Result<SignedTx, TxError> {
    if raw.len() > MAX_TX_BYTES {
        return Err(TxError::Oversized(raw.len()));
    }
    let envelope = TxEnvelope::decode_2718(&mut &raw[..]).map_err(|e| TxError::Decode(e.to_string()))?;
    match &envelope {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
        TxEnvelope::Eip4844(_) | TxEnvelope::Eip7702(_) => return Err(TxError::UnsupportedType),
    }
    match envelope.chain_id() {
        None => return Err(TxError::Unprotected),
        Some(have) if have != chain_id => return Err(TxError::ChainId { have, want: chain_id }),
        Some(_) => {}
    }
    if envelope.access_list().is_some_and(|l| !l.is_empty()) {
        return Err(TxError::AccessList);
    }
    if let Some(tip) = envelope.max_priority_fee_per_gas()
        && tip > envelope.max_fee_per_gas()
    {
        return Err(TxError::TipAboveFeeCap);
    }
    let gas = envelope.gas_limit();
    let needed = intrinsic_gas(spec, envelope.input(), envelope.is_create());
    if gas < needed {
        return Err(TxError::IntrinsicGas { gas, needed });
    }
    if gas > max_tx_gas {
        return Err(TxError::GasCap);
    }
    let from = envelope.recover_signer().map_err(|_| TxError::Signature)?;
    let hash = *envelope.tx_hash();
    Ok(SignedTx { hash, from, body: TxBody::Eth(envelope), raw: raw.to_vec() })
}

/// The least gas a transaction with `input` may name under `spec`: the intrinsic gas
/// or, from Prague, the calldata floor (EIP-7623), whichever is larger.
pub fn intrinsic_gas(spec: SpecId, input: &[u8], is_create: bool) -> u64 {
    let gas =
        revm::context_interface::cfg::gas::calculate_initial_tx_gas(spec, input, is_create, 0, 0, 0, None);
    gas.initial_total_gas().max(gas.floor_gas)
}
