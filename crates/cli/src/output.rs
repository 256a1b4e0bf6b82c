//! Rendering receipts as JSON or text, and the kinds and exit codes of errors. The JSON
//! shapes are documented in docs/cli.md.

use std::process::ExitCode;

use runtime::Receipt;
use serde_json::{Value, json};
use types::Event;

/// Exit code of a transaction that was not executed: it hit the wall-clock backstop (a
/// node fault) or did not fit in the block's limits, so nothing of it was committed (a
/// batch: the line was dropped from the block, the others committed).
pub(crate) const EXIT_DROPPED: u8 = 3;

/// A usage error found in the command's input (a batch line), as opposed to an I/O
/// error: printed with kind `invalid_argument`, exit 2.
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// The kind and exit code of an error that ended a command, and whether it says that
/// a transaction was not committed.
pub(crate) fn error_kind(e: &anyhow::Error) -> (&'static str, u8, bool) {
    use runtime::RuntimeError as R;
    let storage_corrupt =
        || e.chain().any(|c| c.downcast_ref::<types::StorageError>().is_some_and(|s| s.is_corrupt()));
    match e.downcast_ref::<R>() {
        Some(R::NotFound(_)) => ("not_found", 1, false),
        Some(R::Unsupported(_)) => ("unsupported", 1, false),
        Some(R::Timeout(_)) => ("timeout", EXIT_DROPPED, true),
        Some(R::BlockLimit(_)) => ("block_limit", EXIT_DROPPED, true),
        Some(R::Corrupt(_)) => ("corrupt", 2, false),
        Some(R::InvalidArgument(_)) => ("invalid_argument", 2, false),
        Some(R::ConfigMismatch { .. }) => ("config_mismatch", 2, false),
        Some(R::Storage(s)) if s.is_corrupt() => ("corrupt", 2, false),
        _ if storage_corrupt() => ("corrupt", 2, false),
        #[cfg(feature = "consensus")]
        _ if e.chain().any(|c| {
            matches!(c.downcast_ref::<consensus::HomeError>(), Some(consensus::HomeError::Mismatch(_)))
        }) =>
        {
            ("config_mismatch", 2, false)
        }
        _ if e.chain().any(|c| c.is::<Usage>()) => ("invalid_argument", 2, false),
        _ => ("io", 2, false),
    }
}

/// The JSON of a transaction dropped from its block (`e` is
/// [`runtime::RuntimeError::is_dropped_transaction`]): status `error`, its kind, and
/// `"committed": false`.
pub(crate) fn dropped_json(e: &runtime::RuntimeError) -> Value {
    let kind = match e {
        runtime::RuntimeError::Timeout(_) => "timeout",
        _ => "block_limit",
    };
    json!({"status": "error", "error": {"kind": kind, "message": e.to_string()}, "committed": false})
}

pub(crate) fn events_json(events: &[Event]) -> Value {
    events
        .iter()
        .map(|e| json!({"contract": e.contract.to_string(), "topics_hex": e.topics.iter().map(hex::encode).collect::<Vec<_>>(), "data_hex": hex::encode(&e.data)}))
        .collect()
}

/// Adds what a CosmWasm transaction's JSON shows: its data as base64 and its events as
/// wasmd's `{"type", "attributes"}` (cove records the type as topic 0 and the
/// attributes as JSON data), in place of cove's event shape.
pub(crate) fn add_cosmwasm(success: &mut Value, r: &Receipt) {
    use base64::Engine as _;
    if let Ok(data) = &r.result {
        success["data_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(data));
    }
    let events: Vec<Value> = r
        .events
        .iter()
        .map(|e| {
            let ty = e.topics.first().map(|t| String::from_utf8_lossy(t).into_owned()).unwrap_or_default();
            let attributes = serde_json::from_slice::<Value>(&e.data).unwrap_or(Value::Null);
            json!({"type": ty, "attributes": attributes})
        })
        .collect();
    success["events"] = json!(events);
}

/// Prints a receipt and returns the exit code (1 when the transaction failed).
/// `success` adds fields to a successful result (e.g. deploy's address).
pub(crate) fn receipt(r: &Receipt, json_mode: bool, success: Value) -> ExitCode {
    print_receipt(r, json_mode, receipt_json(r, success))
}

/// Prints `value`, the JSON of receipt `r`, and returns the exit code.
pub(crate) fn print_receipt(r: &Receipt, json_mode: bool, value: Value) -> ExitCode {
    if json_mode {
        println!("{value}");
    } else {
        print_human(&value);
    }
    if r.result.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// A receipt as the JSON the commands print. `success` may set `events` (CosmWasm's
/// shape); otherwise they are cove's.
pub(crate) fn receipt_json(r: &Receipt, success: Value) -> Value {
    match &r.result {
        Ok(_) => {
            let mut v = json!({"status": "ok"});
            if let (Value::Object(dst), Value::Object(src)) = (&mut v, success) {
                dst.extend(src);
            }
            v["gas_used"] = json!(r.gas_used);
            if v.get("events").is_none() {
                v["events"] = events_json(&r.events);
            }
            v
        }
        Err(e) => {
            let mut v = json!({"status": "error", "error": {"kind": e.kind.as_str(), "message": e.message}, "gas_used": r.gas_used});
            if !e.data.is_empty() {
                v["return_hex"] = json!(hex::encode(&e.data));
            }
            v
        }
    }
}

/// Adds `backtrace` to the JSON of a failed WASM call of `contract` (`receipt`): the
/// contract's call stack where it failed, innermost first, named from its module's
/// `name` section. Diagnostic only; a failure to name it leaves it out.
pub(crate) fn add_backtrace(
    value: &mut Value,
    rt: &runtime::Runtime,
    receipt: &Receipt,
    contract: &types::Address,
) {
    let names = rt.take_backtrace(contract).ok().flatten();
    if let (Err(_), Some(names)) = (&receipt.result, names) {
        value["backtrace"] = json!(names);
    }
}

/// Prints `value` as one line of JSON (`--json`) or as `key: value` lines.
pub(crate) fn print(json: bool, value: &Value) {
    if json {
        println!("{value}");
    } else {
        print_human(value);
    }
}

/// Prints any JSON value as `key: value` lines.
pub(crate) fn print_human(value: &Value) {
    if value["status"] == "error" {
        println!(
            "error ({}): {}",
            value["error"]["kind"].as_str().unwrap_or("?"),
            value["error"]["message"].as_str().unwrap_or("")
        );
        if let Some(g) = value.get("gas_used") {
            println!("gas_used: {g}");
        }
        if let Some(data) = value.get("return_hex").and_then(Value::as_str) {
            println!("return_hex: {data}");
        }
        if let Some(frames) = value.get("backtrace").and_then(Value::as_array) {
            println!("backtrace (innermost first):");
            for (i, frame) in frames.iter().enumerate() {
                println!("{i:>4}: {}", frame.as_str().unwrap_or("?"));
            }
        }
        print_debug(value);
        return;
    }
    let Value::Object(map) = value else {
        println!("{value}");
        return;
    };
    for (k, v) in map {
        match (k.as_str(), v) {
            ("debug", _) => print_debug(value),
            ("events", Value::Array(events)) => {
                for e in events {
                    if let Some(ty) = e["type"].as_str() {
                        // CosmWasm: `event: TYPE key=value ...`
                        let attributes = e["attributes"].as_array().map(Vec::as_slice).unwrap_or_default();
                        let pairs: Vec<String> = attributes
                            .iter()
                            .map(|a| {
                                format!(
                                    "{}={}",
                                    a["key"].as_str().unwrap_or(""),
                                    a["value"].as_str().unwrap_or("")
                                )
                            })
                            .collect();
                        println!("event: {ty} {}", pairs.join(" "));
                        continue;
                    }
                    let topics = e["topics_hex"].as_array().map(Vec::as_slice).unwrap_or_default();
                    let topics: Vec<&str> = topics.iter().filter_map(Value::as_str).collect();
                    println!(
                        "event: {} topics={} data={}",
                        e["contract"].as_str().unwrap_or(""),
                        topics.join(","),
                        e["data_hex"].as_str().unwrap_or("")
                    );
                }
            }
            (_, Value::String(s)) => println!("{k}: {s}"),
            _ => println!("{k}: {v}"),
        }
    }
}

/// The contracts' `debug` output of a `--debug` run, a line each.
fn print_debug(value: &Value) {
    for line in value["debug"].as_array().map(Vec::as_slice).unwrap_or_default() {
        println!("debug: {}", line.as_str().unwrap_or(""));
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal: call it with
/// (done, total); it redraws at most every 1/64 of the way and ends the line at the end.
pub(crate) fn progress_bar(label: &str) -> impl Fn(u64, u64) + Sync + '_ {
    use std::io::{IsTerminal, Write};
    let show = std::io::stderr().is_terminal();
    let last = std::sync::atomic::AtomicU64::new(u64::MAX);
    move |done: u64, total: u64| {
        let step = (done * 64).checked_div(total).unwrap_or(64);
        if !show || (last.swap(step, std::sync::atomic::Ordering::Relaxed) == step && done != total) {
            return;
        }
        let width = 30u64;
        let filled = (done * width).checked_div(total).unwrap_or(width) as usize;
        eprint!("\r{label} [{}{}] {done}/{total}", "#".repeat(filled), " ".repeat(width as usize - filled));
        if done == total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}
