//! Every file the CLI takes as input is read up to a documented most plus one byte:
//! a device without end or a file above the limit is refused at once, naming the
//! limit. And the native balance in the coin list is exact, above u128::MAX too.

use std::path::Path;

use serde_json::{Value, json};

mod common;
use common::cove;

/// Runs `args`, which must fail (exit 2, kind `invalid_argument`) with a message naming
/// `limit`.
fn refused(dir: &Path, args: &[&str], limit: &str) {
    let (code, v) = cove(dir, args);
    assert_eq!(code, 2, "{args:?}: {v}");
    assert_eq!(v["error"]["kind"], "invalid_argument", "{args:?}: {v}");
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains(limit) && message.contains("is larger than"), "{args:?}: {v}");
}

/// A sparse file of `len` bytes.
fn sparse(path: &Path, len: u64) -> &str {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
    path.to_str().unwrap()
}

#[test]
fn code_config_proof_and_batch_files_are_read_only_up_to_their_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let zero = "/dev/zero";
    let some = "0x00000000000000000000000000000000000000aa";
    refused(&dir, &["deploy", zero], "MAX_CODE_FILE_BYTES");
    refused(&dir, &["deploy", zero, "--vm", "evm"], "MAX_CODE_FILE_BYTES");
    refused(&dir, &["upgrade", some, zero], "MAX_CODE_FILE_BYTES");
    refused(&dir, &["migrate", some, zero, "--msg", "{}"], "MAX_CODE_FILE_BYTES");
    let big = tmp.path().join("big.wasm");
    refused(
        &dir,
        &["deploy", sparse(&big, (64 << 20) + 1)],
        "larger than 67108864 bytes (MAX_CODE_FILE_BYTES)",
    );
    refused(&dir, &["--config", zero, "state", "root"], "MAX_CONFIG_FILE_BYTES");
    refused(&dir, &["state", "verify-proof", zero], "MAX_PROOF_FILE_BYTES");
    let batch = tmp.path().join("big.jsonl");
    refused(&dir, &["batch", sparse(&batch, (1 << 30) + 1)], "MAX_BATCH_BYTES");
    let lines = tmp.path().join("lines.jsonl");
    std::fs::write(&lines, format!(r#"{{"op":"deploy","file":"{zero}"}}"#)).unwrap();
    refused(&dir, &["batch", lines.to_str().unwrap()], "MAX_CODE_FILE_BYTES");
    // Snapshots are read a bounded piece at a time, from a regular file only.
    let (code, v) = cove(&dir, &["snapshot", "import", zero]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("not a regular file"), "{v}");
    assert!(!dir.join("state.redb").exists(), "nothing was written");
}

#[test]
fn a_code_file_at_the_vm_limit_still_deploys() {
    let tmp = tempfile::tempdir().unwrap();
    let counter = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/counter.wat");
    let (code, v) = cove(&tmp.path().join("node"), &["deploy", counter.to_str().unwrap()]);
    assert_eq!((code, &v["status"]), (0, &json!("ok")), "{v}");
}

#[test]
fn the_coin_list_shows_a_native_balance_above_u128_max_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let who = "0x00000000000000000000000000000000000000aa";
    let max = u128::MAX.to_string();
    let (code, v) = cove(&dir, &["fund", who, &max]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cove(&dir, &["fund", who, "10"]);
    assert_eq!(code, 0, "{v}");
    let exact = "340282366920938463463374607431768211465"; // u128::MAX + 10
    assert_eq!(v["balance"], exact, "{v}");
    assert_eq!(v["coins"], json!([{"denom": "ucove", "amount": exact}]), "{v}");
    let (code, v) = cove(&dir, &["balance", who]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (&v["balance"], &v["coins"]),
        (&Value::from(exact), &json!([{"denom": "ucove", "amount": exact}]))
    );
    // Other denominations are listed beside it, as they are.
    let (code, v) = cove(&dir, &["fund", who, "7uatom"]);
    assert_eq!(code, 0, "{v}");
    let (_, v) = cove(&dir, &["balance", who]);
    assert_eq!(
        v["coins"],
        json!([{"denom": "uatom", "amount": "7"}, {"denom": "ucove", "amount": exact}]),
        "{v}"
    );
}
