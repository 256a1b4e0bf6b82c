//! A factory that creates exchange pools (`examples/rust/pool`) from stored code, one
//! per pair of tokens, with cove-sdk's `calls::create`.
//!
//! - `init(pool_code: [u8; 32])`: the code id of the stored pool (`cove store`).
//! - `create_pool(token_a: Address, token_b: Address) -> Address`: creates a pool at
//!   `calls::created_address(factory, salt, pool code)` with salt SHA-256(token_a ++
//!   token_b), runs its `init(token_a, token_b)`, records it and logs topic `pool` with
//!   data token_a ++ token_b ++ pool. The same pair twice aborts with `pool exists`.
//! - `pool(token_a: Address, token_b: Address) -> Option<Address>`.
#![no_std]

extern crate alloc;

use cove_sdk::calls::{self, CallOptions};
use cove_sdk::{Address, crypto, entry_points, env, storage};

const POOL_CODE: &[u8] = b"code";

/// The pair's salt, and the key of its pool's address.
fn salt(token_a: &Address, token_b: &Address) -> [u8; 32] {
    let mut pair = [0u8; 40];
    pair[..20].copy_from_slice(&token_a.0);
    pair[20..].copy_from_slice(&token_b.0);
    crypto::sha256(&pair)
}

fn pool_key(salt: &[u8; 32]) -> [u8; 33] {
    let mut key = [b'p'; 33];
    key[1..].copy_from_slice(salt);
    key
}

entry_points! {
    /// Records the stored pool code.
    pub fn init(pool_code: [u8; 32]) {
        storage::set(POOL_CODE, &pool_code);
    }

    /// Creates the pool of a pair.
    pub fn create_pool(token_a: Address, token_b: Address) -> Address {
        let code: [u8; 32] = storage::get(POOL_CODE).unwrap_or_else(|| env::abort("factory not initialized"));
        let salt = salt(&token_a, &token_b);
        env::require(!storage::contains(&pool_key(&salt)), "pool exists");
        let pool = calls::create(code, salt, "init", &(token_a, token_b), CallOptions::default())
            .unwrap_or_else(|e| e.propagate("pool creation failed"));
        storage::set(&pool_key(&salt), &pool);
        env::emit("pool", &(token_a, token_b, pool));
        pool
    }

    /// The pool of a pair, if created.
    pub fn pool(token_a: Address, token_b: Address) -> Option<Address> {
        storage::get(&pool_key(&salt(&token_a, &token_b)))
    }
}
