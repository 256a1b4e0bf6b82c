//! The execution modes side by side (`[wasm] mode`, docs/modes.md): the interpreter
//! against the JIT on the token transfer and on `examples/compute.wat`, and the first
//! call of a freshly deployed 230 KB contract in hybrid mode.
//!
//! Each comparison runs both modes in the same process, rounds interleaved, so both see
//! the same machine load; ratios are the median of the ratios of adjacent rounds.

use std::time::Instant;

use runtime::{Compiler, Config, Runtime, Tier};

use crate::{COMPUTE_WAT, median, sender, token_runtime, transfer_round, wasm};

/// Rounds of each side in a comparison.
const ROUNDS: usize = 7;

/// `config` in execution mode `mode`.
pub fn in_mode(config: &Config, mode: Compiler) -> Config {
    let mut c = config.clone();
    c.wasm.compiler = mode;
    c
}

fn median_f64(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Token transfers per second in `interpreter` and `jit` mode.
#[derive(Debug, Clone, Copy)]
pub struct ModeTransfers {
    /// `interpreter`: Pulley.
    pub interpreter_per_sec: f64,
    /// `jit`: Cranelift.
    pub jit_per_sec: f64,
    /// JIT throughput over the interpreter's (how many times slower interpreting is).
    pub jit_over_interpreter: f64,
}

/// [`crate::transfers_per_sec`]'s workload (1,000 transfers per committed block) in
/// both modes, `transfers` per mode over [`ROUNDS`] interleaved rounds.
pub fn transfers(config: &Config, transfers: u64) -> ModeTransfers {
    let (interp, interp_token) = token_runtime(&in_mode(config, Compiler::Interpreter));
    let (jit, jit_token) = token_runtime(&in_mode(config, Compiler::Optimizing));
    assert_eq!(interp.tier_of(&interp_token).ok().flatten(), Some(Tier::Interpreted));
    assert_eq!(jit.tier_of(&jit_token).ok().flatten(), Some(Tier::Optimized));
    let per_round = (transfers / ROUNDS as u64).max(1);
    transfer_round(&interp, interp_token, per_round.min(1000), 1000);
    transfer_round(&jit, jit_token, per_round.min(1000), 1000);
    let (mut i, mut j, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let a = transfer_round(&interp, interp_token, per_round, 1000);
        let b = transfer_round(&jit, jit_token, per_round, 1000);
        i.push(a);
        j.push(b);
        ratios.push(b / a);
    }
    ModeTransfers {
        interpreter_per_sec: median_f64(&mut i),
        jit_per_sec: median_f64(&mut j),
        jit_over_interpreter: median_f64(&mut ratios),
    }
}

/// The time of `examples/compute.wat`'s `run` through the full call path in
/// `interpreter` mode over its time in `jit` mode (the median of `runs` interleaved
/// pairs' ratios). The results and gas of every pair are compared.
pub fn interpreter_vs_jit_compute_ratio(config: &Config, runs: usize) -> f64 {
    // Many long calls in one block: lift the block's gas cap (`max_block_gas`).
    let config = Config { max_block_gas: types::MAX_GAS_LIMIT, ..config.clone() };
    let deploy = |mode| {
        let rt = Runtime::in_memory(in_mode(&config, mode)).expect("config is valid");
        let mut block = rt.begin_block(1).expect("in-memory");
        let receipt = block.deploy(sender(), &wasm(COMPUTE_WAT), None, None).expect("in-memory");
        let contract = receipt.address.expect("compute.wat deploys");
        block.commit().expect("in-memory");
        (rt, contract)
    };
    let (interp, a) = deploy(Compiler::Interpreter);
    let (jit, b) = deploy(Compiler::Optimizing);
    let mut interp_block = interp.begin_block(2).expect("in-memory");
    let mut jit_block = jit.begin_block(2).expect("in-memory");
    let gas = Some(config.max_tx_gas);
    let mut ratios = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let x = interp_block.call(sender(), a, "run", Vec::new(), gas).expect("in-memory");
        let interpreted = t.elapsed();
        let t = Instant::now();
        let y = jit_block.call(sender(), b, "run", Vec::new(), gas).expect("in-memory");
        let native = t.elapsed();
        assert!(x.is_ok(), "compute runs: {:?}", x.result);
        assert_eq!((&x.result, x.gas_used), (&y.result, y.gas_used), "the modes agree");
        ratios.push(interpreted.as_secs_f64() / native.as_secs_f64());
    }
    median_f64(&mut ratios)
}

/// What [`hybrid_first_call`] measured, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct FirstCall {
    /// The first call of the contract after its deploy, in `hybrid` mode: its module
    /// interpreted at once (compiled to Pulley bytecode at deploy), never a compile on
    /// the call path.
    pub hybrid_ms: f64,
    /// The deploy before it (validate, instrument, compile to Pulley bytecode), in
    /// `hybrid` mode.
    pub hybrid_deploy_ms: f64,
    /// The same first call in `jit` mode (Cranelift's code compiled at deploy).
    pub jit_ms: f64,
    /// The deploy in `jit` mode (compiling with Cranelift).
    pub jit_deploy_ms: f64,
}

/// Medians over `runs` fresh runtimes per mode: deploy `code` (a fresh contract) and
/// time its first call (`noop`).
pub fn hybrid_first_call(config: &Config, code: &[u8], runs: usize) -> FirstCall {
    let once = |mode| {
        let rt = Runtime::in_memory(in_mode(config, mode)).expect("config is valid");
        let mut block = rt.begin_block(1).expect("in-memory");
        let t = Instant::now();
        let receipt = block.deploy(sender(), code, None, None).expect("in-memory");
        let deploy = t.elapsed();
        let contract = receipt.address.expect("the benchmark module deploys");
        let t = Instant::now();
        let r = block.call(sender(), contract, "noop", Vec::new(), None).expect("in-memory");
        let call = t.elapsed();
        assert!(r.is_ok(), "noop runs: {:?}", r.result);
        (deploy, call)
    };
    let (mut hd, mut hc, mut jd, mut jc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let (d, c) = once(Compiler::Hybrid);
        hd.push(d);
        hc.push(c);
        let (d, c) = once(Compiler::Optimizing);
        jd.push(d);
        jc.push(c);
    }
    let ms = |v: &mut Vec<std::time::Duration>| median(v).as_secs_f64() * 1e3;
    FirstCall {
        hybrid_ms: ms(&mut hc),
        hybrid_deploy_ms: ms(&mut hd),
        jit_ms: ms(&mut jc),
        jit_deploy_ms: ms(&mut jd),
    }
}
