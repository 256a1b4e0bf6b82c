//! cove's committed state and the journal of uncommitted writes.
//!
//! This crate owns three things:
//!
//! * the **committed store**, behind the [`Backend`] trait: [`RedbBackend`] (one redb
//!   file, durable, authenticated) for nodes and [`MemBackend`] (latest state only) for
//!   tests, benchmarks and dry runs. A backend commits a block's [`ChangeSet`] in one
//!   atomic, durable write.
//! * **authenticated history**, behind the [`History`] trait: one Merkle root per block
//!   (`cove-merkle`), reads and proofs at retained heights, pruning with checkpoints.
//! * the **[`Journal`]**: uncommitted writes layered over a backend, with nested
//!   [`Checkpoint`]s that a caller reverts to undo exactly the changes made since, and a
//!   [`Journal::commit`] that hands the net changes to the backend as one block. A
//!   journal may also sit on a read-only [`Layer`] of other writers' entries
//!   ([`Journal::layered`]): the runtime runs a block's transactions in parallel that way.
//!
//! Keys and values are opaque bytes. The crate must not know about wasm, contracts, gas
//! or the key layout: callers (the runtime) lay out keys themselves and decide when to
//! checkpoint, revert and commit. See `docs/state.md` for the design and invariants.

mod backend;
mod history;
mod journal;
mod mem;
mod store;

pub use backend::{Backend, ChangeSet, Order};
pub use history::{
    BlockRecord, History, HistoryError, MAX_BUCKET_CACHE_LEAVES, MAX_CHECKPOINT_INTERVAL, MAX_KEEP_RECENT,
    MAX_WRITE_BACK_BLOCKS, MAX_WRITE_BACK_BYTES, StoreConfig,
};
pub use journal::{Checkpoint, Journal, KeyChange, Layer, Scan, Stamp, Walked};
pub use mem::MemBackend;
pub use merkle::{self, Hash, Proof};
pub use store::{
    ChunkInfo, DirLock, FileIo, LOCK_FILE, LogFile, MAX_SNAPSHOT_CHUNK_BYTES, MAX_SNAPSHOT_MANIFEST_BYTES,
    Manifest, RedbBackend, SnapshotFile, StdLogFile, StoreIo, StoreStats,
};
pub use types::StorageError;
