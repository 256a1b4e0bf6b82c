//! cove's own WASM ABI behind [`vm::VirtualMachine`].
//!
//! This crate is the adapter between the seam (`cove-vm`) and the engine (`cove-wasm`),
//! as `cove-evm` is for revm and `cove-cosmwasm` for CosmWasm's ABI. It owns:
//!
//! * [`WasmVm`]: create (store the code, derive the address, record the contract, run
//!   the init entry point) and call (move the value, fetch the linked module from the
//!   tiered cache `cove-cache`, run the entry point), and a call's gas profile
//!   ([`WasmVm::profile`], from a profiling compile that bypasses the cache) and a
//!   call under a step debugger ([`WasmVm::debug`], on the same compile);
//! * [`Coverage`]: a coverage session, once [`WasmVm::enable_coverage`] is called (every
//!   call then runs from a coverage compile that bypasses the cache);
//! * [`ContractView`]: the window one call has onto the block's journal, every key
//!   under the contract's own prefix (`docs/state.md`);
//! * [`Calls`]: the engine's `call`, `create` and `library_call` host functions, handed
//!   to the runtime's dispatch with the caller's environment (its depth and call stack);
//! * the app flags a contract of cove's ABI honours itself: `public` (a message with no
//!   entry point moves its value and runs nothing) and `importable` (whose code
//!   [`WasmVm::library_call`] runs in another contract's context).
//!
//! It sits in a crate of its own rather than inside `cove-wasm` because the engine is
//! shared by both WASM ABIs and must not know the journal, and the module cache, which
//! this adapter needs, is built on the engine.
//!
//! It must not know blocks, transactions or other VMs: the runtime reverts a failed
//! message's writes and dispatches messages to VMs.

mod adapter;
pub mod coverage;
mod debug;
mod view;

pub use adapter::{ModuleCache, WasmVm, stored_code, transfer};
pub use coverage::{CodeReport, Coverage, MAX_COVERED_CODES};
pub use view::{Calls, ContractView};
