//! The host functions of `docs/abi.md` at the level of slices and vectors, so the safe
//! API above never sees a pointer.
//!
//! On wasm32 they are the imports of module `env` (`wasm.rs`, the only `unsafe` besides
//! the allocator). In this crate's own unit tests on the host they are an in-process
//! mock (`mock.rs`). Anywhere else (the SDK built for the host outside its tests) there
//! is no cove to call, and every function panics saying so (`unavailable.rs`).

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(all(not(target_arch = "wasm32"), test))]
pub(crate) mod mock;
#[cfg(all(not(target_arch = "wasm32"), test))]
pub(crate) use mock::*;

#[cfg(all(not(target_arch = "wasm32"), not(test)))]
mod unavailable;
#[cfg(all(not(target_arch = "wasm32"), not(test)))]
pub(crate) use unavailable::*;
