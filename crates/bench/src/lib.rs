//! cove's benchmarks and test tooling, kept out of the library crates (`publish = false`).
//!
//! This crate owns the code that measures cove or feeds it fixtures, and that no
//! embedder needs:
//!
//! * the workloads of `cove bench` and of the criterion benches (`benches/engine.rs`),
//!   in this module: each builds its own fresh runtime and returns a figure; nothing
//!   here is timed inside a test. Workloads use the example contracts in `examples/`;
//! * gas calibration (`cove bench gas-calibration`): [`gas`], [`gas_cosmwasm`];
//! * the execution modes compared ([`modes`]);
//! * parallel block execution, 2 threads against 1 ([`parallel`]);
//! * the CosmWasm workloads ([`cosmwasm`]) and the real CosmWasm contracts they and the
//!   tests run ([`fixtures`]);
//! * plain revm as the EVM benchmark's reference ([`raw_revm`]);
//! * the node's load generator (`cove bench node`): [`node_load`];
//! * Ethereum's state tests through cove's EVM and state layer ([`statetest`],
//!   `cove evm statetest`).
//!
//! It must not be a dependency of a library crate (only of the CLI and of tests and
//! benches), and it reaches the runtime and the VMs only through their public API.

mod calls;
pub mod cosmwasm;
pub mod fixtures;
pub mod gas;
pub mod gas_cosmwasm;
pub mod modes;
pub mod node_load;
pub mod parallel;
pub mod raw_revm;
pub mod statetest;

pub use calls::{POOL_WAT, cross_contract_call_us_p50, defi_swap_us_p50};

use std::time::{Duration, Instant};

use types::Address;

use runtime::{Config, Runtime, Tier};

/// `examples/counter.wat`.
pub const COUNTER_WAT: &str = include_str!("../../../examples/counter.wat");
/// `examples/token.wat`.
pub const TOKEN_WAT: &str = include_str!("../../../examples/token.wat");
/// `examples/compute.wat`.
pub const COMPUTE_WAT: &str = include_str!("../../../examples/compute.wat");

pub(crate) fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).expect("bundled examples are valid WAT")
}

pub(crate) fn sender() -> Address {
    runtime::DEFAULT_SENDER
}

/// A runtime with the token deployed (supply 10^15 to [`runtime::DEFAULT_SENDER`]) and
/// warmed up. Where storage deposits are priced, the token is sent 10^30 native units
/// to pay for what it stores.
pub fn token_runtime(config: &Config) -> (Runtime, Address) {
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let mut block = rt.begin_block(1).expect("in-memory");
    let supply = 1_000_000_000_000_000u64.to_le_bytes().to_vec();
    let value = if config.storage_deposit.is_on() {
        let funds = runtime::Balance::from_u128(10u128.pow(30));
        assert!(block.fund(sender(), funds).expect("in-memory").is_ok());
        funds
    } else {
        runtime::Balance::ZERO
    };
    let code = wasm(TOKEN_WAT);
    let receipt =
        block.create(types::VmType::Wasm, sender(), &code, "init", supply, value, None).expect("in-memory");
    assert!(receipt.is_ok(), "token deploy failed: {:?}", receipt.result);
    let address = receipt.address.expect("deploy returns an address");
    warm_up(&rt, &mut block, address, "transfer", &transfer_input(0));
    block.commit().expect("in-memory");
    (rt, address)
}

/// Transfer input: recipient number `i` (of 1,000) and amount 1.
pub fn transfer_input(i: u64) -> Vec<u8> {
    let mut input = vec![0u8; 28];
    input[0] = 0xaa;
    input[12..20].copy_from_slice(&(i % 1000).to_be_bytes());
    input[20..28].copy_from_slice(&1u64.to_le_bytes());
    input
}

/// Token transfers per second through the full path: cached module, fresh instance,
/// execute, journal, in-memory state; one thread. Transfers are grouped `per_block` to a
/// block, each block committed.
pub fn transfers_per_sec(rt: &Runtime, token: Address, transfers: u64, per_block: u64) -> f64 {
    // The median of five rounds: single runs on a shared 2-vCPU VM vary by +-15%.
    let mut rounds: Vec<f64> = (0..5).map(|_| transfer_round(rt, token, transfers / 5, per_block)).collect();
    rounds.sort_by(f64::total_cmp);
    rounds[2]
}

pub(crate) fn transfer_round(rt: &Runtime, token: Address, transfers: u64, per_block: u64) -> f64 {
    let start = Instant::now();
    let mut done = 0;
    while done < transfers {
        let mut block = rt.begin_block(2).expect("in-memory");
        for _ in 0..per_block.min(transfers - done) {
            let r = block.call(sender(), token, "transfer", transfer_input(done), None).expect("in-memory");
            debug_assert!(r.is_ok());
            done += 1;
        }
        block.commit().expect("in-memory");
    }
    transfers as f64 / start.elapsed().as_secs_f64()
}

/// Token transfers per second with storage deposits priced (1 native unit a byte) over
/// the same without, in one run with the rounds alternated: what settling deposits at
/// the end of every transaction costs (`docs/gas.md`, "Storage deposits"). Every
/// recipient's balance entry exists after the first round, so the later rounds settle
/// changes of size 0, the common case.
pub fn deposit_transfers_ratio(config: &Config, transfers: u64) -> f64 {
    let off =
        token_runtime(&Config { storage_deposit: runtime::StorageDeposit::default(), ..config.clone() });
    let mut priced = config.clone();
    priced.storage_deposit.per_byte = 1;
    let on = token_runtime(&priced);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        without.push(transfer_round(&off.0, off.1, transfers / 5, 1_000));
        with.push(transfer_round(&on.0, on.1, transfers / 5, 1_000));
    }
    for rounds in [&mut without, &mut with] {
        rounds.sort_by(f64::total_cmp);
    }
    with[2] / without[2]
}

/// Median latency of one counter `increment` call (in a block of its own, not timed:
/// the call alone), in microseconds.
pub fn counter_call_us_p50(config: &Config, calls: usize) -> f64 {
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let mut block = rt.begin_block(1).expect("in-memory");
    let receipt = block.deploy(sender(), &wasm(COUNTER_WAT), None, None).expect("in-memory");
    let counter = receipt.address.expect("deploy returns an address");
    warm_up(&rt, &mut block, counter, "increment", &[]);
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let r = block.call(sender(), counter, "increment", Vec::new(), None).expect("in-memory");
        samples.push(t.elapsed());
        debug_assert!(r.is_ok());
    }
    median(&mut samples).as_secs_f64() * 1e6
}

/// A generated module of at least `min_bytes`, shaped like compiled contract code:
/// real contracts measured here (CosmWasm's hackatom and cyberpunk, 230-250 KB) have
/// about 360 functions of ~600 bytes of code each and a dozen exports, with a shadow stack
/// in linear memory, straight-line arithmetic, branches, calls and a few loops. Each
/// generated function is one of those: ~600 bytes, calling its predecessor. Its entry
/// point `noop` does nothing (for instantiation benchmarks).
pub fn generated_module(min_bytes: usize) -> Vec<u8> {
    let mut wat = String::from(
        "(module (memory (export \"memory\") 2) (global $sp (mut i32) (i32.const 65536))
  (func (export \"noop\"))\n",
    );
    let mut i = 0;
    loop {
        let callee = if i == 0 {
            String::new()
        } else {
            format!("(drop (call $f{} (local.get $x) (local.get $y)))", i - 1)
        };
        let mut body = String::new();
        for k in 0..6 {
            body.push_str(&format!(
                "(local.set $t (i64.add (i64.load offset={o} (local.get $p)) (i64.mul (local.get $y) (i64.const {m}))))
  (i64.store offset={o2} (local.get $p) (i64.xor (local.get $t) (i64.shr_u (local.get $t) (i64.const {sh}))))
  (if (i32.lt_u (local.get $x) (i32.const {c}))
    (then (local.set $y (i64.add (local.get $y) (i64.extend_i32_u (i32.load offset={o} (local.get $p))))))
    (else (i32.store offset={o} (local.get $p) (i32.add (local.get $x) (i32.const {k})))))\n",
                o = 8 * k,
                o2 = 8 * k + 64,
                m = 2 * i + 2 * k + 1,
                sh = 3 + k,
                c = 100 + i + k,
            ));
        }
        wat.push_str(&format!(
            "(func $f{i} (param $x i32) (param $y i64) (result i64) (local $p i32) (local $t i64) (local $n i32)
  (global.set $sp (i32.sub (global.get $sp) (i32.const 128)))
  (local.set $p (global.get $sp))
  {body}
  (loop $l
    (local.set $t (i64.rotl (local.get $t) (i64.const 5)))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $n) (i32.and (local.get $x) (i32.const 7)))))
  {callee}
  (global.set $sp (i32.add (global.get $sp) (i32.const 128)))
  (i64.add (local.get $t) (local.get $y)))\n"
        ));
        i += 1;
        if i % 16 == 0 {
            let exports: String =
                (0..12.min(i)).map(|e| format!("(export \"entry{e}\" (func $f{}))", i - 1 - e)).collect();
            let candidate = format!("{wat}{exports})");
            let bytes = wasm(&candidate);
            if bytes.len() >= min_bytes {
                return bytes;
            }
        }
    }
}

/// Median time to validate, instrument and compile `code` (no cache) with the first
/// tier, in milliseconds.
pub fn deploy_ms(config: &Config, code: &[u8], runs: usize) -> f64 {
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let compiled = rt.vm().engine().compile(code).expect("generated module validates");
        samples.push(t.elapsed());
        drop(compiled);
    }
    median(&mut samples).as_secs_f64() * 1e3
}

/// Median time to instrument and compile `code` with the optimising tier (Cranelift), as
/// a tier-up does, in milliseconds.
pub fn compile_optimized_ms(config: &Config, code: &[u8], runs: usize) -> f64 {
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let engine = rt.vm().engine();
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let instrumented = engine.instrument(code).expect("generated module validates");
        let compiled = engine.compile_instrumented(&instrumented, Tier::Optimized).expect("compiles");
        samples.push(t.elapsed());
        drop(compiled);
    }
    median(&mut samples).as_secs_f64() * 1e3
}

/// Median time of a query of `code`'s empty `noop` entry point with its module in the
/// memory tier, in microseconds: contract lookup, cache hit, a fresh instance from the
/// pool (store, memory reset), the call, teardown. The instance alone is part of it.
pub fn instantiate_memory_us(config: &Config, code: &[u8], calls: usize) -> f64 {
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let mut block = rt.begin_block(1).expect("in-memory");
    let receipt = block.deploy(sender(), code, None, None).expect("in-memory");
    let contract = receipt.address.expect("the benchmark module deploys");
    warm_up(&rt, &mut block, contract, "noop", &[]);
    block.commit().expect("in-memory");
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let r = rt.query(sender(), contract, "noop", Vec::new(), None).expect("in-memory");
        samples.push(t.elapsed());
        debug_assert!(r.is_ok());
    }
    median(&mut samples).as_secs_f64() * 1e6
}

/// What [`instantiate_disk_ms`] measured, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct DiskLoad {
    /// The artifact written at deploy (the first tier).
    pub first_tier_ms: f64,
    /// The artifact written after tier-up (what a hot contract loads after a restart);
    /// equal to `first_tier_ms` when the engine does not tier up.
    pub hot_ms: f64,
}

/// Median time, over `runs` fresh runtimes on one data dir, of the first call of `code`'s
/// `noop` after a restart, its module coming from the disk tier: read and verify the
/// artifact, deserialize, link, instantiate, call. The runtime's own start (opening
/// the store, building the engine) is not included.
pub fn instantiate_disk_ms(config: &Config, code: &[u8], runs: usize) -> DiskLoad {
    let dir = std::env::temp_dir().join(format!("cove-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first_call_ms = || {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let rt = Runtime::open(&dir, config.clone()).expect("temp dir is writable");
            let contract = only_contract(&rt);
            let t = Instant::now();
            let r = rt.query(sender(), contract, "noop", Vec::new(), None).expect("opens");
            samples.push(t.elapsed());
            assert!(r.is_ok(), "noop runs: {:?}", r.result);
            assert_eq!(rt.cache_stats().hits.disk, 1, "the module came from disk");
        }
        median(&mut samples).as_secs_f64() * 1e3
    };
    {
        let rt = Runtime::open(&dir, config.clone()).expect("temp dir is writable");
        let mut block = rt.begin_block(1).expect("opens");
        block.deploy(sender(), code, None, None).expect("opens").address.expect("deploys");
        block.commit().expect("opens");
    }
    let first_tier_ms = first_call_ms();
    let hot_ms = if matches!(config.wasm.compiler, runtime::Compiler::Tiered | runtime::Compiler::Hybrid) {
        let rt = Runtime::open(&dir, config.clone()).expect("temp dir is writable");
        let contract = only_contract(&rt);
        let mut block = rt.begin_block(2).expect("opens");
        warm_up(&rt, &mut block, contract, "noop", &[]);
        drop(block);
        drop(rt);
        first_call_ms()
    } else {
        first_tier_ms
    };
    let _ = std::fs::remove_dir_all(&dir);
    DiskLoad { first_tier_ms, hot_ms }
}

/// The benchmark's contract: the first the sender deployed in the data dir.
fn only_contract(rt: &Runtime) -> Address {
    let address = Address::contract(&sender(), 0);
    assert!(rt.contract(&address).expect("opens").is_some(), "deployed earlier");
    address
}

/// Calls `method` of `contract` until its module has tiered up (if the runtime tiers
/// up) and the recompilation is done: benchmarks measure the steady state.
pub fn warm_up(rt: &Runtime, block: &mut runtime::Block<'_>, contract: Address, method: &str, input: &[u8]) {
    for _ in 0..rt.config().wasm.tier_up_after_calls.max(1) {
        block
            .call(sender(), contract, method, input.to_vec(), Some(rt.config().max_tx_gas))
            .expect("in-memory");
    }
    rt.settle();
}

/// Metered time over unmetered time for `examples/compute.wat`'s `run`, on the tier the
/// contract runs on after warm-up: the original module on plain wasmtime (same engine,
/// same configuration) against cove's instrumented module through the full call path.
pub fn metering_overhead_ratio(config: &Config, runs: usize) -> f64 {
    // Many long calls in one block: lift the block's gas cap (`max_block_gas`).
    let config = Config { max_block_gas: types::MAX_GAS_LIMIT, ..config.clone() };
    let rt = Runtime::in_memory(config).expect("config is valid");
    let code = wasm(COMPUTE_WAT);
    let mut block = rt.begin_block(1).expect("in-memory");
    let receipt = block.deploy(sender(), &code, None, None).expect("in-memory");
    let contract = receipt.address.expect("deploy returns an address");
    block.commit().expect("in-memory");
    let mut block = rt.begin_block(2).expect("in-memory");
    warm_up(&rt, &mut block, contract, "run", &[]);
    let tier = rt.tier_of(&contract).expect("in-memory").expect("loaded");

    let engine = rt.vm().engine().wasmtime(tier).expect("the tier in use exists").clone();
    let plain = wasmtime::Module::new(&engine, &code).expect("compute.wat compiles");
    let run_plain = || {
        let mut store = wasmtime::Store::new(&engine, ());
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = wasmtime::Instance::new(&mut store, &plain, &[]).expect("no imports");
        let run = instance.get_typed_func::<(), i32>(&mut store, "run").expect("exported");
        run.call(&mut store, ()).expect("runs")
    };
    let mut metered = Vec::with_capacity(runs);
    let mut unmetered = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let value = run_plain();
        unmetered.push(t.elapsed());
        let t = Instant::now();
        let r = block
            .call(sender(), contract, "run", Vec::new(), Some(rt.config().max_tx_gas))
            .expect("in-memory");
        metered.push(t.elapsed());
        assert_eq!(
            r.result.expect("compute runs"),
            value.to_le_bytes(),
            "metered and unmetered results agree"
        );
    }
    median(&mut metered).as_secs_f64() / median(&mut unmetered).as_secs_f64()
}

pub(crate) fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// `examples/evm/Token.bin`: the solc-compiled ERC-20's init code, as hex.
pub const EVM_TOKEN_BIN: &str = include_str!("../../../examples/evm/Token.bin");

/// ERC-20 transfers per second, cove's full path and plain revm, measured in one run.
#[derive(Debug, Clone, Copy)]
pub struct EvmTransfers {
    /// Through cove: a block call per transfer (contract lookup, VM dispatch, revm over
    /// cove's journal, write-back), 1,000 transfers per committed block, in-memory state.
    pub cove_per_sec: f64,
    /// Plain revm, its in-memory `CacheDB`, one EVM reused, `transact_commit` each.
    pub revm_per_sec: f64,
    /// cove over revm: the median of the ratios of adjacent rounds, which cancels the
    /// host's load drifting between rounds better than a ratio of medians.
    pub ratio: f64,
}

/// calldata of `transfer(recipient i of 1,000, 1)`.
fn erc20_transfer(i: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 64);
    data.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
    let mut to = [0u8; 32];
    to[12] = 0xaa;
    to[24..].copy_from_slice(&(i % 1000).to_be_bytes());
    data.extend_from_slice(&to);
    let mut amount = [0u8; 32];
    amount[31] = 1;
    data.extend_from_slice(&amount);
    data
}

/// Rounds of each side in [`evm_transfers`].
const EVM_ROUNDS: u64 = 7;

/// Both EVM transfer figures, each the median of seven rounds, rounds interleaved so
/// both see the same machine load, and their ratio (see [`EvmTransfers::ratio`]).
pub fn evm_transfers(config: &Config, transfers: u64) -> EvmTransfers {
    let code = hex::decode(EVM_TOKEN_BIN.trim()).expect("Token.bin is hex");
    let mut supply = [0u8; 32];
    supply[16..].copy_from_slice(&(1u128 << 100).to_be_bytes());
    let rt = Runtime::in_memory(config.clone()).expect("config is valid");
    let mut block = rt.begin_block(1).expect("in-memory");
    let receipt = block
        .create(types::VmType::Evm, sender(), &code, "", supply.to_vec(), runtime::Balance::ZERO, None)
        .expect("in-memory");
    let token = receipt.address.expect("the bundled ERC-20 deploys");
    block.commit().expect("in-memory");
    let mut raw = crate::raw_revm::RawRevm::deploy(sender().0, &code, &supply);

    let cove_round = |n: u64| {
        let start = Instant::now();
        let mut done = 0;
        while done < n {
            let mut block = rt.begin_block(2).expect("in-memory");
            for _ in 0..1000.min(n - done) {
                let r = block.call(sender(), token, "", erc20_transfer(done), None).expect("in-memory");
                debug_assert!(r.is_ok(), "{r:?}");
                done += 1;
            }
            block.commit().expect("in-memory");
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    // Warm up both (recipients' slots exist afterwards in both).
    cove_round(1000);
    raw.calls_per_sec(1000, &erc20_transfer);
    let (mut cove, mut revm, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..EVM_ROUNDS {
        let c = cove_round(transfers / EVM_ROUNDS);
        let r = raw.calls_per_sec(transfers / EVM_ROUNDS, &erc20_transfer);
        cove.push(c);
        revm.push(r);
        ratios.push(c / r);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    EvmTransfers {
        cove_per_sec: median(&mut cove),
        revm_per_sec: median(&mut revm),
        ratio: median(&mut ratios),
    }
}

/// What [`state_store`] measured.
#[derive(Debug, Clone, Copy)]
pub struct StoreFigures {
    /// Key updates per second over the measured blocks, each block committed durably
    /// with its root.
    pub commit_updates_per_sec: f64,
    /// Median latency of one read of a random committed key through a journal (the path
    /// of a contract's storage read), microseconds.
    pub read_us_p50: f64,
    /// Keys in the state when the measured blocks began.
    pub keys: u64,
}

/// Issue 6's workload on the authenticated redb store in a temporary directory:
/// `keys` random 53-byte keys (the shape of an EVM storage slot's) with 32-byte
/// values, loaded in blocks of 100,000 and written back; then `blocks` blocks of
/// `per_block` updates (70% overwrite existing keys, 30% create keys), each committed
/// durably with its root (durable in the block log), plus the write-back of whatever
/// they left in the log; then 20,000 reads of random committed keys. With `blocks` the
/// default `write_back_blocks` (32), the blocks are one whole cycle of the log. The store
/// keeps 5 recent heights, so the measured blocks prune too, as a node's do in its
/// steady state.
pub fn state_store(keys: u64, per_block: u64, blocks: u32) -> StoreFigures {
    use state::{Backend, ChangeSet, Journal, RedbBackend, StoreConfig};
    let dir = std::env::temp_dir().join(format!("cove-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let backend = std::sync::Arc::new(
        RedbBackend::open_with(&dir, StoreConfig { keep_recent: 5, ..StoreConfig::default() })
            .expect("temp dir is writable"),
    );
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let key = |i: u64| {
        let mut k = [0u8; 53];
        k[1..9].copy_from_slice(&0xc07e_u64.to_be_bytes());
        // Spread the key over the slot bytes as a hashed slot would be.
        let h = state::merkle::key_hash(&i.to_be_bytes());
        k[21..].copy_from_slice(&h);
        k.to_vec()
    };
    let mut height = 0;
    let mut commit = |changes: ChangeSet| {
        height += 1;
        let block = types::BlockInfo { height, timestamp: height };
        backend.commit(&block, changes).map_err(|(e, _)| e).expect("temp dir is writable");
    };
    let mut live = 0u64;
    while live < keys {
        let n = (keys - live).min(100_000);
        commit((live..live + n).map(|i| (key(i), Some(next().to_le_bytes().repeat(4)))).collect());
        live += n;
    }
    // Start the measured blocks with every loaded block in the tables.
    backend.write_back().expect("temp dir is writable");
    let loaded = live;
    let mut total = Duration::ZERO;
    for _ in 0..blocks {
        let changes: ChangeSet = (0..per_block)
            .map(|_| {
                let i = if next() % 10 < 7 {
                    next() % live
                } else {
                    live += 1;
                    live - 1
                };
                (key(i), Some(next().to_le_bytes().repeat(4)))
            })
            .collect();
        let t = Instant::now();
        commit(changes);
        total += t.elapsed();
    }
    // Whatever the measured blocks left in the block log is written back in the time
    // measured too: updates/s is for blocks in the tables, not only in the log.
    let t = Instant::now();
    backend.write_back().expect("temp dir is writable");
    total += t.elapsed();
    let updates = per_block as f64 * f64::from(blocks);
    let mut samples = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let k = key(next() % live);
        let journal = Journal::new(backend.clone());
        let t = Instant::now();
        let value = journal.get(&k).expect("reads");
        samples.push(t.elapsed());
        assert!(value.is_some(), "every key below `live` was committed");
    }
    drop(backend);
    let _ = std::fs::remove_dir_all(&dir);
    StoreFigures {
        commit_updates_per_sec: updates / total.as_secs_f64(),
        read_us_p50: median(&mut samples).as_secs_f64() * 1e6,
        keys: loaded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deposit_workload_transfers_with_deposits_priced() {
        let mut priced = Config::default();
        priced.storage_deposit.per_byte = 1;
        let (rt, token) = token_runtime(&priced);
        let mut block = rt.begin_block(2).unwrap();
        for i in 0..3 {
            let r = block.call(sender(), token, "transfer", transfer_input(i), None).unwrap();
            assert!(r.is_ok(), "{r:?}");
        }
        block.commit().unwrap();
        let held = rt.at(None).unwrap().deposit(&token).unwrap();
        assert!(held.bytes > 0 && !held.held.is_zero(), "{held:?}");
        let ratio = deposit_transfers_ratio(&Config::default(), 50);
        assert!(ratio.is_finite() && ratio > 0.0, "{ratio}");
    }
}
