//! Calling and creating other contracts, and running library code (`call`, `create`,
//! `library_call`, `call_result_len`, `call_result_read`; `docs/abi.md`, "Calls between
//! contracts").
//!
//! A call runs the callee one level deeper in a checkpoint nested in this contract's: if
//! it fails, everything it did is undone and this contract gets a [`CallFailure`] it may
//! handle (and go on) or propagate ([`CallFailure::propagate`] aborts with the callee's
//! message). Gas: the callee gets what [`CallOptions::gas`] names, at most all but a 64th
//! of what is left (0: as much as allowed).

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::{Decode, DecodeError, Encode};
use crate::{Address, env, host};

/// Value and gas of a call or create. `CallOptions::default()`: no value, as much gas
/// as allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Native tokens moved from this contract to the callee with the call.
    pub value: u128,
    /// The callee's gas limit; 0 for as much as the rule allows.
    pub gas: u64,
}

impl CallOptions {
    /// These options sending `value` native tokens.
    pub const fn with_value(self, value: u128) -> CallOptions {
        CallOptions { value, ..self }
    }

    /// These options limiting the callee to `gas`.
    pub const fn with_gas(self, gas: u64) -> CallOptions {
        CallOptions { gas, ..self }
    }
}

/// How a call failed: the status of `docs/abi.md` (1 trap ... 11 validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// 1: the callee trapped.
    Trap,
    /// 2: the callee ran out of gas.
    OutOfGas,
    /// 3: the callee aborted; the data is its message.
    Aborted,
    /// 4: an EVM callee reverted; the data is its revert data.
    Reverted,
    /// 5: a write (or value) inside a query.
    ReadOnly,
    /// 6: no such contract, entry point or stored code.
    NotFound,
    /// 7: the callee refused this caller.
    Unauthorized,
    /// 8: a refused argument (value beyond the balance, a salt used twice, ...).
    InvalidArgument,
    /// 9: the call would pass the chain's call-depth limit.
    CallDepth,
    /// 10: the callee is already on the call stack and reentrancy is denied.
    Reentrancy,
    /// 11: a create from code that is not cove's ABI.
    Validation,
    /// A status this SDK does not know (a newer host).
    Other(i32),
    /// Not a host status: the callee succeeded but its result did not decode as the type
    /// asked for. Its effects stand.
    BadResult(DecodeError),
}

impl Status {
    /// The status for a nonzero host status code.
    pub const fn from_code(code: i32) -> Status {
        match code {
            1 => Status::Trap,
            2 => Status::OutOfGas,
            3 => Status::Aborted,
            4 => Status::Reverted,
            5 => Status::ReadOnly,
            6 => Status::NotFound,
            7 => Status::Unauthorized,
            8 => Status::InvalidArgument,
            9 => Status::CallDepth,
            10 => Status::Reentrancy,
            11 => Status::Validation,
            other => Status::Other(other),
        }
    }
}

/// A failed call or create: its status and what the callee wrote about it (its abort
/// message or revert data; empty when the host refused or ended it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// How it failed.
    pub status: Status,
    /// The callee's abort message or revert data, if any.
    pub data: Vec<u8>,
}

impl CallFailure {
    /// The callee's message as text (lossy), for logs and [`CallFailure::propagate`].
    pub fn message(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// Aborts this contract with the callee's message, or `fallback` if it left none:
    /// the failure propagates and everything this call did is undone.
    pub fn propagate(&self, fallback: &str) -> ! {
        match core::str::from_utf8(&self.data) {
            Ok(message) if !message.is_empty() => env::abort(message),
            _ => env::abort(fallback),
        }
    }
}

/// Calls `entry` of the contract at `to` with `args` encoded, no value and as much gas as
/// allowed, and decodes its result as `R` (`()` for none): an SDK contract's entry point
/// called as it declares itself.
pub fn call<A: Encode + ?Sized, R: Decode>(to: Address, entry: &str, args: &A) -> Result<R, CallFailure> {
    let bytes = args.with_encoded(|input| call_raw(to, entry, input, CallOptions::default()))?;
    R::decode(&bytes).map_err(|e| CallFailure { status: Status::BadResult(e), data: bytes })
}

/// Calls `entry` of the contract at `to` with raw `input` bytes (for an EVM contract:
/// `entry` empty, `input` the calldata); its raw result.
pub fn call_raw(
    to: Address,
    entry: &str,
    input: &[u8],
    options: CallOptions,
) -> Result<Vec<u8>, CallFailure> {
    let status = host::call(&to.0, entry.as_bytes(), input, &value_bytes(options.value), options.gas);
    let result = host::call_result();
    match status {
        0 => Ok(result),
        code => Err(CallFailure { status: Status::from_code(code), data: result }),
    }
}

/// Runs `entry` of the code of the contract at `library` (whose `importable` flag is
/// on) in **this** contract's context, as the EVM's `DELEGATECALL`: this contract's
/// storage and address, its caller; no value moves. `gas` as [`CallOptions::gas`]. Its
/// raw result; [`Status::Unauthorized`] if the library is not importable.
pub fn library_call(library: Address, entry: &str, input: &[u8], gas: u64) -> Result<Vec<u8>, CallFailure> {
    let status = host::library_call(&library.0, entry.as_bytes(), input, gas);
    let result = host::call_result();
    match status {
        0 => Ok(result),
        code => Err(CallFailure { status: Status::from_code(code), data: result }),
    }
}

/// Creates a contract from stored code `code_id` (`cove store`) at
/// [`created_address`]`(this contract, salt, code_id)`, running its init entry point
/// `init` (`""` for none) with `args` encoded; its address. The same salt and code twice
/// fail with [`Status::InvalidArgument`].
pub fn create<A: Encode + ?Sized>(
    code_id: [u8; 32],
    salt: [u8; 32],
    init: &str,
    args: &A,
    options: CallOptions,
) -> Result<Address, CallFailure> {
    let value = value_bytes(options.value);
    let (status, address) =
        args.with_encoded(|input| host::create(&code_id, &salt, init.as_bytes(), input, &value, options.gas));
    match status {
        0 => Ok(Address(address)),
        code => Err(CallFailure { status: Status::from_code(code), data: host::call_result() }),
    }
}

/// The address [`create`] gives: the last 20 bytes of SHA-256(`"cove/create2"` ‖ creator
/// ‖ salt ‖ code id). It depends on nothing else, so a factory knows it before creating.
pub fn created_address(creator: Address, salt: &[u8; 32], code_id: &[u8; 32]) -> Address {
    let mut preimage = [0u8; 12 + 20 + 32 + 32];
    preimage[..12].copy_from_slice(b"cove/create2");
    preimage[12..32].copy_from_slice(&creator.0);
    preimage[32..64].copy_from_slice(salt);
    preimage[64..].copy_from_slice(code_id);
    let hash = crate::crypto::sha256(&preimage);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    Address(address)
}

/// A value as the host takes it: 32 bytes, big-endian.
fn value_bytes(value: u128) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[16..].copy_from_slice(&value.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;
    use alloc::vec;

    #[test]
    fn a_typed_call_encodes_its_arguments_and_decodes_the_result() {
        mock::reset();
        mock::with(|m| m.call_replies.push_back((0, 42u64.encode())));
        let out: u64 = call(Address([7; 20]), "balance", &Address([1; 20])).unwrap();
        assert_eq!(out, 42);
        let sent = mock::with(|m| m.calls.clone());
        assert_eq!(sent, vec![(Address([7; 20]).0, b"balance".to_vec(), vec![1; 20], [0; 32], 0)]);
    }

    #[test]
    fn failures_carry_status_and_data_and_bad_results_are_reported() {
        mock::reset();
        mock::with(|m| {
            m.call_replies.push_back((3, b"insufficient balance".to_vec()));
            m.call_replies.push_back((10, Vec::new()));
            m.call_replies.push_back((0, vec![1, 2]));
        });
        let e = call::<_, ()>(Address([7; 20]), "transfer", &(Address([1; 20]), 5u64)).unwrap_err();
        assert_eq!((e.status, e.message().as_str()), (Status::Aborted, "insufficient balance"));
        let e = call_raw(Address([7; 20]), "x", b"", CallOptions::default().with_value(5).with_gas(9))
            .unwrap_err();
        assert_eq!(e.status, Status::Reentrancy);
        let (value, gas) = mock::with(|m| (m.calls[1].3, m.calls[1].4));
        assert_eq!((value[31], gas), (5, 9));
        let e = call::<_, u64>(Address([7; 20]), "x", &()).unwrap_err();
        assert_eq!(e.status, Status::BadResult(DecodeError::UnexpectedEnd));
        assert_eq!(Status::from_code(99), Status::Other(99));
    }

    #[test]
    fn a_library_call_sends_no_value_and_reports_refusals() {
        mock::reset();
        mock::with(|m| m.call_replies.push_back((7, Vec::new())));
        let e = library_call(Address([4; 20]), "helper", b"in", 0).unwrap_err();
        assert_eq!(e.status, Status::Unauthorized);
        assert_eq!(
            mock::with(|m| m.calls[0].clone()),
            (Address([4; 20]).0, b"helper".to_vec(), b"in".to_vec(), [0; 32], 0)
        );
        assert_eq!(library_call(Address([4; 20]), "helper", b"", 5), Ok(Vec::new()));
    }

    #[test]
    fn create_returns_the_address_the_host_wrote() {
        mock::reset();
        mock::with(|m| m.contract = [3; 20]);
        let address = create([1; 32], [2; 32], "init", &(5u64,), CallOptions::default()).unwrap();
        assert_eq!(address, created_address(Address([3; 20]), &[2; 32], &[1; 32]));
        mock::with(|m| m.call_replies.push_back((8, Vec::new())));
        let e = create([1; 32], [2; 32], "", &(), CallOptions::default()).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
    }

    #[test]
    fn propagate_aborts_with_the_callee_message_or_the_fallback() {
        let failure = CallFailure { status: Status::Aborted, data: b"no".to_vec() };
        let caught = std::panic::catch_unwind(|| failure.propagate("token call failed")).unwrap_err();
        assert_eq!(caught.downcast_ref::<String>().map(String::as_str), Some("aborted: no"));
        let failure = CallFailure { status: Status::OutOfGas, data: Vec::new() };
        let caught = std::panic::catch_unwind(|| failure.propagate("token call failed")).unwrap_err();
        assert_eq!(caught.downcast_ref::<String>().map(String::as_str), Some("aborted: token call failed"));
    }
}
