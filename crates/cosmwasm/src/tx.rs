//! One CosmWasm transaction as wasmd processes it: funds moved, the entry point run, its
//! `Response` turned into events, then its messages dispatched in order. A sub-message
//! runs behind a journal checkpoint: when it fails and its `reply_on` catches errors,
//! only its own changes and events are undone and the contract's `reply` sees the error;
//! an uncaught failure fails the whole transaction (the runtime reverts everything). A
//! timeout (the wall-clock backstop, a node fault) is never caught: it ends the whole
//! transaction as kind `timeout`, which the runtime never commits.
//! Gas is one budget for the whole transaction; a sub-message's `gas_limit` caps its
//! share, and running out without one is never caught (as in wasmd).
//!
//! A message to a contract of another VM goes through the runtime's dispatch
//! (`other_vms`, `foreign`); every other message runs here, and obeys the same depth
//! limit and reentrancy policy (checked with [`vm::Dispatch::admits`] against the
//! contracts enclosing the transaction: between CosmWasm contracts, wasmd's actor model
//! holds, a sender's entry point having returned before its messages run).

use std::sync::Arc;

use state::Journal;
use types::{Address, BlockInfo, CallError, CodeId, ErrorKind, Gas, VmType};
use vm::{ContractInfo, Outcome, VmError, keys};
use wasm::profile::GasProfile;

use crate::config::{Config, MAX_TX_EVENT_BYTES};
use crate::foreign::{self, Frame};
use crate::instance::{self, EntryCall};
use crate::msg::{
    self, Attribute, BankMsg, Coin, ContractResult, CosmosMsg, Event, ReplyOn, SubMsg, WasmMsg,
};
use crate::profile::{TxProfile, contract_name};
use crate::{Shared, load_cosmwasm};

mod modules;
mod other_vms;

/// What a [`Request`] does.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Store `code` (once) and instantiate a contract of it.
    Instantiate {
        /// The wasm module.
        code: &'a [u8],
        /// The label.
        label: &'a str,
        /// Who may migrate it.
        admin: Option<Address>,
    },
    /// `execute` a contract.
    Execute {
        /// The contract.
        contract: Address,
    },
    /// `query` a contract (read-only; the result is the query's bytes).
    Query {
        /// The contract.
        contract: Address,
    },
    /// Migrate a contract to `code` (stored once); only its admin may.
    Migrate {
        /// The contract.
        contract: Address,
        /// The new wasm module.
        code: &'a [u8],
    },
    /// `sudo` a contract (the chain's privileged call; no sender, no funds).
    Sudo {
        /// The contract.
        contract: Address,
    },
}

/// One transaction.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who sends it.
    pub sender: Address,
    /// What it does.
    pub action: Action<'a>,
    /// The JSON message.
    pub msg: &'a [u8],
    /// Funds moved from the sender to the contract first (instantiate and execute).
    pub funds: &'a [Coin],
    /// The gas limit (`None`: the configured default).
    pub gas_limit: Option<Gas>,
}

/// Where a call runs: the block, and the transaction's index in it (`Env.transaction`;
/// `None` for a query, which is in no transaction).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    pub block: BlockInfo,
    pub tx_index: Option<u32>,
}

/// The running transaction.
struct Tx<'s> {
    shared: &'s Arc<Shared>,
    ctx: Context,
    /// Where the transaction's own entry point runs in the runtime's call tree.
    frame: Frame,
    /// The senders of the messages being processed, outermost first: with the frame's
    /// callers, the call stack of a message sent now.
    path: Vec<Address>,
    gas_limit: Gas,
    gas_used: Gas,
    /// Events, in order.
    events: Vec<Recorded>,
    /// Their bytes, as [`MAX_TX_EVENT_BYTES`] counts them.
    event_bytes: usize,
    debug: Vec<String>,
    /// The gas profile, when the transaction is profiled (`crate::profile`).
    profile: Option<TxProfile>,
}

/// One event of the transaction.
enum Recorded {
    /// A CosmWasm contract's or the bank's, with the account that emitted it.
    CosmWasm(Address, Event),
    /// A contract's of another VM (a message to it), as that VM emitted it.
    Cove(types::Event),
}

/// A failure that ends the transaction: the contract's, or the node's.
enum Fail {
    Contract(CallError),
    Node(VmError),
}

impl From<VmError> for Fail {
    fn from(e: VmError) -> Fail {
        Fail::Node(e)
    }
}

impl From<types::StorageError> for Fail {
    fn from(e: types::StorageError) -> Fail {
        Fail::Node(VmError::Storage(e))
    }
}

type Step<T> = Result<T, Fail>;

fn err<T>(kind: ErrorKind, message: impl Into<String>) -> Step<T> {
    Err(Fail::Contract(CallError::new(kind, message)))
}

/// Runs `req`; the outcome and what the contracts printed with `debug` (not part of the
/// outcome: a node shows it to a developer, never records it).
pub(crate) fn run(
    shared: &Arc<Shared>,
    state: &mut Journal,
    ctx: Context,
    frame: Frame,
    req: Request<'_>,
) -> Result<(Outcome, Vec<String>), VmError> {
    run_maybe_profiled(shared, state, ctx, frame, req, None).map(|(o, debug, _)| (o, debug))
}

/// [`run`], with a gas profile whose root frame is `root` when given: the profile's
/// total is the outcome's `gas_used`.
pub(crate) fn run_maybe_profiled(
    shared: &Arc<Shared>,
    state: &mut Journal,
    ctx: Context,
    frame: Frame,
    req: Request<'_>,
    root: Option<String>,
) -> Result<(Outcome, Vec<String>, Option<GasProfile>), VmError> {
    let mut tx = Tx {
        shared,
        ctx,
        frame,
        path: Vec::new(),
        gas_limit: req.gas_limit.unwrap_or(shared.config.default_gas_limit),
        gas_used: 0,
        events: Vec::new(),
        event_bytes: 0,
        debug: Vec::new(),
        profile: root.map(TxProfile::new),
    };
    let result = match req.action {
        Action::Instantiate { code, label, admin } => {
            tx.store_code(state, req.sender, code).and_then(|(id, _)| {
                let (address, data) =
                    tx.instantiate(state, req.sender, id, req.msg, req.funds, label, admin, None, 0)?;
                Ok((Some(address), Some(id), data.unwrap_or_default()))
            })
        }
        Action::Execute { contract } => tx
            .execute(state, req.sender, contract, req.msg, req.funds, 0)
            .map(|d| (None, None, d.unwrap_or_default())),
        Action::Query { contract } => tx.query(state, contract, req.msg).map(|bytes| (None, None, bytes)),
        Action::Migrate { contract, code } => tx
            .store_code(state, req.sender, code)
            .and_then(|(id, _)| tx.migrate(state, req.sender, contract, id, req.msg, 0))
            .map(|d| (None, None, d.unwrap_or_default())),
        Action::Sudo { contract } => {
            tx.sudo(state, contract, req.msg, 0).map(|d| (None, None, d.unwrap_or_default()))
        }
    };
    let gas_used = tx.gas_used.min(tx.gas_limit);
    let debug = std::mem::take(&mut tx.debug);
    let profile = tx.profile.take().map(|p| p.finish(gas_used));
    let outcome = match result {
        Ok((address, code_id, data)) => Outcome {
            result: Ok(data),
            gas_used,
            events: tx
                .events
                .drain(..)
                .map(|e| match e {
                    Recorded::CosmWasm(c, e) => to_cove_event(c, &e),
                    Recorded::Cove(e) => e,
                })
                .collect(),
            address,
            code_id,
        },
        Err(Fail::Contract(e)) => {
            Outcome { result: Err(e), gas_used, events: Vec::new(), address: None, code_id: None }
        }
        Err(Fail::Node(e)) => return Err(e),
    };
    Ok((outcome, debug, profile))
}

/// A CosmWasm event as a cove event: topic 0 is the event type, the data is the
/// attributes as JSON `[{"key":..,"value":..}]`.
fn to_cove_event(contract: Address, e: &Event) -> types::Event {
    types::Event {
        contract,
        topics: vec![e.ty.as_bytes().to_vec()],
        data: serde_json::to_vec(&e.attributes).expect("attributes serialize"),
    }
}

/// `Env` JSON for `contract` in `ctx`.
pub(crate) fn env_json(shared: &Shared, ctx: &Context, contract: &Address) -> Vec<u8> {
    msg::Env {
        block: msg::BlockInfo {
            height: ctx.block.height,
            time: ctx.block.timestamp.saturating_mul(1_000_000_000),
            chain_id: shared.config.chain_id.clone(),
        },
        transaction: ctx.tx_index.map(|index| msg::TransactionInfo { index }),
        contract: msg::ContractInfo { address: shared.addresses.humanize(contract) },
    }
    .to_json()
}

/// A wasm engine failure as the VM's node fault.
pub(crate) fn engine_fault(e: wasm::VmError) -> VmError {
    match e {
        wasm::VmError::Storage(s) => VmError::Storage(s),
        e => VmError::Engine(e.to_string()),
    }
}

/// The bytes of a `query` entry point's `ContractResult<Binary>`.
pub(crate) fn query_result(bytes: &[u8]) -> Result<Vec<u8>, CallError> {
    match serde_json::from_slice::<ContractResult<msg::Binary>>(bytes) {
        Ok(ContractResult::Ok(b)) => Ok(b.0),
        Ok(ContractResult::Error(e)) => Err(CallError::new(ErrorKind::Aborted, e)),
        Err(e) => Err(CallError::new(
            ErrorKind::Trap,
            format!("the contract's query result is not a ContractResult<Binary>: {e}"),
        )),
    }
}

/// `(code id, creator)` of a code record.
pub(crate) fn decode_code_record(bytes: &[u8]) -> Result<(CodeId, Address), VmError> {
    if bytes.len() != 52 {
        return Err(VmError::Corrupt("CosmWasm code record".into()));
    }
    Ok((
        CodeId(bytes[..32].try_into().expect("32 bytes")),
        Address(bytes[32..].try_into().expect("20 bytes")),
    ))
}

impl Tx<'_> {
    fn gas_left(&self) -> Gas {
        self.gas_limit.saturating_sub(self.gas_used)
    }

    /// Validates and stores `code` (inflated first if gzip-compressed) once, assigning it
    /// the next code number; the id is that of the inflated module. Its deploy gas is
    /// paid first, before it is validated or compiled (`docs/gas.md`, "Deploy gas").
    fn store_code(&mut self, state: &mut Journal, creator: Address, code: &[u8]) -> Step<(CodeId, u64)> {
        let code = self.shared.inflate(code).map_err(Fail::Contract)?;
        let code = code.as_ref();
        let (cost, left) = (self.shared.deploy_gas(code.len()), self.gas_left());
        if cost > left {
            self.gas_used = self.gas_limit;
            let n = code.len();
            return err(
                ErrorKind::OutOfGas,
                format!("storing {n} bytes of code costs {cost} gas (wasm.gas.deploy); {left} gas is left"),
            );
        }
        self.gas_used += cost;
        let id = CodeId::of(code);
        self.shared.module(id, code).map_err(Fail::Contract)?;
        if let Some(n) = state.get(&keys::cosmwasm_code_number(&id))?.and_then(|v| keys::decode_u64(&v)) {
            return Ok((id, n));
        }
        let n = state.get(&keys::cosmwasm_next_code())?.and_then(|v| keys::decode_u64(&v)).unwrap_or(1);
        state.set(&keys::cosmwasm_next_code(), &(n + 1).to_be_bytes());
        state.set(&keys::cosmwasm_code_number(&id), &n.to_be_bytes());
        state.set(&keys::cosmwasm_code(n), &[&id.0[..], &creator.0[..]].concat());
        if state.get(&keys::code(&id))?.is_none() {
            state.set(&keys::code(&id), code);
        }
        Ok((id, n))
    }

    fn code_of_number(&self, state: &Journal, n: u64) -> Step<CodeId> {
        match state.get(&keys::cosmwasm_code(n))? {
            Some(record) => Ok(decode_code_record(&record)?.0),
            None => err(ErrorKind::NotFound, format!("no CosmWasm code with id {n}")),
        }
    }

    fn contract(&self, state: &Journal, address: &Address) -> Step<ContractInfo> {
        match load_cosmwasm(state, address)? {
            Some(info) => Ok(info),
            None => err(
                ErrorKind::NotFound,
                format!("no CosmWasm contract at {}", self.shared.addresses.humanize(address)),
            ),
        }
    }

    fn human(&self, address: &Address) -> String {
        self.shared.addresses.humanize(address)
    }

    /// Runs one entry point of `contract` with `args` (`query` read-only), paying its
    /// gas; `depth` is the message depth it runs at.
    fn call(
        &mut self,
        state: &mut Journal,
        contract: Address,
        info: &ContractInfo,
        entry: &str,
        args: &[&[u8]],
        depth: u32,
    ) -> Step<Vec<u8>> {
        // Only `query` is read-only.
        let read_only = entry == "query";
        let module = match &mut self.profile {
            Some(p) => p.module(self.shared, state, &info.code_id)?,
            None => self.shared.stored_module(state, &info.code_id)?,
        };
        let min_args = if entry == "migrate" { 2 } else { args.len() };
        let call = EntryCall {
            contract,
            ctx: self.ctx,
            read_only,
            depth: 0,
            frame: self.frame.below(depth, &self.path),
            entry,
            args,
            min_args,
            gas_limit: self.gas_left(),
        };
        let taken = std::mem::replace(state, Journal::stand_in());
        let profiled = self.profile.is_some();
        let (journal, outcome) = instance::run_maybe_profiled(self.shared, &module, taken, &call, profiled);
        *state = journal;
        let mut outcome = outcome.map_err(engine_fault)?;
        if let (Some(p), Some(profile)) = (&mut self.profile, outcome.profile.take()) {
            p.add(&info.code_id, entry, &contract_name(self.shared, &contract), profile);
        }
        self.gas_used = self.gas_used.saturating_add(outcome.gas_used);
        self.debug.extend(outcome.debug);
        outcome.result.map_err(Fail::Contract)
    }

    #[allow(clippy::too_many_arguments)]
    fn instantiate(
        &mut self,
        state: &mut Journal,
        sender: Address,
        code: CodeId,
        msg: &[u8],
        funds: &[Coin],
        label: &str,
        admin: Option<Address>,
        salt: Option<&[u8]>,
        depth: u32,
    ) -> Step<(Address, Option<Vec<u8>>)> {
        let address = match salt {
            Some(salt) => {
                if !(1..=MAX_SALT_LEN).contains(&salt.len()) {
                    return err(
                        ErrorKind::InvalidArgument,
                        format!("an instantiate2 salt is 1 to {MAX_SALT_LEN} bytes, not {}", salt.len()),
                    );
                }
                instantiate2_address(&code, &sender, salt)
            }
            None => {
                let nonce = state.get(&keys::nonce(&sender))?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
                state.set(&keys::nonce(&sender), &(nonce + 1).to_be_bytes());
                Address::contract(&sender, nonce)
            }
        };
        self.admit(&address, depth)?;
        if vm::load_contract(state, &address)?.is_some() {
            return err(
                ErrorKind::InvalidArgument,
                format!("an account already exists at {}", self.human(&address)),
            );
        }
        let info = ContractInfo {
            vm: types::VmType::CosmWasm,
            code_id: code,
            creator: sender,
            admin,
            created_height: self.ctx.block.height,
            flags: vm::AppFlags::DEFAULT,
        };
        state.set(&keys::contract(&address), &info.encode());
        if !label.is_empty() {
            state.set(&keys::cosmwasm_label(&address), label.as_bytes());
        }
        self.move_funds(state, &sender, &address, funds)?;
        let number =
            state.get(&keys::cosmwasm_code_number(&code))?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
        self.emit(address, "instantiate", vec![attr("code_id", number.to_string())]);
        let env = env_json(self.shared, &self.ctx, &address);
        let info_json = serde_json::to_vec(&msg::MessageInfo { sender: &self.human(&sender), funds })
            .expect("serializes");
        let out = self.call(state, address, &info, "instantiate", &[&env, &info_json, msg], depth)?;
        let data = self.handle_response(state, address, &out, depth)?;
        Ok((address, data))
    }

    fn execute(
        &mut self,
        state: &mut Journal,
        sender: Address,
        contract: Address,
        msg: &[u8],
        funds: &[Coin],
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        let info = self.contract(state, &contract)?;
        self.admit(&contract, depth)?;
        self.move_funds(state, &sender, &contract, funds)?;
        self.emit(contract, "execute", Vec::new());
        let env = env_json(self.shared, &self.ctx, &contract);
        let info_json = serde_json::to_vec(&msg::MessageInfo { sender: &self.human(&sender), funds })
            .expect("serializes");
        let out = self.call(state, contract, &info, "execute", &[&env, &info_json, msg], depth)?;
        self.handle_response(state, contract, &out, depth)
    }

    fn query(&mut self, state: &mut Journal, contract: Address, msg: &[u8]) -> Step<Vec<u8>> {
        let info = self.contract(state, &contract)?;
        let env = env_json(self.shared, &self.ctx, &contract);
        let out = self.call(state, contract, &info, "query", &[&env, msg], 0)?;
        query_result(&out).map_err(Fail::Contract)
    }

    fn migrate(
        &mut self,
        state: &mut Journal,
        sender: Address,
        contract: Address,
        code: CodeId,
        msg: &[u8],
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        let mut info = self.admin_only(state, sender, contract, "migrate it")?;
        self.admit(&contract, depth)?;
        info.code_id = code;
        state.set(&keys::contract(&contract), &info.encode());
        let number =
            state.get(&keys::cosmwasm_code_number(&code))?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
        self.emit(contract, "migrate", vec![attr("code_id", number.to_string())]);
        let env = env_json(self.shared, &self.ctx, &contract);
        let migrate_info = serde_json::to_vec(
            &serde_json::json!({"sender": self.human(&sender), "old_migrate_version": null}),
        )
        .expect("serializes");
        let out = self.call(state, contract, &info, "migrate", &[&env, msg, &migrate_info], depth)?;
        self.handle_response(state, contract, &out, depth)
    }

    fn sudo(
        &mut self,
        state: &mut Journal,
        contract: Address,
        msg: &[u8],
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        let info = self.contract(state, &contract)?;
        self.emit(contract, "sudo", Vec::new());
        let env = env_json(self.shared, &self.ctx, &contract);
        let out = self.call(state, contract, &info, "sudo", &[&env, msg], depth)?;
        self.handle_response(state, contract, &out, depth)
    }

    /// Moves `funds` (none: nothing, no events) with the bank module's events, as the
    /// Cosmos SDK's `SendCoins` emits them: `coin_spent`, `coin_received`, `transfer`.
    fn move_funds(&mut self, state: &mut Journal, from: &Address, to: &Address, funds: &[Coin]) -> Step<()> {
        if funds.is_empty() {
            return Ok(());
        }
        self.shared.bank.send(state, from, to, funds)?.map_err(Fail::Contract)?;
        let (from_h, to_h, amount) = (self.human(from), self.human(to), coins_string(funds));
        self.emit_bank(
            *from,
            "coin_spent",
            vec![attr("spender", from_h.clone()), attr("amount", amount.clone())],
        );
        self.emit_bank(
            *from,
            "coin_received",
            vec![attr("receiver", to_h.clone()), attr("amount", amount.clone())],
        );
        let transfer = vec![attr("recipient", to_h), attr("sender", from_h), attr("amount", amount)];
        self.emit_bank(*from, "transfer", transfer);
        Ok(())
    }

    /// Burns `funds` with the bank module's `coin_spent` and `burn` events.
    fn burn_funds(&mut self, state: &mut Journal, from: &Address, funds: &[Coin]) -> Step<()> {
        if funds.is_empty() {
            return Ok(());
        }
        self.shared.bank.burn(state, from, funds)?.map_err(Fail::Contract)?;
        let (from_h, amount) = (self.human(from), coins_string(funds));
        self.emit_bank(
            *from,
            "coin_spent",
            vec![attr("spender", from_h.clone()), attr("amount", amount.clone())],
        );
        self.emit_bank(*from, "burn", vec![attr("burner", from_h), attr("amount", amount)]);
        Ok(())
    }

    /// Records an event of the bank module (no `_contract_address`: not a contract's).
    fn emit_bank(&mut self, account: Address, ty: &str, attributes: Vec<Attribute>) {
        self.record(account, Event { ty: ty.to_string(), attributes });
    }

    fn record(&mut self, account: Address, event: Event) {
        let attributes: usize = event.attributes.iter().map(|a| a.key.len() + a.value.len()).sum();
        self.event_bytes = self.event_bytes.saturating_add(account.0.len() + event.ty.len() + attributes);
        self.events.push(Recorded::CosmWasm(account, event));
    }

    /// Fails once the transaction's events pass [`MAX_TX_EVENT_BYTES`].
    fn check_event_bytes(&self) -> Step<()> {
        if self.event_bytes > MAX_TX_EVENT_BYTES {
            return err(
                ErrorKind::InvalidArgument,
                format!(
                    "the transaction's events reach {} bytes, over MAX_TX_EVENT_BYTES ({MAX_TX_EVENT_BYTES})",
                    self.event_bytes
                ),
            );
        }
        Ok(())
    }

    /// Turns an entry point's `ContractResult<Response>` into events and runs its
    /// messages; returns the data (a reply's data overrides it).
    fn handle_response(
        &mut self,
        state: &mut Journal,
        contract: Address,
        bytes: &[u8],
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        let response = match serde_json::from_slice::<ContractResult<msg::Response>>(bytes) {
            Ok(ContractResult::Ok(r)) => r,
            Ok(ContractResult::Error(e)) => return err(ErrorKind::Aborted, e),
            Err(e) => {
                return err(
                    ErrorKind::Trap,
                    format!("the contract's result is not a ContractResult<Response>: {e}"),
                );
            }
        };
        if !response.attributes.is_empty() {
            self.emit(contract, "wasm", response.attributes);
        }
        for e in response.events {
            if e.ty.len() < 2 {
                return err(
                    ErrorKind::InvalidArgument,
                    format!("event type {:?} is shorter than 2 characters", e.ty),
                );
            }
            self.emit(contract, &format!("wasm-{}", e.ty), e.attributes);
        }
        self.check_event_bytes()?;
        let mut data = response.data;
        for sub in response.messages {
            if let Some(reply_data) = self.sub_message(state, contract, sub, depth)? {
                data = Some(reply_data);
            }
            self.check_event_bytes()?;
        }
        Ok(data)
    }

    /// Runs one sub-message; returns the data of the `reply` it triggered, if any.
    fn sub_message(
        &mut self,
        state: &mut Journal,
        contract: Address,
        sub: SubMsg,
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        let checkpoint = state.checkpoint();
        let (events_before, event_bytes_before) = (self.events.len(), self.event_bytes);
        let gas_before = self.gas_used;
        // A sub-message's gas limit caps its share of the budget.
        let outer_limit = self.gas_limit;
        if let Some(limit) = sub.gas_limit {
            self.gas_limit = outer_limit.min(self.gas_used.saturating_add(limit));
        }
        self.path.push(contract);
        let result = self.dispatch(state, contract, sub.msg, depth + 1);
        self.path.pop();
        let capped = self.gas_limit < outer_limit;
        self.gas_limit = outer_limit;
        let catches = matches!(sub.reply_on, ReplyOn::Error | ReplyOn::Always);
        let result = match result {
            Ok(data) => {
                state.accept(checkpoint);
                Ok(data)
            }
            // Out of gas without a limit of its own is the whole transaction's, never caught;
            // a timeout is the node's (not a result the contract may see), never caught.
            Err(Fail::Contract(e))
                if catches && e.kind != ErrorKind::Timeout && (e.kind != ErrorKind::OutOfGas || capped) =>
            {
                state.revert(checkpoint);
                self.events.truncate(events_before);
                self.event_bytes = event_bytes_before;
                Err(e)
            }
            Err(f) => return Err(f),
        };
        let replies = match &result {
            Ok(_) => matches!(sub.reply_on, ReplyOn::Success | ReplyOn::Always),
            Err(_) => true,
        };
        if !replies {
            return Ok(None);
        }
        let reply = msg::Reply {
            id: sub.id,
            payload: sub.payload.unwrap_or_default(),
            gas_used: self.gas_used - gas_before,
            result: match result {
                Ok(data) => msg::SubMsgResult::Ok(msg::SubMsgResponse {
                    events: self.events[events_before..]
                        .iter()
                        .map(|e| match e {
                            Recorded::CosmWasm(_, e) => e.clone(),
                            Recorded::Cove(e) => foreign::event(&self.shared.addresses, e),
                        })
                        .collect(),
                    data,
                    msg_responses: Vec::new(),
                }),
                Err(e) => msg::SubMsgResult::Error(e.message),
            },
        };
        let info = self.contract(state, &contract)?;
        let env = env_json(self.shared, &self.ctx, &contract);
        let reply_json = serde_json::to_vec(&reply).expect("serializes");
        self.emit(contract, "reply", Vec::new());
        let out = self.call(state, contract, &info, "reply", &[&env, &reply_json], depth)?;
        self.handle_response(state, contract, &out, depth)
    }

    /// Executes one `CosmosMsg` sent by `sender`; returns its data.
    fn dispatch(
        &mut self,
        state: &mut Journal,
        sender: Address,
        msg: serde_json::Value,
        depth: u32,
    ) -> Step<Option<Vec<u8>>> {
        if depth > self.shared.config.limits.max_message_depth {
            return err(
                ErrorKind::Aborted,
                format!("message depth limit of {} exceeded", self.shared.config.limits.max_message_depth),
            );
        }
        let kind = msg.as_object().and_then(|m| m.keys().next().cloned()).unwrap_or_default();
        // A module's kind is known only where its capability is listed; elsewhere (a chain
        // configured before the modules existed) every answer is the one it always gave.
        let config = &self.shared.config;
        let known = matches!(kind.as_str(), "bank" | "wasm")
            || (Config::module_capability(&kind).is_some() && config.runs(&kind));
        let parsed: CosmosMsg = match serde_json::from_value(msg) {
            Ok(m) if known => m,
            Err(e) if known => {
                return err(
                    ErrorKind::InvalidArgument,
                    format!("unsupported or malformed {kind} message: {e}"),
                );
            }
            _ if !config.runs("staking") && !config.runs("stargate") => {
                return err(
                    ErrorKind::InvalidArgument,
                    format!("unsupported message kind {kind:?} (cove runs bank and wasm messages)"),
                );
            }
            _ => {
                return err(
                    ErrorKind::InvalidArgument,
                    format!(
                        "unsupported message kind {kind:?} (cove runs bank, wasm, and where the chain's \
                         capabilities list them staking, distribution, gov and protobuf any/stargate \
                         messages)"
                    ),
                );
            }
        };
        let address = |human: &str| {
            self.shared
                .addresses
                .validate(human)
                .map_err(|e| Fail::Contract(CallError::new(ErrorKind::InvalidArgument, e)))
        };
        match parsed {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                let to = address(&to_address)?;
                self.move_funds(state, &sender, &to, &amount)?;
                Ok(None)
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                self.burn_funds(state, &sender, &amount)?;
                Ok(None)
            }
            CosmosMsg::Wasm(WasmMsg::Execute { contract_addr, msg, funds }) => {
                let contract = address(&contract_addr)?;
                match vm::load_contract(state, &contract)? {
                    Some(info) if info.vm != VmType::CosmWasm => {
                        self.execute_foreign(state, sender, contract, info.vm, &msg, &funds, depth)
                    }
                    _ => self.execute(state, sender, contract, &msg, &funds, depth),
                }
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate { admin, code_id, msg, funds, label }) => {
                let admin = admin.map(|a| address(&a)).transpose()?;
                let code = self.code_of_number(state, code_id)?;
                let (created, data) =
                    self.instantiate(state, sender, code, &msg, &funds, &label, admin, None, depth)?;
                // wasmd's `MsgInstantiateContractResponse` (protobuf): field 1 the address, field 2 the data.
                Ok(Some(instantiate_response(&self.human(&created), data.as_deref())))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate2 { admin, code_id, label, msg, funds, salt }) => {
                let admin = admin.map(|a| address(&a)).transpose()?;
                let code = self.code_of_number(state, code_id)?;
                let (created, data) =
                    self.instantiate(state, sender, code, &msg, &funds, &label, admin, Some(&salt), depth)?;
                // wasmd answers `MsgInstantiateContract2Response`, the same two fields.
                Ok(Some(instantiate_response(&self.human(&created), data.as_deref())))
            }
            CosmosMsg::Wasm(WasmMsg::Migrate { contract_addr, new_code_id, msg }) => {
                let contract = address(&contract_addr)?;
                let code = self.code_of_number(state, new_code_id)?;
                self.migrate(state, sender, contract, code, &msg, depth)
            }
            CosmosMsg::Wasm(WasmMsg::UpdateAdmin { contract_addr, admin }) => {
                let contract = address(&contract_addr)?;
                let admin = address(&admin)?;
                self.set_admin(state, sender, contract, Some(admin))
            }
            CosmosMsg::Wasm(WasmMsg::ClearAdmin { contract_addr }) => {
                let contract = address(&contract_addr)?;
                self.set_admin(state, sender, contract, None)
            }
            CosmosMsg::Staking(msg) => self.staking(state, sender, msg),
            CosmosMsg::Distribution(msg) => self.distribution(state, sender, msg),
            CosmosMsg::Gov(msg) => self.gov(state, sender, msg),
            CosmosMsg::Stargate { type_url, value }
            | CosmosMsg::Any(crate::msg::AnyMsg { type_url, value }) => {
                self.any(state, sender, &type_url, &value)
            }
        }
    }

    /// Records an event of type `ty` from `contract`, its first attribute
    /// `_contract_address` as wasmd emits.
    fn emit(&mut self, contract: Address, ty: &str, attributes: Vec<Attribute>) {
        let mut all = Vec::with_capacity(attributes.len() + 1);
        all.push(attr("_contract_address", self.human(&contract)));
        all.extend(attributes);
        self.record(contract, Event { ty: ty.to_string(), attributes: all });
    }

    /// The record of `contract`, if `sender` is its admin; `Unauthorized` otherwise.
    fn admin_only(
        &self,
        state: &Journal,
        sender: Address,
        contract: Address,
        what: &str,
    ) -> Step<ContractInfo> {
        let info = self.contract(state, &contract)?;
        if info.admin != Some(sender) {
            return err(
                ErrorKind::Unauthorized,
                format!("only the admin of {} may {what}", self.human(&contract)),
            );
        }
        Ok(info)
    }

    fn set_admin(
        &mut self,
        state: &mut Journal,
        sender: Address,
        contract: Address,
        admin: Option<Address>,
    ) -> Step<Option<Vec<u8>>> {
        let mut info = self.admin_only(state, sender, contract, "change its admin")?;
        info.admin = admin;
        state.set(&keys::contract(&contract), &info.encode());
        Ok(None)
    }
}

fn attr(key: &str, value: String) -> Attribute {
    Attribute { key: key.into(), value }
}

/// Coins as the Cosmos SDK prints them: `100ucove,5uatom`, in the order given.
fn coins_string(coins: &[Coin]) -> String {
    coins.iter().map(|c| format!("{}{}", c.amount, c.denom)).collect::<Vec<_>>().join(",")
}

/// The longest `Instantiate2` salt (wasmd: 64 bytes).
pub const MAX_SALT_LEN: usize = 64;

/// The address `Instantiate2` gives: cosmwasm-std's `instantiate2_address` (wasmd's
/// `BuildContractAddressPredictable`, without the message) cut to cove's 20 bytes, as
/// chains with 20-byte addresses do. It depends only on the code's checksum, the
/// creator and the salt, so a contract can know it before the instantiation.
pub(crate) fn instantiate2_address(checksum: &CodeId, creator: &Address, salt: &[u8]) -> Address {
    let mut key = b"wasm\0".to_vec();
    for part in [&checksum.0[..], &creator.0[..], salt, &[]] {
        key.extend_from_slice(&(part.len() as u64).to_be_bytes());
        key.extend_from_slice(part);
    }
    // ADR-028's module address: sha256(sha256("module") || key).
    let mut input = types::sha256(b"module").to_vec();
    input.extend_from_slice(&key);
    let hash = types::sha256(&input);
    Address(hash[..20].try_into().expect("20 of 32 bytes"))
}

/// Protobuf `MsgInstantiateContractResponse { address = 1; data = 2 }`.
fn instantiate_response(address: &str, data: Option<&[u8]>) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
        out.push(tag << 3 | 2);
        let mut len = bytes.len();
        while len >= 0x80 {
            out.push((len as u8) | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    field(&mut out, 1, address.as_bytes());
    if let Some(d) = data.filter(|d| !d.is_empty()) {
        field(&mut out, 2, d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cosmwasm-std 2.3.5's `instantiate2_address_impl_works` vectors (no message), cut
    /// to 20 bytes.
    #[test]
    fn instantiate2_addresses_are_cosmwasm_std_s() {
        let checksum = CodeId(
            hex::decode("13a1fc994cc6d1c81b746ee0c0ff6f90043875e0bf1d9be6b7d779fc978dc2a5")
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let creator: Address = "9999999999aaaaaaaaaabbbbbbbbbbcccccccccc".parse().unwrap();
        let address = instantiate2_address(&checksum, &creator, &[0x61]);
        assert_eq!(hex::encode(address.0), "5e865d3e45ad3e961f77fd77d46543417ced44d9");
        let long_salt = hex::decode("aabbccddeeffffeeddbbccddaa66551155aaaabbcc787878789900aabbccddeeffffeeddbbccddaa66551155aaaabbcc787878789900aabbbbcc221100acadae").unwrap();
        let address = instantiate2_address(&checksum, &creator, &long_salt);
        assert_eq!(hex::encode(address.0), "9384c6248c0bb171e306fd7da0993ec1e20eba00");
    }
}
