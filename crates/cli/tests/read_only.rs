//! Commands that only read open the store read-only: they write neither `state.redb`
//! nor `state.wal`, and a damaged block log is refused, never cut.

use std::path::Path;

mod common;
use common::cove;

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

fn store_files(dir: &Path) -> Vec<Vec<u8>> {
    ["state.redb", "state.wal"].iter().map(|f| std::fs::read(dir.join(f)).unwrap_or_default()).collect()
}

/// A data dir with a counter at 2; its address.
fn counter(dir: &Path) -> String {
    let wat = examples().join("counter.wat");
    let (code, v) = cove(dir, &["deploy", wat.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let addr = v["address"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (code, v) = cove(dir, &["call", &addr, "increment"]);
        assert_eq!(code, 0, "{v}");
    }
    addr
}

#[test]
fn read_only_commands_answer_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let addr = counter(d);
    let before = store_files(d);
    let (code, v) = cove(d, &["query", &addr, "increment"]);
    assert_eq!((code, &v["error"]["kind"]), (1, &"read_only".into()), "{v}");
    let (code, v) = cove(d, &["state", &addr]);
    assert_eq!((code, &v["entries"][0]["value_hex"]), (0, &"02000000".into()), "{v}");
    let (code, root) = cove(d, &["state", "root"]);
    assert_eq!((code, &root["height"]), (0, &3.into()), "{root}");
    let (code, v) = cove(d, &["state", "proof", &addr, &hex::encode("counter")]);
    assert_eq!((code, &v["root"]), (0, &root["root"]), "{v}");
    let (code, v) = cove(d, &["balance", &addr, "--height", "2"]);
    assert_eq!((code, &v["height"]), (0, &2.into()), "{v}");
    let (code, v) = cove(d, &["code", "list"]);
    assert_eq!((code, v["codes"].as_array().map(Vec::len)), (0, Some(1)), "{v}");
    let (code, v) = cove(d, &["estimate-gas", &addr, "increment"]);
    assert!(code == 0 && v["gas"].as_u64().is_some_and(|g| g > 0), "{v}");
    assert_eq!(store_files(d), before, "a read-only command wrote to the store");
}

#[test]
fn a_read_only_command_on_an_empty_data_dir_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = cove(dir.path(), &["state", "root"]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("no store")), "{v}");
    assert!(!dir.path().join("state.redb").exists() && !dir.path().join("state.wal").exists());
}

#[test]
fn a_damaged_block_log_is_refused_by_every_command_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let addr = counter(d);
    // A record whose length fails its checksum, with more bytes after it: not a torn tail.
    let mut log = b"COVEWAL2".to_vec();
    log.extend_from_slice(&[0xab; 100]);
    std::fs::write(d.join("state.wal"), &log).unwrap();
    for args in [&["state", "root"][..], &["query", &addr, "increment"], &["call", &addr, "increment"]] {
        let (code, v) = cove(d, args);
        assert_eq!((code, &v["error"]["kind"]), (2, &"corrupt".into()), "{args:?}: {v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("state.wal") && message.contains("byte 8"), "{args:?}: {v}");
        assert_eq!(std::fs::read(d.join("state.wal")).unwrap(), log, "{args:?} changed the log");
    }
}
