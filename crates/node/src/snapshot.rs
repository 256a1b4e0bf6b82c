//! Snapshots served over JSON-RPC, so a new node can start from a running one's state
//! (`docs/node.md`, "Snapshots over RPC").
//!
//! The node writes a snapshot of a committed height (the state store's own format,
//! `docs/state.md`, "Snapshots") to a file in a directory of its own, in a background
//! thread: the export reads one version of the state while blocks go on being made
//! and committed. Clients then read the file in byte ranges of at most
//! [`MAX_SNAPSHOT_CHUNK_BYTES`] (`cove_getSnapshotChunk`), so each request does bounded
//! work. This module serves bytes only: what checks them is the importer
//! ([`crate::snapshot_fetch`]), which trusts nothing the server says but a root it is
//! given. At most [`MAX_SNAPSHOTS`] are kept, the oldest removed first; all are removed
//! when the node closes.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use runtime::{Manifest, SnapshotFile};

use crate::node::Shared;

/// Most bytes one `cove_getSnapshotChunk` answer holds: 1 MiB (2 MiB of hex, well under
/// the server's 10 MB answer limit). A byte range of the file, not one of the
/// snapshot's own chunks of buckets (which the state store bounds at 256 MiB).
pub const MAX_SNAPSHOT_CHUNK_BYTES: u64 = 1 << 20;

/// Most snapshots a node keeps: 2 (one being fetched while the next is built).
pub const MAX_SNAPSHOTS: usize = 2;

/// Where a snapshot stands.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    /// Being written.
    Building,
    /// Written: `size` bytes in `file`.
    Ready { file: PathBuf, size: u64, manifest: Box<Manifest> },
    /// The export failed (or the node stopped under it).
    Failed(String),
}

/// One snapshot of the node's.
#[derive(Debug, Clone)]
pub(crate) struct Snap {
    pub(crate) id: u64,
    pub(crate) height: u64,
    pub(crate) status: Status,
}

/// The node's snapshots.
pub(crate) struct Snapshots {
    /// The directory they are written to, made at the first snapshot and removed with
    /// its contents on drop.
    dir: PathBuf,
    list: Mutex<(u64, VecDeque<Snap>)>,
}

/// Tells the directories of nodes in one process apart.
static DIRS: AtomicU64 = AtomicU64::new(0);

impl Snapshots {
    /// Snapshots in a new directory under `base` (the system's temporary directory if
    /// `None`).
    pub(crate) fn new(base: Option<PathBuf>) -> Snapshots {
        let base = base.unwrap_or_else(std::env::temp_dir);
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("cove-snapshots-{}-{n}", std::process::id()));
        Snapshots { dir, list: Mutex::new((1, VecDeque::new())) }
    }

    fn lock(&self) -> MutexGuard<'_, (u64, VecDeque<Snap>)> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Snapshot `id`, or the newest ready one.
    pub(crate) fn get(&self, id: Option<u64>) -> Option<Snap> {
        let list = self.lock();
        match id {
            Some(id) => list.1.iter().find(|s| s.id == id).cloned(),
            None => list.1.iter().rev().find(|s| matches!(s.status, Status::Ready { .. })).cloned(),
        }
    }

    /// Reads byte range `index` (of [`MAX_SNAPSHOT_CHUNK_BYTES`]) of ready snapshot `id`.
    pub(crate) fn chunk(&self, id: u64, index: u64) -> Result<Vec<u8>, String> {
        let Some(snap) = self.get(Some(id)) else { return Err(format!("no snapshot {id}")) };
        let Status::Ready { file, size, .. } = snap.status else {
            return Err(format!("snapshot {id} is not ready"));
        };
        let start = index.checked_mul(MAX_SNAPSHOT_CHUNK_BYTES).filter(|s| *s < size);
        let Some(start) = start else {
            return Err(format!("snapshot {id} has {} chunks", size.div_ceil(MAX_SNAPSHOT_CHUNK_BYTES)));
        };
        let len = (size - start).min(MAX_SNAPSHOT_CHUNK_BYTES);
        let mut f = std::fs::File::open(&file).map_err(|e| format!("snapshot {id}: {e}"))?;
        f.seek(SeekFrom::Start(start)).map_err(|e| format!("snapshot {id}: {e}"))?;
        let mut out = Vec::with_capacity(len as usize);
        f.take(len).read_to_end(&mut out).map_err(|e| format!("snapshot {id}: {e}"))?;
        if out.len() as u64 != len {
            return Err(format!("snapshot {id}: its file was cut short"));
        }
        Ok(out)
    }

    fn set(&self, id: u64, status: Status) {
        if let Some(s) = self.lock().1.iter_mut().find(|s| s.id == id) {
            s.status = status;
        }
    }
}

impl Drop for Snapshots {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts a snapshot of committed `height` (the head if `None`), or answers the one
/// already kept or being built for that height. Refused while another height is being
/// built.
pub(crate) fn create(shared: &Arc<Shared>, height: Option<u64>) -> Result<Snap, String> {
    let height = shared.runtime.block_record(height).map_err(|e| e.to_string())?.height;
    let snaps = &shared.snapshots;
    let snap = {
        let mut list = snaps.lock();
        let same = list.1.iter().find(|s| s.height == height && !matches!(s.status, Status::Failed(_)));
        if let Some(s) = same {
            return Ok(s.clone());
        }
        if let Some(s) = list.1.iter().find(|s| matches!(s.status, Status::Building)) {
            return Err(format!(
                "snapshot {} (height {}) is being built: ask again when it is ready",
                s.id, s.height
            ));
        }
        let id = list.0;
        list.0 += 1;
        let snap = Snap { id, height, status: Status::Building };
        list.1.push_back(snap.clone());
        while list.1.len() > MAX_SNAPSHOTS {
            if let Some(Snap { status: Status::Ready { file, .. }, .. }) = list.1.pop_front() {
                let _ = std::fs::remove_file(file);
            }
        }
        snap
    };
    let shared = Arc::clone(shared);
    let id = snap.id;
    let spawned = std::thread::Builder::new().name(format!("snapshot-{id}")).spawn(move || {
        let status = match export(&shared, id, height) {
            Ok((file, manifest)) => match std::fs::metadata(&file) {
                Ok(m) => Status::Ready { file, size: m.len(), manifest: Box::new(manifest) },
                Err(e) => Status::Failed(e.to_string()),
            },
            Err(e) => Status::Failed(e),
        };
        match &status {
            Status::Failed(e) => tracing::warn!(id, height, error = %e, "snapshot failed"),
            _ => tracing::info!(id, height, "snapshot written"),
        }
        shared.snapshots.set(id, status);
    });
    if let Err(e) = spawned {
        snaps.set(id, Status::Failed(e.to_string()));
    }
    Ok(snap)
}

/// Writes snapshot `id` of `height` to its file; a node that stops cuts it short.
fn export(shared: &Shared, id: u64, height: u64) -> Result<(PathBuf, Manifest), String> {
    let dir = &shared.snapshots.dir;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join(format!("snapshot-{id}.cove"));
    let out = SnapshotFile::create(&shared.config.data_dir, &file).map_err(|e| e.to_string())?;
    let mut out = Stoppable { out, shared };
    let manifest =
        shared.runtime.export_snapshot(Some(height), &mut out, &|_, _| {}).map_err(|e| e.to_string())?;
    let file = out.out.persist().map_err(|e| e.to_string())?;
    Ok((file, manifest))
}

/// A snapshot file that refuses writes once the node stops, so an export never keeps a
/// stopping node's store open.
struct Stoppable<'a> {
    out: SnapshotFile,
    shared: &'a Shared,
}

impl Write for Stoppable<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.shared.stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("the node is stopping"));
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
