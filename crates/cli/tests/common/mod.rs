//! Shared by the CLI's integration tests.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Runs `cove --json --data-dir DIR ARGS...`: its exit code and the JSON it printed.
pub(crate) fn cove(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("cove runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {stdout:?}; stderr: {}", String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().expect("exited normally, not by a signal"), value)
}
