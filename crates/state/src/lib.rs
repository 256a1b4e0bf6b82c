//! cove's committed state and the journal of uncommitted writes.
//!
//! This crate owns two things:
//!
//! * the **committed store**, behind the [`Backend`] trait: [`RedbBackend`] (one redb
//!   file, durable) for nodes and [`MemBackend`] for tests, benchmarks and dry runs. A
//!   backend applies a [`ChangeSet`] in one atomic, durable commit.
//! * the **[`Journal`]**: uncommitted writes layered over a backend, with nested
//!   [`Checkpoint`]s that a caller reverts to undo exactly the changes made since, and a
//!   [`Journal::commit`] that hands the net changes to the backend in one commit.
//!
//! Keys and values are opaque bytes. The crate must not know about wasm, contracts, gas
//! or the key layout: callers (the runtime) lay out keys themselves and decide when to
//! checkpoint, revert and commit. See `docs/state.md` for the design and invariants.

mod backend;
mod journal;
mod mem;
mod redb_backend;

pub use backend::{Backend, ChangeSet};
pub use journal::{Checkpoint, Journal, Stamp};
pub use mem::MemBackend;
pub use redb_backend::RedbBackend;
pub use types::StorageError;
