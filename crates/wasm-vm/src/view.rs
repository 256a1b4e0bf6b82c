//! One contract's window onto the journal, and the calls it makes through it.

use std::sync::Arc;

use state::Journal;
use types::{Address, BlockInfo, ContractStorage, ErrorKind, Lived, StorageError};
use vm::{Balance, Dispatch, Env, Instantiate, LibraryCall, Message, Target};
use wasm::{CallReply, CallRequest, ContractCalls, CreateRequest, LibraryRequest};

/// The storage a contract call sees: the block's journal, every key prefixed with the
/// contract's address. Owns the journal for the duration of the call (wasmtime's store
/// data must be `'static`); the runtime takes it back afterwards.
pub struct ContractView {
    pub(crate) journal: Journal,
    pub(crate) prefix: [u8; 21],
    key: Vec<u8>,
    /// Where the call runs, for the calls it makes; `None` outside a runtime.
    frame: Option<Frame>,
}

/// The part of a call's [`Env`] a contract needs to call another, owned (the view is
/// `'static`).
struct Frame {
    block: BlockInfo,
    depth: u32,
    dispatch: Arc<dyn Dispatch>,
    /// The contracts enclosing this call (empty for a transaction: no allocation).
    callers: Vec<Address>,
}

impl ContractView {
    pub(crate) fn new(journal: Journal, prefix: [u8; 21]) -> ContractView {
        ContractView { journal, prefix, key: Vec::with_capacity(64), frame: None }
    }

    /// The same view, able to call other contracts from `env`.
    pub(crate) fn in_env(mut self, env: &Env<'_>) -> ContractView {
        self.frame = Some(Frame {
            block: *env.block,
            depth: env.depth,
            dispatch: env.dispatch.clone(),
            callers: env.callers.to_vec(),
        });
        self
    }

    /// The contract this view is bound to.
    fn address(&self) -> Address {
        let mut a = [0u8; 20];
        a.copy_from_slice(&self.prefix[1..]);
        Address(a)
    }

    fn full_key(&mut self, key: &[u8]) -> &[u8] {
        self.key.clear();
        self.key.extend_from_slice(&self.prefix);
        self.key.extend_from_slice(key);
        &self.key
    }
}

impl ContractStorage for ContractView {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.full_key(key);
        self.journal.get(&self.key)
    }

    fn write(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.full_key(key);
        self.journal.set(&self.key, value);
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        self.full_key(key);
        self.journal.delete(&self.key)
    }

    fn read_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        vm::lived::read_raw(&self.journal, &self.address(), key)
    }

    fn write_lived(&mut self, key: &[u8], value: &[u8], expires: u64) -> Result<(), StorageError> {
        let address = self.address();
        vm::lived::write(&mut self.journal, &address, key, value, expires)
    }

    fn remove_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        let address = self.address();
        vm::lived::remove(&mut self.journal, &address, key)
    }
}

impl Frame {
    /// The call stack of a message `sender` (the running contract) sends: the stack
    /// enclosing it, then itself.
    fn callers_and(&self, sender: Address) -> Vec<Address> {
        let mut callers = Vec::with_capacity(self.callers.len() + 1);
        callers.extend_from_slice(&self.callers);
        callers.push(sender);
        callers
    }

    /// The environment the running contract sends a message from, with `callers`.
    fn env<'a>(&'a self, callers: &'a [Address]) -> Env<'a> {
        Env { block: &self.block, depth: self.depth, dispatch: &self.dispatch, callers }
    }
}

/// What a nested message's outcome tells the calling contract.
fn reply(out: vm::Outcome) -> CallReply {
    CallReply { result: out.result, gas_used: out.gas_used, events: out.events }
}

/// The calls of cove's ABI: each goes to the runtime's dispatch, which runs the callee
/// on its VM in a checkpoint nested in the caller's.
pub struct Calls;

impl ContractCalls<ContractView> for Calls {
    fn call(&self, view: &mut ContractView, request: CallRequest<'_>) -> Result<CallReply, wasm::VmError> {
        let Some(frame) = &view.frame else {
            return Ok(CallReply::refused(
                ErrorKind::InvalidArgument,
                "call: this contract runs outside a runtime",
            ));
        };
        let callers = frame.callers_and(request.sender);
        let env = frame.env(&callers);
        let msg = Message {
            sender: request.sender,
            target: Target::Call(request.target),
            entry: request.entry,
            input: request.input,
            value: Balance(request.value),
            gas_limit: Some(request.gas_limit),
            read_only: request.read_only,
            callee: None,
        };
        let out = frame.dispatch.dispatch(&mut view.journal, &env, msg).map_err(node_fault)?;
        Ok(reply(out))
    }

    fn create(
        &self,
        view: &mut ContractView,
        request: CreateRequest<'_>,
    ) -> Result<(CallReply, Option<Address>), wasm::VmError> {
        let Some(frame) = &view.frame else {
            let e = "create: this contract runs outside a runtime";
            return Ok((CallReply::refused(ErrorKind::InvalidArgument, e), None));
        };
        let callers = frame.callers_and(request.sender);
        let env = frame.env(&callers);
        let instantiate = Instantiate {
            sender: request.sender,
            code_id: request.code_id,
            salt: request.salt,
            entry: request.entry,
            input: request.input,
            value: Balance(request.value),
            gas_limit: request.gas_limit,
            read_only: request.read_only,
        };
        let out = frame.dispatch.instantiate(&mut view.journal, &env, instantiate).map_err(node_fault)?;
        let address = out.address;
        Ok((reply(out), address))
    }

    /// The running contract stays on the call stack (it runs the library's code) and the
    /// library does not join it: the library's storage is never touched.
    fn library_call(
        &self,
        view: &mut ContractView,
        request: LibraryRequest<'_>,
    ) -> Result<CallReply, wasm::VmError> {
        let Some(frame) = &view.frame else {
            let e = "library_call: this contract runs outside a runtime";
            return Ok(CallReply::refused(ErrorKind::InvalidArgument, e));
        };
        let callers = frame.callers_and(request.sender);
        let env = frame.env(&callers);
        let call = LibraryCall {
            sender: request.sender,
            caller: request.caller,
            library: request.library,
            entry: request.entry,
            input: request.input,
            gas_limit: request.gas_limit,
            read_only: request.read_only,
        };
        let out = frame.dispatch.library_call(&mut view.journal, &env, call).map_err(node_fault)?;
        Ok(reply(out))
    }
}

/// A node fault below a call, as the engine carries it up.
fn node_fault(e: vm::VmError) -> wasm::VmError {
    match e {
        vm::VmError::Storage(s) => wasm::VmError::Storage(s),
        e => wasm::VmError::Engine(e.to_string()),
    }
}
