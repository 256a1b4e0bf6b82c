//! A new user's CosmWasm session through the CLI: deploy hackatom (detected by its
//! `interface_version_8` export) with a JSON message and funds, query it, release as a
//! stranger (refused, nothing moves) and as the verifier (the beneficiary is paid).

mod common;

use common::cove;
use serde_json::json;

/// The bech32 (`cove1…`) form of a 20-byte address, as the CLI accepts it.
fn human(byte: u8) -> String {
    cosmwasm::Addresses::new("cove").unwrap().humanize(&types::Address([byte; 20]))
}

#[test]
fn hackatom_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wasm = cosmwasm::fixtures::path("hackatom").unwrap_or_else(|e| panic!("{e}"));
    let sender = "0xc07e000000000000000000000000000000000001";
    assert_eq!(cove(d, &["fund", sender, "5000"]).0, 0);

    let msg = json!({"verifier": human(0xaa), "beneficiary": human(0xbb)}).to_string();
    let (code, out) = cove(d, &["deploy", wasm.to_str().unwrap(), "--msg", &msg, "--value", "1000"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["vm"], "cosmwasm");
    let address = out["address"].as_str().unwrap().to_string();
    assert_eq!(out["cosmwasm_events"][0]["type"], "instantiate");

    let (code, out) = cove(d, &["query", &address, "--msg", r#"{"verifier":{}}"#]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["result"], json!({"verifier": human(0xaa)}));

    let (code, out) = cove(d, &["call", &address, "--msg", r#"{"release":{}}"#]);
    assert_eq!(code, 1);
    assert_eq!(out["error"]["kind"], "aborted");
    assert_eq!(out["error"]["message"], "Unauthorized");
    assert_eq!(cove(d, &["balance", &address]).1["balance"], "1000");

    // The verifier, named in bech32.
    let (code, out) = cove(d, &["call", &address, "--msg", r#"{"release":{}}"#, "--sender", &human(0xaa)]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["data_base64"], "8Auq");
    let wasm_event =
        out["cosmwasm_events"].as_array().unwrap().iter().find(|e| e["type"] == "wasm").unwrap().clone();
    assert_eq!(wasm_event["attributes"][1], json!({"key": "action", "value": "release"}));
    assert_eq!(cove(d, &["balance", &address]).1["balance"], "0");
    assert_eq!(cove(d, &["balance", &human(0xbb)]).1["balance"], "1000");
}
