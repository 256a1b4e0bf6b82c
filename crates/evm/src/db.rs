//! revm's view of cove's state: reads through the journal, writes back after a
//! successful message.
//!
//! Layout (see `docs/state.md`): balance under `keys::balance`, nonce under
//! `keys::nonce` (both shared with every VM), an EVM contract's record (`vm = evm`,
//! `code_id` = keccak-256 of its runtime code) under `keys::contract`, its code under
//! `keys::evm_code`, and slot `k` under `keys::storage(address, k as 32 bytes)` holding
//! the 32-byte big-endian value (zero: no entry).

use std::collections::HashMap;

use revm::bytecode::Bytecode;
use revm::primitives::{Address as EvmAddress, B256, KECCAK_EMPTY, StorageKey, StorageValue, U256};
use revm::state::{AccountInfo, EvmState};
use revm::{Database, database_interface::DBErrorMarker};
use state::Journal;
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
    codes: HashMap<B256, Bytecode>,
    /// What `basic` read for each account in the current transaction, so `commit`
    /// writes only what changed and reuses the decoded records. Cleared per transaction.
    pub(crate) seen: Seen,
}

/// Accounts as `basic` read them during one transaction.
pub(crate) type Seen = HashMap<EvmAddress, SeenAccount>;

/// One account as read before the transaction changed anything.
#[derive(Debug, Clone)]
pub(crate) struct SeenAccount {
    balance: Balance,
    nonce: Option<u64>,
    record: Option<ContractInfo>,
}

impl JournalDb {
    pub(crate) fn new(journal: Journal) -> JournalDb {
        JournalDb { journal, codes: HashMap::new(), seen: Seen::new() }
    }
}

impl Database for JournalDb {
    type Error = DbError;

    fn basic(&mut self, address: EvmAddress) -> Result<Option<AccountInfo>, DbError> {
        let cove = to_cove(address);
        let balance = accounts::balance(&self.journal, &cove)?;
        // A nonce entry (even of zero) marks an account that exists though empty, which
        // matters before EIP-161 and for the state root.
        let nonce = self.journal.get_with(&keys::nonce(&cove), |v| v.and_then(keys::decode_u64))?;
        let record = vm::load_contract(&self.journal, &cove).map_err(DbError)?;
        let code_hash = match &record {
            Some(info) if info.vm == VmType::Evm => B256::from(info.code_id.0),
            _ => KECCAK_EMPTY,
        };
        self.seen.insert(address, SeenAccount { balance, nonce, record });
        if balance.is_zero() && nonce.is_none() && code_hash == KECCAK_EMPTY {
            return Ok(None);
        }
        Ok(Some(AccountInfo {
            balance: U256::from_be_bytes(balance.0),
            nonce: nonce.unwrap_or(0),
            code_hash,
            code: None,
            ..Default::default()
        }))
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
        let key = keys::slot(&to_cove(address), &index.to_be_bytes::<32>());
        self.journal.get_with(&key, |v| match v {
            Some(v) if v.len() == 32 => Ok(U256::from_be_slice(v)),
            Some(v) => Err(DbError(VmError::Corrupt(format!(
                "EVM slot of {} is {} bytes",
                to_cove(address),
                v.len()
            )))),
            None => Ok(U256::ZERO),
        })?
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        Ok(block_hash(number))
    }
}

/// Writes the accounts a message changed into the journal, the way revm's own state
/// applies them (`CacheState::apply_account_state`): untouched accounts are skipped;
/// self-destructed ones removed; a created account starts from empty storage; a
/// touched empty account is removed (EIP-161; before Spurious Dragon revm's journal
/// does not report such touches).
///
/// A WASM contract keeps its record and storage whatever the EVM did: the EVM sees it
/// as an account without code.
pub(crate) fn commit(
    journal: &mut Journal,
    changes: EvmState,
    seen: &Seen,
    creator: Address,
    block: &BlockInfo,
) -> Result<(), VmError> {
    for (evm_address, account) in changes {
        if !account.is_touched() {
            continue;
        }
        let address = to_cove(evm_address);
        let before = seen.get(&evm_address);
        let record = match before {
            Some(b) => b.record.clone(),
            None => vm::load_contract(journal, &address)?,
        };
        let evm_record = record.as_ref().filter(|r| r.vm == VmType::Evm);
        if account.is_selfdestructed() || (!account.is_created() && account.is_empty()) {
            // An account that did not exist before (e.g. a zero-fee coinbase the EVM
            // only touched) has nothing to remove.
            let existed =
                before.is_none_or(|b| !b.balance.is_zero() || b.nonce.is_some() || b.record.is_some());
            if existed {
                remove_account(journal, &address, evm_record.is_some())?;
            }
            continue;
        }
        if account.is_created() && record.as_ref().is_none_or(|r| r.vm == VmType::Evm) {
            clear_storage(journal, &address)?;
        }
        // Unchanged fields are not rewritten (the journal holds the values `basic` read).
        let balance = Balance(account.info.balance.to_be_bytes());
        if before.map(|b| b.balance) != Some(balance) {
            accounts::set_balance(journal, &address, balance)?;
        }
        if before.and_then(|b| b.nonce) != Some(account.info.nonce) {
            journal.set(&keys::nonce(&address), &account.info.nonce.to_be_bytes());
        }
        let code_hash = account.info.code_hash;
        let wasm = record.as_ref().is_some_and(|r| r.vm != VmType::Evm);
        match evm_record {
            _ if wasm => {}
            Some(_) if code_hash == KECCAK_EMPTY => journal.delete(&keys::contract(&address)).map(drop)?,
            Some(r) if r.code_id.0 == code_hash.0 => {}
            _ if code_hash == KECCAK_EMPTY => {}
            _ => {
                let code = account.info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
                journal.set(&keys::evm_code(&code_hash.0), &code);
                let info = ContractInfo {
                    vm: VmType::Evm,
                    code_id: CodeId(code_hash.0),
                    creator,
                    admin: None,
                    created_height: block.height,
                };
                journal.set(&keys::contract(&address), &info.encode());
            }
        }
        for (slot, value) in account.changed_storage_slots() {
            let key = keys::slot(&address, &slot.to_be_bytes::<32>());
            let value = value.present_value();
            if value.is_zero() {
                journal.delete(&key)?;
            } else {
                journal.set(&key, &value.to_be_bytes::<32>());
            }
        }
    }
    Ok(())
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
