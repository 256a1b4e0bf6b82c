//! A long-running cove node: signed Ethereum and native transactions, a mempool, block
//! production and Ethereum and cove JSON-RPC over HTTP.
//!
//! This crate owns what turns the runtime into a chain others can talk to: it decodes
//! and checks signed transactions (Ethereum's in [`tx`], cove's native ones for
//! cove-ABI and CosmWasm contracts in [`native`]), keeps them in a nonce-ordered mempool
//! ([`pool`]), builds blocks from them on the runtime's public API and charges their
//! fees ([`produce`]), keeps an index of blocks, transactions and receipts beside the
//! state store ([`chain`], `node.redb` in the data dir) and serves Ethereum JSON-RPC
//! ([`rpc`]) with an explorer page ([`explorer`]), and serves snapshots of its state
//! ([`snapshot`]) that a new node fetches and imports ([`snapshot_fetch`]); a consensus
//! engine drives block production from outside through [`external`]. It must not reach into a VM or the
//! state store: everything goes through `cove-runtime`.
//!
//! Invariants:
//! * a receipt is served only for a block whose state is committed;
//! * a block's index entry is written before its state is committed and completed (its
//!   state root and hash) after; on open, entries above the committed height are
//!   dropped, so a restart continues from the last committed block;
//! * a transaction that fails still pays for the gas it used and bumps its sender's
//!   nonce; one the block cannot hold stays in the mempool; one that hit the wall-clock
//!   backstop is dropped and logged, never given a receipt.

pub mod chain;
mod error;
pub mod explorer;
pub mod external;
pub mod native;
mod node;
pub mod pool;
mod produce;
pub mod rpc;
mod run_native;
pub mod snapshot;
pub mod snapshot_fetch;
pub mod tx;

pub use error::NodeError;
pub use external::{External, Prepared, Rejected};
pub use node::SubmitError;
pub use node::{DEV_ACCOUNTS, DEV_BALANCE_WEI, Mining, Node, NodeConfig, RunningNode};
pub use produce::MAX_BLOCK_TXS;
