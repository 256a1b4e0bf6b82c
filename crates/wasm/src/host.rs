//! Host functions: the `env` imports a contract may call.
//!
//! Every function follows the same order: refuse re-entry from `allocate`, check every
//! length against its documented maximum and every pointer/length against linear
//! memory, charge the base price plus the per-byte prices in one step, then act
//! (`storage_read` charges the value's bytes once it knows them). A failure ends the call with a
//! [`HostTrap`] carrying its [`ErrorKind`]; nothing is written to memory or storage by a
//! call that fails its checks.

use std::fmt;

use types::{ContractStorage, ErrorKind, Event};
use wasmtime::{Caller, Linker};

use crate::config::{GasSchedule, HostLimits};
use crate::exec::HostState;
use crate::meter::GasMeter;
use types::PrecompileCall;

/// Why a host function ended the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTrap {
    /// The outcome kind.
    pub kind: ErrorKind,
    /// A message for the user.
    pub message: String,
}

impl fmt::Display for HostTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for HostTrap {}

/// A storage backend failure inside a host call: a node fault, not a contract outcome.
#[derive(Debug)]
pub struct BackendFault(pub types::StorageError);

impl fmt::Display for BackendFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BackendFault {}

/// Any node fault inside a host call (a storage failure, damaged stored data, an engine
/// failure in a nested call): never a contract outcome, so no contract can catch it.
#[derive(Debug)]
pub struct NodeFault(pub crate::VmError);

impl fmt::Display for NodeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for NodeFault {}

pub(crate) type Res<T> = wasmtime::Result<T>;
pub(crate) type C<'a, S> = Caller<'a, HostState<S>>;

pub(crate) fn trap<T>(kind: ErrorKind, message: impl Into<String>) -> Res<T> {
    Err(wasmtime::Error::new(HostTrap { kind, message: message.into() }))
}

/// Enters a host function: no host calls from inside `allocate`.
pub(crate) fn enter<S>(caller: &C<'_, S>, name: &str) -> Res<()> {
    if caller.data().in_allocate {
        return trap(ErrorKind::Trap, format!("{name}: host functions may not be called from `allocate`"));
    }
    Ok(())
}

/// Enters a context call that costs only the `context` base price.
pub(crate) fn enter_context<S>(caller: &mut C<'_, S>, name: &str) -> Res<()> {
    enter(caller, name)?;
    let base = caller.data().schedule.host.context;
    charge(caller, base)
}

/// Subtracts `amount` (and the energy surcharge, if any) from the instance's gas; out of
/// gas ends the call.
pub(crate) fn charge<S>(caller: &mut C<'_, S>, amount: u64) -> Res<()> {
    let meter = caller.data().gas.expect("gas global bound before the call");
    charge_gas(caller, meter, amount)
}

/// Charges `amount` through `meter`, an instrumented instance's gas, for a host function
/// of any ABI ([`GasMeter::charge`]); out of gas ends the call with
/// [`ErrorKind::OutOfGas`].
pub fn charge_gas(ctx: impl wasmtime::AsContextMut, meter: GasMeter, amount: u64) -> Res<()> {
    meter.charge(ctx, amount)
}

pub(crate) fn per_byte(price: u64, bytes: usize) -> u64 {
    price.saturating_mul(bytes as u64)
}

/// A base price plus a per-byte price, charged together.
pub(crate) fn price(base: u64, per_byte_price: u64, bytes: usize) -> u64 {
    base.saturating_add(per_byte(per_byte_price, bytes))
}

/// A checked `(ptr, len)` range in linear memory.
pub(crate) fn range<S>(
    caller: &C<'_, S>,
    name: &str,
    what: &str,
    ptr: i32,
    len: i32,
) -> Res<std::ops::Range<usize>> {
    let memory = caller.data().memory.expect("memory bound before the call");
    let size = memory.data_size(caller);
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    match start.checked_add(len) {
        Some(end) if end <= size => Ok(start..end),
        _ => trap(
            ErrorKind::Trap,
            format!("{name}: {what} [{start}, +{len}) is out of bounds of linear memory ({size} bytes)"),
        ),
    }
}

pub(crate) fn check_len(name: &str, what: &str, len: i32, max: u32) -> Res<()> {
    if len as u32 > max {
        return trap(
            ErrorKind::InvalidArgument,
            format!("{name}: {what} length {} exceeds the maximum {max}", len as u32),
        );
    }
    Ok(())
}

pub(crate) fn read_bytes<S>(caller: &C<'_, S>, r: std::ops::Range<usize>) -> Vec<u8> {
    let memory = caller.data().memory.expect("memory bound before the call");
    memory.data(caller)[r].to_vec()
}

pub(crate) fn write_bytes<S>(caller: &mut C<'_, S>, at: usize, bytes: &[u8]) {
    let memory = caller.data().memory.expect("memory bound before the call");
    memory.data_mut(caller)[at..at + bytes.len()].copy_from_slice(bytes);
}

pub(crate) fn storage_fault(e: types::StorageError) -> wasmtime::Error {
    wasmtime::Error::new(BackendFault(e))
}

pub(crate) fn costs<'a, S>(caller: &'a C<'_, S>) -> (&'a GasSchedule, HostLimits) {
    let data = caller.data();
    (&data.schedule, data.limits)
}

/// Defines every function of [`crate::abi::HOST_FUNCTIONS`] in `linker`.
pub(crate) fn define<S: ContractStorage + Send + 'static>(
    linker: &mut Linker<HostState<S>>,
) -> wasmtime::Result<()> {
    let env = crate::abi::IMPORT_MODULE;

    linker.func_wrap(env, "storage_read", |mut c: C<'_, S>, key_ptr: i32, key_len: i32| -> Res<i64> {
        let (g, l) = costs(&c);
        let (base, pb) = (g.host.storage_read, g.host.storage_read_per_byte);
        enter(&c, "storage_read")?;
        check_len("storage_read", "key", key_len, l.max_key_len)?;
        let key = range(&c, "storage_read", "key", key_ptr, key_len)?;
        charge(&mut c, price(base, pb, key.len()))?;
        let key = read_bytes(&c, key);
        let Some(value) = c.data_mut().storage.read(&key).map_err(storage_fault)? else {
            return Ok(0);
        };
        charge(&mut c, per_byte(pb, value.len()))?;
        let ptr = allocate(&mut c, value.len())?;
        write_bytes(&mut c, ptr, &value);
        Ok(((ptr as u64) << 32 | value.len() as u64) as i64)
    })?;

    linker.func_wrap(
        env,
        "storage_write",
        |mut c: C<'_, S>, key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32| -> Res<i32> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.storage_write, g.host.storage_write_per_byte);
            enter(&c, "storage_write")?;
            if c.data().read_only {
                return trap(ErrorKind::ReadOnly, "storage_write in a read-only call");
            }
            check_len("storage_write", "key", key_len, l.max_key_len)?;
            check_len("storage_write", "value", value_len, l.max_value_len)?;
            if value_len == 0 {
                return trap(
                    ErrorKind::InvalidArgument,
                    "storage_write: values must be non-empty (use storage_delete)",
                );
            }
            let key = range(&c, "storage_write", "key", key_ptr, key_len)?;
            let value = range(&c, "storage_write", "value", value_ptr, value_len)?;
            charge(&mut c, price(base, pb, key.len() + value.len()))?;
            let (key, value) = (read_bytes(&c, key), read_bytes(&c, value));
            c.data_mut().storage.write(&key, &value).map_err(storage_fault)?;
            Ok(0)
        },
    )?;

    linker.func_wrap(env, "storage_delete", |mut c: C<'_, S>, key_ptr: i32, key_len: i32| -> Res<i32> {
        let (g, l) = costs(&c);
        let base = g.host.storage_delete;
        enter(&c, "storage_delete")?;
        if c.data().read_only {
            return trap(ErrorKind::ReadOnly, "storage_delete in a read-only call");
        }
        check_len("storage_delete", "key", key_len, l.max_key_len)?;
        let key = range(&c, "storage_delete", "key", key_ptr, key_len)?;
        charge(&mut c, base)?;
        let key = read_bytes(&c, key);
        let removed = c.data_mut().storage.remove(&key).map_err(storage_fault)?;
        Ok(removed as i32)
    })?;

    linker.func_wrap(env, "get_caller", |mut c: C<'_, S>, result_ptr: i32| -> Res<i32> {
        let address = c.data().caller;
        write_address(&mut c, "get_caller", result_ptr, address.as_bytes())
    })?;

    linker.func_wrap(env, "get_contract_address", |mut c: C<'_, S>, result_ptr: i32| -> Res<i32> {
        let address = c.data().contract;
        write_address(&mut c, "get_contract_address", result_ptr, address.as_bytes())
    })?;

    linker.func_wrap(env, "get_block_number", |mut c: C<'_, S>| -> Res<i64> {
        enter_context(&mut c, "get_block_number")?;
        Ok(c.data().block.height as i64)
    })?;

    linker.func_wrap(env, "get_block_timestamp", |mut c: C<'_, S>| -> Res<i64> {
        enter_context(&mut c, "get_block_timestamp")?;
        Ok(c.data().block.timestamp as i64)
    })?;

    linker.func_wrap(
        env,
        "crypto_hash",
        |mut c: C<'_, S>, data_ptr: i32, data_len: i32, result_ptr: i32| -> Res<i32> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.hash, g.host.hash_per_byte);
            enter(&c, "crypto_hash")?;
            check_len("crypto_hash", "data", data_len, l.max_hash_input_len)?;
            let data = range(&c, "crypto_hash", "data", data_ptr, data_len)?;
            let out = range(&c, "crypto_hash", "result", result_ptr, 32)?;
            charge(&mut c, price(base, pb, data.len()))?;
            let memory = c.data().memory.expect("memory bound before the call");
            let digest = types::sha256(&memory.data(&c)[data]);
            write_bytes(&mut c, out.start, &digest);
            Ok(32)
        },
    )?;

    linker.func_wrap(
        env,
        "crypto_verify",
        |mut c: C<'_, S>,
         msg_ptr: i32,
         msg_len: i32,
         sig_ptr: i32,
         sig_len: i32,
         pk_ptr: i32,
         pk_len: i32|
         -> Res<i32> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.verify, g.host.hash_per_byte);
            enter(&c, "crypto_verify")?;
            check_len("crypto_verify", "message", msg_len, l.max_hash_input_len)?;
            check_len("crypto_verify", "signature", sig_len, crate::crypto::MAX_SIGNATURE_LEN)?;
            check_len("crypto_verify", "public key", pk_len, crate::crypto::MAX_PUBLIC_KEY_LEN)?;
            let msg = range(&c, "crypto_verify", "message", msg_ptr, msg_len)?;
            let sig = range(&c, "crypto_verify", "signature", sig_ptr, sig_len)?;
            let pk = range(&c, "crypto_verify", "public key", pk_ptr, pk_len)?;
            charge(&mut c, price(base, pb, msg.len()))?;
            let memory = c.data().memory.expect("memory bound before the call");
            let mem = memory.data(&c);
            Ok(crate::crypto::verify(&mem[msg], &mem[sig], &mem[pk]) as i32)
        },
    )?;

    linker.func_wrap(
        env,
        "log_event",
        |mut c: C<'_, S>, topic_ptr: i32, topic_len: i32, data_ptr: i32, data_len: i32| -> Res<()> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.event, g.host.event_per_byte);
            enter(&c, "log_event")?;
            check_len("log_event", "topic", topic_len, l.max_topic_len)?;
            check_len("log_event", "data", data_len, l.max_event_data_len)?;
            if c.data().events.len() >= l.max_events as usize {
                return trap(
                    ErrorKind::InvalidArgument,
                    format!("log_event: more than {} events in one call", l.max_events),
                );
            }
            let topic = range(&c, "log_event", "topic", topic_ptr, topic_len)?;
            let data = range(&c, "log_event", "data", data_ptr, data_len)?;
            charge(&mut c, price(base, pb, topic.len() + data.len()))?;
            let (topic, data) = (read_bytes(&c, topic), read_bytes(&c, data));
            let contract = c.data().contract;
            c.data_mut().events.push(Event { contract, topics: vec![topic], data });
            Ok(())
        },
    )?;

    linker.func_wrap(env, "input_len", |mut c: C<'_, S>| -> Res<i32> {
        enter_context(&mut c, "input_len")?;
        Ok(c.data().input.len() as i32)
    })?;

    linker.func_wrap(env, "input_read", |mut c: C<'_, S>, dst_ptr: i32| -> Res<()> {
        let (g, _) = costs(&c);
        let (base, pb) = (g.host.context, g.host.copy_per_byte);
        enter(&c, "input_read")?;
        let len = c.data().input.len();
        let dst = range(&c, "input_read", "destination", dst_ptr, len as i32)?;
        charge(&mut c, price(base, pb, len))?;
        let input = std::mem::take(&mut c.data_mut().input);
        write_bytes(&mut c, dst.start, &input);
        c.data_mut().input = input;
        Ok(())
    })?;

    linker.func_wrap(env, "return_data", |mut c: C<'_, S>, ptr: i32, len: i32| -> Res<()> {
        let (g, l) = costs(&c);
        let (base, pb) = (g.host.context, g.host.copy_per_byte);
        enter(&c, "return_data")?;
        check_len("return_data", "data", len, l.max_return_len)?;
        let data = range(&c, "return_data", "data", ptr, len)?;
        charge(&mut c, price(base, pb, data.len()))?;
        let data = read_bytes(&c, data);
        c.data_mut().return_data = Some(data);
        Ok(())
    })?;

    linker.func_wrap(env, "abort", |mut c: C<'_, S>, msg_ptr: i32, msg_len: i32| -> Res<()> {
        let (g, l) = costs(&c);
        let (base, pb) = (g.host.context, g.host.copy_per_byte);
        enter(&c, "abort")?;
        let shown = (msg_len as u32).min(l.max_abort_msg_len) as i32;
        let msg = range(&c, "abort", "message", msg_ptr, shown)?;
        charge(&mut c, price(base, pb, msg.len()))?;
        let msg = String::from_utf8_lossy(&read_bytes(&c, msg)).into_owned();
        trap(ErrorKind::Aborted, msg)
    })?;

    linker.func_wrap(
        env,
        "precompile",
        |mut c: C<'_, S>, address_ptr: i32, input_ptr: i32, input_len: i32| -> Res<i64> {
            let (g, l) = costs(&c);
            let (base, pb) = (g.host.precompile, g.host.copy_per_byte);
            let rate = g.host.precompile_per_evm_gas.max(1);
            enter(&c, "precompile")?;
            check_len("precompile", "input", input_len, l.max_precompile_input_len)?;
            let address = range(&c, "precompile", "address", address_ptr, 20)?;
            let input = range(&c, "precompile", "input", input_ptr, input_len)?;
            charge(&mut c, price(base, pb, 20 + input.len()))?;
            let address: [u8; 20] = read_bytes(&c, address).try_into().expect("a 20-byte range");
            let input = read_bytes(&c, input);
            let Some(precompiles) = c.data().precompiles.clone() else { return Ok(0) };
            // Like an EVM call to a precompile: it may use all but 1/64 of the gas left,
            // and a failure consumes what it was given.
            // Each unit of its EVM gas costs `precompile_per_evm_gas` cove gas (docs/gas.md).
            let left = remaining(&mut c);
            let share = left - left / 64;
            let given = share / rate;
            match precompiles.call(&address, &input, given) {
                None => Ok(0),
                Some(PrecompileCall::Failure) => {
                    charge(&mut c, share)?;
                    Ok(0)
                }
                Some(PrecompileCall::Success { gas_used, output }) => {
                    charge(&mut c, gas_used.min(given).saturating_mul(rate))?;
                    charge(&mut c, per_byte(pb, output.len()))?;
                    let ptr = allocate(&mut c, output.len())?;
                    write_bytes(&mut c, ptr, &output);
                    Ok(((ptr as u64) << 32 | output.len() as u64) as i64)
                }
            }
        },
    )?;

    crate::lived::define(linker)?;
    crate::calls::define(linker)
}

/// The gas left in the instance's gas global (zero if already negative).
pub(crate) fn remaining<S>(caller: &mut C<'_, S>) -> u64 {
    let gas = caller.data().gas.expect("gas global bound before the call").gas();
    gas.get(&mut *caller).unwrap_i64().max(0) as u64
}

fn write_address<S>(c: &mut C<'_, S>, name: &str, result_ptr: i32, bytes: &[u8; 20]) -> Res<i32> {
    let (g, _) = costs(c);
    let (base, pb) = (g.host.context, g.host.copy_per_byte);
    enter(c, name)?;
    let out = range(c, name, "result", result_ptr, 20)?;
    charge(c, price(base, pb, 20))?;
    write_bytes(c, out.start, bytes);
    Ok(20)
}

/// Calls the contract's `allocate(len)` and checks the region it returns.
pub(crate) fn allocate<S>(c: &mut C<'_, S>, len: usize) -> Res<usize> {
    let Some(allocate) = c.data().allocate else {
        return trap(ErrorKind::Trap, "the contract exports no `allocate(len: i32) -> i32`");
    };
    c.data_mut().in_allocate = true;
    let result = crate::exec::call_shaped(&mut *c, allocate, crate::exec::Shape::I32ToI32, len as i32);
    c.data_mut().in_allocate = false;
    let ptr = result?.get_i32();
    let memory = c.data().memory.expect("memory bound before the call");
    let size = memory.data_size(&*c);
    match (ptr as u32 as usize).checked_add(len) {
        Some(end) if end <= size => Ok(ptr as u32 as usize),
        _ => trap(
            ErrorKind::Trap,
            format!("allocate({len}) returned {}, out of bounds of linear memory ({size} bytes)", ptr as u32),
        ),
    }
}

#[cfg(test)]
mod tests {
    use types::ErrorKind;
    use wasmtime::{Engine, Global, GlobalType, Mutability, Store, Val, ValType};

    use super::{HostTrap, charge_gas};
    use crate::meter::GasMeter;

    fn gas_global(store: &mut Store<()>, balance: i64) -> GasMeter {
        let ty = GlobalType::new(ValType::I64, Mutability::Var);
        GasMeter::new(Global::new(store, ty, Val::I64(balance)).expect("an i64 global"), None)
    }

    /// A charge of `2^64 - 1` (a saturated price) ends the call out of gas with the
    /// balance negative, whatever the balance was: it never wraps into a credit.
    #[test]
    fn a_charge_of_u64_max_ends_out_of_gas() {
        let mut store = Store::new(&Engine::default(), ());
        for balance in [0, 1, i64::MAX, -1] {
            let gas = gas_global(&mut store, balance);
            let e = charge_gas(&mut store, gas, u64::MAX).expect_err("out of gas");
            assert_eq!(e.downcast_ref::<HostTrap>().map(|t| t.kind), Some(ErrorKind::OutOfGas));
            assert_eq!(gas.gas().get(&mut store).unwrap_i64(), -1, "balance {balance}");
        }
        // An exact charge leaves zero and succeeds.
        let gas = gas_global(&mut store, i64::MAX);
        charge_gas(&mut store, gas, i64::MAX as u64).expect("exactly the balance");
        assert_eq!(gas.gas().get(&mut store).unwrap_i64(), 0);
    }

    #[test]
    fn prices_saturate() {
        assert_eq!(super::price(u64::MAX, 1, 1), u64::MAX);
        assert_eq!(super::price(1, u64::MAX, 2), u64::MAX);
    }
}
