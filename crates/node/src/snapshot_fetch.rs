//! Fetching a snapshot from a running node over JSON-RPC and importing it into a new
//! data dir (`cove snapshot import --rpc`; `docs/node.md`, "Snapshots over RPC").
//!
//! The transport is any JSON-RPC call function, so the CLI brings its HTTP client and
//! tests can stand between. Nothing the serving node says is trusted: the file is
//! written as it comes, its manifest's root must be the one the node announced and the
//! one the caller trusts (if it gives one), and the import then checks every chunk hash
//! and recomputes the root before it writes anything (`Runtime::import_snapshot`). A
//! corrupted byte anywhere is refused and leaves the data dir as it was.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use runtime::{Config, Manifest, Runtime};
use serde_json::{Value, json};

use crate::snapshot::MAX_SNAPSHOT_CHUNK_BYTES;

/// The longest manifest read: 64 MiB, the bound the store's import holds it to.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// How long to wait for the node to write the snapshot: 10 minutes.
pub const SNAPSHOT_WAIT: Duration = Duration::from_secs(600);

/// A JSON-RPC call: the result, or the error's message.
pub type Call<'a> = dyn FnMut(&str, Value) -> Result<Value, String> + 'a;

/// Why a snapshot could not be fetched or imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The node refused a request, or could not be reached.
    #[error("the node: {0}")]
    Rpc(String),
    /// The node answered something that is not what the protocol says.
    #[error("the node's answer: {0}")]
    Answer(String),
    /// The snapshot does not match what was announced or trusted.
    #[error("the snapshot is refused: {0}")]
    Mismatch(String),
    /// Writing or reading the downloaded file.
    #[error("the downloaded snapshot {0}")]
    Io(String),
    /// The import refused the snapshot or could not write the store.
    #[error("importing the snapshot: {0}")]
    Import(#[from] runtime::RuntimeError),
}

fn answer(what: &str, v: &Value) -> FetchError {
    FetchError::Answer(format!("{what}: {v}"))
}

fn number(v: &Value, field: &str) -> Result<u64, FetchError> {
    v[field].as_u64().ok_or_else(|| answer(field, v))
}

/// Asks the node behind `call` for a snapshot of `height` (its head if `None`), waits
/// until it is written, downloads it to `file` and checks its manifest's root against
/// the node's announcement and `trusted_root` (hex, with or without `0x`). The
/// manifest; `progress` hears (bytes done, bytes in all).
pub fn fetch(
    call: &mut Call<'_>,
    height: Option<u64>,
    trusted_root: Option<&str>,
    file: &Path,
    progress: &dyn Fn(u64, u64),
) -> Result<Manifest, FetchError> {
    let block = height.map_or(json!("latest"), |h| json!(format!("{h:#x}")));
    let mut info = call("cove_createSnapshot", json!([block])).map_err(FetchError::Rpc)?;
    let id = number(&info, "id")?;
    let started = Instant::now();
    while info["status"] == "building" {
        if started.elapsed() > SNAPSHOT_WAIT {
            return Err(FetchError::Rpc(format!("snapshot {id} not written after {SNAPSHOT_WAIT:?}")));
        }
        std::thread::sleep(Duration::from_millis(50));
        info = call("cove_snapshotInfo", json!([id])).map_err(FetchError::Rpc)?;
    }
    if info["status"] != "ready" {
        return Err(FetchError::Rpc(format!(
            "snapshot {id}: {}",
            info["error"].as_str().unwrap_or("failed")
        )));
    }
    let (size, chunks) = (number(&info, "size")?, number(&info, "chunks")?);
    if number(&info, "chunkBytes")? != MAX_SNAPSHOT_CHUNK_BYTES
        || chunks != size.div_ceil(MAX_SNAPSHOT_CHUNK_BYTES)
    {
        return Err(answer("chunks", &info));
    }
    let announced = info["root"].as_str().ok_or_else(|| answer("root", &info))?;
    let io = |e: std::io::Error| FetchError::Io(format!("{}: {e}", file.display()));
    let mut out = std::fs::File::create(file).map_err(io)?;
    for index in 0..chunks {
        let v = call("cove_getSnapshotChunk", json!([id, index])).map_err(FetchError::Rpc)?;
        let text = v.as_str().and_then(|t| t.strip_prefix("0x")).ok_or_else(|| answer("chunk", &v))?;
        let bytes = hex::decode(text).map_err(|e| FetchError::Answer(format!("chunk {index}: {e}")))?;
        let want = (size - index * MAX_SNAPSHOT_CHUNK_BYTES).min(MAX_SNAPSHOT_CHUNK_BYTES);
        if bytes.len() as u64 != want {
            return Err(FetchError::Answer(format!("chunk {index} is {} bytes, not {want}", bytes.len())));
        }
        out.write_all(&bytes).map_err(io)?;
        progress(((index + 1) * MAX_SNAPSHOT_CHUNK_BYTES).min(size), size);
    }
    out.sync_all().map_err(io)?;
    let manifest = read_manifest(file).map_err(io)?;
    let root = |r: &str| r.trim_start_matches("0x").to_ascii_lowercase();
    if root(&manifest.root) != root(announced) {
        return Err(FetchError::Mismatch(format!(
            "its manifest says root {}, the node announced {announced}",
            manifest.root
        )));
    }
    if let Some(trusted) = trusted_root.filter(|t| root(t) != root(&manifest.root)) {
        return Err(FetchError::Mismatch(format!(
            "its root is {}, not the trusted {trusted}",
            manifest.root
        )));
    }
    Ok(manifest)
}

/// [`fetch`]es a snapshot to a file beside `data_dir` and imports it into `data_dir`
/// (which must hold no block), checked in full before anything is written. The file is
/// removed afterwards, whatever happened.
pub fn import(
    call: &mut Call<'_>,
    data_dir: &Path,
    config: &Config,
    height: Option<u64>,
    trusted_root: Option<&str>,
    progress: &dyn Fn(u64, u64),
) -> Result<Manifest, FetchError> {
    let name = data_dir.file_name().map_or("data".into(), |n| n.to_string_lossy().into_owned());
    let file = data_dir.with_file_name(format!(".{name}.snapshot-{}.partial", std::process::id()));
    let result = fetch(call, height, trusted_root, &file, progress).and_then(|m| {
        let imported = Runtime::import_snapshot(data_dir, config, &file, &|_, _| {})?;
        if imported != m {
            return Err(FetchError::Mismatch("the import read another manifest".into()));
        }
        Ok(imported)
    });
    let _ = std::fs::remove_file(&file);
    result
}

/// The manifest at the end of a snapshot file (layout: `docs/state.md`, "Snapshots"):
/// read only to compare its root before the import checks everything.
fn read_manifest(file: &Path) -> std::io::Result<Manifest> {
    let bad = |what: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("is not a snapshot: {what}"))
    };
    let mut f = std::fs::File::open(file)?;
    let size = f.metadata()?.len();
    if size < 24 {
        return Err(bad("too short"));
    }
    let mut tail = [0u8; 16];
    f.seek(SeekFrom::Start(size - 16))?;
    f.read_exact(&mut tail)?;
    let (len, magic) = tail.split_at(8);
    if magic != b"COVESNP1" {
        return Err(bad("no end marker"));
    }
    let len = u64::from_be_bytes(len.try_into().map_err(|_| bad("length"))?);
    if len > MAX_MANIFEST_BYTES || len > size - 24 {
        return Err(bad("manifest length"));
    }
    f.seek(SeekFrom::Start(size - 16 - len))?;
    let mut text = Vec::new();
    f.take(len).read_to_end(&mut text)?;
    serde_json::from_slice(&text).map_err(|e| bad(&e.to_string()))
}
