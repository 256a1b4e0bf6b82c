//! The CosmWasm store imports in the gas calibration, and the contract they run: a
//! hand-written CosmWasm module whose `execute` writes, reads or scans its storage in a
//! loop (the message says which and how often).
//!
//! The case that matters is a scan after many writes earlier in the block (by another
//! contract): `db_scan` must walk only its contract's range, so that its time follows
//! its gas.

use std::time::Instant;

use cosmwasm::{Action, Request};
use types::Address;

use crate::gas::{CALL_GAS, Item};
use runtime::{Block, Config, Receipt, Runtime, RuntimeError};

/// The store contract (WAT). `execute`'s message is `op: u32, n: u32, tag: u32` (LE):
/// op 1 writes `n` keys `tag ++ i` (8 bytes, value 8 bytes), op 2 opens `n` iterators
/// over the whole storage and walks each to its end with `db_next_key`, op 3 reads key
/// `tag ++ i` `n` times.
pub const STORE_WAT: &str = r#"(module
  (import "env" "db_write" (func $w (param i32 i32)))
  (import "env" "db_read" (func $r (param i32) (result i32)))
  (import "env" "db_scan" (func $scan (param i32 i32 i32) (result i32)))
  (import "env" "db_next_key" (func $next (param i32) (result i32)))
  (memory (export "memory") 4)
  (func (export "interface_version_8"))
  (func (export "allocate") (param i32) (result i32)
    (i32.store (i32.const 2048) (i32.const 8192))
    (i32.store (i32.const 2052) (i32.const 57344))
    (i32.store (i32.const 2056) (i32.const 0))
    (i32.const 2048))
  (func (export "deallocate") (param i32))
  (func (export "instantiate") (param i32 i32 i32) (result i32) (call $ok))
  (func (export "execute") (param i32 i32 i32) (result i32)
    (local $msg i32) (local $op i32) (local $n i32) (local $id i32)
    (local.set $msg (i32.load (local.get 2)))
    (local.set $op (i32.load (local.get $msg)))
    (local.set $n (i32.load offset=4 (local.get $msg)))
    (i32.store (i32.const 4900) (i32.const 5000))
    (i32.store (i32.const 4904) (i32.const 8))
    (i32.store (i32.const 4908) (i32.const 8))
    (i32.store (i32.const 4912) (i32.const 5100))
    (i32.store (i32.const 4916) (i32.const 8))
    (i32.store (i32.const 4920) (i32.const 8))
    (i32.store (i32.const 5000) (i32.load offset=8 (local.get $msg)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (i32.store (i32.const 5004) (local.get $n))
        (if (i32.eq (local.get $op) (i32.const 1))
          (then (call $w (i32.const 4900) (i32.const 4912))))
        (if (i32.eq (local.get $op) (i32.const 2))
          (then
            (local.set $id (call $scan (i32.const 0) (i32.const 0) (i32.const 1)))
            (block $end
              (loop $k
                (br_if $end (i32.eqz (call $next (local.get $id))))
                (br $k)))))
        (if (i32.eq (local.get $op) (i32.const 3))
          (then (drop (call $r (i32.const 4900)))))
        (br $l)))
    (call $ok))
  (func $ok (result i32)
    (i32.store (i32.const 3000) (i32.const 0x6b6f227b))
    (i32.store (i32.const 3004) (i32.const 0x7d7b3a22))
    (i32.store8 (i32.const 3008) (i32.const 0x7d))
    (i32.store (i32.const 2900) (i32.const 3000))
    (i32.store (i32.const 2904) (i32.const 9))
    (i32.store (i32.const 2908) (i32.const 9))
    (i32.const 2900)))"#;

/// Operations of [`STORE_WAT`].
pub const OP_WRITE: u32 = 1;
/// See [`STORE_WAT`].
pub const OP_SCAN: u32 = 2;
/// See [`STORE_WAT`].
pub const OP_READ: u32 = 3;

/// The message of [`STORE_WAT`]'s `execute`.
pub fn store_msg(op: u32, n: u32, tag: u32) -> Vec<u8> {
    [op, n, tag].iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Instantiates a [`STORE_WAT`] contract in `block`.
pub fn instantiate_store(block: &mut Block<'_>, sender: Address) -> Result<Address, String> {
    let code = wat::parse_str(STORE_WAT).map_err(|e| e.to_string())?;
    let request = Request {
        sender,
        action: Action::Instantiate { code: &code, label: "store", admin: None },
        msg: b"{}",
        funds: &[],
        gas_limit: None,
    };
    let (receipt, _) = block.cosmwasm(request).map_err(|e| e.to_string())?;
    receipt.address.ok_or_else(|| format!("instantiating the store contract failed: {:?}", receipt.result))
}

/// Executes [`STORE_WAT`]'s `op` on `contract` in `block`.
pub fn execute_store(
    block: &mut Block<'_>,
    sender: Address,
    contract: Address,
    msg: &[u8],
    gas_limit: Option<u64>,
) -> Result<Receipt, RuntimeError> {
    let request = Request { sender, action: Action::Execute { contract }, msg, funds: &[], gas_limit };
    Ok(block.cosmwasm(request)?.0)
}

/// Writes made earlier in the block, by another contract, before the timed scans.
const WRITES_EARLIER: u32 = 100_000;
/// Entries of the scanned contract's own (committed) storage.
const OWN_ENTRIES: u32 = 1_000;

/// `db_write`, `db_read` and `db_scan` + `db_next_key` items.
pub(crate) fn items(config: &Config, runs: usize) -> Vec<Item> {
    match measure(config, runs) {
        Ok(items) => items,
        Err(e) => {
            eprintln!("cove bench: cosmwasm store imports: {e}");
            Vec::new()
        }
    }
}

fn measure(config: &Config, runs: usize) -> Result<Vec<Item>, String> {
    let err = |e: RuntimeError| e.to_string();
    let rt = Runtime::in_memory(config.clone()).map_err(err)?;
    let sender = runtime::DEFAULT_SENDER;
    let mut block = rt.begin_block(1).map_err(err)?;
    let scanned = instantiate_store(&mut block, sender)?;
    let writer = instantiate_store(&mut block, sender)?;
    let r = execute_store(&mut block, sender, scanned, &store_msg(OP_WRITE, OWN_ENTRIES, 1), None)
        .map_err(err)?;
    r.result.map_err(|e| format!("writes: {e:?}"))?;
    block.commit().map_err(err)?;

    let mut block = rt.begin_block(2).map_err(err)?;
    let gas = Some(CALL_GAS);
    let r = execute_store(&mut block, sender, writer, &store_msg(OP_WRITE, WRITES_EARLIER, 2), gas)
        .map_err(err)?;
    r.result.map_err(|e| format!("writes: {e:?}"))?;
    let mut time = |name: String, msg: Vec<u8>| -> Result<Item, String> {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let r = execute_store(&mut block, sender, scanned, &msg, gas).map_err(err)?;
            let ns = start.elapsed().as_nanos() as f64;
            r.result.map_err(|e| format!("{name}: {e:?}"))?;
            samples.push((r.gas_used, ns));
        }
        samples.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (gas, ns) = samples[samples.len() / 2];
        Ok(Item { name, gas, ns, ns_per_gas: ns / gas as f64 })
    };
    let after = format!("after {WRITES_EARLIER} writes in the block");
    Ok(vec![
        time(
            format!("cosmwasm db_scan + db_next_key ({OWN_ENTRIES} committed entries; {after})"),
            store_msg(OP_SCAN, 100, 1),
        )?,
        time(format!("cosmwasm db_read (committed 8 B; {after})"), store_msg(OP_READ, 10_000, 1))?,
        time(format!("cosmwasm db_write (new 8 B key, 8 B value; {after})"), store_msg(OP_WRITE, 10_000, 3))?,
    ])
}
