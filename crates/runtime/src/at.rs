//! Reads of the committed state at one height: the head, or a retained past height of
//! an authenticated store.

use std::sync::Arc;

use state::{Backend, Journal, Order};
use types::{Address, BlockInfo};
use vm::{Balance, ContractInfo, Message, Target, keys};

use crate::chain::Exec;
use crate::{Config, Entries, Receipt, RuntimeError};

/// The committed state right after one block ([`crate::Runtime::at`]). Nothing done
/// through it is ever committed. Calls run with the chain's execution configuration in force at
/// that block's height, so a query at a past height gives the gas it gave then.
pub struct StateAt<'r> {
    /// The configuration and VMs in force at `block`'s height.
    exec: &'r Exec,
    backend: Arc<dyn Backend>,
    block: BlockInfo,
}

impl<'r> StateAt<'r> {
    pub(crate) fn new(exec: &'r Exec, backend: Arc<dyn Backend>, block: BlockInfo) -> StateAt<'r> {
        StateAt { exec, backend, block }
    }

    /// The configuration calls at this state run with.
    pub fn config(&self) -> &'r Config {
        &self.exec.config
    }

    /// The block this state follows (height 0 and time 0: before the first).
    pub fn block(&self) -> BlockInfo {
        self.block
    }

    fn journal(&self) -> Journal {
        Journal::new(self.backend.clone())
    }

    /// Runs `method` read-only. Any storage write or delete ends it with
    /// [`types::ErrorKind::ReadOnly`]. For an EVM contract `method` is empty and `input` is the
    /// calldata (an `eth_call`). The call sees this state's block height and time.
    pub fn query(
        &self,
        sender: Address,
        address: Address,
        method: &str,
        input: Vec<u8>,
        gas_limit: Option<u64>,
    ) -> Result<Receipt, RuntimeError> {
        let msg = Message {
            sender,
            target: Target::Call(address),
            entry: method,
            input,
            value: Balance::ZERO,
            gas_limit,
            read_only: true,
            callee: None,
        };
        self.exec.execute(&mut self.journal(), &self.block, msg)
    }

    /// Runs a CosmWasm contract's `query` entry point with `msg` (read-only, in no
    /// transaction): the receipt, whose result is the query's answer, and the
    /// contract's `debug` output.
    pub fn cosmwasm_query(
        &self,
        contract: Address,
        msg: &[u8],
        gas_limit: Option<u64>,
    ) -> Result<(Receipt, Vec<String>), RuntimeError> {
        self.exec.config.check_gas_limit(gas_limit).map_err(RuntimeError::InvalidArgument)?;
        let request = cosmwasm::Request {
            // A query has no sender; the field is unused.
            sender: Address([0; 20]),
            action: cosmwasm::Action::Query { contract },
            msg,
            funds: &[],
            gas_limit,
        };
        let env = vm::Env::new(&self.block, &self.exec.dispatch);
        Ok(self.exec.vms.cosmwasm().run_in_env(&mut self.journal(), &env, None, request)?)
    }

    /// A contract's metadata.
    pub fn contract(&self, address: &Address) -> Result<Option<ContractInfo>, RuntimeError> {
        Ok(vm::load_contract(&self.journal(), address)?)
    }

    /// An account's nonce: deploys it made, plus EVM transactions it sent.
    pub fn nonce(&self, address: &Address) -> Result<u64, RuntimeError> {
        let value = self.journal().get(&keys::nonce(address))?;
        Ok(value.and_then(|v| keys::decode_u64(&v)).unwrap_or(0))
    }

    /// An account's native balance.
    pub fn balance(&self, address: &Address) -> Result<Balance, RuntimeError> {
        Ok(vm::accounts::balance(&self.journal(), address)?)
    }

    /// A contract's storage deposit: the bytes it keeps and the balance held for them
    /// (zero for an account that holds none; `docs/gas.md`, "Storage deposits").
    pub fn deposit(&self, address: &Address) -> Result<vm::deposit::Deposit, RuntimeError> {
        Ok(vm::deposit::read(&self.journal(), address)?)
    }

    /// The CosmWasm staking module's validator set.
    pub fn validators(&self) -> Vec<cosmwasm::staking::Validator> {
        self.exec.vms.cosmwasm().staking().validators().to_vec()
    }

    /// `delegator`'s delegations, with their rewards at this state's height, and its
    /// tokens unbonding (`docs/cosmwasm.md`, "Staking and distribution").
    pub fn delegations(
        &self,
        delegator: &Address,
    ) -> Result<(Vec<cosmwasm::staking::Delegation>, Vec<cosmwasm::staking::Unbonding>), RuntimeError> {
        let staking = self.exec.vms.cosmwasm().staking();
        let journal = self.journal();
        let height = self.block().height;
        Ok((staking.delegations(&journal, height, delegator)?, staking.unbondings(&journal, delegator)?))
    }

    /// The CosmWasm governance module's proposals, each with its tally at this state's
    /// height (`docs/cosmwasm.md`, "Governance votes").
    pub fn proposals(&self) -> Result<Vec<cosmwasm::gov::Tally>, RuntimeError> {
        let cosmwasm = self.exec.vms.cosmwasm();
        Ok(cosmwasm.gov().tallies(&self.journal(), self.block().height, cosmwasm.staking())?)
    }

    /// An account's non-zero balances of every denomination of the CosmWasm bank, the
    /// native one included, sorted by denomination.
    pub fn coins(&self, address: &Address) -> Result<Vec<cosmwasm::Coin>, RuntimeError> {
        Ok(self.exec.vms.cosmwasm().bank().all_balances(&self.journal(), address)?)
    }

    /// The raw value under `key` (a key of [`vm::keys`]: an EVM slot, EVM code), if any:
    /// what a node serves as `eth_getStorageAt` and `eth_getCode`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, RuntimeError> {
        Ok(self.journal().get(key)?)
    }

    /// At most `limit` key/value pairs of a contract's storage, in key order, from the
    /// first key at or after `start` (the key within the contract's storage): one page,
    /// read without reading the rest. Fewer than `limit` pairs means the storage ends.
    pub fn contract_state_page(
        &self,
        address: &Address,
        start: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, RuntimeError> {
        let prefix = keys::storage_prefix(address);
        Ok(self
            .backend
            .scan_range(&prefix, start, None, Order::Ascending, limit)?
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_vec(), v))
            .collect())
    }

    /// Every entry with a life of a contract alive in this state (at this block's
    /// height), in key order: its key, value and expiry height.
    pub fn lived_state(&self, address: &Address) -> Result<Vec<(Vec<u8>, types::Lived)>, RuntimeError> {
        Ok(vm::lived::entries(&self.journal(), address, self.block.height)?)
    }

    /// The entry with a life under `key` of a contract, if alive in this state.
    pub fn lived(&self, address: &Address, key: &[u8]) -> Result<Option<types::Lived>, RuntimeError> {
        Ok(vm::lived::read(&self.journal(), address, key, self.block.height)?)
    }

    /// Every key/value pair in a contract's storage, in key order.
    pub fn contract_state(&self, address: &Address) -> Result<Entries, RuntimeError> {
        if self.contract(address)?.is_none() {
            return Err(RuntimeError::NotFound(format!(
                "no contract at {address} at height {}",
                self.block.height
            )));
        }
        let prefix = keys::storage_prefix(address);
        Ok(self
            .backend
            .scan_prefix(&prefix)?
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_vec(), v))
            .collect())
    }
}
