//! The Rust and C example contracts (`examples/rust`, `examples/c`) as tests use them: built (or brought up
//! to date) by `scripts/build-contracts.sh` once per process, so a test command needs
//! no step before it. Without the script's toolchain a test fails naming it; it is
//! never skipped.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The path of `target/contracts/NAME.wasm`, after `scripts/build-contracts.sh` ran in
/// this process. Panics (a test's failure) if the script cannot build or the module is
/// missing after it.
pub fn example_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let out = std::process::Command::new("bash")
            .arg(root().join("scripts/build-contracts.sh"))
            .output()
            .map_err(|e| format!("bash scripts/build-contracts.sh: {e}"))?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    });
    if let Err(e) = result {
        panic!(
            "building the example contracts (`bash scripts/build-contracts.sh`) failed; it needs \
             Debian's rustc-web, cargo-web, rust-web-src, lld-19 and clang-19 (docs/sdk.md):\n{e}"
        );
    }
    let path = root().join("target/contracts").join(format!("{name}.wasm"));
    assert!(path.is_file(), "{} is missing after scripts/build-contracts.sh", path.display());
    path
}

/// The path of `target/contracts/NAME.debug.wasm`, the example built with DWARF line
/// tables, after `scripts/build-contracts.sh --debug-info` ran in this process (which
/// also builds the ordinary modules). Panics as [`example_path`] does.
pub fn example_with_debug_info_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let out = std::process::Command::new("bash")
            .arg(root().join("scripts/build-contracts.sh"))
            .arg("--debug-info")
            .output()
            .map_err(|e| format!("bash scripts/build-contracts.sh --debug-info: {e}"))?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    });
    if let Err(e) = result {
        panic!("`bash scripts/build-contracts.sh --debug-info` failed (docs/sdk.md):\n{e}");
    }
    let path = root().join("target/contracts").join(format!("{name}.debug.wasm"));
    assert!(path.is_file(), "{} is missing after scripts/build-contracts.sh --debug-info", path.display());
    path
}

/// The bytes of the example module `NAME` ([`example_path`]).
pub fn example(name: &str) -> Vec<u8> {
    let path = example_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
