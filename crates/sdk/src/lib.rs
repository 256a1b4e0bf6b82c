//! Write cove WebAssembly contracts in Rust.
//!
//! This crate owns the contract side of `docs/abi.md`: safe wrappers over every host
//! function ([`storage`], [`lived`], [`env`](mod@env), [`crypto`], [`calls`]), the one encoding of arguments, results,
//! storage values and event data ([`codec`]), the [`entry_points!`] macro, and on wasm32
//! a bump allocator with the `allocate` export the host needs and a panic handler that
//! aborts with the panic message. The macro also embeds the entry points' signatures in
//! a custom section ([`abi`]). `docs/sdk.md` is the guide.
//!
//! It is `no_std` + `alloc` with no dependencies, so a contract builds with
//! `-Zbuild-std=core,alloc` alone (`scripts/build-contracts.sh`). It must stay free of
//! anything a contract cannot run: no `std`, no clocks, no randomness. Built for the host
//! it compiles (so contract logic can be unit-tested), but host functions panic there.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod abi;
mod address;
mod allocator;
pub mod calls;
pub mod codec;
pub mod crypto;
mod entry;
pub mod env;
mod host;
pub mod lived;
mod panic;
pub mod storage;

pub use address::Address;
pub use codec::{Decode, DecodeError, Encode};

/// `String` and `Vec` for contracts, which are `no_std`.
pub mod prelude {
    pub use crate::calls::{self, CallFailure, CallOptions};
    pub use crate::codec::{Decode, Encode};
    pub use crate::{Address, entry_points, env, lived, storage};
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}
