//! The host functions outside a cove contract and outside the SDK's own tests: there is
//! no cove to call, so each one panics saying so. A contract's logic can still be
//! unit-tested on the host if it keeps host calls out of the functions under test.

use alloc::vec::Vec;

const UNAVAILABLE: &str = "cove host functions exist only inside a contract built for wasm32 and run by cove";

fn unavailable() -> ! {
    panic!("{UNAVAILABLE}")
}

pub(crate) fn storage_read(_key: &[u8]) -> Option<Vec<u8>> {
    unavailable()
}
pub(crate) fn storage_write(_key: &[u8], _value: &[u8]) {
    unavailable()
}
pub(crate) fn storage_delete(_key: &[u8]) -> bool {
    unavailable()
}
pub(crate) fn storage_write_lived(_key: &[u8], _value: &[u8], _life: u64) {
    unavailable()
}
pub(crate) fn storage_read_lived(_key: &[u8]) -> Option<(Vec<u8>, u64)> {
    unavailable()
}
pub(crate) fn storage_life(_key: &[u8]) -> u64 {
    unavailable()
}
pub(crate) fn storage_extend_life(_key: &[u8], _life: u64) -> u64 {
    unavailable()
}
pub(crate) fn storage_delete_lived(_key: &[u8]) -> bool {
    unavailable()
}
pub(crate) fn caller() -> [u8; 20] {
    unavailable()
}
pub(crate) fn contract_address() -> [u8; 20] {
    unavailable()
}
pub(crate) fn block_number() -> u64 {
    unavailable()
}
pub(crate) fn block_timestamp() -> u64 {
    unavailable()
}
pub(crate) fn sha256(_data: &[u8]) -> [u8; 32] {
    unavailable()
}
pub(crate) fn verify(_message: &[u8], _signature: &[u8], _public_key: &[u8]) -> bool {
    unavailable()
}
pub(crate) fn log_event(_topic: &[u8], _data: &[u8]) {
    unavailable()
}
pub(crate) fn input() -> Vec<u8> {
    unavailable()
}
pub(crate) fn return_data(_bytes: &[u8]) {
    unavailable()
}
pub(crate) fn abort(_message: &str) -> ! {
    unavailable()
}
pub(crate) fn precompile(_address: &[u8; 20], _input: &[u8]) -> Option<Vec<u8>> {
    unavailable()
}
pub(crate) fn call(_address: &[u8; 20], _entry: &[u8], _input: &[u8], _value: &[u8; 32], _gas: u64) -> i32 {
    unavailable()
}
pub(crate) fn library_call(_library: &[u8; 20], _entry: &[u8], _input: &[u8], _gas: u64) -> i32 {
    unavailable()
}
pub(crate) fn create(
    _code_id: &[u8; 32],
    _salt: &[u8; 32],
    _entry: &[u8],
    _input: &[u8],
    _value: &[u8; 32],
    _gas: u64,
) -> (i32, [u8; 20]) {
    unavailable()
}
pub(crate) fn call_result() -> Vec<u8> {
    unavailable()
}
