//! A block: transactions applied to one journal, committed atomically.

use state::{BlockRecord, Journal};
use types::{Address, BlockInfo, CallError, CodeId, ErrorKind, Gas, VmType};
use vm::{Balance, Message, Target, accounts, keys};

use crate::{Receipt, Runtime, RuntimeError};

/// The block being built. Dropping it without [`Block::commit`] discards everything.
pub struct Block<'r> {
    rt: &'r Runtime,
    journal: Journal,
    info: BlockInfo,
    /// Transactions run so far: the next one's index in the block.
    txs: u32,
    /// Gas used by the block's transactions so far (`max_block_gas` bounds it).
    gas_used: Gas,
}

impl<'r> Block<'r> {
    pub(crate) fn new(rt: &'r Runtime, journal: Journal, info: BlockInfo) -> Block<'r> {
        Block { rt, journal, info, txs: 0, gas_used: 0 }
    }

    /// The runtime this block belongs to.
    pub fn runtime(&self) -> &'r Runtime {
        self.rt
    }

    /// This block's height and time.
    pub fn info(&self) -> BlockInfo {
        self.info
    }

    /// The index of the transaction about to run, counting every kind (`create`,
    /// `call`, `fund`, `upgrade`, `cosmwasm`) from 0.
    fn next_tx(&mut self) -> u32 {
        let index = self.txs;
        self.txs = self.txs.saturating_add(1);
        index
    }

    /// Admits a transaction naming `gas_limit` (`max_tx_gas` if none) only if the limit
    /// is within `max_tx_gas` and fits in the gas the block has left; refused, it runs
    /// nothing and takes no index (kind `invalid_argument`).
    fn admit(&self, gas_limit: Option<Gas>) -> Result<(), RuntimeError> {
        let config = self.rt.config();
        config.check_gas_limit(gas_limit).map_err(RuntimeError::InvalidArgument)?;
        let wanted = gas_limit.unwrap_or(config.max_tx_gas);
        let left = config.max_block_gas.saturating_sub(self.gas_used);
        if wanted > left {
            return Err(RuntimeError::InvalidArgument(format!(
                "the transaction's gas limit {wanted} exceeds the {left} gas the block has left \
                 (max_block_gas = {})",
                config.max_block_gas
            )));
        }
        Ok(())
    }

    /// Counts a transaction's gas against the block's cap.
    fn spend(&mut self, receipt: Result<Receipt, RuntimeError>) -> Result<Receipt, RuntimeError> {
        if let Ok(r) = &receipt {
            self.gas_used = self.gas_used.saturating_add(r.gas_used);
        }
        receipt
    }

    /// Validates, compiles and stores WASM `code` (once per distinct code); returns its
    /// id. A module that breaks a deploy rule is refused with kind `validation`.
    pub fn store_code(&mut self, code: &[u8]) -> Result<Result<CodeId, CallError>, RuntimeError> {
        self.rt.vms().wasm().store_code(&mut self.journal, code)
    }

    /// Stores WASM `code` and instantiates a contract from it at
    /// `Address::contract(sender, nonce)`, running `init` (method and input) if given,
    /// inside this one transaction: if anything fails, nothing is left behind.
    pub fn deploy(
        &mut self,
        sender: Address,
        code: &[u8],
        init: Option<(&str, Vec<u8>)>,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        let (entry, input) = init.unwrap_or(("", Vec::new()));
        self.create(VmType::Wasm, sender, code, entry, input, Balance::ZERO, gas_limit)
    }

    /// Creates a contract on `vm` from `code`, sending it `value`.
    ///
    /// WASM: `code` is the module, `entry` the init entry point (empty for none) and
    /// `input` its input; the address is `Address::contract(sender, nonce)`. EVM: `code`
    /// is init code, `entry` must be empty, `input` is appended to the init code
    /// (constructor arguments); the address is Ethereum's `CREATE` address.
    #[expect(
        clippy::too_many_arguments,
        reason = "one per field of the message; a struct would only rename them"
    )]
    pub fn create(
        &mut self,
        vm: VmType,
        sender: Address,
        code: &[u8],
        entry: &str,
        input: Vec<u8>,
        value: Balance,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        let msg = Message {
            sender,
            target: Target::Create(code),
            entry,
            input,
            value,
            gas_limit,
            read_only: false,
            callee: None,
        };
        self.admit(gas_limit)?;
        self.next_tx();
        let receipt = self.rt.run(&mut self.journal, &self.info, vm, msg);
        self.spend(receipt)
    }

    /// Executes `method` of the contract at `address` (for an EVM contract, `method` is
    /// empty and `input` is the calldata).
    pub fn call(
        &mut self,
        sender: Address,
        address: Address,
        method: &str,
        input: Vec<u8>,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        self.call_with_value(sender, address, method, input, Balance::ZERO, gas_limit)
    }

    /// [`Block::call`], sending `value` of the native token with the call.
    pub fn call_with_value(
        &mut self,
        sender: Address,
        address: Address,
        method: &str,
        input: Vec<u8>,
        value: Balance,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        let msg = Message {
            sender,
            target: Target::Call(address),
            entry: method,
            input,
            value,
            gas_limit,
            read_only: false,
            callee: None,
        };
        self.admit(gas_limit)?;
        self.next_tx();
        let receipt = self.rt.execute(&mut self.journal, &self.info, msg);
        self.spend(receipt)
    }

    /// Runs a CosmWasm transaction (an instantiate with its label and admin, an
    /// execute, migrate or sudo, with funds of any denomination) as the next
    /// transaction of this block, which the contract sees as `Env.transaction.index`.
    /// Reverted on failure. Returns the receipt and the contracts' `debug` output (for
    /// a developer; not part of the receipt).
    pub fn cosmwasm(
        &mut self,
        request: cosmwasm::Request<'_>,
    ) -> Result<(Receipt, Vec<String>), RuntimeError> {
        self.admit(request.gas_limit)?;
        let index = self.next_tx();
        let checkpoint = self.journal.checkpoint();
        let run = self.rt.vms().cosmwasm().run_in_block(&mut self.journal, &self.info, index, request);
        match &run {
            Ok((o, _)) if o.is_ok() => self.journal.accept(checkpoint),
            _ => self.journal.revert(checkpoint),
        }
        let (receipt, debug) = run?;
        self.gas_used = self.gas_used.saturating_add(receipt.gas_used);
        Ok((receipt, debug))
    }

    /// Dev faucet for the CosmWasm bank: credits `coins` (any denominations; the native
    /// one is the balance every VM sees) to `address`. Fails with `invalid_argument`,
    /// nothing credited, if a balance would pass 2^128 - 1.
    pub fn fund_coins(
        &mut self,
        address: Address,
        coins: &[cosmwasm::Coin],
    ) -> Result<Receipt, RuntimeError> {
        self.next_tx();
        let checkpoint = self.journal.checkpoint();
        match self.rt.vms().cosmwasm().bank().mint(&mut self.journal, &address, coins)? {
            Ok(()) => {
                self.journal.accept(checkpoint);
                Ok(Receipt::done(Some(address), None))
            }
            Err(e) => {
                self.journal.revert(checkpoint);
                Ok(Receipt::failed(e))
            }
        }
    }

    /// Dev faucet: credits `amount` of the native token to `address` out of nowhere.
    /// Fails with `invalid_argument` if the balance would pass 2^256 - 1.
    pub fn fund(&mut self, address: Address, amount: Balance) -> Result<Receipt, RuntimeError> {
        self.next_tx();
        let have = accounts::balance(&self.journal, &address)?;
        let Some(total) = have.checked_add(amount) else {
            let e = CallError::new(
                ErrorKind::InvalidArgument,
                format!("the balance of {address} would overflow"),
            );
            return Ok(Receipt::failed(e));
        };
        accounts::set_balance(&mut self.journal, &address, total)?;
        Ok(Receipt::done(Some(address), None))
    }

    /// Replaces the code of the WASM contract at `address`, keeping its storage. Only
    /// its admin may; EVM contracts are immutable.
    pub fn upgrade(
        &mut self,
        sender: Address,
        address: Address,
        code: &[u8],
    ) -> Result<Receipt, RuntimeError> {
        self.next_tx();
        let Some(mut info) = vm::load_contract(&self.journal, &address)? else {
            return Ok(Receipt::failed(CallError::new(
                ErrorKind::NotFound,
                format!("no contract at {address}"),
            )));
        };
        if info.vm != VmType::Wasm {
            let e = CallError::new(
                ErrorKind::InvalidArgument,
                format!("{address} is an {} contract: only WASM contracts can be upgraded", info.vm),
            );
            return Ok(Receipt::failed(e));
        }
        if info.admin != Some(sender) {
            return Ok(Receipt::failed(CallError::new(
                ErrorKind::Unauthorized,
                format!("{sender} is not the admin of {address}"),
            )));
        }
        // A module that fails validation is refused before anything is written.
        let code_id = match self.store_code(code)? {
            Ok(id) => id,
            Err(e) => return Ok(Receipt::failed(e)),
        };
        info.code_id = code_id;
        self.journal.set(&keys::contract(&address), &info.encode());
        Ok(Receipt::done(Some(address), Some(code_id)))
    }

    /// Commits everything in one atomic, durable write, with the block's record
    /// (height, time and, on an authenticated store, the state root after it).
    pub fn commit(mut self) -> Result<BlockRecord, RuntimeError> {
        let root = self.journal.commit(&self.info)?;
        self.rt.recycle(self.journal);
        Ok(BlockRecord { height: self.info.height, timestamp: self.info.timestamp, root })
    }
}
