//! The counter of `examples/counter.wat`, in Rust.
//!
//! `increment` adds one to the `u32` under key `counter` and returns the new value
//! (4 bytes little-endian: `01000000`, `02000000`, ...); `get` reads it without writing.
//! Storage is byte for byte that of the WAT contract.
#![no_std]

use cove_sdk::{entry_points, storage};

const KEY: &[u8] = b"counter";

entry_points! {
    /// Adds one to the counter and returns the new value.
    pub fn increment() -> u32 {
        let next = get().wrapping_add(1);
        storage::set(KEY, &next);
        next
    }

    /// The counter, 0 before the first increment.
    pub fn get() -> u32 {
        storage::get_or_default(KEY)
    }
}
