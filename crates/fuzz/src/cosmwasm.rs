//! Arbitrary JSON execute messages into real CosmWasm contracts, under every mode.
//!
//! hackatom and cyberpunk (the test contracts cosmwasm-vm ships, fetched by
//! `../shared/tools/cosmwasm-fixtures.sh`; a missing fixture fails the target's setup)
//! are instantiated once per mode. Each case sends one execute message: one of the
//! contract's own messages with arbitrary arguments, arbitrary JSON, or bytes that are
//! not JSON at all, from a sender, with funds and a gas limit from the case. The
//! outcome (result, gas, events), the debug output and every state change must be
//! identical in every mode; the host never panics or faults. Each case starts from the
//! state after instantiation (a journal checkpoint, reverted after the case).

use arbitrary::Unstructured;
use cosmwasm::{Action, Coin, CosmWasmVm, Request};
use serde_json::{Map, Value, json};
use state::{Journal, MemBackend};
use std::sync::Arc;
use types::{Address, BlockInfo};

use crate::{Counts, Finding, Mode, Target, modes, same};

/// The largest gas limit of one message. By default 20,000,000 (a fifth of the
/// default cap): a loop contract ends by gas in milliseconds.
pub const MAX_MESSAGE_GAS: u64 = 20_000_000;

/// Deepest JSON the generator nests. By default 4.
pub const MAX_JSON_DEPTH: u32 = 4;

const CREATOR: Address = Address([0xc1; 20]);
const VERIFIER: Address = Address([0xaa; 20]);
const BENEFICIARY: Address = Address([0xbb; 20]);
const STRANGER: Address = Address([0xee; 20]);
const BLOCK: BlockInfo = BlockInfo { height: 7, timestamp: 1_700_000_000 };

/// The execute messages of hackatom and cyberpunk, by name.
const MESSAGES: &[&str] = &[
    "release",
    "cpu_loop",
    "storage_loop",
    "memory_loop",
    "message_loop",
    "allocate_large_memory",
    "panic",
    "user_errors_in_api_calls",
    "argon2",
    "unreachable",
    "mirror_env",
    "debug",
    "noop",
];

/// Field names those messages take.
const FIELDS: &[&str] = &["pages", "mem_cost", "time_cost", "denom", "msg", "data"];

/// One mode's chain: its VM, its journal after instantiation, the two contracts.
struct Chain {
    name: &'static str,
    vm: CosmWasmVm,
    journal: Journal,
    contracts: [Address; 2],
}

/// The CosmWasm target.
pub struct CosmWasmMessages {
    chains: Vec<Chain>,
    /// How the messages so far ended (contract and result kind).
    pub counts: Counts,
}

fn coins(amount: u128, denom: &str) -> Coin {
    Coin { denom: denom.into(), amount }
}

impl CosmWasmMessages {
    /// Instantiates hackatom and cyberpunk under every mode. Fails if a fixture is
    /// missing and cannot be fetched.
    pub fn new() -> Result<CosmWasmMessages, String> {
        let hackatom = bench::fixtures::load("hackatom")?;
        let cyberpunk = bench::fixtures::load("cyberpunk")?;
        let mut chains = Vec::new();
        for Mode { name, config } in modes() {
            let engine = wasm::Engine::new(config).map_err(|e| format!("{name}: {e}"))?;
            let vm = CosmWasmVm::new(engine, cosmwasm::Config::default())?;
            let mut journal = Journal::new(Arc::new(MemBackend::new()));
            for who in [CREATOR, VERIFIER, STRANGER] {
                vm.bank()
                    .mint(&mut journal, &who, &[coins(1_000_000, "ucove"), coins(1_000, "uatom")])
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("{e:?}"))?;
            }
            let human = |a: &Address| vm.addresses().humanize(a);
            let init = json!({"verifier": human(&VERIFIER), "beneficiary": human(&BENEFICIARY)});
            let mut contracts = [Address([0; 20]); 2];
            for (i, (code, label, msg)) in
                [(&hackatom, "hackatom", init), (&cyberpunk, "cyberpunk", json!({}))].into_iter().enumerate()
            {
                let msg = serde_json::to_vec(&msg).map_err(|e| e.to_string())?;
                let funds = [coins(600, "ucove")];
                let request = Request {
                    sender: CREATOR,
                    action: Action::Instantiate { code, label, admin: Some(CREATOR) },
                    msg: &msg,
                    funds: &funds,
                    gas_limit: None,
                };
                let (outcome, _) = vm
                    .run(&mut journal, &BLOCK, request)
                    .map_err(|e| format!("{name}: instantiating {label}: {e}"))?;
                contracts[i] = outcome
                    .address
                    .ok_or_else(|| format!("{name}: {label} did not instantiate: {outcome:?}"))?;
            }
            chains.push(Chain { name, vm, journal, contracts });
        }
        Ok(CosmWasmMessages { chains, counts: Counts::default() })
    }
}

impl Target for CosmWasmMessages {
    fn run(&mut self, data: &[u8]) -> Result<(), Finding> {
        let mut u = Unstructured::new(data);
        let Ok(case) = Case::arbitrary(&mut u) else { return Ok(()) };
        let mut reference: Option<(&'static str, vm::Outcome, Vec<String>, state::ChangeSet)> = None;
        for chain in &mut self.chains {
            let contract = chain.contracts[case.contract];
            let request = Request {
                sender: case.sender,
                action: Action::Execute { contract },
                msg: &case.msg,
                funds: &case.funds,
                gas_limit: Some(case.gas),
            };
            let cp = chain.journal.checkpoint();
            let ran = chain.vm.run(&mut chain.journal, &BLOCK, request);
            let (outcome, debug) = match ran {
                Ok(r) => r,
                Err(e) => {
                    chain.journal.revert(cp);
                    return Err(Finding(format!("{}: node fault: {e}", chain.name)));
                }
            };
            if outcome.result.is_err() {
                chain.journal.revert(cp);
            }
            let changes = chain.journal.changes();
            chain.journal.revert(cp);
            if let Err(e) = &outcome.result
                && e.kind == types::ErrorKind::Timeout
            {
                return Err(Finding(format!("{}: a message under {} gas timed out", chain.name, case.gas)));
            }
            match &reference {
                None => {
                    let kind = outcome.result.as_ref().err().map_or("ok".to_string(), |e| e.kind.to_string());
                    self.counts.add(format!("{} {kind}", ["hackatom", "cyberpunk"][case.contract]));
                    reference = Some((chain.name, outcome, debug, changes));
                }
                Some((first, o, d, c)) => {
                    let what = format!("{first} and {}", chain.name);
                    same(&format!("{what} outcomes"), o, &outcome)?;
                    same(&format!("{what} debug output"), d, &debug)?;
                    same(&format!("{what} state changes"), c, &changes)?;
                }
            }
        }
        Ok(())
    }

    fn stats(&self) -> Option<String> {
        Some(self.counts.json())
    }
}

/// One execute message.
#[derive(Debug)]
struct Case {
    contract: usize,
    sender: Address,
    msg: Vec<u8>,
    funds: Vec<Coin>,
    gas: u64,
}

impl Case {
    fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Case> {
        let contract = u.int_in_range(0..=1)?;
        let sender = *u.choose(&[VERIFIER, STRANGER, CREATOR])?;
        let msg = match u.int_in_range(0..=9u8)? {
            // One of the contracts' messages, with arbitrary arguments.
            0..=6 => {
                let name = *u.choose(MESSAGES)?;
                let mut args = Map::new();
                for _ in 0..u.int_in_range(0..=2)? {
                    args.insert(u.choose(FIELDS)?.to_string(), json_value(u, 1)?);
                }
                serde_json::to_vec(&json!({ name: args })).unwrap_or_default()
            }
            7 | 8 => serde_json::to_vec(&json_value(u, 0)?).unwrap_or_default(),
            _ => {
                let len = u.int_in_range(0..=64)?;
                u.bytes(len)?.to_vec()
            }
        };
        let mut funds = Vec::new();
        if u.ratio(1, 4)? {
            funds.push(coins(u.int_in_range(0..=2_000)?, u.choose(&["ucove", "uatom", "unknown"])?));
        }
        let gas = u.int_in_range(0..=MAX_MESSAGE_GAS)?;
        Ok(Case { contract, sender, msg, funds, gas })
    }
}

/// Any JSON value, nested at most [`MAX_JSON_DEPTH`] deep.
fn json_value(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let leaf = depth >= MAX_JSON_DEPTH;
    Ok(match u.int_in_range(0..=if leaf { 4u8 } else { 6 })? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => match u.int_in_range(0..=2u8)? {
            0 => json!(u.int_in_range(0..=70u64)?),
            1 => json!(u.arbitrary::<i64>()?),
            _ => json!(u.arbitrary::<u64>()?),
        },
        3 => Value::String(u.arbitrary()?),
        4 => Value::String(u.arbitrary::<u128>()?.to_string()),
        5 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array((0..n).map(|_| json_value(u, depth + 1)).collect::<Result<_, _>>()?)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                let key = if u.arbitrary()? { u.choose(MESSAGES)?.to_string() } else { u.arbitrary()? };
                map.insert(key, json_value(u, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}
