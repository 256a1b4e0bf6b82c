//! Storage with a life: the five host functions, their bounds and their prices, on every
//! tier (the harness compares each call's outcome and storage across them). The harness
//! runs every call at block 42, so an entry expiring at 43 is in its last block and one
//! expiring at 42 or before has expired (reads as absent although still stored).

use crate::support::*;
use cove_wasm::{
    Config, HostCosts, LIFE_PRICE_BLOCKS, MAX_KEY_LEN, MAX_STORAGE_LIFE, MAX_VALUE_LEN, life_price,
};
use types::{ErrorKind, Lived};

const FUNCTIONS: [&str; 6] = [
    "storage_write_lived",
    "storage_read_lived",
    "storage_life",
    "storage_extend_life",
    "storage_delete_lived",
    "return_data",
];

/// A module importing the functions of storage with a life, key "key" at 0, value
/// "value!" at 16, the life read back at 64; the input (an i64 LE, when given) at 128.
/// Entry points: `write(life)`, `read` (value ++ life LE), `life`, `extend(life)`,
/// `delete`, and `write_key(len)` / `write_value(len)` with lengths from the input.
fn lived_module() -> String {
    let imports: Vec<String> = FUNCTIONS.iter().map(|f| import(f)).collect();
    let input = [import("input_read"), import("input_len")].join("\n  ");
    module(
        &format!("{}\n  {input}", imports.join("\n  ")),
        r#"
  (data (i32.const 0) "key")
  (data (i32.const 16) "value!")
  (func $arg (result i64) (call $input_read (i32.const 128)) (i64.load (i32.const 128)))
  (func (export "write") (result i32)
    (call $storage_write_lived (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 6) (call $arg)))
  (func (export "write_key") (result i32)
    (call $storage_write_lived (i32.const 0) (i32.wrap_i64 (call $arg)) (i32.const 16) (i32.const 6) (i64.const 1)))
  (func (export "write_value") (result i32)
    (call $storage_write_lived (i32.const 0) (i32.const 3) (i32.const 16) (i32.wrap_i64 (call $arg)) (i64.const 1)))
  (func (export "read") (local $r i64)
    (local.set $r (call $storage_read_lived (i32.const 0) (i32.const 3) (i32.const 64)))
    (if (i64.eqz (local.get $r)) (then (return)))
    ;; value then the life: the value was allocated at 1024, so copy the life after it.
    (i64.store (i32.add (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32))) (i32.wrap_i64 (local.get $r)))
      (i64.load (i32.const 64)))
    (call $return_data
      (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32)))
      (i32.add (i32.wrap_i64 (local.get $r)) (i32.const 8))))
  (func (export "read_life_out_of_bounds") (result i64)
    (call $storage_read_lived (i32.const 0) (i32.const 3) (i32.const 65533)))
  (func (export "life") (result i64) (call $storage_life (i32.const 0) (i32.const 3)))
  (func (export "extend") (result i64) (call $storage_extend_life (i32.const 0) (i32.const 3) (call $arg)))
  (func (export "delete") (result i32) (call $storage_delete_lived (i32.const 0) (i32.const 3)))"#,
    )
}

fn arg(n: i64) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

fn entry(value: &[u8], expires: u64) -> Lived {
    Lived { value: value.to_vec(), expires }
}

fn i64_of(bytes: Vec<u8>) -> i64 {
    i64::from_le_bytes(bytes.try_into().expect("an i64 result"))
}

#[test]
fn a_value_written_with_a_life_reads_back_with_its_remaining_life() {
    let mut h = Harness::new(&lived_module());
    assert_eq!(h.ok("write", &arg(10)), 0i32.to_le_bytes());
    // Written at 42 with a life of 10: alive through 51, absent from 52.
    assert_eq!(h.storage.1.get(&b"key"[..]), Some(&entry(b"value!", 52)));
    assert!(h.storage.0.is_empty(), "a key space apart from storage_write's");
    assert_eq!(h.ok("read", &[]), [&b"value!"[..], &10u64.to_le_bytes()].concat());
    assert_eq!(i64_of(h.ok("life", &[])), 10);
    // A rewrite replaces the value and the life.
    assert_eq!(h.ok("write", &arg(3)), 0i32.to_le_bytes());
    assert_eq!(h.storage.1.get(&b"key"[..]), Some(&entry(b"value!", 45)));
    assert_eq!(h.ok("delete", &[]), 1i32.to_le_bytes());
    assert!(h.storage.1.is_empty());
    // Absent: read 0, life 0, extend 0 (nothing bought), delete 0.
    assert_eq!(h.ok("read", &[]), b"");
    assert_eq!(i64_of(h.ok("life", &[])), 0);
    assert_eq!(i64_of(h.ok("extend", &arg(5))), 0);
    assert!(h.storage.1.is_empty());
    assert_eq!(h.ok("delete", &[]), 0i32.to_le_bytes());
}

#[test]
fn an_expired_entry_reads_as_absent_before_it_is_purged() {
    let mut h = Harness::new(&lived_module());
    // Expiring at 43: the harness's block 42 is its last.
    h.storage.1.insert(b"key".to_vec(), entry(b"v", 43));
    assert_eq!(h.ok("read", &[]), [&b"v"[..], &1u64.to_le_bytes()].concat());
    assert_eq!(i64_of(h.ok("life", &[])), 1);
    // Expiring at 42: absent in block 42, though the storage still holds it.
    h.storage.1.insert(b"key".to_vec(), entry(b"v", 42));
    assert_eq!(h.ok("read", &[]), b"");
    assert_eq!(i64_of(h.ok("life", &[])), 0);
    assert_eq!(i64_of(h.ok("extend", &arg(100))), 0, "an expired entry cannot be revived");
    assert_eq!(h.storage.1.get(&b"key"[..]), Some(&entry(b"v", 42)));
    // Deleting it removes what is stored but reports that nothing lived there.
    assert_eq!(h.ok("delete", &[]), 0i32.to_le_bytes());
    assert!(h.storage.1.is_empty());
}

#[test]
fn extending_keeps_the_longer_life_and_pays_only_for_the_blocks_added() {
    let mut h = Harness::new(&lived_module());
    h.ok("write", &arg(8)); // expires at 50
    let short = h.call("extend", &arg(5));
    assert_eq!(short.result, Ok(8i64.to_le_bytes().to_vec()), "a shorter life is no change");
    assert_eq!(h.storage.1.get(&b"key"[..]), Some(&entry(b"value!", 50)));
    let long = h.call("extend", &arg(2_000));
    assert_eq!(long.result, Ok(2_000i64.to_le_bytes().to_vec()));
    assert_eq!(h.storage.1.get(&b"key"[..]), Some(&entry(b"value!", 2_042)));
    // The longer call paid the write base and 1,992 blocks of 9 bytes (key and value).
    let c = HostCosts::default();
    assert_eq!(
        long.gas_used - short.gas_used,
        c.storage_write + life_price(c.storage_life_per_byte, 9, 1_992)
    );
}

#[test]
fn a_write_costs_bytes_times_life() {
    let mut h = Harness::new(&lived_module());
    let c = HostCosts::default();
    let gas = |h: &mut Harness, life: i64| h.call("write", &arg(life)).gas_used;
    let one = gas(&mut h, 1);
    for life in [1_024, 10_000, 1 << 20] {
        let extra =
            life_price(c.storage_life_per_byte, 9, life as u64) - life_price(c.storage_life_per_byte, 9, 1);
        assert_eq!(gas(&mut h, life) - one, extra, "life {life}");
    }
    // 9 bytes for 1,024 blocks at 1 gas per byte per LIFE_PRICE_BLOCKS blocks.
    assert_eq!(LIFE_PRICE_BLOCKS, 1_024);
    assert_eq!(life_price(1, 9, 1_024), 9);
    // The price is part of the schedule: doubling it doubles the life's part.
    let mut config = Config::default();
    config.gas.host.storage_life_per_byte = 2;
    let mut dear = Harness::with_config(&lived_module(), config);
    let (a, b) = (gas(&mut dear, 1), gas(&mut dear, 1 << 20));
    assert_eq!(b - a, life_price(2, 9, 1 << 20) - life_price(2, 9, 1));
}

#[test]
fn lives_outside_one_to_max_storage_life_are_refused() {
    let mut h = Harness::new(&lived_module());
    for life in [0, -1, i64::MIN, MAX_STORAGE_LIFE as i64 + 1, i64::MAX] {
        let out = h.call("write", &arg(life));
        let msg = expect_err(&out, ErrorKind::InvalidArgument);
        assert!(msg.contains("MAX_STORAGE_LIFE"), "{msg}");
        // Refused before any host charge: the contract's own code only.
        assert!(out.gas_used < HostCosts::default().storage_write, "{}", out.gas_used);
        expect_err(&h.call("extend", &arg(life)), ErrorKind::InvalidArgument);
    }
    assert!(h.storage.1.is_empty());
    // The longest life is accepted (and priced: 9 bytes x 2^32 blocks / 1,024, above
    // the harness's usual limit).
    let out = h.call_with_gas("write", &arg(MAX_STORAGE_LIFE as i64), 100_000_000);
    assert_eq!(out.result, Ok(0i32.to_le_bytes().to_vec()));
    assert_eq!(h.storage.1.get(&b"key"[..]).map(|e| e.expires), Some(42 + MAX_STORAGE_LIFE));
    assert_eq!(i64_of(h.ok("life", &[])), MAX_STORAGE_LIFE as i64);
}

#[test]
fn keys_and_values_over_their_maxima_and_empty_values_are_refused() {
    let mut h = Harness::new(&lived_module());
    let msg = expect_err(&h.call("write_key", &arg(i64::from(MAX_KEY_LEN) + 1)), ErrorKind::InvalidArgument);
    assert!(msg.contains("key length"), "{msg}");
    let msg =
        expect_err(&h.call("write_value", &arg(i64::from(MAX_VALUE_LEN) + 1)), ErrorKind::InvalidArgument);
    assert!(msg.contains("value length"), "{msg}");
    let msg = expect_err(&h.call("write_value", &arg(0)), ErrorKind::InvalidArgument);
    assert!(msg.contains("non-empty"), "{msg}");
    // In bounds of the maxima but not of memory (one page): a trap.
    expect_err(&h.call("write_value", &arg(70_000)), ErrorKind::Trap);
    expect_err(&h.call("read_life_out_of_bounds", &[]), ErrorKind::Trap);
    assert!(h.storage.1.is_empty());
}

#[test]
fn a_query_reads_but_cannot_write_extend_or_delete() {
    let mut h = Harness::new(&lived_module());
    h.ok("write", &arg(10));
    h.read_only = true;
    assert_eq!(i64_of(h.ok("life", &[])), 10);
    assert_eq!(h.ok("read", &[]), [&b"value!"[..], &10u64.to_le_bytes()].concat());
    for entry_point in ["write", "extend"] {
        expect_err(&h.call(entry_point, &arg(20)), ErrorKind::ReadOnly);
    }
    expect_err(&h.call("delete", &[]), ErrorKind::ReadOnly);
    assert_eq!(h.storage.1.get(&b"key"[..]), Some(&entry(b"value!", 52)));
}

#[test]
fn out_of_gas_in_a_lived_write_writes_nothing() {
    let mut h = Harness::new(&lived_module());
    // Enough for the code, not for a life of 2^32 blocks of 9 bytes (37,748,736 gas).
    let out = h.call_with_gas("write", &arg(MAX_STORAGE_LIFE as i64), 1_000_000);
    expect_err(&out, ErrorKind::OutOfGas);
    assert!(h.storage.1.is_empty());
}
