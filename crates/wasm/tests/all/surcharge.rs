//! The energy surcharge: every charge also adds the gas charged so far divided by the
//! schedule's divisor. A call's gas is the fold of that rule over its charges, in the
//! order they happen, on every tier.

use crate::gas::assert_exact;
use crate::support::*;
use cove_wasm::{Config, GasSchedule, HostCosts, OpCosts, surcharged};
use types::ErrorKind;

/// `n` iterations of: a 16-byte `memory.fill`, a `storage_write` of a 3-byte key and a
/// 4-byte value, a countdown.
fn looping(n: u32) -> String {
    module(
        &import("storage_write"),
        &format!(
            r#"
  (data (i32.const 0) "key")
  (func (export "go") (local $i i32)
    (local.set $i (i32.const {n}))
    (loop $l
      (memory.fill (i32.const 100) (i32.const 0) (i32.const 16))
      (drop (call $storage_write (i32.const 0) (i32.const 3) (i32.const 64) (i32.const 4)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $l (local.get $i))))"#
        ),
    )
}

/// The charges of `looping(n)`, in order. Before the loop: two base instructions. Each
/// iteration: its segment (thirteen base instructions, the static `call` price of
/// `memory.fill` and of the host call, one `br_if`), then `memory.fill`'s 16 bytes, then
/// `storage_write`'s price. (A countdown from 0 wraps, so `n` must be positive.)
fn charges(n: u32, o: &OpCosts, h: &HostCosts) -> Vec<u64> {
    let segment = 13 * o.base + 2 * o.call + o.branch;
    let fill = 16 * o.bulk_memory_per_byte;
    let write = h.storage_write + 7 * h.storage_write_per_byte;
    let mut out = vec![2 * o.base];
    for _ in 0..n {
        out.extend([segment, fill, write]);
    }
    out
}

/// The closed form: without a surcharge the sum of the charges; with divisor `d`,
/// `used = used + c; used = used + used / d` for each charge `c` in turn.
fn expected(charges: &[u64], divisor: Option<u64>) -> u64 {
    match divisor {
        None => charges.iter().sum(),
        // In u128, saturated at u64::MAX: small divisors compound past any limit.
        Some(d) => charges.iter().fold(0u128, |used, &c| {
            let u = used + c as u128;
            (u + u / d as u128).min(u64::MAX as u128)
        }) as u64,
    }
}

fn with_surcharge(divisor: u64) -> Config {
    Config { gas: GasSchedule { surcharge_divisor: divisor, ..GasSchedule::default() }, ..Config::default() }
}

#[test]
fn a_calls_gas_is_the_closed_form_of_its_charges_on_every_tier() {
    let (o, h) = (OpCosts::default(), HostCosts::default());
    for n in [1, 5, 200] {
        let wat = looping(n);
        let c = charges(n, &o, &h);
        let plain = Harness::new(&wat).call("go", &[]);
        assert_eq!(plain.result, Ok(Vec::new()));
        assert_eq!(plain.gas_used, expected(&c, None), "n = {n}: the charges are as listed");
        for d in [2, 7, 1_000, 100_000] {
            // The harness runs every call on Winch, Cranelift and Pulley and asserts
            // identical outcomes and storage.
            let out = Harness::with_config(&wat, with_surcharge(d)).call("go", &[]);
            let want = expected(&c, Some(d));
            if want > GAS {
                // Small divisors compound quickly (200 iterations at d = 2 or 7).
                expect_err(&out, ErrorKind::OutOfGas);
                assert_eq!(out.gas_used, GAS, "n = {n}, d = {d}");
                continue;
            }
            assert_eq!(out.result, Ok(Vec::new()), "n = {n}, d = {d}");
            assert_eq!(out.gas_used, want, "n = {n}, d = {d}");
            // The library's rule is the same fold.
            assert_eq!(c.iter().fold(0, |u, &x| surcharged(u, x, d)), want);
            if plain.gas_used >= d {
                assert!(want > plain.gas_used, "n = {n}, d = {d}: the surcharge adds gas");
            }
        }
    }
    // GoVM's divisor adds nothing below 100,000 gas and something above it.
    let small = expected(&charges(5, &o, &h), Some(100_000));
    assert_eq!(small, expected(&charges(5, &o, &h), None));
    let big = expected(&charges(200, &o, &h), Some(100_000));
    assert!(big > expected(&charges(200, &o, &h), None));
}

#[test]
fn with_a_surcharge_a_limit_of_exactly_the_price_succeeds_and_one_less_fails() {
    let mut h = Harness::with_config(&looping(20), with_surcharge(50));
    let g = assert_exact(&mut h, "go", &[]);
    assert_eq!(g, expected(&charges(20, &OpCosts::default(), &HostCosts::default()), Some(50)));
}

#[test]
fn out_of_gas_in_a_long_straight_stretch_never_wraps_the_balance() {
    // 2,000 unchecked segments (a `br_if` that never branches ends each) under the
    // smallest divisor: the running total would double 2,000 times if the surcharge kept
    // applying after the balance went negative. It stops, and the call is out of gas.
    let body: String = (0..2_000).map(|_| "(br_if 0 (i32.const 0))\n").collect();
    let wat = module("", &format!("(func (export \"go\") (block {body}))"));
    let mut h = Harness::with_config(&wat, with_surcharge(2));
    for limit in [1, 1_000, 1 << 40, types::MAX_GAS_LIMIT] {
        // 2,000 growths by half of a start of 2 pass any limit.
        let out = h.call_with_gas("go", &[], limit);
        expect_err(&out, ErrorKind::OutOfGas);
        assert_eq!(out.gas_used, limit);
    }
}

#[test]
fn the_divisor_is_range_checked() {
    for (d, ok) in
        [(0, true), (1, false), (2, true), (100_000, true), (types::MAX_GAS_LIMIT, true), (u64::MAX, false)]
    {
        let r = with_surcharge(d).validate();
        assert_eq!(r.is_ok(), ok, "divisor {d}: {r:?}");
        if let Err(e) = r {
            assert!(e.contains("surcharge_divisor"), "{e}");
        }
    }
}
