//! The chain's execution configuration through the CLI, as a new user meets it: a data
//! dir keeps the gas schedule it was created with, another `--config` schedule is refused
//! naming the setting, and `cove chain upgrade` changes it from a height on
//! (docs/chain-config.md).

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::cove;

const COUNTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/counter.wat");

/// A data dir and a directory for configuration files.
struct Dirs {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    files: PathBuf,
}

impl Dirs {
    fn new() -> Dirs {
        let tmp = tempfile::tempdir().unwrap();
        let (data, files) = (tmp.path().join("data"), tmp.path().to_path_buf());
        Dirs { _tmp: tmp, data, files }
    }

    /// Writes `text` to the file `name`; returns its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.files.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, v) = cove(&self.data, args);
        assert_eq!(code, 0, "{args:?}: {v}");
        v
    }

    /// Deploys the counter (with `config` if given); returns its address.
    fn counter(&self, config: Option<&str>) -> String {
        let mut args = config.map_or(vec![], |c| vec!["--config", c]);
        args.extend(["deploy", COUNTER]);
        self.ok(&args)["address"].as_str().unwrap().to_string()
    }

    fn head(&self) -> (u64, Value) {
        let v = self.ok(&["state", "root"]);
        (v["height"].as_u64().unwrap(), v["root"].clone())
    }
}

fn gas(v: &Value) -> u64 {
    v["gas_used"].as_u64().unwrap_or_else(|| panic!("no gas: {v}"))
}

#[test]
fn another_gas_schedule_on_an_existing_data_dir_is_refused_naming_the_setting() {
    let d = Dirs::new();
    let counter = d.counter(None);
    let first = gas(&d.ok(&["call", &counter, "increment"]));
    let head = d.head();

    let cheaper = d.file("cheaper.toml", "[wasm.gas.host]\nstorage_write = 250\n");
    for args in [
        vec!["--config", &cheaper, "call", &counter, "increment"],
        vec!["--config", &cheaper, "query", &counter, "get"],
    ] {
        let (code, v) = cove(&d.data, &args);
        assert_eq!((code, &v["error"]["kind"]), (2, &Value::from("config_mismatch")), "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("wasm.gas.host.storage_write: chain 1000, local 250"), "{message}");
    }
    assert_eq!(d.head(), head, "nothing committed");

    // A file of node-local settings, or one repeating the chain's values, is accepted,
    // and the calls run with the chain's prices.
    let local = d.file(
        "local.toml",
        "[cache]\nmemory_modules = 5\n[wasm]\ntimeout_ms = 3000\ncompiler = \"optimizing\"\n",
    );
    let same = d.file("same.toml", "max_tx_gas = 100000000\n[wasm.gas.host]\nstorage_write = 1000\n");
    let second = gas(&d.ok(&["--config", &local, "call", &counter, "increment"]));
    let third = gas(&d.ok(&["--config", &same, "call", &counter, "increment"]));
    let fourth = gas(&d.ok(&["call", &counter, "increment"]));
    assert!(first < second, "the first call read no value ({first} {second})");
    assert_eq!((third, fourth), (second, second));
}

#[test]
fn a_data_dir_created_with_a_config_keeps_its_schedule_without_it() {
    let (default, custom) = (Dirs::new(), Dirs::new());
    let cheaper = custom.file("cheaper.toml", "[wasm.gas.host]\nstorage_write = 250\n");
    let (a, b) = (default.counter(None), custom.counter(Some(&cheaper)));
    for _ in 0..2 {
        let (g_default, g_custom) =
            (gas(&default.ok(&["call", &a, "increment"])), gas(&custom.ok(&["call", &b, "increment"])));
        assert_eq!(g_custom + 750, g_default, "the chain's storage_write, 250, without --config");
    }
    let (code, v) = cove(
        &custom.data,
        &[
            "--config",
            &custom.file("default.toml", "[wasm.gas.host]\nstorage_write = 1000\n"),
            "call",
            &b,
            "increment",
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("storage_write: chain 250, local 1000"), "{v}");
}

#[test]
fn an_upgrade_at_a_height_changes_gas_from_there_and_queries_before_it_keep_theirs() {
    let d = Dirs::new();
    let counter = d.counter(None);
    // The first increment reads no value; the next ones read four bytes.
    d.ok(&["call", &counter, "increment"]);
    let before = gas(&d.ok(&["call", &counter, "increment"]));
    let upgrade = d.file("upgrade.toml", "[wasm.gas.host]\nstorage_read = 3000\nstorage_write = 250\n");
    let (head, _) = d.head();
    let at = head + 3;
    let out = d.ok(&["chain", "upgrade", "--at-height", &at.to_string(), &upgrade]);
    assert_eq!(out["height"], head + 1, "{out}");
    assert_eq!(out["activation_height"], at);
    let changes: Vec<String> = out["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["setting"], c["from"], c["to"]))
        .collect();
    assert_eq!(
        changes,
        [r#""wasm.gas.host.storage_read" "300" "3000""#, r#""wasm.gas.host.storage_write" "1000" "250""#]
    );
    let hash = out["hash"].clone();

    // Block at - 1 still runs the old prices; block `at` the new ones.
    assert_eq!(gas(&d.ok(&["call", &counter, "increment"])), before);
    assert_eq!(d.head().0, at - 1);
    let after = gas(&d.ok(&["call", &counter, "increment"]));
    assert_eq!(after, before + 2_700 - 750);

    // Queries as of each height, and the configuration in force there.
    let get = |h: u64| gas(&d.ok(&["query", &counter, "get", "--height", &h.to_string()]));
    assert_eq!(get(at), get(at - 1) + 2_700);
    assert_eq!(get(head), get(at - 1));
    let versions = d.ok(&["chain", "versions"]);
    let heights: Vec<&Value> =
        versions["versions"].as_array().unwrap().iter().map(|v| &v["activation_height"]).collect();
    assert_eq!(heights, [0, at]);
    assert_eq!(d.ok(&["chain", "show", "--height", &at.to_string()])["hash"], hash);
    let old = d.ok(&["chain", "show", "--height", &(at - 1).to_string()]);
    assert_eq!(
        (&old["activation_height"], &old["config"]["wasm"]["gas"]["host"]["storage_read"]),
        (&Value::from(0), &Value::from(300))
    );
}

#[test]
fn an_upgrade_is_refused_for_a_past_height_node_local_settings_or_a_typo() {
    let d = Dirs::new();
    d.counter(None);
    let head = d.head();
    let good = d.file("good.toml", "[wasm.gas.host]\nstorage_write = 250\n");
    let local = d.file("local.toml", "[cache]\nmemory_modules = 5\n");
    let typo = d.file("typo.toml", "[wasm.gas.host]\nstorage_wrte = 250\n");
    for (args, says) in [
        (vec!["chain", "upgrade", "--at-height", "2", &good], "must be above 2"),
        (vec!["chain", "upgrade", "--at-height", "9", &local], "node-local settings (cache.memory_modules)"),
        (vec!["chain", "upgrade", "--at-height", "9", &typo], "storage_wrte"),
    ] {
        let (code, v) = cove(&d.data, &args);
        assert_eq!((code, &v["error"]["kind"]), (2, &Value::from("invalid_argument")), "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(says), "{v}");
    }
    assert_eq!(d.head(), head, "nothing committed");
}

#[test]
fn the_config_hash_is_the_same_in_every_process_and_data_dir() {
    let (a, b, c) = (Dirs::new(), Dirs::new(), Dirs::new());
    let custom = c.file("custom.toml", "max_block_gas = 500000000\n");
    a.counter(None);
    b.counter(None);
    c.counter(Some(&custom));
    let recorded = |d: &Dirs| d.ok(&["chain", "versions"])["versions"][0]["hash"].clone();
    let hash = recorded(&a);
    assert_eq!(hash.as_str().map(str::len), Some(64), "SHA-256 of the canonical bytes: {hash}");
    assert_eq!(recorded(&b), hash, "another data dir, other processes");
    assert_eq!(a.ok(&["chain", "show"])["hash"], hash);
    assert_eq!(a.ok(&["chain", "show"])["recorded"], true);
    assert_ne!(recorded(&c), hash, "another cap, another configuration");
    assert_eq!(c.ok(&["chain", "show"])["config"]["max_block_gas"], 500_000_000);
    let (code, v) = cove(&a.data, &["--config", &custom, "chain", "show"]);
    assert_eq!(code, 2, "a's chain refuses another cap: {v}");
}

/// `cove chain show` prints TOML that `--config` and `chain upgrade` read back.
#[test]
fn chain_show_prints_a_config_file() {
    let d = Dirs::new();
    d.counter(None);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cove"))
        .args(["--data-dir", d.data.to_str().unwrap(), "chain", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# The chain's execution configuration at height 2:"), "{text}");
    let file = d.file("shown.toml", &text);
    let at_height = (d.head().0 + 2).to_string();
    let v = d.ok(&["chain", "upgrade", "--at-height", &at_height, &file]);
    assert_eq!(v["changes"], Value::Array(vec![]), "the same configuration");
    d.ok(&["--config", &file, "state", "root"]);
}
