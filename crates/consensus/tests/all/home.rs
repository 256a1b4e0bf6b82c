//! Node homes: what `testnet::init` writes, and the checks `Home::load` and a start make
//! before a node runs (a home that disagrees with its genesis is refused, the setting
//! named).

use std::path::Path;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use cove_consensus::genesis::{GenesisAccount, MAX_VALIDATORS, dev_accounts};
use cove_consensus::home::{CONFIG_FILE, GENESIS_FILE, KEY_FILE, STATE_GENESIS_FILE};
use cove_consensus::testnet::{self, TestnetOptions};
use cove_consensus::{Home, HomeError, ValidatorNode};
use node::{SubmitError, pool::PoolError};

use crate::harness::{CHAIN_ID, PRICE, Port, Wallet, init_log};

fn options(out: &Path, n: usize) -> TestnetOptions {
    let mut execution = runtime::ExecutionConfig::default();
    execution.evm.chain_id = CHAIN_ID;
    TestnetOptions {
        validators: n,
        out: out.to_path_buf(),
        force: false,
        base_port: 30_000,
        execution,
        genesis_time: 1_700_000_000,
        accounts: dev_accounts(),
        block_time: Duration::from_millis(250),
    }
}

fn load_err(home: &Path) -> String {
    match Home::load(home) {
        Ok(_) => panic!("{} loaded", home.display()),
        Err(e) => e.to_string(),
    }
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).expect("read");
    s.push_str(text);
    std::fs::write(path, s).expect("write");
}

/// Replaces `from` by `to` in the file, once (it must be there).
fn replace(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).expect("read");
    assert!(s.contains(from), "{} holds no {from:?}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).expect("write");
}

#[test]
fn testnet_init_writes_homes_that_load_with_one_genesis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("net");
    let net = testnet::init(&options(&out, 4)).expect("init");
    assert_eq!(net.homes.len(), 4);
    let genesis = std::fs::read(out.join("node0").join(GENESIS_FILE)).expect("genesis");
    let mut addresses = Vec::new();
    for (i, home) in net.homes.iter().enumerate() {
        assert_eq!(home, &out.join(format!("node{i}")));
        assert_eq!(std::fs::read(home.join(GENESIS_FILE)).expect("genesis"), genesis, "node{i}'s genesis");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.join(KEY_FILE)).expect("key").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "node{i}'s key file mode");
        }
        let h = Home::load(home).expect("load");
        assert!(h.is_validator());
        assert_eq!(h.genesis().hash_hex(), net.genesis.hash_hex());
        assert_eq!(h.config().p2p.port(), 30_000 + 2 * i as u16);
        assert_eq!(h.config().rpc.map(|a| a.port()), Some(30_001 + 2 * i as u16));
        let cfg = h.validator_config(None).expect("config");
        assert_eq!(cfg.chain_id, CHAIN_ID);
        assert_eq!(cfg.validators.validators().len(), 4);
        assert_eq!(cfg.peers.len(), 3);
        assert!(!cfg.peers.contains(&cfg.p2p));
        assert_eq!(cfg.block_time, Some(Duration::from_millis(250)));
        let accounts = cfg.accounts.expect("accounts");
        assert_eq!(accounts.len(), 10);
        assert!(accounts.iter().all(|(_, b)| *b == node::DEV_BALANCE_WEI));
        assert_eq!(runtime::ExecutionConfig::of(&cfg.runtime), net.genesis.execution);
        addresses.push(h.address());
    }
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 4, "each node has its own key");
    let text: serde_json::Value = serde_json::from_slice(&genesis).expect("json");
    assert_eq!(text["chain_id"], CHAIN_ID);
    assert_eq!(text["validators"].as_array().map(Vec::len), Some(4));
    assert_eq!(text["accounts"].as_array().map(Vec::len), Some(10));
    assert!(text["execution"]["wasm"]["gas"].is_object(), "the whole execution configuration: {text}");
    assert_eq!(text["execution"]["evm"]["chain_id"], CHAIN_ID);
}

#[test]
fn testnet_init_refuses_bad_counts_ports_and_a_nonempty_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("net");
    for n in [0, MAX_VALIDATORS + 1] {
        let e = testnet::init(&options(&out, n)).expect_err("count refused");
        assert!(matches!(e, HomeError::Usage(_)) && e.to_string().contains("MAX_VALIDATORS"), "{e}");
    }
    let mut high = options(&out, 4);
    high.base_port = 65_530;
    let e = testnet::init(&high).expect_err("ports past 65535");
    assert!(e.to_string().contains("--base-port 65530"), "{e}");
    assert!(!out.exists(), "nothing written when refused");

    testnet::init(&options(&out, 2)).expect("init");
    let first = std::fs::read(out.join("node0").join(KEY_FILE)).expect("key");
    let e = testnet::init(&options(&out, 2)).expect_err("non-empty dir");
    assert!(e.to_string().contains("not empty") && e.to_string().contains("--force"), "{e}");
    assert_eq!(std::fs::read(out.join("node0").join(KEY_FILE)).expect("key"), first, "untouched");

    let mut force = options(&out, 3);
    force.force = true;
    testnet::init(&force).expect("--force replaces the homes");
    assert_ne!(std::fs::read(out.join("node0").join(KEY_FILE)).expect("key"), first, "a new key");
    assert!(Home::load(&out.join("node2")).is_ok());

    // A directory that is not a node home is never removed.
    std::fs::create_dir_all(out.join("node3").join("mine")).expect("mkdir");
    force.validators = 4;
    let e = testnet::init(&force).expect_err("not a home");
    assert!(e.to_string().contains("not a node home"), "{e}");
    assert!(out.join("node3").join("mine").exists());
}

#[test]
fn a_home_whose_runtime_settings_differ_from_the_genesis_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = testnet::init(&options(dir.path(), 1)).expect("init").homes.remove(0);
    let config = home.join(CONFIG_FILE);
    let original = std::fs::read_to_string(&config).expect("config");

    // Node-local settings, and execution settings equal to the genesis's, are accepted.
    append(&config, "\n[runtime]\nmax_tx_gas = 100000000\n[runtime.wasm]\ntimeout_ms = 4000\n");
    let h = Home::load(&home).expect("node-local settings load");
    assert_eq!(h.runtime().wasm.timeout_ms, 4000);
    assert_eq!(runtime::ExecutionConfig::of(h.runtime()), h.genesis().execution);

    // A changed price.
    std::fs::write(&config, &original).expect("write");
    append(&config, "\n[runtime.wasm.gas.host]\nstorage_write = 250\n");
    let e = load_err(&home);
    assert!(e.contains("wasm.gas.host.storage_write: genesis 1000, config.toml 250"), "{e}");

    // A changed chain id.
    std::fs::write(&config, &original).expect("write");
    append(&config, "\n[runtime.evm]\nchain_id = 7\n");
    let e = load_err(&home);
    assert!(e.contains(&format!("evm.chain_id: genesis {CHAIN_ID}, config.toml 7")), "{e}");
}

#[test]
fn a_changed_genesis_or_state_of_another_genesis_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = testnet::init(&options(dir.path(), 2)).expect("init");
    let home = &net.homes[0];
    let genesis = home.join(GENESIS_FILE);
    let original = std::fs::read_to_string(&genesis).expect("genesis");

    // One node's copy edited (another validator power): not the genesis its config names.
    replace(&genesis, "\"power\": 1", "\"power\": 2");
    let e = load_err(home);
    assert!(e.contains("genesis_hash") && e.contains("another genesis"), "{e}");
    std::fs::write(&genesis, &original).expect("write");

    // A chain id that is not the EVM's.
    replace(&genesis, &format!("\"chain_id\": {CHAIN_ID},"), "\"chain_id\": 7,");
    let e = load_err(home);
    assert!(e.contains("chain_id 7 differs from execution.evm.chain_id"), "{e}");
    std::fs::write(&genesis, &original).expect("write");

    // The state was made from the original genesis; then the home is given another one
    // (a changed price, config.toml following it): the state's genesis is named.
    Home::load(home).expect("load").record_genesis().expect("record");
    assert!(home.join(STATE_GENESIS_FILE).exists());
    replace(&genesis, "\"storage_write\": 1000", "\"storage_write\": 250");
    let edited = cove_consensus::home::read_genesis(&genesis).expect("edited genesis parses");
    replace(&home.join(CONFIG_FILE), &net.genesis.hash_hex(), &edited.hash_hex());
    let e = load_err(home);
    assert!(e.contains("made from another genesis"), "{e}");
    assert!(e.contains("execution.wasm.gas.host.storage_write: state 1000, genesis.json 250"), "{e}");
}

/// A transfer of 1 wei from the account of `key`.
fn transfer(key: &k256::ecdsa::SigningKey, nonce: u64) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price: PRICE,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0x55)),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let (sig, recid) = key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("sign");
    TxEnvelope::from(tx.into_signed(alloy_primitives::Signature::from((sig, recid)))).encoded_2718()
}

/// One validator whose genesis credits one account of its own (not the dev accounts):
/// block 1 credits it, its transfer is finalized, a dev account has nothing. Then the
/// data dir is given a genesis of another execution configuration with no record of
/// its own: the runtime refuses to open it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_runs_its_genesis_and_its_data_refuses_another() {
    init_log();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("key");
    let owner = Address::from_public_key(key.verifying_key());
    let mut opts = options(dir.path(), 1);
    opts.accounts =
        vec![GenesisAccount { address: format!("{owner:#x}"), balance: "1000000000000000000".into() }];
    let home = testnet::init(&opts).expect("init").homes.remove(0);
    let h = Home::load(&home).expect("load");
    h.record_genesis().expect("record");
    let mut cfg = h.validator_config(None).expect("config");
    let port = Port::new();
    (cfg.p2p, cfg.rpc) = (port.addr(), None);
    let node = ValidatorNode::start(cfg.clone()).await.expect("start");

    let hash = node.external().submit(&transfer(&key, 0)).expect("the genesis account pays");
    match node.external().submit(&Wallet::dev(0).transfer(0, Address::repeat_byte(0x55), 1)) {
        Err(SubmitError::Pool(PoolError::InsufficientFunds { .. })) => {}
        other => panic!("a dev account is not funded by this genesis: {other:?}"),
    }
    // A chain mints nothing after block 1: the dev-mode `fund` transaction is refused.
    let fund = node::native::NativeTx {
        chain_id: CHAIN_ID,
        nonce: 1,
        gas_price: PRICE,
        gas_limit: 100_000,
        kind: 8,
        to: owner.to_vec().into(),
        value: U256::from(5),
        ..Default::default()
    };
    let (sig, recid) = key.sign_prehash_recoverable(fund.signing_hash().as_slice()).expect("sign");
    let fund = fund.encode_signed(&alloy_primitives::Signature::from((sig, recid)));
    match node.external().submit(&fund) {
        Err(e) => assert!(e.to_string().contains("fund is taken only by a node in dev mode"), "{e}"),
        Ok(_) => panic!("a validator took a fund transaction"),
    }
    let start = Instant::now();
    while node.external().block_of_tx(&hash).expect("index").is_none() {
        assert!(!node.halted(), "the node halted");
        assert!(start.elapsed() < Duration::from_secs(30), "the transfer was not finalized in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(node.kill().await.is_none_or(|r| r.is_ok()));

    // Another execution configuration (its own genesis, no state record): refused.
    let mut other = cfg;
    other.runtime.wasm.gas.host.storage_write += 1;
    let e = match ValidatorNode::start(other).await {
        Ok(n) => {
            n.kill().await;
            panic!("a data dir of another genesis configuration started");
        }
        Err(e) => e.to_string(),
    };
    assert!(e.contains("this data dir holds another chain"), "{e}");
}
