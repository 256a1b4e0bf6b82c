//! `cove upgrade ADDRESS FILE [--sender ADDR]`

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::args::{Cli, UpgradeArgs};
use crate::output;

pub(crate) fn run(cli: &Cli, a: &UpgradeArgs) -> Result<ExitCode> {
    let code = super::read_code(&a.file)?;
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let sender = a.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let receipt = block.upgrade(sender, a.address, &code, a.gas_limit)?;
    block.commit()?;
    let success = json!({
        "address": a.address.to_string(),
        "code_id": receipt.code_id.map(|c| c.to_string()),
    });
    Ok(output::receipt(&receipt, cli.json, success))
}
