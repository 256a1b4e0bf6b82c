//! A poll: a question, its options, one vote per account, closed by its chair.
//!
//! - `init(question: String, options: Vec<String>)`: the deployer becomes the chair;
//!   2 to 16 options.
//! - `vote(option: u32)`: once per account while open; logs topic `vote` with data
//!   voter (20) ++ option (u32 LE).
//! - `close()`: the chair only; records the height and logs topic `closed` with data
//!   the leading option (u32 LE) ++ its votes (u64 LE).
//! - queries: `question() -> String`, `options() -> Vec<String>`, `tally() -> Vec<u64>`,
//!   `vote_of(voter: Address) -> Option<u32>`, `closed_at() -> Option<u64>`,
//!   `winner() -> u32` (the option with the most votes, the lowest index on a tie; it
//!   panics if nobody voted).
//!
//! Storage: `q` question, `o` options, `c` chair, `t` ++ option (u32 LE) -> votes (u64),
//! `v` ++ voter -> option (u32), `h` -> the height it closed at (u64).
#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use cove_sdk::{Address, entry_points, env, storage};

/// The most options a poll may have.
const MAX_OPTIONS: usize = 16;

fn tally_key(option: u32) -> [u8; 5] {
    let mut key = [b't'; 5];
    key[1..].copy_from_slice(&option.to_le_bytes());
    key
}

fn vote_key(voter: &Address) -> [u8; 21] {
    let mut key = [b'v'; 21];
    key[1..].copy_from_slice(&voter.0);
    key
}

fn option_count() -> u32 {
    options().len() as u32
}

entry_points! {
    /// Opens the poll with the deployer as chair.
    pub fn init(question: String, options: Vec<String>) {
        env::require((2..=MAX_OPTIONS).contains(&options.len()), "a poll has 2 to 16 options");
        storage::set(b"q", &question);
        storage::set(b"o", &options);
        storage::set(b"c", &env::caller());
    }

    /// Casts the caller's vote.
    pub fn vote(option: u32) {
        env::require(closed_at().is_none(), "the poll is closed");
        env::require(option < option_count(), "no such option");
        let voter = env::caller();
        let key = vote_key(&voter);
        env::require(!storage::contains(&key), "already voted");
        storage::set(&key, &option);
        let tally = tally_key(option);
        storage::set(&tally, &(storage::get_or_default::<u64>(&tally) + 1));
        env::emit("vote", &(voter, option));
    }

    /// Closes the poll (the chair only).
    pub fn close() {
        let chair: Option<Address> = storage::get(b"c");
        env::require(chair == Some(env::caller()), "only the chair can close the poll");
        env::require(closed_at().is_none(), "the poll is closed");
        storage::set(b"h", &env::block_height());
        let leader = leading();
        env::emit("closed", &leader.unwrap_or((u32::MAX, 0)));
    }

    /// The question asked.
    pub fn question() -> String {
        storage::get_or_default(b"q")
    }

    /// The options, in order.
    pub fn options() -> Vec<String> {
        storage::get_or_default(b"o")
    }

    /// The votes of each option, in order.
    pub fn tally() -> Vec<u64> {
        (0..option_count()).map(|option| storage::get_or_default(&tally_key(option))).collect()
    }

    /// The option `voter` chose, if it voted.
    pub fn vote_of(voter: Address) -> Option<u32> {
        storage::get(&vote_key(&voter))
    }

    /// The height the poll closed at, if it did.
    pub fn closed_at() -> Option<u64> {
        storage::get(b"h")
    }

    /// The option with the most votes (the lowest on a tie).
    pub fn winner() -> u32 {
        leading().expect("no votes cast").0
    }
}

/// The leading option and its votes, if anyone voted.
fn leading() -> Option<(u32, u64)> {
    let mut best: Option<(u32, u64)> = None;
    for (option, votes) in (0u32..).zip(tally()) {
        if votes > 0 && best.is_none_or(|(_, most)| votes > most) {
            best = Some((option, votes));
        }
    }
    best
}
