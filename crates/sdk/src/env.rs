//! The call's context and its ends: who called, which contract, which block, the input,
//! the return data, events and aborting.

use alloc::vec::Vec;

use crate::codec::{Decode, Encode};
use crate::{Address, host};

/// The account or contract that made this call (`get_caller`).
#[inline]
pub fn caller() -> Address {
    Address(host::caller())
}

/// This contract's own address (`get_contract_address`).
#[inline]
pub fn contract_address() -> Address {
    Address(host::contract_address())
}

/// The block height (`get_block_number`).
#[inline]
pub fn block_height() -> u64 {
    host::block_number()
}

/// The block time in unix seconds (`get_block_timestamp`).
#[inline]
pub fn block_time() -> u64 {
    host::block_timestamp()
}

/// The call's raw input bytes (`input_len` + `input_read`). Entry points declared with
/// [`entry_points!`](crate::entry_points) receive it already decoded.
#[inline]
pub fn input() -> Vec<u8> {
    host::input()
}

/// The call's input decoded as `T`, or the call aborts with a `bad input: ...` message.
#[inline]
pub fn input_as<T: Decode>() -> T {
    match T::decode(&host::input()) {
        Ok(value) => value,
        Err(error) => abort(error.message()),
    }
}

/// Sets the call's return bytes (`return_data`); the last call wins.
#[inline]
pub fn set_return_data(bytes: &[u8]) {
    host::return_data(bytes)
}

/// Sets the call's return bytes to `value` encoded. A value that encodes to no bytes
/// (`()`) makes no host call: the return bytes are empty either way.
#[inline]
pub fn set_return<T: Encode + ?Sized>(value: &T) {
    value.with_encoded(|bytes| {
        if !bytes.is_empty() {
            host::return_data(bytes);
        }
    })
}

/// Ends the call with kind `aborted` and this message; state and events roll back.
/// cove keeps at most `MAX_ABORT_MSG_LEN` (1 KiB) of it.
#[inline]
pub fn abort(message: &str) -> ! {
    host::abort(message)
}

/// Aborts with `message` unless `condition` holds: the contract's `require`.
#[inline]
pub fn require(condition: bool, message: &str) {
    if !condition {
        abort(message)
    }
}

/// Appends an event with this topic and raw data (`log_event`); events are kept only if
/// the call succeeds. Topics are at most 256 bytes, data 64 KiB (`docs/abi.md`).
#[inline]
pub fn emit_raw(topic: &[u8], data: &[u8]) {
    host::log_event(topic, data)
}

/// Appends an event with this topic and `data` encoded.
#[inline]
pub fn emit<T: Encode + ?Sized>(topic: &str, data: &T) {
    data.with_encoded(|bytes| host::log_event(topic.as_bytes(), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;
    use alloc::string::String;
    use alloc::vec;

    #[test]
    fn context_comes_from_the_host() {
        mock::reset();
        mock::with(|m| {
            m.caller = [1; 20];
            m.contract = [2; 20];
            m.height = 7;
            m.time = 1_700_000_000;
        });
        assert_eq!(caller(), Address([1; 20]));
        assert_eq!(contract_address(), Address([2; 20]));
        assert_eq!(block_height(), 7);
        assert_eq!(block_time(), 1_700_000_000);
    }

    #[test]
    fn input_decodes_and_return_data_encodes() {
        mock::reset();
        mock::with(|m| m.input = (Address([3; 20]), 9u64).encode());
        assert_eq!(input_as::<(Address, u64)>(), (Address([3; 20]), 9));
        set_return(&5u32);
        assert_eq!(mock::with(|m| m.return_data.clone()), Some(vec![5, 0, 0, 0]));
        set_return_data(b"last wins");
        assert_eq!(mock::with(|m| m.return_data.clone()), Some(b"last wins".to_vec()));
    }

    #[test]
    fn a_unit_result_sets_no_return_data() {
        mock::reset();
        set_return(&());
        assert_eq!(mock::with(|m| m.return_data.clone()), None);
    }

    #[test]
    #[should_panic(expected = "aborted: bad input: trailing bytes")]
    fn bad_input_aborts_with_the_decode_error() {
        mock::reset();
        mock::with(|m| m.input = vec![0; 29]);
        let _: (Address, u64) = input_as();
    }

    #[test]
    #[should_panic(expected = "aborted: not the owner")]
    fn require_aborts_with_its_message() {
        require(true, "never");
        require(false, "not the owner");
    }

    #[test]
    fn events_carry_topic_and_encoded_data() {
        mock::reset();
        emit("named", &String::from("ab"));
        emit_raw(b"raw", &[1, 2]);
        let events = mock::with(|m| m.events.clone());
        assert_eq!(
            events,
            vec![(b"named".to_vec(), vec![2, 0, 0, 0, b'a', b'b']), (b"raw".to_vec(), vec![1, 2])]
        );
    }
}
