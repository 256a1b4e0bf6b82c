//! Gas limits above the configured cap are refused through the CLI, with kind
//! `invalid_argument` and a message naming the cap, never clamped; nothing is committed.

use std::path::Path;

use serde_json::Value;

mod common;
use common::cove;

fn counter(dir: &Path) -> String {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat"));
    let (code, v) = cove(dir, &["deploy", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    v["address"].as_str().expect("address").to_string()
}

fn refused(code: i32, v: &Value) {
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "invalid_argument", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("max_tx_gas = 100000000"), "{message}");
}

#[test]
fn a_gas_limit_above_the_cap_is_refused_never_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let addr = counter(dir.path());
    let (_, root) = cove(dir.path(), &["state", "root"]);
    for limit in ["100000001", "9223372036854775807", "9223372036854775808", "18446744073709551615"] {
        let (code, v) = cove(dir.path(), &["call", &addr, "increment", "--gas-limit", limit]);
        refused(code, &v);
        let (code, v) = cove(dir.path(), &["query", &addr, "get", "--gas-limit", limit]);
        refused(code, &v);
    }
    let batch = dir.path().join("txs.jsonl");
    let line = format!(r#"{{"op":"call","address":"{addr}","method":"increment","gas_limit":100000001}}"#);
    std::fs::write(&batch, line).unwrap();
    let (code, v) = cove(dir.path(), &["batch", batch.to_str().unwrap()]);
    refused(code, &v);
    // Nothing was committed.
    let (_, after) = cove(dir.path(), &["state", "root"]);
    assert_eq!(after, root);
    // The cap itself is accepted.
    let (code, v) = cove(dir.path(), &["call", &addr, "increment", "--gas-limit", "100000000"]);
    assert_eq!(code, 0, "{v}");
}
