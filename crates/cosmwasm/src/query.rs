//! `query_chain`: the queries a contract may make of the chain, answered as
//! `SystemResult<ContractResult<Binary>>` JSON, the shape cosmwasm-std's querier reads.
//!
//! Bank balances, wasm smart/raw/contract-info/code-info queries and the staking and
//! distribution modules' queries are answered; any other request (IBC, stargate, grpc,
//! custom) is `unsupported_request`. A smart
//! query runs the queried contract's `query` read-only, on the same journal, paying its
//! gas from the caller's; nesting deeper than `max_query_depth`, or than the runtime's
//! depth limit, is `exceeded_recursion_limit`. A smart query of a contract of another
//! VM goes through the runtime's dispatch, read-only (`foreign`). A queried contract
//! that times out (a node fault) ends the querier's call as kind `timeout` rather than
//! answering it.

use serde_json::{Value, json};
use types::{Address, CallError, ErrorKind, VmType};
use wasmtime::Caller;

use crate::foreign::Frame;

use crate::host::{charge, gas_left};
use crate::instance::Host;
use crate::msg::{BankQuery, DistributionQuery, QueryRequest, StakingQuery, WasmQuery, to_base64};
use crate::staking::{Delegation, Validator, decimal_string, format_decimal};

/// `{"ok":{"ok":base64}}`.
/// A node fault met while answering (storage, damaged data, an engine failure in a
/// nested smart query): it ends the querying call as the node's fault, which no contract
/// can catch (`reply_on_error` included), never as a `trap` committed as an outcome.
fn node_fault(e: vm::VmError) -> wasmtime::Error {
    let fault = match e {
        vm::VmError::Storage(s) => wasm::VmError::Storage(s),
        vm::VmError::Corrupt(m) => wasm::VmError::Storage(types::StorageError::corrupt(m)),
        vm::VmError::Engine(m) => wasm::VmError::Engine(m),
        e => wasm::VmError::Engine(e.to_string()),
    };
    wasmtime::Error::new(wasm::NodeFault(fault))
}

fn ok(bytes: &[u8]) -> Value {
    json!({"ok": {"ok": to_base64(bytes)}})
}

/// `{"ok":{"error":msg}}`: the queried contract failed.
fn contract_err(msg: &str) -> Value {
    json!({"ok": {"error": msg}})
}

/// `{"error": system_error}`.
fn system_err(e: Value) -> Value {
    json!({ "error": e })
}

/// A nested query the runtime's depth limit or reentrancy policy refuses.
fn refused(e: CallError) -> Value {
    match e.kind {
        ErrorKind::CallDepth => system_err(json!({"exceeded_recursion_limit": {}})),
        _ => contract_err(&crate::foreign::failure(e).message),
    }
}

/// A smart query of `target`, a contract of VM `vm`, through the runtime's dispatch
/// from `frame`: read-only, with all the querier's gas left, paid from it.
fn query_foreign(
    c: &mut Caller<'_, Host>,
    frame: &Frame,
    target: Address,
    vm: VmType,
    msg: &[u8],
) -> wasmtime::Result<Value> {
    let (entry, input) = match crate::foreign::entry_and_input(vm, msg) {
        Ok(m) => m,
        Err(e) => return Ok(contract_err(&e.message)),
    };
    let (limit, sender, block) = (gas_left(c), c.data().contract, c.data().ctx.block);
    let empty = state::Journal::stand_in();
    let mut journal = std::mem::replace(&mut c.data_mut().journal, empty);
    let outcome = crate::foreign::call(
        frame,
        &block,
        &mut journal,
        sender,
        target,
        &entry,
        input,
        vm::Balance::ZERO,
        limit,
        true,
    );
    c.data_mut().journal = journal;
    let outcome = outcome.map_err(node_fault)?;
    charge(c, outcome.gas_used)?;
    Ok(match outcome.result {
        Ok(bytes) => ok(&bytes),
        Err(e) if e.kind == ErrorKind::Timeout => {
            return Err(wasmtime::Error::new(wasm::HostTrap { kind: e.kind, message: e.message }));
        }
        Err(e) if e.kind == ErrorKind::CallDepth => system_err(json!({"exceeded_recursion_limit": {}})),
        Err(e) => contract_err(&e.message),
    })
}

/// Answers `request` for the contract running in `c`.
pub(crate) fn answer(c: &mut Caller<'_, Host>, request: &[u8]) -> wasmtime::Result<Vec<u8>> {
    let value = match serde_json::from_slice::<QueryRequest>(request) {
        Ok(q @ (QueryRequest::Staking(_) | QueryRequest::Distribution(_)))
            if !c.data().shared.config.runs("staking") =>
        {
            let kind = if matches!(q, QueryRequest::Staking(_)) { "staking" } else { "distribution" };
            system_err(json!({"unsupported_request": {"kind": kind}}))
        }
        Ok(q) => answer_parsed(c, q)?,
        Err(e) => {
            // A well-formed request of a kind cove does not serve is "unsupported"; a
            // malformed one is "invalid".
            match serde_json::from_slice::<serde_json::Map<String, Value>>(request) {
                Ok(m)
                    if m.len() == 1
                        && !matches!(m.keys().next().map(String::as_str), Some("bank" | "wasm"))
                        && !(matches!(
                            m.keys().next().map(String::as_str),
                            Some("staking" | "distribution")
                        ) && c.data().shared.config.runs("staking")) =>
                {
                    let kind = m.keys().next().cloned().unwrap_or_default();
                    system_err(json!({"unsupported_request": {"kind": kind}}))
                }
                _ => system_err(
                    json!({"invalid_request": {"error": e.to_string(), "request": to_base64(request)}}),
                ),
            }
        }
    };
    Ok(serde_json::to_vec(&value).expect("JSON values serialize"))
}

fn validator_json(v: &Validator) -> Value {
    let d = decimal_string;
    json!({
        "address": v.address,
        "commission": d(v.commission),
        "max_commission": d(v.max_commission),
        "max_change_rate": d(v.max_change_rate),
    })
}

/// Rewards as `DecCoin`s: none when zero, as the distribution module answers.
fn dec_coins(denom: &str, atomics: ruint::aliases::U256) -> Value {
    if atomics.is_zero() { json!([]) } else { json!([{"denom": denom, "amount": format_decimal(atomics)}]) }
}

/// Answers a staking or distribution query (`docs/cosmwasm.md`, "Staking and
/// distribution"), paying `db_read` for each delegation read.
/// A query of the staking or distribution module.
enum Module {
    Staking(StakingQuery),
    Distribution(DistributionQuery),
}

fn answer_staking(c: &mut Caller<'_, Host>, q: Module) -> wasmtime::Result<Value> {
    let shared = c.data().shared.clone();
    let staking = &shared.staking;
    let height = c.data().ctx.block.height;
    let denom = staking.bonded_denom();
    let storage = |e: types::StorageError| wasmtime::Error::new(wasm::BackendFault(e));
    let human = |a: &Address| shared.addresses.humanize(a);
    let coin = |amount: u128| json!({"denom": denom, "amount": amount.to_string()});
    let delegations = |c: &mut Caller<'_, Host>, a: &Address| -> wasmtime::Result<Vec<Delegation>> {
        let all = staking.delegations(&c.data().journal, height, a).map_err(storage)?;
        charge(c, shared.config.costs.db_read.saturating_mul(all.len() as u64 + 1))?;
        Ok(all)
    };
    let answer = |v: Value| -> wasmtime::Result<Value> { Ok(ok(&serde_json::to_vec(&v)?)) };
    let address = |human: &str| shared.addresses.canonicalize(human);
    match q {
        Module::Staking(StakingQuery::BondedDenom {}) => answer(json!({ "denom": denom })),
        Module::Staking(StakingQuery::AllValidators {}) => {
            answer(json!({"validators": staking.validators().iter().map(validator_json).collect::<Vec<_>>()}))
        }
        Module::Staking(StakingQuery::Validator { address }) => {
            answer(json!({"validator": staking.validator(&address).map(validator_json)}))
        }
        Module::Staking(StakingQuery::AllDelegations { delegator }) => match address(&delegator) {
            Ok(a) => {
                let all = delegations(c, &a)?;
                let list: Vec<Value> = all
                    .iter()
                    .map(|d| json!({"delegator": human(&a), "validator": d.validator, "amount": coin(d.amount)}))
                    .collect();
                answer(json!({ "delegations": list }))
            }
            Err(e) => Ok(contract_err(&e)),
        },
        Module::Staking(StakingQuery::Delegation { delegator, validator }) => match address(&delegator) {
            Ok(a) => {
                charge(c, shared.config.costs.db_read)?;
                let one = staking.delegation(&c.data().journal, height, &a, &validator).map_err(storage)?;
                let full = one.map(|d| {
                    let whole = u128::try_from(d.rewards / ruint::aliases::U256::from(10u128.pow(18)))
                        .unwrap_or(u128::MAX);
                    json!({
                        "delegator": human(&a),
                        "validator": d.validator,
                        "amount": coin(d.amount),
                        "can_redelegate": coin(d.amount),
                        "accumulated_rewards": if whole == 0 { json!([]) } else { json!([coin(whole)]) },
                    })
                });
                answer(json!({ "delegation": full }))
            }
            Err(e) => Ok(contract_err(&e)),
        },
        Module::Distribution(DistributionQuery::DelegatorWithdrawAddress { delegator_address }) => {
            match address(&delegator_address) {
                Ok(a) => {
                    charge(c, shared.config.costs.db_read)?;
                    let to = staking.withdraw_address(&c.data().journal, &a).map_err(storage)?;
                    answer(json!({"withdraw_address": human(&to)}))
                }
                Err(e) => Ok(contract_err(&e)),
            }
        }
        Module::Distribution(DistributionQuery::DelegationRewards {
            delegator_address,
            validator_address,
        }) => match address(&delegator_address) {
            Ok(a) => {
                charge(c, shared.config.costs.db_read)?;
                let one =
                    staking.delegation(&c.data().journal, height, &a, &validator_address).map_err(storage)?;
                match one {
                    Some(d) => answer(json!({"rewards": dec_coins(denom, d.rewards)})),
                    None => Ok(contract_err(&format!(
                        "no delegation for (address, validator) tuple ({delegator_address}, {validator_address})"
                    ))),
                }
            }
            Err(e) => Ok(contract_err(&e)),
        },
        Module::Distribution(DistributionQuery::DelegationTotalRewards { delegator_address }) => {
            match address(&delegator_address) {
                Ok(a) => {
                    let all = delegations(c, &a)?;
                    let total =
                        all.iter().fold(ruint::aliases::U256::ZERO, |t, d| t.saturating_add(d.rewards));
                    let rewards: Vec<Value> = all
                        .iter()
                        .map(|d| json!({"validator_address": d.validator, "reward": dec_coins(denom, d.rewards)}))
                        .collect();
                    answer(json!({"rewards": rewards, "total": dec_coins(denom, total)}))
                }
                Err(e) => Ok(contract_err(&e)),
            }
        }
        Module::Distribution(DistributionQuery::DelegatorValidators { delegator_address }) => {
            match address(&delegator_address) {
                Ok(a) => {
                    let all = delegations(c, &a)?;
                    answer(json!({"validators": all.iter().map(|d| d.validator.clone()).collect::<Vec<_>>()}))
                }
                Err(e) => Ok(contract_err(&e)),
            }
        }
    }
}

fn answer_parsed(c: &mut Caller<'_, Host>, q: QueryRequest) -> wasmtime::Result<Value> {
    let shared = c.data().shared.clone();
    let address = |human: &str| shared.addresses.canonicalize(human);
    let storage = |e: types::StorageError| wasmtime::Error::new(wasm::BackendFault(e));
    Ok(match q {
        QueryRequest::Staking(q) => answer_staking(c, Module::Staking(q))?,
        QueryRequest::Distribution(q) => answer_staking(c, Module::Distribution(q))?,
        QueryRequest::Bank(BankQuery::Balance { address: a, denom }) => match address(&a) {
            Ok(a) => {
                let amount = shared.bank.balance(&c.data().journal, &a, &denom).map_err(storage)?;
                ok(&serde_json::to_vec(&json!({"amount": {"denom": denom, "amount": amount.to_string()}}))?)
            }
            Err(e) => contract_err(&e),
        },
        QueryRequest::Bank(BankQuery::AllBalances { address: a }) => match address(&a) {
            Ok(a) => {
                let coins = shared.bank.all_balances(&c.data().journal, &a).map_err(storage)?;
                ok(&serde_json::to_vec(&json!({ "amount": coins }))?)
            }
            Err(e) => contract_err(&e),
        },
        QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => match address(&contract_addr) {
            Ok(a) => match crate::load_cosmwasm(&c.data().journal, &a).map_err(node_fault)? {
                None => system_err(json!({"no_such_contract": {"addr": contract_addr}})),
                Some(_) => {
                    let value = c.data().journal.get(&vm::keys::storage(&a, &key)).map_err(storage)?;
                    ok(&value.unwrap_or_default())
                }
            },
            Err(_) => system_err(json!({"no_such_contract": {"addr": contract_addr}})),
        },
        QueryRequest::Wasm(WasmQuery::ContractInfo { contract_addr }) => match address(&contract_addr) {
            Ok(a) => match crate::contract_info_json(&shared, &c.data().journal, &a).map_err(node_fault)? {
                Some(info) => ok(&serde_json::to_vec(&info)?),
                None => system_err(json!({"no_such_contract": {"addr": contract_addr}})),
            },
            Err(_) => system_err(json!({"no_such_contract": {"addr": contract_addr}})),
        },
        QueryRequest::Wasm(WasmQuery::CodeInfo { code_id }) => {
            match crate::code_info_json(&shared, &c.data().journal, code_id).map_err(node_fault)? {
                Some(info) => ok(&serde_json::to_vec(&info)?),
                None => system_err(json!({"no_such_code": {"code_id": code_id}})),
            }
        }
        QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
            let Ok(target) = address(&contract_addr) else {
                return Ok(system_err(json!({"no_such_contract": {"addr": contract_addr}})));
            };
            let depth = c.data().depth + 1;
            if depth > shared.config.limits.max_query_depth {
                return Ok(system_err(json!({"exceeded_recursion_limit": {}})));
            }
            // The querier's frame, the querier inside it: where the queried contract runs.
            let frame = c.data().frame.below(0, &[c.data().contract]);
            let info = vm::load_contract(&c.data().journal, &target).map_err(node_fault)?;
            if let Some(info) = info.filter(|i| i.vm != types::VmType::CosmWasm) {
                return query_foreign(c, &frame, target, info.vm, &msg);
            }
            // Between CosmWasm contracts only the depth limit applies: a query only reads.
            let depth_only = Frame { callers: Vec::new(), ..frame.clone() };
            let block = c.data().ctx.block;
            if let Some(e) = frame.dispatch.admits(&depth_only.env(&block), &target) {
                return Ok(refused(e));
            }
            let frame = Frame { depth: frame.depth + 1, ..frame };
            let limit = gas_left(c);
            let empty = state::Journal::stand_in();
            let journal = std::mem::replace(&mut c.data_mut().journal, empty);
            let ctx = c.data().ctx;
            let (journal, result) =
                crate::smart_query(&shared, journal, ctx, frame, target, &msg, limit, depth);
            c.data_mut().journal = journal;
            let (result, gas_used) = result.map_err(node_fault)?;
            charge(c, gas_used)?;
            match result {
                Ok(bytes) => ok(&bytes),
                // The node's fault, not an answer: it ends the querier's call too.
                Err(e) if e.kind == types::ErrorKind::Timeout => {
                    return Err(wasmtime::Error::new(wasm::HostTrap { kind: e.kind, message: e.message }));
                }
                Err(e) if e.kind == types::ErrorKind::NotFound => {
                    system_err(json!({"no_such_contract": {"addr": contract_addr}}))
                }
                Err(e) => contract_err(&e.message),
            }
        }
    })
}
