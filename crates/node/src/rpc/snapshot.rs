//! Snapshots over RPC (`crate::snapshot`, `docs/node.md`):
//!
//! - `cove_createSnapshot(block?)`: starts a snapshot of a committed block (the head by
//!   default) and answers it at once as `cove_snapshotInfo` does, `status` `building`;
//!   the same block again answers the same snapshot. Refused (-32000) while another is
//!   being built.
//! - `cove_snapshotInfo(id?)`: snapshot `id` (by default the newest ready one), or
//!   `null`: `{id, height, status, error?}` and, once `ready`, `{root, timestamp, keys,
//!   size, chunkBytes, chunks}`.
//! - `cove_getSnapshotChunk(id, index)`: bytes `index × chunkBytes` up to at most
//!   [`MAX_SNAPSHOT_CHUNK_BYTES`] more of the snapshot's file, hex.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{RpcResult, arg, err, height, hex_bytes, hex_u};
use crate::node::Shared;
use crate::snapshot::{self, MAX_SNAPSHOT_CHUNK_BYTES, Snap, Status};

fn info_json(s: &Snap) -> Value {
    let mut v = json!({"id": s.id, "height": hex_u(s.height)});
    match &s.status {
        Status::Building => v["status"] = json!("building"),
        Status::Failed(e) => {
            v["status"] = json!("failed");
            v["error"] = json!(e);
        }
        Status::Ready { size, manifest, .. } => {
            v["status"] = json!("ready");
            v["root"] = json!(format!("0x{}", manifest.root));
            v["timestamp"] = hex_u(manifest.timestamp);
            v["keys"] = json!(manifest.keys);
            v["size"] = json!(size);
            v["chunkBytes"] = json!(MAX_SNAPSHOT_CHUNK_BYTES);
            v["chunks"] = json!(size.div_ceil(MAX_SNAPSHOT_CHUNK_BYTES));
        }
    }
    v
}

pub(super) fn create(s: &Arc<Shared>, a: &[Value]) -> RpcResult {
    snapshot::create(s, height(s, a.first())?).map(|snap| info_json(&snap)).map_err(|e| err(-32000, e))
}

pub(super) fn info(s: &Shared, a: &[Value]) -> RpcResult {
    let id: Option<u64> = arg(a, 0, "snapshot id")?;
    Ok(s.snapshots.get(id).as_ref().map_or(Value::Null, info_json))
}

pub(super) fn chunk(s: &Shared, a: &[Value]) -> RpcResult {
    let id: u64 = arg(a, 0, "snapshot id")?;
    let index: u64 = arg(a, 1, "chunk index")?;
    let bytes = s.snapshots.chunk(id, index).map_err(|e| err(-32000, e))?;
    Ok(hex_bytes(&bytes))
}
