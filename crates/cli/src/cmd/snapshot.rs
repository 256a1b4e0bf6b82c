//! `cove snapshot export [--height H] FILE` and `cove snapshot import FILE`: state sync
//! (docs/state.md, "Snapshots").

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
    print(cli, &manifest, file);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn import(cli: &Cli, file: &Path) -> Result<ExitCode> {
    let config = super::load_config(cli)?;
    let bar = output::progress_bar("import");
    let manifest = Runtime::import_snapshot(&cli.data_dir, &config, file, &bar)
        .with_context(|| format!("importing {} into {}", file.display(), cli.data_dir.display()))?;
    print(cli, &manifest, file);
    Ok(ExitCode::SUCCESS)
}

fn print(cli: &Cli, m: &Manifest, file: &Path) {
    let value = json!({
        "status": "ok",
        "file": file.display().to_string(),
        "height": m.height,
        "root": m.root,
        "keys": m.keys,
        "chunks": m.chunks.len(),
    });
    if cli.json {
        println!("{value}");
    } else {
        output::print_human(&value);
    }
}
