//! Calls from EVM contracts to contracts of the other VMs: the precompile at
//! [`COVE_CALL_ADDRESS`] (`docs/evm.md`, "Calling other VMs").
//!
//! This module owns the precompile provider the EVM runs with ([`CrossVm`]: revm's
//! precompiles plus this one) and what makes a call out of revm sound, with
//! `linked.rs`: revm keeps a message's changes in memory until the message ends, while
//! the callee reads and writes cove's journal. So before the call every open EVM frame
//! gets a cove checkpoint (`LinkedJournal::link`: a frame that reverts later undoes the
//! call in cove's journal too), the EVM's pending changes are written to the journal
//! (`flush`), and after it revm's cached accounts and slots are refreshed from the
//! journal through revm journal entries (`refresh`), which revm reverts with the frame;
//! transient storage goes out and comes back the same way (`transient.rs`). The call
//! stack the callee is checked against holds every open EVM frame's address (`frames`,
//! kept by `handler.rs`).
//!
//! It refuses (a revert, running nothing) a message that created or destroyed a
//! contract before the call: revm keeps a new contract's storage in memory only, and
//! assumes nothing else writes it.

use std::sync::Arc;

use revm::context::journal::{JournalEntry, JournalEntryTr};
use revm::handler::{EthPrecompiles, PrecompileProvider, precompile_output_to_interpreter_result};
use revm::interpreter::{CallInputs, InterpreterResult};
use revm::precompile::{PrecompileHalt, PrecompileOutput};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address as EvmAddress, AddressSet, Bytes, TxKind, U256};
use types::{Address, BlockInfo, CallError, ErrorKind, Event};
use vm::{Balance, Dispatch, Env, Message, Target, VmError, accounts};

use crate::db::{self, JournalDb, to_cove};
use crate::{solidity, transient};

/// The precompile through which an EVM contract calls a contract of another VM (or an
/// EVM contract, as a separate message), with the Solidity ABI
/// `call(address target, string entry, bytes input) returns (bytes)`
/// (`examples/evm/ICove.sol`): `0x00000000000000000000000000000000000C0E00`, far from
/// Ethereum's precompiles (`0x01`-`0x11`, `0x100`) and system contracts.
pub const COVE_CALL_ADDRESS: [u8; 20] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0x0e, 0x00];

/// EVM gas the precompile charges for itself, before the callee's gas.
pub const COVE_CALL_BASE_GAS: u64 = 2_600;

/// EVM gas the precompile charges per 32-byte word of its calldata (copying the entry
/// point and the input out of the EVM), as the EVM's own copies are priced.
pub const COVE_CALL_WORD_GAS: u64 = 3;
/// Gas of a call to another VM per account, per storage slot and per non-zero transient
/// slot the EVM holds when it calls (a warm `SLOAD`'s price): each is written to cove's
/// journal before the callee runs and read back after.
pub const COVE_CALL_HELD_GAS: u64 = 100;

/// The EVM context cove runs revm with: mainnet's, with cove checkpoints linked to
/// revm's frames (`linked.rs`).
pub(crate) type CoveContext = revm::Context<
    revm::context::BlockEnv,
    revm::context::TxEnv,
    revm::context::CfgEnv,
    JournalDb,
    crate::linked::LinkedJournal,
    (),
>;

/// The message an EVM execution belongs to, as the precompile needs it to send one
/// (owned: revm's EVM outlives any one message's borrowed environment). Kept in the
/// pooled EVM and filled in place per message ([`CrossVm::begin`]): no allocation once
/// its call stack has grown to the deepest one seen.
pub(crate) struct Outer {
    /// The runtime's dispatch; `None` between messages, so that an idle EVM keeps no
    /// runtime alive.
    dispatch: Option<Arc<dyn Dispatch>>,
    block: BlockInfo,
    pub(crate) depth: u32,
    callers: Vec<Address>,
    pub(crate) read_only: bool,
}

/// What the calls of one message left for its end (`lib.rs`'s `finish`).
#[derive(Debug, Default)]
pub(crate) struct Calls {
    /// Whether a call flushed the EVM's changes to the journal: the write-back must
    /// then write every slot revm holds of a touched account ([`db::commit`]).
    pub(crate) flushed: bool,
    /// The events of successful callees whose frames did not revert, each with the
    /// number of EVM logs before it (kept by [`crate::linked::LinkedJournal`], which
    /// drops those of a frame that reverts).
    pub(crate) events: Vec<(usize, Vec<Event>)>,
    /// A node fault (a storage failure, a timeout) that ended the message.
    pub(crate) fault: Option<Fault>,
    /// A nested message's transient storage as it ended, for the journal if it
    /// succeeded (`transient.rs`); `None` for a transaction's message.
    pub(crate) transient: Option<revm::state::TransientStorage>,
}

/// A failure no contract may catch.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The node failed.
    Node(VmError),
    /// The wall-clock backstop fired below ([`ErrorKind::Timeout`]).
    Timeout(CallError),
}

/// revm's precompiles plus, if enabled, [`COVE_CALL_ADDRESS`].
pub(crate) struct CrossVm {
    eth: EthPrecompiles,
    enabled: bool,
    outer: Outer,
    calls: Calls,
    /// The address each open EVM frame runs as, outermost first (kept by the handler,
    /// `handler.rs`): a `CALL`'s or `STATICCALL`'s target, a `DELEGATECALL`'s or
    /// `CALLCODE`'s caller. The call stack a call to another VM is checked against.
    pub(crate) frames: Vec<EvmAddress>,
}

impl CrossVm {
    /// `eth`, plus the cross-VM precompile if `enabled`.
    pub(crate) fn new(eth: EthPrecompiles, enabled: bool) -> CrossVm {
        let outer = Outer {
            dispatch: None,
            block: BlockInfo { height: 0, timestamp: 0 },
            depth: 0,
            callers: Vec::new(),
            read_only: false,
        };
        CrossVm { eth, enabled, outer, calls: Calls::default(), frames: Vec::new() }
    }

    /// Starts a message of `env` (run read-only if `read_only`): calls go to its
    /// dispatch (no `env`: refused).
    pub(crate) fn begin(&mut self, env: Option<&Env<'_>>, read_only: bool) {
        let outer = &mut self.outer;
        outer.callers.clear();
        outer.read_only = read_only;
        match env {
            Some(env) => {
                outer.dispatch = Some(env.dispatch.clone());
                outer.block = *env.block;
                outer.depth = env.depth;
                outer.callers.extend_from_slice(env.callers);
            }
            None => {
                outer.dispatch = None;
                outer.depth = 0;
            }
        }
        self.calls = Calls::default();
        self.frames.clear();
    }

    /// The message begun, as [`CrossVm::begin`] recorded it.
    pub(crate) fn outer(&self) -> &Outer {
        &self.outer
    }

    /// Ends a message: what its calls left.
    pub(crate) fn end(&mut self) -> Calls {
        self.outer.dispatch = None;
        std::mem::take(&mut self.calls)
    }
}

impl std::fmt::Debug for CrossVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossVm").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

impl PrecompileProvider<CoveContext> for CrossVm {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <EthPrecompiles as PrecompileProvider<CoveContext>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        ctx: &mut CoveContext,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        if self.enabled && inputs.bytecode_address == EvmAddress::from(COVE_CALL_ADDRESS) {
            let output = self.call(ctx, inputs)?;
            return Ok(Some(precompile_output_to_interpreter_result(output, inputs.gas_limit)));
        }
        self.eth.run(ctx, inputs)
    }

    /// Only revm's: the cross-VM precompile's address is not warm from the start (a
    /// first call to it pays the cold access), so that adding it changes nothing for
    /// messages that do not call it.
    fn warm_addresses(&self) -> &AddressSet {
        self.eth.warm_addresses()
    }

    fn contains(&self, address: &EvmAddress) -> bool {
        self.eth.contains(address) || (self.enabled && *address == EvmAddress::from(COVE_CALL_ADDRESS))
    }
}

impl CrossVm {
    /// Runs one call of the precompile. `Err` ends the message (a node fault, kept in
    /// `self.calls.fault`).
    fn call(&mut self, ctx: &mut CoveContext, inputs: &CallInputs) -> Result<PrecompileOutput, String> {
        let reservoir = inputs.reservoir;
        let data = inputs.input.as_bytes(ctx).to_vec();
        let words = (data.len() as u64).div_ceil(32);
        // The flush and refresh around the call walk every account and slot revm holds,
        // transient slots included.
        let inner = &ctx.journaled_state.revm.inner;
        let held: u64 = inner.state.values().map(|a| 1 + a.storage.len() as u64).sum::<u64>()
            + transient::held(&inner.transient_storage);
        let base = COVE_CALL_BASE_GAS
            .saturating_add(COVE_CALL_WORD_GAS.saturating_mul(words))
            .saturating_add(COVE_CALL_HELD_GAS.saturating_mul(held));
        if inputs.gas_limit < base {
            return Ok(PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir));
        }
        let refuse = |reason: &str| {
            Ok(PrecompileOutput::revert(base, solidity::error_string(reason).into(), reservoir))
        };
        let outer = &self.outer;
        let Some(dispatch) = &outer.dispatch else {
            return refuse("cove: no runtime to dispatch the call to");
        };
        let here = EvmAddress::from(COVE_CALL_ADDRESS);
        if inputs.target_address != here {
            return refuse("cove: call the precompile with CALL or STATICCALL");
        }
        // Only EVM contracts call it: a message sent straight to it has a sender that
        // counts its gas in another unit (or none), which the gas rate would misread.
        if ctx.tx.kind == TxKind::Call(here) {
            return refuse("cove: the precompile is called by EVM contracts, not sent a message");
        }
        if ctx.journaled_state.revm.inner.state.values().any(|a| a.is_created() || a.is_selfdestructed()) {
            return refuse("cove: no call to another VM in a message that created or destroyed a contract");
        }
        let Some(args) = solidity::decode_call(&data) else {
            return refuse("cove: the input is not call(address,string,bytes)");
        };
        let value = inputs.value.get();
        let read_only = outer.read_only || inputs.is_static;
        if read_only && !value.is_zero() {
            return refuse("cove: a read-only call cannot send value");
        }
        let sender = to_cove(inputs.caller);
        // The stack: the EVM message's, then the address of every open EVM frame, from the
        // message's contract to the calling contract (a contract calling itself counted
        // once).
        let mut callers = Vec::with_capacity(outer.callers.len() + self.frames.len() + 1);
        callers.extend_from_slice(&outer.callers);
        for address in self.frames.iter().map(|a| to_cove(*a)).chain([sender]) {
            if callers.last() != Some(&address) {
                callers.push(address);
            }
        }
        let env = Env { block: &outer.block, depth: outer.depth, dispatch, callers: &callers };
        let msg = Message {
            sender,
            target: Target::Call(Address(args.target)),
            entry: &args.entry,
            input: args.input,
            value: Balance(value.to_be_bytes()),
            gas_limit: Some(inputs.gas_limit - base),
            read_only,
            callee: None,
        };

        self.calls.flushed = true;
        // From here on a revert of any open frame undoes the call in cove's journal too.
        ctx.journaled_state.link();
        let (journal, events) = (&mut ctx.journaled_state.revm, &mut ctx.journaled_state.events);
        // A read-only message leaves the journal as it found it, flush included.
        let undo = outer.read_only.then(|| journal.database.journal.checkpoint());
        let outcome = flush(journal, sender, &outer.block, value)
            .and_then(|()| dispatch.dispatch(&mut journal.database.journal, &env, msg))
            .and_then(|o| refresh(journal).map(|()| o));
        if let Some(checkpoint) = undo {
            journal.database.journal.revert(checkpoint);
        }
        // The callee wrote the journal: no decoded account stays exact.
        journal.database.seen.forget_all();
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => return Err(self.fault(Fault::Node(e))),
        };
        let used = base.saturating_add(outcome.gas_used).min(inputs.gas_limit);
        match outcome.result {
            Ok(output) => {
                // A read-only callee's events are dropped with its writes (a callee of
                // another VM fails on a write; an EVM one runs and is discarded).
                if !read_only && !outcome.events.is_empty() {
                    events.push((journal.inner.logs.len(), outcome.events));
                }
                Ok(PrecompileOutput::new(used, solidity::encode_bytes(&output).into(), reservoir))
            }
            Err(e) if e.kind == ErrorKind::Timeout => Err(self.fault(Fault::Timeout(e))),
            Err(e) => Ok(PrecompileOutput::revert(used, Bytes::from(failure_data(e)), reservoir)),
        }
    }

    fn fault(&mut self, fault: Fault) -> String {
        let text = match &fault {
            Fault::Node(e) => e.to_string(),
            Fault::Timeout(e) => e.message.clone(),
        };
        self.calls.fault = Some(fault);
        text
    }
}

/// What a failed callee leaves as the precompile's revert data: only what its contract
/// wrote, its revert data (EVM) or its abort message. A failure the host describes (a
/// trap, out of gas, a refused call) leaves none: the host's wording comes from
/// wasmtime or revm and may change with their versions (as for `call` in cove's ABI).
fn failure_data(e: CallError) -> Vec<u8> {
    match e.kind {
        ErrorKind::Reverted => e.data,
        ErrorKind::Aborted => e.message.into_bytes(),
        _ => Vec::new(),
    }
}

/// Writes what revm holds of every touched account into the journal, then gives the
/// precompile's `value` (already moved to its account by revm) back to `sender` there,
/// for the callee's message to move it on.
fn flush(
    journal: &mut revm::Journal<JournalDb>,
    sender: Address,
    block: &BlockInfo,
    value: U256,
) -> Result<(), VmError> {
    let db = &mut journal.database;
    db::commit(&mut db.journal, &journal.inner.state, &mut db.seen, sender, block, true)?;
    transient::store(&mut db.journal, &journal.inner.transient_storage);
    if !value.is_zero() {
        let amount = Balance(value.to_be_bytes());
        let here = Address(COVE_CALL_ADDRESS);
        let (held, has) = (accounts::balance(&db.journal, &here)?, accounts::balance(&db.journal, &sender)?);
        let left = held.checked_sub(amount).ok_or_else(|| corrupt("the precompile's balance"))?;
        let back = has.checked_add(amount).ok_or_else(|| corrupt("the caller's balance"))?;
        accounts::set_balance(&mut db.journal, &here, left)?;
        accounts::set_balance(&mut db.journal, &sender, back)?;
    }
    Ok(())
}

fn corrupt(what: &str) -> VmError {
    VmError::Corrupt(format!("{what} does not match the EVM's after a flush"))
}

/// Brings revm's cached accounts (balance, nonce, code) and slots in line with the
/// journal, recording each change as a revm journal entry so a revert of the
/// precompile's frame undoes it with the frame.
fn refresh(journal: &mut revm::Journal<JournalDb>) -> Result<(), VmError> {
    let db = &journal.database;
    let inner = &mut journal.inner;
    transient::refresh(&db.journal, inner);
    for (&address, account) in inner.state.iter_mut() {
        let now = db::account_info(&db.journal, address)?;
        if now.balance != account.info.balance {
            inner.journal.push(JournalEntry::balance_changed(address, account.info.balance));
            account.info.balance = now.balance;
        }
        if now.nonce != account.info.nonce {
            inner.journal.push(JournalEntry::nonce_changed(address, account.info.nonce));
            account.info.nonce = now.nonce;
        }
        if now.code_hash != account.info.code_hash {
            let had_code = account.info.code.take();
            inner.journal.push(JournalEntry::code_changed(address, account.info.code_hash, had_code));
            // Loaded again, by hash, when revm next needs it.
            account.info.code_hash = now.code_hash;
        }
        for (&key, slot) in account.storage.iter_mut() {
            let value = db::slot_value(&db.journal, address, key)?;
            if value != slot.present_value {
                inner.journal.push(JournalEntry::storage_changed(address, key, slot.present_value));
                slot.present_value = value;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_the_documented_one_and_no_ethereum_precompile() {
        let address = EvmAddress::from(COVE_CALL_ADDRESS);
        assert_eq!(address.to_checksum(None), "0x00000000000000000000000000000000000C0E00");
        let interface = include_str!("../../../examples/evm/ICove.sol");
        assert!(interface.contains("ICove(0x00000000000000000000000000000000000C0E00)"), "ICove.sol");
        let osaka = crate::PrecompileRegistry::new(SpecId::OSAKA);
        assert!(osaka.list().iter().all(|p| p.address != address.to_string()));
        assert!(osaka.execute(&COVE_CALL_ADDRESS, &[], u64::MAX).is_none(), "not revm's");
    }
}
