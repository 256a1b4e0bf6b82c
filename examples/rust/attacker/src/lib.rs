//! The attacker of the vault example (`examples/rust/vault`): it deposits, withdraws,
//! and from the vault's `on_withdraw` hook withdraws again while it is still credited.
//!
//! - `attack(vault: Address, token: Address, amount: u64) -> u64`: sends `amount` of
//!   the token (which it must hold) to the vault, deposits, withdraws; returns the
//!   number of payouts the vault made. A failed step aborts the attack with its
//!   message.
//! - `on_withdraw(amount: u64)`: counts the payout and, at most 10 times, calls the
//!   vault's `withdraw` again, ignoring a refused or failed re-entry.
#![no_std]

extern crate alloc;

use cove_sdk::calls;
use cove_sdk::{Address, entry_points, env, storage};

const VAULT: &[u8] = b"vault";
const PAYOUTS: &[u8] = b"payouts";
const MAX_REENTRIES: u32 = 10;

entry_points! {
    /// Deposits `amount` of `token` into `vault` and withdraws it.
    pub fn attack(vault: Address, token: Address, amount: u64) -> u32 {
        storage::set(VAULT, &vault);
        storage::set(PAYOUTS, &0u32);
        calls::call::<_, ()>(token, "transfer", &(vault, amount)).unwrap_or_else(|e| e.propagate("transfer failed"));
        calls::call::<_, u64>(vault, "deposit", &()).unwrap_or_else(|e| e.propagate("deposit failed"));
        calls::call::<_, u64>(vault, "withdraw", &()).unwrap_or_else(|e| e.propagate("withdraw failed"));
        storage::get_or_default(PAYOUTS)
    }

    /// The vault paid: try to be paid again.
    pub fn on_withdraw(amount: u64) {
        let _ = amount;
        let payouts = storage::get_or_default::<u32>(PAYOUTS) + 1;
        storage::set(PAYOUTS, &payouts);
        if payouts <= MAX_REENTRIES {
            let vault: Address = storage::get(VAULT).unwrap_or_else(|| env::abort("no attack running"));
            let _ = calls::call::<_, u64>(vault, "withdraw", &());
        }
    }
}
