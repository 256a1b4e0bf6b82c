//! An in-process stand-in for cove, for this crate's unit tests only.
//!
//! It keeps one contract's storage, context, input, return data and events per test
//! thread, with the ABI's observable rules (values never empty, the last `return_data`
//! wins). `abort` panics with `aborted: MESSAGE` so a test can expect it. Signature
//! checks accept exactly the triples a test registered: the wrappers only pass bytes
//! through, and real verification is the host's (tested in `crates/wasm`).

extern crate std;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use sha2::Digest;

/// A call the contract made: address, entry, input, value, gas.
pub(crate) type SentCall = ([u8; 20], Vec<u8>, Vec<u8>, [u8; 32], u64);

/// The mock's whole state.
#[derive(Default)]
pub(crate) struct Mock {
    pub(crate) storage: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Entries with a life: value and expiry height.
    pub(crate) lived: BTreeMap<Vec<u8>, (Vec<u8>, u64)>,
    pub(crate) caller: [u8; 20],
    pub(crate) contract: [u8; 20],
    pub(crate) height: u64,
    pub(crate) time: u64,
    pub(crate) input: Vec<u8>,
    pub(crate) return_data: Option<Vec<u8>>,
    pub(crate) events: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) valid_signatures: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    /// The calls made: address, entry, input, value, gas.
    pub(crate) calls: Vec<SentCall>,
    /// The next calls' and creates' status and result, in order; none left: success
    /// with an empty result.
    pub(crate) call_replies: VecDeque<(i32, Vec<u8>)>,
    /// The last call's or create's result.
    pub(crate) call_result: Vec<u8>,
}

std::thread_local! {
    static MOCK: RefCell<Mock> = RefCell::new(Mock::default());
}

/// Runs `f` on this thread's mock state.
pub(crate) fn with<R>(f: impl FnOnce(&mut Mock) -> R) -> R {
    MOCK.with(|mock| f(&mut mock.borrow_mut()))
}

/// Resets this thread's mock state to empty.
pub(crate) fn reset() {
    with(|mock| *mock = Mock::default());
}

pub(crate) fn storage_read(key: &[u8]) -> Option<Vec<u8>> {
    with(|m| m.storage.get(key).cloned())
}

pub(crate) fn storage_write(key: &[u8], value: &[u8]) {
    assert!(!value.is_empty(), "invalid_argument: empty storage value");
    with(|m| m.storage.insert(key.to_vec(), value.to_vec()));
}

pub(crate) fn storage_delete(key: &[u8]) -> bool {
    with(|m| m.storage.remove(key).is_some())
}

/// The life rules of the host: 1..=2^32 blocks, expiring at `height + life`.
fn expiry(m: &Mock, life: u64) -> u64 {
    assert!((1..=1 << 32).contains(&life), "invalid_argument: a life of {life} blocks");
    m.height + life
}

/// The entry under `key` if alive at the mock's height.
fn alive(m: &Mock, key: &[u8]) -> Option<(Vec<u8>, u64)> {
    m.lived.get(key).filter(|(_, e)| *e > m.height).cloned()
}

pub(crate) fn storage_write_lived(key: &[u8], value: &[u8], life: u64) {
    assert!(!value.is_empty(), "invalid_argument: empty storage value");
    with(|m| {
        let expires = expiry(m, life);
        m.lived.insert(key.to_vec(), (value.to_vec(), expires))
    });
}

pub(crate) fn storage_read_lived(key: &[u8]) -> Option<(Vec<u8>, u64)> {
    with(|m| alive(m, key).map(|(v, e)| (v, e - m.height)))
}

pub(crate) fn storage_life(key: &[u8]) -> u64 {
    with(|m| alive(m, key).map_or(0, |(_, e)| e - m.height))
}

pub(crate) fn storage_extend_life(key: &[u8], life: u64) -> u64 {
    with(|m| {
        let wanted = expiry(m, life);
        let Some((value, expires)) = alive(m, key) else { return 0 };
        let expires = expires.max(wanted);
        m.lived.insert(key.to_vec(), (value, expires));
        expires - m.height
    })
}

pub(crate) fn storage_delete_lived(key: &[u8]) -> bool {
    with(|m| {
        let was = alive(m, key).is_some();
        m.lived.remove(key);
        was
    })
}

pub(crate) fn caller() -> [u8; 20] {
    with(|m| m.caller)
}

pub(crate) fn contract_address() -> [u8; 20] {
    with(|m| m.contract)
}

pub(crate) fn block_number() -> u64 {
    with(|m| m.height)
}

pub(crate) fn block_timestamp() -> u64 {
    with(|m| m.time)
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&sha2::Sha256::digest(data));
    out
}

pub(crate) fn verify(message: &[u8], signature: &[u8], public_key: &[u8]) -> bool {
    with(|m| {
        m.valid_signatures.iter().any(|(msg, sig, pk)| msg == message && sig == signature && pk == public_key)
    })
}

pub(crate) fn log_event(topic: &[u8], data: &[u8]) {
    with(|m| m.events.push((topic.to_vec(), data.to_vec())));
}

pub(crate) fn input() -> Vec<u8> {
    with(|m| m.input.clone())
}

pub(crate) fn return_data(bytes: &[u8]) {
    with(|m| m.return_data = Some(bytes.to_vec()));
}

pub(crate) fn abort(message: &str) -> ! {
    std::panic::panic_any(String::from("aborted: ") + message)
}

/// The identity precompile (0x04) echoes its input; no other address has one.
pub(crate) fn precompile(address: &[u8; 20], input: &[u8]) -> Option<Vec<u8>> {
    let mut identity = [0u8; 20];
    identity[19] = 4;
    (address == &identity).then(|| input.to_vec())
}

pub(crate) fn call(address: &[u8; 20], entry: &[u8], input: &[u8], value: &[u8; 32], gas: u64) -> i32 {
    with(|m| {
        m.calls.push((*address, entry.to_vec(), input.to_vec(), *value, gas));
        let (status, result) = m.call_replies.pop_front().unwrap_or_default();
        m.call_result = result;
        status
    })
}

/// Recorded as a call with no value.
pub(crate) fn library_call(library: &[u8; 20], entry: &[u8], input: &[u8], gas: u64) -> i32 {
    call(library, entry, input, &[0; 32], gas)
}

/// Succeeds at cove's derived address unless a reply says otherwise.
pub(crate) fn create(
    code_id: &[u8; 32],
    salt: &[u8; 32],
    _entry: &[u8],
    _input: &[u8],
    _value: &[u8; 32],
    _gas: u64,
) -> (i32, [u8; 20]) {
    let creator = with(|m| m.contract);
    let address = crate::calls::created_address(crate::Address(creator), salt, code_id).0;
    with(|m| {
        let (status, result) = m.call_replies.pop_front().unwrap_or_default();
        m.call_result = result;
        (status, address)
    })
}

pub(crate) fn call_result() -> Vec<u8> {
    with(|m| m.call_result.clone())
}
