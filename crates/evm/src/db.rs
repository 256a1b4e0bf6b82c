//! revm's view of cove's state: reads through the journal, writes back after a
//! successful message.
//!
//! Layout (see `docs/state.md`): balance under `keys::balance`, nonce under
//! `keys::nonce` (both shared with every VM), an EVM contract's record (`vm = evm`,
//! `code_id` = keccak-256 of its runtime code) under `keys::contract`, its code under
//! `keys::evm_code`, and slot `k` under `keys::storage(address, k as 32 bytes)` holding
//! the 32-byte big-endian value (zero: no entry).

use revm::bytecode::Bytecode;
use revm::primitives::map::{AddressMap, B256Map};
use revm::primitives::{Address as EvmAddress, B256, KECCAK_EMPTY, StorageKey, StorageValue, U256};
use revm::state::{Account, AccountInfo, EvmState};
use revm::{Database, database_interface::DBErrorMarker};
use state::{Journal, Stamp};
use types::{Address, BlockInfo, CodeId, StorageError, VmType};
use vm::{Balance, ContractInfo, VmError, accounts, keys};

/// A storage failure, as revm needs it typed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct DbError(pub(crate) VmError);

impl DBErrorMarker for DbError {}

impl From<StorageError> for DbError {
    fn from(e: StorageError) -> DbError {
        DbError(VmError::Storage(e))
    }
}

pub(crate) fn to_cove(a: EvmAddress) -> Address {
    Address(a.into_array())
}

pub(crate) fn to_evm(a: &Address) -> EvmAddress {
    EvmAddress::from(a.0)
}

/// The hash `BLOCKHASH` returns for block `number`: cove has no block hashes yet, so a
/// deterministic stand-in, keccak256("cove-block" ++ number as 8 big-endian bytes).
pub fn block_hash(number: u64) -> B256 {
    revm::primitives::keccak256([&b"cove-block"[..], &number.to_be_bytes()].concat())
}

/// Most analyzed EVM codes one [`JournalDb`] keeps (then it starts over).
pub const MAX_CACHED_CODES: usize = 1024;

/// revm's database: the block's journal, moved in for one message and handed back
/// after (revm only reads through it; `commit` writes the result), plus the analyzed
/// bytecode of codes already loaded. Code is content-addressed, so the cache can never
/// be stale.
pub(crate) struct JournalDb {
    pub(crate) journal: Journal,
    codes: B256Map<Bytecode>,
    /// The accounts `basic` decoded, kept across transactions while they are exact.
    pub(crate) seen: Seen,
    /// Whether to log first loads in `loads` (while a cove checkpoint is linked to a
    /// revm frame, `linked.rs`).
    pub(crate) logging: bool,
    /// The accounts (`None`) and slots revm loaded, in order, while `logging`.
    pub(crate) loads: Vec<(EvmAddress, Option<StorageKey>)>,
}

/// Most accounts one [`Seen`] cache holds (then it starts over).
pub const MAX_CACHED_ACCOUNTS: usize = 1 << 16;

/// Accounts as `basic` decoded them (balance, nonce, contract record: three reads),
/// reused by later transactions on the same journal while the journal's [`Stamp`] says
/// nothing changed them. `commit` records the values it writes, so consecutive EVM
/// messages in a block keep their entries; any other write to the journal (a WASM call,
/// a revert) or to the backend drops them all.
///
/// `commit` also reads the entries to write only the fields that changed.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    accounts: AddressMap<SeenAccount>,
    /// The journal stamp at which the entries are exact; `None`: none may be reused.
    valid_at: Option<Stamp>,
    /// The journal's stamp when the current transaction began.
    began: Option<Stamp>,
}

impl Seen {
    /// Starts a transaction on `journal`: keeps the entries only if nothing changed the
    /// journal since [`Seen::end`].
    pub(crate) fn begin(&mut self, journal: &Journal) {
        let now = journal.stamp();
        if now.is_none() || now != self.valid_at || self.accounts.len() >= MAX_CACHED_ACCOUNTS {
            self.accounts.clear();
        }
        self.valid_at = None;
        self.began = now;
    }

    /// Ends the transaction begun on `journal`, whose only writes since were `commit`'s
    /// (which recorded them here). If the backend changed meanwhile, nothing is kept.
    pub(crate) fn end(&mut self, journal: &Journal) {
        self.valid_at = match (self.began.take(), journal.stamp()) {
            (Some(began), Some(now)) if began.journal == now.journal && began.backend == now.backend => {
                Some(now)
            }
            _ => {
                self.accounts.clear();
                None
            }
        };
    }

    fn get(&self, address: &EvmAddress) -> Option<&SeenAccount> {
        self.accounts.get(address)
    }

    /// The contract record of `address` (`Some(None)`: no contract) if the entries are
    /// exact at `now` (nothing has written the journal since the last message) and hold
    /// the account; `None` if they cannot tell.
    pub(crate) fn record_at(&self, now: Stamp, address: &EvmAddress) -> Option<Option<ContractInfo>> {
        if self.valid_at != Some(now) {
            return None;
        }
        self.accounts.get(address).map(|account| account.record.clone())
    }

    fn record(&mut self, address: EvmAddress, account: SeenAccount) {
        self.accounts.insert(address, account);
    }

    pub(crate) fn forget_all(&mut self) {
        self.accounts.clear();
        self.valid_at = None;
        self.began = None;
    }
}

/// One account as the journal holds it.
#[derive(Debug, Clone)]
pub(crate) struct SeenAccount {
    balance: Balance,
    nonce: Option<u64>,
    record: Option<ContractInfo>,
}

impl SeenAccount {
    fn info(&self) -> Option<AccountInfo> {
        let code_hash = match &self.record {
            Some(info) if info.vm == VmType::Evm => B256::from(info.code_id.0),
            _ => KECCAK_EMPTY,
        };
        if self.balance.is_zero() && self.nonce.is_none() && code_hash == KECCAK_EMPTY {
            return None;
        }
        // Every field named: `..Default::default()` would build (and drop) a default
        // `Bytecode` per account load.
        Some(AccountInfo {
            balance: U256::from_be_bytes(self.balance.0),
            nonce: self.nonce.unwrap_or(0),
            code_hash,
            account_id: None,
            code: None,
        })
    }
}

impl JournalDb {
    pub(crate) fn new(journal: Journal) -> JournalDb {
        JournalDb {
            journal,
            codes: Default::default(),
            seen: Seen::default(),
            logging: false,
            loads: Vec::new(),
        }
    }
}

impl Database for JournalDb {
    type Error = DbError;

    fn basic(&mut self, address: EvmAddress) -> Result<Option<AccountInfo>, DbError> {
        if self.logging {
            self.loads.push((address, None));
        }
        if let Some(account) = self.seen.get(&address) {
            return Ok(account.info());
        }
        let cove = to_cove(address);
        let balance = accounts::balance(&self.journal, &cove)?;
        // A nonce entry (even of zero) marks an account that exists though empty, which
        // matters before EIP-161 and for the state root.
        let nonce = self.journal.get_with(&keys::nonce(&cove), |v| v.and_then(keys::decode_u64))?;
        let record = vm::load_contract(&self.journal, &cove).map_err(DbError)?;
        let account = SeenAccount { balance, nonce, record };
        let info = account.info();
        self.seen.record(address, account);
        Ok(info)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(code.clone());
        }
        let Some(code) = self.journal.get(&keys::evm_code(&code_hash.0))? else {
            return Err(DbError(VmError::Corrupt(format!(
                "EVM code {code_hash} is referenced but not stored"
            ))));
        };
        // Stored code may be anything a pre-state held: a malformed EIP-7702 prefix runs
        // as legacy code rather than panicking.
        let code: revm::primitives::Bytes = code.into();
        let code = Bytecode::new_raw_checked(code.clone()).unwrap_or_else(|_| Bytecode::new_legacy(code));
        if self.codes.len() >= MAX_CACHED_CODES {
            self.codes.clear();
        }
        self.codes.insert(code_hash, code.clone());
        Ok(code)
    }

    fn storage(&mut self, address: EvmAddress, index: StorageKey) -> Result<StorageValue, DbError> {
        if self.logging {
            self.loads.push((address, Some(index)));
        }
        slot_value(&self.journal, address, index).map_err(DbError)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        Ok(block_hash(number))
    }
}

/// Slot `index` of `address` as the journal holds it (zero: no entry).
pub(crate) fn slot_value(journal: &Journal, address: EvmAddress, index: StorageKey) -> Result<U256, VmError> {
    let key = keys::slot(&to_cove(address), &index.to_be_bytes::<32>());
    journal.get_with(&key, |v| match v {
        Some(v) if v.len() == 32 => Ok(U256::from_be_slice(v)),
        Some(v) => Err(VmError::Corrupt(format!("EVM slot of {} is {} bytes", to_cove(address), v.len()))),
        None => Ok(U256::ZERO),
    })?
}

/// The account at `address` as the journal holds it, as revm sees it (code not loaded).
pub(crate) fn account_info(journal: &Journal, address: EvmAddress) -> Result<AccountInfo, VmError> {
    let cove = to_cove(address);
    let balance = accounts::balance(journal, &cove)?;
    let nonce = journal.get_with(&keys::nonce(&cove), |v| v.and_then(keys::decode_u64))?;
    let record = vm::load_contract(journal, &cove)?;
    Ok(SeenAccount { balance, nonce, record }.info().unwrap_or_default())
}

/// Writes the accounts a message changed into the journal, the way revm's own state
/// applies them (`CacheState::apply_account_state`): untouched accounts are skipped;
/// self-destructed ones removed; a created account starts from empty storage; a
/// touched empty account is removed (EIP-161; before Spurious Dragon revm's journal
/// does not report such touches). Records in `seen` what each account holds afterwards
/// (on an error, forgets everything: the journal is then only partly written).
///
/// A WASM contract keeps its record and storage whatever the EVM did: the EVM sees it
/// as an account without code.
///
/// `every_slot`: write every slot revm holds of a touched account, not only those that
/// differ from their value at the start of the message: after a call to another VM
/// the journal may already hold a value written earlier in the message (`cross.rs`).
pub(crate) fn commit(
    journal: &mut Journal,
    changes: &EvmState,
    seen: &mut Seen,
    creator: Address,
    block: &BlockInfo,
    every_slot: bool,
) -> Result<(), VmError> {
    write_back(journal, changes, seen, creator, block, every_slot).inspect_err(|_| seen.forget_all())
}

fn write_back(
    journal: &mut Journal,
    changes: &EvmState,
    seen: &mut Seen,
    creator: Address,
    block: &BlockInfo,
    every_slot: bool,
) -> Result<(), VmError> {
    for (&evm_address, account) in changes {
        if !account.is_touched() {
            continue;
        }
        // One lookup of the account's entry, updated in place: `basic` recorded every
        // account revm loaded, so the entry is almost always there.
        match seen.accounts.get_mut(&evm_address) {
            Some(entry) => {
                *entry =
                    write_account(journal, evm_address, account, Some(entry), creator, block, every_slot)?
            }
            None => {
                let after = write_account(journal, evm_address, account, None, creator, block, every_slot)?;
                seen.record(evm_address, after);
            }
        }
    }
    Ok(())
}

/// Writes one touched account (`before`: what the journal held, if known) and returns
/// what it holds afterwards.
fn write_account(
    journal: &mut Journal,
    evm_address: EvmAddress,
    account: &Account,
    before: Option<&SeenAccount>,
    creator: Address,
    block: &BlockInfo,
    every_slot: bool,
) -> Result<SeenAccount, VmError> {
    let address = to_cove(evm_address);
    let record = match before {
        Some(b) => b.record.clone(),
        None => vm::load_contract(journal, &address)?,
    };
    let wasm = record.as_ref().is_some_and(|r| r.vm != VmType::Evm);
    if account.is_selfdestructed() || (!account.is_created() && account.is_empty()) {
        // An account that did not exist before (e.g. a zero-fee coinbase the EVM
        // only touched) has nothing to remove.
        let existed = before.is_none_or(|b| !b.balance.is_zero() || b.nonce.is_some() || b.record.is_some());
        if existed {
            remove_account(journal, &address, record.is_some() && !wasm)?;
        }
        let record = if wasm { record } else { None };
        return Ok(SeenAccount { balance: Balance::ZERO, nonce: None, record });
    }
    if account.is_created() && !wasm {
        clear_storage(journal, &address)?;
    }
    // Unchanged fields are not rewritten (the journal holds the values `basic` read).
    let balance = Balance(account.info.balance.to_be_bytes());
    if before.map(|b| b.balance) != Some(balance) {
        accounts::set_balance(journal, &address, balance)?;
    }
    let nonce = account.info.nonce;
    if before.and_then(|b| b.nonce) != Some(nonce) {
        journal.set(&keys::nonce(&address), &nonce.to_be_bytes());
    }
    let code_hash = account.info.code_hash;
    let record = match record {
        Some(r) if r.vm != VmType::Evm => Some(r),
        Some(_) if code_hash == KECCAK_EMPTY => {
            journal.delete(&keys::contract(&address))?;
            None
        }
        Some(r) if r.code_id.0 == code_hash.0 => Some(r),
        None if code_hash == KECCAK_EMPTY => None,
        _ => {
            let code = account.info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
            journal.set(&keys::evm_code(&code_hash.0), &code);
            let info = ContractInfo {
                vm: VmType::Evm,
                code_id: CodeId(code_hash.0),
                creator,
                admin: None,
                created_height: block.height,
                flags: vm::AppFlags::DEFAULT,
            };
            journal.set(&keys::contract(&address), &info.encode());
            Some(info)
        }
    };
    for (slot, value) in account.storage.iter().filter(|(_, v)| every_slot || v.is_changed()) {
        let key = keys::slot(&address, &slot.to_be_bytes::<32>());
        let value = value.present_value();
        if value.is_zero() {
            journal.delete(&key)?;
        } else {
            journal.set(&key, &value.to_be_bytes::<32>());
        }
    }
    Ok(SeenAccount { balance, nonce: Some(nonce), record })
}

fn remove_account(journal: &mut Journal, address: &Address, evm_record: bool) -> Result<(), VmError> {
    journal.delete(&keys::balance(address))?;
    journal.delete(&keys::nonce(address))?;
    if evm_record {
        journal.delete(&keys::contract(address))?;
        clear_storage(journal, address)?;
    }
    Ok(())
}

fn clear_storage(journal: &mut Journal, address: &Address) -> Result<(), VmError> {
    for (key, _) in journal.scan_prefix(&keys::storage_prefix(address))? {
        journal.delete(&key)?;
    }
    Ok(())
}
