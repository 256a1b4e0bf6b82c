//! A constant-product exchange pool between two token contracts (`examples/rust/token`),
//! which it calls through cove-sdk's `calls`.
//!
//! - `init(token_a: Address, token_b: Address)` names the pair.
//! - `sync()` sets the reserves to the pool's balances in both tokens (after funding).
//! - `swap(token_in: Address, amount_out: u64, to: Address) -> u64`: the trader first
//!   transfers `token_in` (A or B) to the pool; the amount in is the pool's balance of
//!   it above its reserve. The pool sends `amount_out` of the other token to `to`, then
//!   checks the invariant (reserve in + amount in) x (reserve out - amount out) >=
//!   reserve in x reserve out, and aborts with `invariant broken` if it fails, which
//!   undoes the transfer too. Returns the amount in. Logs topic `swap` with data
//!   token_in (20) ++ amount in (u64 LE) ++ amount out (u64 LE) ++ to (20).
//! - `reserves() -> (u64, u64)`: reserve A, reserve B.
//!
//! A token call that fails aborts the swap with the token's message (or `token call
//! failed`). Products are u128, so any u64 amounts work.
#![no_std]

extern crate alloc;

use cove_sdk::calls::{self, CallFailure};
use cove_sdk::{Address, entry_points, env, storage};

const TOKEN_A: &[u8] = b"ta";
const TOKEN_B: &[u8] = b"tb";
const RESERVE_A: &[u8] = b"ra";
const RESERVE_B: &[u8] = b"rb";

fn token(key: &[u8]) -> Address {
    storage::get(key).unwrap_or_else(|| env::abort("pool not initialized"))
}

/// The pool's balance in `token` (the token's `balance` entry point).
fn balance_of_pool(token: Address) -> u64 {
    calls::call(token, "balance", &env::contract_address()).unwrap_or_else(|e| fail(&e))
}

fn fail(e: &CallFailure) -> ! {
    e.propagate("token call failed")
}

entry_points! {
    /// Names the pair; reserves start at zero.
    pub fn init(token_a: Address, token_b: Address) {
        env::require(token_a != token_b, "the two tokens must differ");
        storage::set(TOKEN_A, &token_a);
        storage::set(TOKEN_B, &token_b);
        storage::set(RESERVE_A, &0u64);
        storage::set(RESERVE_B, &0u64);
    }

    /// Sets the reserves to the pool's balances.
    pub fn sync() {
        storage::set(RESERVE_A, &balance_of_pool(token(TOKEN_A)));
        storage::set(RESERVE_B, &balance_of_pool(token(TOKEN_B)));
    }

    /// Sends `amount_out` of the other token to `to` for what was paid in `token_in`.
    pub fn swap(token_in: Address, amount_out: u64, to: Address) -> u64 {
        let (a, b) = (token(TOKEN_A), token(TOKEN_B));
        let (in_key, out_key, token_out) = if token_in == a {
            (RESERVE_A, RESERVE_B, b)
        } else if token_in == b {
            (RESERVE_B, RESERVE_A, a)
        } else {
            env::abort("unknown token")
        };
        let reserve_in: u64 = storage::get_or_default(in_key);
        let reserve_out: u64 = storage::get_or_default(out_key);
        let balance_in = balance_of_pool(token_in);
        let amount_in = balance_in.saturating_sub(reserve_in);
        env::require(amount_in > 0, "nothing paid in");
        env::require(amount_out > 0 && amount_out < reserve_out, "amount out beyond the reserve");
        calls::call::<_, ()>(token_out, "transfer", &(to, amount_out)).unwrap_or_else(|e| fail(&e));
        let before = u128::from(reserve_in) * u128::from(reserve_out);
        let after = u128::from(balance_in) * u128::from(reserve_out - amount_out);
        env::require(after >= before, "invariant broken");
        storage::set(in_key, &balance_in);
        storage::set(out_key, &(reserve_out - amount_out));
        env::emit("swap", &(token_in, amount_in, amount_out, to));
        amount_in
    }

    /// Reserve A and reserve B.
    pub fn reserves() -> (u64, u64) {
        (storage::get_or_default(RESERVE_A), storage::get_or_default(RESERVE_B))
    }
}
