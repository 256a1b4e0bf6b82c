//! The key layout of the state store, shared by the runtime and every VM (documented
//! in `docs/state.md`).
//!
//! Every key starts with a one-byte namespace. Addresses and hashes are fixed length,
//! so no key of one account can be a prefix of, or equal to, a key of another.

use types::{Address, CodeId};

/// `0x00 ++ address ++ key`: a contract's own storage.
pub const STORAGE: u8 = 0x00;
/// `0x01 ++ code_id`: original wasm bytes.
pub const CODE: u8 = 0x01;
/// `0x02 ++ address`: a contract's [`crate::ContractInfo`].
pub const CONTRACT: u8 = 0x02;
/// `0x03 ++ address`: an account's nonce (u64, big-endian).
pub const NONCE: u8 = 0x03;
// 0x04 was chain metadata (height, timestamp) until blocks moved out of the key space
// into the store's block records; it stays unused so that old keys cannot be misread.
/// `0x05 ++ address`: an account's balance of the native token (32 bytes, big-endian;
/// absent means zero).
pub const BALANCE: u8 = 0x05;
/// `0x06 ++ keccak256(code)`: EVM runtime bytecode.
pub const EVM_CODE: u8 = 0x06;
/// `0x07 ++ address ++ denom`: an account's balance of a denomination other than the
/// native one (u128, big-endian; absent means zero). The CosmWasm bank's.
pub const BANK: u8 = 0x07;
/// `0x08 ++ tag ++ ...`: the CosmWasm VM's records: code numbers, labels
/// ([`cosmwasm_code`], [`cosmwasm_code_number`], [`cosmwasm_next_code`],
/// [`cosmwasm_label`]).
pub const COSMWASM: u8 = 0x08;
/// `0x09 ++ activation height (u64, big-endian)`: a version of the chain's execution
/// configuration, in force from that height on (the runtime's `ExecutionConfig`, in its
/// canonical bytes; `docs/chain-config.md`).
pub const EXECUTION_CONFIG: u8 = 0x09;
// 0x10 and 0x11 are storage with a life (`crate::lived`), 0x12 storage deposits
// (`crate::deposit`).
/// `0x13 ++ tag ++ ...`: the CosmWasm staking and distribution modules' records
/// (delegations, unbonding entries and their maturity index, withdraw addresses; the
/// `cove-cosmwasm` crate's `staking` module owns the layout).
pub const STAKING: u8 = 0x13;

/// The prefix of every storage key of a contract.
pub fn storage_prefix(address: &Address) -> [u8; 21] {
    let mut p = [0u8; 21];
    p[0] = STORAGE;
    p[1..].copy_from_slice(&address.0);
    p
}

/// The key of stored wasm by its code id.
pub fn code(id: &CodeId) -> Vec<u8> {
    [&[CODE][..], &id.0].concat()
}

/// The key of a contract's record ([`crate::ContractInfo`]).
pub fn contract(address: &Address) -> [u8; 21] {
    account_key(CONTRACT, address)
}

/// The key of an account's nonce.
pub fn nonce(address: &Address) -> [u8; 21] {
    account_key(NONCE, address)
}

/// The key of an account's native balance.
pub fn balance(address: &Address) -> [u8; 21] {
    account_key(BALANCE, address)
}

/// `namespace ++ address`, on the stack: these keys are built on every account read.
fn account_key(namespace: u8, address: &Address) -> [u8; 21] {
    let mut k = [0u8; 21];
    k[0] = namespace;
    k[1..].copy_from_slice(&address.0);
    k
}

/// The key of a 32-byte EVM storage slot, on the stack.
pub fn slot(address: &Address, slot: &[u8; 32]) -> [u8; 53] {
    let mut k = [0u8; 53];
    k[..21].copy_from_slice(&account_key(STORAGE, address));
    k[21..].copy_from_slice(slot);
    k
}

/// The key of EVM bytecode by its keccak-256 hash.
pub fn evm_code(hash: &[u8; 32]) -> Vec<u8> {
    [&[EVM_CODE][..], hash].concat()
}

/// The key of one storage slot of a contract.
pub fn storage(address: &Address, key: &[u8]) -> Vec<u8> {
    [&storage_prefix(address)[..], key].concat()
}

/// The key of `address`'s balance of `denom` (not the native denomination).
pub fn bank(address: &Address, denom: &str) -> Vec<u8> {
    [&account_key(BANK, address)[..], denom.as_bytes()].concat()
}

/// The prefix of every [`bank`] key of `address`.
pub fn bank_prefix(address: &Address) -> [u8; 21] {
    account_key(BANK, address)
}

/// The key of CosmWasm code number `n` (value: the [`CodeId`] ++ the creator).
pub fn cosmwasm_code(n: u64) -> Vec<u8> {
    [&[COSMWASM, 0][..], &n.to_be_bytes()].concat()
}

/// The key of the CosmWasm code number of `id` (value: u64, big-endian).
pub fn cosmwasm_code_number(id: &CodeId) -> Vec<u8> {
    [&[COSMWASM, 1][..], &id.0].concat()
}

/// The key of the next CosmWasm code number to assign (value: u64; absent means 1).
pub fn cosmwasm_next_code() -> Vec<u8> {
    vec![COSMWASM, 2]
}

/// The key of a CosmWasm contract's label.
pub fn cosmwasm_label(address: &Address) -> Vec<u8> {
    [&[COSMWASM, 3][..], &address.0].concat()
}

/// The key of the version of the execution configuration in force from block
/// `activation` on.
pub fn execution_config(activation: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = EXECUTION_CONFIG;
    k[1..].copy_from_slice(&activation.to_be_bytes());
    k
}

/// Decodes a big-endian u64 value.
pub fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}
