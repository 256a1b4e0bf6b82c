//! The contract's own storage: byte keys, values in the SDK's encoding.
//!
//! Keys are at most 1 KiB and values 128 KiB (`docs/abi.md`). cove never stores an
//! empty value, so a value that encodes to no bytes (`()`) cannot be stored: [`set`]
//! aborts instead. In a query, writes and removals end the call with `read_only`.

use alloc::vec::Vec;

use crate::codec::{Decode, Encode};
use crate::{env, host};

/// The message [`get`] aborts with when a stored value does not decode as asked.
pub const UNDECODABLE: &str = "storage: stored value does not decode as the requested type";
/// The message [`set`] aborts with for a value that encodes to no bytes.
pub const EMPTY_VALUE: &str = "storage: a value must encode to at least one byte";

/// The value under `key` decoded as `T`, or `None` if the key is absent. Aborts with
/// [`UNDECODABLE`] if the bytes are not a `T`.
#[inline]
pub fn get<T: Decode>(key: &[u8]) -> Option<T> {
    let bytes = host::storage_read(key)?;
    match T::decode(&bytes) {
        Ok(value) => Some(value),
        Err(_) => env::abort(UNDECODABLE),
    }
}

/// The value under `key` decoded as `T`, or `T::default()` if the key is absent.
#[inline]
pub fn get_or_default<T: Decode + Default>(key: &[u8]) -> T {
    get(key).unwrap_or_default()
}

/// Stores `value` encoded under `key`. Aborts with [`EMPTY_VALUE`] if it encodes to
/// no bytes.
#[inline]
pub fn set<T: Encode + ?Sized>(key: &[u8], value: &T) {
    value.with_encoded(|bytes| {
        if bytes.is_empty() {
            env::abort(EMPTY_VALUE);
        }
        host::storage_write(key, bytes)
    })
}

/// Removes `key`; true if a value was there.
#[inline]
pub fn remove(key: &[u8]) -> bool {
    host::storage_delete(key)
}

/// Whether `key` holds a value (reads it: the same gas as [`get_raw`]).
#[inline]
pub fn contains(key: &[u8]) -> bool {
    host::storage_read(key).is_some()
}

/// The raw bytes under `key`.
#[inline]
pub fn get_raw(key: &[u8]) -> Option<Vec<u8>> {
    host::storage_read(key)
}

/// Stores raw bytes under `key`; an empty `value` ends the call with `invalid_argument`.
#[inline]
pub fn set_raw(key: &[u8], value: &[u8]) {
    host::storage_write(key, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Address;
    use crate::host::mock;
    use alloc::string::String;

    #[test]
    fn typed_values_round_trip_in_the_documented_encoding() {
        mock::reset();
        assert_eq!(get::<u64>(b"n"), None);
        assert_eq!(get_or_default::<u64>(b"n"), 0);
        set(b"n", &42u64);
        assert_eq!(get::<u64>(b"n"), Some(42));
        assert_eq!(get_raw(b"n"), Some(42u64.to_le_bytes().to_vec()));
        set(b"who", &(Address([5; 20]), String::from("x")));
        assert_eq!(get::<(Address, String)>(b"who"), Some((Address([5; 20]), String::from("x"))));
        assert!(contains(b"n"));
        assert!(remove(b"n"));
        assert!(!remove(b"n"));
        assert!(!contains(b"n"));
    }

    #[test]
    #[should_panic(expected = "aborted: storage: stored value does not decode")]
    fn a_value_of_the_wrong_type_aborts() {
        mock::reset();
        set_raw(b"k", &[1, 2, 3]);
        let _ = get::<u64>(b"k");
    }

    #[test]
    #[should_panic(expected = "aborted: storage: a value must encode to at least one byte")]
    fn an_empty_value_aborts_before_the_host_refuses_it() {
        mock::reset();
        set(b"k", &());
    }
}
