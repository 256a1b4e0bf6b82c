//! CosmWasm contracts through the module cache: their own directory, artifacts that
//! answer a restarted runtime, tier-up, damaged artifacts recompiled, pins and clear;
//! identical receipts (result and gas) from every path. On cosmwasm-vm's hackatom.

use std::path::{Path, PathBuf};

use cosmwasm::{Action, Request};
use cove_runtime::{COSMWASM_CACHE_DIR, Compiler, Config, Receipt, Runtime, RuntimeError, Tier};
use types::{Address, CodeId};

use crate::support::*;

/// `recurse` hashes its input `work` times and queries itself `depth` times (through
/// `query_chain`): gas that depends on the input, and nested lookups of the module.
const RECURSE: &str = r#"{"recurse":{"depth":2,"work":40}}"#;
const VERIFIER: &str = r#"{"verifier":{}}"#;

/// Instantiates hackatom (verifier ALICE, beneficiary BOB) in its own committed block;
/// returns the contract and its code.
fn hackatom(rt: &Runtime) -> (Address, CodeId) {
    let human = |a: &Address| rt.vms().cosmwasm().addresses().humanize(a);
    let msg = format!(r#"{{"verifier":"{}","beneficiary":"{}"}}"#, human(&ALICE), human(&BOB));
    instantiate(rt, "hackatom", &msg)
}

/// Instantiates fixture `name` with `msg` in its own committed block; returns the
/// contract and its code.
fn instantiate(rt: &Runtime, name: &str, msg: &str) -> (Address, CodeId) {
    let code = bench::fixtures::load(name).unwrap_or_else(|e| panic!("{e}"));
    let mut block = rt.begin_block(T0).unwrap();
    let action = Action::Instantiate { code: &code, label: name, admin: None };
    let request = Request { sender: ALICE, action, msg: msg.as_bytes(), funds: &[], gas_limit: None };
    let (receipt, _) = block.cosmwasm(request).unwrap();
    ok(&receipt);
    block.commit().unwrap();
    (receipt.address.expect("an address"), CodeId::of(&code))
}

/// A query of `contract` with `msg` against the last block; it must succeed.
#[track_caller]
fn query(rt: &Runtime, contract: Address, msg: &str) -> Receipt {
    let (receipt, _) = rt.at(None).unwrap().cosmwasm_query(contract, msg.as_bytes(), None).unwrap();
    ok(&receipt);
    receipt
}

/// Both queries, in order.
fn queries(rt: &Runtime, contract: Address) -> [Receipt; 2] {
    [query(rt, contract, VERIFIER), query(rt, contract, RECURSE)]
}

fn cosmwasm_dir(rt: &Runtime) -> PathBuf {
    rt.cache_dir().expect("disk tier on").join(COSMWASM_CACHE_DIR)
}

#[test]
fn a_restarted_runtime_loads_the_cosmwasm_artifact_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (contract, code_id, expected) = {
        let rt = redb_runtime(dir.path());
        let (contract, code_id) = hackatom(&rt);
        let stats = rt.cosmwasm_cache_stats();
        assert_eq!(stats.compiles, 1, "deploy compiled it");
        assert_eq!(stats.disk.modules, 1, "and saved its artifact");
        assert_eq!(stats.dir, Some(cosmwasm_dir(&rt)));
        let wasm = rt.cache_stats();
        assert_eq!((wasm.compiles, wasm.disk.modules), (0, 0), "cove's own cache is not involved");
        assert_eq!(artifact_names(&cosmwasm_dir(&rt), ".cwasm"), [format!("{code_id}.baseline.cwasm")]);
        (contract, code_id, queries(&rt, contract))
    };

    let rt = redb_runtime(dir.path());
    assert_eq!(rt.tier_of(&contract).unwrap(), None, "nothing loaded yet");
    let before = rt.cosmwasm_cache_stats();
    assert_eq!(queries(&rt, contract), expected, "identical results and gas from the disk artifact");
    let after = rt.cosmwasm_cache_stats();
    // The first lookup loads the artifact; the nested and later ones hit memory.
    assert_eq!(answered(&before, &after).2, 1, "answered by the artifact");
    assert_eq!((after.misses, after.compiles), (0, 0), "nothing compiled: {after:?}");
    assert_eq!(rt.tier_of(&contract).unwrap(), Some(Tier::Baseline));
    assert_eq!(rt.contract(&contract).unwrap().unwrap().code_id, code_id);
}

#[test]
fn cosmwasm_modules_tier_up_with_identical_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.wasm.compiler = Compiler::Tiered;
    config.wasm.tier_up_after_calls = 3;
    let rt = Runtime::open(dir.path(), config.clone()).unwrap();
    let (contract, code_id) = hackatom(&rt); // call 1
    let verifier = query(&rt, contract, VERIFIER); // call 2
    rt.settle();
    assert_eq!(rt.tier_of(&contract).unwrap(), Some(Tier::Baseline), "not hot yet");
    assert_eq!(rt.cosmwasm_cache_stats().tier_ups, 0);

    // RECURSE makes three calls (itself and two nested queries): the first is the third.
    let recurse = query(&rt, contract, RECURSE);
    rt.settle();
    assert_eq!(rt.tier_of(&contract).unwrap(), Some(Tier::Optimized));
    assert_eq!(rt.cosmwasm_cache_stats().tier_ups, 1);
    assert_eq!(queries(&rt, contract), [verifier, recurse], "identical results and gas after tier-up");
    let names = artifact_names(&cosmwasm_dir(&rt), ".cwasm");
    assert_eq!(
        names,
        [format!("{code_id}.optimized.cwasm")],
        "the optimized artifact replaced the baseline one"
    );
    let expected = queries(&rt, contract);
    rt.settle();
    assert_eq!(rt.cosmwasm_cache_stats().tier_ups, 1, "a module tiers up once");
    drop(rt);

    let rt = Runtime::open(dir.path(), config).unwrap();
    assert_eq!(queries(&rt, contract), expected);
    assert_eq!(rt.tier_of(&contract).unwrap(), Some(Tier::Optimized), "the optimized artifact loaded");
    assert_eq!(rt.cosmwasm_cache_stats().hits.disk, 1);
}

#[test]
fn a_damaged_cosmwasm_artifact_is_discarded_and_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let (contract, path, expected) = {
        let rt = redb_runtime(dir.path());
        let (contract, code_id) = hackatom(&rt);
        let path = cosmwasm_dir(&rt).join("modules").join(format!("{code_id}.baseline.cwasm"));
        (contract, path, queries(&rt, contract))
    };
    let mut damaged = std::fs::read(&path).unwrap();
    let at = cache::HEADER_LEN + (damaged.len() - cache::HEADER_LEN) / 2;
    damaged[at] ^= 0x55;
    std::fs::write(&path, &damaged).unwrap();

    let rt = redb_runtime(dir.path());
    assert_eq!(queries(&rt, contract), expected, "recompiled: identical results and gas");
    let stats = rt.cosmwasm_cache_stats();
    assert_eq!((stats.invalid_artifacts, stats.hits.disk, stats.misses, stats.compiles), (1, 0, 1, 1));
    assert_ne!(std::fs::read(&path).unwrap(), damaged, "the damaged file was replaced");
    drop(rt);

    let rt = redb_runtime(dir.path());
    assert_eq!(queries(&rt, contract), expected);
    let stats = rt.cosmwasm_cache_stats();
    assert_eq!((stats.invalid_artifacts, stats.hits.disk), (0, 1), "the new artifact loads");
}

#[test]
fn pins_and_clear_reach_the_cosmwasm_cache() {
    let dir = tempfile::tempdir().unwrap();
    let rt = redb_runtime(dir.path());
    let (contract, code_id) = hackatom(&rt);
    let expected = queries(&rt, contract);

    // By address: the contract's VM's cache.
    assert_eq!(rt.pin_contract(&contract).unwrap(), code_id);
    assert_eq!(rt.cosmwasm_cache_stats().pinned_codes, [code_id]);
    assert!(rt.cache_stats().pinned_codes.is_empty(), "not cove's cache");
    let before = rt.cosmwasm_cache_stats();
    assert_eq!(queries(&rt, contract), expected);
    assert_eq!(answered(&before, &rt.cosmwasm_cache_stats()).0, 4, "every lookup answered by the pin");
    assert!(rt.unpin(&code_id).unwrap());
    assert!(rt.cosmwasm_cache_stats().pinned_codes.is_empty());
    // By code id: a code with a CosmWasm code number is CosmWasm's.
    rt.pin(&code_id).unwrap();
    assert_eq!(rt.cosmwasm_cache_stats().pinned_codes, [code_id]);

    rt.clear_cache().unwrap();
    let stats = rt.cosmwasm_cache_stats();
    assert_eq!((stats.pinned.modules, stats.disk.modules), (0, 0), "cleared");
    assert_eq!(queries(&rt, contract), expected, "recompiled: identical results and gas");
    assert_eq!(rt.cosmwasm_cache_stats().compiles, stats.compiles + 1);
    drop(rt);

    let rt = redb_runtime(dir.path());
    assert_eq!(rt.cosmwasm_cache_stats().pinned_codes, [code_id], "the pin persists");
    assert!(pin_list(&cosmwasm_dir(&rt)).contains(&code_id.to_string()));
    assert!(!pin_list(&rt.cache_dir().unwrap()).contains(&code_id.to_string()));
}

/// The pin list file of a cache directory ("" if none).
fn pin_list(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("pinned")).unwrap_or_default()
}

#[test]
fn an_artifact_admitted_under_other_capabilities_is_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    // cyberpunk requires the cosmwasm_1_1 ... capabilities the default configuration has.
    let rt = redb_runtime(dir.path());
    let (contract, _) = instantiate(&rt, "cyberpunk", "{}");
    // The chain narrows its capabilities by an upgrade; the head's block runs under it.
    let mut narrower = cove_runtime::ExecutionConfig::default();
    narrower.cosmwasm.capabilities = vec!["iterator".into()];
    let mut block = rt.begin_block(T0).unwrap();
    let next = block.info().height + 1;
    block.schedule_execution_config(next, &narrower).unwrap();
    block.commit().unwrap();
    rt.begin_block(T0).unwrap().commit().unwrap();
    drop(rt);
    let rt = Runtime::open(dir.path(), narrower.apply_to(&Config::default())).unwrap();
    let err = rt.at(None).unwrap().cosmwasm_query(contract, b"{}", None).unwrap_err();
    assert!(matches!(&err, RuntimeError::Corrupt(m) if m.contains("does not validate")), "{err}");
    let stats = rt.cosmwasm_cache_stats();
    assert_eq!((stats.hits.disk, stats.invalid_artifacts), (0, 1), "the artifact's key did not match");
}
