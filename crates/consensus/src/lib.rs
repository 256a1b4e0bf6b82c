//! cove as the application of Malachite BFT consensus (Tendermint, `arc-malachitebft`).
//!
//! This crate owns what Malachite needs from cove and what cove needs from Malachite:
//! the consensus [`context`] (heights, validator addresses and sets, the value a block
//! id, proposals, votes and proposal parts in [`types`]), ed25519 [`signing`] with
//! domain separation, the hand-written wire and WAL [`codec`], and the proposed
//! [`block`] format. It must not execute transactions itself nor reach into the state
//! store: blocks are built, checked and committed through `cove-node` and
//! `cove-runtime`. The design and its invariants are in `docs/consensus.md`.

pub mod block;
pub mod codec;
pub mod context;
pub mod signing;
pub mod types;

pub use context::CoveContext;

#[cfg(test)]
mod tests;
