//! Snapshots over RPC: a new data dir fetches a running node's state chunk by chunk,
//! checks it against the root and imports it; a corrupted chunk, a root other than the
//! trusted one, and out-of-range requests are refused.

use std::path::Path;

use alloy_primitives::Address;
use cove_node::RunningNode;
use cove_node::snapshot::{MAX_SNAPSHOT_CHUNK_BYTES, MAX_SNAPSHOTS};
use cove_node::snapshot_fetch::{self, FetchError};
use serde_json::{Value, json};

use crate::harness::*;
use crate::native::{address, send, tx};

/// A module of `len` bytes of data seeded by `seed`: state that takes room.
fn bulky_module(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let data: String = (0..len)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            char::from(b'a' + ((x >> 33) % 26) as u8)
        })
        .collect();
    let pages = len.div_ceil(65536);
    wat::parse_str(format!("(module (memory (export \"memory\") {pages}) (data (i32.const 0) \"{data}\"))"))
        .expect("wat")
}

/// A node whose state spans more than one chunk, with a counter at 2: the node, the
/// client and the counter.
fn busy_node(dir: &Path) -> (RunningNode, Client, Address) {
    let node = start(dir);
    let c = Client::new(&node);
    let w = Wallet::dev(6);
    let mut nonce = 0;
    let mut next = || {
        nonce += 1;
        tx(0, nonce - 1)
    };
    for seed in 0..2 {
        let mut t = next();
        t.kind = 1;
        // Its intrinsic gas and its deploy gas (about 39 M at 64 per byte).
        t.gas_limit = 60_000_000;
        t.code = bulky_module(seed, 600 << 10).into();
        let r = c.receipt(&send(&c, &w.native(&t)));
        assert_eq!(r["status"], "0x1", "{r}");
    }
    let mut t = next();
    t.kind = 1;
    t.code = wat::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat"))
        .expect("wat")
        .into();
    let counter = address(&c.receipt(&send(&c, &w.native(&t))));
    for _ in 0..2 {
        let mut t = next();
        t.kind = 4;
        t.to = counter.to_vec().into();
        t.entry = b"increment".to_vec().into();
        assert_eq!(c.receipt(&send(&c, &w.native(&t)))["status"], "0x1");
    }
    (node, c, counter)
}

/// JSON-RPC through `c`, with `tamper` applied to every answer.
fn caller<'a>(
    c: &'a Client,
    mut tamper: impl FnMut(&str, &mut Value) + 'a,
) -> impl FnMut(&str, Value) -> Result<Value, String> + 'a {
    move |method, params| {
        let r = c.raw(method, params);
        if let Some(e) = r.get("error") {
            return Err(e["message"].as_str().unwrap_or("error").to_string());
        }
        let mut v = r["result"].clone();
        tamper(method, &mut v);
        Ok(v)
    }
}

fn counter_at(dir: &Path, counter: Address) -> Vec<u8> {
    let rt = runtime::Runtime::open(dir, runtime::Config::default()).expect("open");
    let r = rt
        .at(None)
        .expect("at")
        .query(types::Address::default(), types::Address(counter.into_array()), "get", vec![], None)
        .expect("query");
    r.result.expect("get")
}

#[test]
fn a_new_data_dir_imports_a_running_nodes_state_over_rpc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, c, counter) = busy_node(&dir.path().join("node"));
    let root = c.call("cove_getStateRoot", json!([]));

    // The snapshot spans several chunks, none longer than the bound.
    let info = c.call("cove_createSnapshot", json!([]));
    assert_eq!((&info["height"], info["id"].as_u64()), (&root["height"], Some(1)), "{info}");
    let ready = loop {
        let v = c.call("cove_snapshotInfo", json!([1]));
        if v["status"] != "building" {
            break v;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!((ready["status"].as_str(), &ready["root"]), (Some("ready"), &root["root"]), "{ready}");
    assert_eq!(ready["chunkBytes"], MAX_SNAPSHOT_CHUNK_BYTES);
    let (size, chunks) = (ready["size"].as_u64().expect("size"), ready["chunks"].as_u64().expect("chunks"));
    assert!(chunks >= 2 && chunks == size.div_ceil(MAX_SNAPSHOT_CHUNK_BYTES), "{ready}");
    let last = c.call("cove_getSnapshotChunk", json!([1, chunks - 1]));
    assert_eq!(
        last.as_str().expect("hex").len() as u64,
        2 + 2 * (size - (chunks - 1) * MAX_SNAPSHOT_CHUNK_BYTES)
    );
    assert!(
        c.error("cove_getSnapshotChunk", json!([1, chunks]))["message"]
            .as_str()
            .expect("message")
            .contains("chunks")
    );
    assert!(
        c.error("cove_getSnapshotChunk", json!([9, 0]))["message"]
            .as_str()
            .expect("message")
            .contains("no snapshot 9")
    );
    // The newest ready one by default; the same height answers the same snapshot.
    assert_eq!(c.call("cove_snapshotInfo", json!([]))["id"], 1);
    assert_eq!(c.call("cove_createSnapshot", json!([root["height"]]))["id"], 1);

    // Fetched and imported, as `cove snapshot import --rpc` does, while the node runs on.
    let new = dir.path().join("joined");
    let mut call = caller(&c, |_, _| {});
    let manifest = snapshot_fetch::import(
        &mut call,
        &new,
        &runtime::Config::default(),
        None,
        root["root"].as_str(),
        &|_, _| {},
    )
    .expect("import");
    assert_eq!(format!("0x{}", manifest.root), root["root"].as_str().expect("root"));
    assert_eq!(counter_at(&new, counter), 2u32.to_le_bytes());
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "the download is removed: {leftovers:?}");
    drop(node);

    // A node runs on the restored data dir: its head is the snapshot's height, its
    // root the snapshot's, and it makes blocks on from there.
    let joined = start(&new);
    let j = Client::new(&joined);
    assert_eq!(j.call("cove_getStateRoot", json!([])), root);
    let height = u64::from_str_radix(root["height"].as_str().expect("height").trim_start_matches("0x"), 16)
        .expect("hex height");
    assert_eq!(j.call("eth_blockNumber", json!([])), format!("{height:#x}"));
    assert!(j.call("eth_getBlockByNumber", json!([format!("{height:#x}"), false]))["hash"].is_string());
    assert!(j.call("eth_getBlockByNumber", json!(["0x1", false])).is_null(), "below the snapshot: no block");
    let w = Wallet::dev(6);
    let mut t = tx(0, 5);
    t.kind = 4;
    t.to = counter.to_vec().into();
    t.entry = b"increment".to_vec().into();
    assert_eq!(j.receipt(&send(&j, &w.native(&t)))["status"], "0x1");
    assert_eq!(j.call("eth_blockNumber", json!([])), format!("{:#x}", height + 1));
}

#[test]
fn a_corrupted_chunk_or_an_untrusted_root_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_node, c, _) = busy_node(&dir.path().join("node"));
    let config = runtime::Config::default();

    // One byte flipped in the first chunk, inside the state's entries.
    let new = dir.path().join("corrupt");
    let mut flipped = false;
    let mut call = caller(&c, |method, v| {
        if method == "cove_getSnapshotChunk" && !flipped {
            let mut text = v.as_str().expect("hex").to_string();
            let at = 2 + 2 * 4096;
            let digit = if &text[at..at + 1] == "0" { "1" } else { "0" };
            text.replace_range(at..at + 1, digit);
            *v = json!(text);
            flipped = true;
        }
    });
    let e = snapshot_fetch::import(&mut call, &new, &config, None, None, &|_, _| {}).expect_err("corrupt");
    assert!(matches!(e, FetchError::Import(_)), "{e}");
    assert!(e.to_string().contains("chunk 0 does not match its hash"), "{e}");
    assert!(!new.join("state.redb").exists(), "nothing is written");

    // A consistent snapshot whose root is not the trusted one.
    let other = format!("0x{}", "11".repeat(32));
    let mut call = caller(&c, |_, _| {});
    let e =
        snapshot_fetch::import(&mut call, &new, &config, None, Some(&other), &|_, _| {}).expect_err("root");
    assert!(matches!(e, FetchError::Mismatch(_)) && e.to_string().contains("not the trusted"), "{e}");
    // A node that announces a root its file does not hold.
    let mut call = caller(&c, |method, v| {
        if method.contains("Snapshot") && v["status"] == "ready" {
            v["root"] = json!(format!("0x{}", "22".repeat(32)));
        }
    });
    let e = snapshot_fetch::import(&mut call, &new, &config, None, None, &|_, _| {}).expect_err("announced");
    assert!(e.to_string().contains("the node announced 0x2222"), "{e}");
    assert!(!new.join("state.redb").exists(), "nothing is written");
    let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
    assert!(leftovers <= 2, "no download is left behind");
}

#[test]
fn at_most_max_snapshots_are_kept_and_one_is_built_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let c = Client::new(&node);
    let w = Wallet::dev(7);
    let mut ids = Vec::new();
    for n in 0..=MAX_SNAPSHOTS as u64 {
        c.receipt(&c.send(&w.eip1559(0xc07e, n, Some(Address::repeat_byte(1)), vec![], 21_000)));
        let id = c.call("cove_createSnapshot", json!([]))["id"].as_u64().expect("id");
        loop {
            let v = c.call("cove_snapshotInfo", json!([id]));
            if v["status"] == "ready" {
                break;
            }
            assert_eq!(v["status"], "building", "{v}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        ids.push(id);
    }
    assert_eq!(c.call("cove_snapshotInfo", json!([ids[0]])), Value::Null, "the oldest is gone");
    for id in &ids[1..] {
        assert_eq!(c.call("cove_snapshotInfo", json!([id]))["status"], "ready");
    }
    assert!(
        c.error("cove_createSnapshot", json!(["0x99"]))["message"]
            .as_str()
            .expect("message")
            .contains("header not found")
    );
}
