//! The runtime's key layout in the state store (documented in `docs/state.md`).
//!
//! Every key starts with a one-byte namespace. Addresses and code ids are fixed length,
//! so no key of one contract can be a prefix of, or equal to, a key of another.

use types::{Address, CodeId};

/// `0x00 ++ address ++ key`: a contract's own storage.
pub(crate) const STORAGE: u8 = 0x00;
/// `0x01 ++ code_id`: original wasm bytes.
pub(crate) const CODE: u8 = 0x01;
/// `0x02 ++ address`: a contract's [`crate::ContractInfo`].
pub(crate) const CONTRACT: u8 = 0x02;
/// `0x03 ++ address`: an account's nonce (u64, big-endian).
pub(crate) const NONCE: u8 = 0x03;
/// `0x04 ++ name`: chain metadata (`height`, `timestamp`; u64 big-endian).
pub(crate) const META: u8 = 0x04;

pub(crate) fn storage_prefix(address: &Address) -> [u8; 21] {
    let mut p = [0u8; 21];
    p[0] = STORAGE;
    p[1..].copy_from_slice(&address.0);
    p
}

pub(crate) fn code(id: &CodeId) -> Vec<u8> {
    [&[CODE][..], &id.0].concat()
}

pub(crate) fn contract(address: &Address) -> Vec<u8> {
    [&[CONTRACT][..], &address.0].concat()
}

pub(crate) fn nonce(address: &Address) -> Vec<u8> {
    [&[NONCE][..], &address.0].concat()
}

pub(crate) const HEIGHT: &[u8] = &[META, b'h'];
pub(crate) const TIMESTAMP: &[u8] = &[META, b't'];

pub(crate) fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}
