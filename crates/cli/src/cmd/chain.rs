//! `cove chain show [--height H]`, `cove chain versions` and
//! `cove chain upgrade --at-height H FILE`: the chain's execution configuration
//! (docs/chain-config.md).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtime::{ConfigVersion, ExecutionConfig, NODE_LOCAL_SETTINGS};
use serde_json::{Value, json};

use crate::args::Cli;
use crate::output::Usage;

/// A version as JSON: activation height, hash, and the configuration if `with_config`.
fn version_json(v: &ConfigVersion, with_config: bool) -> Value {
    let mut out = json!({"activation_height": v.activation, "hash": v.hash_hex()});
    if with_config {
        out["config"] = v.config.to_json();
    }
    out
}

pub(crate) fn show(cli: &Cli, height: Option<u64>) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let height = match height {
        Some(h) => h,
        None => rt.last_block()?.height + 1,
    };
    let version = rt.execution_config(Some(height))?;
    let recorded = !rt.config_versions()?.is_empty();
    if cli.json {
        let mut out = version_json(&version, true);
        out["height"] = json!(height);
        out["recorded"] = json!(recorded);
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("# The chain's execution configuration at height {height}:");
    println!("# in force from height {}, hash {}.", version.activation, version.hash_hex());
    if !recorded {
        println!("# Not recorded yet: the first block records it as the chain's genesis configuration.");
    }
    print!("{}", toml::to_string(&*version.config).context("writing the configuration as TOML")?);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn versions(cli: &Cli) -> Result<ExitCode> {
    let rt = super::open_read_only(cli)?;
    let versions = rt.config_versions()?;
    if cli.json {
        let list: Vec<Value> = versions.iter().map(|v| version_json(v, false)).collect();
        println!("{}", json!({"versions": list}));
    } else if versions.is_empty() {
        println!("(none recorded yet: the first block records the genesis configuration)");
    } else {
        for v in &versions {
            println!("from height {}: {}", v.activation, v.hash_hex());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn upgrade(cli: &Cli, at_height: u64, file: &Path) -> Result<ExitCode> {
    let text = crate::input::read_text(file, &crate::input::CONFIG)?;
    let table: toml::Table = toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let local: Vec<String> = runtime::setting_names(&serde_json::to_value(&table)?)
        .into_iter()
        .filter(|s| NODE_LOCAL_SETTINGS.iter().any(|n| s == n || s.starts_with(&format!("{n}."))))
        .collect();
    if !local.is_empty() {
        return Err(Usage(format!(
            "{} sets node-local settings ({}): an upgrade changes execution settings only \
             (docs/chain-config.md); each node sets its own in --config",
            file.display(),
            local.join(", ")
        ))
        .into());
    }
    let rt = super::open(cli)?;
    // The settings the file does not set stay as they are in force before the height.
    let before = rt.execution_config(Some(at_height.saturating_sub(1)))?;
    let mut merged = before.config.to_json();
    merge(&mut merged, serde_json::to_value(&table)?);
    let config: ExecutionConfig =
        serde_json::from_value(merged).map_err(|e| Usage(format!("{}: {e}", file.display())))?;
    let mut block = rt.begin_block(super::now())?;
    let height = block.info().height;
    block.schedule_execution_config(at_height, &config)?;
    block.commit()?;
    let differences = before.config.differences(&config);
    let version = ConfigVersion::new(at_height, config);
    if cli.json {
        let changes: Vec<Value> = differences
            .iter()
            .map(|d| json!({"setting": d.setting, "from": d.chain, "to": d.local}))
            .collect();
        let out = json!({"status": "ok", "height": height, "activation_height": at_height,
            "hash": version.hash_hex(), "changes": changes});
        println!("{out}");
    } else {
        println!("scheduled in block {height}: from height {at_height}, hash {}", version.hash_hex());
        if differences.is_empty() {
            println!("  (no setting changes)");
        }
        for d in &differences {
            println!("  {}: {} -> {}", d.setting, d.chain, d.local);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets every leaf of `over` in `base`, tables merged key by key.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}
