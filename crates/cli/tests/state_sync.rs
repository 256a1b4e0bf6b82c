//! State sync as a new user tries it: deploy the token, a batch of 1,000 transfers as
//! one block, roots and proofs, a read at a past height, then a snapshot exported and
//! imported into a new data dir whose root and balances match. Then what must be
//! refused: exports into the data dir, imports racing with commits or with each other
//! (separate processes).

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

/// A data dir of two blocks (two accounts funded), and its root at each height.
fn funded(dir: &Path) -> [String; 2] {
    ok(dir, &["fund", "0x00000000000000000000000000000000000000aa", "5"]);
    let first = ok(dir, &["state", "root"])["root"].as_str().unwrap().to_owned();
    ok(dir, &["fund", "0x00000000000000000000000000000000000000bb", "7"]);
    let second = ok(dir, &["state", "root"])["root"].as_str().unwrap().to_owned();
    [first, second]
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `cove` run from `cwd`: its exit code and JSON.
fn cove_in(cwd: &Path, dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cove"))
        .current_dir(cwd)
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().expect("exited normally"), v)
}

#[test]
fn export_refuses_targets_inside_the_data_dir_and_never_leaves_a_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let roots = funded(&dir);
    std::os::unix::fs::symlink(&dir, tmp.path().join("link")).unwrap();
    let before = names(&dir);
    let inside = [
        dir.join("state.redb"),
        dir.join("state.wal"),
        dir.join("LOCK"),
        dir.join("cache").join("snap"),
        dir.join("snap"),
        dir.join(".").join("state.redb"),
        tmp.path().join("link").join("state.redb"),
    ];
    for file in &inside {
        let (code, v) = cove(&dir, &["snapshot", "export", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{}: {v}", file.display());
        assert!(v["error"]["message"].as_str().unwrap().contains("inside the data directory"), "{v}");
    }
    // A relative path, from inside the data dir; and the data dir given by a link.
    let (code, v) = cove_in(&dir, Path::new("."), &["snapshot", "export", "state.redb"]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("inside the data directory"), "{v}");
    let (code, v) = cove(&tmp.path().join("link"), &["snapshot", "export", dir.join("x").to_str().unwrap()]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(names(&dir), before, "nothing written in the data dir");
    assert_eq!(ok(&dir, &["state", "root"])["root"], roots[1].as_str(), "the store still works");

    // Failures outside leave nothing either: a height not committed, a directory.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (code, v) = cove(&dir, &["snapshot", "export", "--height", "9", out.join("snap").to_str().unwrap()]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("not_found")), "{v}");
    let (code, v) = cove(&dir, &["snapshot", "export", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("is a directory"), "{v}");
    assert_eq!(names(&out), Vec::<String>::new(), "no partial file left");
    assert_eq!(names(tmp.path()), ["link", "node", "out"]);

    // And a good export, twice over the same file.
    let snap = out.join("snap");
    for height in ["1", "2"] {
        let v = ok(&dir, &["snapshot", "export", "--height", height, snap.to_str().unwrap()]);
        assert_eq!(v["height"].as_u64(), Some(height.parse().unwrap()));
    }
    assert_eq!(names(&out), ["snap"]);
}

/// Snapshots of a data dir at heights 1 and 2: (file, root) each.
fn snapshots(tmp: &Path) -> [(String, String); 2] {
    let src = tmp.join("src");
    let roots = funded(&src);
    [1, 2].map(|h| {
        let file = tmp.join(format!("snap-{h}"));
        ok(&src, &["snapshot", "export", "--height", &h.to_string(), file.to_str().unwrap()]);
        (file.to_str().unwrap().to_owned(), roots[h - 1].clone())
    })
}

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or("")
}

fn in_use(v: &Value) -> bool {
    message(v).contains("is in use by another cove process")
}

#[test]
fn an_import_racing_with_commits_of_other_processes_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, (snap, root)] = snapshots(tmp.path());
    let who = "0x00000000000000000000000000000000000000cc";
    for round in 0..3u64 {
        let dir = tmp.path().join(format!("node-{round}"));
        let funder = {
            let dir = dir.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(round * 40));
                let mut funded = 0u64;
                for _ in 0..6 {
                    let (code, v) = cove(&dir, &["fund", who, "1"]);
                    match code {
                        0 => funded += 1,
                        2 if in_use(&v) => {}
                        _ => panic!("fund: {code} {v}"),
                    }
                }
                funded
            })
        };
        let (code, v) = cove(&dir, &["snapshot", "import", &snap]);
        let imported = match code {
            0 => true,
            2 if in_use(&v) || message(&v).contains("already holds a store with blocks") => false,
            _ => panic!("import: {code} {v}"),
        };
        let funded = funder.join().unwrap();
        let balance = ok(&dir, &["balance", who]);
        assert_eq!(balance["balance"], funded.to_string(), "round {round}: every reported fund is there");
        let head = ok(&dir, &["state", "root"]);
        let imported_blocks = if imported { 2 } else { 0 };
        assert_eq!(head["height"].as_u64(), Some(imported_blocks + funded), "round {round}: {head}");
        if imported {
            assert_eq!(ok(&dir, &["state", "root", "--height", "2"])["root"], root.as_str());
            assert_eq!(ok(&dir, &["balance", "0x00000000000000000000000000000000000000bb"])["balance"], "7");
        }
        assert!(names(&dir).iter().all(|n| !n.contains("import")), "round {round}: {:?}", names(&dir));
        eprintln!("round {round}: imported {imported}, {funded} of 6 funds committed");
    }
}

#[test]
fn two_imports_at_once_give_one_store() {
    let tmp = tempfile::tempdir().unwrap();
    let snaps = snapshots(tmp.path());
    for round in 0..2 {
        let dir = tmp.path().join(format!("node-{round}"));
        let runs: Vec<_> = snaps
            .iter()
            .map(|(file, _)| {
                let (dir, file) = (dir.clone(), file.clone());
                std::thread::spawn(move || cove(&dir, &["snapshot", "import", &file]))
            })
            .collect();
        let results: Vec<(i32, Value)> = runs.into_iter().map(|r| r.join().unwrap()).collect();
        let won: Vec<usize> = (0..2).filter(|&i| results[i].0 == 0).collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        let lost = &results[1 - won[0]];
        assert_eq!(lost.0, 2, "{lost:?}");
        assert!(in_use(&lost.1) || message(&lost.1).contains("already holds a store"), "{lost:?}");
        assert_eq!(ok(&dir, &["state", "root"])["root"], snaps[won[0]].1.as_str(), "round {round}");
        assert!(names(&dir).iter().all(|n| !n.contains("import")), "{:?}", names(&dir));
    }
}
