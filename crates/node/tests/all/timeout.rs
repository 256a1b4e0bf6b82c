//! A transaction that hits the wall-clock backstop is a node fault, never a result: the
//! block builder drops it without a receipt, a fee or a nonce, so a node that timed out
//! ends in the state of a node that never saw the transaction.

use alloy_primitives::{Address, U256};
use cove_node::native::NativeTx;
use cove_node::{Node, NodeConfig};

use serde_json::json;

use crate::harness::*;

const CHAIN_ID: u64 = 0xc07e;
/// Gas enough for the loop to run for minutes: only the backstop can end it.
const HUGE_GAS: u64 = 1 << 40;

/// `spin` loops until it runs out of gas.
const SPIN_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "spin") (loop $l (br $l))))"#;

fn node(dir: &std::path::Path, timeout_ms: u64) -> Node {
    let mut config = NodeConfig::new(dir.to_path_buf());
    config.rpc = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.dev = true;
    config.fee_recipient = Address::repeat_byte(0xfe);
    config.runtime.max_tx_gas = HUGE_GAS;
    config.runtime.max_block_gas = HUGE_GAS;
    config.runtime.wasm.timeout_ms = timeout_ms;
    Node::open(config).expect("open")
}

fn native(kind: u8, nonce: u64, gas_limit: u64) -> NativeTx {
    NativeTx { chain_id: CHAIN_ID, nonce, gas_price: PRICE, gas_limit, kind, ..NativeTx::default() }
}

/// The root, the sender's balance and nonce, and the fee recipient's balance at the head.
fn state(n: &Node, sender: Address) -> (Option<[u8; 32]>, String, u64, String) {
    let rt = n.runtime();
    let head = rt.block_record(None).expect("head");
    let addr = |a: Address| types::Address(a.into_array());
    let balance = |a: Address| format!("{:?}", rt.balance(&addr(a)).expect("balance"));
    let nonce = rt.nonce(&addr(sender)).expect("nonce");
    (head.root, balance(sender), nonce, balance(Address::repeat_byte(0xfe)))
}

#[test]
fn a_timed_out_transaction_leaves_no_trace_so_nodes_never_disagree() {
    let w = Wallet::dev(3);
    let mut deploy = native(1, 0, 5_000_000);
    deploy.code = wat::parse_str(SPIN_WAT).expect("wat").into();
    let deploy = w.native(&deploy);
    let spinner = types::Address::contract(&types::Address(w.address.into_array()), 0);
    let mut spin = native(4, 1, HUGE_GAS);
    spin.to = spinner.0.to_vec().into();
    spin.entry = b"spin".to_vec().into();
    let spin = w.native(&spin);
    // A dev fund from the same sender with the nonce the spin would have used.
    let mut fund = native(8, 1, 5_000_000);
    fund.to = Address::repeat_byte(0x42).to_vec().into();
    fund.value = U256::from(7);
    let fund = w.native(&fund);

    let (dir_a, dir_b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let (a, b) = (node(dir_a.path(), 20), node(dir_b.path(), 20));
    for n in [&a, &b] {
        n.submit_native(&deploy).expect("deploy admitted");
        n.mine(16).expect("mine");
    }
    assert!(a.runtime().contract(&spinner).expect("read").is_some(), "the spinner is deployed");

    // Node A is sent a call that only the backstop ends; node B never sees it. A drops
    // it: no fee, no nonce, nothing written.
    let spin_hash = a.submit_native(&spin).expect("spin admitted");
    let before = state(&a, w.address);
    a.mine(16).expect("a block without it");
    assert_eq!(state(&a, w.address), before);

    // Both nodes then take the same transaction, with the nonce the spin would have
    // used: the same state root, balances and nonce on both.
    for n in [&a, &b] {
        n.submit_native(&fund).expect("fund admitted");
        n.mine(16).expect("mine");
    }
    let (sa, sb) = (state(&a, w.address), state(&b, w.address));
    assert_eq!(sa.2, 2, "the deploy and the fund used nonces 0 and 1");
    assert!(sa.0.is_some(), "the store commits to a root");
    assert_eq!(sa, sb);

    // Over JSON-RPC the timed-out transaction is unknown: no receipt, not pending.
    let a = a.start().expect("start");
    let c = Client::new(&a);
    let hash = format!("{spin_hash:#x}");
    assert!(c.call("eth_getTransactionReceipt", json!([hash])).is_null());
    assert!(c.call("eth_getTransactionByHash", json!([hash])).is_null());
    a.stop().expect("stop");
}
