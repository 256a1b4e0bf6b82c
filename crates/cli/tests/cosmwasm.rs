//! A new user's CosmWasm sessions through the CLI, on the real CosmWasm test contracts:
//! hackatom deployed (detected by its `interface_version_8` export) with funds of two
//! denominations, a label and an admin, queried, released, migrated and sudo'ed;
//! cyberpunk's `debug`, `mirror_env` and failure cases; and the same session on two
//! fresh data dirs giving the same gas, events and state root.

mod common;
#[path = "common/profile.rs"]
mod profile;

use std::path::Path;

use common::cove;
use serde_json::{Value, json};

/// The bech32 (`cove1…`) form of a 20-byte address, as the CLI accepts it.
fn human(byte: u8) -> String {
    cosmwasm::Addresses::new("cove").unwrap().humanize(&types::Address([byte; 20]))
}

fn fixture(name: &str) -> String {
    let path = bench::fixtures::path(name).unwrap_or_else(|e| panic!("{e}"));
    path.to_str().unwrap().to_string()
}

/// `cove ARGS` that must succeed: its JSON.
fn ok(dir: &Path, args: &[&str]) -> Value {
    let (code, out) = cove(dir, args);
    assert_eq!(code, 0, "cove {args:?}: {out}");
    out
}

/// A coin's amount in `cove balance`'s `coins`, 0 when absent.
fn coin(balance: &Value, denom: &str) -> String {
    let coins = balance["coins"].as_array().unwrap();
    coins.iter().find(|c| c["denom"] == denom).map_or("0".into(), |c| c["amount"].as_str().unwrap().into())
}

const CREATOR: &str = "0xc07e000000000000000000000000000000000001";

/// hackatom's session: every output a later check or the determinism test compares.
fn hackatom_session(d: &Path) -> Vec<Value> {
    let wasm = fixture("hackatom");
    let mut outputs = Vec::new();
    ok(d, &["fund", CREATOR, "5000ucove,70uatom"]);

    let msg = json!({"verifier": human(0xaa), "beneficiary": human(0xbb)}).to_string();
    let out = ok(
        d,
        &[
            "deploy",
            &wasm,
            "--msg",
            &msg,
            "--funds",
            "1000ucove,7uatom",
            "--label",
            "hack",
            "--admin",
            CREATOR,
        ],
    );
    assert_eq!(out["vm"], "cosmwasm");
    // As wasmd: the bank module's events for the funds, then the contract's.
    let types: Vec<&str> =
        out["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["coin_spent", "coin_received", "transfer", "instantiate", "wasm"]);
    let transfer = &out["events"][2]["attributes"];
    assert_eq!(transfer[2], json!({"key": "amount", "value": "7uatom,1000ucove"}));
    let address = out["address"].as_str().unwrap().to_string();
    outputs.push(out);

    let out = ok(d, &["query", &address, "--msg", r#"{"verifier":{}}"#]);
    assert_eq!(out["result"], json!({"verifier": human(0xaa)}));
    outputs.push(out);

    // A stranger may not release: nothing moves.
    let (code, out) = cove(d, &["call", &address, "--msg", r#"{"release":{}}"#]);
    assert_eq!(code, 1);
    assert_eq!(out["error"]["kind"], "aborted");
    assert_eq!(out["error"]["message"], "Unauthorized");
    let balance = ok(d, &["balance", &address]);
    assert_eq!((balance["balance"].as_str().unwrap(), coin(&balance, "uatom").as_str()), ("1000", "7"));
    outputs.push(out);

    // Sudo: the chain takes the uatom out (hackatom's `steal_funds`).
    let steal =
        json!({"steal_funds": {"recipient": human(0xdd), "amount": [{"denom": "uatom", "amount": "7"}]}});
    let out = ok(d, &["sudo", &address, "--msg", &steal.to_string()]);
    assert_eq!(coin(&ok(d, &["balance", &human(0xdd)]), "uatom"), "7");
    assert_eq!(coin(&ok(d, &["balance", &address]), "uatom"), "0");
    outputs.push(out);

    // The verifier, named in bech32, releases the rest to the beneficiary.
    let out = ok(d, &["call", &address, "--msg", r#"{"release":{}}"#, "--sender", &human(0xaa)]);
    assert_eq!(out["data_base64"], "8Auq");
    let types: Vec<&str> =
        out["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["execute", "wasm", "wasm-hackatom", "coin_spent", "coin_received", "transfer"]);
    let wasm_event = out["events"].as_array().unwrap().iter().find(|e| e["type"] == "wasm").unwrap().clone();
    assert_eq!(wasm_event["attributes"][0], json!({"key": "_contract_address", "value": human_of(&address)}));
    assert_eq!(wasm_event["attributes"][1], json!({"key": "action", "value": "release"}));
    assert_eq!(ok(d, &["balance", &human(0xbb)])["balance"], "1000");
    assert_eq!(ok(d, &["balance", &address])["coins"], json!([]));
    outputs.push(out);

    // Migrate: only the admin; hackatom's migrate sets the verifier.
    let migrate = json!({"verifier": human(0xcc)}).to_string();
    let (code, out) = cove(d, &["migrate", &address, &wasm, "--msg", &migrate, "--sender", &human(0xee)]);
    assert_eq!((code, out["error"]["kind"].as_str()), (1, Some("unauthorized")), "{out}");
    let out = ok(d, &["migrate", &address, &wasm, "--msg", &migrate, "--sender", CREATOR]);
    assert_eq!(out["events"][0]["type"], "migrate");
    assert_eq!(ok(d, &["query", &address, "--msg", r#"{"verifier":{}}"#])["result"]["verifier"], human(0xcc));
    outputs.push(out);

    outputs.push(ok(d, &["state", "root"]));
    outputs
}

/// A contract address as the CLI prints it (hex) in its bech32 form.
fn human_of(hex_address: &str) -> String {
    let a: types::Address = hex_address.parse().unwrap();
    cosmwasm::Addresses::new("cove").unwrap().humanize(&a)
}

#[test]
fn hackatom_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    hackatom_session(dir.path());
}

/// `cove cache` covers the CosmWasm cache: its stats under `cosmwasm`, pins by address
/// in it, `clear` empties it.
#[test]
fn cosmwasm_modules_in_cove_cache() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let msg = json!({"verifier": human(0xaa), "beneficiary": human(0xbb)}).to_string();
    let deployed = ok(d, &["deploy", &fixture("hackatom"), "--msg", &msg]);
    let (address, code_id) = (deployed["address"].as_str().unwrap(), deployed["code_id"].clone());
    let stats = ok(d, &["cache", "stats"]);
    assert_eq!(stats["disk"]["modules"], 0, "cove's own cache holds none: {stats}");
    assert_eq!(stats["cosmwasm"]["disk"]["modules"], 1, "{stats}");
    assert_eq!(Path::new(stats["cosmwasm"]["dir"].as_str().unwrap()), d.join("cache/cosmwasm"));

    assert_eq!(ok(d, &["cache", "pin", address])["code_id"], code_id);
    let stats = ok(d, &["cache", "stats"]);
    assert_eq!(stats["cosmwasm"]["pinned_codes"], json!([code_id]), "{stats}");
    assert_eq!(stats["pinned_codes"], json!([]), "{stats}");

    ok(d, &["cache", "clear"]);
    assert_eq!(ok(d, &["cache", "stats"])["cosmwasm"]["disk"]["modules"], 0);
    let out = ok(d, &["query", address, "--msg", r#"{"verifier":{}}"#]);
    assert_eq!(out["result"], json!({"verifier": human(0xaa)}));
}

/// The same session on two fresh data dirs: identical gas, events and state root.
#[test]
fn hackatom_is_deterministic_across_data_dirs() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, second) = (hackatom_session(a.path()), hackatom_session(b.path()));
    for (x, y) in first.iter().zip(&second) {
        assert_eq!((&x["gas_used"], &x["events"], &x["root"]), (&y["gas_used"], &y["events"], &y["root"]));
    }
    assert!(first.last().unwrap()["root"].is_string(), "the store has a root: {:?}", first.last());
}

/// empty.wasm passes validation (it has no `instantiate`, so instantiating it fails);
/// corrupted.wasm is refused as `validation`, detected as CosmWasm by its `--msg`.
#[test]
fn empty_and_corrupted_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, out) = cove(d, &["deploy", &fixture("empty"), "--msg", "{}"]);
    assert_eq!((code, out["error"]["kind"].as_str()), (1, Some("not_found")), "{out}");
    assert!(out["error"]["message"].as_str().unwrap().contains("instantiate"), "{out}");
    let (code, out) = cove(d, &["deploy", &fixture("corrupted"), "--msg", "{}"]);
    assert_eq!((code, out["error"]["kind"].as_str()), (1, Some("validation")), "{out}");
}

#[test]
fn cyberpunk_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // cyberpunk's `debug` uses ~3.3 x 10^8 gas: above the default cap (`max_tx_gas`,
    // 10^8), so it runs on a chain created with a higher one (the cap is part of the
    // chain's execution configuration: docs/chain-config.md).
    let config = d.join("high-cap.toml");
    std::fs::write(&config, "max_tx_gas = 1000000000\nmax_block_gas = 10000000000\n").unwrap();
    let config = config.to_str().unwrap();
    let out = ok(d, &["--config", config, "deploy", &fixture("cyberpunk"), "--msg", "{}"]);
    let address = out["address"].as_str().unwrap().to_string();

    // `--debug` shows what the contract printed; without it nothing is shown.
    let debug_call = [
        "--config",
        config,
        "call",
        address.as_str(),
        "--msg",
        r#"{"debug":{}}"#,
        "--gas-limit",
        "1000000000",
    ];
    let out = ok(d, &[&debug_call[..], &["--debug"]].concat());
    let debug = out["debug"].as_array().unwrap();
    assert_eq!(debug.first().unwrap(), "Hey, ho – let's go");
    assert_eq!(debug.last().unwrap(), "Work completed, bye");
    assert!(ok(d, &debug_call).get("debug").is_none());

    // mirror_env: cove's env, with the transaction's index in its block.
    use base64::Engine as _;
    let out = ok(d, &["call", &address, "--msg", r#"{"mirror_env":{}}"#]);
    let data =
        base64::engine::general_purpose::STANDARD.decode(out["data_base64"].as_str().unwrap()).unwrap();
    let env: Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(env["contract"]["address"], human_of(&address));
    assert_eq!(env["block"]["chain_id"], "cove-local");
    assert_eq!(env["transaction"], json!({"index": 0}));

    // Failures end cleanly with the state unchanged, and never hang.
    ok(d, &["call", &address, "--msg", r#"{"noop":{}}"#]);
    let (storage, root) = (ok(d, &["state", &address]), ok(d, &["state", "root"])["root"].clone());
    for (msg, kinds) in [
        // A contract messaging itself ends at the runtime's depth limit (or out of gas).
        (r#"{"message_loop":{}}"#, &["out_of_gas", "call_depth"][..]),
        (r#"{"allocate_large_memory":{"pages":1024}}"#, &["aborted", "trap"][..]),
        (r#"{"panic":{}}"#, &["aborted"][..]),
        (r#"{"unreachable":{}}"#, &["trap"][..]),
        (r#"{"cpu_loop":{}}"#, &["out_of_gas"][..]),
    ] {
        let (code, out) = cove(d, &["call", &address, "--msg", msg, "--gas-limit", "100000000"]);
        assert_eq!(code, 1, "{msg}: {out}");
        let kind = out["error"]["kind"].as_str().unwrap();
        assert!(kinds.contains(&kind), "{msg}: {out}");
        assert_eq!(ok(d, &["state", &address]), storage, "{msg} changed the contract's storage");
        assert_eq!(ok(d, &["state", "root"])["root"], root, "{msg} changed the state");
    }
}

#[test]
fn cove_profile_of_hackatom_attributes_all_its_gas() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["fund", CREATOR, "5000ucove"]);
    let msg = json!({"verifier": human(0xaa), "beneficiary": human(0xbb)}).to_string();
    let address = ok(d, &["deploy", &fixture("hackatom"), "--msg", &msg, "--funds", "1000ucove"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let (svg, folded) = (d.join("h.svg"), d.join("h.folded"));
    let release = r#"{"release":{}}"#;
    let p = ok(
        d,
        &[
            "profile",
            &address,
            "--msg",
            release,
            "--sender",
            &human(0xaa),
            "--svg",
            svg.to_str().unwrap(),
            "--folded",
            folded.to_str().unwrap(),
        ],
    );
    let gas_used = p["gas_used"].as_u64().unwrap();
    assert_eq!(p["profile"]["attributed_gas"], gas_used);
    let folded = std::fs::read_to_string(&folded).unwrap();
    assert_eq!(profile::folded_total(&folded), gas_used, "{folded}");
    let entry = format!("[cosmwasm execute];[execute {}];", human_of(&address));
    // The fixture has no name section: its exports go by their export names (the host
    // calls `allocate` for the arguments' regions, then `execute`), and the host
    // functions it calls are leaves.
    assert!(folded.lines().all(|l| l.starts_with(&entry)), "{folded}");
    for frame in ["allocate;", "execute;"] {
        assert!(folded.lines().any(|l| l.starts_with(&format!("{entry}{frame}"))), "{frame}\n{folded}");
    }
    assert!(folded.lines().any(|l| l.starts_with(&format!("{entry}execute;")) && l.contains(";db_read ")));
    let svg = std::fs::read(&svg).unwrap();
    profile::assert_xml(&svg);
    assert!(String::from_utf8(svg).unwrap().contains("db_read"));

    // Nothing was committed: the release still pays out, at exactly the profiled gas.
    let out = ok(d, &["call", &address, "--msg", release, "--sender", &human(0xaa)]);
    assert_eq!(out["gas_used"], gas_used);
}
