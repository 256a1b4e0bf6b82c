//! `cove deploy FILE [--init METHOD] [--args-hex HEX]`

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::args::{Cli, DeployArgs};
use crate::output;

pub(crate) fn run(cli: &Cli, a: &DeployArgs) -> Result<ExitCode> {
    let code = super::read_code(&a.file)?;
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
    let init = a.init.as_deref().map(|m| (m, a.args_hex.clone().unwrap_or_default().0));
    let receipt = block.deploy(sender, &code, init, a.tx.gas_limit)?;
    block.commit()?;
    let success = json!({
        "address": receipt.address.map(|a| a.to_string()),
        "code_id": receipt.code_id.map(|c| c.to_string()),
    });
    Ok(output::receipt(&receipt, cli.json, success))
}
