//! The CosmWasm host functions (module `env`), as cosmwasm-vm defines their arguments,
//! results and error conventions, over cove's journal, addresses, bank and gas.
//!
//! Every argument is a region pointer read through [`crate::region`] with a named limit
//! ([`crate::config`]); every function charges gas before doing its work. A contract
//! error that CosmWasm reports back to the contract (a bad address, an invalid
//! signature) is returned as CosmWasm returns it; anything else ends the call.

use state::Order;
use types::ErrorKind;
use wasmtime::{Caller, Linker};

use crate::config::{
    Costs, MAX_ABORT_LEN, MAX_BLS12_381_AGGREGATE_LEN, MAX_BLS12_381_DST_LEN, MAX_BLS12_381_MESSAGE_LEN,
    MAX_CANONICAL_ADDRESS_LEN, MAX_DB_KEY_LEN, MAX_DB_VALUE_LEN, MAX_DEBUG_LEN, MAX_DEBUG_LINES,
    MAX_ED25519_BATCH, MAX_ED25519_MESSAGE_LEN, MAX_HUMAN_ADDRESS_LEN, MAX_ITERATORS, MAX_QUERY_REQUEST_LEN,
};
use crate::instance::{Host, Iter};
use crate::{crypto, query, region};

type C<'a> = Caller<'a, Host>;
type Res<T> = wasmtime::Result<T>;

/// Ends the call with a contract failure of `kind`.
pub(crate) fn trap<T>(kind: ErrorKind, message: impl Into<String>) -> Res<T> {
    Err(wasmtime::Error::new(wasm::HostTrap { kind, message: message.into() }))
}

fn fault(e: types::StorageError) -> wasmtime::Error {
    wasmtime::Error::new(wasm::BackendFault(e))
}

/// Enters a host function: charges `base` and refuses calls from inside `allocate`.
fn enter(c: &mut C<'_>, name: &str, base: u64) -> Res<()> {
    if c.data().in_allocate {
        return trap(ErrorKind::Trap, format!("{name}: host functions may not be called from `allocate`"));
    }
    charge(c, base)
}

/// Subtracts `amount` from the instance's gas; running out ends the call.
pub(crate) fn charge(c: &mut C<'_>, amount: u64) -> Res<()> {
    let meter = c.data().gas.expect("gas global bound before the call");
    wasm::charge_gas(c, meter, amount)
}

/// The gas left (zero if the balance is already negative).
pub(crate) fn gas_left(c: &mut C<'_>) -> u64 {
    let gas = c.data().gas.expect("gas global bound before the call").gas();
    gas.get(&mut *c).unwrap_i64().max(0) as u64
}

fn per_byte(costs: &Costs, bytes: usize) -> u64 {
    costs.per_byte.saturating_mul(bytes as u64)
}

fn read_only(c: &C<'_>, name: &str) -> Res<()> {
    if c.data().read_only {
        return trap(ErrorKind::ReadOnly, format!("{name}: storage is read-only in a query"));
    }
    Ok(())
}

fn storage_key(c: &C<'_>, key: &[u8]) -> Vec<u8> {
    vm::keys::storage(&c.data().contract, key)
}

/// Defines every function of [`crate::abi::HOST_FUNCTIONS`] in `linker`.
pub(crate) fn define(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    linker.func_wrap("env", "db_read", db_read)?;
    linker.func_wrap("env", "db_write", db_write)?;
    linker.func_wrap("env", "db_remove", db_remove)?;
    linker.func_wrap("env", "db_scan", db_scan)?;
    linker.func_wrap("env", "db_next", |c: C<'_>, id: u32| next(c, id, Part::Both))?;
    linker.func_wrap("env", "db_next_key", |c: C<'_>, id: u32| next(c, id, Part::Key))?;
    linker.func_wrap("env", "db_next_value", |c: C<'_>, id: u32| next(c, id, Part::Value))?;
    linker.func_wrap("env", "addr_validate", addr_validate)?;
    linker.func_wrap("env", "addr_canonicalize", addr_canonicalize)?;
    linker.func_wrap("env", "addr_humanize", addr_humanize)?;
    linker.func_wrap("env", "secp256k1_verify", secp256k1_verify)?;
    linker.func_wrap("env", "secp256k1_recover_pubkey", secp256k1_recover_pubkey)?;
    linker.func_wrap("env", "ed25519_verify", ed25519_verify)?;
    linker.func_wrap("env", "ed25519_batch_verify", ed25519_batch_verify)?;
    linker.func_wrap("env", "secp256r1_verify", secp256r1_verify)?;
    linker.func_wrap("env", "secp256r1_recover_pubkey", secp256r1_recover_pubkey)?;
    linker.func_wrap("env", "bls12_381_aggregate_g1", bls12_381_aggregate_g1)?;
    linker.func_wrap("env", "bls12_381_aggregate_g2", bls12_381_aggregate_g2)?;
    linker.func_wrap("env", "bls12_381_pairing_equality", bls12_381_pairing_equality)?;
    linker.func_wrap("env", "bls12_381_hash_to_g1", bls12_381_hash_to_g1)?;
    linker.func_wrap("env", "bls12_381_hash_to_g2", bls12_381_hash_to_g2)?;
    linker.func_wrap("env", "debug", debug)?;
    linker.func_wrap("env", "abort", abort)?;
    linker.func_wrap("env", "query_chain", query_chain)?;
    Ok(())
}

fn db_read(mut c: C<'_>, key_ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "db_read", costs.db_read)?;
    let key = region::read(&mut c, key_ptr, MAX_DB_KEY_LEN)?;
    let value = c.data().journal.get(&storage_key(&c, &key)).map_err(fault)?;
    let Some(value) = value else { return Ok(0) };
    charge(&mut c, per_byte(&costs, key.len() + value.len()))?;
    region::write_new(&mut c, &value)
}

fn db_write(mut c: C<'_>, key_ptr: u32, value_ptr: u32) -> Res<()> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "db_write", costs.db_write)?;
    read_only(&c, "db_write")?;
    let key = region::read(&mut c, key_ptr, MAX_DB_KEY_LEN)?;
    let value = region::read(&mut c, value_ptr, MAX_DB_VALUE_LEN)?;
    charge(&mut c, costs.db_write_per_byte.saturating_mul((key.len() + value.len()) as u64))?;
    let k = storage_key(&c, &key);
    c.data_mut().journal.set(&k, &value);
    Ok(())
}

fn db_remove(mut c: C<'_>, key_ptr: u32) -> Res<()> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "db_remove", costs.db_remove)?;
    read_only(&c, "db_remove")?;
    let key = region::read(&mut c, key_ptr, MAX_DB_KEY_LEN)?;
    let k = storage_key(&c, &key);
    c.data_mut().journal.delete(&k).map_err(fault)?;
    Ok(())
}

fn db_scan(mut c: C<'_>, start_ptr: u32, end_ptr: u32, order: i32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "db_scan", costs.db_scan)?;
    let start = region::read_optional(&mut c, start_ptr, MAX_DB_KEY_LEN)?;
    let end = region::read_optional(&mut c, end_ptr, MAX_DB_KEY_LEN)?;
    let descending = match order {
        1 => false,
        2 => true,
        other => {
            return trap(
                ErrorKind::InvalidArgument,
                format!("db_scan: order {other} is neither 1 (ascending) nor 2 (descending)"),
            );
        }
    };
    if c.data().iterators.len() >= MAX_ITERATORS {
        return trap(
            ErrorKind::InvalidArgument,
            format!("db_scan: more than {MAX_ITERATORS} iterators in one call"),
        );
    }
    let prefix = vm::keys::storage_prefix(&c.data().contract);
    let order = if descending { Order::Descending } else { Order::Ascending };
    // The journal walks the contract's committed pairs in the range and the keys written
    // earlier in the block that fall in it, nothing else: that walk is what is charged.
    // It reads no more committed pairs than the gas left pays for, plus one: each costs
    // at least `db_scan_per_entry` and its key's bytes, so reaching the bound means the
    // whole range costs more than is left, whatever it holds.
    let limit = scan_limit(&costs, prefix.len(), gas_left(&mut c));
    let scan = c
        .data()
        .journal
        .scan_range(&prefix, start.as_deref(), end.as_deref(), order, limit)
        .map_err(fault)?;
    let cost = costs
        .db_scan_per_entry
        .saturating_mul(scan.walked.entries)
        .saturating_add(costs.per_byte.saturating_mul(scan.walked.bytes));
    // A limited read costs more than is left (see `scan_limit`): say so even if the
    // prices are zero, rather than hand out a range cut short.
    charge(&mut c, if scan.limited { u64::MAX } else { cost })?;
    let entries: Vec<(Vec<u8>, Vec<u8>)> =
        scan.entries.into_iter().map(|(k, v)| (k[prefix.len()..].to_vec(), v)).collect();
    let iterators = &mut c.data_mut().iterators;
    iterators.push(Iter { entries, next: 0 });
    Ok(iterators.len() as u32)
}

/// How many committed pairs a scan may read with `gas_left`: one more than it can pay
/// for, each pair costing at least `db_scan_per_entry` plus `per_byte` times its key
/// (which holds the contract's `prefix_len`-byte prefix). Unbounded only if a pair
/// costs nothing.
fn scan_limit(costs: &Costs, prefix_len: usize, gas_left: u64) -> usize {
    let per_pair = costs.db_scan_per_entry.saturating_add(per_byte(costs, prefix_len));
    match gas_left.checked_div(per_pair) {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1),
        None => usize::MAX,
    }
}

#[derive(Clone, Copy)]
enum Part {
    Both,
    Key,
    Value,
}

fn next(mut c: C<'_>, id: u32, part: Part) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "db_next", costs.db_next)?;
    let Some(iter) = (id as usize).checked_sub(1).and_then(|i| c.data_mut().iterators.get_mut(i)) else {
        return trap(ErrorKind::InvalidArgument, format!("db_next: no iterator with id {id}"));
    };
    let entry = iter.entries.get(iter.next).cloned();
    if entry.is_some() {
        iter.next += 1;
    }
    match (entry, part) {
        (None, Part::Both) => region::write_new(&mut c, &sections(&[&[], &[]])),
        (None, _) => Ok(0),
        (Some((k, v)), Part::Both) => region::write_new(&mut c, &sections(&[&k, &v])),
        (Some((k, _)), Part::Key) => region::write_new(&mut c, &k),
        (Some((_, v)), Part::Value) => region::write_new(&mut c, &v),
    }
}

/// CosmWasm's section encoding: each section followed by its length (u32 BE).
pub(crate) fn sections(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for p in parts {
        out.extend_from_slice(p);
        out.extend_from_slice(&(p.len() as u32).to_be_bytes());
    }
    out
}

/// Splits a section encoding (the inverse of [`sections`]); `None` if malformed.
pub(crate) fn decode_sections(mut data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (rest, len) = data.split_at_checked(data.len().checked_sub(4)?)?;
        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
        let (rest, section) = rest.split_at_checked(rest.len().checked_sub(len)?)?;
        out.push(section.to_vec());
        data = rest;
    }
    out.reverse();
    Some(out)
}

/// Reads a human address argument and converts it with `convert`: `Ok` with the
/// address, or `Err` with the pointer of the error message written back to the
/// contract (as cosmwasm-vm reports bad input).
fn human_arg(
    c: &mut C<'_>,
    ptr: u32,
    convert: impl FnOnce(&crate::Addresses, &str) -> Result<types::Address, String>,
) -> Res<Result<types::Address, u32>> {
    let bytes = region::read(c, ptr, MAX_HUMAN_ADDRESS_LEN)?;
    let converted = match String::from_utf8(bytes) {
        Ok(h) if h.is_empty() => Err("Input is empty".to_string()),
        Ok(h) => convert(&c.data().shared.addresses, &h),
        Err(_) => Err("Input is not valid UTF-8".to_string()),
    };
    match converted {
        Ok(address) => Ok(Ok(address)),
        Err(msg) => region::write_new(c, msg.as_bytes()).map(Err),
    }
}

fn addr_validate(mut c: C<'_>, ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "addr_validate", costs.addr)?;
    Ok(human_arg(&mut c, ptr, crate::Addresses::validate)?.map_or_else(|err_ptr| err_ptr, |_| 0))
}

fn addr_canonicalize(mut c: C<'_>, ptr: u32, dest: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "addr_canonicalize", costs.addr)?;
    match human_arg(&mut c, ptr, crate::Addresses::canonicalize)? {
        Ok(address) => region::write_into(&mut c, dest, &address.0).map(|()| 0),
        Err(err_ptr) => Ok(err_ptr),
    }
}

fn addr_humanize(mut c: C<'_>, ptr: u32, dest: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "addr_humanize", costs.addr)?;
    let canonical = region::read(&mut c, ptr, MAX_CANONICAL_ADDRESS_LEN)?;
    let Ok(bytes) = <[u8; 20]>::try_from(canonical.as_slice()) else {
        let msg =
            format!("Invalid canonical address length: {} (cove addresses are 20 bytes)", canonical.len());
        return region::write_new(&mut c, msg.as_bytes());
    };
    let human = c.data().shared.addresses.humanize(&types::Address(bytes));
    region::write_into(&mut c, dest, human.as_bytes()).map(|()| 0)
}

fn secp256k1_verify(c: C<'_>, hash_ptr: u32, sig_ptr: u32, pk_ptr: u32) -> Res<u32> {
    let price = c.data().shared.config.costs.verify;
    ecdsa_verify(c, "secp256k1_verify", price, [hash_ptr, sig_ptr, pk_ptr], crypto::secp256k1_verify)
}

fn secp256k1_recover_pubkey(c: C<'_>, hash_ptr: u32, sig_ptr: u32, param: u32) -> Res<u64> {
    let price = c.data().shared.config.costs.recover;
    ecdsa_recover(c, "secp256k1_recover_pubkey", price, [hash_ptr, sig_ptr], param, crypto::secp256k1_recover)
}

/// An ECDSA `*_verify`: `price` on entry, then the hash, signature and key regions.
fn ecdsa_verify(
    mut c: C<'_>,
    name: &str,
    price: u64,
    [hash_ptr, sig_ptr, pk_ptr]: [u32; 3],
    verify: fn(&[u8], &[u8], &[u8]) -> u32,
) -> Res<u32> {
    enter(&mut c, name, price)?;
    let hash = region::read(&mut c, hash_ptr, crypto::MESSAGE_HASH_MAX_LEN)?;
    let sig = region::read(&mut c, sig_ptr, crypto::ECDSA_SIGNATURE_LEN)?;
    let pk = region::read(&mut c, pk_ptr, crypto::ECDSA_PUBKEY_MAX_LEN)?;
    Ok(verify(&hash, &sig, &pk))
}

/// A curve's public-key recovery: hash, signature, recovery id → the key or a code.
type Recover = fn(&[u8], &[u8], u8) -> Result<Vec<u8>, u32>;

/// An ECDSA `*_recover_pubkey`: the key in a new region, or the error code in the high
/// 32 bits. As cosmwasm-vm, a parameter that is not even a byte is refused before
/// `price` is charged.
fn ecdsa_recover(
    mut c: C<'_>,
    name: &str,
    price: u64,
    [hash_ptr, sig_ptr]: [u32; 2],
    param: u32,
    recover: Recover,
) -> Res<u64> {
    enter(&mut c, name, 0)?;
    let hash = region::read(&mut c, hash_ptr, crypto::MESSAGE_HASH_MAX_LEN)?;
    let sig = region::read(&mut c, sig_ptr, crypto::ECDSA_SIGNATURE_LEN)?;
    let Ok(param) = u8::try_from(param) else {
        return Ok(u64::from(crypto::INVALID_RECOVERY_PARAM) << 32);
    };
    charge(&mut c, price)?;
    match recover(&hash, &sig, param) {
        Ok(pubkey) => region::write_new(&mut c, &pubkey).map(u64::from),
        Err(code) => Ok(u64::from(code) << 32),
    }
}

fn ed25519_verify(mut c: C<'_>, msg_ptr: u32, sig_ptr: u32, pk_ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "ed25519_verify", costs.verify)?;
    let msg = region::read(&mut c, msg_ptr, MAX_ED25519_MESSAGE_LEN)?;
    let sig = region::read(&mut c, sig_ptr, crypto::EDDSA_SIGNATURE_LEN)?;
    let pk = region::read(&mut c, pk_ptr, crypto::EDDSA_PUBKEY_LEN)?;
    charge(&mut c, per_byte(&costs, msg.len()))?;
    Ok(crypto::ed25519_verify(&msg, &sig, &pk))
}

fn ed25519_batch_verify(mut c: C<'_>, msgs_ptr: u32, sigs_ptr: u32, pks_ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "ed25519_batch_verify", costs.verify)?;
    let msgs = region::read(&mut c, msgs_ptr, (MAX_ED25519_MESSAGE_LEN + 4) * MAX_ED25519_BATCH)?;
    let sigs = region::read(&mut c, sigs_ptr, (crypto::EDDSA_SIGNATURE_LEN + 4) * MAX_ED25519_BATCH)?;
    let pks = region::read(&mut c, pks_ptr, (crypto::EDDSA_PUBKEY_LEN + 4) * MAX_ED25519_BATCH)?;
    let (Some(msgs), Some(sigs), Some(pks)) =
        (decode_sections(&msgs), decode_sections(&sigs), decode_sections(&pks))
    else {
        return trap(ErrorKind::InvalidArgument, "ed25519_batch_verify: malformed section encoding");
    };
    let n = sigs.len().max(msgs.len()).max(pks.len()) as u64;
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    charge(&mut c, costs.verify.saturating_mul(n.saturating_sub(1)).saturating_add(per_byte(&costs, bytes)))?;
    Ok(crypto::ed25519_batch_verify(&msgs, &sigs, &pks))
}

fn secp256r1_verify(c: C<'_>, hash_ptr: u32, sig_ptr: u32, pk_ptr: u32) -> Res<u32> {
    let price = c.data().shared.config.costs.secp256r1_verify;
    ecdsa_verify(c, "secp256r1_verify", price, [hash_ptr, sig_ptr, pk_ptr], crypto::secp256r1_verify)
}

fn secp256r1_recover_pubkey(c: C<'_>, hash_ptr: u32, sig_ptr: u32, param: u32) -> Res<u64> {
    let price = c.data().shared.config.costs.secp256r1_recover;
    ecdsa_recover(c, "secp256r1_recover_pubkey", price, [hash_ptr, sig_ptr], param, crypto::secp256r1_recover)
}

/// `bls12_381_aggregate_g1`/`_g2`: reads the points, charges `base` + `per_point` per
/// `N` bytes (+ per byte read), and writes the sum into the contract's region at
/// `out_ptr` (which must hold `N` bytes) only on success.
fn aggregate<const N: usize>(
    mut c: C<'_>,
    name: &str,
    (base, per_point): (u64, u64),
    points_ptr: u32,
    out_ptr: u32,
    sum: fn(&[u8]) -> Result<[u8; N], u32>,
) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, name, base)?;
    let points = region::read(&mut c, points_ptr, MAX_BLS12_381_AGGREGATE_LEN)?;
    let count = (points.len() / N) as u64;
    charge(&mut c, per_point.saturating_mul(count).saturating_add(per_byte(&costs, points.len())))?;
    match sum(&points) {
        Ok(point) => region::write_into(&mut c, out_ptr, &point).map(|()| crypto::VALID),
        Err(code) => Ok(code),
    }
}

fn bls12_381_aggregate_g1(c: C<'_>, points_ptr: u32, out_ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    let price = (costs.bls12_381_aggregate_g1, costs.bls12_381_aggregate_g1_per_point);
    aggregate(c, "bls12_381_aggregate_g1", price, points_ptr, out_ptr, crypto::bls12_381_aggregate_g1)
}

fn bls12_381_aggregate_g2(c: C<'_>, points_ptr: u32, out_ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    let price = (costs.bls12_381_aggregate_g2, costs.bls12_381_aggregate_g2_per_point);
    aggregate(c, "bls12_381_aggregate_g2", price, points_ptr, out_ptr, crypto::bls12_381_aggregate_g2)
}

fn bls12_381_pairing_equality(mut c: C<'_>, ps_ptr: u32, qs_ptr: u32, r_ptr: u32, s_ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "bls12_381_pairing_equality", costs.bls12_381_pairing_equality)?;
    let ps = region::read(&mut c, ps_ptr, MAX_BLS12_381_AGGREGATE_LEN)?;
    let qs = region::read(&mut c, qs_ptr, MAX_BLS12_381_AGGREGATE_LEN)?;
    let r = region::read(&mut c, r_ptr, crypto::BLS12_381_G1_POINT_LEN)?;
    let s = region::read(&mut c, s_ptr, crypto::BLS12_381_G2_POINT_LEN)?;
    // As cosmwasm-vm: n + 1 pairings, n estimated from the G1 list alone (a list of the
    // wrong length is an error code, after this charge).
    let pairs = (ps.len() / crypto::BLS12_381_G1_POINT_LEN) as u64 + 1;
    let bytes = ps.len() + qs.len() + r.len() + s.len();
    charge(
        &mut c,
        costs
            .bls12_381_pairing_equality_per_pair
            .saturating_mul(pairs)
            .saturating_add(per_byte(&costs, bytes)),
    )?;
    Ok(crypto::bls12_381_pairing_equality(&ps, &qs, &r, &s))
}

/// A hash-to-curve function: `(hash function, message, DST)` to a point or a code.
type HashToCurve<const N: usize> = fn(u32, &[u8], &[u8]) -> Result<[u8; N], u32>;

/// `bls12_381_hash_to_g1`/`_g2`: charges `price` (+ per byte of message and DST) and
/// writes the point into the contract's region at `out_ptr` (which must hold `N`
/// bytes); an unknown hash function is an error code, after the charge.
fn hash_to_curve<const N: usize>(
    mut c: C<'_>,
    name: &str,
    price: u64,
    (hash_function, msg_ptr, dst_ptr, out_ptr): (u32, u32, u32, u32),
    hash: HashToCurve<N>,
) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, name, price)?;
    let msg = region::read(&mut c, msg_ptr, MAX_BLS12_381_MESSAGE_LEN)?;
    let dst = region::read(&mut c, dst_ptr, MAX_BLS12_381_DST_LEN)?;
    charge(&mut c, per_byte(&costs, msg.len() + dst.len()))?;
    match hash(hash_function, &msg, &dst) {
        Ok(point) => region::write_into(&mut c, out_ptr, &point).map(|()| crypto::VALID),
        Err(code) => Ok(code),
    }
}

fn bls12_381_hash_to_g1(c: C<'_>, hash_function: u32, msg_ptr: u32, dst_ptr: u32, out_ptr: u32) -> Res<u32> {
    let price = c.data().shared.config.costs.bls12_381_hash_to_g1;
    let args = (hash_function, msg_ptr, dst_ptr, out_ptr);
    hash_to_curve(c, "bls12_381_hash_to_g1", price, args, crypto::bls12_381_hash_to_g1)
}

fn bls12_381_hash_to_g2(c: C<'_>, hash_function: u32, msg_ptr: u32, dst_ptr: u32, out_ptr: u32) -> Res<u32> {
    let price = c.data().shared.config.costs.bls12_381_hash_to_g2;
    let args = (hash_function, msg_ptr, dst_ptr, out_ptr);
    hash_to_curve(c, "bls12_381_hash_to_g2", price, args, crypto::bls12_381_hash_to_g2)
}

fn debug(mut c: C<'_>, ptr: u32) -> Res<()> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "debug", costs.debug)?;
    let bytes = region::read(&mut c, ptr, MAX_DEBUG_LEN)?;
    charge(&mut c, per_byte(&costs, bytes.len()))?;
    let lines = &mut c.data_mut().debug;
    if lines.len() < MAX_DEBUG_LINES {
        lines.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(())
}

fn abort(mut c: C<'_>, ptr: u32) -> Res<()> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "abort", costs.debug)?;
    let bytes = region::read(&mut c, ptr, MAX_ABORT_LEN)?;
    trap(ErrorKind::Aborted, format!("Aborted: {}", String::from_utf8_lossy(&bytes)))
}

fn query_chain(mut c: C<'_>, ptr: u32) -> Res<u32> {
    let costs = c.data().shared.config.costs;
    enter(&mut c, "query_chain", costs.query)?;
    let request = region::read(&mut c, ptr, MAX_QUERY_REQUEST_LEN)?;
    let answer = query::answer(&mut c, &request)?;
    region::write_new(&mut c, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip() {
        let parts: [&[u8]; 3] = [b"ab", b"", b"cde"];
        let encoded = sections(&parts);
        assert_eq!(encoded, b"ab\0\0\0\x02\0\0\0\0cde\0\0\0\x03");
        assert_eq!(decode_sections(&encoded).unwrap(), parts.map(<[u8]>::to_vec));
        assert_eq!(decode_sections(b"ab\0\0\0\x09"), None);
    }
}
