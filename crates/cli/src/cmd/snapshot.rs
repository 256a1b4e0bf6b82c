//! `cove snapshot export [--height H] FILE` and `cove snapshot import FILE`: state sync
//! (docs/state.md, "Snapshots"); `cove snapshot import --rpc URL [--height H] [--root
//! HEX]` fetches the snapshot from a running node (docs/node.md, "Snapshots over RPC").

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtime::{Manifest, Runtime, SnapshotFile};
use serde_json::json;

use crate::args::Cli;
use crate::output;

pub(crate) fn export(cli: &Cli, height: Option<u64>, file: &Path) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    // Refuses a target inside the data dir; written beside the target and renamed into
    // place, and removed if the export fails, so nothing half-written is left.
    let mut out = SnapshotFile::create(&cli.data_dir, file)?;
    let bar = output::progress_bar("export");
    let manifest = rt.export_snapshot(height, &mut out, &bar)?;
    out.persist()?;
    print(cli, &manifest, ("file", file.display().to_string()));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import(cli: &Cli, file: &Path) -> Result<ExitCode> {
    let config = super::load_config(cli)?;
    let bar = output::progress_bar("import");
    let manifest = Runtime::import_snapshot(&cli.data_dir, &config, file, &bar)
        .with_context(|| format!("importing {} into {}", file.display(), cli.data_dir.display()))?;
    print(cli, &manifest, ("file", file.display().to_string()));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import_rpc(cli: &Cli, url: &str, height: Option<u64>, root: Option<&str>) -> Result<ExitCode> {
    let config = super::load_config(cli)?;
    let rpc = super::remote::Rpc::new(url)?;
    let mut call = |method: &str, params: serde_json::Value| match rpc.try_call(method, params) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{method}: {}", e["message"].as_str().unwrap_or("error"))),
        Err(e) => Err(format!("{e:#}")),
    };
    let bar = output::progress_bar("fetch");
    let manifest = node::snapshot_fetch::import(&mut call, &cli.data_dir, &config, height, root, &bar)
        .with_context(|| format!("importing the snapshot of {url} into {}", cli.data_dir.display()))?;
    print(cli, &manifest, ("rpc", url.to_string()));
    Ok(ExitCode::SUCCESS)
}

/// The manifest's figures, with where the snapshot came from or went (`source`).
fn print(cli: &Cli, m: &Manifest, source: (&str, String)) {
    let mut value = json!({
        "status": "ok",
        "height": m.height,
        "root": m.root,
        "keys": m.keys,
        "chunks": m.chunks.len(),
    });
    value[source.0] = json!(source.1);
    output::print(cli.json, &value);
}
