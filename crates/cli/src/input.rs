//! Bounded reads of the files the CLI takes as input: each kind has a documented most
//! (`docs/cli.md`, "Input files"), and a file is read up to that most plus one byte, so
//! a device or a pipe without end (`cove deploy /dev/zero`) or a huge file is refused at
//! once with an error naming the limit, never read whole first. Snapshots are read by
//! the state store, a piece at a time, each bounded (`docs/state.md`, "Snapshots").

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use crate::output::Usage;

/// The largest code file (`deploy`, `upgrade`, `migrate`, a batch's deploys): 64 MiB.
/// Above any module the VMs accept (`[wasm.limits] max_code_bytes`, 1 MiB by default,
/// whose check comes after) in any of its forms: binary, WAT text, hex.
pub(crate) const MAX_CODE_FILE_BYTES: u64 = 64 << 20;

/// The largest configuration file (`--config`): 1 MiB.
pub(crate) const MAX_CONFIG_FILE_BYTES: u64 = 1 << 20;

/// The largest proof file (`state verify-proof`): 16 MiB. A proof holds at most
/// `merkle::MAX_DEPTH` siblings, one value and the other leaves of its bucket (about
/// 140 bytes each as JSON): room for a bucket of 100,000 keys.
pub(crate) const MAX_PROOF_FILE_BYTES: u64 = 16 << 20;

/// The most a kind of input file may hold, and the names an error gives.
pub(crate) struct Limit {
    /// Bytes.
    pub(crate) max: u64,
    /// The constant's name, e.g. `MAX_CODE_FILE_BYTES`.
    pub(crate) name: &'static str,
    /// The kind of file, e.g. `code file`.
    pub(crate) what: &'static str,
}

pub(crate) const CODE: Limit =
    Limit { max: MAX_CODE_FILE_BYTES, name: "MAX_CODE_FILE_BYTES", what: "code file" };
pub(crate) const CONFIG: Limit =
    Limit { max: MAX_CONFIG_FILE_BYTES, name: "MAX_CONFIG_FILE_BYTES", what: "config file" };
pub(crate) const PROOF: Limit =
    Limit { max: MAX_PROOF_FILE_BYTES, name: "MAX_PROOF_FILE_BYTES", what: "proof file" };

/// Reads `path`, refusing it if it holds more than `limit.max` bytes.
pub(crate) fn read(path: &Path, limit: &Limit) -> Result<Vec<u8>> {
    let too_big = || {
        anyhow::Error::new(Usage(format!(
            "{} is larger than {} bytes ({}), the most a {} may hold",
            path.display(),
            limit.max,
            limit.name,
            limit.what
        )))
    };
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    // A regular file says its size: refuse a large one before reading a byte.
    let meta = file.metadata().with_context(|| format!("reading {}", path.display()))?;
    if meta.is_file() && meta.len() > limit.max {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(limit.max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > limit.max {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read`] for a text file: it must be UTF-8.
pub(crate) fn read_text(path: &Path, limit: &Limit) -> Result<String> {
    let bytes = read(path, limit)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => Err(Usage(format!("{} is not UTF-8 text: {}", path.display(), e.utf8_error())).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Limit = Limit { max: 10, name: "MAX_TEST", what: "test file" };

    #[test]
    fn a_file_up_to_the_limit_is_read_and_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [7u8; 10]).unwrap();
        assert_eq!(read(&path, &TEST).unwrap(), [7u8; 10]);
        std::fs::write(&path, [7u8; 11]).unwrap();
        let e = read(&path, &TEST).unwrap_err().to_string();
        assert!(e.contains("is larger than 10 bytes (MAX_TEST), the most a test file may hold"), "{e}");
    }

    #[test]
    fn a_device_without_end_is_refused_after_the_limit() {
        let e = read(Path::new("/dev/zero"), &TEST).unwrap_err().to_string();
        assert!(e.contains("/dev/zero is larger than 10 bytes"), "{e}");
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let e = read_text(&path, &TEST).unwrap_err().to_string();
        assert!(e.contains("is not UTF-8"), "{e}");
    }
}
