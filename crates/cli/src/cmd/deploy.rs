//! `cove deploy (FILE | --code-hex HEX | --code-id ID) [--vm wasm|evm|cosmwasm] [--init METHOD] [--args-hex HEX | --args JSON | --msg JSON]
//! [--value N | --funds COINS] [--label L] [--admin ADDR] [--flags callable,importable,public]`

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use cosmwasm::{Action, Request};
use runtime::{Block, Receipt};
use serde_json::{Value, json};
use types::{Address, VmType};

use crate::args::{Cli, DeployArgs};
use crate::output::{self, Usage};

pub(crate) fn run(cli: &Cli, a: &DeployArgs) -> Result<ExitCode> {
    let tx = prepare(a)?;
    let rt = super::open(cli)?;
    let mut block = rt.begin_block(super::now())?;
    let (receipt, value) = tx.apply(&mut block)?;
    block.commit()?;
    Ok(output::print_receipt(&receipt, cli.json, value))
}

/// A deploy with its code read and its arguments checked, ready to run in a block.
pub(crate) struct Deploy<'a> {
    a: &'a DeployArgs,
    vm: VmType,
    code: Vec<u8>,
    /// The init entry point's input: `--args-hex`, or `--args` encoded by the ABI.
    input: Vec<u8>,
}

/// Reads the code and checks the arguments, before any block starts.
pub(crate) fn prepare(a: &DeployArgs) -> Result<Deploy<'_>> {
    if a.code_id.is_some() {
        if a.init.is_none() && a.args_hex.as_ref().is_some_and(|h| !h.0.is_empty()) {
            bail!("--args-hex with --code-id is the input of --init; name the entry point");
        }
        let input = a.args_hex.clone().unwrap_or_default().0;
        return Ok(Deploy { a, vm: VmType::Wasm, code: Vec::new(), input });
    }
    let mut vm = a.vm.unwrap_or_else(|| guess_vm(a));
    let code = match (&a.code_hex, &a.file) {
        (Some(hex), _) => hex.0.clone(),
        (None, Some(file)) if vm == VmType::Evm => read_hex_file(file)?,
        (None, Some(file)) => super::read_code(file)?,
        (None, None) => bail!("give a file or --code-hex"),
    };
    // An instantiate message, or the interface export, makes it CosmWasm (so a module
    // that does not even parse is refused by CosmWasm's validation, as `validation`).
    if a.vm.is_none() && vm == VmType::Wasm && (a.msg.is_some() || cosmwasm::abi::is_cosmwasm(&code)) {
        vm = VmType::CosmWasm;
    }
    if vm != VmType::Wasm && a.flags.is_some() {
        bail!("--flags is for contracts of cove's ABI; a {vm} contract has the defaults");
    }
    if (vm == VmType::CosmWasm) != a.msg.is_some() {
        bail!("--msg (the instantiate message) is for CosmWasm contracts, and they need one");
    }
    if vm == VmType::CosmWasm && a.file.is_none() {
        bail!("a CosmWasm contract is deployed from its .wasm file");
    }
    if vm == VmType::Evm && a.init.is_some() {
        bail!("--init names a WASM entry point; EVM init code runs its constructor itself");
    }
    if vm == VmType::Wasm && a.init.is_none() && a.args_hex.as_ref().is_some_and(|h| !h.0.is_empty()) {
        bail!("--args-hex for a WASM deploy is the input of --init; name the entry point");
    }
    let input = match &a.args {
        Some(args) if vm == VmType::Wasm => {
            let entry = abi::entry_point(&code, a.init.as_deref().unwrap_or_default());
            entry.and_then(|e| e.encode_args(args)).map_err(super::sdk_args::usage)?
        }
        Some(_) => bail!(Usage("--args is for WASM contracts built with cove-sdk".into())),
        None => a.args_hex.clone().unwrap_or_default().0,
    };
    Ok(Deploy { a, vm, code, input })
}

impl Deploy<'_> {
    /// The VM, the code and the init input, for a deploy sent elsewhere (`--rpc`).
    pub(crate) fn parts(&self) -> (VmType, &[u8], &[u8]) {
        (self.vm, &self.code, &self.input)
    }

    /// Runs the deploy as one transaction of `block`: its receipt and its JSON.
    pub(crate) fn apply(&self, block: &mut Block<'_>) -> Result<(Receipt, Value)> {
        let a = self.a;
        let sender = a.tx.sender.unwrap_or(runtime::DEFAULT_SENDER);
        if let Some(msg) = &a.msg {
            return self.instantiate(block, sender, &msg.0);
        }
        let input = self.input.clone();
        let entry = a.init.as_deref().unwrap_or("");
        let value = a.value.unwrap_or_default();
        let flags = a.flags.unwrap_or_default();
        let gas = a.tx.gas_limit;
        let receipt = match a.code_id {
            Some(code_id) => {
                block.instantiate_with_flags(sender, code_id, entry, input, value, gas, flags)?
            }
            None => block.create_with_flags(self.vm, sender, &self.code, entry, input, value, gas, flags)?,
        };
        let value = output::receipt_json(&receipt, self.created(&receipt));
        Ok((receipt, value))
    }

    /// A CosmWasm instantiate, with its funds, label and admin.
    fn instantiate(&self, block: &mut Block<'_>, sender: Address, msg: &[u8]) -> Result<(Receipt, Value)> {
        let a = self.a;
        let native = block.runtime().config().cosmwasm.native_denom.clone();
        let funds = super::cosmwasm::funds(&native, a.value, a.funds.as_ref())?;
        let stem = a.file.as_deref().and_then(Path::file_stem).map(|s| s.to_string_lossy().into_owned());
        let label = a.label.clone().or(stem).unwrap_or_else(|| "contract".to_string());
        let request = Request {
            sender,
            action: Action::Instantiate { code: &self.code, label: &label, admin: a.admin },
            msg,
            funds: &funds,
            gas_limit: a.tx.gas_limit,
        };
        // The address is only known once it ran: fill in the fields after.
        let (receipt, mut value) = super::cosmwasm::apply(block, request, a.tx.debug, json!({}))?;
        if receipt.result.is_ok()
            && let (Value::Object(dst), Value::Object(src)) = (&mut value, self.created(&receipt))
        {
            dst.extend(src);
        }
        Ok((receipt, value))
    }

    /// What a successful deploy adds: the VM, address and code id.
    fn created(&self, receipt: &Receipt) -> Value {
        json!({
            "vm": self.vm.as_str(),
            "address": receipt.address.map(|a| a.to_string()),
            "code_id": receipt.code_id.map(|c| c.to_string()),
        })
    }
}

/// EVM for hex input, WASM otherwise (then CosmWasm if the module or `--msg` says so).
fn guess_vm(a: &DeployArgs) -> VmType {
    let hex_file = a.file.as_deref().and_then(Path::extension).is_some_and(|e| e == "hex" || e == "bin");
    if a.code_hex.is_some() || hex_file { VmType::Evm } else { VmType::Wasm }
}

/// A file of hex (optionally `0x`-prefixed, surrounding whitespace ignored), at most
/// `input::MAX_CODE_FILE_BYTES`.
fn read_hex_file(path: &Path) -> Result<Vec<u8>> {
    let text = crate::input::read_text(path, &crate::input::CODE)?;
    let digits = text.trim();
    hex::decode(digits.strip_prefix("0x").unwrap_or(digits))
        .with_context(|| format!("{} is not hex EVM code", path.display()))
}
