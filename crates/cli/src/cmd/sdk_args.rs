//! `--args JSON` on `call`, `query` and `estimate-gas`: the arguments of a contract built
//! with cove-sdk, encoded by its module's ABI section, and its result decoded back
//! (`cove-abi`, `docs/sdk.md`). Every ABI error is a usage error, raised before anything
//! runs.

use anyhow::Result;
use runtime::{ContractInfo, Receipt, Runtime, RuntimeError};
use serde_json::{Value, json};
use types::VmType;

use crate::args::CallArgs;
use crate::output::Usage;
use abi::{AbiError, EntryPoint};

/// With `--args`: the entry point METHOD of the contract's ABI and the encoded input,
/// or a usage error before anything runs. `info` is the contract as the call will see it.
pub(crate) fn input(
    rt: &Runtime,
    info: Option<ContractInfo>,
    a: &CallArgs,
) -> Result<Option<(EntryPoint, Vec<u8>)>> {
    let Some(args) = &a.args else { return Ok(None) };
    let info = info.ok_or_else(|| RuntimeError::NotFound(format!("no contract at {}", a.address)))?;
    if info.vm != VmType::Wasm {
        return Err(Usage(format!(
            "--args is for WASM contracts built with cove-sdk; this is a {} contract (use --calldata or --msg)",
            info.vm
        ))
        .into());
    }
    let code = rt.code(&info.code_id)?.ok_or_else(|| {
        RuntimeError::Corrupt(format!("code {} is referenced but not stored", info.code_id))
    })?;
    let entry = abi::entry_point(&code, a.method.as_deref().unwrap_or_default()).map_err(usage)?;
    let input = entry.encode_args(args).map_err(usage)?;
    Ok(Some((entry, input)))
}

/// An ABI error as a usage error, with the way around it where the ABI cannot help.
pub(crate) fn usage(e: AbiError) -> anyhow::Error {
    let hint = match e {
        AbiError::NoSection => ": use --args-hex",
        AbiError::UnsupportedType { .. } => "; use --args-hex",
        _ => "",
    };
    Usage(format!("{e}{hint}")).into()
}

/// `{"return_hex": …}`, plus `result`, the return bytes decoded by `entry`'s result
/// type (or `result_error` if they do not decode), when the call succeeded.
pub(crate) fn return_json(receipt: &Receipt, entry: Option<&EntryPoint>) -> Value {
    let ret = receipt.result.as_ref().map(hex::encode).unwrap_or_default();
    let mut value = json!({"return_hex": ret});
    if let (Some(entry), Ok(bytes)) = (entry, &receipt.result) {
        match entry.decode_result(bytes) {
            Ok(result) => value["result"] = result,
            Err(e) => value["result_error"] = json!(format!("{e:#}")),
        }
    }
    value
}
