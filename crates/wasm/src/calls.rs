//! Calls from one contract to another: the engine's seam to whoever runs the callee,
//! and the host functions `call`, `create`, `library_call`, `call_result_len` and
//! `call_result_read`.
//!
//! The engine knows neither the journal nor other VMs: a [`ContractCalls`] handler
//! given to [`crate::Vm::with_calls`] runs the callee (the runtime dispatches it to the
//! callee's VM in a nested checkpoint, checks the depth limit and the reentrancy
//! policy). The engine owns the ABI side: the checks, the gas forwarded and refunded,
//! the status code, the result buffer, the events of a successful callee.

use types::{Address, CallError, CodeId, ErrorKind, Event, Gas};
use wasmtime::Linker;

use crate::VmError;
use crate::exec::HostState;
use crate::host::{
    C, NodeFault, Res, charge, check_len, costs, enter, enter_context, price, range, read_bytes,
};
use crate::host::{remaining, trap, write_bytes};

/// One call a contract makes, as the engine hands it to a [`ContractCalls`] handler.
#[derive(Debug, Clone)]
pub struct CallRequest<'a> {
    /// The calling contract.
    pub sender: Address,
    /// The contract called.
    pub target: Address,
    /// Its entry point (empty for an EVM contract, whose input is the calldata).
    pub entry: &'a str,
    /// The input bytes.
    pub input: Vec<u8>,
    /// Native tokens sent with the call: a 256-bit amount, 32 big-endian bytes.
    pub value: [u8; 32],
    /// The gas the callee may use (already taken from the caller).
    pub gas_limit: Gas,
    /// Whether the caller runs read-only (a query): so does the callee, all the way down.
    pub read_only: bool,
}

/// One contract a contract creates from stored code.
#[derive(Debug, Clone)]
pub struct CreateRequest<'a> {
    /// The creating contract.
    pub sender: Address,
    /// The stored code's id.
    pub code_id: CodeId,
    /// The salt the new address is derived with.
    pub salt: [u8; 32],
    /// The init entry point (empty for none).
    pub entry: &'a str,
    /// Its input.
    pub input: Vec<u8>,
    /// Native tokens sent to the new contract: 32 big-endian bytes.
    pub value: [u8; 32],
    /// The gas the init entry point may use (already taken from the creator).
    pub gas_limit: Gas,
    /// Whether the creator runs read-only (the create is then refused).
    pub read_only: bool,
}

/// A library call: another contract's code run in the calling contract's context.
#[derive(Debug, Clone)]
pub struct LibraryRequest<'a> {
    /// The calling contract: the code runs as it, in its storage.
    pub sender: Address,
    /// Who called the calling contract: the library code's `get_caller`.
    pub caller: Address,
    /// The contract whose code runs (it must be importable).
    pub library: Address,
    /// The entry point of that code.
    pub entry: &'a str,
    /// The input bytes.
    pub input: Vec<u8>,
    /// The gas the code may use (already taken from the caller).
    pub gas_limit: Gas,
    /// Whether the caller runs read-only (so does the library code).
    pub read_only: bool,
}

/// What a call did, as the handler reports it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReply {
    /// The callee's return bytes, or how it failed.
    pub result: Result<Vec<u8>, CallError>,
    /// Gas the callee used (its limit if it ran out).
    pub gas_used: Gas,
    /// The callee's events (empty on failure).
    pub events: Vec<Event>,
}

impl CallReply {
    /// A failure that ran nothing and used no gas.
    pub fn refused(kind: ErrorKind, message: impl Into<String>) -> CallReply {
        CallReply { result: Err(CallError::new(kind, message)), gas_used: 0, events: Vec::new() }
    }
}

/// Runs the contracts a contract calls. Implemented by the runtime's adapter for its
/// storage type `S`; a [`crate::Vm`] without one refuses every call.
///
/// A failed callee must leave nothing in `storage` (the implementation runs it in a
/// checkpoint it reverts). `Err` is a node fault and ends the whole transaction.
pub trait ContractCalls<S>: Send + Sync {
    /// Runs `request` against `storage`, the caller's window onto state.
    fn call(&self, storage: &mut S, request: CallRequest<'_>) -> Result<CallReply, VmError>;

    /// Creates a contract from stored code and runs its init entry point; the new
    /// address with the reply on success. By default refused.
    fn create(
        &self,
        storage: &mut S,
        request: CreateRequest<'_>,
    ) -> Result<(CallReply, Option<Address>), VmError> {
        let _ = (storage, request);
        Ok((
            CallReply::refused(ErrorKind::InvalidArgument, "create: no runtime to create a contract in"),
            None,
        ))
    }

    /// Runs a library's code in the calling contract's context (its address, storage and
    /// caller). By default refused.
    fn library_call(&self, storage: &mut S, request: LibraryRequest<'_>) -> Result<CallReply, VmError> {
        let _ = (storage, request);
        Ok(CallReply::refused(ErrorKind::InvalidArgument, "library_call: no runtime to run the library in"))
    }
}

/// The status `call` returns for an outcome: 0 for success, else the code of the
/// failure's kind (`docs/abi.md`, "Calls between contracts").
pub fn status(result: &Result<Vec<u8>, CallError>) -> i32 {
    let Err(e) = result else { return 0 };
    match e.kind {
        ErrorKind::Trap => 1,
        ErrorKind::OutOfGas => 2,
        ErrorKind::Aborted => 3,
        ErrorKind::Reverted => 4,
        ErrorKind::ReadOnly => 5,
        ErrorKind::NotFound => 6,
        ErrorKind::Unauthorized => 7,
        ErrorKind::InvalidArgument => 8,
        ErrorKind::CallDepth => 9,
        ErrorKind::Reentrancy => 10,
        ErrorKind::Validation => 11,
        // `Timeout` never reaches a contract (the host ends the caller with it); a kind
        // added later reads as a trap until it gets a code of its own.
        _ => 1,
    }
}

/// The bytes a failure leaves in the result buffer, cut at `max_len` bytes: only what
/// the callee's contract wrote, its revert data (EVM) or its abort message. A failure
/// the host describes (a trap, out of gas, a refused call) leaves nothing but its
/// status: the host's wording comes from wasmtime, revm or the module cache and may
/// change with their versions, so a contract that stored it would tie the state root
/// to them.
fn failure_bytes(e: CallError, max_len: u32) -> Vec<u8> {
    let mut bytes = match e.kind {
        ErrorKind::Reverted => e.data,
        ErrorKind::Aborted => e.message.into_bytes(),
        _ => Vec::new(),
    };
    bytes.truncate(max_len as usize);
    bytes
}

/// The gas a call forwards: `requested` (0 for "as much as allowed") capped by all but
/// one 64th of what the caller has left (EIP-150), so the caller can always finish.
pub fn forwarded_gas(left: Gas, requested: Gas) -> Gas {
    let cap = left - left / 64;
    if requested == 0 { cap } else { requested.min(cap) }
}

/// Defines `call`, `create`, `library_call`, `call_result_len` and `call_result_read`.
pub(crate) fn define<S: Send + 'static>(linker: &mut Linker<HostState<S>>) -> wasmtime::Result<()> {
    let env = crate::abi::IMPORT_MODULE;

    linker.func_wrap(
        env,
        "call",
        |mut c: C<'_, S>,
         address_ptr: i32,
         entry_ptr: i32,
         entry_len: i32,
         input_ptr: i32,
         input_len: i32,
         value_ptr: i32,
         gas: i64|
         -> Res<i32> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.call, g.host.copy_per_byte);
            enter(&c, "call")?;
            check_len("call", "entry point", entry_len, l.max_entry_len)?;
            check_len("call", "input", input_len, l.max_input_len)?;
            let address = range(&c, "call", "address", address_ptr, 20)?;
            let entry = range(&c, "call", "entry point", entry_ptr, entry_len)?;
            let input = range(&c, "call", "input", input_ptr, input_len)?;
            let value = range(&c, "call", "value", value_ptr, 32)?;
            if gas < 0 {
                return trap(ErrorKind::InvalidArgument, format!("call: gas {gas} is negative"));
            }
            charge(&mut c, price(base, pb, 20 + entry.len() + input.len() + 32))?;
            let Ok(entry) = String::from_utf8(read_bytes(&c, entry)) else {
                return trap(ErrorKind::InvalidArgument, "call: the entry point is not UTF-8");
            };
            let target = Address(read_bytes(&c, address).try_into().expect("a 20-byte range"));
            let value: [u8; 32] = read_bytes(&c, value).try_into().expect("a 32-byte range");
            let input = read_bytes(&c, input);
            let (sender, read_only) = (c.data().contract, c.data().read_only);

            let reply = if read_only && value != [0; 32] {
                CallReply::refused(ErrorKind::ReadOnly, "call: a read-only call cannot send value")
            } else if let Some(calls) = c.data().calls.clone() {
                let given = forwarded_gas(remaining(&mut c), gas as u64);
                charge(&mut c, given)?;
                let request =
                    CallRequest { sender, target, entry: &entry, input, value, gas_limit: given, read_only };
                let reply = calls.call(&mut c.data_mut().storage, request).map_err(NodeFault)?;
                refund(&mut c, given - reply.gas_used.min(given))?;
                reply
            } else {
                CallReply::refused(ErrorKind::InvalidArgument, "call: no runtime to dispatch the call to")
            };
            finish(&mut c, reply, l.max_abort_msg_len)
        },
    )?;

    linker.func_wrap(
        env,
        "create",
        |mut c: C<'_, S>,
         code_id_ptr: i32,
         salt_ptr: i32,
         entry_ptr: i32,
         entry_len: i32,
         input_ptr: i32,
         input_len: i32,
         value_ptr: i32,
         gas: i64,
         address_ptr: i32|
         -> Res<i32> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.create, g.host.copy_per_byte);
            enter(&c, "create")?;
            check_len("create", "entry point", entry_len, l.max_entry_len)?;
            check_len("create", "input", input_len, l.max_input_len)?;
            let code_id = range(&c, "create", "code id", code_id_ptr, 32)?;
            let salt = range(&c, "create", "salt", salt_ptr, 32)?;
            let entry = range(&c, "create", "entry point", entry_ptr, entry_len)?;
            let input = range(&c, "create", "input", input_ptr, input_len)?;
            let value = range(&c, "create", "value", value_ptr, 32)?;
            let out = range(&c, "create", "address", address_ptr, 20)?;
            if gas < 0 {
                return trap(ErrorKind::InvalidArgument, format!("create: gas {gas} is negative"));
            }
            charge(&mut c, price(base, pb, 32 + 32 + entry.len() + input.len() + 32 + 20))?;
            let Ok(entry) = String::from_utf8(read_bytes(&c, entry)) else {
                return trap(ErrorKind::InvalidArgument, "create: the entry point is not UTF-8");
            };
            let code_id = CodeId(read_bytes(&c, code_id).try_into().expect("a 32-byte range"));
            let salt: [u8; 32] = read_bytes(&c, salt).try_into().expect("a 32-byte range");
            let value: [u8; 32] = read_bytes(&c, value).try_into().expect("a 32-byte range");
            let input = read_bytes(&c, input);
            let (sender, read_only) = (c.data().contract, c.data().read_only);

            let (reply, address) = if read_only {
                (CallReply::refused(ErrorKind::ReadOnly, "create: a query cannot create a contract"), None)
            } else if let Some(calls) = c.data().calls.clone() {
                let given = forwarded_gas(remaining(&mut c), gas as u64);
                charge(&mut c, given)?;
                let request = CreateRequest {
                    sender,
                    code_id,
                    salt,
                    entry: &entry,
                    input,
                    value,
                    gas_limit: given,
                    read_only,
                };
                let (reply, address) = calls.create(&mut c.data_mut().storage, request).map_err(NodeFault)?;
                refund(&mut c, given - reply.gas_used.min(given))?;
                (reply, address)
            } else {
                (
                    CallReply::refused(
                        ErrorKind::InvalidArgument,
                        "create: no runtime to create a contract in",
                    ),
                    None,
                )
            };
            if let (Ok(_), Some(address)) = (&reply.result, address) {
                write_bytes(&mut c, out.start, &address.0);
            }
            finish(&mut c, reply, l.max_abort_msg_len)
        },
    )?;

    linker.func_wrap(
        env,
        "library_call",
        |mut c: C<'_, S>,
         address_ptr: i32,
         entry_ptr: i32,
         entry_len: i32,
         input_ptr: i32,
         input_len: i32,
         gas: i64|
         -> Res<i32> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.call, g.host.copy_per_byte);
            enter(&c, "library_call")?;
            check_len("library_call", "entry point", entry_len, l.max_entry_len)?;
            check_len("library_call", "input", input_len, l.max_input_len)?;
            let address = range(&c, "library_call", "address", address_ptr, 20)?;
            let entry = range(&c, "library_call", "entry point", entry_ptr, entry_len)?;
            let input = range(&c, "library_call", "input", input_ptr, input_len)?;
            if gas < 0 {
                return trap(ErrorKind::InvalidArgument, format!("library_call: gas {gas} is negative"));
            }
            charge(&mut c, price(base, pb, 20 + entry.len() + input.len()))?;
            let Ok(entry) = String::from_utf8(read_bytes(&c, entry)) else {
                return trap(ErrorKind::InvalidArgument, "library_call: the entry point is not UTF-8");
            };
            let library = Address(read_bytes(&c, address).try_into().expect("a 20-byte range"));
            let input = read_bytes(&c, input);
            let (sender, caller, read_only) = (c.data().contract, c.data().caller, c.data().read_only);

            let reply = if let Some(calls) = c.data().calls.clone() {
                let given = forwarded_gas(remaining(&mut c), gas as u64);
                charge(&mut c, given)?;
                let request = LibraryRequest {
                    sender,
                    caller,
                    library,
                    entry: &entry,
                    input,
                    gas_limit: given,
                    read_only,
                };
                let reply = calls.library_call(&mut c.data_mut().storage, request).map_err(NodeFault)?;
                refund(&mut c, given - reply.gas_used.min(given))?;
                reply
            } else {
                CallReply::refused(
                    ErrorKind::InvalidArgument,
                    "library_call: no runtime to run the library in",
                )
            };
            finish(&mut c, reply, l.max_abort_msg_len)
        },
    )?;

    linker.func_wrap(env, "call_result_len", |mut c: C<'_, S>| -> Res<i32> {
        enter_context(&mut c, "call_result_len")?;
        Ok(c.data().call_result.len() as i32)
    })?;

    linker.func_wrap(env, "call_result_read", |mut c: C<'_, S>, dst_ptr: i32| -> Res<()> {
        let (g, _) = costs(&c);
        let (base, pb) = (g.host.context, g.host.copy_per_byte);
        enter(&c, "call_result_read")?;
        let len = c.data().call_result.len();
        let dst = range(&c, "call_result_read", "destination", dst_ptr, len as i32)?;
        charge(&mut c, price(base, pb, len))?;
        let result = std::mem::take(&mut c.data_mut().call_result);
        write_bytes(&mut c, dst.start, &result);
        c.data_mut().call_result = result;
        Ok(())
    })?;

    Ok(())
}

/// Gives back gas the callee did not use.
fn refund<S>(c: &mut C<'_, S>, amount: Gas) -> Res<()> {
    let gas = c.data().gas.expect("gas global bound before the call").gas();
    let left = gas.get(&mut *c).unwrap_i64();
    // `amount` was taken from a non-negative balance a moment ago: no overflow.
    gas.set(&mut *c, left.saturating_add(amount as i64).into())?;
    Ok(())
}

/// Keeps the reply's result for `call_result_read`, joins a successful callee's events
/// to the caller's, and returns its status. A timeout below ends the caller too: it is
/// a node fault, which no contract may catch.
fn finish<S>(c: &mut C<'_, S>, reply: CallReply, max_message_len: u32) -> Res<i32> {
    let status = status(&reply.result);
    match reply.result {
        Ok(bytes) => {
            let max_events = c.data().limits.max_events as usize;
            let events = &mut c.data_mut().events;
            if events.len() + reply.events.len() > max_events {
                return trap(
                    ErrorKind::InvalidArgument,
                    format!("call: with the callee's events, more than {max_events} events in one call"),
                );
            }
            events.extend(reply.events);
            c.data_mut().call_result = bytes;
        }
        Err(e) if e.kind == ErrorKind::Timeout => return trap(ErrorKind::Timeout, e.message),
        Err(e) => c.data_mut().call_result = failure_bytes(e, max_message_len),
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_gas_keeps_a_64th() {
        assert_eq!(forwarded_gas(6_400, 0), 6_300);
        assert_eq!(forwarded_gas(6_400, 100), 100);
        assert_eq!(forwarded_gas(6_400, 1_000_000), 6_300);
        assert_eq!(forwarded_gas(0, 0), 0);
        assert_eq!(forwarded_gas(63, 0), 63);
    }

    #[test]
    fn every_failure_has_a_nonzero_status() {
        assert_eq!(status(&Ok(Vec::new())), 0);
        let kinds = [
            ErrorKind::Trap,
            ErrorKind::OutOfGas,
            ErrorKind::Aborted,
            ErrorKind::Reverted,
            ErrorKind::ReadOnly,
            ErrorKind::NotFound,
            ErrorKind::Unauthorized,
            ErrorKind::InvalidArgument,
            ErrorKind::CallDepth,
            ErrorKind::Reentrancy,
            ErrorKind::Validation,
        ];
        let codes: Vec<i32> = kinds.iter().map(|k| status(&Err(CallError::new(*k, "")))).collect();
        assert_eq!(codes, (1..=11).collect::<Vec<_>>());
    }

    #[test]
    fn a_failure_shows_only_what_the_contract_wrote_cut() {
        assert_eq!(failure_bytes(CallError::reverted(vec![1, 2]), 1), vec![1]);
        assert_eq!(failure_bytes(CallError::new(ErrorKind::Aborted, "boom"), 1024), b"boom".to_vec());
        assert_eq!(failure_bytes(CallError::new(ErrorKind::Aborted, "boom"), 2), b"bo".to_vec());
        for kind in [ErrorKind::Trap, ErrorKind::OutOfGas, ErrorKind::NotFound, ErrorKind::Validation] {
            assert_eq!(failure_bytes(CallError::new(kind, "wasm trap: unreachable"), 1024), Vec::<u8>::new());
        }
    }
}
