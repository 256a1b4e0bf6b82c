//! revm's journal with cove's checkpoints linked to its frames, so that an EVM frame
//! that reverts after a call to another VM (`cross.rs`) undoes that call in cove's
//! journal too: one failure undoes exactly its own subtree, across VMs.
//!
//! [`LinkedJournal`] delegates everything to revm's [`Journal`] and only watches its
//! checkpoints. Until a message calls another VM it links nothing (one comparison per
//! frame). At a call, every open frame without a cove checkpoint gets one
//! ([`LinkedJournal::link`]): no cove checkpoint is missed by taking it late, because
//! nothing writes cove's journal during a message but such calls, and each call links
//! every frame open at the time. So the frames holding a cove checkpoint are always the
//! outermost ones, and a frame's revm checkpoint and cove checkpoint settle together:
//! accepted when it commits, reverted when it reverts.
//!
//! A cove revert also takes back what revm read from cove's journal after the
//! checkpoint (an account or slot revm loaded for the first time after the call): revm
//! keeps loaded values for the rest of the message, and those values came from a state
//! the revert just undid. Every such first load is logged while a checkpoint is linked
//! (`JournalDb::loads`), and a revert drops the accounts and slots loaded since its
//! checkpoint from revm's state, to be read again. Nothing in revm's journal refers to
//! them any more: they were loaded inside the frame that reverted, whose entries revm
//! has just reverted.

use revm::bytecode::Bytecode;
use revm::context::journal::Journal;
use revm::context_interface::context::{SStoreResult, SelfDestructResult, StateLoad};
use revm::context_interface::journaled_state::account::JournaledAccount;
use revm::context_interface::journaled_state::{
    AccountInfoLoad, AccountLoad, JournalCheckpoint, JournalLoadError, JournalTr, TransferError,
};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, AddressMap, AddressSet, B256, HashSet, Log, StorageKey, StorageValue, U256};
use revm::state::{Account, EvmState, TransientStorage};
use state::Checkpoint;
use types::Event;

use crate::db::{DbError, JournalDb};

/// revm's journal, plus the cove checkpoints of its outermost frames.
pub(crate) struct LinkedJournal {
    pub(crate) revm: Journal<JournalDb>,
    /// Outermost frame first: the cove checkpoint of the frame at that depth, and the
    /// lengths of the load log and of `events` when it was taken.
    linked: Vec<(Checkpoint, usize, usize)>,
    /// The events of successful calls to other VMs, each with the number of EVM logs
    /// before it; a frame that reverts drops those of its calls, as revm drops its logs.
    pub(crate) events: Vec<(usize, Vec<Event>)>,
    /// Whether the message's transient storage outlives it (`transient.rs`): then the
    /// end of its transaction in revm moves it to `transient` rather than clearing it.
    pub(crate) keep_transient: bool,
    /// The transient storage a message with `keep_transient` ended with.
    pub(crate) transient: Option<TransientStorage>,
}

impl std::fmt::Debug for LinkedJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedJournal").field("linked", &self.linked.len()).finish_non_exhaustive()
    }
}

impl LinkedJournal {
    /// Gives every open frame (the current one included) a cove checkpoint, before a
    /// call to another VM writes cove's journal.
    pub(crate) fn link(&mut self) {
        let db = &mut self.revm.database;
        while self.linked.len() < self.revm.inner.depth {
            self.linked.push((db.journal.checkpoint(), db.loads.len(), self.events.len()));
        }
        db.logging = true;
    }

    /// Settles the cove checkpoint of the frame revm just left, if it has one.
    fn settle(&mut self, keep: bool) {
        if self.linked.len() <= self.revm.inner.depth {
            return;
        }
        let (checkpoint, loads, events) = self.linked.pop().expect("more linked than open frames");
        let db = &mut self.revm.database;
        if keep {
            db.journal.accept(checkpoint);
        } else {
            db.journal.revert(checkpoint);
            self.events.truncate(events);
            let state = &mut self.revm.inner.state;
            for (address, slot) in db.loads.drain(loads..) {
                match slot {
                    None => {
                        state.remove(&address);
                    }
                    Some(key) => {
                        if let Some(account) = state.get_mut(&address) {
                            account.storage.remove(&key);
                        }
                    }
                }
            }
            db.seen.forget_all();
        }
        if self.linked.is_empty() {
            db.logging = false;
            db.loads.clear();
        }
    }

    /// Reverts every cove checkpoint still linked (a message that ended in an error,
    /// without settling its frames).
    fn unlink_all(&mut self) {
        while let Some((checkpoint, _, _)) = self.linked.pop() {
            self.revm.database.journal.revert(checkpoint);
        }
        self.revm.database.logging = false;
        self.revm.database.loads.clear();
    }
}

impl JournalTr for LinkedJournal {
    type Database = JournalDb;
    type State = EvmState;
    type JournaledAccount<'a> = JournaledAccount<'a, JournalDb>;

    fn new(database: JournalDb) -> LinkedJournal {
        LinkedJournal {
            revm: Journal::new(database),
            linked: Vec::new(),
            events: Vec::new(),
            keep_transient: false,
            transient: None,
        }
    }

    fn db_and_state(&self) -> (&JournalDb, &EvmState) {
        self.revm.db_and_state()
    }

    #[inline]
    fn db_and_state_mut(&mut self) -> (&mut JournalDb, &mut EvmState) {
        self.revm.db_and_state_mut()
    }

    #[inline]
    fn sload(&mut self, address: Address, key: StorageKey) -> Result<StateLoad<StorageValue>, DbError> {
        self.revm.sload(address, key)
    }

    #[inline]
    fn sload_skip_cold_load(
        &mut self,
        address: Address,
        key: StorageKey,
        skip_cold_load: bool,
    ) -> Result<StateLoad<StorageValue>, JournalLoadError<DbError>> {
        self.revm.sload_skip_cold_load(address, key, skip_cold_load)
    }

    #[inline]
    fn sstore(
        &mut self,
        address: Address,
        key: StorageKey,
        value: StorageValue,
    ) -> Result<StateLoad<SStoreResult>, DbError> {
        self.revm.sstore(address, key, value)
    }

    #[inline]
    fn sstore_skip_cold_load(
        &mut self,
        address: Address,
        key: StorageKey,
        value: StorageValue,
        skip_cold_load: bool,
    ) -> Result<StateLoad<SStoreResult>, JournalLoadError<DbError>> {
        self.revm.sstore_skip_cold_load(address, key, value, skip_cold_load)
    }

    #[inline]
    fn tload(&mut self, address: Address, key: StorageKey) -> StorageValue {
        self.revm.tload(address, key)
    }

    #[inline]
    fn tstore(&mut self, address: Address, key: StorageKey, value: StorageValue) {
        self.revm.tstore(address, key, value)
    }

    #[inline]
    fn log(&mut self, log: Log) {
        self.revm.log(log)
    }

    #[inline]
    fn take_logs(&mut self) -> Vec<Log> {
        self.revm.take_logs()
    }

    #[inline]
    fn logs(&self) -> &[Log] {
        self.revm.logs()
    }

    #[inline]
    fn selfdestruct(
        &mut self,
        address: Address,
        target: Address,
        skip_cold_load: bool,
    ) -> Result<StateLoad<SelfDestructResult>, JournalLoadError<DbError>> {
        self.revm.selfdestruct(address, target, skip_cold_load)
    }

    #[inline]
    fn warm_access_list(&mut self, access_list: AddressMap<HashSet<StorageKey>>) {
        self.revm.warm_access_list(access_list)
    }

    #[inline]
    fn warm_coinbase_account(&mut self, address: Address) {
        self.revm.warm_coinbase_account(address)
    }

    #[inline]
    fn warm_precompiles(&mut self, addresses: &AddressSet) {
        self.revm.warm_precompiles(addresses)
    }

    #[inline]
    fn precompile_addresses(&self) -> &AddressSet {
        self.revm.precompile_addresses()
    }

    #[inline]
    fn set_spec_id(&mut self, spec_id: SpecId) {
        self.revm.set_spec_id(spec_id)
    }

    #[inline]
    fn set_eip7708_config(&mut self, disabled: bool, eip8246_delayed_clear_disabled: bool) {
        self.revm.set_eip7708_config(disabled, eip8246_delayed_clear_disabled)
    }

    #[inline]
    fn touch_account(&mut self, address: Address) {
        self.revm.touch_account(address)
    }

    #[inline]
    fn transfer(
        &mut self,
        from: Address,
        to: Address,
        balance: U256,
    ) -> Result<Option<TransferError>, DbError> {
        self.revm.transfer(from, to, balance)
    }

    #[inline]
    fn transfer_loaded(&mut self, from: Address, to: Address, balance: U256) -> Option<TransferError> {
        self.revm.transfer_loaded(from, to, balance)
    }

    #[inline]
    #[allow(deprecated)]
    fn caller_accounting_journal_entry(&mut self, address: Address, old_balance: U256, bump_nonce: bool) {
        self.revm.caller_accounting_journal_entry(address, old_balance, bump_nonce)
    }

    #[inline]
    fn balance_incr(&mut self, address: Address, balance: U256) -> Result<(), DbError> {
        self.revm.balance_incr(address, balance)
    }

    #[inline]
    #[allow(deprecated)]
    fn nonce_bump_journal_entry(&mut self, address: Address) {
        self.revm.nonce_bump_journal_entry(address)
    }

    #[inline]
    fn load_account(&mut self, address: Address) -> Result<StateLoad<&Account>, DbError> {
        self.revm.load_account(address)
    }

    #[inline]
    fn load_account_with_code(&mut self, address: Address) -> Result<StateLoad<&Account>, DbError> {
        self.revm.load_account_with_code(address)
    }

    #[inline]
    fn load_account_delegated(&mut self, address: Address) -> Result<StateLoad<AccountLoad>, DbError> {
        self.revm.load_account_delegated(address)
    }

    #[inline]
    fn load_account_mut_skip_cold_load(
        &mut self,
        address: Address,
        skip_cold_load: bool,
    ) -> Result<StateLoad<Self::JournaledAccount<'_>>, JournalLoadError<DbError>> {
        self.revm.load_account_mut_skip_cold_load(address, skip_cold_load)
    }

    #[inline]
    fn load_account_mut_optional_code(
        &mut self,
        address: Address,
        load_code: bool,
    ) -> Result<StateLoad<Self::JournaledAccount<'_>>, DbError> {
        self.revm.load_account_mut_optional_code(address, load_code)
    }

    #[inline]
    fn set_code_with_hash(&mut self, address: Address, code: Bytecode, hash: B256) {
        self.revm.set_code_with_hash(address, code, hash)
    }

    #[inline]
    fn checkpoint(&mut self) -> JournalCheckpoint {
        self.revm.checkpoint()
    }

    #[inline]
    fn checkpoint_commit(&mut self) {
        self.revm.checkpoint_commit();
        if !self.linked.is_empty() {
            self.settle(true);
        }
    }

    #[inline]
    fn checkpoint_revert(&mut self, checkpoint: JournalCheckpoint) {
        self.revm.checkpoint_revert(checkpoint);
        if !self.linked.is_empty() {
            self.settle(false);
        }
    }

    #[inline]
    fn create_account_checkpoint(
        &mut self,
        caller: Address,
        address: Address,
        balance: U256,
        spec_id: SpecId,
    ) -> Result<JournalCheckpoint, TransferError> {
        self.revm.create_account_checkpoint(caller, address, balance, spec_id)
    }

    #[inline]
    fn depth(&self) -> usize {
        self.revm.depth()
    }

    #[inline]
    fn commit_tx(&mut self) {
        self.unlink_all();
        if self.keep_transient {
            self.transient = Some(std::mem::take(&mut self.revm.inner.transient_storage));
        }
        self.revm.commit_tx()
    }

    #[inline]
    fn discard_tx(&mut self) {
        self.unlink_all();
        self.revm.discard_tx()
    }

    #[inline]
    fn finalize(&mut self) -> EvmState {
        self.unlink_all();
        self.revm.finalize()
    }

    #[inline]
    fn load_account_info_skip_cold_load(
        &mut self,
        address: Address,
        load_code: bool,
        skip_cold_load: bool,
    ) -> Result<AccountInfoLoad<'_>, JournalLoadError<DbError>> {
        self.revm.load_account_info_skip_cold_load(address, load_code, skip_cold_load)
    }
}
