//! Issue 6 as a new user tries it: deploy the token, a batch of 1,000 transfers as one
//! block, roots and proofs, a read at a past height, then a snapshot exported and
//! imported into a new data dir whose root and balances match.

use std::path::Path;

use serde_json::Value;

mod common;
use common::cove;

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (code, v) = cove(dir, args);
    assert_eq!(code, 0, "{args:?}: {v}");
    v
}

fn recipient(i: u64) -> String {
    format!("{i:040x}")
}

fn balance(dir: &Path, token: &str, who: &str, height: Option<u64>) -> String {
    let height = height.map(|h| h.to_string());
    let mut args = vec!["query", token, "balance", "--args-hex", who];
    if let Some(h) = &height {
        args.extend(["--height", h]);
    }
    ok(dir, &args)["return_hex"].as_str().unwrap().to_owned()
}

#[test]
fn batch_roots_proofs_history_and_a_snapshot_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let token_wat = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/token.wat");
    let token = ok(&dir, &["deploy", token_wat.to_str().unwrap(), "--init", "init"])["address"]
        .as_str()
        .unwrap()
        .to_owned();

    // 1,000 transfers of 1 and one that cannot be paid, as one block.
    let mut lines: Vec<String> = (1..=1_000u64)
        .map(|i| {
            format!(
                r#"{{"op":"call","address":"{token}","method":"transfer","args_hex":"{}{}"}}"#,
                recipient(i),
                hex::encode(1u64.to_le_bytes())
            )
        })
        .collect();
    lines.push(format!(
        r#"{{"op":"call","address":"{token}","method":"transfer","args_hex":"{}{}"}}"#,
        recipient(1),
        hex::encode(u64::MAX.to_le_bytes())
    ));
    lines.push(
        r#"{"op":"fund","address":"0x00000000000000000000000000000000000000aa","amount":"5"}"#.to_owned(),
    );
    let batch = tmp.path().join("transfers.jsonl");
    std::fs::write(&batch, lines.join("\n")).unwrap();
    let b = ok(&dir, &["batch", batch.to_str().unwrap()]);
    assert_eq!(
        (b["height"].as_u64(), b["transactions"].as_u64(), b["failed"].as_u64()),
        (Some(2), Some(1_002), Some(1)),
        "{}",
        b["failed"]
    );
    let results = b["results"].as_array().unwrap();
    assert_eq!(results[1_000]["error"]["kind"], "aborted", "{}", results[1_000]);
    assert_eq!(results[0]["events"][0]["topics_hex"][0], hex::encode("transfer"));
    let root = b["root"].as_str().unwrap().to_owned();
    assert_eq!(ok(&dir, &["state", "root"])["root"], root.as_str());
    assert_eq!(
        balance(&dir, &token, &recipient(1), None),
        hex::encode(1u64.to_le_bytes()),
        "the failed transfer changed nothing"
    );
    assert_eq!(
        balance(&dir, &token, &recipient(7), Some(1)),
        hex::encode(0u64.to_le_bytes()),
        "before the batch"
    );

    // Proofs: inclusion at the head, non-inclusion before the batch; a tampered file fails.
    let key = format!("62{}", recipient(7));
    let proof = ok(&dir, &["state", "proof", &token, &key]);
    assert_eq!(proof["value_hex"], hex::encode(1u64.to_le_bytes()));
    let file = tmp.path().join("proof.json");
    std::fs::write(&file, proof.to_string()).unwrap();
    let v = ok(&dir, &["state", "verify-proof", file.to_str().unwrap()]);
    assert_eq!((v["valid"].as_bool(), v["kind"].as_str()), (Some(true), Some("inclusion")));
    let old = ok(&dir, &["state", "proof", &token, &key, "--height", "1"]);
    std::fs::write(&file, old.to_string()).unwrap();
    assert_eq!(ok(&dir, &["state", "verify-proof", file.to_str().unwrap()])["kind"], "non_inclusion");
    let (code, v) = cove(&dir, &["state", "verify-proof", file.to_str().unwrap(), "--root", &root]);
    assert_eq!(
        (code, &v["valid"]),
        (1, &Value::Bool(false)),
        "the old proof is not one of the new root: {v}"
    );
    let mut forged = proof.clone();
    forged["proof"]["value_hex"] = Value::from(hex::encode(1_000u64.to_le_bytes()));
    forged["value_hex"] = forged["proof"]["value_hex"].clone();
    std::fs::write(&file, forged.to_string()).unwrap();
    let (code, v) = cove(&dir, &["state", "verify-proof", file.to_str().unwrap()]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("invalid_proof")), "{v}");
    let (code, v) = cove(&dir, &["state", "root", "--height", "3"]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("not_found")), "{v}");

    // State sync.
    let snap = tmp.path().join("state.snap");
    let exported = ok(&dir, &["snapshot", "export", snap.to_str().unwrap()]);
    assert_eq!(exported["root"], root.as_str());
    let copy = tmp.path().join("copy");
    let imported = ok(&copy, &["snapshot", "import", snap.to_str().unwrap()]);
    assert_eq!((imported["root"].as_str(), imported["height"].as_u64()), (Some(root.as_str()), Some(2)));
    assert_eq!(ok(&copy, &["state", "root"])["root"], root.as_str());
    for i in [1u64, 500, 1_000] {
        assert_eq!(balance(&copy, &token, &recipient(i), None), balance(&dir, &token, &recipient(i), None));
    }
    assert_eq!(ok(&copy, &["balance", "0x00000000000000000000000000000000000000aa"])["balance"], "5");
    let mut bytes = std::fs::read(&snap).unwrap();
    bytes[40] ^= 0xff;
    std::fs::write(&snap, bytes).unwrap();
    let other = tmp.path().join("other");
    let (code, v) = cove(&other, &["snapshot", "import", snap.to_str().unwrap()]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("rejected"), "{v}");
    assert!(!other.join("state.redb").exists(), "a rejected snapshot writes nothing");
}
