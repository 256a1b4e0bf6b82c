//! The token of `examples/token.wat`, in Rust, with a name, a symbol and a total supply.
//!
//! - `init(name: String, symbol: String, supply: u64)` mints `supply` to the deployer.
//! - `transfer(to: Address, amount: u64)` moves `amount` from the caller, aborting with
//!   `insufficient balance` if it has less; logs topic `transfer` with data
//!   from (20) ++ to (20) ++ amount (u64 LE).
//! - `balance(owner: Address) -> u64`, `name() -> String`, `symbol() -> String`,
//!   `total_supply() -> u64`: queries.
//!
//! Arguments and results use the SDK's encoding (`docs/sdk.md`), so `transfer`'s input
//! is recipient ++ amount (28 bytes) and `balance`'s result a u64 LE, as for the WAT
//! token; balances live under the same keys, `b` ++ address -> u64 LE.
#![no_std]

extern crate alloc;

use alloc::string::String;
use cove_sdk::{Address, entry_points, env, storage};

const NAME: &[u8] = b"name";
const SYMBOL: &[u8] = b"symbol";
const SUPPLY: &[u8] = b"supply";

/// `b` ++ the address: where an account's balance lives.
fn balance_key(owner: &Address) -> [u8; 21] {
    let mut key = [b'b'; 21];
    key[1..].copy_from_slice(&owner.0);
    key
}

fn load(key: &[u8]) -> u64 {
    storage::get_or_default(key)
}

entry_points! {
    /// Names the token and mints `supply` to the deployer.
    pub fn init(name: String, symbol: String, supply: u64) {
        storage::set(NAME, &name);
        storage::set(SYMBOL, &symbol);
        storage::set(SUPPLY, &supply);
        storage::set(&balance_key(&env::caller()), &supply);
    }

    /// Moves `amount` from the caller to `to`.
    pub fn transfer(to: Address, amount: u64) {
        let from = env::caller();
        let from_key = balance_key(&from);
        let from_balance = load(&from_key);
        if from_balance < amount {
            env::abort("insufficient balance");
        }
        storage::set(&from_key, &(from_balance - amount));
        // Read the recipient after debiting, so a transfer to oneself is a no-op.
        let to_key = balance_key(&to);
        // Cannot overflow: every balance is part of the supply, a u64.
        storage::set(&to_key, &load(&to_key).wrapping_add(amount));
        env::emit("transfer", &(from, to, amount));
    }

    /// The balance of `owner`, 0 if it never held any.
    pub fn balance(owner: Address) -> u64 {
        load(&balance_key(&owner))
    }

    /// The token's name.
    pub fn name() -> String {
        storage::get_or_default(NAME)
    }

    /// The token's symbol.
    pub fn symbol() -> String {
        storage::get_or_default(SYMBOL)
    }

    /// The supply minted at `init`.
    pub fn total_supply() -> u64 {
        load(SUPPLY)
    }
}
