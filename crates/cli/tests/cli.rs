//! The CLI as a user drives it: separate processes over one data dir.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::cove;
#[path = "common/coverage.rs"]
mod coverage;

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

/// Runs `cove --json --data-dir DIR ARGS...`, returning (exit code, parsed stdout).
fn deploy(dir: &Path, file: &str, extra: &[&str]) -> String {
    let path = examples().join(file);
    let mut args = vec!["deploy", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (code, v) = cove(dir, &args);
    assert_eq!(code, 0, "{v}");
    v["address"].as_str().expect("address").to_string()
}

#[test]
fn counter_across_processes_with_read_only_query() {
    let dir = tempfile::tempdir().unwrap();
    let addr = deploy(dir.path(), "counter.wat", &[]);
    for expected in ["01000000", "02000000", "03000000"] {
        let (code, v) = cove(dir.path(), &["call", &addr, "increment"]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["return_hex"], expected);
    }
    let (code, v) = cove(dir.path(), &["query", &addr, "increment"]);
    assert_eq!(code, 1);
    assert_eq!(v["status"], "error");
    assert_eq!(v["error"]["kind"], "read_only");
    let (_, v) = cove(dir.path(), &["call", &addr, "increment"]);
    assert_eq!(v["return_hex"], "04000000");
    let (_, v) = cove(dir.path(), &["state", &addr]);
    assert_eq!(v["entries"][0]["key_hex"], hex::encode("counter"));
    assert_eq!(v["entries"][0]["value_hex"], "04000000");
}

/// The gas of a fixed sequence on a fresh data dir.
fn sequence_gas(dir: &Path) -> Vec<u64> {
    sequence_gas_with(dir, &[])
}

/// [`sequence_gas`] with `global` arguments (such as `--config FILE`) before each command.
fn sequence_gas_with(dir: &Path, global: &[&str]) -> Vec<u64> {
    let run = |args: &[&str]| {
        let all: Vec<&str> = global.iter().chain(args).copied().collect();
        let (code, v) = cove(dir, &all);
        assert_eq!(code, 0, "{all:?}: {v}");
        v
    };
    let token_wat = examples().join("token.wat");
    let token = run(&["deploy", token_wat.to_str().unwrap(), "--init", "init"])["address"]
        .as_str()
        .expect("address")
        .to_string();
    let recipient = "00000000000000000000000000000000000000aa";
    let amount = hex::encode(5u64.to_le_bytes());
    let mut gas = Vec::new();
    for _ in 0..3 {
        let v = run(&["call", &token, "transfer", "--args-hex", &format!("{recipient}{amount}")]);
        gas.push(v["gas_used"].as_u64().unwrap());
    }
    let v = run(&["query", &token, "balance", "--args-hex", recipient]);
    assert_eq!(v["return_hex"], hex::encode(15u64.to_le_bytes()));
    gas.push(v["gas_used"].as_u64().unwrap());
    let counter_wat = examples().join("counter.wat");
    let counter = run(&["deploy", counter_wat.to_str().unwrap()])["address"].as_str().unwrap().to_string();
    for _ in 0..3 {
        gas.push(run(&["call", &counter, "increment"])["gas_used"].as_u64().unwrap());
    }
    let compute_wat = examples().join("compute.wat");
    let compute = run(&["deploy", compute_wat.to_str().unwrap()])["address"].as_str().unwrap().to_string();
    let v = run(&["call", &compute, "run"]);
    gas.push(v["gas_used"].as_u64().unwrap());
    gas
}

#[test]
fn cove_call_gives_the_same_gas_in_every_execution_mode() {
    let default = sequence_gas_with(tempfile::tempdir().unwrap().path(), &[]);
    // A threshold of 2: hybrid and tiered switch to Cranelift within the sequence (each
    // call is its own process, which counts its own calls: a deploy's init and the call
    // after it). The last two use the keys' former names, still read.
    let mut tables: Vec<String> = ["tiered", "baseline", "jit", "interpreter", "hybrid"]
        .iter()
        .map(|mode| format!("[wasm]\nmode = \"{mode}\"\njit_threshold = 2\n"))
        .collect();
    tables.push("[wasm]\ncompiler = \"optimizing\"\n".into());
    tables.push("[wasm]\ncompiler = \"hybrid\"\ntier_up_after_calls = 2\n".into());
    for table in tables {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("cove.toml");
        std::fs::write(&config, &table).unwrap();
        let data = dir.path().join("data");
        let gas = sequence_gas_with(&data, &["--config", config.to_str().unwrap()]);
        assert_eq!(gas, default, "{table}");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cove.toml");
    std::fs::write(&config, "[wasm]\nmode = \"turbo\"\n").unwrap();
    let (code, v) = cove(dir.path(), &["--config", config.to_str().unwrap(), "state", "root"]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"].to_string().contains("interpreter"), "the message lists the modes: {v}");
}

#[test]
fn gas_is_identical_on_fresh_data_dirs_and_exact_at_the_limit() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(sequence_gas(a.path()), sequence_gas(b.path()));

    let dir = tempfile::tempdir().unwrap();
    let addr = deploy(dir.path(), "counter.wat", &[]);
    cove(dir.path(), &["call", &addr, "increment"]);
    // Every increment after the first takes the same path (a 4-byte value is found),
    // so the second call's gas is the third's.
    let (_, v) = cove(dir.path(), &["call", &addr, "increment"]);
    let used = v["gas_used"].as_u64().unwrap();
    let (code, v) = cove(dir.path(), &["call", &addr, "increment", "--gas-limit", &(used - 1).to_string()]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "out_of_gas");
    assert_eq!(v["gas_used"].as_u64().unwrap(), used - 1);
    let (_, v) = cove(dir.path(), &["state", &addr]);
    assert_eq!(v["entries"][0]["value_hex"], "02000000", "the failed call changed nothing");
    let (code, v) = cove(dir.path(), &["call", &addr, "increment", "--gas-limit", &used.to_string()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["gas_used"].as_u64().unwrap(), used);
    assert_eq!(v["return_hex"], "03000000");
}

#[test]
fn token_transfer_events_and_abort() {
    let dir = tempfile::tempdir().unwrap();
    let token = deploy(dir.path(), "token.wat", &["--init", "init"]);
    let recipient = "00000000000000000000000000000000000000bb";
    let args = format!("{recipient}{}", hex::encode(7u64.to_le_bytes()));
    let (code, v) = cove(dir.path(), &["call", &token, "transfer", "--args-hex", &args]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["events"][0]["contract"], token);
    assert_eq!(v["events"][0]["topics_hex"][0], hex::encode("transfer"));
    // The recipient has 7 and can't send 8.
    let back = format!("{}{}", &runtime::DEFAULT_SENDER.to_string()[2..], hex::encode(8u64.to_le_bytes()));
    let (code, v) =
        cove(dir.path(), &["call", &token, "transfer", "--args-hex", &back, "--sender", recipient]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "aborted");
    assert_eq!(v["error"]["message"], "insufficient balance");
}

#[test]
fn user_errors_exit_2_and_contract_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = cove(dir.path(), &["deploy", "/nonexistent/x.wasm"]);
    assert_eq!(code, 2);
    assert_eq!(v["error"]["kind"], "io");
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"definitely not wasm").unwrap();
    let (code, v) = cove(dir.path(), &["deploy", garbage.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "validation");
    let (code, v) = cove(dir.path(), &["call", "0x00000000000000000000000000000000000000ff", "x"]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "not_found");
    let status = Command::new(env!("CARGO_BIN_EXE_cove"))
        .args(["call", "not-an-address", "x"])
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(2), "clap usage error");
}

#[test]
fn upgrade_keeps_storage_and_checks_the_admin() {
    let dir = tempfile::tempdir().unwrap();
    let addr = deploy(dir.path(), "counter.wat", &[]);
    cove(dir.path(), &["call", &addr, "increment"]);
    let token = examples().join("token.wat");
    let stranger = "0x00000000000000000000000000000000000000cc";
    let (code, v) = cove(dir.path(), &["upgrade", &addr, token.to_str().unwrap(), "--sender", stranger]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "unauthorized");
    let (code, v) = cove(dir.path(), &["upgrade", &addr, token.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let (_, v) = cove(dir.path(), &["state", &addr]);
    assert_eq!(v["entries"][0]["value_hex"], "01000000", "storage kept across the upgrade");
    let (_, v) = cove(dir.path(), &["code", "list"]);
    assert_eq!(v["codes"].as_array().unwrap().len(), 2);
}

#[test]
fn demo_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_cove")).args(["demo", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "ok");
    assert!(v["steps"].as_array().unwrap().len() >= 10);
}

/// Runs `cove --json --data-dir DIR ARGS...` and returns its raw output (for runs whose
/// stdout is not JSON, such as argument errors).
fn cove_output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("cove runs")
}

/// Like [`cove`], also returning stderr.
fn cove_with_stderr(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = cove_output(dir, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout:?}; stderr: {stderr}"));
    (out.status.code().expect("exited normally, not by a signal"), value, stderr)
}

/// Calls the counter's `increment`, expecting `expected`; returns (gas used, stderr).
fn increment(dir: &Path, addr: &str, expected: &str) -> (u64, String) {
    let (code, v, stderr) = cove_with_stderr(dir, &["call", addr, "increment"]);
    assert_eq!(code, 0, "{v}; stderr: {stderr}");
    assert_eq!(v["return_hex"], expected, "{v}");
    (v["gas_used"].as_u64().expect("gas_used"), stderr)
}

/// Overwrites every regular file under `dir` (recursively) with garbage of the same
/// length; returns how many.
fn overwrite_with_garbage(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            n += overwrite_with_garbage(&entry.path());
        } else if kind.is_file() {
            let len = std::fs::metadata(entry.path()).unwrap().len() as usize;
            let garbage: Vec<u8> =
                b"\xffnot a cove artifact\x00".iter().copied().cycle().take(len.max(1)).collect();
            std::fs::write(entry.path(), garbage).unwrap();
            n += 1;
        }
    }
    n
}

#[test]
fn cache_clear_and_damaged_artifacts_keep_gas() {
    let (dir, control) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (dir, control) = (dir.path(), control.path());
    let values = ["01000000", "02000000", "03000000", "04000000", "05000000"];

    // The control: a fresh data dir whose cache is never touched.
    let control_addr = deploy(control, "counter.wat", &[]);
    let want: Vec<u64> = values.iter().map(|v| increment(control, &control_addr, v).0).collect();

    let addr = deploy(dir, "counter.wat", &[]);
    assert_eq!(increment(dir, &addr, values[0]).0, want[0]);
    // Every increment after the first takes the same path (the value exists).
    let (before_clear, _) = increment(dir, &addr, values[1]);
    assert_eq!(before_clear, want[1]);
    let (code, v) = cove(dir, &["cache", "clear"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "ok");
    let (_, s) = cove(dir, &["cache", "stats"]);
    assert_eq!(s["disk"]["modules"], 0, "cleared: {s}");
    let (after_clear, _) = increment(dir, &addr, values[2]);
    assert_eq!(after_clear, before_clear, "recompiled after the clear: same gas as the previous call");
    assert_eq!(after_clear, want[2]);

    let (code, s) = cove(dir, &["cache", "stats"]);
    assert_eq!(code, 0, "{s}");
    let cache_dir = Path::new(s["dir"].as_str().expect("dir"));
    assert!(cache_dir.is_absolute(), "{s}");
    assert_eq!(cache_dir, dir.join("cache"));
    assert_eq!(s["disk"]["modules"], 1, "the recompiled module was saved: {s}");
    assert!(overwrite_with_garbage(cache_dir) >= 1);

    let (gas, stderr) = increment(dir, &addr, values[3]);
    assert_eq!(gas, after_clear, "after the damage: same gas");
    assert_eq!(gas, want[3]);
    assert!(stderr.contains("warning"), "no warning about the damaged artifact: {stderr:?}");
    let (gas, stderr) = increment(dir, &addr, values[4]);
    assert_eq!(gas, want[4]);
    assert!(!stderr.contains("warning"), "the artifact was saved again, yet: {stderr:?}");
}

#[test]
fn cache_pin_and_unpin() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = examples().join("counter.wat");
    let (code, v) = cove(dir, &["deploy", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let addr = v["address"].as_str().expect("address").to_string();
    let code_id = v["code_id"].as_str().expect("code_id").to_string();
    let pinned_codes = |dir: &Path| {
        let (code, s) = cove(dir, &["cache", "stats"]);
        assert_eq!(code, 0, "{s}");
        s["pinned_codes"].clone()
    };
    assert_eq!(pinned_codes(dir), serde_json::json!([]));

    let (code, v) = cove(dir, &["cache", "pin", &addr]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pinned"], true, "{v}");
    assert_eq!(v["code_id"], code_id.as_str());
    assert_eq!(pinned_codes(dir), serde_json::json!([code_id]), "the pin persists across processes");
    increment(dir, &addr, "01000000");

    let (code, v) = cove(dir, &["cache", "unpin", &addr]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["unpinned"], true, "{v}");
    assert_eq!(pinned_codes(dir), serde_json::json!([]));
    let (code, v) = cove(dir, &["cache", "unpin", &addr]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["unpinned"], false, "it was no longer pinned: {v}");

    // By code id.
    let (code, v) = cove(dir, &["cache", "pin", &code_id]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pinned"], true, "{v}");
    assert_eq!(pinned_codes(dir), serde_json::json!([code_id]));
    let (code, v) = cove(dir, &["cache", "unpin", &code_id]);
    assert_eq!((code, &v["unpinned"]), (0, &Value::Bool(true)), "{v}");

    // Neither an address nor a code id: a usage error.
    let out = cove_output(dir, &["cache", "pin", "0x00"]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    // An address with no contract, and a code id that is not stored: lookups that
    // found nothing, exit 1 with kind not_found.
    let nobody = "0x00000000000000000000000000000000000000dd";
    let (code, v) = cove(dir, &["cache", "pin", nobody]);
    assert_eq!((code, &v["error"]["kind"]), (1, &Value::from("not_found")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("no contract"), "{v}");
    let (code, v) = cove(dir, &["cache", "pin", &"ab".repeat(32)]);
    assert_eq!((code, &v["error"]["kind"]), (1, &Value::from("not_found")), "{v}");
    assert_eq!(pinned_codes(dir), serde_json::json!([]), "failed pins recorded nothing");
}

/// ABI calldata: a 4-byte selector and 32-byte words.
fn calldata(selector: &str, words: &[String]) -> String {
    let mut out = selector.to_string();
    for w in words {
        out.push_str(&format!("{w:0>64}"));
    }
    out
}

#[test]
fn evm_erc20_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let bob = "00000000000000000000000000000000000000b0";
    // Constructor argument: a supply of 1,000 (0x3e8).
    let token = deploy(dir.path(), "evm/Token.bin", &["--args-hex", &format!("{:0>64}", "3e8")]);
    let (code, v) =
        cove(dir.path(), &["call", &token, "--calldata", &calldata("a9059cbb", &[bob.into(), "64".into()])]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["return_hex"], format!("{:0>64}", "1"));
    let topics = v["events"][0]["topics_hex"].as_array().expect("topics");
    assert_eq!(topics.len(), 3, "{v}");
    assert_eq!(topics[0], "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    assert_eq!(topics[2], format!("{bob:0>64}"));

    // BOB has 100 (0x64); sending 101 reverts with the reason, and changes nothing.
    let send_101 = calldata("a9059cbb", &["aa".into(), "65".into()]);
    let (code, v) = cove(dir.path(), &["call", &token, "--calldata", &send_101, "--sender", bob]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "reverted");
    let data = hex::decode(v["return_hex"].as_str().expect("revert data")).unwrap();
    assert!(String::from_utf8_lossy(&data).contains("insufficient balance"), "{v}");
    let (code, v) = cove(dir.path(), &["query", &token, "--calldata", &calldata("70a08231", &[bob.into()])]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["return_hex"], format!("{:0>64}", "64"));

    // Exact estimation: the transfer succeeds with the estimate and fails with one less.
    let send_1 = calldata("a9059cbb", &["aa".into(), "1".into()]);
    let (code, v) = cove(dir.path(), &["estimate-gas", &token, "--calldata", &send_1, "--sender", bob]);
    assert_eq!(code, 0, "{v}");
    let gas = v["gas"].as_u64().expect("gas");
    let less = (gas - 1).to_string();
    let (code, v) =
        cove(dir.path(), &["call", &token, "--calldata", &send_1, "--sender", bob, "--gas-limit", &less]);
    assert_eq!((code, &v["error"]["kind"]), (1, &Value::from("out_of_gas")), "{v}");
    let (code, v) = cove(
        dir.path(),
        &["call", &token, "--calldata", &send_1, "--sender", bob, "--gas-limit", &gas.to_string()],
    );
    assert_eq!(code, 0, "{v}");

    // Native tokens: the faucet, then a value transfer to an account without code.
    let (code, v) = cove(dir.path(), &["fund", bob, "1000"]);
    assert_eq!((code, &v["balance"]), (0, &Value::from("1000")), "{v}");
    let (code, v) = cove(
        dir.path(),
        &["call", "00000000000000000000000000000000000000cc", "--value", "250", "--sender", bob],
    );
    assert_eq!(code, 0, "{v}");
    let (_, v) = cove(dir.path(), &["balance", bob]);
    assert_eq!(v["balance"], "750");
    assert_eq!(v["nonce"], 2, "only the successful EVM transactions bumped BOB's nonce");
}

#[test]
fn store_then_deploy_by_code_id() {
    let dir = tempfile::tempdir().unwrap();
    let counter = examples().join("counter.wat");
    let (code, v) = cove(dir.path(), &["store", counter.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let id = v["code_id"].as_str().expect("a code id").to_string();
    // Stored, not instantiated: no contract yet, the code is listed.
    let (_, listed) = cove(dir.path(), &["code", "list"]);
    assert_eq!(listed["codes"][0]["code_id"], id.as_str());
    // Two instances of the one stored code, each with its own storage.
    let mut addresses = Vec::new();
    for _ in 0..2 {
        let (code, v) = cove(dir.path(), &["deploy", "--code-id", &id]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["code_id"], id.as_str());
        addresses.push(v["address"].as_str().unwrap().to_string());
    }
    assert_ne!(addresses[0], addresses[1]);
    let (_, v) = cove(dir.path(), &["call", &addresses[0], "increment"]);
    assert_eq!(v["return_hex"], "01000000");
    let (_, v) = cove(dir.path(), &["call", &addresses[1], "get"]);
    assert_eq!(v["return_hex"], "00000000");
    // A code id never stored: the contract error not_found, exit 1.
    let (code, v) = cove(dir.path(), &["deploy", "--code-id", &"ab".repeat(32)]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("not_found")), "{v}");
    // A module that breaks a rule is refused as validation and nothing is stored.
    let bad = dir.path().join("bad.wat");
    std::fs::write(&bad, "(module)").unwrap();
    let (code, v) = cove(dir.path(), &["store", bad.to_str().unwrap()]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("validation")), "{v}");
    let (_, listed) = cove(dir.path(), &["code", "list"]);
    assert_eq!(listed["codes"].as_array().unwrap().len(), 1);
}

#[test]
fn deploy_with_flags_and_inspect_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let counter = examples().join("counter.wat");
    let (code, v) = cove(dir.path(), &["deploy", counter.to_str().unwrap(), "--flags", "importable,public"]);
    assert_eq!(code, 0, "{v}");
    let address = v["address"].as_str().unwrap().to_string();
    let (code, v) = cove(dir.path(), &["inspect", &address]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["flags"], serde_json::json!(["importable", "public"]));
    assert_eq!(v["vm"], "wasm");
    // Without --flags: the defaults.
    let plain = deploy(dir.path(), "counter.wat", &[]);
    let (_, v) = cove(dir.path(), &["inspect", &plain]);
    assert_eq!(v["flags"], serde_json::json!(["callable"]));
    // An unknown flag is a usage error (exit 2); no contract: not_found.
    let out = cove_output(dir.path(), &["deploy", counter.to_str().unwrap(), "--flags", "payable"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown flag \"payable\""));
    let (code, v) = cove(dir.path(), &["inspect", &format!("0x{}", "77".repeat(20))]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("not_found")), "{v}");
}

#[test]
fn cove_coverage_of_a_module_without_dwarf_counts_functions() {
    let dir = tempfile::tempdir().unwrap();
    let counter = deploy(dir.path(), "counter.wat", &[]);
    let batch = dir.path().join("calls.jsonl");
    let call = |method: &str| format!(r#"{{"op":"call","address":"{counter}","method":"{method}"}}"#);
    std::fs::write(&batch, [call("increment"), call("increment")].join("\n")).unwrap();
    let out = dir.path().join("out.info");
    let args = ["coverage", "--batch", batch.to_str().unwrap(), "--lcov", out.to_str().unwrap()];
    let (code, v) = cove(dir.path(), &args);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["committed"], false);
    assert_eq!(v["results"][1]["return_hex"], "02000000", "{v}");
    assert_eq!(v["codes"][0]["granularity"], "function", "{v}");

    let records = coverage::records(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(records.len(), 1, "{records:?}");
    let (path, record) = records.iter().next().unwrap();
    assert!(path.ends_with(".wasm"), "{path}");
    assert_eq!(record.functions["increment"], 2);
    assert_eq!(record.functions["load"], 2);
    assert_eq!(record.functions["allocate"], 1, "the second increment reads what the first wrote");
    assert_eq!(record.functions["get"], 0);

    // Nothing was committed: the same calls ordinarily start from 0, with the same gas.
    let (_, plain) = cove(dir.path(), &["batch", batch.to_str().unwrap()]);
    for i in 0..2 {
        assert_eq!(plain["results"][i]["gas_used"], v["results"][i]["gas_used"], "{plain}\n{v}");
        assert_eq!(plain["results"][i]["return_hex"], v["results"][i]["return_hex"]);
    }
}

#[test]
fn cove_coverage_bounds_its_dwarf_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("empty.jsonl");
    std::fs::write(&batch, "").unwrap();
    let big = dir.path().join("big.wasm");
    // Sparse: no disk used, refused from its size before a byte is read.
    std::fs::File::create(&big).unwrap().set_len((128 << 20) + 1).unwrap();
    let (code, v) = cove(
        dir.path(),
        &[
            "coverage",
            "--batch",
            batch.to_str().unwrap(),
            "--lcov",
            "/dev/null",
            "--dwarf",
            big.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("MAX_DWARF_FILE_BYTES"), "{v}");
    let mut args = vec!["coverage", "--batch", batch.to_str().unwrap(), "--lcov", "/dev/null"];
    for _ in 0..17 {
        args.extend(["--dwarf", "/nonexistent"]);
    }
    let (code, v) = cove(dir.path(), &args);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("MAX_DWARF_FILES"), "{v}");
}

/// Storage with a life as a user tries it: `examples/lived.wat` stores a value for 3
/// blocks; `cove state` lists it with its life while it lives and not after; a query at
/// a past height still sees it; `state proof --lived` proves it, then its absence, and
/// `verify-proof` checks both.
#[test]
fn a_value_with_a_life_lives_its_blocks_in_state_queries_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let (code, v) = cove(dir.path(), args);
        assert_eq!(code, 0, "{args:?}: {v}");
        v
    };
    let contract = deploy(dir.path(), "lived.wat", &[]); // block 1
    // Block 2 stores "hello" for 3 blocks: alive in blocks 2, 3 and 4.
    let input = format!("{}{}", hex::encode(3i64.to_le_bytes()), hex::encode("hello"));
    ok(&["call", &contract, "set", "--args-hex", &input]);
    let lived = |height: Option<&str>| {
        let mut args = vec!["state", contract.as_str()];
        args.extend(height.map(|h| ["--height", h]).into_iter().flatten());
        ok(&args)["lived"].as_array().unwrap().clone()
    };
    let hello = hex::encode("hello");
    for (life, head) in [(3, 2), (2, 3), (1, 4)] {
        let l = lived(None);
        assert_eq!(l.len(), 1, "after block {head}: {l:?}");
        assert_eq!(
            (l[0]["key_hex"].as_str(), l[0]["value_hex"].as_str()),
            (Some("6b"), Some(hello.as_str()))
        );
        assert_eq!((l[0]["life"].as_u64(), l[0]["expires"].as_u64()), (Some(life), Some(5)));
        let got = ok(&["query", &contract, "get"]);
        assert_eq!(got["return_hex"], format!("{hello}{}", hex::encode(life.to_le_bytes())));
        ok(&["call", &contract, "noop"]); // blocks 3, 4, 5
    }
    // Block 5: absent everywhere at the head, present at a past height.
    assert!(lived(None).is_empty());
    assert_eq!(ok(&["query", &contract, "get"])["return_hex"], "");
    assert_eq!(
        ok(&["query", &contract, "get", "--height", "4"])["return_hex"],
        format!("{hello}{}", hex::encode(1u64.to_le_bytes()))
    );
    assert_eq!(lived(Some("4")).len(), 1);
    // Proofs: inclusion at 4 (alive), non-inclusion at 5 (purged with block 5).
    let file = dir.path().join("proof.json");
    for (height, alive, kind) in [("4", true, "inclusion"), ("5", false, "non_inclusion")] {
        let proof = ok(&["state", "proof", &contract, "6b", "--lived", "--height", height]);
        assert_eq!(proof["alive"].as_bool(), Some(alive), "{proof}");
        std::fs::write(&file, proof.to_string()).unwrap();
        let v = ok(&["state", "verify-proof", file.to_str().unwrap(), "--height", height]);
        assert_eq!(
            (v["valid"].as_bool(), v["kind"].as_str(), v["alive"].as_bool()),
            (Some(true), Some(kind), Some(alive))
        );
        // Claiming the other answer is refused.
        let mut forged = proof.clone();
        forged["alive"] = Value::Bool(!alive);
        std::fs::write(&file, forged.to_string()).unwrap();
        let (code, v) =
            cove(dir.path(), &["state", "verify-proof", file.to_str().unwrap(), "--height", height]);
        assert_eq!((code, v["valid"].as_bool()), (1, Some(false)), "{v}");
    }
    // The ordinary storage never held it, and its slot proves nothing.
    assert!(ok(&["state", &contract])["entries"].as_array().unwrap().is_empty());
    assert_eq!(ok(&["state", "proof", &contract, "6b", "--height", "4"])["value_hex"], Value::Null);
}
