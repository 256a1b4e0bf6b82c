//! A checked native transaction run as the runtime's own transaction of its kind
//! (`create_with_flags`, `store_code`, `instantiate_with_flags`, `call_with_value`,
//! `cosmwasm`, `fund`): the same calls `cove deploy`, `call`, `store` and `batch` make,
//! so nothing here executes anything itself. Fees and nonces are the block builder's
//! (`produce.rs`).

use alloy_primitives::{B256, Bytes};
use runtime::{AppFlags, Balance, Block, Receipt, RuntimeError};
use types::{Address, CodeId, VmType};

use crate::chain::NativeOutcome;
use crate::native::{Kind, NativeTx};

/// Runs `tx` from `sender` with gas limit `limit` (its intrinsic gas included, which the
/// receipt's `gas_used` includes too). `Err` only where the runtime left the block
/// untouched (dropped transaction, node fault).
pub(crate) fn run(
    block: &mut Block<'_>,
    sender: Address,
    tx: &NativeTx,
    limit: u64,
) -> Result<(Receipt, NativeOutcome), RuntimeError> {
    let intrinsic = tx.intrinsic_gas();
    let left = limit.saturating_sub(intrinsic);
    let gas = Some(left);
    let value = Balance(tx.value.to_be_bytes::<32>());
    let flags = AppFlags::from_byte(tx.flags).unwrap_or(AppFlags::DEFAULT);
    let to = tx.to_address().map(|a| Address(a.into_array())).unwrap_or_default();
    let input = tx.input.to_vec();
    let entry = tx.entry_str();
    let kind = tx.kind().ok_or_else(|| RuntimeError::InvalidArgument(format!("kind {}", tx.kind)))?;
    let mut receipt = match kind {
        Kind::Deploy => {
            block.create_with_flags(VmType::Wasm, sender, &tx.code, entry, input, value, gas, flags)?
        }
        Kind::Store => block.store_code(&tx.code, gas)?,
        Kind::Instantiate => {
            let mut id = [0u8; 32];
            id.copy_from_slice(&tx.code_id);
            block.instantiate_with_flags(sender, CodeId(id), entry, input, value, gas, flags)?
        }
        Kind::Call => block.call_with_value(sender, to, entry, input, value, gas)?,
        Kind::CwInstantiate | Kind::CwExecute | Kind::CwMigrate => {
            let denom = block.config().cosmwasm.native_denom.clone();
            let amount = u128::try_from(tx.value).unwrap_or(u128::MAX);
            let funds = if tx.value.is_zero() { Vec::new() } else { vec![cosmwasm::Coin { denom, amount }] };
            let admin = tx.admin_address().map(|a| Address(a.into_array()));
            let action = match kind {
                Kind::CwInstantiate => {
                    cosmwasm::Action::Instantiate { code: &tx.code, label: tx.label_str(), admin }
                }
                Kind::CwExecute => cosmwasm::Action::Execute { contract: to },
                _ => cosmwasm::Action::Migrate { contract: to, code: &tx.code },
            };
            let request = cosmwasm::Request { sender, action, msg: &tx.input, funds: &funds, gas_limit: gas };
            block.cosmwasm(request)?.0
        }
        Kind::Fund => block.fund(to, value)?,
    };
    receipt.gas_used = intrinsic.saturating_add(receipt.gas_used.min(left));
    let outcome = NativeOutcome {
        output: receipt.result.as_ref().map(|o| Bytes::copy_from_slice(o)).unwrap_or_default(),
        error: receipt.result.as_ref().err().map(|e| (e.kind.as_str().to_string(), e.message.clone())),
        code_id: receipt.code_id.map(|c| B256::from(c.0)),
    };
    Ok((receipt, outcome))
}
