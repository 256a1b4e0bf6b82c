//! Reusable EVMs. Building a revm EVM allocates its frame stack, instruction table and
//! journal, which costs more than executing a token transfer; a pool keeps idle EVMs
//! per configuration and hands the block's journal to one for each message. revm's EVM
//! is not `Send` (its shared memory is an `Rc`), so idle EVMs live in a per-thread
//! cache, keyed by pool and configuration.
//!
//! Reuse is safe because revm's `transact` finalizes (clears) the EVM's journal after
//! every transaction, and an EVM whose transaction ended in an error (invalid
//! transaction, database failure) is dropped rather than reused. The state tests run
//! through a pool too, so every one of their 88,000 cases checks that nothing leaks
//! from one transaction into the next.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use revm::context::Evm;
use revm::context::result::{EVMError, ResultAndState};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::JournalTr;
use revm::handler::instructions::EthInstructions;
use revm::handler::{EthFrame, EthPrecompiles};
use revm::interpreter::Instruction;
use revm::interpreter::interpreter::EthInterpreter;
use revm::precompile::Precompiles;
use revm::primitives::Address as EvmAddress;
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};
use state::{Backend, Journal, MemBackend};
use vm::ContractInfo;

use crate::cross::{Calls, CoveContext, CrossVm};
use crate::db::{DbError, JournalDb, Seen};
use crate::linked::LinkedJournal;

pub(crate) type CoveEvm =
    Evm<CoveContext, (), EthInstructions<EthInterpreter, CoveContext>, CrossVm, EthFrame<EthInterpreter>>;

/// Most idle EVMs one thread keeps, over all pools (the least recently used goes first).
pub const MAX_IDLE_EVMS: usize = 8;

static NEXT_POOL: AtomicU64 = AtomicU64::new(0);

/// What an idle EVM holds instead of a block's journal: a journal over an empty store,
/// so an idle EVM never keeps a real store alive.
static NOWHERE: LazyLock<Arc<dyn Backend>> = LazyLock::new(|| Arc::new(MemBackend::new()));

thread_local! {
    static IDLE: RefCell<Vec<(u64, Box<CoveEvm>)>> = const { RefCell::new(Vec::new()) };
}

/// Reusable EVMs for one set of disabled opcodes and precompiles.
#[derive(Debug)]
pub(crate) struct EvmPool {
    id: u64,
    disabled: [bool; 256],
    precompiles: Option<&'static Precompiles>,
    /// Whether the EVMs run the cross-VM precompile (`cross.rs`).
    cross: bool,
}

impl EvmPool {
    /// A pool whose EVMs halt on `disabled` opcodes and execute `precompiles` (revm's
    /// default set for the configuration's fork if `None`), plus the cross-VM
    /// precompile if `cross`.
    pub(crate) fn new(
        disabled: [bool; 256],
        precompiles: Option<&'static Precompiles>,
        cross: bool,
    ) -> EvmPool {
        EvmPool { id: NEXT_POOL.fetch_add(1, Ordering::Relaxed), disabled, precompiles, cross }
    }

    /// Runs one transaction against `state` (read only but for the flushes of calls to
    /// other VMs, `cross.rs`), sending the messages of such calls through `outer`'s
    /// dispatch (an environment and whether the message is read-only; none: refused), then
    /// `then(state, result, seen, calls)` with the accounts as `basic` read them, for
    /// `db::commit`, which must be the only writer to `state` in `then`. The accounts
    /// stay with the EVM for the next transaction, to be reused if nothing else changed
    /// `state` ([`Seen`]).
    pub(crate) fn transact<R>(
        &self,
        state: &mut Journal,
        cfg: &CfgEnv,
        block: BlockEnv,
        tx: TxEnv,
        outer: Option<(&vm::Env<'_>, bool)>,
        then: impl FnOnce(&mut Journal, Result<ResultAndState, EVMError<DbError>>, &mut Seen, Calls) -> R,
    ) -> R {
        let mut evm = self.take(cfg);
        evm.ctx.block = block;
        // A message below another VM's contract shares the transaction's transient
        // storage (`transient.rs`); a read-only one only reads it.
        evm.precompiles.begin(outer.map(|(env, _)| env), outer.is_some_and(|(_, r)| r));
        let begun = evm.precompiles.outer();
        let nested = outer.is_some() && begun.depth > 0 && !begun.read_only;
        evm.ctx.journaled_state.events.clear();
        evm.ctx.journaled_state.keep_transient = nested;
        {
            // The block's journal goes in, the idle EVM's placeholder comes out (and goes
            // back after): a swap, so no journal is built per message.
            let db = &mut evm.ctx.journaled_state.revm.database;
            std::mem::swap(state, &mut db.journal);
            db.seen.begin(&db.journal);
            if !db.journal.transient_is_empty() {
                let inner = &mut evm.ctx.journaled_state.revm.inner;
                crate::transient::load(&db.journal, &mut inner.transient_storage);
            }
        }
        // revm's `transact` with cove's handler (`handler.rs`): run, then finalize.
        revm::context_interface::ContextSetters::set_tx(&mut evm.ctx, tx);
        let output = revm::handler::Handler::run(&mut crate::handler::CoveHandler, &mut evm);
        let transient = evm.ctx.journaled_state.transient.take();
        let changes = evm.finalize();
        let result = output.map(|output| ResultAndState::new(output, changes));
        let reusable = result.is_ok();
        let mut calls = evm.precompiles.end();
        calls.transient = transient;
        calls.events = std::mem::take(&mut evm.ctx.journaled_state.events);
        let db = &mut evm.ctx.journaled_state.revm.database;
        std::mem::swap(state, &mut db.journal);
        let out = then(state, result, &mut db.seen, calls);
        db.seen.end(state);
        if reusable {
            IDLE.with_borrow_mut(|idle| {
                if idle.len() >= MAX_IDLE_EVMS {
                    idle.remove(0);
                }
                idle.push((self.id, evm));
            });
        }
        out
    }

    /// What the idle EVM [`EvmPool::transact`] would use next knows of `address`'s
    /// contract record in `journal` ([`Seen::record_at`]): exact if `Some`, as the
    /// journal would return it. Lets the runtime dispatch consecutive EVM messages
    /// without reading the record again.
    pub(crate) fn cached_record(
        &self,
        cfg: &CfgEnv,
        journal: &Journal,
        address: &EvmAddress,
    ) -> Option<Option<ContractInfo>> {
        let now = journal.stamp()?;
        IDLE.with_borrow(|idle| {
            let (_, evm) = idle.iter().rev().find(|(id, e)| *id == self.id && e.ctx.cfg == *cfg)?;
            evm.ctx.journaled_state.revm.database.seen.record_at(now, address)
        })
    }

    /// An idle EVM of this pool built for `cfg` (or a new one), holding a placeholder
    /// journal over an empty store.
    fn take(&self, cfg: &CfgEnv) -> Box<CoveEvm> {
        let reused = IDLE.with_borrow_mut(|idle| {
            let at = idle.iter().rposition(|(id, e)| *id == self.id && e.ctx.cfg == *cfg);
            at.map(|i| idle.remove(i).1)
        });
        reused.unwrap_or_else(|| Box::new(self.build(cfg.clone())))
    }

    fn build(&self, cfg: CfgEnv) -> CoveEvm {
        let spec = cfg.spec;
        let placeholder = || JournalDb::new(Journal::new(NOWHERE.clone()));
        let mut evm = Context::mainnet()
            .with_db(placeholder())
            .with_cfg(cfg)
            .with_new_journal(LinkedJournal::new(placeholder()))
            .build_mainnet();
        disable_opcodes(&mut evm.instruction, &self.disabled);
        let eth = match self.precompiles {
            // The registry's set for the configured spec: the same one WASM contracts use.
            Some(set) => EthPrecompiles { precompiles: set, spec },
            None => evm.precompiles.clone(),
        };
        evm.with_precompiles(CrossVm::new(eth, self.cross))
    }
}

/// Replaces each disabled opcode's handler with the one for an unknown opcode, so
/// reaching it halts the frame whatever code is running.
fn disable_opcodes<W, H>(instructions: &mut EthInstructions<W, H>, disabled: &[bool; 256])
where
    W: revm::interpreter::InterpreterTypes,
    H: revm::interpreter::Host,
{
    for (op, _) in disabled.iter().enumerate().filter(|(_, d)| **d) {
        instructions.insert_instruction(op as u8, Instruction::unknown(), 0);
    }
}
