//! What a message runs in: its block, its depth in the call stack, and the way back to
//! the runtime's dispatch.

use std::sync::{Arc, LazyLock};

use state::Journal;
use types::{Address, BlockInfo, CallError, ErrorKind};

use crate::{Message, Outcome, VmError};

/// Runs a message on the VM of the contract it names: the runtime's one dispatch.
///
/// A VM receives it in every [`Env`], so that a host function of any VM (a contract
/// calling another contract, of any VM) can hand a nested message back to the runtime
/// rather than know the other VMs. The runtime runs it in a checkpoint of `state`
/// nested in the caller's: a failed nested message undoes exactly its own writes.
pub trait Dispatch: Send + Sync {
    /// Runs `msg` in `state` one level below `env` (the caller's environment), reverting
    /// what it did if it fails. Contract failures are `Ok` outcomes, as for
    /// [`crate::VirtualMachine::execute`].
    fn dispatch(&self, state: &mut Journal, env: &Env<'_>, msg: Message<'_>) -> Result<Outcome, VmError>;

    /// Whether a message from `env` to `target` may run one level below it under the
    /// depth limit and the reentrancy policy, without running it: `None`, or the failure
    /// [`Dispatch::dispatch`] would give. For a VM that runs some nested messages itself
    /// (CosmWasm's messages between its own contracts) so that they obey the same
    /// limits. By default every message may.
    fn admits(&self, env: &Env<'_>, target: &Address) -> Option<CallError> {
        let _ = (env, target);
        None
    }

    /// Creates a contract from stored code at [`crate::created_address`] one level below
    /// `env`, running its init entry point, reverting what it did if it fails. By
    /// default refused.
    fn instantiate(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        request: Instantiate<'_>,
    ) -> Result<Outcome, VmError> {
        let _ = (state, env, request);
        Ok(Outcome::failed(CallError::new(
            ErrorKind::InvalidArgument,
            "this VM runs alone: no runtime to create a contract in",
        )))
    }

    /// Runs the code of the importable contract `request.library` one level below `env`
    /// in the context of `request.sender` (its address, storage and caller), reverting
    /// what it did if it fails. By default refused.
    fn library_call(
        &self,
        state: &mut Journal,
        env: &Env<'_>,
        request: LibraryCall<'_>,
    ) -> Result<Outcome, VmError> {
        let _ = (state, env, request);
        Ok(Outcome::failed(CallError::new(
            ErrorKind::InvalidArgument,
            "this VM runs alone: no runtime to run a library in",
        )))
    }
}

/// A contract running another contract's code in its own context (`library_call`).
#[derive(Debug, Clone)]
pub struct LibraryCall<'a> {
    /// The calling contract: the code runs as it, in its storage.
    pub sender: Address,
    /// Who called the calling contract: the code's caller.
    pub caller: Address,
    /// The importable contract whose code runs.
    pub library: Address,
    /// The entry point of that code.
    pub entry: &'a str,
    /// Its input.
    pub input: Vec<u8>,
    /// The gas the code may use.
    pub gas_limit: types::Gas,
    /// Whether the caller runs read-only (so does the code).
    pub read_only: bool,
}

/// A contract creating another from stored code.
#[derive(Debug, Clone)]
pub struct Instantiate<'a> {
    /// The creating contract.
    pub sender: Address,
    /// The stored code.
    pub code_id: types::CodeId,
    /// The creator's salt: one address per (creator, salt, code).
    pub salt: [u8; 32],
    /// The init entry point (empty for none) and its input.
    pub entry: &'a str,
    /// The init entry point's input.
    pub input: Vec<u8>,
    /// Native tokens moved from the creator to the new contract.
    pub value: crate::Balance,
    /// The gas the init entry point may use.
    pub gas_limit: types::Gas,
    /// Whether the creator runs read-only (a create is then refused).
    pub read_only: bool,
}

/// The environment of one message.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The block the message runs in.
    pub block: &'a BlockInfo,
    /// How many messages enclose this one: 0 for a transaction or a query, one more for
    /// each call a contract makes.
    pub depth: u32,
    /// The runtime's dispatch, for messages a contract sends. An `Arc` so that a VM whose
    /// engine holds `'static` per-call data (wasmtime's store) can keep a clone there.
    pub dispatch: &'a Arc<dyn Dispatch>,
    /// The contracts whose executions enclose this message, outermost first (empty for a
    /// transaction or a query): the call stack a reentrancy policy checks.
    pub callers: &'a [Address],
}

impl<'a> Env<'a> {
    /// The environment of a transaction or query in `block` (depth 0).
    pub fn new(block: &'a BlockInfo, dispatch: &'a Arc<dyn Dispatch>) -> Env<'a> {
        Env { block, depth: 0, dispatch, callers: &[] }
    }

    /// A top-level environment with no runtime behind it, for a VM run alone (its
    /// tests, the Ethereum state tests): every nested message fails with
    /// [`ErrorKind::InvalidArgument`].
    pub fn detached(block: &'a BlockInfo) -> Env<'a> {
        Env::new(block, &DETACHED)
    }

    /// The environment of a message this one sends: one level deeper, same block and
    /// dispatch.
    pub fn nested(&self) -> Env<'a> {
        Env { depth: self.depth.saturating_add(1), ..*self }
    }

    /// This environment with `callers` as its call stack (a contract sending a message
    /// passes the stack that encloses it plus itself).
    pub fn with_callers<'b>(&self, callers: &'b [Address]) -> Env<'b>
    where
        'a: 'b,
    {
        Env { block: self.block, depth: self.depth, dispatch: self.dispatch, callers }
    }
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("block", self.block)
            .field("depth", &self.depth)
            .field("callers", &self.callers)
            .finish_non_exhaustive()
    }
}

static DETACHED: LazyLock<Arc<dyn Dispatch>> = LazyLock::new(|| Arc::new(Detached));

/// The dispatch of [`Env::detached`].
struct Detached;

impl Dispatch for Detached {
    fn dispatch(&self, _: &mut Journal, _: &Env<'_>, _: Message<'_>) -> Result<Outcome, VmError> {
        Ok(Outcome::failed(CallError::new(
            ErrorKind::InvalidArgument,
            "this VM runs alone: no runtime to dispatch a nested message to",
        )))
    }
}

/// Runs `run` in a checkpoint of `state`: kept if it returns `Ok` and `keep` approves
/// the result, reverted otherwise (a failed outcome, or a node fault). The one place
/// the runtime begins, accepts and reverts around a message.
pub fn in_checkpoint<T, E>(
    state: &mut Journal,
    keep: impl FnOnce(&T) -> bool,
    run: impl FnOnce(&mut Journal) -> Result<T, E>,
) -> Result<T, E> {
    let checkpoint = state.checkpoint();
    let out = run(state);
    match &out {
        Ok(t) if keep(t) => state.accept(checkpoint),
        _ => state.revert(checkpoint),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use state::MemBackend;
    use types::Address;

    fn journal() -> Journal {
        Journal::new(Arc::new(MemBackend::new()))
    }

    #[test]
    fn a_checkpoint_keeps_what_succeeded_and_reverts_the_rest() {
        let mut state = journal();
        state.set(b"before", b"1");
        let kept: Result<bool, ()> = in_checkpoint(
            &mut state,
            |ok| *ok,
            |s| {
                s.set(b"kept", b"1");
                Ok(true)
            },
        );
        assert_eq!(kept, Ok(true));
        let failed: Result<bool, ()> = in_checkpoint(
            &mut state,
            |ok| *ok,
            |s| {
                s.set(b"failed", b"1");
                Ok(false)
            },
        );
        assert_eq!(failed, Ok(false));
        let faulted: Result<bool, &str> = in_checkpoint(
            &mut state,
            |ok| *ok,
            |s| {
                s.set(b"faulted", b"1");
                Err("fault")
            },
        );
        assert_eq!(faulted, Err("fault"));
        assert!(state.get(b"before").unwrap().is_some());
        assert!(state.get(b"kept").unwrap().is_some());
        assert!(state.get(b"failed").unwrap().is_none());
        assert!(state.get(b"faulted").unwrap().is_none());
    }

    #[test]
    fn a_nested_environment_is_one_level_deeper_in_the_same_block() {
        let block = BlockInfo { height: 7, timestamp: 70 };
        let env = Env::detached(&block);
        let inner = env.nested().nested();
        assert_eq!((env.depth, inner.depth), (0, 2));
        assert_eq!(*inner.block, block);
        assert!(Arc::ptr_eq(env.dispatch, inner.dispatch));
    }

    #[test]
    fn a_detached_environment_refuses_nested_messages() {
        let block = BlockInfo { height: 1, timestamp: 1 };
        let env = Env::detached(&block);
        let msg = Message {
            sender: Address([1; 20]),
            target: crate::Target::Call(Address([2; 20])),
            entry: "run",
            input: Vec::new(),
            value: crate::Balance::ZERO,
            gas_limit: None,
            read_only: false,
            callee: None,
        };
        let out = env.dispatch.dispatch(&mut journal(), &env.nested(), msg).unwrap();
        assert_eq!(out.result.unwrap_err().kind, ErrorKind::InvalidArgument);
        assert_eq!(out.gas_used, 0);
    }
}
