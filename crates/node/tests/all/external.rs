//! Blocks decided outside the node: a block that ran in `propose` or `prepare` commits
//! without running again, exactly as running it at commit would, and only on the state
//! it ran on.

use alloy_primitives::{Address, U256};
use cove_node::{External, Mining, Node, NodeConfig};

use crate::harness::Wallet;

const T: u64 = 1_700_000_100;

fn config(dir: &std::path::Path) -> NodeConfig {
    let mut c = NodeConfig::new(dir.to_path_buf());
    c.mining = Mining::External;
    c.dev = true;
    c.genesis_time = Some(1_700_000_000);
    c
}

fn open(dir: &std::path::Path) -> Node {
    Node::open(config(dir)).expect("open")
}

fn submit_transfers(e: &External, chain_id: u64, from: usize, nonces: std::ops::Range<u64>) {
    let w = Wallet::dev(from);
    for n in nonces {
        e.submit(&w.legacy(Some(chain_id), n, Address::repeat_byte(0x77), U256::from(n + 1)))
            .expect("submit");
    }
}

#[test]
fn a_prepared_block_commits_what_running_it_again_would() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (open(da.path()), open(db.path()));
    let (ea, eb) = (a.external(), b.external());
    let fee = Address::repeat_byte(0xfe);
    submit_transfers(&ea, a.chain_id(), 0, 0..5);
    submit_transfers(&ea, a.chain_id(), 1, 0..3);

    // The proposer's own block: kept by `propose`, committed without running again.
    let (txs, prepared) = ea.propose(100, 1 << 20, T, fee, None).expect("propose");
    assert_eq!(txs.len(), 8);
    let prepared = prepared.expect("every transaction ran: the block is kept");
    assert_eq!((prepared.height(), prepared.len()), (ea.head().unwrap().number + 1, 8));
    let committed = ea.commit_prepared(prepared).expect("commit").expect("the state is unchanged");
    assert_eq!(ea.pool_len(), 0, "the mempool lost what the block took");

    // Another node runs the same block at commit: the same entry, root and hash.
    let checked = eb.prepare(T, fee, &txs).expect("prepare").expect("valid");
    drop(checked);
    let again = eb.commit(T, fee, &txs).expect("commit");
    assert_eq!(again.state_root, committed.state_root);
    assert_eq!(again.hash, committed.hash);
    let receipts = |b: &cove_node::chain::StoredBlock| -> Vec<_> {
        b.txs.iter().map(|t| (t.hash, t.status, t.gas_used, t.cumulative_gas_used)).collect()
    };
    assert_eq!(receipts(&again), receipts(&committed));
    assert!(committed.state_root.is_some() && committed.txs.iter().all(|t| t.status));

    // A byte budget cuts the proposal.
    submit_transfers(&ea, a.chain_id(), 2, 0..4);
    let one = txs[0].raw.len();
    let (cut, _) = ea.propose(100, 2 * one, T + 1, fee, None).expect("propose");
    assert_eq!(cut.len(), 2);
}

#[test]
fn a_prepared_block_is_refused_once_the_state_moved() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let e = node.external();
    let fee = Address::repeat_byte(0xfe);
    submit_transfers(&e, node.chain_id(), 0, 0..2);
    let (txs, prepared) = e.propose(100, 1 << 20, T, fee, None).expect("propose");
    let prepared = prepared.expect("kept");
    // Another block at this height is committed first (an empty one).
    let other = e.commit(T, fee, &[]).expect("commit");
    assert!(e.commit_prepared(prepared).expect("no fault").is_none(), "a stale block is refused");
    assert_eq!(e.head().unwrap().number, other.number);
    // Checked on the new head, the same transactions commit by running again.
    let checked = e.prepare(T + 1, fee, &txs).expect("prepare").expect("valid");
    let b = e.commit_prepared(checked).expect("commit").expect("fresh");
    assert_eq!((b.number, b.txs.len()), (other.number + 1, 2));
}

#[test]
fn a_proposal_cut_by_the_block_gas_keeps_the_block_of_what_fit() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    // Room for three transfers a block.
    c.runtime.max_tx_gas = 3 * 21_000;
    c.runtime.max_block_gas = 3 * 21_000;
    c.runtime.default_gas_limit = 3 * 21_000;
    c.runtime.cosmwasm.default_gas_limit = 3 * 21_000;
    c.runtime.evm.default_gas_limit = 3 * 21_000;
    let node = Node::open(c).expect("open");
    let e = node.external();
    let fee = Address::repeat_byte(0xfe);
    submit_transfers(&e, node.chain_id(), 0, 0..5);
    let (txs, prepared) = e.propose(100, 1 << 20, T, fee, None).expect("propose");
    assert_eq!(txs.len(), 3, "the block's gas holds three");
    let prepared = prepared.expect("the three that ran are kept");
    assert_eq!(prepared.len(), 3);
    let b = e.commit_prepared(prepared).expect("commit").expect("the state is unchanged");
    assert_eq!(
        b.txs.iter().map(|t| t.hash).collect::<Vec<_>>(),
        txs.iter().map(|t| t.hash).collect::<Vec<_>>()
    );
    assert_eq!(e.pool_len(), 2, "the two left wait for the next block");
}

#[test]
fn a_proposal_past_its_deadline_holds_only_what_ran_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let e = node.external();
    let fee = Address::repeat_byte(0xfe);
    submit_transfers(&e, node.chain_id(), 0, 0..5);
    // A deadline already passed: nothing runs, the block is empty and kept.
    let (txs, prepared) = e.propose(100, 1 << 20, T, fee, Some(std::time::Instant::now())).expect("propose");
    assert!(txs.is_empty());
    assert!(prepared.expect("the empty block ran").is_empty());
    assert_eq!(e.pool_len(), 5, "every transaction waits for the next block");
    // Without one, all five.
    let (txs, _) = e.propose(100, 1 << 20, T, fee, None).expect("propose");
    assert_eq!(txs.len(), 5);
}

/// An upgrade of the chain id takes effect at its height on a running node, without a
/// restart: before it the node admits transactions signed for the old id and refuses the
/// new one; from it, the reverse, and one admitted for the old id that still waits is
/// dropped from the first block of the new id (it would replay there).
#[test]
fn a_running_node_admits_an_upgraded_chain_id_from_its_height() {
    const NEW: u64 = 777_777;
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let old = open(dir.path()).chain_id();
    // Block 2, made on the data dir before the node runs again, schedules the new chain
    // id for block 4.
    {
        let rt = runtime::Runtime::open_chain(dir.path(), c.runtime.clone(), &c.chain).expect("runtime");
        let mut upgraded = rt.config().clone();
        upgraded.evm.chain_id = NEW;
        let mut block = rt.begin_block(T).expect("block");
        block.schedule_execution_config(4, &runtime::ExecutionConfig::of(&upgraded)).expect("schedule");
        block.commit().expect("commit");
    }
    let node = open(dir.path());
    let e = node.external();
    let fee = Address::repeat_byte(0xfe);
    let to = Address::repeat_byte(0x77);
    assert_eq!((e.head().unwrap().number, node.chain_id()), (2, old), "block 3 is of the old id");

    let raw = Wallet::dev(0).legacy(Some(old), 0, to, U256::from(1));
    let stale = e.decode(&raw).expect("valid for block 3");
    let waiting = e.submit(&raw).expect("the old id");
    let refused = e.submit(&Wallet::dev(1).legacy(Some(NEW), 0, to, U256::from(1)));
    assert!(refused.unwrap_err().to_string().contains("chain id"), "the new id before its height");
    e.commit(T + 1, fee, &[]).expect("an empty block 3");

    assert_eq!(node.chain_id(), NEW, "block 4 is of the new id");
    let taken = e.submit(&Wallet::dev(1).legacy(Some(NEW), 0, to, U256::from(1))).expect("the new id");
    let refused = e.submit(&Wallet::dev(2).legacy(Some(old), 0, to, U256::from(1)));
    assert!(refused.unwrap_err().to_string().contains("chain id"), "the old id from the new one's height");
    // A block of it, given to check (as a proposer that did not know of the upgrade
    // would send it), does not run: every node drops it at the new id's height.
    match e.check(T + 2, fee, std::slice::from_ref(&stale)).expect("check") {
        Err(cove_node::Rejected::Dropped(hash, why)) => {
            assert_eq!(hash, stale.hash);
            assert!(why.contains("chain id"), "{why}");
        }
        other => panic!("a block of the stale transaction ran: {other:?}"),
    }
    // And validators refuse it at decoding already, as they decode a block's bytes.
    assert!(e.decode(&raw).is_err(), "the old id decodes at the new id's height");
    let (txs, _) = e.propose(100, 1 << 20, T + 2, fee, None).expect("propose");
    assert_eq!(
        txs.iter().map(|t| t.hash).collect::<Vec<_>>(),
        vec![taken],
        "the old id's transaction is dropped"
    );
    let b = e.commit(T + 2, fee, &txs).expect("commit");
    assert_eq!((b.number, b.txs.len()), (4, 1));
    assert!(b.txs[0].status);
    assert_eq!(e.pool_len(), 0, "the dropped transaction left the mempool");
    assert!(e.block_of_tx(&waiting).unwrap().is_none(), "the stale transaction is in no block");
}
