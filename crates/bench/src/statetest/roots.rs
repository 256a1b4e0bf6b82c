//! Ethereum's commitments over cove's state: the Merkle-Patricia state root of the
//! EVM-visible accounts, and the hash of a transaction's logs.

use std::collections::BTreeSet;

use alloy_trie::TrieAccount;
use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};
use revm::primitives::{Address as EvmAddress, B256, KECCAK_EMPTY, Log, U256, keccak256};
use state::Journal;
use types::{Address, VmType};
use vm::{VmError, accounts, keys};

/// The Ethereum state root of every account in `journal` that has a nonce, a balance
/// or a contract record: `keccak256(address)` → RLP(nonce, balance, storage root, code
/// hash), each storage trie keyed by `keccak256(slot)`.
pub(crate) fn state_root(journal: &Journal) -> Result<B256, VmError> {
    let mut addresses = BTreeSet::new();
    for namespace in [keys::NONCE, keys::BALANCE, keys::CONTRACT] {
        for (key, _) in journal.scan_prefix(&[namespace])? {
            let bytes: [u8; 20] =
                key[1..].try_into().map_err(|_| VmError::Corrupt(format!("account key {}", key.len())))?;
            addresses.insert(Address(bytes));
        }
    }
    let mut trie_accounts = Vec::with_capacity(addresses.len());
    for address in addresses {
        let prefix = keys::storage_prefix(&address);
        let storage: Vec<(B256, U256)> = journal
            .scan_prefix(&prefix)?
            .into_iter()
            .map(|(k, v)| (B256::from_slice(&k[prefix.len()..]), U256::from_be_slice(&v)))
            .collect();
        let nonce = journal.get(&keys::nonce(&address))?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
        let code_hash = match vm::load_contract(journal, &address)? {
            Some(info) if info.vm == VmType::Evm => B256::from(info.code_id.0),
            _ => KECCAK_EMPTY,
        };
        let account = TrieAccount {
            nonce,
            balance: U256::from_be_bytes(accounts::balance(journal, &address)?.0),
            storage_root: storage_root_unhashed(storage),
            code_hash,
        };
        trie_accounts.push((EvmAddress::from(address.0), account));
    }
    Ok(state_root_unhashed(trie_accounts))
}

/// keccak256 of the RLP list of logs, as state tests record it.
pub(crate) fn logs_hash(logs: &[Log]) -> B256 {
    let mut out = Vec::with_capacity(alloy_rlp::list_length(logs));
    alloy_rlp::encode_list(logs, &mut out);
    keccak256(&out)
}
