//! cove's shared vocabulary.
//!
//! This crate owns the small value types every layer speaks: [`Address`], [`CodeId`],
//! [`Event`], [`BlockInfo`], [`VmType`], the consensus-visible [`ErrorKind`]s and
//! [`CallError`]; and two seams: [`ContractStorage`], through which a VM reads and
//! writes one contract's keys, and [`Precompiles`], through which it reaches
//! precompiled contracts.
//!
//! It must stay free of engines and databases: no wasmtime, no redb. Everything here is
//! plain data that crosses a layer boundary.

mod address;
mod error;
mod event;
mod precompile;
mod storage;
mod vm;

pub use address::{Address, AddressParseError, CodeId};
pub use error::{CallError, ErrorKind};
pub use event::{BlockInfo, Event};
pub use precompile::{PrecompileCall, Precompiles};
pub use storage::{ContractStorage, Lived, StorageError, StorageErrorKind};
pub use vm::{UnknownVmType, VmType};

/// Gas units. Every limit and every charge is a `Gas`.
pub type Gas = u64;

/// The largest gas limit a call may be given.
///
/// Instrumented code keeps the remaining gas in a wasm `i64` global and treats a
/// negative value as out of gas; limits above `2^63 - 1` would read as negative
/// (see `docs/gas.md`). Larger limits are clamped to this.
pub const MAX_GAS_LIMIT: Gas = i64::MAX as Gas;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}
