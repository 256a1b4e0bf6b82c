//! The cache's configuration and errors.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use types::CodeId;
use wasm::{ValidationError, VmError};

/// Default size of the in-memory LRU tier, in modules.
pub const DEFAULT_MEMORY_MODULES: usize = 100;

/// Default byte budget of the in-memory LRU tier (compiled code): 512 MiB.
pub const DEFAULT_MEMORY_BYTES: u64 = 512 * 1024 * 1024;

/// How big the cache may grow, and whether it uses the disk. (Seed 000's `CacheSize`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Most modules in the in-memory LRU tier (pinned modules do not count). By default
    /// [`DEFAULT_MEMORY_MODULES`]; 0 keeps none.
    pub memory_modules: usize,
    /// Most bytes of compiled code in the LRU tier. By default [`DEFAULT_MEMORY_BYTES`].
    pub memory_bytes: u64,
    /// Keep compiled artifacts on disk, when there is a data directory. By default on.
    pub disk: bool,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { memory_modules: DEFAULT_MEMORY_MODULES, memory_bytes: DEFAULT_MEMORY_BYTES, disk: true }
    }
}

/// Why the cache could not produce a module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The stored wasm does not hash to its code id.
    #[error("stored code {0} fails its checksum")]
    Checksum(CodeId),
    /// The stored wasm no longer passes validation (the configuration changed).
    #[error("stored code {0} does not validate under the current configuration: {1}")]
    Invalid(CodeId, ValidationError),
    /// Linking against the host ABI failed.
    #[error(transparent)]
    Vm(#[from] VmError),
    /// The cache directory could not be used.
    #[error("cache directory {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}
