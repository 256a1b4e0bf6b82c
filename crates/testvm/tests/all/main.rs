//! The Rust and C example contracts (`examples/rust`, `examples/c`) tested with the harness, and the
//! harness's own behaviour (blocks, snapshots, storage, errors).
//!
//! The modules come from `scripts/build-contracts.sh` (`docs/sdk.md`), which runs once
//! per test process (`cove_testvm::examples`); without its toolchain the tests fail naming
//! it, never skip.

mod c_token;
mod counter;
mod defi;
mod harness;
mod token;
mod voting;

/// The example module `NAME`, built by `scripts/build-contracts.sh` once per process.
pub(crate) fn contract(name: &str) -> Vec<u8> {
    cove_testvm::examples::example(name)
}

/// The repository's root (for the WAT examples).
pub(crate) fn root() -> &'static std::path::Path {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}
