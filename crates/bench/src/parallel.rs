//! Parallel block execution ([`runtime::Block::run_batch`]): blocks of transactions on 2
//! threads against 1, in one run (`docs/parallel.md`).
//!
//! Four blocks: cove-ABI token transfers between distinct accounts, ERC-20 transfers
//! between distinct accounts, counter increments that all write one key, and a mix of
//! the three (two fifths each transfer kind, one fifth the counter). Each runs on two
//! runtimes set up alike, one with `[execution] threads = 1` and one with 2, the rounds
//! alternated; a figure is the median of the rounds' time on 1 thread over the time on 2.

use std::time::Instant;

use runtime::{Balance, Block, Config, Parallelism, Runtime};
use types::{Address, VmType};

use crate::{COUNTER_WAT, EVM_TOKEN_BIN, TOKEN_WAT, sender, wasm};

/// Rounds of each side.
const ROUNDS: usize = 9;

/// What [`speedups`] measured: time on 1 thread over time on 2, per block kind.
#[derive(Debug, Clone, Copy)]
pub struct Speedups {
    /// cove-ABI token transfers, every sender and recipient distinct.
    pub wasm_disjoint: f64,
    /// ERC-20 transfers, every sender and recipient distinct.
    pub evm_disjoint: f64,
    /// Counter increments: every transaction writes one key.
    pub hot: f64,
    /// The mix.
    pub mixed: f64,
    /// Microseconds per transaction on 1 thread, per block kind (in the same order).
    pub sequential_us: [f64; 4],
    /// The speedups (same order) of running the batch alone, without the block's
    /// commit (which runs on one thread either way).
    pub batch_speedups: [f64; 4],
}

/// Seconds one block took.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// Running its batch.
    batch: f64,
    /// Beginning it, running its batch and committing it.
    total: f64,
}

/// The `i`th sender and recipient of a block.
fn account(tag: u8, i: usize) -> Address {
    let mut a = [tag; 20];
    a[12..20].copy_from_slice(&(i as u64).to_be_bytes());
    Address(a)
}

/// One transaction of a block.
#[derive(Clone, Copy)]
enum Tx {
    Wasm(usize),
    Evm(usize),
    Counter(usize),
    /// The faucet: a balance read and written, no contract (for profiling the
    /// scheduler alone, [`one_side`] kind 4).
    Fund(usize),
}

/// A runtime with the token, the ERC-20 and the counter deployed and `senders` accounts
/// holding both tokens.
struct Bed {
    rt: Runtime,
    token: Address,
    erc20: Address,
    counter: Address,
}

fn erc20_transfer(to: &Address, amount: u64) -> Vec<u8> {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(&[0; 12]);
    data.extend_from_slice(&to.0);
    data.extend_from_slice(&[0; 24]);
    data.extend_from_slice(&amount.to_be_bytes());
    data
}

fn token_transfer(to: &Address, amount: u64) -> Vec<u8> {
    [&to.0[..], &amount.to_le_bytes()].concat()
}

fn bed(config: &Config, threads: usize, senders: usize) -> Result<Bed, String> {
    let config = Config { execution: Parallelism { threads }, ..config.clone() };
    let rt = Runtime::in_memory(config).map_err(|e| e.to_string())?;
    let mut block = rt.begin_block(1).map_err(|e| e.to_string())?;
    let supply = u64::MAX.to_le_bytes().to_vec();
    let created = |r: Result<runtime::Receipt, runtime::RuntimeError>| -> Result<Address, String> {
        let r = r.map_err(|e| e.to_string())?;
        r.result.as_ref().map_err(|e| e.to_string())?;
        r.address.ok_or_else(|| "no address".to_owned())
    };
    let token =
        created(block.create(VmType::Wasm, sender(), &wasm(TOKEN_WAT), "init", supply, Balance::ZERO, None))?;
    let counter = created(block.deploy(sender(), &wasm(COUNTER_WAT), None, None))?;
    let code = hex::decode(EVM_TOKEN_BIN.trim()).map_err(|e| e.to_string())?;
    let mut evm_supply = [0u8; 32];
    evm_supply[16..].copy_from_slice(&(1u128 << 100).to_be_bytes());
    let erc20 =
        created(block.create(VmType::Evm, sender(), &code, "", evm_supply.to_vec(), Balance::ZERO, None))?;
    for i in 0..senders {
        let to = account(0xb0, i);
        for r in [
            block.call(sender(), token, "transfer", token_transfer(&to, 1 << 40), None),
            block.call(sender(), erc20, "", erc20_transfer(&to, 1 << 40), None),
        ] {
            let r = r.map_err(|e| e.to_string())?;
            r.result.map_err(|e| format!("funding sender {i}: {e}"))?;
        }
    }
    block.commit().map_err(|e| e.to_string())?;
    Ok(Bed { rt, token, erc20, counter })
}

impl Bed {
    /// How long one block of `txs` took to run and commit.
    fn block(&self, txs: &[Tx], time: u64) -> Result<Timing, String> {
        let start = Instant::now();
        let mut block = self.rt.begin_block(time).map_err(|e| e.to_string())?;
        let batch = Instant::now();
        let results = block.run_batch(txs.len(), |b, i| self.run(b, txs[i]), |_, _| true);
        let batch = batch.elapsed().as_secs_f64();
        if let Some(e) = results.into_iter().find_map(Result::err) {
            return Err(e);
        }
        block.commit().map_err(|e| e.to_string())?;
        Ok(Timing { batch, total: start.elapsed().as_secs_f64() })
    }

    fn run(&self, block: &mut Block<'_>, tx: Tx) -> Result<(), String> {
        let r = match tx {
            Tx::Wasm(i) => block.call(
                account(0xb0, i),
                self.token,
                "transfer",
                token_transfer(&account(0xc0, i), 1),
                None,
            ),
            Tx::Evm(i) => {
                block.call(account(0xb0, i), self.erc20, "", erc20_transfer(&account(0xc0, i), 1), None)
            }
            Tx::Counter(i) => block.call(account(0xb0, i), self.counter, "increment", Vec::new(), None),
            Tx::Fund(i) => block.fund(account(0xd0, i), Balance::from_u128(1)),
        };
        let r = r.map_err(|e| e.to_string())?;
        r.result.map(drop).map_err(|e| e.to_string())
    }
}

/// The four blocks of `per_block` transactions: WASM, EVM, hot, mixed.
fn blocks(per_block: usize) -> [Vec<Tx>; 4] {
    [
        (0..per_block).map(Tx::Wasm).collect(),
        (0..per_block).map(Tx::Evm).collect(),
        (0..per_block).map(Tx::Counter).collect(),
        (0..per_block)
            .map(|i| match i % 5 {
                0 | 1 => Tx::Wasm(i),
                2 | 3 => Tx::Evm(i),
                _ => Tx::Counter(i),
            })
            .collect(),
    ]
}

/// Microseconds per transaction of block kind `kind` (0 WASM, 1 EVM, 2 hot, 3 mixed, 4
/// faucet credits to distinct accounts) on `threads`, the median of `rounds` blocks of
/// `per_block`, for the whole block and for its batch alone: for profiling one side.
pub fn one_side(
    config: &Config,
    threads: usize,
    kind: usize,
    per_block: usize,
    rounds: usize,
) -> Result<(f64, f64), String> {
    let bed = bed(config, threads, per_block)?;
    let txs = match kind {
        4 => (0..per_block).map(Tx::Fund).collect(),
        _ => blocks(per_block).into_iter().nth(kind).ok_or("no such block kind")?,
    };
    bed.block(&txs, 2)?;
    bed.rt.settle();
    let times: Vec<Timing> = (0..rounds).map(|r| bed.block(&txs, 3 + r as u64)).collect::<Result<_, _>>()?;
    let us =
        |f: fn(&Timing) -> f64| median(&mut times.iter().map(f).collect::<Vec<_>>()) * 1e6 / per_block as f64;
    Ok((us(|t| t.total), us(|t| t.batch)))
}

/// The four speedups on blocks of `per_block` transactions (at least 10).
pub fn speedups(config: &Config, per_block: usize) -> Result<Speedups, String> {
    let per_block = per_block.max(10);
    let one = bed(config, 1, per_block)?;
    let two = bed(config, 2, per_block)?;
    let blocks = blocks(per_block);
    let mut out = [0.0; 4];
    let mut batch_speedups = [0.0; 4];
    let mut sequential_us = [0.0; 4];
    let mut time = 2;
    for (k, txs) in blocks.iter().enumerate() {
        // A first block each, not measured: every module compiled (on every thread's
        // VMs, and recompiled by the optimising compiler before the rounds start: a
        // background compile would take a core from the rounds), every entry written.
        one.block(txs, time)?;
        two.block(txs, time)?;
        one.rt.settle();
        two.rt.settle();
        time += 1;
        let (mut ratios, mut batch_ratios, mut seq) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let a = one.block(txs, time)?;
            let b = two.block(txs, time)?;
            time += 1;
            ratios.push(a.total / b.total);
            batch_ratios.push(a.batch / b.batch);
            seq.push(a.total);
        }
        out[k] = median(&mut ratios);
        batch_speedups[k] = median(&mut batch_ratios);
        sequential_us[k] = median(&mut seq) * 1e6 / txs.len() as f64;
    }
    Ok(Speedups {
        wasm_disjoint: out[0],
        evm_disjoint: out[1],
        hot: out[2],
        mixed: out[3],
        sequential_us,
        batch_speedups,
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
