//! The Rust example contracts (`examples/rust`, built with cove-sdk) as a user drives
//! them: `cove deploy` of the built `.wasm`, `cove call`, `cove query`.
//!
//! The modules come from `scripts/build-contracts.sh` (`docs/sdk.md`), which the tests
//! run first; without its toolchain they fail naming it, they are never skipped.

use std::path::{Path, PathBuf};

use sdk::{Address, Encode};
use serde_json::Value;

mod common;
use common::cove;
#[path = "common/coverage.rs"]
mod coverage;
#[path = "common/profile.rs"]
mod profile;
use profile::{assert_xml, folded_total};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `target/contracts/NAME.wasm`, built by `scripts/build-contracts.sh` once per test
/// process (`testvm::examples`).
fn built(name: &str) -> PathBuf {
    testvm::examples::example_path(name)
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (code, v) = cove(dir, args);
    assert_eq!(code, 0, "cove {args:?}: {v}");
    v
}

fn deploy(dir: &Path, file: &Path, extra: &[&str]) -> String {
    let mut args = vec!["deploy", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    ok(dir, &args)["address"].as_str().expect("address").to_string()
}

fn hex_args(value: &impl Encode) -> String {
    hex::encode(value.encode())
}

fn address(s: &str) -> Address {
    let bytes = hex::decode(s.trim_start_matches("0x")).unwrap();
    Address(bytes.try_into().unwrap())
}

#[test]
fn rust_counter_behaves_like_the_wat_counter() {
    let dir = tempfile::tempdir().unwrap();
    let rust = deploy(dir.path(), &built("counter"), &[]);
    let wat = deploy(dir.path(), &root().join("examples/counter.wat"), &[]);
    for expected in ["01000000", "02000000", "03000000"] {
        for addr in [&rust, &wat] {
            assert_eq!(ok(dir.path(), &["call", addr, "increment"])["return_hex"], expected);
        }
    }
    assert_eq!(ok(dir.path(), &["query", &rust, "get"])["return_hex"], "03000000");
    let (code, v) = cove(dir.path(), &["query", &rust, "increment"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "read_only");
    // The same storage, byte for byte.
    assert_eq!(ok(dir.path(), &["state", &rust])["entries"], ok(dir.path(), &["state", &wat])["entries"]);
    // An argument where none is taken is refused before the body runs.
    let (code, v) = cove(dir.path(), &["call", &rust, "increment", "--args-hex", "00"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "aborted");
    assert_eq!(v["error"]["message"], "bad input: trailing bytes");
}

/// Deploys the Rust token as "Cove"/"COV" with `supply` minted to the default sender.
fn deploy_token(dir: &Path, supply: u64) -> String {
    let init = hex_args(&("Cove", "COV", supply));
    deploy(dir, &built("token"), &["--init", "init", "--args-hex", &init])
}

fn balance(dir: &Path, token: &str, owner: Address) -> u64 {
    let v = ok(dir, &["query", token, "balance", "--args-hex", &hex_args(&owner)]);
    let bytes: [u8; 8] = hex::decode(v["return_hex"].as_str().unwrap()).unwrap().try_into().unwrap();
    u64::from_le_bytes(bytes)
}

#[test]
fn rust_token_alice_pays_bob() {
    let dir = tempfile::tempdir().unwrap();
    let token = deploy_token(dir.path(), 1000);
    let alice = address(&runtime::DEFAULT_SENDER.to_string());
    let bob = Address([0xb0; 20]);

    assert_eq!(ok(dir.path(), &["query", &token, "name"])["return_hex"], hex_args(&"Cove"));
    assert_eq!(ok(dir.path(), &["query", &token, "symbol"])["return_hex"], hex_args(&"COV"));
    assert_eq!(ok(dir.path(), &["query", &token, "total_supply"])["return_hex"], hex_args(&1000u64));

    let v = ok(dir.path(), &["call", &token, "transfer", "--args-hex", &hex_args(&(bob, 100u64))]);
    assert_eq!(v["return_hex"], "");
    assert_eq!(v["events"][0]["contract"], token);
    assert_eq!(v["events"][0]["topics_hex"][0], hex::encode("transfer"));
    assert_eq!(v["events"][0]["data_hex"], hex_args(&(alice, bob, 100u64)));
    assert_eq!(balance(dir.path(), &token, alice), 900);
    assert_eq!(balance(dir.path(), &token, bob), 100);

    // Bob has 100 and cannot send 101: aborted, nothing changed.
    let bob_hex = bob.to_string();
    let (code, v) = cove(
        dir.path(),
        &["call", &token, "transfer", "--args-hex", &hex_args(&(alice, 101u64)), "--sender", &bob_hex],
    );
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "aborted");
    assert_eq!(v["error"]["message"], "insufficient balance");
    assert_eq!(balance(dir.path(), &token, bob), 100);

    // A short input is refused by the decoder, not read past.
    let (code, v) = cove(dir.path(), &["call", &token, "transfer", "--args-hex", &"00".repeat(27)]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["message"], "bad input: too short");
}

/// The gas of the second of two transfers of 5 to the same recipient (the path every
/// later transfer takes: both balances found).
fn second_transfer_gas(dir: &Path, token: &str) -> u64 {
    let args = hex_args(&(Address([0xaa; 20]), 5u64));
    ok(dir, &["call", token, "transfer", "--args-hex", &args]);
    ok(dir, &["call", token, "transfer", "--args-hex", &args])["gas_used"].as_u64().unwrap()
}

#[test]
fn rust_token_transfer_gas_and_module_sizes_are_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let rust = deploy_token(dir.path(), 1_000_000);
    let wat = deploy(dir.path(), &root().join("examples/token.wat"), &["--init", "init"]);
    let (rust_gas, wat_gas) = (second_transfer_gas(dir.path(), &rust), second_transfer_gas(dir.path(), &wat));
    let counter_bytes = std::fs::metadata(built("counter")).unwrap().len();
    let token_bytes = std::fs::metadata(built("token")).unwrap().len();
    println!(
        "transfer gas: Rust {rust_gas}, WAT {wat_gas} ({:.2}x); counter.wasm {counter_bytes} B, token.wasm {token_bytes} B",
        rust_gas as f64 / wat_gas as f64
    );
    // docs/sdk.md records the figures; these are the bounds the SDK promises.
    assert!(rust_gas * 2 <= wat_gas * 3, "Rust transfer {rust_gas} gas > 1.5 x WAT {wat_gas}");
    assert!(counter_bytes < 20 * 1024, "a minimal Rust contract is {counter_bytes} bytes, over 20 KiB");
}

fn deploy_poll(dir: &Path) -> String {
    let options: Vec<String> = ["tea", "coffee", "water"].map(String::from).to_vec();
    let init = hex_args(&("Best drink?", options));
    deploy(dir, &built("voting"), &["--init", "init", "--args-hex", &init])
}

fn vote(dir: &Path, poll: &str, voter: Address, option: u32) -> (i32, Value) {
    let voter = voter.to_string();
    cove(dir, &["call", poll, "vote", "--args-hex", &hex_args(&option), "--sender", &voter])
}

#[test]
fn rust_voting_counts_one_vote_per_account_until_the_chair_closes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let poll = deploy_poll(d);
    let chair = address(&runtime::DEFAULT_SENDER.to_string());
    let (a, b, c) = (Address([0xa1; 20]), Address([0xb2; 20]), Address([0xc3; 20]));
    assert_eq!(ok(d, &["query", &poll, "question"])["return_hex"], hex_args(&"Best drink?"));

    let (code, v) = vote(d, &poll, a, 1);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["events"][0]["topics_hex"][0], hex::encode("vote"));
    assert_eq!(v["events"][0]["data_hex"], hex_args(&(a, 1u32)));
    assert_eq!(vote(d, &poll, b, 1).0, 0);
    assert_eq!(vote(d, &poll, c, 2).0, 0);
    for (voter, option, message) in [(a, 0, "already voted"), (chair, 3, "no such option")] {
        let (code, v) = vote(d, &poll, voter, option);
        assert_eq!(code, 1);
        assert_eq!(v["error"]["message"], message);
    }
    assert_eq!(ok(d, &["query", &poll, "tally"])["return_hex"], hex_args(&vec![0u64, 2, 1]));
    assert_eq!(
        ok(d, &["query", &poll, "vote_of", "--args-hex", &hex_args(&c)])["return_hex"],
        hex_args(&Some(2u32))
    );
    assert_eq!(
        ok(d, &["query", &poll, "vote_of", "--args-hex", &hex_args(&chair)])["return_hex"],
        hex_args(&None::<u32>)
    );

    let a_hex = a.to_string();
    let (code, v) = cove(d, &["call", &poll, "close", "--sender", &a_hex]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["message"], "only the chair can close the poll");
    let v = ok(d, &["call", &poll, "close"]);
    assert_eq!(v["events"][0]["data_hex"], hex_args(&(1u32, 2u64)));
    let closed_at = ok(d, &["query", &poll, "closed_at"])["return_hex"].as_str().unwrap().to_string();
    assert_eq!(&closed_at[..2], "01", "Some(height): {closed_at}");
    assert_eq!(vote(d, &poll, chair, 0).1["error"]["message"], "the poll is closed");
    assert_eq!(ok(d, &["query", &poll, "winner"])["return_hex"], hex_args(&1u32));
}

#[test]
fn a_rust_panic_aborts_with_its_message_and_location() {
    let dir = tempfile::tempdir().unwrap();
    let poll = deploy_poll(dir.path());
    let (code, v) = cove(dir.path(), &["query", &poll, "winner"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "aborted");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("panicked at ") && message.contains("src/lib.rs:"), "{message}");
    assert!(message.ends_with(": no votes cast"), "{message}");
}

/// The lines of a module's `cove_abi` custom section, parsed.
fn abi_lines(module: &Path) -> Vec<Value> {
    let code = std::fs::read(module).unwrap();
    let mut sections = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&code) {
        if let wasmparser::Payload::CustomSection(section) = payload.unwrap()
            && section.name() == sdk::abi::SECTION
        {
            sections.push(std::str::from_utf8(section.data()).unwrap().to_string());
        }
    }
    assert_eq!(sections.len(), 1, "one {} section", sdk::abi::SECTION);
    sections[0].lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn the_macro_embeds_every_entry_point_signature() {
    let token = abi_lines(&built("token"));
    let names: Vec<&str> = token.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["init", "transfer", "balance", "name", "symbol", "total_supply"]);
    assert_eq!(
        token[1],
        serde_json::json!({"name": "transfer", "args": [{"name": "to", "type": "Address"},
            {"name": "amount", "type": "u64"}], "result": "()"})
    );
    assert_eq!(token[2]["result"], "u64");
    let voting = abi_lines(&built("voting"));
    let init = voting.iter().find(|e| e["name"] == "init").unwrap();
    assert_eq!(init["args"][1], serde_json::json!({"name": "options", "type": "Vec<String>"}));
    let vote_of = voting.iter().find(|e| e["name"] == "vote_of").unwrap();
    assert_eq!(vote_of["result"], "Option<u32>");
    assert_eq!(abi_lines(&built("counter")).len(), 2);
}

#[test]
fn json_arguments_and_results_through_the_abi_section() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let init = r#"{"name": "Cove", "symbol": "COV", "supply": 1000}"#;
    let token = deploy(d, &built("token"), &["--init", "init", "--args", init]);
    let bob = format!("0x{}", "bb".repeat(20));
    let v = ok(d, &["call", &token, "transfer", "--args", &format!(r#"{{"to": "{bob}", "amount": 250}}"#)]);
    assert_eq!(v["result"], Value::Null);
    assert_eq!(v["events"][0]["data_hex"].as_str().unwrap().len(), 96);
    let v = ok(d, &["query", &token, "balance", "--args", &format!(r#"{{"owner": "{bob}"}}"#)]);
    assert_eq!((v["result"].clone(), v["return_hex"].clone()), (250.into(), hex_args(&250u64).into()));
    assert_eq!(ok(d, &["query", &token, "name", "--args", "{}"])["result"], "Cove");
    let v = ok(d, &["call", &token, "transfer", "--args-hex", &hex_args(&(Address([0xbb; 20]), 1u64))]);
    assert!(v.get("result").is_none(), "hex in, hex out: {v}");

    // Wrong arguments are refused before anything runs: no block is committed.
    let height = ok(d, &["state", "root"])["height"].clone();
    for (method, args, message) in [
        (
            "transfer",
            format!(r#"{{"to": "{bob}", "amount": "lots"}}"#),
            "argument `amount`: expected an integer (u64)",
        ),
        (
            "transfer",
            format!(r#"{{"to": "{bob}", "amount": -1}}"#),
            "argument `amount`: -1 is out of range for u64",
        ),
        ("transfer", r#"{"to": "0x12", "amount": 1}"#.into(), "argument `to`: an address is 20 bytes, got 1"),
        ("transfer", format!(r#"{{"to": "{bob}"}}"#), "missing argument `amount`"),
        ("mint", "{}".into(), "the contract's ABI has no entry point `mint`"),
    ] {
        let (code, v) = cove(d, &["call", &token, method, "--args", &args]);
        assert_eq!((code, v["error"]["kind"].as_str()), (2, Some("invalid_argument")), "{v}");
        assert!(v["error"]["message"].as_str().unwrap().starts_with(message), "{v}");
    }
    assert_eq!(ok(d, &["state", "root"])["height"], height);
    let v = ok(d, &["query", &token, "balance", "--args", &format!(r#"{{"owner": "{bob}"}}"#)]);
    assert_eq!(v["result"], 251);

    // estimate-gas encodes the same input: the estimate is the call's gas.
    let args = format!(r#"{{"to": "{bob}", "amount": 1}}"#);
    let estimate = ok(d, &["estimate-gas", &token, "transfer", "--args", &args])["gas"].clone();
    assert_eq!(ok(d, &["call", &token, "transfer", "--args", &args])["gas_used"], estimate);

    // A module without the section: JSON arguments are refused, hex still works.
    let wat = deploy(d, &root().join("examples/counter.wat"), &[]);
    let (code, v) = cove(d, &["call", &wat, "increment", "--args", "{}"]);
    assert_eq!(code, 2);
    assert!(v["error"]["message"].as_str().unwrap().contains("no cove_abi section"), "{v}");
    assert_eq!(ok(d, &["call", &wat, "increment"])["return_hex"], "01000000");
}

#[test]
fn cove_profile_of_the_rust_token_transfer_attributes_all_its_gas() {
    let dir = tempfile::tempdir().unwrap();
    let token = deploy_token(dir.path(), 1000);
    let (svg, folded) = (dir.path().join("t.svg"), dir.path().join("t.folded"));
    let args = r#"{"to":"0xb0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0","amount":250}"#;
    let p = ok(
        dir.path(),
        &[
            "profile",
            &token,
            "transfer",
            "--args",
            args,
            "--svg",
            svg.to_str().unwrap(),
            "--folded",
            folded.to_str().unwrap(),
        ],
    );
    let gas_used = p["gas_used"].as_u64().unwrap();
    assert_eq!(p["profile"]["attributed_gas"], gas_used);
    let folded = std::fs::read_to_string(&folded).unwrap();
    assert_eq!(folded_total(&folded), gas_used, "{folded}");
    // Rust functions by name, host functions as leaves, under the root frame.
    assert!(folded.lines().all(|l| l.starts_with("[transfer]")), "{folded}");
    assert!(folded.contains(";token::transfer;storage_write "), "{folded}");
    let svg = std::fs::read(&svg).unwrap();
    assert_xml(&svg);
    let text = String::from_utf8(svg).unwrap();
    assert!(text.contains("token::transfer") && text.contains("storage_write"));

    // Nothing was committed, and the same call costs exactly the profiled gas.
    assert_eq!(balance(dir.path(), &token, Address([0xb0; 20])), 0);
    let v = ok(dir.path(), &["call", &token, "transfer", "--args", args]);
    assert_eq!(v["gas_used"], gas_used);
    assert_eq!(v["events"], p["events"]);

    // A failing call is profiled too (exit 1), its gas still all attributed.
    let too_much = r#"{"to":"0xb0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0","amount":5000}"#;
    let svg2 = dir.path().join("fail.svg");
    let (code, v) = cove(
        dir.path(),
        &["profile", &token, "transfer", "--args", too_much, "--svg", svg2.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "aborted");
    assert_eq!(v["profile"]["attributed_gas"], v["gas_used"]);
    assert_xml(&std::fs::read(&svg2).unwrap());
}

/// Runs `cove --json debug ARGS --commands FILE` with `commands` in FILE.
fn debug_session(dir: &Path, args: &[&str], commands: &str) -> (i32, Value) {
    let file = dir.join("commands.txt");
    std::fs::write(&file, commands).unwrap();
    let mut all = vec!["debug"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--commands", file.to_str().unwrap()]);
    cove(dir, &all)
}

fn session_text(v: &Value) -> String {
    let lines: Vec<&str> = v["session"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    lines.join("\n")
}

#[test]
fn cove_debug_breaks_at_transfer_and_storage_write_and_matches_cove_call() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = deploy_token(d, 1000);
    let alice = address(&runtime::DEFAULT_SENDER.to_string());
    let args = r#"{"to":"0xb0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0","amount":250}"#;
    let commands = "break transfer\ncontinue\nbreak storage_write\ncontinue\nstorage\nstack\ngas\ncontinue\n";
    let (code, v) = debug_session(d, &[&token, "transfer", "--args", args], commands);
    assert_eq!(code, 0, "{v}");
    let text = session_text(&v);
    println!("{text}");
    assert!(text.contains("(cove-debug) break transfer\nbreakpoint at "), "{text}");
    assert!(text.contains("stopped: enter token::transfer"), "{text}");
    assert!(text.contains("stopped: call host function storage_write"), "{text}");
    // The storage as the contract sees it before its first write: the deployer's 1000.
    let alice_key = format!("62{}", hex::encode(alice.0));
    assert!(text.contains(&format!("  {alice_key} = e803000000000000")), "{text}");
    // The stack, innermost first: the host function under the Rust function.
    let stack_at = text.find("  0: storage_write [host]\n").unwrap_or_else(|| panic!("{text}"));
    assert!(text[stack_at..].contains("token::transfer"), "{text}");
    assert!(text.contains("gas left "), "{text}");

    // Nothing was committed, and `cove call` gives the same return data, gas and events.
    assert_eq!(balance(d, &token, Address([0xb0; 20])), 0);
    let call = ok(d, &["call", &token, "transfer", "--args", args]);
    for field in ["return_hex", "result", "gas_used", "events"] {
        assert_eq!(v[field], call[field], "{field}: debug {v} call {call}");
    }

    // Bad commands give error lines, never a failure of the call.
    let (code, v) = debug_session(d, &[&token, "transfer", "--args", args], "break nowhere\nmemory 1\nfly\n");
    assert_eq!(code, 0, "{v}");
    let errors =
        v["session"].as_array().unwrap().iter().filter(|l| l.as_str().unwrap().starts_with("error: "));
    assert_eq!(errors.count(), 3, "{v}");
    assert_eq!(v["gas_used"], ok(d, &["estimate-gas", &token, "transfer", "--args", args])["gas"]);
}

#[test]
fn cove_debug_prints_the_session_to_stdout_without_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = deploy_token(d, 1000);
    let file = d.join("commands.txt");
    std::fs::write(&file, "break storage_write\ncontinue\nstack\n").unwrap();
    let args = hex_args(&(Address([0xb0; 20]), 7u64));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cove"))
        .args(["--data-dir", d.to_str().unwrap(), "debug", &token, "transfer", "--args-hex", &args])
        .args(["--commands", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(cove-debug) stack\n  0: storage_write [host]\n"), "{text}");
    assert!(text.contains("\ngas_used: "), "{text}");
}

#[test]
fn a_rust_panic_in_cove_call_prints_its_message_and_a_backtrace_with_rust_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let poll = deploy_poll(d);
    let (code, v) = cove(d, &["call", &poll, "winner"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "aborted");
    assert!(v["error"]["message"].as_str().unwrap().ends_with(": no votes cast"), "{v}");
    let names: Vec<&str> = v["backtrace"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    // Innermost first: the panic machinery, then the entry point that called `expect`.
    assert!(names.iter().any(|n| n.contains("panic")), "{names:?}");
    let winner = names
        .iter()
        .position(|n| *n == "winner" || n.ends_with("::winner"))
        .unwrap_or_else(|| panic!("{names:?}"));
    assert!(winner > 0, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with("func[")), "{names:?}");

    // Diagnostic only: the same kind, message and gas as the query (no backtrace there)
    // and as the debugger, which names the same frames.
    let (_, q) = cove(d, &["query", &poll, "winner"]);
    assert_eq!((&q["error"], &q["gas_used"]), (&v["error"], &v["gas_used"]));
    let (code, dbg) = debug_session(d, &[&poll, "winner"], "");
    assert_eq!(code, 1);
    assert_eq!(
        (&dbg["error"], &dbg["gas_used"], &dbg["backtrace"]),
        (&v["error"], &v["gas_used"], &v["backtrace"])
    );

    // A call that succeeds has none; the text output lists the frames.
    assert!(ok(d, &["call", &poll, "vote", "--args-hex", &hex_args(&1u32)]).get("backtrace").is_none());
    let poll = deploy_poll(d);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cove"))
        .args(["--data-dir", d.to_str().unwrap(), "call", &poll, "winner"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("error (aborted): panicked at "), "{text}");
    assert!(text.contains("\nbacktrace (innermost first):\n   0: "), "{text}");
    assert!(text.contains(": winner\n"), "{text}");
}

/// The number (from 1) of the one line of `source` holding `marker`.
fn line_of(source: &str, marker: &str) -> u32 {
    let found: Vec<usize> =
        source.lines().enumerate().filter(|(_, l)| l.contains(marker)).map(|(i, _)| i).collect();
    assert_eq!(found.len(), 1, "{marker:?} must be on exactly one line");
    found[0] as u32 + 1
}

#[test]
fn cove_coverage_lists_the_token_lines_two_calls_ran_and_not_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = testvm::examples::example_with_debug_info_path("token");
    let init = hex_args(&("Cove", "COV", 1000u64));
    // The module with its DWARF deploys as it is (under `max_code_bytes`).
    let token = deploy(dir.path(), &wasm, &["--init", "init", "--args-hex", &init]);
    let bob = Address([0xb0; 20]);
    let batch = dir.path().join("calls.jsonl");
    let call = |method: &str, args: String| {
        format!(r#"{{"op":"call","address":"{token}","method":"{method}","args_hex":"{args}"}}"#)
    };
    let lines = [call("transfer", hex_args(&(bob, 100u64))), call("balance", hex_args(&bob))];
    std::fs::write(&batch, lines.join("\n")).unwrap();
    let out = dir.path().join("token.info");
    let v =
        ok(dir.path(), &["coverage", "--batch", batch.to_str().unwrap(), "--lcov", out.to_str().unwrap()]);
    assert_eq!(v["results"][1]["return_hex"], hex_args(&100u64), "{v}");
    assert_eq!(v["codes"][0]["granularity"], "line", "{v}");
    // Nothing committed.
    assert_eq!(balance(dir.path(), &token, bob), 0);
    // The same calls run ordinarily: the same results, gas and events.
    let plain = ok(dir.path(), &["batch", batch.to_str().unwrap()]);
    for i in 0..2 {
        for field in ["status", "gas_used", "return_hex", "events"] {
            assert_eq!(plain["results"][i][field], v["results"][i][field], "{field}: {plain}\n{v}");
        }
    }

    let lcov = std::fs::read_to_string(&out).unwrap();
    let records = coverage::records(&lcov);
    let (path, lib) = records
        .iter()
        .find(|(path, _)| path.ends_with("token/src/lib.rs"))
        .unwrap_or_else(|| panic!("no record of token/src/lib.rs in {:?}", records.keys()));
    let source = std::fs::read_to_string(root().join("examples/rust").join(path)).unwrap();
    let count = |marker: &str| {
        let line = line_of(&source, marker);
        *lib.lines.get(&line).unwrap_or_else(|| panic!("line {line} ({marker}) not listed: {:?}", lib.lines))
    };
    // Run: the body of `transfer` and of `balance`.
    for marker in
        ["let from_balance = load(&from_key);", "env::emit(\"transfer\"", "load(&balance_key(&owner))"]
    {
        assert!(count(marker) > 0, "{marker} ran");
    }
    // Not run: the branch `transfer` did not take, entry points never called (`init`
    // ran at the deploy, before coverage).
    for marker in [
        "env::abort(\"insufficient balance\")",
        "storage::get_or_default(SYMBOL)",
        "load(SUPPLY)",
        "storage::set(SYMBOL, &symbol);",
    ] {
        assert_eq!(count(marker), 0, "{marker} never ran");
    }
    // Functions: the exported entry points, entered once or never.
    let entered = |name: &str| records.values().find_map(|r| r.functions.get(name).copied());
    assert_eq!(entered("transfer"), Some(1), "{lcov}");
    assert_eq!(entered("symbol"), Some(0), "{lcov}");
}

/// `module` without its custom sections (DWARF, names, ABI): what `llvm-strip` leaves.
fn strip(module: &[u8]) -> Vec<u8> {
    let mut out = module[..8].to_vec();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.unwrap();
        if let wasmparser::Payload::CustomSection(_) = payload {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            out.push(id);
            let mut len = range.len() as u32;
            loop {
                let byte = (len & 0x7f) as u8;
                len >>= 7;
                out.push(if len == 0 { byte } else { byte | 0x80 });
                if len == 0 {
                    break;
                }
            }
            out.extend_from_slice(&module[range]);
        }
    }
    out
}

#[test]
fn cove_coverage_reads_the_lines_of_a_stripped_module_from_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let debug = testvm::examples::example_with_debug_info_path("token");
    let stripped = dir.path().join("token.stripped.wasm");
    std::fs::write(&stripped, strip(&std::fs::read(&debug).unwrap())).unwrap();
    let init = hex_args(&("Cove", "COV", 1000u64));
    let token = deploy(dir.path(), &stripped, &["--init", "init", "--args-hex", &init]);
    let batch = dir.path().join("calls.jsonl");
    let args = hex_args(&Address([0xb0; 20]));
    std::fs::write(
        &batch,
        format!(r#"{{"op":"call","address":"{token}","method":"balance","args_hex":"{args}"}}"#),
    )
    .unwrap();
    let out = dir.path().join("out.info");
    let run = |extra: &[&str]| {
        let mut a = vec!["coverage", "--batch", batch.to_str().unwrap(), "--lcov", out.to_str().unwrap()];
        a.extend_from_slice(extra);
        ok(dir.path(), &a)
    };
    // Alone, the stripped module is covered by function ...
    assert_eq!(run(&[])["codes"][0]["granularity"], "function");
    // ... and by line with the DWARF of the build it was stripped from.
    let v = run(&["--dwarf", debug.to_str().unwrap()]);
    assert_eq!(v["codes"][0]["granularity"], "line", "{v}");
    let records = coverage::records(&std::fs::read_to_string(&out).unwrap());
    let lib = records.iter().find(|(p, _)| p.ends_with("token/src/lib.rs")).expect("token/src/lib.rs").1;
    let source = std::fs::read_to_string(root().join("examples/rust/token/src/lib.rs")).unwrap();
    assert!(lib.lines[&line_of(&source, "load(&balance_key(&owner))")] > 0);
}
