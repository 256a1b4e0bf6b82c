//! The block's limits (`[block]`): a transaction that would take the block's event bytes
//! over `max_event_bytes` is rolled back and left out, one past `max_transactions` is
//! not run; the block commits the rest, with the root of the block without them.

use cove_runtime::{
    Balance, BlockLimits, Config, MAX_BLOCK_EVENT_BYTES, MAX_BLOCK_TRANSACTIONS, Runtime, RuntimeError,
    event_bytes,
};
use types::{Address, Event};

use crate::support::*;

fn limited(limits: BlockLimits, dir: &std::path::Path) -> (Runtime, Address) {
    let config = Config { block: limits, ..Config::default() };
    let rt = Runtime::open(dir, config).unwrap();
    let kv = deploy_committed(&rt, ALICE, &kv(), None);
    (rt, kv)
}

#[track_caller]
fn expect_block_limit<T: std::fmt::Debug>(r: Result<T, RuntimeError>, what: &str) {
    match r {
        Err(e @ RuntimeError::BlockLimit(_)) => {
            assert!(e.is_dropped_transaction());
            assert!(e.to_string().contains(what), "{e}");
        }
        other => panic!("expected a block limit, got {other:?}"),
    }
}

#[test]
fn an_event_counts_its_address_topics_and_data() {
    let event = Event { contract: ALICE, topics: vec![vec![1; 5], vec![2; 32]], data: vec![3; 100] };
    assert_eq!(event_bytes(&event), 20 + 5 + 32 + 100);
}

/// KV's `set` logs one event: topic "wrote" (5 bytes) and the input as data, so an input
/// of `n` bytes makes 25 + n event bytes.
#[test]
fn a_transaction_over_the_block_event_bytes_is_dropped_and_the_rest_commits() {
    let limits = BlockLimits { max_event_bytes: 100, ..BlockLimits::default() };
    let (with_dir, without_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (rt, kv) = limited(limits, with_dir.path());
    let mut block = rt.begin_block(T0 + 1).unwrap();
    ok(&block.call(BOB, kv, "set", vec![b'a'; 40], None).unwrap()); // 65 bytes
    expect_block_limit(block.call(BOB, kv, "set", vec![b'b'; 40], None), "max_event_bytes");
    assert_eq!((block.transactions(), block.event_bytes()), (1, 65));
    ok(&block.call(BOB, kv, "set", vec![b'c'; 10], None).unwrap()); // 35 bytes: exactly 100
    assert_eq!((block.transactions(), block.event_bytes()), (2, 100));
    expect_block_limit(block.call(BOB, kv, "set", vec![b'd'], None), "max_event_bytes");
    let with = block.commit().unwrap();
    assert_eq!(ok(&rt.query(BOB, kv, "get", Vec::new(), None).unwrap()), vec![b'c'; 10]);

    let (rt2, _) = limited(limits, without_dir.path());
    let mut block = rt2.begin_block(T0 + 1).unwrap();
    ok(&block.call(BOB, kv, "set", vec![b'a'; 40], None).unwrap());
    ok(&block.call(BOB, kv, "set", vec![b'c'; 10], None).unwrap());
    assert_eq!(with, block.commit().unwrap(), "the root of the block without the dropped ones");
}

#[test]
fn events_count_per_block_not_per_runtime() {
    let limits = BlockLimits { max_event_bytes: 100, ..BlockLimits::default() };
    let dir = tempfile::tempdir().unwrap();
    let (rt, kv) = limited(limits, dir.path());
    for _ in 0..3 {
        let mut block = rt.begin_block(T0 + 1).unwrap();
        ok(&block.call(BOB, kv, "set", vec![b'a'; 75], None).unwrap()); // exactly 100
        block.commit().unwrap();
    }
}

#[test]
fn a_transaction_past_the_block_count_is_not_run() {
    let limits = BlockLimits { max_transactions: 2, ..BlockLimits::default() };
    let dir = tempfile::tempdir().unwrap();
    let (rt, kv) = limited(limits, dir.path());
    let mut block = rt.begin_block(T0 + 1).unwrap();
    ok(&block.fund(BOB, Balance::from_u128(5)).unwrap());
    ok(&block.call(BOB, kv, "set", b"kept".to_vec(), None).unwrap());
    expect_block_limit(block.call(BOB, kv, "set", b"refused".to_vec(), None), "max_transactions");
    expect_block_limit(block.fund(BOB, Balance::from_u128(7)), "max_transactions");
    expect_block_limit(block.deploy(BOB, &counter(), None, None), "max_transactions");
    expect_block_limit(block.upgrade(ALICE, kv, &counter(), None), "max_transactions");
    block.commit().unwrap();
    assert_eq!(ok(&rt.query(BOB, kv, "get", Vec::new(), None).unwrap()), b"kept");
    assert_eq!(rt.balance(&BOB).unwrap(), Balance::from_u128(5));
    assert_eq!(rt.nonce(&BOB).unwrap(), 0, "the refused deploy took no nonce");
}

#[test]
fn block_limits_are_validated() {
    let bad = [
        BlockLimits { max_event_bytes: 0, ..BlockLimits::default() },
        BlockLimits { max_event_bytes: MAX_BLOCK_EVENT_BYTES + 1, ..BlockLimits::default() },
        BlockLimits { max_transactions: 0, ..BlockLimits::default() },
        BlockLimits { max_transactions: MAX_BLOCK_TRANSACTIONS + 1, ..BlockLimits::default() },
    ];
    for limits in bad {
        match Runtime::in_memory(Config { block: limits, ..Config::default() }) {
            Err(RuntimeError::Config(m)) => assert!(m.starts_with("block.max_"), "{m}"),
            Err(e) => panic!("{limits:?}: {e}"),
            Ok(_) => panic!("{limits:?} accepted"),
        }
    }
    let top =
        BlockLimits { max_event_bytes: MAX_BLOCK_EVENT_BYTES, max_transactions: MAX_BLOCK_TRANSACTIONS };
    assert!(Runtime::in_memory(Config { block: top, ..Config::default() }).is_ok());
}

/// A CosmWasm contract scripted in WAT whose `execute` returns its message as its
/// `ContractResult<Response>`; `allocate` grows memory as needed.
const ECHO: &str = r#"(module
  (memory (export "memory") 2)
  (data (i32.const 120) "{\"ok\":{}}")
  (data (i32.const 224) "\78\00\00\00\09\00\00\00\09\00\00\00")
  (global $next (mut i32) (i32.const 4096))
  (func (export "interface_version_8"))
  (func (export "allocate") (param $size i32) (result i32)
    (local $region i32)
    (local.set $region (global.get $next))
    (global.set $next (i32.add (global.get $next) (i32.add (local.get $size) (i32.const 12))))
    (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))
    (i32.store (local.get $region) (i32.add (local.get $region) (i32.const 12)))
    (i32.store offset=4 (local.get $region) (local.get $size))
    (i32.store offset=8 (local.get $region) (i32.const 0))
    (local.get $region))
  (func (export "deallocate") (param i32))
  (func (export "instantiate") (param i32 i32 i32) (result i32) (i32.const 224))
  (func (export "execute") (param i32 i32 i32) (result i32) (local.get 2)))"#;

fn request<'a>(action: cosmwasm::Action<'a>, msg: &'a [u8]) -> cosmwasm::Request<'a> {
    cosmwasm::Request { sender: ALICE, action, msg, funds: &[], gas_limit: Some(100_000_000) }
}

/// A CosmWasm transaction's events are bounded on their own (`MAX_TX_EVENT_BYTES`), not
/// only by its gas, so a node never holds more than one such transaction past the
/// block's limit.
#[test]
fn a_cosmwasm_transaction_over_its_event_bytes_fails() {
    use cosmwasm::{Action, config::MAX_TX_EVENT_BYTES};
    let mut config = Config::default();
    config.cosmwasm.limits.max_result_len = 2 * MAX_TX_EVENT_BYTES;
    config.wasm.limits.max_memory_bytes = 512 << 20;
    let rt = Runtime::in_memory(config).unwrap();
    let code = wat::parse_str(ECHO).unwrap();
    let mut block = rt.begin_block(T0).unwrap();
    let instantiate = Action::Instantiate { code: &code, label: "echo", admin: None };
    let (receipt, _) = block.cosmwasm(request(instantiate, b"{}")).unwrap();
    let contract = receipt.address.unwrap();

    let respond = |block: &mut cove_runtime::Block<'_>, value_len: usize| {
        let value = "v".repeat(value_len);
        let msg = format!(r#"{{"ok":{{"attributes":[{{"key":"k","value":"{value}"}}]}}}}"#);
        block.cosmwasm(request(Action::Execute { contract }, msg.as_bytes())).unwrap().0
    };
    ok(&respond(&mut block, 1 << 20));
    let e = respond(&mut block, MAX_TX_EVENT_BYTES).result.unwrap_err();
    assert_eq!(e.kind, types::ErrorKind::InvalidArgument, "{e:?}");
    assert!(e.message.contains("MAX_TX_EVENT_BYTES"), "{e:?}");
}
