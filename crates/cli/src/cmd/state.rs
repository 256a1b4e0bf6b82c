//! `cove state ADDRESS [--height H]`: a contract's storage; `cove state root`, `proof`
//! and `verify-proof`: the state commitment (docs/state.md, docs/cli.md).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtime::{Hash, Proof};
use serde_json::{Value, json};
use types::Address;

use crate::args::Cli;
use crate::output;

pub(crate) fn run(cli: &Cli, address: &Address, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let entries = rt.at(height)?.contract_state(address)?;
    if cli.json {
        let entries: Vec<_> = entries
            .iter()
            .map(|(k, v)| json!({"key_hex": hex::encode(k), "value_hex": hex::encode(v)}))
            .collect();
        println!("{}", json!({"entries": entries}));
    } else {
        if entries.is_empty() {
            println!("(no entries)");
        }
        for (k, v) in &entries {
            println!("{} = {}", hex::encode(k), hex::encode(v));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cove state repair`: a read-write open and nothing else. Opening replays the block
/// log and repairs the database if it was not closed cleanly; closing writes every
/// logged block back into the tables.
pub(crate) fn repair(cli: &Cli) -> Result<ExitCode> {
    let config = super::load_config(cli)?;
    let head = runtime::Runtime::repair(&cli.data_dir, &config)
        .with_context(|| format!("repairing the state in {}", cli.data_dir.display()))?;
    let (height, root) = head.map_or((0, None), |r| (r.height, r.root.map(hex::encode)));
    print(cli, &json!({"status": "ok", "height": height, "root": root}));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn root(cli: &Cli, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let record = rt.block_record(height)?;
    let root = record.root.map(hex::encode);
    print(cli, &json!({"height": record.height, "timestamp": record.timestamp, "root": root}));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn proof(cli: &Cli, address: &Address, key: &[u8], height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let (record, proof) = rt.proof(&runtime::keys::storage(address, key), height)?;
    let root = record.root.context("this store commits to no root")?;
    print(
        cli,
        &json!({
            "height": record.height,
            "root": hex::encode(root),
            "address": address.to_string(),
            "key_hex": hex::encode(key),
            "value_hex": proof.value.as_ref().map(hex::encode),
            "proof": proof_json(&proof),
        }),
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify_proof(cli: &Cli, file: &Path, root: Option<&[u8]>) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let proof = proof_from_json(&doc["proof"]).with_context(|| format!("{}: the proof", file.display()))?;
    let root: Hash = match root {
        Some(r) => r.try_into().ok().context("--root must be 32 bytes of hex")?,
        None => hash(&doc["root"]).with_context(|| format!("{}: the root", file.display()))?,
    };
    // The file's own claims must be the proof's: a verifier checks what it is shown.
    if let Some(claimed) = doc.get("value_hex")
        && *claimed != json!(proof.value.as_ref().map(hex::encode))
    {
        bail!("{}: value_hex differs from the proof's value", file.display());
    }
    let value = json!({
        "root": hex::encode(root),
        "key_hex": hex::encode(&proof.key),
        "value_hex": proof.value.as_ref().map(hex::encode),
        "kind": if proof.value.is_some() { "inclusion" } else { "non_inclusion" },
    });
    match proof.verify(&root) {
        Ok(()) => {
            let mut v = json!({"status": "ok", "valid": true});
            v.as_object_mut().expect("object").extend(value.as_object().expect("object").clone());
            print(cli, &v);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let v = json!({"status": "error", "valid": false, "error": {"kind": "invalid_proof", "message": e.to_string()}});
            print(cli, &v);
            Ok(ExitCode::from(1))
        }
    }
}

fn print(cli: &Cli, value: &Value) {
    if cli.json {
        println!("{value}");
    } else {
        output::print_human(value);
    }
}

/// A proof as JSON: the raw state key, the value, the bucket's other leaves and the
/// siblings, all hex (docs/cli.md).
fn proof_json(p: &Proof) -> Value {
    json!({
        "depth": p.depth,
        "key_hex": hex::encode(&p.key),
        "value_hex": p.value.as_ref().map(hex::encode),
        "others": p.others.iter().map(|(kh, leaf)| json!([hex::encode(kh), hex::encode(leaf)])).collect::<Vec<_>>(),
        "siblings": p.siblings.iter().map(hex::encode).collect::<Vec<_>>(),
    })
}

fn proof_from_json(v: &Value) -> Result<Proof> {
    let text = |v: &Value, what: &str| -> Result<String> {
        Ok(v.as_str().with_context(|| format!("{what} must be a hex string"))?.to_owned())
    };
    let depth =
        v["depth"].as_u64().and_then(|d| u8::try_from(d).ok()).context("depth must be a small integer")?;
    let key = hex::decode(text(&v["key_hex"], "key_hex")?).context("key_hex")?;
    let value = match &v["value_hex"] {
        Value::Null => None,
        other => Some(hex::decode(text(other, "value_hex")?).context("value_hex")?),
    };
    let others = v["others"]
        .as_array()
        .context("others must be an array")?
        .iter()
        .map(|pair| Ok((hash(&pair[0])?, hash(&pair[1])?)))
        .collect::<Result<Vec<_>>>()?;
    let siblings = v["siblings"]
        .as_array()
        .context("siblings must be an array")?
        .iter()
        .map(hash)
        .collect::<Result<Vec<_>>>()?;
    Ok(Proof { depth, key, value, others, siblings })
}

fn hash(v: &Value) -> Result<Hash> {
    let s = v.as_str().context("a hash must be a hex string")?;
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{s:?} is not a 32-byte hex hash"))
}
