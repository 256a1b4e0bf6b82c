//! The Rust example contracts (`examples/rust`) tested with the harness, and the
//! harness's own behaviour (blocks, snapshots, storage, errors).
//!
//! The modules come from `scripts/build-contracts.sh` (`docs/sdk.md`), which runs once
//! per test process; without its toolchain the tests fail naming it, never skip.

mod counter;
mod harness;
mod token;
mod voting;

use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The module `target/contracts/NAME.wasm`, built (or brought up to date) by
/// `scripts/build-contracts.sh` once per test process.
pub(crate) fn contract(name: &str) -> Vec<u8> {
    static BUILT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let out = std::process::Command::new("bash")
            .arg(root().join("scripts/build-contracts.sh"))
            .output()
            .map_err(|e| format!("bash scripts/build-contracts.sh: {e}"))?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    });
    if let Err(e) = result {
        panic!(
            "building the Rust example contracts (`bash scripts/build-contracts.sh`) failed; it needs \
             Debian's rustc-web, cargo-web, rust-web-src and lld-19 (docs/sdk.md):\n{e}"
        );
    }
    let path = root().join("target/contracts").join(format!("{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{} after scripts/build-contracts.sh: {e}", path.display()))
}
