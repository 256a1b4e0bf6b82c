//! The disk tier's files: one artifact per code and tier under `modules/`, and the list
//! of pinned codes in `pinned`.
//!
//! Nothing here is trusted: every artifact is checked by [`crate::artifact::decode`]
//! before use, and a `pinned` file that does not parse is ignored line by line. Writes
//! go to a temporary file that is renamed into place, so a reader never sees half a
//! file from this process (a crash may leave a stray `*.tmp`, removed by `clear`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use types::CodeId;
use wasm::Tier;

/// Extension of artifact files.
const ARTIFACT_EXT: &str = "cwasm";

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Disk {
    dir: PathBuf,
    modules: PathBuf,
}

fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Baseline => "baseline",
        Tier::Optimized => "optimized",
        Tier::Interpreted => "pulley",
    }
}

impl Disk {
    /// Uses (creating if needed) `dir`, remembered as an absolute path.
    pub(crate) fn open(dir: &Path) -> io::Result<Disk> {
        let dir = std::path::absolute(dir)?;
        let modules = dir.join("modules");
        std::fs::create_dir_all(&modules)?;
        Ok(Disk { dir, modules })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn artifact_path(&self, id: &CodeId, tier: Tier) -> PathBuf {
        self.modules.join(format!("{}.{}.{ARTIFACT_EXT}", hex::encode(id.0), tier_name(tier)))
    }

    /// The artifact file's bytes, `None` if there is none.
    pub(crate) fn read(&self, id: &CodeId, tier: Tier) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.artifact_path(id, tier)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn write(&self, id: &CodeId, tier: Tier, bytes: &[u8]) -> io::Result<()> {
        write_atomically(&self.artifact_path(id, tier), bytes)
    }

    pub(crate) fn remove(&self, id: &CodeId, tier: Tier) -> io::Result<()> {
        match std::fs::remove_file(self.artifact_path(id, tier)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Deletes every artifact (and stray temporary file); keeps the pin list.
    pub(crate) fn clear(&self) -> io::Result<()> {
        match std::fs::remove_dir_all(&self.modules) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::create_dir_all(&self.modules)
    }

    /// Artifact files and their total size.
    pub(crate) fn usage(&self) -> io::Result<(u64, u64)> {
        let (mut files, mut bytes) = (0, 0);
        for entry in std::fs::read_dir(&self.modules)? {
            let entry = entry?;
            if entry.path().extension().is_some_and(|e| e == ARTIFACT_EXT) {
                files += 1;
                bytes += entry.metadata()?.len();
            }
        }
        Ok((files, bytes))
    }

    fn pins_path(&self) -> PathBuf {
        self.dir.join("pinned")
    }

    /// The pinned code ids, and the lines that are not code ids.
    pub(crate) fn read_pins(&self) -> io::Result<(Vec<CodeId>, Vec<String>)> {
        let bytes = match std::fs::read(self.pins_path()) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
            Err(e) => return Err(e),
        };
        let (mut ids, mut bad) = (Vec::new(), Vec::new());
        for line in String::from_utf8_lossy(&bytes).lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.parse::<CodeId>() {
                Ok(id) => ids.push(id),
                Err(_) => bad.push(line.chars().take(80).collect()),
            }
        }
        Ok((ids, bad))
    }

    pub(crate) fn write_pins(&self, ids: &[CodeId]) -> io::Result<()> {
        let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
        write_atomically(&self.pins_path(), text.as_bytes())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}.{n}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
