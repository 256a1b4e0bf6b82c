//! cove as the application of Malachite BFT consensus (Tendermint, `arc-malachitebft`).
//!
//! This crate owns what Malachite needs from cove and what cove needs from Malachite:
//! the consensus [`context`] (heights, validator addresses and sets, the value a block
//! id, proposals, votes and proposal parts in [`types`]), ed25519 [`signing`] with
//! domain separation, the hand-written wire and WAL [`codec`], the proposed [`block`]
//! format, the application loop ([`app`]) with its consensus [`store`], starting a
//! validator or a full node ([`node`]), preparing a node that joins from a snapshot
//! ([`join`]); a chain's [`genesis`], a validator's [`home`] on disk and new [`testnet`]
//! homes. It must not execute transactions itself nor reach into the state
//! store: blocks are built, checked and committed through `cove-node`'s
//! `node::External`. The design and its invariants are in `docs/consensus.md`.

pub mod app;
pub mod block;
pub mod codec;
pub mod context;
pub mod genesis;
pub mod home;
pub mod join;
pub mod node;
pub mod signing;
pub mod store;
pub mod testnet;
pub mod types;

pub use context::CoveContext;
pub use genesis::{Genesis, MAX_VALIDATORS};
pub use home::{Home, HomeError};
pub use node::{StartError, ValidatorConfig, ValidatorNode};

#[cfg(test)]
mod tests;
