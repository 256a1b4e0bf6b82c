//! Messages between a CosmWasm contract and a contract of another VM (cove's own ABI,
//! the EVM), all through the runtime's one dispatch ([`vm::Dispatch`]).
//!
//! This module owns the mapping, and only the mapping (`docs/cosmwasm.md`, "Contracts
//! of other VMs"): which entry point and input a `WasmMsg::Execute` or
//! `WasmQuery::Smart` names on such a contract, its funds as a value of the native
//! token, and how the callee's failure reads to the CosmWasm contract. It must not run
//! another VM itself: the dispatch checks the depth limit and the reentrancy policy,
//! runs the callee in a checkpoint and reverts it if it fails.
//!
//! Gas needs no conversion: CosmWasm contracts run on cove's engine with cove's
//! metering, so their gas is cove gas, which the dispatch hands to every VM. (A rate
//! would apply in [`call`], to the gas limit it gives and the gas used it reports, and
//! in the runtime's dispatch for calls into CosmWasm.)

use std::sync::Arc;

use serde::Deserialize;
use types::{Address, BlockInfo, CallError, ErrorKind, VmType};
use vm::{Balance, Dispatch, Env, Message, Outcome, Target, VmError};

use crate::msg::{Attribute, Coin, Event, b64};

/// Where a CosmWasm entry point runs in the runtime's call tree, owned (wasmtime's
/// store data is `'static`).
#[derive(Clone)]
pub(crate) struct Frame {
    /// The runtime's dispatch (a detached one when the VM runs alone).
    pub dispatch: Arc<dyn Dispatch>,
    /// The depth the entry point runs at: 0 for a transaction's, one more for each
    /// message or query that encloses it, across VMs.
    pub depth: u32,
    /// The contracts whose calls enclose the entry point, outermost first (itself
    /// excluded).
    pub callers: Vec<Address>,
}

impl Frame {
    /// The frame of a transaction or call run in `env`.
    pub(crate) fn of(env: &Env<'_>) -> Frame {
        Frame { dispatch: env.dispatch.clone(), depth: env.depth, callers: env.callers.to_vec() }
    }

    /// The frame `depth` levels below this one, inside the calls of `callers` (the
    /// contracts in between).
    pub(crate) fn below(&self, depth: u32, callers: &[Address]) -> Frame {
        let mut all = Vec::with_capacity(self.callers.len() + callers.len());
        all.extend_from_slice(&self.callers);
        all.extend_from_slice(callers);
        Frame { dispatch: self.dispatch.clone(), depth: self.depth.saturating_add(depth), callers: all }
    }

    /// The environment of a message sent from this frame in `block`: at its depth,
    /// inside its callers.
    pub(crate) fn env<'a>(&'a self, block: &'a BlockInfo) -> Env<'a> {
        Env { block, depth: self.depth, dispatch: &self.dispatch, callers: &self.callers }
    }
}

/// The `msg` of an execute or smart query to a contract of cove's ABI.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoveMsg {
    entry: String,
    #[serde(default, with = "b64")]
    input: Vec<u8>,
}

/// The entry point and input `msg` names on a contract of VM `vm`: for cove's ABI, JSON
/// `{"entry": "...", "input": "<base64>"}` (`input` may be left out: empty); for the
/// EVM, `msg` itself is the calldata.
pub(crate) fn entry_and_input(vm: VmType, msg: &[u8]) -> Result<(String, Vec<u8>), CallError> {
    match vm {
        VmType::Evm => Ok((String::new(), msg.to_vec())),
        VmType::Wasm => serde_json::from_slice::<CoveMsg>(msg).map(|m| (m.entry, m.input)).map_err(|e| {
            CallError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "a message to a contract of cove's ABI is {{\"entry\": \"...\", \"input\": \"<base64>\"}}: {e}"
                ),
            )
        }),
        VmType::CosmWasm => Err(CallError::new(ErrorKind::InvalidArgument, "not a contract of another VM")),
    }
}

/// The value `funds` send to a contract of another VM: their sum, all in the native
/// denomination `native`, the only token other VMs know.
pub(crate) fn value(native: &str, funds: &[Coin]) -> Result<Balance, CallError> {
    let mut total: u128 = 0;
    for coin in funds {
        if coin.denom != native {
            return Err(CallError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "a contract of another VM accepts only the native denomination {native}, not {}",
                    coin.denom
                ),
            ));
        }
        total = total
            .checked_add(coin.amount)
            .ok_or_else(|| CallError::new(ErrorKind::InvalidArgument, "the funds overflow 2^128 - 1"))?;
    }
    Ok(Balance::from_u128(total))
}

/// Runs `entry` of `target` (a contract of another VM) with `input` through the
/// dispatch, from `frame` (whose callers end with `sender`): the outcome, its failure
/// as [`failure`] words it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn call(
    frame: &Frame,
    block: &BlockInfo,
    state: &mut state::Journal,
    sender: Address,
    target: Address,
    entry: &str,
    input: Vec<u8>,
    value: Balance,
    gas_limit: types::Gas,
    read_only: bool,
) -> Result<Outcome, VmError> {
    let env = frame.env(block);
    let msg = Message {
        sender,
        target: Target::Call(target),
        entry,
        input,
        value,
        gas_limit: Some(gas_limit),
        read_only,
        callee: None,
    };
    let mut outcome = frame.dispatch.dispatch(state, &env, msg)?;
    outcome.result = outcome.result.map_err(failure);
    Ok(outcome)
}

/// A callee's failure as a CosmWasm contract sees it (a reply's error, a query's
/// error): its kind, and only what the callee's contract wrote (an abort's message,
/// revert data in hex). The host's own wording (wasmtime's, revm's) may change with
/// their versions, so it never reaches a contract, which could store it.
pub(crate) fn failure(e: CallError) -> CallError {
    let message = match e.kind {
        ErrorKind::Aborted => format!("aborted: {}", e.message),
        ErrorKind::Reverted => format!("reverted: 0x{}", hex::encode(&e.data)),
        kind => kind.as_str().to_string(),
    };
    CallError { message, ..e }
}

/// A cove event (of a contract of another VM) as a CosmWasm event in a reply: type
/// `cove_event`, the emitter's address, each topic and the data in hex.
pub(crate) fn event(addresses: &crate::Addresses, e: &types::Event) -> Event {
    let attr = |key: &str, value: String| Attribute { key: key.into(), value };
    let mut attributes = Vec::with_capacity(e.topics.len() + 2);
    attributes.push(attr("_contract_address", addresses.humanize(&e.contract)));
    attributes.extend(e.topics.iter().map(|t| attr("topic", hex::encode(t))));
    attributes.push(attr("data", hex::encode(&e.data)));
    Event { ty: "cove_event".into(), attributes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cove_message_names_an_entry_and_base64_input() {
        let (entry, input) = entry_and_input(VmType::Wasm, br#"{"entry":"set","input":"aGk="}"#).unwrap();
        assert_eq!((entry.as_str(), input.as_slice()), ("set", &b"hi"[..]));
        let (entry, input) = entry_and_input(VmType::Wasm, br#"{"entry":"get"}"#).unwrap();
        assert_eq!((entry.as_str(), input.len()), ("get", 0));
        for bad in
            [&br#"{"input":"aGk="}"#[..], br#"{"entry":"a","input":"!"}"#, br#"{"entry":"a","x":1}"#, b"\x01"]
        {
            let e = entry_and_input(VmType::Wasm, bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(entry_and_input(VmType::Evm, b"\x01\x02").unwrap(), (String::new(), vec![1, 2]));
    }

    #[test]
    fn only_native_funds_become_a_value() {
        let coin = |denom: &str, amount| Coin { denom: denom.into(), amount };
        assert_eq!(value("ucove", &[]).unwrap(), Balance::ZERO);
        assert_eq!(value("ucove", &[coin("ucove", 5), coin("ucove", 7)]).unwrap(), Balance::from_u128(12));
        let e = value("ucove", &[coin("ucove", 5), coin("uatom", 1)]).unwrap_err();
        assert!(e.message.contains("uatom") && e.message.contains("ucove"), "{}", e.message);
        assert!(value("ucove", &[coin("ucove", u128::MAX), coin("ucove", 1)]).is_err());
    }

    #[test]
    fn a_failure_shows_its_kind_and_only_what_the_contract_wrote() {
        let trap = failure(CallError::new(ErrorKind::Trap, "wasm trap: unreachable at 0x1f"));
        assert_eq!((trap.kind, trap.message.as_str()), (ErrorKind::Trap, "trap"));
        assert_eq!(failure(CallError::new(ErrorKind::Aborted, "boom")).message, "aborted: boom");
        let reverted = failure(CallError::reverted(vec![0xab, 0x01]));
        assert_eq!((reverted.message.as_str(), reverted.data), ("reverted: 0xab01", vec![0xab, 0x01]));
    }
}
