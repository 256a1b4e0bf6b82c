//! Parallel execution ([`Block::run_batch`]): random blocks of every VM's transactions,
//! calls between contracts and between VMs give the same results, receipts, events, gas
//! and state root on 1, 2, 4 and 8 threads.

use bench::gas_cosmwasm::{OP_SCAN, OP_WRITE, execute_store, instantiate_store, store_msg};
use cove_runtime::{Balance, Block, Config, Parallelism, Runtime};
use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};
use types::{Address, VmType};

use crate::calls::{PROXY_WAT, forward};
use crate::evm::{SUPPLY, TRANSFER, balance_of, calldata, token_init_code, word_addr, word_u64};
use crate::support::*;

/// Accounts that send the random transactions: few, so they conflict.
const SENDERS: [Address; 4] = [ALICE, BOB, Address([0xc3; 20]), Address([0xd4; 20])];
/// The account every `Fee` transaction pays: a key every one of them writes.
const FEES: Address = Address([0xfe; 20]);

/// What the random transactions run against, deployed the same way in every runtime.
struct Setup {
    kv: [Address; 3],
    token: Address,
    erc20: Address,
    proxy: Address,
    store: Address,
    probe: Address,
}

/// One transaction of a random block.
#[derive(Debug, Clone)]
enum Op {
    /// `kv.set` (or a failing variant: mode 1 traps, 2 aborts, 3 runs out of gas).
    Kv { who: usize, kv: usize, value: u8, mode: u8 },
    /// cove ABI token transfer.
    Token { who: usize, to: usize, amount: u64 },
    /// ERC-20 transfer on the EVM.
    Erc20 { who: usize, to: usize, amount: u64 },
    /// A cove contract calling `kv.set` (a call between contracts).
    Proxy { who: usize, kv: usize, value: u8 },
    /// A cove contract calling the ERC-20 to pay from its own tokens (a call between
    /// VMs; the proxy holds a few, so some fail).
    ProxyErc20 { who: usize, to: usize, amount: u64 },
    /// A CosmWasm contract writing keys or scanning its storage.
    Store { who: usize, scan: bool, n: u32, tag: u32 },
    /// The native faucet.
    Fund { who: usize, amount: u64 },
    /// A fee as a node charges it: debit the sender, credit [`FEES`], and maybe read its
    /// balance afterwards.
    Fee { who: usize, amount: u64, read: bool },
    /// A value transfer on the EVM to the fee account (the EVM reads its balance, and may
    /// keep it in its account cache between transactions).
    Tip { who: usize, amount: u64 },
    /// An EVM contract returning the fee account's balance (`BALANCE`).
    Probe { who: usize },
    /// A credit to the fee account and nothing else (a block reward).
    Reward { amount: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..SENDERS.len();
    prop_oneof![
        3 => (who.clone(), 0..3usize, any::<u8>(), prop::sample::select(vec![0u8, 0, 0, 1, 2, 3]))
            .prop_map(|(who, kv, value, mode)| Op::Kv { who, kv, value, mode }),
        3 => (who.clone(), 0..SENDERS.len(), 0..400u64).prop_map(|(who, to, amount)| Op::Token { who, to, amount }),
        3 => (who.clone(), 0..SENDERS.len(), 0..400u64).prop_map(|(who, to, amount)| Op::Erc20 { who, to, amount }),
        2 => (who.clone(), 0..3usize, any::<u8>()).prop_map(|(who, kv, value)| Op::Proxy { who, kv, value }),
        2 => (who.clone(), 0..SENDERS.len(), 0..300u64).prop_map(|(who, to, amount)| Op::ProxyErc20 { who, to, amount }),
        2 => (who.clone(), any::<bool>(), 1..4u32, 0..3u32).prop_map(|(who, scan, n, tag)| Op::Store { who, scan, n, tag }),
        1 => (who.clone(), 0..1_000u64).prop_map(|(who, amount)| Op::Fund { who, amount }),
        2 => (who.clone(), 0..2_000u64, any::<bool>()).prop_map(|(who, amount, read)| Op::Fee { who, amount, read }),
        1 => (who.clone(), prop::sample::select(vec![0u64, 0, 7])).prop_map(|(who, amount)| Op::Tip { who, amount }),
        1 => who.prop_map(|who| Op::Probe { who }),
        1 => (1..100u64).prop_map(|amount| Op::Reward { amount }),
    ]
}

/// What `run` gives on a fresh runtime with each of `counts` threads, which must be one
/// and the same; the first.
fn alike<R: PartialEq + std::fmt::Debug>(counts: &[usize], run: impl Fn(usize, &Runtime) -> R) -> R {
    let mut seen: Vec<R> = counts
        .iter()
        .map(|&threads| {
            let (rt, _dir) = runtime(threads);
            run(threads, &rt)
        })
        .collect();
    for (threads, other) in counts.iter().zip(&seen).skip(1) {
        assert_eq!(&seen[0], other, "{threads} threads differ from {}", counts[0]);
    }
    seen.swap_remove(0)
}

fn runtime(threads: usize) -> (Runtime, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config { execution: Parallelism { threads }, ..Config::default() };
    (Runtime::open(dir.path(), config).expect("runtime"), dir)
}

fn setup(rt: &Runtime) -> Setup {
    let kv = [0, 1, 2].map(|_| deploy_committed(rt, ALICE, &kv(), None));
    let token = deploy_committed(rt, ALICE, &token(), Some(("init", Vec::new())));
    let proxy = deploy_committed(rt, ALICE, &wat::parse_str(PROXY_WAT).expect("proxy"), None);
    let mut block = rt.begin_block(T0).expect("block");
    let erc20 = block
        .create(VmType::Evm, ALICE, &token_init_code(), "", word_u64(SUPPLY), Balance::ZERO, None)
        .expect("create")
        .address
        .expect("an address");
    let store = instantiate_store(&mut block, ALICE).expect("store");
    let probe = block
        .create(VmType::Evm, ALICE, &balance_probe_init_code(), "", Vec::new(), Balance::ZERO, None)
        .expect("create")
        .address
        .expect("an address");
    for who in &SENDERS[1..] {
        ok(&block.call(ALICE, token, "transfer", transfer_input(*who, 10_000), None).expect("call"));
        let input = calldata(TRANSFER, &[word_addr(who), word_u64(10_000)]);
        assert!(block.call(ALICE, erc20, "", input, None).expect("call").is_ok());
    }
    for who in SENDERS {
        ok(&block.fund(who, Balance::from_u128(1_000_000)).expect("fund"));
    }
    let input = calldata(TRANSFER, &[word_addr(&proxy), word_u64(2_000)]);
    assert!(block.call(ALICE, erc20, "", input, None).expect("call").is_ok());
    block.commit().expect("commit");
    Setup { kv, token, erc20, proxy, store, probe }
}

/// Init code of an EVM contract whose every call returns the balance of [`FEES`]:
/// `PUSH20 FEES BALANCE PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN`, copied out by
/// `PUSH1 30 DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN`.
fn balance_probe_init_code() -> Vec<u8> {
    let mut runtime = vec![0x73];
    runtime.extend_from_slice(&FEES.0);
    runtime.extend_from_slice(&[0x31, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    assert_eq!(runtime.len(), 30);
    let mut init = vec![0x60, 30, 0x80, 0x60, 11, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    init.extend(runtime);
    init
}

/// A credit alone (deferred in a parallel run) between two EVM reads of the credited
/// balance: the second sees it, as one after another, whatever the EVM cached.
#[test]
fn an_evm_read_after_a_deferred_credit_sees_it() {
    alike(&[1, 2, 4], |threads, rt| {
        let setup = setup(rt);
        let mut block = rt.begin_block(T0 + 1).expect("block");
        let ops: Vec<Op> = (0..120)
            .map(|i| match i % 3 {
                1 => Op::Reward { amount: 5 },
                _ => Op::Probe { who: 0 },
            })
            .collect();
        let results = block.run_batch(ops.len(), |b, i| run(b, &setup, &ops[i]), |_, _| true);
        let last = results.last().cloned();
        assert!(last.as_deref().is_some_and(|r| r.contains("Ok")), "{threads} threads: {last:?}");
        (results, block.commit().expect("commit").root)
    });
}

/// Runs `op` in `block` as a block builder would, its result as text.
fn run(block: &mut Block<'_>, s: &Setup, op: &Op) -> String {
    let r = match *op {
        Op::Kv { who, kv, value, mode } => {
            let entry = ["set", "set_then_trap", "set_then_abort", "set_then_spin"][mode as usize];
            let gas = (mode == 3).then_some(200_000);
            block.call(SENDERS[who], s.kv[kv], entry, vec![value; 3], gas)
        }
        Op::Token { who, to, amount } => {
            block.call(SENDERS[who], s.token, "transfer", transfer_input(SENDERS[to], amount), None)
        }
        Op::Erc20 { who, to, amount } => {
            let input = calldata(TRANSFER, &[word_addr(&SENDERS[to]), word_u64(amount * 10)]);
            block.call(SENDERS[who], s.erc20, "", input, Some(200_000))
        }
        Op::Proxy { who, kv, value } => {
            let input = forward(false, s.kv[kv], 0, 1_000_000, "set", &[value]);
            block.call(SENDERS[who], s.proxy, "forward", input, None)
        }
        Op::ProxyErc20 { who, to, amount } => {
            let transfer = calldata(TRANSFER, &[word_addr(&SENDERS[to]), word_u64(amount)]);
            let input = forward(false, s.erc20, 0, 200_000, "", &transfer);
            block.call(SENDERS[who], s.proxy, "forward", input, None)
        }
        Op::Store { who, scan, n, tag } => {
            let msg = store_msg(if scan { OP_SCAN } else { OP_WRITE }, n, tag);
            execute_store(block, SENDERS[who], s.store, &msg, None)
        }
        Op::Fund { who, amount } => block.fund(SENDERS[who], Balance::from_u128(amount.into())),
        Op::Fee { who, amount, read } => {
            let fee = Balance::from_u128(amount.into());
            let debited = block.debit(SENDERS[who], fee).expect("debit");
            let credited = debited.is_ok().then(|| block.credit(FEES, fee).expect("credit"));
            let seen = read.then(|| block.balance(&FEES).expect("balance"));
            return format!("fee {debited:?} {credited:?} {seen:?}");
        }
        Op::Tip { who, amount } => {
            let value = Balance::from_u128(amount.into());
            block.call_with_value(SENDERS[who], FEES, "", Vec::new(), value, Some(100_000))
        }
        Op::Probe { who } => block.call(SENDERS[who], s.probe, "", Vec::new(), Some(100_000)),
        Op::Reward { amount } => {
            let credited = block.credit(FEES, Balance::from_u128(amount.into())).expect("credit");
            return format!("reward {credited:?}");
        }
    };
    format!("{r:?}")
}

#[test]
fn random_blocks_give_the_same_results_on_every_thread_count() {
    let counts = [1, 2, 4, 8];
    let runtimes: Vec<_> = counts.iter().map(|&t| runtime(t)).collect();
    let setups: Vec<Setup> = runtimes.iter().map(|(rt, _)| setup(rt)).collect();
    let mut runner = TestRunner::new(Cases { cases: 200, ..Cases::default() });
    let blocks = prop::collection::vec(op(), 0..24);
    let height = std::cell::Cell::new(0);
    runner
        .run(&blocks, |ops| {
            height.set(height.get() + 1);
            let mut seen = Vec::new();
            for ((rt, _), setup) in runtimes.iter().zip(&setups) {
                let mut block = rt.begin_block(T0 + height.get()).expect("block");
                let results = block.run_batch(ops.len(), |b, i| run(b, setup, &ops[i]), |_, _| true);
                let record = block.commit().expect("commit");
                seen.push((results, record.root));
            }
            for (threads, other) in counts.iter().zip(&seen).skip(1) {
                prop_assert_eq!(&seen[0], other, "{} threads differ from 1 on {:?}", threads, ops);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // The calls between VMs ran: the proxy paid out of its ERC-20 tokens.
    let (rt, _) = &runtimes[0];
    assert!(balance_of(rt, setups[0].erc20, &setups[0].proxy) < 2_000, "no call to the ERC-20 went through");
}

/// Every transaction writes one key: the block finishes, as it would one after another.
#[test]
fn a_block_where_every_transaction_conflicts_gives_the_sequential_result() {
    alike(&[1, 2, 8], |threads, rt| {
        let counter = deploy_committed(rt, ALICE, &counter(), None);
        let mut block = rt.begin_block(T0).expect("block");
        let results = block.run_batch(
            300,
            |b, _| b.call(ALICE, counter, "increment", Vec::new(), None).expect("call"),
            |_, _| true,
        );
        assert_eq!(results.last().map(ok), Some(u32le(300)), "{threads} threads");
        (results, block.commit().expect("commit").root)
    });
}

/// A block that conflicts at first (one counter), then not (faucet credits to distinct
/// accounts): it falls back to running in order, probes, and runs the rest in parallel
/// again, with the results of running it in order; the gate stops it late.
#[test]
fn a_batch_that_stops_conflicting_goes_parallel_again() {
    alike(&[1, 2, 8], |threads, rt| {
        let counter = deploy_committed(rt, ALICE, &counter(), None);
        let mut block = rt.begin_block(T0).expect("block");
        let results = block.run_batch(
            1_200,
            |b, i| {
                let r = match i {
                    0..100 => b.call(ALICE, counter, "increment", Vec::new(), None),
                    _ => b.fund(funded(i), Balance::from_u128(i as u128)),
                };
                format!("{:?}", r.expect("call"))
            },
            |i, _| i < 1_150,
        );
        assert_eq!(results.len(), 1_150, "{threads} threads");
        assert_eq!(block.transactions(), 1_150, "{threads} threads");
        (results, block.commit().expect("commit").root)
    });
}

/// A distinct account per `i`, funded by the faucet.
fn funded(i: usize) -> Address {
    let mut address = [7; 20];
    address[..8].copy_from_slice(&(i as u64).to_be_bytes());
    Address(address)
}

/// The gate stops the batch where it says, on every thread count: a block builder that
/// stops at the first transaction that does not fit.
#[test]
fn the_gate_stops_a_batch_at_the_same_transaction() {
    alike(&[1, 2, 4], |threads, rt| {
        let kv = deploy_committed(rt, ALICE, &kv(), None);
        let mut block = rt.begin_block(T0).expect("block");
        let mut gas = 0;
        let results = block.run_batch(
            50,
            |b, i| b.call(SENDERS[i % 4], kv, "set", vec![i as u8], None).expect("call"),
            |_, prev| {
                gas += prev.map_or(0, |r| r.gas_used);
                gas < 10 * 3_000
            },
        );
        assert!(results.len() < 50 && !results.is_empty(), "{threads} threads: {}", results.len());
        (results, block.commit().expect("commit").root)
    });
}

/// A task that reads the block's running totals gets the real ones on every thread
/// count (a speculative run only guessed them, so it runs again in order).
#[test]
fn a_task_reading_the_blocks_totals_sees_the_real_ones() {
    alike(&[1, 2, 4], |threads, rt| {
        let kv = deploy_committed(rt, ALICE, &kv(), None);
        let mut block = rt.begin_block(T0).expect("block");
        let results = block.run_batch(
            40,
            |b, i| {
                let r = b.call(SENDERS[i % 4], kv, "set", vec![i as u8; i], None).expect("call");
                (format!("{r:?}"), b.transactions(), b.event_bytes())
            },
            |_, _| true,
        );
        assert_eq!(results.last().map(|r| r.1), Some(40), "{threads} threads");
        results
    });
}

/// A gate that panics (at a task inside a chunk, where chunks have grown): the panic
/// reaches the caller, and the block keeps the tasks the gate let in before it.
#[test]
fn a_panicking_gate_leaves_the_tasks_it_let_in() {
    alike(&[1, 2, 4], |threads, rt| {
        let kv = deploy_committed(rt, ALICE, &kv(), None);
        let mut block = rt.begin_block(T0).expect("block");
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            block.run_batch(
                300,
                |b, i| b.call(SENDERS[i % 4], kv, "set", vec![i as u8], None).expect("call"),
                |i, _| {
                    assert!(i != 250, "the gate panics at 250");
                    true
                },
            )
        }));
        assert!(ran.is_err(), "{threads} threads: the panic reaches the caller");
        assert_eq!(block.transactions(), 250, "{threads} threads");
        let record = block.commit().expect("commit");
        let value = rt.query(ALICE, kv, "get", Vec::new(), None).expect("query");
        assert_eq!(ok(&value), vec![249], "{threads} threads: the last task let in wrote last");
        record.root
    });
}

/// A task that panics: the panic reaches the caller, and the block keeps the tasks
/// before it, on every thread count.
#[test]
fn a_panicking_task_leaves_the_tasks_before_it() {
    alike(&[1, 2, 4], |threads, rt| {
        let kv = deploy_committed(rt, ALICE, &kv(), None);
        let mut block = rt.begin_block(T0).expect("block");
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            block.run_batch(
                20,
                |b, i| {
                    assert!(i != 7, "task 7 panics");
                    b.call(SENDERS[i % 4], kv, "set", vec![i as u8], None).expect("call")
                },
                |_, _| true,
            )
        }));
        assert!(ran.is_err(), "{threads} threads: the panic reaches the caller");
        assert_eq!(block.transactions(), 7, "{threads} threads");
        let record = block.commit().expect("commit");
        let value = rt.query(ALICE, kv, "get", Vec::new(), None).expect("query");
        assert_eq!(ok(&value), vec![6], "{threads} threads: the last task before the panic wrote last");
        record.root
    });
}

/// Coverage counts each transaction's run once: a batch under coverage runs in order,
/// so its counts (and results) are those of one thread on every thread count, though in
/// parallel some of its transactions would stand where they first ran and others
/// conflict and run again (ten counters of one code, each incremented five times).
#[test]
fn a_batch_under_coverage_counts_each_transaction_once() {
    let covered = alike(&[1, 2, 8], |_, rt| {
        rt.enable_coverage();
        let counters: Vec<_> = (0..10).map(|_| deploy_committed(rt, ALICE, &counter(), None)).collect();
        let mut block = rt.begin_block(T0).expect("block");
        let results = block.run_batch(
            50,
            |b, i| b.call(ALICE, counters[i % 10], "increment", Vec::new(), None).expect("call"),
            |_, _| true,
        );
        block.commit().expect("commit");
        let (reports, skipped) = rt.coverage(&[]).expect("coverage is on");
        let records: Vec<_> = reports.into_iter().map(|r| r.coverage).collect();
        (results, cove_runtime::coverage::lcov(&records), skipped)
    });
    assert_eq!(covered.0.last().map(ok), Some(u32le(5)));
    assert!(covered.1.contains("FNDA:50,increment"), "{}", covered.1);
}
