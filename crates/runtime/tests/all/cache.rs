//! The module cache under the runtime: identical receipts from every tier, and tier-up
//! artifacts that survive a restart.

use std::path::Path;

use cove_runtime::{Compiler, Config, Receipt, Runtime, Tier};
use types::Address;

use crate::support::*;

/// `bump`: reads the u32 `n` under "n" (0 if absent), loops `10 * n` times, stores
/// `n + 1`, logs an event "bumped" carrying `n + 1` and the loop's sum, and returns
/// `n + 1`. Its gas grows with its state, so any tier that ran the wrong code, or a
/// call that saw the wrong state, would show in the receipt.
const BUMPER_WAT: &str = r#"(module
  (import "env" "storage_read" (func $read (param i32 i32) (result i64)))
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "log_event" (func $log (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "n")
  (data (i32.const 8) "bumped")

  (global $heap (mut i32) (i32.const 1024))
  (func (export "allocate") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $ptr))

  (func (export "bump") (result i32)
    (local $found i64) (local $n i32) (local $i i32) (local $acc i32)
    (local.set $found (call $read (i32.const 0) (i32.const 1)))
    (if (i64.ne (local.get $found) (i64.const 0))
      (then (local.set $n (i32.load (i32.wrap_i64 (i64.shr_u (local.get $found) (i64.const 32)))))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.mul (local.get $n) (i32.const 10))))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (i32.store (i32.const 100) (local.get $n))
    (i32.store (i32.const 104) (local.get $acc))
    (drop (call $write (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 4)))
    (call $log (i32.const 8) (i32.const 6) (i32.const 100) (i32.const 8))
    (local.get $n)))"#;

fn bumper() -> Vec<u8> {
    wat::parse_str(BUMPER_WAT).expect("bumper parses")
}

/// A persistent runtime under test and an in-memory reference that runs the same
/// sequence of blocks, so both states evolve identically.
struct Pair {
    reference: Runtime,
    address: Address,
    /// Gas of every call so far, in order.
    gas: Vec<u64>,
}

impl Pair {
    /// Deploys the bumper on both; returns the pair and the runtime under test.
    fn deploy(dir: &Path, config: &Config) -> (Pair, Runtime) {
        let reference = Runtime::in_memory(config.clone()).unwrap();
        let rt = Runtime::open(dir, config.clone()).unwrap();
        let address = deploy_committed(&reference, ALICE, &bumper(), None);
        assert_eq!(deploy_committed(&rt, ALICE, &bumper(), None), address);
        (Pair { reference, address, gas: Vec::new() }, rt)
    }

    /// Calls `bump` on both; asserts identical receipts and returns the one under test.
    #[track_caller]
    fn bump(&mut self, rt: &Runtime, what: &str) -> Receipt {
        let expected = call_committed(&self.reference, BOB, self.address, "bump", Vec::new());
        let got = call_committed(rt, BOB, self.address, "bump", Vec::new());
        assert_eq!(got, expected, "{what}: receipt (result, gas, events) differs from the reference");
        let n = self.gas.len() as u32 + 1;
        assert_eq!(ok(&got), u32le(n), "{what}");
        assert_eq!(got.events.len(), 1, "{what}");
        assert_eq!(got.events[0].topics, vec![b"bumped".to_vec()], "{what}");
        if let Some(&last) = self.gas.last() {
            assert!(got.gas_used > last, "{what}: gas grows with the state");
        }
        self.gas.push(got.gas_used);
        got
    }
}

#[test]
fn every_cache_tier_gives_identical_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::default();
    let (mut pair, rt) = Pair::deploy(dir.path(), &config);
    let code_id = rt.contract(&pair.address).unwrap().unwrap().code_id;

    // Memory: deploy compiled the module and kept it.
    let before = rt.cache_stats();
    pair.bump(&rt, "memory");
    assert_eq!(answered(&before, &rt.cache_stats()), (0, 1, 0, 0), "answered by the LRU");
    pair.bump(&rt, "memory again");
    drop(rt);

    // Disk: a new process has nothing in memory.
    let rt = Runtime::open(dir.path(), config.clone()).unwrap();
    assert_eq!(rt.tier_of(&pair.address).unwrap(), None, "nothing loaded yet");
    let before = rt.cache_stats();
    assert_eq!(before.disk.modules, 1);
    pair.bump(&rt, "disk");
    assert_eq!(answered(&before, &rt.cache_stats()), (0, 0, 1, 0), "answered by the artifact");

    // Pinned.
    rt.pin(&code_id).unwrap();
    let before = rt.cache_stats();
    assert_eq!(before.pinned_codes, vec![code_id]);
    assert_eq!(before.pinned.modules, 1);
    pair.bump(&rt, "pinned");
    assert_eq!(answered(&before, &rt.cache_stats()), (1, 0, 0, 0), "answered by the pinned tier");

    // Compiled: nothing cached anywhere.
    rt.clear_cache().unwrap();
    let before = rt.cache_stats();
    assert_eq!((before.pinned.modules, before.memory.modules, before.disk.modules), (0, 0, 0));
    pair.bump(&rt, "compiled");
    let after = rt.cache_stats();
    assert_eq!(answered(&before, &after), (0, 0, 0, 1), "no tier answered");
    assert_eq!(after.compiles, before.compiles + 1);
    pair.bump(&rt, "pinned after clear");
    assert_eq!(answered(&after, &rt.cache_stats()), (1, 0, 0, 0), "the pin was kept");
    drop(rt);

    // After a restart, the pin is remembered and the artifact written after clear loads.
    let rt = Runtime::open(dir.path(), config).unwrap();
    assert_eq!(rt.cache_stats().pinned_codes, vec![code_id]);
    let before = rt.cache_stats();
    pair.bump(&rt, "disk into the pinned tier");
    pair.bump(&rt, "pinned after restart");
    assert_eq!(answered(&before, &rt.cache_stats()), (1, 0, 1, 0));
    assert!(rt.unpin(&code_id).unwrap());
    let before = rt.cache_stats();
    pair.bump(&rt, "memory after unpin");
    assert_eq!(answered(&before, &rt.cache_stats()), (0, 1, 0, 0));
    assert_eq!(pair.gas.len(), 9);
}

#[test]
fn tier_up_writes_an_optimized_artifact_used_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.wasm.compiler = Compiler::Tiered;
    config.wasm.tier_up_after_calls = 2;
    let (mut pair, rt) = Pair::deploy(dir.path(), &config);
    let cache_dir = rt.cache_dir().expect("disk tier on");
    let files = |suffix: &str| artifact_names(&cache_dir, suffix);
    assert_eq!(rt.tier_of(&pair.address).unwrap(), Some(Tier::Baseline));
    assert_eq!(files(".baseline.cwasm").len(), 1, "deploy saved the baseline artifact");
    assert!(files(".optimized.cwasm").is_empty());

    for i in 0..3 {
        pair.bump(&rt, &format!("call {i}"));
    }
    rt.settle();
    assert_eq!(rt.cache_stats().tier_ups, 1);
    assert_eq!(rt.tier_of(&pair.address).unwrap(), Some(Tier::Optimized));
    let code_id = rt.contract(&pair.address).unwrap().unwrap().code_id;
    assert_eq!(files(".optimized.cwasm"), vec![format!("{code_id}.optimized.cwasm")]);
    assert!(files(".baseline.cwasm").is_empty(), "the baseline artifact is gone");
    pair.bump(&rt, "optimized");
    drop(rt);

    let rt = Runtime::open(dir.path(), config).unwrap();
    let before = rt.cache_stats();
    pair.bump(&rt, "optimized from disk");
    assert_eq!(answered(&before, &rt.cache_stats()), (0, 0, 1, 0));
    assert_eq!(rt.tier_of(&pair.address).unwrap(), Some(Tier::Optimized), "loaded the optimized artifact");
    for i in 0..3 {
        pair.bump(&rt, &format!("after restart {i}"));
    }
    rt.settle();
    assert_eq!(rt.cache_stats().tier_ups, 0, "no second tier-up");
}

#[test]
fn the_runtime_and_its_cache_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Runtime>();
    assert_send_sync::<cache::ModuleCache<wasm::Vm<cove_runtime::ContractView>>>();
    // And concurrent queries through one runtime agree.
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let counter = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
    block.call(ALICE, counter, "increment", Vec::new(), None).unwrap();
    block.commit().unwrap();
    rt.clear_cache().unwrap();
    let compiles = rt.cache_stats().compiles;
    let receipts: Vec<Receipt> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..4).map(|_| s.spawn(|| rt.query(ALICE, counter, "get", Vec::new(), None).unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(receipts.iter().all(|r| r == &receipts[0]), "{receipts:?}");
    assert_eq!(rt.cache_stats().compiles, compiles + 1, "four concurrent first calls compiled once");
    assert_eq!(receipts[0].result.as_deref(), Ok(&1i32.to_le_bytes()[..]));
}
