//! A block: transactions applied to one journal, committed atomically.

use state::Journal;
use types::{Address, BlockInfo, CodeId, ErrorKind, Event, Gas};
use wasm::{CallContext, CallError, CallOutcome};

use crate::{ContractInfo, Runtime, RuntimeError, keys, load_contract};

/// What a transaction did. A failed transaction changed nothing and emitted nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Return bytes, or how it failed.
    pub result: Result<Vec<u8>, CallError>,
    /// Gas consumed (the limit, if it ran out).
    pub gas_used: Gas,
    /// Events, in order; empty on failure.
    pub events: Vec<Event>,
    /// The new contract's address (deploy only).
    pub address: Option<Address>,
    /// The code id stored or used (deploy and upgrade only).
    pub code_id: Option<CodeId>,
}

impl Receipt {
    pub(crate) fn failed(kind: ErrorKind, message: impl Into<String>) -> Receipt {
        Receipt::error(CallError::new(kind, message))
    }

    pub(crate) fn error(e: CallError) -> Receipt {
        Receipt { result: Err(e), gas_used: 0, events: Vec::new(), address: None, code_id: None }
    }

    fn ok(address: Option<Address>, code_id: Option<CodeId>) -> Receipt {
        Receipt { result: Ok(Vec::new()), gas_used: 0, events: Vec::new(), address, code_id }
    }

    pub(crate) fn from_call(o: CallOutcome) -> Receipt {
        Receipt { result: o.result, gas_used: o.gas_used, events: o.events, address: None, code_id: None }
    }

    /// Whether the transaction succeeded.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// Whether the outcome is a node fault rather than a consensus result: the
    /// wall-clock backstop fired ([`ErrorKind::Timeout`]). A chain must not commit such
    /// a receipt as the transaction's result (retry it, or halt); the CLI reports it.
    pub fn is_node_fault(&self) -> bool {
        matches!(&self.result, Err(e) if e.kind == ErrorKind::Timeout)
    }
}

/// The block being built. Dropping it without [`Block::commit`] discards everything.
pub struct Block<'r> {
    rt: &'r Runtime,
    journal: Journal,
    info: BlockInfo,
}

impl<'r> Block<'r> {
    pub(crate) fn new(rt: &'r Runtime, journal: Journal, info: BlockInfo) -> Block<'r> {
        Block { rt, journal, info }
    }

    /// This block's height and time.
    pub fn info(&self) -> BlockInfo {
        self.info
    }

    /// Validates, compiles and stores `code` (once per distinct code); returns its id.
    /// A module that breaks a deploy rule is refused with kind `validation`.
    pub fn store_code(&mut self, code: &[u8]) -> Result<Result<CodeId, CallError>, RuntimeError> {
        let id = CodeId::of(code);
        if let Err(e) = self.rt.modules.prepare(id, code)? {
            return Ok(Err(CallError::new(ErrorKind::Validation, e.to_string())));
        }
        let key = keys::code(&id);
        if self.journal.get(&key)?.is_none() {
            self.journal.set(&key, code);
        }
        Ok(Ok(id))
    }

    /// Stores `code` and instantiates a contract from it at
    /// `Address::contract(sender, nonce)`, running `init` (method and input) if given,
    /// inside this one transaction: if anything fails, nothing is left behind.
    pub fn deploy(
        &mut self,
        sender: Address,
        code: &[u8],
        init: Option<(&str, Vec<u8>)>,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        let checkpoint = self.journal.checkpoint();
        let receipt = self.deploy_inner(sender, code, init, gas_limit);
        if matches!(&receipt, Ok(r) if r.is_ok()) {
            self.journal.accept(checkpoint);
        } else {
            self.journal.revert(checkpoint);
        }
        receipt
    }

    fn deploy_inner(
        &mut self,
        sender: Address,
        code: &[u8],
        init: Option<(&str, Vec<u8>)>,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        let code_id = match self.store_code(code)? {
            Ok(id) => id,
            Err(e) => return Ok(Receipt::error(e)),
        };
        let nonce_key = keys::nonce(&sender);
        let nonce = self.journal.get(&nonce_key)?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
        self.journal.set(&nonce_key, &(nonce + 1).to_be_bytes());
        let address = Address::contract(&sender, nonce);
        let info =
            ContractInfo { code_id, creator: sender, admin: Some(sender), created_height: self.info.height };
        self.journal.set(&keys::contract(&address), &info.encode());
        let mut receipt = match init {
            None => Receipt::ok(None, None),
            Some((method, input)) => self.call(sender, address, method, input, gas_limit)?,
        };
        if receipt.is_ok() {
            receipt.address = Some(address);
            receipt.code_id = Some(code_id);
        }
        Ok(receipt)
    }

    /// Executes `method` of the contract at `address`.
    pub fn call(
        &mut self,
        sender: Address,
        address: Address,
        method: &str,
        input: Vec<u8>,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        let ctx = CallContext { caller: sender, contract: address, block: self.info, read_only: false };
        let gas = gas_limit.unwrap_or(self.rt.config.default_gas_limit);
        self.rt.execute(&mut self.journal, &ctx, method, input, gas)
    }

    /// Replaces the code of the contract at `address`, keeping its storage. Only its
    /// admin may.
    pub fn upgrade(
        &mut self,
        sender: Address,
        address: Address,
        code: &[u8],
    ) -> Result<Receipt, RuntimeError> {
        let Some(mut info) = load_contract(&self.journal, &address)? else {
            return Ok(Receipt::failed(ErrorKind::NotFound, format!("no contract at {address}")));
        };
        if info.admin != Some(sender) {
            return Ok(Receipt::failed(
                ErrorKind::Unauthorized,
                format!("{sender} is not the admin of {address}"),
            ));
        }
        // A module that fails validation is refused before anything is written.
        let code_id = match self.store_code(code)? {
            Ok(id) => id,
            Err(e) => return Ok(Receipt::error(e)),
        };
        info.code_id = code_id;
        self.journal.set(&keys::contract(&address), &info.encode());
        Ok(Receipt::ok(Some(address), Some(code_id)))
    }

    /// Records the block's height and time and commits everything in one atomic,
    /// durable write.
    pub fn commit(mut self) -> Result<BlockInfo, RuntimeError> {
        self.journal.set(keys::HEIGHT, &self.info.height.to_be_bytes());
        self.journal.set(keys::TIMESTAMP, &self.info.timestamp.to_be_bytes());
        self.journal.commit()?;
        Ok(self.info)
    }
}
