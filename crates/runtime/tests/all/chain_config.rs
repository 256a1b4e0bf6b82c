//! The chain's execution configuration: recorded with the first block, compared with a
//! node's local configuration when a store is opened, changed only by an upgrade at a
//! height, and applied to every block and query by its height.

use cove_runtime::{
    ChainOptions, Config, ExecutionConfig, LocalCheck, MAX_CONFIG_VERSIONS, Receipt, Runtime, RuntimeError,
};
use types::Address;

use crate::support::{ALICE, T0, counter, ok, u32le};

/// The default configuration with other prices for `storage_read` and `storage_write`.
fn pricier(read: u64, write: u64) -> Config {
    let mut config = Config::default();
    config.wasm.gas.host.storage_read = read;
    config.wasm.gas.host.storage_write = write;
    config
}

/// Deploys the counter and increments it once, in block 1; returns its address.
fn counter_block(rt: &Runtime) -> Address {
    let mut block = rt.begin_block(T0).unwrap();
    let address = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
    ok(&block.call(ALICE, address, "increment", Vec::new(), None).unwrap());
    block.commit().unwrap();
    address
}

/// One block: `increment`, and before it, if given, an upgrade scheduled.
fn increment_block(rt: &Runtime, counter: Address, schedule: Option<(u64, &ExecutionConfig)>) -> Receipt {
    let mut block = rt.begin_block(T0).unwrap();
    if let Some((activation, config)) = schedule {
        block.schedule_execution_config(activation, config).unwrap();
    }
    let receipt = block.call(ALICE, counter, "increment", Vec::new(), None).unwrap();
    ok(&receipt);
    block.commit().unwrap();
    receipt
}

#[test]
fn a_store_opened_with_another_gas_schedule_is_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), Config::default()).unwrap();
    let counter = counter_block(&rt);
    let gas = rt.query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used;
    drop(rt);

    let Err(e) = Runtime::open(dir.path(), pricier(300, 250)) else { panic!("opened with other gas") };
    let message = e.to_string();
    let RuntimeError::ConfigMismatch { activation, differences, .. } = e else { panic!("{message}") };
    assert_eq!(activation, 0);
    let named: Vec<String> = differences.iter().map(ToString::to_string).collect();
    assert_eq!(named, ["wasm.gas.host.storage_write: chain 1000, local 250"]);
    assert!(message.contains("wasm.gas.host.storage_write: chain 1000, local 250"), "{message}");
    // Read-only opens refuse too.
    assert!(matches!(
        Runtime::open_read_only(dir.path(), pricier(300, 250)),
        Err(RuntimeError::ConfigMismatch { .. })
    ));

    // Node-local settings may differ.
    let mut local = Config::default();
    local.wasm.timeout_ms = 5_000;
    local.wasm.compiler = cove_runtime::Compiler::Optimizing;
    local.cache.memory_modules = 7;
    let rt = Runtime::open(dir.path(), local).unwrap();
    assert_eq!(rt.query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used, gas);
    assert_eq!(rt.config().wasm.timeout_ms, 5_000, "the local timeout");
    drop(rt);

    // Compared only where asked: the rest is the chain's, never the local file's.
    for check in [LocalCheck::Only(vec![]), LocalCheck::Only(vec!["cache".into(), "max_tx_gas".into()])] {
        let options = ChainOptions { check, genesis: None };
        let rt = Runtime::open_chain(dir.path(), pricier(300, 250), &options).unwrap();
        assert_eq!(rt.config().wasm.gas.host.storage_write, 1_000, "the chain's price");
        assert_eq!(rt.query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used, gas);
    }
    let options = ChainOptions { check: LocalCheck::Only(vec!["wasm.gas".into()]), genesis: None };
    assert!(matches!(
        Runtime::open_chain(dir.path(), pricier(300, 250), &options),
        Err(RuntimeError::ConfigMismatch { .. })
    ));
}

#[test]
fn the_first_block_records_the_genesis_configuration() {
    let config = pricier(300, 250);
    let rt = Runtime::in_memory(config.clone()).unwrap();
    assert!(rt.config_versions().unwrap().is_empty(), "nothing recorded before the first block");
    let pending = rt.execution_config(None).unwrap();
    assert_eq!((pending.activation, pending.hash), (0, ExecutionConfig::of(&config).hash()));
    counter_block(&rt);
    let versions = rt.config_versions().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].activation, versions[0].hash), (0, pending.hash));
    assert_eq!(*versions[0].config, ExecutionConfig::of(&config));
}

#[test]
fn a_genesis_given_is_run_and_recorded_and_another_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = ExecutionConfig::of(&pricier(3_000, 5_000));
    let options = ChainOptions { check: LocalCheck::Only(vec![]), genesis: Some(genesis.clone()) };
    let rt = Runtime::open_chain(dir.path(), Config::default(), &options).unwrap();
    assert_eq!(rt.config().wasm.gas.host.storage_write, 5_000);
    counter_block(&rt);
    assert_eq!(rt.config_versions().unwrap()[0].hash, genesis.hash());
    drop(rt);
    // The full local configuration is compared with the genesis one.
    let strict = ChainOptions { check: LocalCheck::All, genesis: Some(genesis.clone()) };
    assert!(matches!(
        Runtime::open_chain(dir.path(), Config::default(), &strict),
        Err(RuntimeError::ConfigMismatch { .. })
    ));
    let other = ChainOptions { check: LocalCheck::Only(vec![]), genesis: Some(ExecutionConfig::default()) };
    let Err(e) = Runtime::open_chain(dir.path(), Config::default(), &other) else { panic!("another chain") };
    assert!(e.to_string().contains("another chain"), "{e}");
}

#[test]
fn an_upgrade_changes_gas_from_its_height_and_earlier_heights_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), Config::default()).unwrap();
    let upgrade = ExecutionConfig::of(&pricier(3_000, 5_000));
    let counter = counter_block(&rt);
    // Block 2 schedules the upgrade for block 4.
    let r2 = increment_block(&rt, counter, Some((4, &upgrade)));
    let r3 = increment_block(&rt, counter, None);
    assert_eq!(r3.gas_used, r2.gas_used, "block 3 still runs the genesis prices");
    let r4 = increment_block(&rt, counter, None);
    // One storage_read and one storage_write per increment.
    assert_eq!(r4.gas_used, r3.gas_used + (3_000 - 300) + (5_000 - 1_000), "block 4 runs the new prices");
    assert_eq!(ok(&r4), u32le(4));

    // Queries as of each height run with that height's configuration.
    let get_at = |h| rt.at(Some(h)).unwrap().query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used;
    let (before, after) = (get_at(3), get_at(4));
    assert_eq!(after, before + (3_000 - 300), "get reads once");
    assert_eq!(get_at(2), before);
    assert_eq!(rt.query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used, after);
    assert_eq!(rt.config().wasm.gas.host.storage_write, 5_000, "the next block's");
    assert_eq!(rt.at(Some(3)).unwrap().config().wasm.gas.host.storage_write, 1_000);
    let versions = rt.config_versions().unwrap();
    let heights: Vec<u64> = versions.iter().map(|v| v.activation).collect();
    assert_eq!(heights, [0, 4]);
    assert_eq!(rt.execution_config(Some(3)).unwrap().activation, 0);
    assert_eq!(rt.execution_config(Some(4)).unwrap().hash, upgrade.hash());
    let root = rt.block_record(Some(2)).unwrap().root;
    drop(rt);

    // Reopened after the upgrade: the old local file is refused, naming both prices; the
    // chain's configuration runs, and past heights keep their gas.
    let Err(RuntimeError::ConfigMismatch { activation, differences, .. }) =
        Runtime::open(dir.path(), Config::default())
    else {
        panic!("opened with the superseded prices")
    };
    assert_eq!(activation, 4);
    let named: Vec<String> = differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        named,
        [
            "wasm.gas.host.storage_read: chain 3000, local 300",
            "wasm.gas.host.storage_write: chain 5000, local 1000"
        ]
    );
    let chain = ChainOptions { check: LocalCheck::Only(vec![]), genesis: None };
    let rt = Runtime::open_chain(dir.path(), Config::default(), &chain).unwrap();
    assert_eq!(
        rt.at(Some(3)).unwrap().query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used,
        before
    );
    assert_eq!(rt.query(ALICE, counter, "get", Vec::new(), None).unwrap().gas_used, after);
    drop(rt);

    // A node replaying the chain from genesis gets every original receipt.
    let replay = Runtime::in_memory(Config::default()).unwrap();
    assert_eq!(counter_block(&replay), counter);
    assert_eq!(increment_block(&replay, counter, Some((4, &upgrade))), r2);
    assert_eq!(increment_block(&replay, counter, None), r3);
    assert_eq!(increment_block(&replay, counter, None), r4);

    // The schedule is part of the committed state: block 2's root covers it.
    let twin_dir = tempfile::tempdir().unwrap();
    let twin = Runtime::open(twin_dir.path(), Config::default()).unwrap();
    counter_block(&twin);
    increment_block(&twin, counter, None);
    assert_ne!(twin.block_record(Some(2)).unwrap().root, root);
}

#[test]
fn an_upgrade_is_refused_for_a_past_height_or_an_invalid_configuration() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    counter_block(&rt);
    let mut block = rt.begin_block(T0).unwrap();
    for activation in [0, 1, 2] {
        let e = block.schedule_execution_config(activation, &ExecutionConfig::default()).unwrap_err();
        assert!(matches!(e, RuntimeError::InvalidArgument(_)), "{e}");
        assert!(e.to_string().contains("must be above 2"), "{e}");
    }
    let mut invalid = ExecutionConfig::default();
    invalid.wasm.gas.host.storage_write = 0;
    let e = block.schedule_execution_config(5, &invalid).unwrap_err();
    assert!(e.to_string().contains("storage_write"), "{e}");
    block.commit().unwrap();
    assert_eq!(rt.config_versions().unwrap().len(), 1, "only the genesis entry");
}

#[test]
fn a_chain_holds_at_most_max_config_versions() {
    let rt = Runtime::in_memory(Config::default()).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    // The genesis entry this first block records counts as one.
    for activation in 2..MAX_CONFIG_VERSIONS as u64 + 1 {
        block.schedule_execution_config(activation, &ExecutionConfig::default()).unwrap();
    }
    let e = block.schedule_execution_config(1_000_000, &ExecutionConfig::default()).unwrap_err();
    assert!(e.to_string().contains("MAX_CONFIG_VERSIONS"), "{e}");
    // Replacing a scheduled version is not a new one.
    block.schedule_execution_config(2, &ExecutionConfig::default()).unwrap();
    block.commit().unwrap();
    assert_eq!(rt.config_versions().unwrap().len(), MAX_CONFIG_VERSIONS);
}
