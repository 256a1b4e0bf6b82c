//! A test harness for cove contracts: deploy modules, make accounts, call entry points
//! with typed arguments and results, move blocks on, read storage, events and gas, and
//! save and restore the whole state.
//!
//! It owns the harness only. Every call runs on cove's real [`Runtime`] over cove-state's
//! in-memory backend ([`state::MemBackend`], behind a handle snapshots can replace);
//! nothing of the runtime or the VMs is mocked, so a call's result, gas and events are
//! those `cove call` gives on the same state. Arguments and results use cove-sdk's
//! encoding ([`sdk::Encode`], [`sdk::Decode`], `docs/sdk.md`).
//!
//! Blocks: every operation that changes state (a deploy, a call, an account with a
//! balance) is the one transaction of a new block at the VM's current time, committed
//! at once; [`TestVM::advance_blocks`] and [`TestVM::advance_time`] move height and time
//! on. Views ([`TestVM::call_view`]) read the last committed block, as `cove query` does.
//!
//! ```no_run
//! use cove_testvm::TestVM;
//! let mut vm = TestVM::new();
//! let wasm = std::fs::read("target/contracts/token.wasm").unwrap();
//! let token = vm.deploy(&wasm, "init", ("Cove", "COV", 1000u64)).unwrap();
//! let bob = vm.create_account(0).unwrap();
//! vm.call::<()>(&token, "transfer", (bob, 100u64)).unwrap();
//! assert_eq!(vm.call_view::<u64>(&token, "balance", bob).unwrap(), 100);
//! ```

mod backend;
mod coverage;
pub mod examples;
mod names;

use std::sync::Arc;

use runtime::{Balance, Config, Entries, Receipt, Runtime, RuntimeError};
pub use sdk::{Address, Decode, Encode};
use state::MemBackend;
pub use types::{ErrorKind, Event};

use backend::Swappable;

/// The time of the first block (unix seconds; 2026-01-01T00:00:00Z).
pub const GENESIS_TIME: u64 = 1_767_225_600;

/// Seconds [`TestVM::advance_blocks`] adds per block.
pub const BLOCK_TIME: u64 = 5;

/// The caller before any [`TestVM::set_caller`]: the CLI's default sender.
pub const DEFAULT_CALLER: Address = Address(runtime::DEFAULT_SENDER.0);

/// Why a call through the harness gave no value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The contract's call failed (aborted, trapped, ran out of gas, ...): its kind and
    /// message as a receipt carries them. State is as before the call.
    #[error("the call failed: {0}")]
    Failed(types::CallError),
    /// The call succeeded but its return data does not decode as the type asked for.
    #[error("the result ({len} bytes) does not decode as {ty}: {error:?}")]
    Decode {
        /// The Rust type asked for.
        ty: &'static str,
        /// The return data's length.
        len: usize,
        /// What the decoder said.
        error: sdk::DecodeError,
    },
    /// The node failed (storage, configuration): not a result of the contract.
    #[error("the runtime failed: {0}")]
    Runtime(#[from] RuntimeError),
}

impl CallError {
    /// The failure's kind, if the contract's call failed.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            CallError::Failed(e) => Some(e.kind),
            _ => None,
        }
    }

    /// The failure's message, if the contract's call failed.
    pub fn message(&self) -> Option<&str> {
        match self {
            CallError::Failed(e) => Some(&e.message),
            _ => None,
        }
    }
}

/// What the last call, view or deploy left: its gas, events and return data (failures
/// included: gas is spent either way, events are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastCall {
    /// Gas used, as in the receipt.
    pub gas_used: u64,
    /// Events, in order (empty on failure).
    pub events: Vec<Event>,
    /// The return data (empty on failure).
    pub return_data: Vec<u8>,
    /// Where a failed call stopped: the contract's call stack, innermost first, named
    /// from the module's `name` section (empty on success, or when the call failed
    /// before or outside wasm code). Diagnostic only; see [`Frame`].
    pub backtrace: Vec<Frame>,
}

/// One frame of a failed call's stack ([`LastCall::backtrace`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The function's index in the deployed module.
    pub func_index: u32,
    /// Its name, demangled, if the module's `name` section has one.
    pub name: Option<String>,
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "<function {}>", self.func_index),
        }
    }
}

/// The whole state of a [`TestVM`] at one moment ([`TestVM::snapshot`]): every
/// committed key, the head block, the time, the caller and the account counter.
/// [`TestVM::restore`] can return to it any number of times.
#[derive(Debug)]
pub struct Snapshot {
    state: MemBackend,
    time: u64,
    caller: Address,
    accounts: u64,
}

/// cove's runtime in memory, driven as a contract's tests want it.
pub struct TestVM {
    rt: Runtime,
    backend: Arc<Swappable>,
    caller: Address,
    /// The time of the next block.
    time: u64,
    /// Accounts made so far (the next account's number).
    accounts: u64,
    gas_limit: Option<u64>,
    last: LastCall,
}

impl Default for TestVM {
    fn default() -> TestVM {
        TestVM::new()
    }
}

impl TestVM {
    /// A VM with cove's default configuration and empty state, at [`GENESIS_TIME`].
    ///
    /// # Panics
    /// If the default configuration cannot build a runtime, which is a bug of cove.
    pub fn new() -> TestVM {
        TestVM::with_config(Config::default()).expect("cove's default configuration builds a runtime")
    }

    /// A VM with `config` (gas prices, limits) and empty state.
    pub fn with_config(config: Config) -> Result<TestVM, RuntimeError> {
        let backend = Arc::new(Swappable::default());
        let rt = Runtime::with_backend(backend.clone(), config)?;
        Ok(TestVM {
            rt,
            backend,
            caller: DEFAULT_CALLER,
            time: GENESIS_TIME,
            accounts: 0,
            gas_limit: None,
            last: LastCall::default(),
        })
    }

    /// The runtime underneath, for anything the harness does not wrap.
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// Makes `caller` the sender of the calls, deploys and views that follow.
    pub fn set_caller(&mut self, caller: Address) {
        self.caller = caller;
    }

    /// The current caller.
    pub fn caller(&self) -> Address {
        self.caller
    }

    /// Sets the gas limit of every call that follows (`None`: the runtime's default).
    pub fn set_gas_limit(&mut self, gas_limit: Option<u64>) {
        self.gas_limit = gas_limit;
    }

    /// A new account holding `balance` of the native token. Accounts are numbered in
    /// the order they are made, so tests see the same addresses every run. A non-zero
    /// balance is credited in a block of its own.
    pub fn create_account(&mut self, balance: u128) -> Result<Address, CallError> {
        self.accounts += 1;
        let mut bytes = [0u8; 20];
        bytes[..4].copy_from_slice(b"acct");
        bytes[12..].copy_from_slice(&self.accounts.to_be_bytes());
        let address = Address(bytes);
        if balance > 0 {
            let receipt =
                self.in_block(|block| block.fund(types::Address(address.0), Balance::from_u128(balance)))?;
            receipt.result.map_err(CallError::Failed)?;
        }
        Ok(address)
    }

    /// An account's native balance.
    pub fn balance(&self, account: &Address) -> Result<Balance, RuntimeError> {
        self.rt.balance(&types::Address(account.0))
    }

    /// Deploys `wasm` as the caller and runs its init entry point `init` with `args`
    /// (`""` and `()` for none), in one transaction: if init fails nothing is left.
    pub fn deploy(&mut self, wasm: &[u8], init: &str, args: impl Encode) -> Result<Address, CallError> {
        let (sender, gas) = (self.sender(), self.gas_limit);
        let init = (!init.is_empty()).then(|| (init, args.encode()));
        let receipt = self.in_block(|block| block.deploy(sender, wasm, init, gas))?;
        self.record(&receipt, Some(wasm));
        let address = receipt.result.map(|_| receipt.address).map_err(CallError::Failed)?;
        let address = address.ok_or_else(|| {
            RuntimeError::Corrupt("a deploy succeeded without naming the contract's address".into())
        })?;
        Ok(Address(address.0))
    }

    /// Validates and stores `wasm` without creating a contract (`cove store`), in a
    /// block of its own; its code id, for a contract that creates contracts from it
    /// (`cove_sdk::calls::create`).
    pub fn store(&mut self, wasm: &[u8]) -> Result<[u8; 32], CallError> {
        let mut block = self.rt.begin_block(self.time)?;
        let receipt = block.store_code(wasm, None)?;
        let code_id = match (receipt.result, receipt.code_id) {
            (Err(e), _) => return Err(CallError::Failed(e)),
            (Ok(_), Some(id)) => id,
            (Ok(_), None) => {
                return Err(RuntimeError::Corrupt("a store succeeded without a code id".into()).into());
            }
        };
        block.commit()?;
        Ok(code_id.0)
    }

    /// Calls `method` of `contract` with `args` as the caller, as a transaction of a
    /// new block, and decodes its return data as `R` (`()` for none).
    pub fn call<R: Decode>(
        &mut self,
        contract: &Address,
        method: &str,
        args: impl Encode,
    ) -> Result<R, CallError> {
        let (sender, gas) = (self.sender(), self.gas_limit);
        let target = types::Address(contract.0);
        let receipt = self.in_block(|block| block.call(sender, target, method, args.encode(), gas))?;
        self.finish(contract, receipt)
    }

    /// Runs `method` of `contract` read-only against the last committed block (a
    /// write ends it with kind `read_only`), as the caller; nothing is committed.
    pub fn call_view<R: Decode>(
        &mut self,
        contract: &Address,
        method: &str,
        args: impl Encode,
    ) -> Result<R, CallError> {
        let target = types::Address(contract.0);
        let receipt = self.rt.query(self.sender(), target, method, args.encode(), self.gas_limit)?;
        self.finish(contract, receipt)
    }

    /// The gas, events and return data of the last deploy, call or view.
    pub fn last_call(&self) -> &LastCall {
        &self.last
    }

    /// The gas the last deploy, call or view used.
    pub fn last_gas(&self) -> u64 {
        self.last.gas_used
    }

    /// The failed last call's stack, innermost frame first, one function a line.
    pub fn last_backtrace(&self) -> String {
        self.last.backtrace.iter().enumerate().map(|(i, f)| format!("{i:>3}: {f}\n")).collect()
    }

    /// The events the last deploy, call or view emitted.
    pub fn last_events(&self) -> &[Event] {
        &self.last.events
    }

    /// The height and time of the last committed block (0 and 0 before the first).
    pub fn last_block(&self) -> Result<types::BlockInfo, RuntimeError> {
        self.rt.last_block()
    }

    /// The time the next block will have.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// Commits `n` empty blocks, [`BLOCK_TIME`] seconds apart.
    pub fn advance_blocks(&mut self, n: u64) -> Result<(), RuntimeError> {
        for _ in 0..n {
            self.time += BLOCK_TIME;
            let block = self.rt.begin_block(self.time)?;
            block.commit()?;
        }
        Ok(())
    }

    /// Moves the time of the next block `seconds` on.
    pub fn advance_time(&mut self, seconds: u64) {
        self.time = self.time.saturating_add(seconds);
    }

    /// Every key/value pair of `contract`'s storage, in key order.
    pub fn storage(&self, contract: &Address) -> Result<Entries, RuntimeError> {
        self.rt.contract_state(&types::Address(contract.0))
    }

    /// The raw value under `key` in `contract`'s storage.
    pub fn storage_raw(&self, contract: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, RuntimeError> {
        Ok(self.storage(contract)?.into_iter().find(|(k, _)| k == key).map(|(_, v)| v))
    }

    /// The value under `key` in `contract`'s storage, decoded as `T`; a value that does
    /// not decode is [`CallError::Decode`].
    pub fn storage_get<T: Decode>(&self, contract: &Address, key: &[u8]) -> Result<Option<T>, CallError> {
        self.storage_raw(contract, key)?.map(|bytes| decode::<T>(&bytes)).transpose()
    }

    /// Saves the whole state: committed keys, head block, time, caller, accounts.
    pub fn snapshot(&self) -> Result<Snapshot, RuntimeError> {
        Ok(Snapshot {
            state: self.backend.fork()?,
            time: self.time,
            caller: self.caller,
            accounts: self.accounts,
        })
    }

    /// Returns to `snapshot` (which stays usable): everything committed since is gone.
    /// Compiled modules stay cached (they are keyed by the code's hash).
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<(), RuntimeError> {
        self.backend.replace(snapshot.state.fork()?)?;
        self.time = snapshot.time;
        self.caller = snapshot.caller;
        self.accounts = snapshot.accounts;
        self.last = LastCall::default();
        Ok(())
    }

    fn sender(&self) -> types::Address {
        types::Address(self.caller.0)
    }

    /// Runs `f` as the one transaction of a new block at the current time and commits
    /// the block (a failed transaction leaves nothing in it).
    fn in_block(
        &mut self,
        f: impl FnOnce(&mut runtime::Block<'_>) -> Result<Receipt, RuntimeError>,
    ) -> Result<Receipt, RuntimeError> {
        let mut block = self.rt.begin_block(self.time)?;
        let receipt = f(&mut block)?;
        block.commit()?;
        Ok(receipt)
    }

    /// Keeps what `receipt` says, and the failed call's stack named from `code`.
    fn record(&mut self, receipt: &Receipt, code: Option<&[u8]>) {
        let frames = wasm::take_backtrace().filter(|_| !receipt.is_ok()).unwrap_or_default();
        let names = match (frames.is_empty(), code) {
            (false, Some(code)) => names::function_names(code),
            _ => Default::default(),
        };
        let backtrace = frames
            .iter()
            .map(|f| Frame { func_index: f.func_index, name: names.get(&f.func_index).cloned() })
            .collect();
        self.last = LastCall {
            gas_used: receipt.gas_used,
            events: receipt.events.clone(),
            return_data: receipt.result.as_ref().ok().cloned().unwrap_or_default(),
            backtrace,
        };
    }

    /// The code deployed at `contract`, as stored.
    fn code_of(&self, contract: &Address) -> Option<Vec<u8>> {
        let info = self.rt.contract(&types::Address(contract.0)).ok()??;
        self.rt.code(&info.code_id).ok()?
    }

    fn finish<R: Decode>(&mut self, contract: &Address, receipt: Receipt) -> Result<R, CallError> {
        let code = if receipt.is_ok() { None } else { self.code_of(contract) };
        self.record(&receipt, code.as_deref());
        let data = receipt.result.map_err(CallError::Failed)?;
        decode(&data)
    }
}

fn decode<T: Decode>(bytes: &[u8]) -> Result<T, CallError> {
    T::decode(bytes).map_err(|error| CallError::Decode {
        ty: std::any::type_name::<T>(),
        len: bytes.len(),
        error,
    })
}
