//! Storage with a life: values that live a number of blocks, then read as absent
//! (`docs/abi.md`, "Storage with a life"; `docs/state.md`).
//!
//! A key space apart from [`crate::storage`]'s: the same key may hold a value there and
//! another here. A value set at block `b` with a life of `L` blocks reads back in blocks
//! `b..=b + L - 1` and is absent from block `b + L` on. Lives are in `1..=2^32` blocks
//! (`MAX_STORAGE_LIFE`); writing pays for bytes × life (`docs/gas.md`). In a query,
//! [`set`], [`extend`] and [`remove`] end the call with `read_only`.

use alloc::vec::Vec;

use crate::codec::{Decode, Encode};
use crate::storage::{EMPTY_VALUE, UNDECODABLE};
use crate::{env, host};

/// Stores `value` encoded under `key` for `life` blocks, this one included, replacing
/// any value with a life there. Aborts with [`EMPTY_VALUE`] if it encodes to no bytes;
/// a life of 0 or above `2^32` ends the call with `invalid_argument`.
#[inline]
pub fn set<T: Encode + ?Sized>(key: &[u8], value: &T, life: u64) {
    value.with_encoded(|bytes| {
        if bytes.is_empty() {
            env::abort(EMPTY_VALUE);
        }
        host::storage_write_lived(key, bytes, life)
    })
}

/// The value under `key` decoded as `T` and the blocks it still lives (this one
/// included), or `None` if absent or expired. Aborts with [`UNDECODABLE`] if the bytes
/// are not a `T`.
#[inline]
pub fn get<T: Decode>(key: &[u8]) -> Option<(T, u64)> {
    let (bytes, life) = host::storage_read_lived(key)?;
    match T::decode(&bytes) {
        Ok(value) => Some((value, life)),
        Err(_) => env::abort(UNDECODABLE),
    }
}

/// The raw bytes under `key` and the blocks they still live.
#[inline]
pub fn get_raw(key: &[u8]) -> Option<(Vec<u8>, u64)> {
    host::storage_read_lived(key)
}

/// The blocks the value under `key` still lives, this one included (0: absent or expired).
#[inline]
pub fn life(key: &[u8]) -> u64 {
    host::storage_life(key)
}

/// Makes the value under `key` live at least `life` blocks from this one (a longer life
/// is kept); returns the blocks it now lives, or 0 if there is none (nothing is bought).
#[inline]
pub fn extend(key: &[u8], life: u64) -> u64 {
    host::storage_extend_life(key, life)
}

/// Removes the value under `key`; true if a living value was there.
#[inline]
pub fn remove(key: &[u8]) -> bool {
    host::storage_delete_lived(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;

    fn at(height: u64) {
        mock::with(|m| m.height = height);
    }

    #[test]
    fn a_value_lives_its_blocks_and_extends() {
        mock::reset();
        at(100);
        set(b"k", &7u32, 10);
        assert_eq!(get::<u32>(b"k"), Some((7, 10)));
        at(109);
        assert_eq!((get::<u32>(b"k"), life(b"k")), (Some((7, 1)), 1));
        assert_eq!(extend(b"k", 5), 5);
        assert_eq!(extend(b"k", 2), 5, "a longer life is kept");
        at(114);
        assert_eq!(get_raw(b"k"), None);
        assert_eq!((life(b"k"), extend(b"k", 3)), (0, 0));
        // The key space is not storage's.
        assert_eq!(crate::storage::get_raw(b"k"), None);
        set(b"k", &1u8, 1);
        assert!(remove(b"k"));
        assert!(!remove(b"k"));
    }
}
