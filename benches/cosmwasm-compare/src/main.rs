//! cove's CosmWasm VM against cosmwasm-vm 2.3.5 (wasmer singlepass), the VM wasmd runs,
//! on the same contract calls in the same process.
//!
//! Each side is measured per call the way a chain runs it, with the compiled module
//! already in memory:
//!
//! * cosmwasm-vm: `Cache::get_instance` of a pinned module (a fresh wasmer instance over
//!   the mock backend), `call_execute` (env, info and message written into regions, the
//!   entry point, the `ContractResult<Response>` read back and deserialised), then
//!   `Instance::recycle` (the instance torn down, the backend kept for the next call).
//!   What wasmd does afterwards with the response (events, bank messages, in Go) is not
//!   part of it.
//! * cove: `CosmWasmVm::run_in_block` on a `Journal` behind a checkpoint that is
//!   accepted, as the runtime's block does: the contract record read, a fresh wasmtime
//!   instance from the pooling allocator, the entry point, the response parsed into
//!   events and its messages executed (hackatom's bank send), the instance torn down.
//!   So cove's figure includes work that cosmwasm-vm leaves to wasmd.
//!
//! Setup (instantiating the contracts, re-funding hackatom before each `release`) is
//! outside the timed region on both sides. Samples are taken in rounds that alternate
//! the sides, so a change in the host's load hits all of them alike.
//!
//! Output: a table on stderr, a JSON summary on stdout.

use std::time::{Duration, Instant};

use cosmwasm_std::{Checksum, Coin as CwCoin, ContractResult, Empty, Env, MessageInfo, Response};
use cosmwasm_vm::testing::{
    MOCK_CONTRACT_ADDR, MockApi, MockQuerier, MockStorage, mock_backend_with_balances, mock_env, mock_info,
};
use cosmwasm_vm::{
    Backend, Cache, CacheOptions, InstanceOptions, Size, call_execute, call_instantiate,
    capabilities_from_csv,
};
use cove_cosmwasm::{Action, Coin, CosmWasmVm, Request};
use serde_json::{Value, json};
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, CodeId};
use vm::Outcome;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gas limit of every call on the cosmwasm-vm side: the "high" limit of cosmwasm-vm's own
/// benches (~20 s of CosmWasm gas), so no call comes near it.
const CW_GAS_LIMIT: u64 = 20_000_000_000_000;
/// Gas limit of every call on cove's side (cove gas; argon2 below uses ~1% of it).
const COVE_GAS_LIMIT: u64 = 1_000_000_000_000;
/// Memory limit of a cosmwasm-vm instance (its benches' `DEFAULT_MEMORY_LIMIT`).
const CW_MEMORY_LIMIT: Size = Size::mebi(64);
/// What cosmwasm-vm may offer contracts; hackatom and cyberpunk need less.
const CW_CAPABILITIES: &str = "iterator,staking,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2";

/// The argon2 parameters of cosmwasm-vm's own `execute execute (argon2)` bench.
const ARGON2_MSG: &str = r#"{"argon2":{"mem_cost":256,"time_cost":3}}"#;
/// hackatom (cosmwasm-vm 2.3.5's testdata) releases every coin it holds; its
/// `ExecuteMsg::Release` has no fields in this version.
const RELEASE_MSG: &str = r#"{"release":{}}"#;
const NOOP_MSG: &str = r#"{"noop":{}}"#;
/// What hackatom holds before each `release` (two denominations: `query_all_balances`
/// returns both, the bank message sends both).
const HACKATOM_BALANCE: [(&str, u128); 2] = [("uatom", 20), ("ucove", 600)];

/// One side of one case.
trait Side {
    /// Untimed work before each call (re-funding).
    fn prepare(&mut self) {}
    /// The timed call.
    fn call(&mut self);
    /// Untimed: checks the last call succeeded (and drops its result); its gas used.
    fn check(&mut self) -> u64;
    /// After the warm-up: anything the side still needs to reach its steady state (cove's
    /// tier-up); what the measured calls run on.
    fn settle(&mut self) -> String;
}

// ---------------------------------------------------------------------------------------
// cosmwasm-vm

type CwBackend = Backend<MockApi, MockStorage, MockQuerier>;

struct CosmWasmVmSide {
    _dir: tempfile::TempDir,
    cache: Cache<MockApi, MockStorage, MockQuerier>,
    checksum: Checksum,
    backend: Option<CwBackend>,
    env: Env,
    info: MessageInfo,
    msg: Vec<u8>,
    last: Option<(ContractResult<Response<Empty>>, u64)>,
    expect_data: Option<Vec<u8>>,
}

impl CosmWasmVmSide {
    /// A pinned module of `wasm`, instantiated once with `init` as `creator`;
    /// `contract_balance` is what the querier reports for the contract.
    fn new(
        wasm: &[u8],
        init: impl FnOnce(&MockApi) -> (String, Vec<u8>),
        contract_balance: &[CwCoin],
        sender: impl FnOnce(&MockApi) -> String,
        msg: &str,
    ) -> CosmWasmVmSide {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = CacheOptions::new(
            dir.path(),
            capabilities_from_csv(CW_CAPABILITIES),
            Size::mebi(200),
            CW_MEMORY_LIMIT,
        );
        // SAFETY: the cache directory is this process's own fresh temporary directory,
        // so no other process writes the artifacts it loads (the condition `Cache::new`
        // documents).
        let cache: Cache<MockApi, MockStorage, MockQuerier> =
            unsafe { Cache::new(options).expect("cosmwasm-vm cache") };
        let checksum = cache.store_code(wasm, true, true).expect("store_code");
        cache.pin(&checksum).expect("pin");
        let backend = mock_backend_with_balances(&[(MOCK_CONTRACT_ADDR, contract_balance)]);
        let api = backend.api;
        let options = InstanceOptions { gas_limit: CW_GAS_LIMIT };
        let mut instance = cache.get_instance(&checksum, backend, options).expect("get_instance");
        let (creator, init_msg) = init(&api);
        let info = mock_info(&creator, &[]);
        let r = call_instantiate::<_, _, _, Empty>(&mut instance, &mock_env(), &info, &init_msg)
            .expect("instantiate");
        assert!(r.into_result().is_ok(), "cosmwasm-vm instantiate failed");
        let backend = instance.recycle();
        let sender = sender(&api);
        CosmWasmVmSide {
            _dir: dir,
            cache,
            checksum,
            backend,
            env: mock_env(),
            info: mock_info(&sender, &[]),
            msg: msg.as_bytes().to_vec(),
            last: None,
            expect_data: None,
        }
    }
}

impl Side for CosmWasmVmSide {
    fn call(&mut self) {
        let backend = self.backend.take().expect("backend recycled");
        let options = InstanceOptions { gas_limit: CW_GAS_LIMIT };
        let mut instance = self.cache.get_instance(&self.checksum, backend, options).expect("get_instance");
        let result = call_execute::<_, _, _, Empty>(&mut instance, &self.env, &self.info, &self.msg)
            .expect("call_execute");
        let gas_left = instance.get_gas_left();
        self.backend = instance.recycle();
        self.last = Some((result, CW_GAS_LIMIT - gas_left));
    }

    fn check(&mut self) -> u64 {
        let (result, gas) = self.last.take().expect("a call ran");
        let response = result.into_result().unwrap_or_else(|e| panic!("cosmwasm-vm execute failed: {e}"));
        if let Some(data) = &self.expect_data {
            assert_eq!(response.data.as_ref().map(|d| d.as_slice()), Some(&data[..]));
            assert_eq!(response.messages.len(), 1, "release sends one bank message");
        }
        gas
    }

    fn settle(&mut self) -> String {
        "wasmer singlepass".into()
    }
}

// ---------------------------------------------------------------------------------------
// cove

/// `Env.transaction.index` of each measured call (cosmwasm-vm's `mock_env` uses 3).
const TX_INDEX: u32 = 3;
const CREATOR: Address = Address([0xc1; 20]);
const VERIFIER: Address = Address([0xaa; 20]);
const BENEFICIARY: Address = Address([0xbb; 20]);

struct CoveSide {
    vm: CosmWasmVm,
    /// The engine's configuration.
    wasm: wasm::Config,
    code_id: CodeId,
    journal: Journal,
    block: BlockInfo,
    contract: Address,
    sender: Address,
    msg: Vec<u8>,
    /// Minted to the contract before each call.
    refill: Vec<Coin>,
    last: Option<Outcome>,
    expect_data: Option<Vec<u8>>,
}

impl CoveSide {
    /// A contract of `wasm_code` instantiated with `init` (JSON of the VM's addresses) on a
    /// fresh in-memory state, committed as block 1; calls run in block 2.
    fn new(
        compiler: wasm::Compiler,
        wasm_code: &[u8],
        init: impl FnOnce(&CosmWasmVm) -> Value,
        sender: Address,
        msg: &str,
    ) -> CoveSide {
        let config = wasm::Config { compiler, ..wasm::Config::default() };
        let engine = wasm::Engine::new(config.clone()).expect("cove engine");
        let vm = CosmWasmVm::new(engine, cove_cosmwasm::Config::default()).expect("cove CosmWasm VM");
        let mut journal = Journal::new(std::sync::Arc::new(MemBackend::new()));
        let block = BlockInfo { height: 1, timestamp: 1_700_000_000 };
        let init_msg = serde_json::to_vec(&init(&vm)).expect("json");
        let request = Request {
            sender: CREATOR,
            action: Action::Instantiate { code: wasm_code, label: "bench", admin: None },
            msg: &init_msg,
            funds: &[],
            gas_limit: Some(COVE_GAS_LIMIT),
        };
        let (outcome, _) = vm.run(&mut journal, &block, request).expect("cove instantiate");
        assert!(outcome.is_ok(), "cove instantiate failed: {outcome:?}");
        let contract = outcome.address.expect("address");
        journal.commit(&block).expect("commit");
        CoveSide {
            vm,
            wasm: config,
            code_id: CodeId::of(wasm_code),
            journal,
            block: BlockInfo { height: 2, timestamp: 1_700_000_006 },
            contract,
            sender,
            msg: msg.as_bytes().to_vec(),
            refill: Vec::new(),
            last: None,
            expect_data: None,
        }
    }
}

impl Side for CoveSide {
    fn prepare(&mut self) {
        if !self.refill.is_empty() {
            self.vm
                .bank()
                .mint(&mut self.journal, &self.contract, &self.refill)
                .expect("storage")
                .expect("mint");
        }
    }

    fn call(&mut self) {
        let cp = self.journal.checkpoint();
        let request = Request {
            sender: self.sender,
            action: Action::Execute { contract: self.contract },
            msg: &self.msg,
            funds: &[],
            gas_limit: Some(COVE_GAS_LIMIT),
        };
        // Transaction 3 of its block, as in cosmwasm-vm's `mock_env`, so both sides pass
        // the same `Env`; the runtime's block path calls `run_in_block` too.
        let (outcome, _debug) =
            self.vm.run_in_block(&mut self.journal, &self.block, TX_INDEX, request).expect("cove node fault");
        if outcome.is_ok() {
            self.journal.accept(cp);
        } else {
            self.journal.revert(cp);
        }
        self.last = Some(outcome);
    }

    fn check(&mut self) -> u64 {
        let outcome = self.last.take().expect("a call ran");
        match &outcome.result {
            Ok(data) => {
                if let Some(expect) = &self.expect_data {
                    assert_eq!(data, expect);
                }
            }
            Err(e) => panic!("cove execute failed: {e:?}"),
        }
        // hackatom's bank message really ran: the contract holds nothing again.
        for coin in &self.refill {
            let left = self.vm.bank().balance(&self.journal, &self.contract, &coin.denom).expect("storage");
            assert_eq!(left, 0, "{} left after release", coin.denom);
        }
        outcome.gas_used
    }

    /// With the tiered compiler, calls until the module's tier-up starts (it counts every
    /// call, the instantiation included) and waits for it, so the measured calls run the
    /// code a hot contract runs.
    fn settle(&mut self) -> String {
        if self.wasm.compiler == wasm::Compiler::Tiered {
            for _ in 0..self.wasm.tier_up_after_calls {
                self.prepare();
                self.call();
                self.check();
            }
            self.vm.modules().settle();
        }
        match self.vm.modules().tier(&self.code_id) {
            Some(wasm::Tier::Baseline) => "Winch".into(),
            Some(wasm::Tier::Optimized) => "Cranelift".into(),
            Some(wasm::Tier::Interpreted) => "Pulley".into(),
            None => "not in the memory cache".into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// cases

fn fixture(name: &str) -> Vec<u8> {
    cove_cosmwasm::fixtures::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The cove configurations measured: the default (`compiler = "tiered"`: Winch at
/// deploy, Cranelift once the contract is hot; measured after the tier-up), Winch only
/// (what the first `tier_up_after_calls` calls of a contract run) and Cranelift only.
const COVE_COMPILERS: [(&str, wasm::Compiler); 3] = [
    ("cove_default", wasm::Compiler::Tiered),
    ("cove_winch", wasm::Compiler::Baseline),
    ("cove_cranelift", wasm::Compiler::Optimizing),
];

/// The sides `wanted` accepts, in order: cosmwasm-vm, then cove's configurations.
type Sides = Vec<(&'static str, Box<dyn Side>)>;

fn cyberpunk_sides(msg: &str, wanted: &dyn Fn(&str) -> bool) -> Sides {
    let code = fixture("cyberpunk");
    let mut sides: Sides = Vec::new();
    if wanted("cosmwasm_vm") {
        let cw = CosmWasmVmSide::new(
            &code,
            |api| (api.addr_make("creator"), b"{}".to_vec()),
            &[],
            |api| api.addr_make("guest"),
            msg,
        );
        sides.push(("cosmwasm_vm", Box::new(cw)));
    }
    for (name, compiler) in COVE_COMPILERS.into_iter().filter(|(n, _)| wanted(n)) {
        let cove = CoveSide::new(compiler, &code, |_| json!({}), CREATOR, msg);
        sides.push((name, Box::new(cove)));
    }
    sides
}

fn hackatom_sides(wanted: &dyn Fn(&str) -> bool) -> Sides {
    let code = fixture("hackatom");
    let data = vec![0xF0, 0x0B, 0xAA];
    let mut sides: Sides = Vec::new();
    if wanted("cosmwasm_vm") {
        let balance: Vec<CwCoin> = HACKATOM_BALANCE.iter().map(|(d, a)| CwCoin::new(*a, *d)).collect();
        let mut cw = CosmWasmVmSide::new(
            &code,
            |api| {
                let msg =
                    json!({"verifier": api.addr_make("verifies"), "beneficiary": api.addr_make("benefits")});
                (api.addr_make("creator"), serde_json::to_vec(&msg).expect("json"))
            },
            &balance,
            |api| api.addr_make("verifies"),
            RELEASE_MSG,
        );
        cw.expect_data = Some(data.clone());
        sides.push(("cosmwasm_vm", Box::new(cw)));
    }
    for (name, compiler) in COVE_COMPILERS.into_iter().filter(|(n, _)| wanted(n)) {
        let mut cove = CoveSide::new(
            compiler,
            &code,
            |vm| {
                let a = vm.addresses();
                json!({"verifier": a.humanize(&VERIFIER), "beneficiary": a.humanize(&BENEFICIARY)})
            },
            VERIFIER,
            RELEASE_MSG,
        );
        cove.refill = HACKATOM_BALANCE.iter().map(|(d, a)| Coin { denom: (*d).into(), amount: *a }).collect();
        cove.expect_data = Some(data.clone());
        sides.push((name, Box::new(cove)));
    }
    sides
}

struct Case {
    name: &'static str,
    what: &'static str,
    warmup: usize,
    rounds: usize,
    iters: usize,
}

const CASES: [Case; 3] = [
    Case {
        name: "cyberpunk_noop",
        what: r#"cyberpunk execute {"noop":{}}"#,
        warmup: 300,
        rounds: 10,
        iters: 1000,
    },
    Case {
        name: "hackatom_release",
        what: r#"hackatom execute {"release":{}} by the verifier, 2 denominations held"#,
        warmup: 300,
        rounds: 10,
        iters: 1000,
    },
    Case {
        name: "cyberpunk_argon2",
        what: r#"cyberpunk execute {"argon2":{"mem_cost":256,"time_cost":3}}"#,
        warmup: 5,
        rounds: 10,
        iters: 10,
    },
];

fn sides_of(case: &str, wanted: &dyn Fn(&str) -> bool) -> Sides {
    match case {
        "cyberpunk_noop" => cyberpunk_sides(NOOP_MSG, wanted),
        "hackatom_release" => hackatom_sides(wanted),
        "cyberpunk_argon2" => cyberpunk_sides(ARGON2_MSG, wanted),
        other => unreachable!("{other}"),
    }
}

/// Summary of samples, in microseconds.
fn summary(samples: &mut [Duration], gas: u64) -> Value {
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let n = samples.len();
    let pick = |q: f64| us(samples[((n - 1) as f64 * q).round() as usize]);
    let mean = samples.iter().map(|d| us(*d)).sum::<f64>() / n as f64;
    json!({
        "samples": n,
        "median_us": round(pick(0.5)),
        "mean_us": round(mean),
        "p10_us": round(pick(0.1)),
        "p90_us": round(pick(0.9)),
        "min_us": round(us(samples[0])),
        "gas_used": gas,
    })
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

struct Args {
    cases: Vec<String>,
    only: Option<String>,
    scale: f64,
}

fn args() -> Args {
    let mut a = Args { cases: Vec::new(), only: None, scale: 1.0 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--case" => a.cases.push(it.next().expect("--case NAME")),
            "--only" => a.only = Some(it.next().expect("--only SIDE")),
            "--quick" => a.scale = 0.1,
            "--scale" => a.scale = it.next().and_then(|s| s.parse().ok()).expect("--scale FACTOR"),
            "-h" | "--help" => {
                eprintln!(
                    "usage: cosmwasm-compare [--case cyberpunk_noop|hackatom_release|cyberpunk_argon2]... \
                     [--only cosmwasm_vm|cove_default|cove_winch|cove_cranelift] [--quick | --scale F]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other:?} (--help)"),
        }
    }
    a
}

fn main() {
    let args = args();
    let mut results = Vec::new();
    for case in &CASES {
        if !args.cases.is_empty() && !args.cases.iter().any(|c| c == case.name) {
            continue;
        }
        let wanted = |side: &str| args.only.as_deref().is_none_or(|only| only == side);
        let mut sides = sides_of(case.name, &wanted);
        let scaled = |n: usize| ((n as f64 * args.scale).ceil() as usize).max(1);
        let (warmup, iters) = (scaled(case.warmup), scaled(case.iters));
        let mut gas = vec![0; sides.len()];
        let mut code = Vec::new();
        for (i, (_, side)) in sides.iter_mut().enumerate() {
            for _ in 0..warmup {
                side.prepare();
                side.call();
                gas[i] = side.check();
            }
            code.push(side.settle());
        }
        let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(case.rounds * iters); sides.len()];
        for round in 0..case.rounds {
            // Rotate which side goes first each round.
            for k in 0..sides.len() {
                let i = (round + k) % sides.len();
                let side = &mut sides[i].1;
                for _ in 0..iters {
                    side.prepare();
                    let start = Instant::now();
                    side.call();
                    samples[i].push(start.elapsed());
                    side.check();
                }
            }
        }
        let mut entry = serde_json::Map::new();
        entry.insert("case".into(), json!(case.name));
        entry.insert("call".into(), json!(case.what));
        let mut medians = Vec::new();
        for (i, (name, _)) in sides.iter().enumerate() {
            let mut s = summary(&mut samples[i], gas[i]);
            s["code"] = json!(code[i]);
            medians.push((*name, s["median_us"].as_f64().unwrap(), s["mean_us"].as_f64().unwrap()));
            entry.insert((*name).into(), s);
        }
        if let Some(&(_, cw_median, cw_mean)) = medians.iter().find(|(n, ..)| *n == "cosmwasm_vm") {
            for &(name, median, mean) in medians.iter().filter(|(n, ..)| *n != "cosmwasm_vm") {
                let ratio = json!({
                    "median": round(cw_median / median),
                    "mean": round(cw_mean / mean),
                });
                entry.insert(format!("ratio_cosmwasm_vm_over_{name}"), ratio);
            }
        }
        eprintln!("{}  ({} rounds x {iters} calls per side after {warmup} warm-up)", case.what, case.rounds);
        for (name, median, mean) in &medians {
            eprintln!("  {name:<15} median {median:>10.2} us   mean {mean:>10.2} us");
        }
        results.push(Value::Object(entry));
    }
    let out = json!({
        "cosmwasm_vm": "2.3.5 (wasmer 7.4.2 singlepass), pinned module, mock backend",
        "cove": "CosmWasmVm::run_in_block on a Journal over MemBackend, checkpoint accepted",
        "ratio": "cosmwasm_vm time / cove time (above 1: cove is faster)",
        "cases": results,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
