//! A block: transactions applied to one journal, committed atomically, within the
//! block's limits ([`BlockLimits`]).
//!
//! Every transaction entry point (`create`, `call`, `cosmwasm`, `fund`, `upgrade`, ...)
//! goes through one gate, [`Block::transact`], which makes two promises an embedder
//! cannot forget to keep:
//!
//! * a receipt of kind `timeout` (the wall-clock backstop: a node fault, never a
//!   consensus result) is never returned, so it can never be committed: the
//!   transaction's effects are rolled back, it takes no transaction index, and the
//!   call returns [`RuntimeError::Timeout`];
//! * a transaction that would pass the block's event bytes is rolled back the same way
//!   ([`RuntimeError::BlockLimit`]), and one past the block's transaction count is not
//!   run at all.
//!
//! Either way the block is left exactly as if the transaction had never been offered,
//! so the caller may go on and commit the rest (a block builder drops the transaction)
//! or drop the whole block (a node replaying a proposed block that it cannot reproduce
//! must not commit a different one: it retries or halts). `?` does the latter.

use serde::{Deserialize, Serialize};
use state::{BlockRecord, Journal};
use types::{Address, BlockInfo, CallError, CodeId, ErrorKind, Event, Gas, VmType};
use vm::{AppFlags, Balance, Env, Message, Target, accounts, keys};

use crate::chain::{self, Exec};
use crate::parallel::{Check, Counters};
use crate::{Config, ExecutionConfig, Receipt, Runtime, RuntimeError};

/// Default of [`BlockLimits::max_event_bytes`]: 128 MiB. One WASM call at the VM's
/// default event limits logs at most 1,024 events of a 256-byte topic and 64 KiB of
/// data (about 64.3 MiB), so a block holds one such transaction and many ordinary ones.
pub const DEFAULT_BLOCK_EVENT_BYTES: u64 = 128 << 20;
/// Largest [`BlockLimits::max_event_bytes`] a configuration may set: 1 GiB. A node holds
/// a block's events in memory until it is committed (the CLI prints them as hex, twice
/// the bytes).
pub const MAX_BLOCK_EVENT_BYTES: u64 = 1 << 30;
/// Default of [`BlockLimits::max_transactions`]: 100,000.
pub const DEFAULT_BLOCK_TRANSACTIONS: u32 = 100_000;
/// Largest [`BlockLimits::max_transactions`] a configuration may set: 1,000,000.
pub const MAX_BLOCK_TRANSACTIONS: u32 = 1_000_000;

/// What one block may hold (`[block]` in `cove.toml`). Part of consensus: every node of
/// a chain must use the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockLimits {
    /// Total bytes of the events of the block's transactions, each event counted as
    /// its contract address (20 bytes) plus its topics plus its data. A transaction
    /// that would pass it is rolled back and left out of the block. By default
    /// [`DEFAULT_BLOCK_EVENT_BYTES`]; at most [`MAX_BLOCK_EVENT_BYTES`].
    pub max_event_bytes: u64,
    /// Transactions in the block (every kind: create, call, fund, upgrade, CosmWasm);
    /// one more is refused before it runs. By default [`DEFAULT_BLOCK_TRANSACTIONS`]; at
    /// most [`MAX_BLOCK_TRANSACTIONS`].
    pub max_transactions: u32,
}

impl Default for BlockLimits {
    fn default() -> BlockLimits {
        BlockLimits {
            max_event_bytes: DEFAULT_BLOCK_EVENT_BYTES,
            max_transactions: DEFAULT_BLOCK_TRANSACTIONS,
        }
    }
}

impl BlockLimits {
    /// Checks the values against their documented ranges.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_event_bytes == 0 || self.max_event_bytes > MAX_BLOCK_EVENT_BYTES {
            return Err(format!(
                "block.max_event_bytes must be in 1..={MAX_BLOCK_EVENT_BYTES}, got {}",
                self.max_event_bytes
            ));
        }
        if self.max_transactions == 0 || self.max_transactions > MAX_BLOCK_TRANSACTIONS {
            return Err(format!(
                "block.max_transactions must be in 1..={MAX_BLOCK_TRANSACTIONS}, got {}",
                self.max_transactions
            ));
        }
        Ok(())
    }
}

/// The bytes an event counts for against [`BlockLimits::max_event_bytes`].
pub fn event_bytes(event: &Event) -> u64 {
    let topics: usize = event.topics.iter().map(Vec::len).sum();
    (event.contract.0.len() + topics + event.data.len()) as u64
}

/// The block being built. Dropping it without [`Block::commit`] discards everything.
pub struct Block<'r> {
    pub(crate) rt: &'r Runtime,
    /// The configuration and VMs in force at this block's height.
    pub(crate) exec: &'r Exec,
    pub(crate) journal: Journal,
    pub(crate) info: BlockInfo,
    /// Transactions in the block so far: the next one's index.
    pub(crate) txs: u32,
    /// Event bytes of the transactions in the block so far.
    pub(crate) event_bytes: u64,
    /// Gas used by the block's transactions so far (`max_block_gas` bounds it).
    pub(crate) gas_used: Gas,
    /// The committed state's [`state::Backend::generation`] when the block began: a
    /// [`Suspended`] block resumes only while it is unchanged.
    pub(crate) generation: Option<u64>,
    /// Set while this block is one transaction of a batch run in parallel
    /// ([`Block::run_batch`]): what the transaction assumed and depended on.
    pub(crate) spec: Option<Box<crate::parallel::Spec>>,
}

/// A block set aside by [`Block::suspend`]: its transactions ran, nothing was
/// committed. [`Runtime::resume`] gives it back, to commit, only while the committed
/// state is the one it began on; dropping it discards it.
pub struct Suspended {
    pub(crate) journal: Journal,
    pub(crate) info: BlockInfo,
    txs: u32,
    event_bytes: u64,
    gas_used: Gas,
    pub(crate) generation: Option<u64>,
}

impl std::fmt::Debug for Suspended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suspended").field("info", &self.info).field("txs", &self.txs).finish_non_exhaustive()
    }
}

impl Suspended {
    /// The block's height and time.
    pub fn info(&self) -> BlockInfo {
        self.info
    }
}

impl<'r> Block<'r> {
    pub(crate) fn new(rt: &'r Runtime, exec: &'r Exec, journal: Journal, info: BlockInfo) -> Block<'r> {
        let generation = journal.stamp().map(|s| s.backend);
        Block { rt, exec, journal, info, txs: 0, event_bytes: 0, gas_used: 0, generation, spec: None }
    }

    pub(crate) fn resumed(rt: &'r Runtime, exec: &'r Exec, s: Suspended) -> Block<'r> {
        let Suspended { journal, info, txs, event_bytes, gas_used, generation } = s;
        Block { rt, exec, journal, info, txs, event_bytes, gas_used, generation, spec: None }
    }

    /// Sets the block aside uncommitted, everything it ran kept, to be resumed with
    /// [`Runtime::resume`] (which refuses it once anything else was committed).
    pub fn suspend(self) -> Suspended {
        Suspended {
            journal: self.journal,
            info: self.info,
            txs: self.txs,
            event_bytes: self.event_bytes,
            gas_used: self.gas_used,
            generation: self.generation,
        }
    }

    /// The configuration this block runs with: the chain's execution settings in force
    /// at its height, with the node's local ones.
    pub fn config(&self) -> &'r Config {
        &self.exec.config
    }

    /// Transactions in the block so far (timed-out and refused ones are not).
    pub fn transactions(&self) -> u32 {
        self.totals_seen();
        self.txs
    }

    /// Event bytes of the transactions in the block so far ([`event_bytes`]).
    pub fn event_bytes(&self) -> u64 {
        self.totals_seen();
        self.event_bytes
    }

    /// In a parallel run, the transaction read totals it only guessed: it runs again
    /// in order.
    fn totals_seen(&self) {
        if let Some(spec) = &self.spec {
            spec.untrusted.set(true);
        }
    }

    /// `r`, noting in a parallel run that a store's error met outside a message cannot
    /// stand (the run in order may meet it or not).
    fn trusted<T, E>(&self, r: Result<T, E>) -> Result<T, E> {
        if r.is_err()
            && let Some(spec) = &self.spec
        {
            spec.untrusted.set(true);
        }
        r
    }

    /// Runs one transaction: `run` gets the journal and the transaction's index. The
    /// transaction joins the block (its index taken, its changes kept, its event bytes
    /// and gas counted) only if it fits the block's limits and did not time out; otherwise
    /// everything it did is rolled back and the error says why ([`RuntimeError::Timeout`],
    /// [`RuntimeError::BlockLimit`]). A node fault from `run` rolls it back too.
    ///
    /// A transaction that succeeded settles its storage deposits
    /// ([`vm::deposit::settle`]) before it joins: if a contract cannot pay, everything it
    /// did is rolled back and its receipt fails with kind `storage_deposit`, keeping the
    /// gas it used.
    fn transact<T>(
        &mut self,
        receipt: impl Fn(&mut T) -> &mut Receipt,
        run: impl FnOnce(&Exec, &mut Journal, &BlockInfo, u32) -> Result<T, RuntimeError>,
    ) -> Result<T, RuntimeError> {
        let limits = self.exec.config.block;
        let full = self.txs >= limits.max_transactions;
        let txs = self.txs;
        self.note(|start| Check::Txs { before: txs - start.txs }, !full);
        if full {
            return Err(RuntimeError::BlockLimit(format!(
                "the block already holds {} transactions (block.max_transactions)",
                self.txs
            )));
        }
        // Transient entries (the EVM's transient storage) live for one transaction.
        self.journal.clear_transient();
        let checkpoint = self.journal.checkpoint();
        let out = run(self.exec, &mut self.journal, &self.info, self.txs);
        self.journal.clear_transient();
        let mut out = match out {
            Ok(out) => out,
            Err(e) => {
                // A node fault or a store's error: never trusted from a speculative run.
                self.cannot_stand();
                self.journal.revert(checkpoint);
                return Err(e);
            }
        };
        let r = receipt(&mut out);
        if let Err(e) = &r.result
            && r.is_node_fault()
        {
            self.cannot_stand();
            self.journal.revert(checkpoint);
            return Err(RuntimeError::Timeout(e.message.clone()));
        }
        match settle_deposits(&mut self.journal, checkpoint, &self.exec.config, r) {
            Ok(true) => {}
            Ok(false) => self.journal.revert(checkpoint),
            Err(e) => {
                self.journal.revert(checkpoint);
                return Err(e.into());
            }
        }
        let bytes = r.events.iter().map(event_bytes).sum::<u64>();
        let total = self.event_bytes.saturating_add(bytes);
        let before = self.event_bytes;
        self.note(
            |start| Check::Events { before: before - start.event_bytes, bytes },
            total <= limits.max_event_bytes,
        );
        if total > limits.max_event_bytes {
            self.journal.revert(checkpoint);
            return Err(RuntimeError::BlockLimit(format!(
                "the transaction's events ({bytes} bytes) would take the block's to {total} bytes, over \
                 block.max_event_bytes ({})",
                limits.max_event_bytes
            )));
        }
        let gas = r.gas_used;
        self.journal.accept(checkpoint);
        self.txs += 1;
        self.event_bytes = total;
        self.gas_used = self.gas_used.saturating_add(gas);
        Ok(out)
    }

    /// In a parallel run: this transaction's run cannot stand (it runs again in order).
    fn cannot_stand(&mut self) {
        if let Some(spec) = &mut self.spec {
            spec.fail();
        }
    }

    /// Records, in a parallel run, a check of the block's limits that `passed`
    /// (`check` gets the counters the transaction started with).
    fn note(&mut self, check: impl FnOnce(Counters) -> Check, passed: bool) {
        if let Some(spec) = &mut self.spec {
            let c = check(spec.start);
            spec.check(c, passed);
        }
    }

    /// The runtime this block belongs to.
    pub fn runtime(&self) -> &'r Runtime {
        self.rt
    }

    /// This block's height and time.
    pub fn info(&self) -> BlockInfo {
        self.info
    }

    /// Admits a transaction naming `gas_limit` (`max_tx_gas` if none) only if the limit
    /// is within `max_tx_gas` ([`RuntimeError::InvalidArgument`] otherwise: the
    /// transaction can never run) and fits in the gas the block has left
    /// ([`RuntimeError::BlockLimit`] otherwise: it is dropped from this block and may
    /// run in the next). Refused, it runs nothing and takes no index.
    fn admit(&mut self, gas_limit: Option<Gas>) -> Result<(), RuntimeError> {
        let config = &self.exec.config;
        config.check_gas_limit(gas_limit).map_err(RuntimeError::InvalidArgument)?;
        let wanted = gas_limit.unwrap_or(config.max_tx_gas);
        let left = config.max_block_gas.saturating_sub(self.gas_used);
        let used = self.gas_used;
        self.note(|start| Check::Gas { before: used - start.gas_used, wanted }, wanted <= left);
        if wanted > left {
            return Err(RuntimeError::BlockLimit(format!(
                "the transaction's gas limit {wanted} exceeds the {left} gas the block has left \
                 (max_block_gas = {})",
                config.max_block_gas
            )));
        }
        Ok(())
    }

    /// Validates, compiles and stores WASM `code` (once per distinct code), as one
    /// transaction paying its deploy gas (`[wasm.gas.deploy]`, `docs/gas.md`) out of
    /// `gas_limit` (`default_gas_limit` if none) before the module is validated or
    /// compiled.
    /// The receipt names the code id; it fails with kind `out_of_gas` (all of the limit
    /// used, nothing stored) if the deploy gas is above the limit, `validation` if the
    /// module breaks a deploy rule.
    pub fn store_code(&mut self, code: &[u8], gas_limit: Option<Gas>) -> Result<Receipt, RuntimeError> {
        self.admit(gas_limit)?;
        let limit = gas_limit.unwrap_or(self.exec.config.default_gas_limit);
        self.transact(
            |r| r,
            |rt, journal, _, _| {
                let (stored, gas_used) = rt.vms.wasm().store_priced(journal, code, limit)?;
                let mut receipt = match stored {
                    Ok(id) => Receipt::done(None, Some(id)),
                    Err(e) => Receipt::failed(e),
                };
                receipt.gas_used = gas_used;
                Ok(receipt)
            },
        )
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
        self.create_with_flags(vm, sender, code, entry, input, value, gas_limit, AppFlags::DEFAULT)
    }

    /// [`Block::create`], recording the contract with `flags` (`docs/abi.md`, "App
    /// flags"). `code` of cove's ABI may be gzip-compressed.
    #[expect(
        clippy::too_many_arguments,
        reason = "one per field of the message and the flags; a struct would only rename them"
    )]
    pub fn create_with_flags(
        &mut self,
        vm: VmType,
        sender: Address,
        code: &[u8],
        entry: &str,
        input: Vec<u8>,
        value: Balance,
        gas_limit: Option<Gas>,
        flags: AppFlags,
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
        self.transact(|r| r, |rt, journal, info, _| rt.create(journal, info, vm, msg, flags))
    }

    /// Instantiates a contract of cove's ABI from the stored code `code_id` (see
    /// [`Block::store_code`]) at `Address::contract(sender, nonce)`, sending it `value`
    /// and running `entry` (empty for none) with `input`. Fails with `not_found` if no
    /// such code is stored.
    pub fn instantiate(
        &mut self,
        sender: Address,
        code_id: CodeId,
        entry: &str,
        input: Vec<u8>,
        value: Balance,
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        self.instantiate_with_flags(sender, code_id, entry, input, value, gas_limit, AppFlags::DEFAULT)
    }

    /// [`Block::instantiate`], recording the contract with `flags` before its init
    /// entry point runs.
    #[expect(
        clippy::too_many_arguments,
        reason = "one per field of the message and the flags; a struct would only rename them"
    )]
    pub fn instantiate_with_flags(
        &mut self,
        sender: Address,
        code_id: CodeId,
        entry: &str,
        input: Vec<u8>,
        value: Balance,
        gas_limit: Option<Gas>,
        flags: AppFlags,
    ) -> Result<Receipt, RuntimeError> {
        let msg = Message {
            sender,
            target: Target::Call(Address::default()),
            entry,
            input,
            value,
            gas_limit,
            read_only: false,
            callee: None,
        };
        self.admit(gas_limit)?;
        self.transact(|r| r, |rt, journal, info, _| rt.instantiate(journal, info, msg, code_id, flags))
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
        self.transact(|r| r, |rt, journal, info, _| rt.execute(journal, info, msg))
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
        // The contract sees its transaction's index: a parallel run must have guessed it.
        if let Some(spec) = &mut self.spec {
            spec.index_seen = true;
        }
        self.transact(
            |(r, _)| r,
            |rt, journal, info, index| {
                let cosmwasm = rt.vms.cosmwasm();
                let keep = |(o, _): &(Receipt, _)| o.is_ok();
                let env = Env::new(info, &rt.dispatch);
                Ok(vm::in_checkpoint(journal, keep, |j| cosmwasm.run_in_env(j, &env, Some(index), request))?)
            },
        )
    }

    /// Dev faucet for the CosmWasm bank: credits `coins` (any denominations; the native
    /// one is the balance every VM sees) to `address`. Fails with `invalid_argument`,
    /// nothing credited, if a balance would pass 2^128 - 1.
    pub fn fund_coins(
        &mut self,
        address: Address,
        coins: &[cosmwasm::Coin],
    ) -> Result<Receipt, RuntimeError> {
        self.transact(
            |r| r,
            |rt, journal, _, _| {
                let bank = rt.vms.cosmwasm().bank();
                let minted = vm::in_checkpoint(journal, Result::is_ok, |j| bank.mint(j, &address, coins))?;
                Ok(match minted {
                    Ok(()) => Receipt::done(Some(address), None),
                    Err(e) => Receipt::failed(e),
                })
            },
        )
    }

    /// Dev faucet: credits `amount` of the native token to `address` out of nowhere.
    /// Fails with `invalid_argument` if the balance would pass 2^256 - 1.
    pub fn fund(&mut self, address: Address, amount: Balance) -> Result<Receipt, RuntimeError> {
        self.transact(
            |r| r,
            |_, journal, _, _| {
                let have = accounts::balance(journal, &address)?;
                let Some(total) = have.checked_add(amount) else {
                    let e = CallError::new(
                        ErrorKind::InvalidArgument,
                        format!("the balance of {address} would overflow"),
                    );
                    return Ok(Receipt::failed(e));
                };
                accounts::set_balance(journal, &address, total)?;
                Ok(Receipt::done(Some(address), None))
            },
        )
    }

    /// Replaces the code of the WASM contract at `address`, keeping its storage, paying
    /// the new code's deploy gas out of `gas_limit` (`default_gas_limit` if none) as
    /// [`Block::store_code`] does. Only its admin may; EVM contracts are immutable.
    pub fn upgrade(
        &mut self,
        sender: Address,
        address: Address,
        code: &[u8],
        gas_limit: Option<Gas>,
    ) -> Result<Receipt, RuntimeError> {
        self.admit(gas_limit)?;
        let limit = gas_limit.unwrap_or(self.exec.config.default_gas_limit);
        self.transact(|r| r, |rt, journal, _, _| upgrade(rt, journal, sender, address, code, limit))
    }

    /// Schedules `config` as the chain's execution configuration from block
    /// `activation` on (`docs/chain-config.md`, "Upgrades"): written into this block's
    /// state, so it is committed with the block and covered by its root. It takes no
    /// transaction index and runs nothing. A version already scheduled for that height is
    /// replaced. Refused with [`RuntimeError::InvalidArgument`], writing nothing, if
    /// `activation` is not above this block's height (no committed or running block's
    /// configuration ever changes), if `config` is invalid (the message names the
    /// setting) or if the chain already holds [`crate::MAX_CONFIG_VERSIONS`] versions.
    pub fn schedule_execution_config(
        &mut self,
        activation: u64,
        config: &ExecutionConfig,
    ) -> Result<(), RuntimeError> {
        if activation <= self.info.height {
            return Err(RuntimeError::InvalidArgument(format!(
                "an execution configuration takes effect after the block that schedules it: the activation \
                 height must be above {}, got {activation}",
                self.info.height
            )));
        }
        let reserved = usize::from(self.rt.missing_genesis()?.is_some());
        chain::schedule(&mut self.journal, activation, config, reserved)
    }

    /// Commits everything in one atomic, durable write, with the block's record
    /// (height, time and, on an authenticated store, the state root after it). The
    /// first block a store commits also records the chain's genesis execution
    /// configuration. Before that, it removes the entries with a life expired at its
    /// height ([`vm::lived::purge`], at most [`vm::lived::MAX_EXPIRIES_PER_BLOCK`]) and
    /// pays back the unbonding delegations complete at its time
    /// ([`cosmwasm::staking::Staking::mature`]).
    pub fn commit(mut self) -> Result<BlockRecord, RuntimeError> {
        if let Some(genesis) = self.rt.missing_genesis()? {
            self.journal.set(&keys::execution_config(genesis.activation), &genesis.config.canonical_bytes());
        }
        // Entries with a life that expired at this height leave the state with this
        // block, a bounded number per block (docs/state.md, "Storage with a life").
        vm::lived::purge(&mut self.journal, self.info.height, vm::lived::MAX_EXPIRIES_PER_BLOCK)?;
        // Unbonding delegations complete at this block's time pay out, a bounded number
        // per block (docs/cosmwasm.md, "Staking and distribution").
        self.exec.vms.cosmwasm().staking().mature(&mut self.journal, self.info.timestamp)?;
        let root = self.journal.commit(&self.info)?;
        self.rt.recycle(self.journal);
        self.rt.refresh_current();
        Ok(BlockRecord { height: self.info.height, timestamp: self.info.timestamp, root })
    }
}

/// Settles the storage deposits of a transaction that ran since `checkpoint` and
/// succeeded ([`vm::deposit::settle`]). `Ok(false)` if a contract cannot pay: `receipt`
/// is then a `storage_deposit` failure keeping its gas, and the caller reverts to
/// `checkpoint`. A failed receipt settles nothing.
pub(crate) fn settle_deposits(
    journal: &mut Journal,
    checkpoint: state::Checkpoint,
    config: &Config,
    receipt: &mut Receipt,
) -> Result<bool, types::StorageError> {
    if !receipt.is_ok() {
        return Ok(true);
    }
    match vm::deposit::settle(journal, checkpoint, &config.storage_deposit)? {
        Ok(()) => Ok(true),
        Err(e) => {
            *receipt = Receipt { gas_used: receipt.gas_used, ..Receipt::failed(e) };
            Ok(false)
        }
    }
}

/// [`Block::upgrade`] in `journal`. It writes only once every check passed, so a failure
/// leaves nothing to roll back.
fn upgrade(
    rt: &Exec,
    journal: &mut Journal,
    sender: Address,
    address: Address,
    code: &[u8],
    gas_limit: Gas,
) -> Result<Receipt, RuntimeError> {
    let Some(mut info) = vm::load_contract(journal, &address)? else {
        return Ok(Receipt::failed(CallError::new(ErrorKind::NotFound, format!("no contract at {address}"))));
    };
    let vm = rt.vms.get(info.vm);
    if !vm.upgradable() {
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
    // A module that fails validation is refused before anything is written (the caller
    // reverts the failure).
    let (stored, gas_used) = rt.vms.wasm().store_priced(journal, code, gas_limit)?;
    let code_id = match stored {
        Ok(id) => id,
        Err(e) => return Ok(Receipt { gas_used, ..Receipt::failed(e) }),
    };
    info.code_id = code_id;
    journal.set(&keys::contract(&address), &info.encode());
    Ok(Receipt { gas_used, ..Receipt::done(Some(address), Some(code_id)) })
}

/// Balance and nonce changes outside any message, for a node that charges fees for
/// signed transactions: the node debits the most a transaction may cost before it runs,
/// refunds what it did not use and pays the fee recipient after, and bumps the nonce of a
/// sender whose transaction failed (a failed message itself leaves nothing behind). None
/// of them takes a transaction index or counts against the block's limits.
impl Block<'_> {
    /// Takes `amount` of the native token from `address`. If the balance is short,
    /// nothing changes and the error (kind `invalid_argument`) says by how much.
    pub fn debit(
        &mut self,
        address: Address,
        amount: Balance,
    ) -> Result<Result<(), CallError>, RuntimeError> {
        let have = self.trusted(accounts::balance(&self.journal, &address))?;
        let Some(left) = have.checked_sub(amount) else {
            return Ok(Err(CallError::new(
                ErrorKind::InvalidArgument,
                format!("insufficient funds: balance {have}, needed {amount}"),
            )));
        };
        let set = accounts::set_balance(&mut self.journal, &address, left);
        self.trusted(set)?;
        Ok(Ok(()))
    }

    /// Gives `amount` of the native token to `address`. If the balance would pass
    /// 2^256 - 1, nothing changes and the error (kind `invalid_argument`) says so.
    ///
    /// In a transaction of a parallel batch ([`Block::run_batch`]) a credit to a
    /// balance the transaction has not read or written is added when it commits, in
    /// order, with the same result; a transaction that reads that balance afterwards is
    /// run again in order. So many transactions paying one account run in parallel.
    pub fn credit(
        &mut self,
        address: Address,
        amount: Balance,
    ) -> Result<Result<(), CallError>, RuntimeError> {
        // In a parallel run, a credit to a balance this transaction has not touched is
        // added when it commits, so transactions that all pay one account (a fee
        // recipient) do not conflict over it (`docs/parallel.md`, "Credits").
        if let Some(spec) = &mut self.spec
            && spec.defer_credit(&self.journal, address, amount)
        {
            // A VM that cached the balance reads it again, through the view, which
            // then knows the run cannot stand.
            self.journal.touch();
            return Ok(Ok(()));
        }
        let have = self.trusted(accounts::balance(&self.journal, &address))?;
        let Some(total) = have.checked_add(amount) else {
            return Ok(Err(CallError::new(
                ErrorKind::InvalidArgument,
                format!("the balance of {address} would overflow"),
            )));
        };
        let set = accounts::set_balance(&mut self.journal, &address, total);
        self.trusted(set)?;
        Ok(Ok(()))
    }

    /// Runs `f` on this block's state, outside any message (like [`Block::debit`]): for
    /// a tool that executes transactions with an executor of its own (the Ethereum state
    /// tests' harness). `f` must leave no checkpoint of its own live. In a task of a
    /// parallel batch ([`Block::run_batch`]), `f` sees the task's view of the state and
    /// its writes join the block when the task commits.
    pub fn with_state<R>(&mut self, f: impl FnOnce(&mut Journal) -> R) -> R {
        // `f` may read a balance a deferred credit changes, through a cache of its own:
        // in a parallel run after one, it cannot stand.
        if self.spec.as_ref().is_some_and(|spec| spec.has_deferred()) {
            self.cannot_stand();
        }
        f(&mut self.journal)
    }

    /// The nonce of `address` in this block so far.
    pub fn nonce(&self, address: &Address) -> Result<u64, RuntimeError> {
        let value = self.trusted(self.journal.get(&keys::nonce(address)))?;
        Ok(value.and_then(|v| keys::decode_u64(&v)).unwrap_or(0))
    }

    /// The native balance of `address` in this block so far.
    pub fn balance(&self, address: &Address) -> Result<Balance, RuntimeError> {
        Ok(self.trusted(accounts::balance(&self.journal, address))?)
    }

    /// Adds one to the nonce of `address`.
    pub fn bump_nonce(&mut self, address: Address) -> Result<(), RuntimeError> {
        let next = self
            .nonce(&address)?
            .checked_add(1)
            .ok_or_else(|| RuntimeError::InvalidArgument(format!("the nonce of {address} would overflow")))?;
        self.journal.set(&keys::nonce(&address), &next.to_be_bytes());
        Ok(())
    }
}
