//! A vault for a token (`examples/rust/token`) that pays out before it books: the
//! classic reentrancy bug, kept on purpose to show `[calls] reentrancy`.
//!
//! - `init(token: Address)`.
//! - `deposit()`: the depositor first transfers tokens to the vault; `deposit` credits
//!   it with what the vault's balance gained since the last booking.
//! - `withdraw()`: transfers the caller's credit back, then tells the caller through its
//!   `on_withdraw(amount: u64)` entry point (an account, or a contract without one, is
//!   not told), and only then zeroes the credit. A failing hook aborts the withdrawal.
//!   Under `reentrancy = "allow"` a hook that calls `withdraw` again is paid again.
//!   Under `"deny"` (cove's default) the hook itself is refused when the caller is a
//!   contract (it is on the call stack), so the withdrawal aborts and nothing moves.
//! - `credit(owner: Address) -> u64`.
#![no_std]

extern crate alloc;

use cove_sdk::calls::{self, Status};
use cove_sdk::{Address, entry_points, env, storage};

const TOKEN: &[u8] = b"token";
/// The vault's token balance as last booked.
const BOOKED: &[u8] = b"booked";

fn credit_key(owner: &Address) -> [u8; 21] {
    let mut key = [b'c'; 21];
    key[1..].copy_from_slice(&owner.0);
    key
}

fn token() -> Address {
    storage::get(TOKEN).unwrap_or_else(|| env::abort("vault not initialized"))
}

entry_points! {
    /// Names the token.
    pub fn init(token: Address) {
        storage::set(TOKEN, &token);
        storage::set(BOOKED, &0u64);
    }

    /// Credits the caller with the tokens it sent since the last booking.
    pub fn deposit() -> u64 {
        let balance: u64 = calls::call(token(), "balance", &env::contract_address())
            .unwrap_or_else(|e| e.propagate("token call failed"));
        let booked: u64 = storage::get_or_default(BOOKED);
        let amount = balance.saturating_sub(booked);
        let key = credit_key(&env::caller());
        storage::set(&key, &storage::get_or_default::<u64>(&key).saturating_add(amount));
        storage::set(BOOKED, &balance);
        amount
    }

    /// Pays the caller its credit, tells it, then books (in that order: the bug).
    pub fn withdraw() -> u64 {
        let caller = env::caller();
        let key = credit_key(&caller);
        let amount: u64 = storage::get_or_default(&key);
        if amount == 0 {
            return 0;
        }
        calls::call::<_, ()>(token(), "transfer", &(caller, amount))
            .unwrap_or_else(|e| e.propagate("token call failed"));
        match calls::call::<_, ()>(caller, "on_withdraw", &amount) {
            Ok(()) => {}
            Err(e) if e.status == Status::NotFound => {}
            Err(e) => e.propagate("withdraw hook failed"),
        }
        storage::set(&key, &0u64);
        storage::set(BOOKED, &storage::get_or_default::<u64>(BOOKED).saturating_sub(amount));
        amount
    }

    /// The credit of `owner`.
    pub fn credit(owner: Address) -> u64 {
        storage::get_or_default(&credit_key(&owner))
    }
}
