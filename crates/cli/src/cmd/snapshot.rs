//! `cove snapshot export [--height H] FILE` and `cove snapshot import FILE`: state sync
//! (docs/state.md, "Snapshots").

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtime::{Manifest, Runtime};
use serde_json::json;

use crate::args::Cli;
use crate::output;

pub(crate) fn export(cli: &Cli, height: Option<u64>, file: &Path) -> Result<ExitCode> {
    let rt = super::open(cli)?;
    // Written beside the target and renamed into place, so a failed export leaves no
    // half file under the name.
    let partial = file.with_extension("partial");
    let mut out =
        std::fs::File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let bar = output::progress_bar("export");
    let manifest = match rt.export_snapshot(height, &mut out, &bar) {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    out.sync_all().with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, file).with_context(|| format!("writing {}", file.display()))?;
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
