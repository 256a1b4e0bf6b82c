//! The seam between cove's runtime and its virtual machines.
//!
//! This crate owns what every VM and the runtime must agree on, and nothing that is
//! specific to one VM:
//!
//! * the [`VirtualMachine`] trait (after seed 002): `execute`, `validate_code`,
//!   `vm_type`, `vm_version`. A VM takes a [`Message`] (create a contract or call one),
//!   the block's [`Journal`] and an [`Env`], and returns an [`Outcome`]; gas estimation
//!   is the runtime's, the same binary search for every VM;
//! * the [`Env`] of a message: its block, its depth, and the runtime's [`Dispatch`],
//!   through which a VM hands a nested message (a contract calling a contract of any VM)
//!   back to the runtime; [`in_checkpoint`], the one checkpoint-run-accept/revert step
//!   around a message;
//! * [`CompiledModules`], the companion trait of VMs that cache compiled code (pin,
//!   tier, settle, stats);
//! * the contract record ([`ContractInfo`], which names the VM that runs a contract and
//!   carries its [`AppFlags`]) and
//!   the state [`keys`] every VM reads and writes: one account space, one store, one
//!   journal, so one rollback undoes what any VM did;
//! * storage with a life ([`lived`]): entries that expire after a number of blocks, and
//!   the expiry index the runtime purges at each block's commit;
//! * native balances ([`accounts`]), which every VM sees, and storage deposits
//!   ([`deposit`]): the balance a contract holds for the bytes it stores, settled at the
//!   end of each transaction.
//!
//! It must not know any VM's engine or host ABI, nor blocks and their limits (the
//! runtime's).
//!
//! Invariants a VM must keep:
//! * it writes to the journal only on success; on any failure the runtime reverts the
//!   journal to the checkpoint taken before the message, so a VM may also leave partial
//!   writes behind a failure, never commit them;
//! * everything it reads comes from the journal, the message and the environment: same
//!   message, same state ⇒ bit-identical outcome;
//! * `Err(VmError)` means the node failed (storage, engine), never the contract.

pub mod accounts;
mod contract;
pub mod deposit;
mod env;
pub mod keys;
pub mod lived;
mod modules;

use state::Journal;
use types::{Address, CallError, CodeId, Event, Gas, StorageError, VmType};

pub use accounts::Balance;
pub use contract::{AppFlags, ContractInfo};
pub use env::{Dispatch, Env, Instantiate, LibraryCall, in_checkpoint};
pub use modules::{CacheStats, CompiledModules, Tier};

/// A VM: one shared instance per [`VmType`], used from many threads.
pub trait VirtualMachine: Send + Sync {
    /// Which VM this is.
    fn vm_type(&self) -> VmType;

    /// Its implementation and version, for `cove inspect` and receipts' provenance.
    fn vm_version(&self) -> VmVersion;

    /// The gas limit of a message that names none (also the cap of gas estimation).
    fn default_gas_limit(&self) -> Gas;

    /// Checks code before anything runs: the deploy-time rules of this VM. A failure
    /// has kind [`types::ErrorKind::Validation`].
    fn validate_code(&self, code: &[u8]) -> Result<(), CallError>;

    /// Runs one message against `state` in `env` (its block, its depth, the dispatch
    /// for messages the contract sends).
    ///
    /// Contract failures are `Ok` outcomes with an error kind; the caller reverts
    /// `state` to its checkpoint after any failed outcome.
    fn execute(&self, state: &mut Journal, env: &Env<'_>, msg: Message<'_>) -> Result<Outcome, VmError>;

    /// Its compiled-module cache, if it compiles code to native modules.
    fn modules(&self) -> Option<&dyn CompiledModules> {
        None
    }

    /// Whether a contract's admin may replace its code, keeping its storage
    /// ([`VirtualMachine::store_code`] then stores the new code).
    fn upgradable(&self) -> bool {
        false
    }

    /// Validates and stores `code` apart from any contract (once per distinct code);
    /// its id. By default refused: code of this VM is stored by creating a contract.
    fn store_code(&self, state: &mut Journal, code: &[u8]) -> Result<Result<CodeId, CallError>, VmError> {
        let _ = (state, code);
        Ok(Err(CallError::new(
            types::ErrorKind::InvalidArgument,
            format!("{} code is stored by creating a contract", self.vm_type()),
        )))
    }
}

/// A VM's name and version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VmVersion {
    /// The VM type.
    pub vm: VmType,
    /// The engine and its version, e.g. `wasmtime 48.0.8` or `revm 43.0.3`.
    pub engine: String,
    /// Behaviour-defining settings, e.g. the EVM spec (`Osaka`).
    pub detail: String,
}

/// What a message does.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Creates a contract from this code (WASM: the module; EVM: init code).
    Create(&'a [u8]),
    /// Calls the contract at this address.
    Call(Address),
}

/// One message to a VM.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// Who sends it.
    pub sender: Address,
    /// Create or call.
    pub target: Target<'a>,
    /// WASM: the entry point (on create, the init entry point, or empty for none).
    /// EVM: must be empty; the input is the calldata.
    pub entry: &'a str,
    /// Input bytes (EVM calldata, or the constructor arguments appended to init code).
    pub input: Vec<u8>,
    /// Native tokens moved from the sender to the contract with the message.
    pub value: Balance,
    /// The gas limit; `None` for the VM's configured default.
    pub gas_limit: Option<Gas>,
    /// A query: nothing may be written.
    pub read_only: bool,
    /// For a call, the contract's record when the caller already loaded it (the runtime
    /// does, to dispatch), so the VM need not read it again; `None` to let the VM load it.
    pub callee: Option<&'a ContractInfo>,
}

/// What a message did. A failed message changed nothing (once the caller reverted)
/// and emitted nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Return bytes, or how it failed.
    pub result: Result<Vec<u8>, CallError>,
    /// Gas consumed (the limit, if it ran out).
    pub gas_used: Gas,
    /// Events, in order; empty on failure.
    pub events: Vec<Event>,
    /// The created contract's address (create only, on success).
    pub address: Option<Address>,
    /// The code id stored or used (create only, on success).
    pub code_id: Option<CodeId>,
}

impl Outcome {
    /// A failure that ran nothing and cost nothing.
    pub fn failed(e: CallError) -> Outcome {
        Outcome { result: Err(e), gas_used: 0, events: Vec::new(), address: None, code_id: None }
    }

    /// Success with no output, no gas and no events (e.g. a code upgrade).
    pub fn done(address: Option<Address>, code_id: Option<CodeId>) -> Outcome {
        Outcome { result: Ok(Vec::new()), gas_used: 0, events: Vec::new(), address, code_id }
    }

    /// Whether the message succeeded.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// Whether the outcome is a node fault rather than a consensus result: the
    /// wall-clock backstop fired ([`types::ErrorKind::Timeout`]). A chain must not commit
    /// such a receipt as the transaction's result (retry it, or halt).
    pub fn is_node_fault(&self) -> bool {
        matches!(&self.result, Err(e) if e.kind == types::ErrorKind::Timeout)
    }
}

/// A failure of the node rather than of the contract.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VmError {
    /// The state store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The engine failed outside the contract's control.
    #[error("engine: {0}")]
    Engine(String),
    /// Something the store holds does not decode.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// A module cache could not produce a module (stored code that no longer
    /// validates, an unusable cache directory).
    #[error(transparent)]
    Cache(#[from] cache::CacheError),
}

/// The address of a contract a contract creates from stored code: the last 20 bytes of
/// SHA-256(`"cove/create2"` ‖ creator (20 bytes) ‖ salt (32) ‖ code id (32)). It depends
/// on nothing else (no nonce), so a creator can know it before creating, and the same
/// (creator, salt, code) can be used once.
pub fn created_address(creator: &Address, salt: &[u8; 32], code_id: &CodeId) -> Address {
    let mut preimage = Vec::with_capacity(12 + 20 + 32 + 32);
    preimage.extend_from_slice(b"cove/create2");
    preimage.extend_from_slice(&creator.0);
    preimage.extend_from_slice(salt);
    preimage.extend_from_slice(&code_id.0);
    let hash = types::sha256(&preimage);
    Address(hash[12..].try_into().expect("20 bytes"))
}

/// A contract's record, if `address` holds a contract.
pub fn load_contract(journal: &Journal, address: &Address) -> Result<Option<ContractInfo>, VmError> {
    journal.get_with(&keys::contract(address), |bytes| match bytes {
        None => Ok(None),
        Some(bytes) => ContractInfo::decode(bytes)
            .map(Some)
            .ok_or_else(|| VmError::Corrupt(format!("contract record of {address}"))),
    })?
}
