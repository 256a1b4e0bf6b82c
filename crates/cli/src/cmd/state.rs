//! `cove state ADDRESS [--height H]`: a contract's storage; `cove state root`, `proof`
//! and `verify-proof`: the state commitment (docs/state.md, docs/cli.md).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtime::{Hash, Proof, keys};
use serde_json::{Value, json};
use types::Address;

use crate::args::{Cli, parse_address};
use crate::{input, output};

pub(crate) fn run(cli: &Cli, address: &Address, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let at = rt.at(height)?;
    let entries = at.contract_state(address)?;
    // Entries with a life alive at this height (docs/state.md, "Storage with a life").
    let lived = at.lived_state(address)?;
    let h = at.block().height;
    if cli.json {
        let entries: Vec<_> = entries
            .iter()
            .map(|(k, v)| json!({"key_hex": hex::encode(k), "value_hex": hex::encode(v)}))
            .collect();
        let lived: Vec<_> = lived
            .iter()
            .map(|(k, e)| {
                json!({"key_hex": hex::encode(k), "value_hex": hex::encode(&e.value),
                       "expires": e.expires, "life": e.life_at(h)})
            })
            .collect();
        println!("{}", json!({"entries": entries, "lived": lived}));
    } else {
        if entries.is_empty() && lived.is_empty() {
            println!("(no entries)");
        }
        for (k, v) in &entries {
            println!("{} = {}", hex::encode(k), hex::encode(v));
        }
        for (k, e) in &lived {
            let (key, value, life, expires) =
                (hex::encode(k), hex::encode(&e.value), e.life_at(h), e.expires);
            println!("{key} = {value} (life {life}: absent from block {expires})");
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
    output::print(cli.json, &json!({"status": "ok", "height": height, "root": root}));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn root(cli: &Cli, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let record = rt.block_record(height)?;
    let root = record.root.map(hex::encode);
    output::print(cli.json, &json!({"height": record.height, "timestamp": record.timestamp, "root": root}));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn proof(
    cli: &Cli,
    address: &Address,
    key: &[u8],
    height: Option<u64>,
    lived: bool,
) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let raw_key = if lived { runtime::lived::key(address, key) } else { keys::storage(address, key) };
    let (record, proof) = rt.proof(&raw_key, height)?;
    let root = record.root.context("this store commits to no root")?;
    let mut out = json!({
        "height": record.height,
        "root": hex::encode(root),
        "address": address.to_string(),
        "key_hex": hex::encode(key),
        "value_hex": proof.value.as_ref().map(hex::encode),
        "proof": proof_json(&proof),
    });
    if lived {
        let entry = proof.value.as_deref().map(lived_record).transpose().map_err(anyhow::Error::msg)?;
        out["lived"] = json!(true);
        out["value_hex"] = json!(entry.as_ref().map(|(_, v)| hex::encode(v)));
        out["expires"] = json!(entry.as_ref().map(|(e, _)| *e));
        out["alive"] = json!(entry.is_some_and(|(e, _)| record.height < e));
    }
    output::print(cli.json, &out);
    Ok(ExitCode::SUCCESS)
}

/// A stored entry with a life, `expires (u64 BE) ++ value`: its expiry and value.
fn lived_record(stored: &[u8]) -> Result<(u64, &[u8]), String> {
    match stored.split_first_chunk::<8>() {
        Some((e, value)) if !value.is_empty() => Ok((u64::from_be_bytes(*e), value)),
        _ => Err(format!("a stored entry with a life of {} bytes", stored.len())),
    }
}

/// The fields a proof file may state: what `state proof --json` prints.
const FILE_FIELDS: [&str; 9] =
    ["height", "root", "address", "key_hex", "value_hex", "proof", "lived", "expires", "alive"];

/// The fields of its `proof`.
const PROOF_FIELDS: [&str; 5] = ["depth", "key_hex", "value_hex", "others", "siblings"];

/// Checks a proof file: exit 0 if every field it states is shown by the proof or
/// matches `--root`/`--height`, exit 1 with kind `invalid_proof` otherwise (a file that
/// cannot be read or is too large: exit 2).
pub(crate) fn verify_proof(
    cli: &Cli,
    file: &Path,
    root: Option<&[u8]>,
    height: Option<u64>,
) -> Result<ExitCode> {
    let root: Option<Hash> =
        root.map(|r| r.try_into().ok().context("--root must be 32 bytes of hex")).transpose()?;
    let bytes = input::read(file, &input::PROOF)?;
    match check_proof_file(&bytes, root, height) {
        Ok(shown) => {
            let mut v = json!({"status": "ok", "valid": true});
            v.as_object_mut().expect("object").extend(shown.as_object().expect("object").clone());
            output::print(cli.json, &v);
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            let message = format!("{}: {reason}", file.display());
            let v = json!({"status": "error", "valid": false, "error": {"kind": "invalid_proof", "message": message}});
            output::print(cli.json, &v);
            Ok(ExitCode::from(1))
        }
    }
}

/// What the proof file `bytes` shows, once each field it states has been checked against
/// the proof (`address`, `key_hex`, `value_hex`), the root it verifies against (`root`,
/// which must equal `root_arg` if given) or `height_arg` (`height`, which no proof can
/// show); any other field is refused. The reason if anything fails.
fn check_proof_file(bytes: &[u8], root_arg: Option<Hash>, height_arg: Option<u64>) -> Result<Value, String> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let fields = doc.as_object().ok_or("not a JSON object")?;
    if let Some(f) = fields.keys().find(|k| !FILE_FIELDS.contains(&k.as_str())) {
        return Err(format!("it states {f:?}, which verify-proof cannot check"));
    }
    let proof = proof_from_json(fields.get("proof").ok_or("it holds no proof")?)
        .map_err(|e| format!("the proof: {e:#}"))?;

    let stated_root = fields.get("root").map(hash).transpose().map_err(|e| format!("root: {e:#}"))?;
    let root = match (root_arg, stated_root) {
        (Some(arg), Some(stated)) if arg != stated => {
            return Err(format!("its root {} is not --root {}", hex::encode(stated), hex::encode(arg)));
        }
        (Some(root), _) | (None, Some(root)) => root,
        (None, None) => return Err("it states no root: give --root".into()),
    };

    let stated_height = match fields.get("height") {
        None => None,
        // An integer, or a hex quantity as `cove_getProof` answers.
        Some(v) => Some(
            v.as_u64()
                .or_else(|| v.as_str()?.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()))
                .ok_or("height must be an integer or a 0x hex quantity")?,
        ),
    };
    match (height_arg, stated_height) {
        (Some(arg), Some(stated)) if arg != stated => {
            return Err(format!("it states height {stated}, not --height {arg}"));
        }
        (None, Some(stated)) => {
            return Err(format!(
                "it states height {stated}, which a proof cannot show: give --height {stated} \
                 (with --root, the root of that height from a source you trust) to check it"
            ));
        }
        (Some(arg), None) => return Err(format!("--height {arg} is given but it states no height")),
        _ => {}
    }

    let address = match fields.get("address") {
        None => None,
        Some(v) => Some(parse_address(v.as_str().ok_or("address must be a string")?)?),
    };
    // An entry with a life: its own key space, and a stored value `expires ++ value`.
    let lived = match fields.get("lived") {
        None => false,
        Some(v) => v.as_bool().ok_or("lived must be true or false")?,
    };
    if !lived && (fields.contains_key("expires") || fields.contains_key("alive")) {
        return Err("it states expires or alive without \"lived\": true".into());
    }
    let prefix = |a: &Address| if lived { runtime::lived::prefix(a) } else { keys::storage_prefix(a) };
    if let Some(address) = &address
        && !proof.key.starts_with(&prefix(address))
    {
        let what = if lived { "an entry with a life" } else { "a storage slot" };
        return Err(format!("the proof is not of {what} of address {address}"));
    }
    if let Some(key) = fields.get("key_hex") {
        let key = hex::decode(key.as_str().ok_or("key_hex must be a hex string")?)
            .map_err(|e| format!("key_hex: {e}"))?;
        let address = address.as_ref().ok_or("it states key_hex (a contract's key) without its address")?;
        if proof.key != [&prefix(address)[..], &key].concat() {
            return Err("the proof is of another key than key_hex".into());
        }
    }
    let entry = if lived { proof.value.as_deref().map(lived_record).transpose()? } else { None };
    if lived {
        if let Some(expires) = fields.get("expires") {
            let expires = match expires {
                Value::Null => None,
                v => Some(v.as_u64().ok_or("expires must be an integer or null")?),
            };
            if expires != entry.map(|(e, _)| e) {
                return Err("expires differs from the proof's entry".into());
            }
        }
        if let Some(alive) = fields.get("alive") {
            let alive = alive.as_bool().ok_or("alive must be true or false")?;
            let height = stated_height.ok_or("it states alive, which depends on the height: state it")?;
            if alive != entry.is_some_and(|(e, _)| height < e) {
                return Err(format!("alive is {alive}, which the proof's entry at height {height} is not"));
            }
        }
    }
    if let Some(value) = fields.get("value_hex") {
        let value = match value {
            Value::Null => None,
            v => Some(
                hex::decode(v.as_str().ok_or("value_hex must be a hex string or null")?)
                    .map_err(|e| format!("value_hex: {e}"))?,
            ),
        };
        let proven = if lived { entry.map(|(_, v)| v.to_vec()) } else { proof.value.clone() };
        if value != proven {
            return Err("value_hex differs from the proof's value".into());
        }
    }

    proof.verify(&root).map_err(|e| e.to_string())?;
    let mut shown = json!({
        "root": hex::encode(root),
        "key_hex": hex::encode(&proof.key),
        "value_hex": proof.value.as_ref().map(hex::encode),
        "kind": if proof.value.is_some() { "inclusion" } else { "non_inclusion" },
    });
    if let Some(height) = stated_height {
        shown["height"] = json!(height);
    }
    if let Some(address) = address {
        shown["address"] = json!(address.to_string());
    }
    if lived {
        shown["lived"] = json!(true);
        shown["expires"] = json!(entry.map(|(e, _)| e));
        if let Some(height) = stated_height {
            shown["alive"] = json!(entry.is_some_and(|(e, _)| height < e));
        }
    }
    Ok(shown)
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
    let fields = v.as_object().context("not a JSON object")?;
    if let Some(f) = fields.keys().find(|k| !PROOF_FIELDS.contains(&k.as_str())) {
        bail!("unknown field {f:?}");
    }
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
    hex::decode(s.strip_prefix("0x").unwrap_or(s))
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{s:?} is not a 32-byte hex hash"))
}
