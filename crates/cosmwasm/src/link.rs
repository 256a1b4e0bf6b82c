//! CosmWasm's side of cove's module cache (`cove-cache`): modules are compiled by the
//! shared engine against CosmWasm's import table, checked for the interface's exports
//! and the chain's capabilities, and linked against the CosmWasm host functions.

use cache::{CacheError, Link};
use sha2::{Digest, Sha256};
use state::Journal;
use types::{CodeId, StorageError};
use vm::{VmError, keys};
use wasm::abi::Abi;
use wasm::{CompiledModule, Engine, Tier, ValidationError};
use wasmtime::Linker;

use crate::abi;
use crate::host;
use crate::instance::{Host, Linked};

/// The compiled-module cache of CosmWasm contracts: memory, disk, pins and tier-up as for
/// cove's own contracts (`docs/cache.md`), in a cache directory of its own.
pub type ModuleCache = cache::ModuleCache<CosmWasmLinker>;

/// Compiles and links CosmWasm modules for [`ModuleCache`].
pub struct CosmWasmLinker {
    engine: Engine,
    optimized: Linker<Host>,
    baseline: Option<Linker<Host>>,
    interpreter: Option<Linker<Host>>,
    /// The chain's capabilities (`Config::capabilities`), sorted.
    capabilities: Vec<String>,
}

impl CosmWasmLinker {
    /// The host functions defined once per compiler tier of `engine`.
    pub(crate) fn new(engine: Engine, capabilities: &[String]) -> Result<CosmWasmLinker, String> {
        let linker = |e: &wasmtime::Engine| {
            let mut l = Linker::new(e);
            host::define(&mut l)
                .and_then(|()| wasm::profile::define_hooks(&mut l))
                .map(|()| l)
                .map_err(|e| format!("defining the CosmWasm host functions: {e:#}"))
        };
        let optimized = linker(engine.wasmtime(Tier::Optimized).expect("always present"))?;
        let baseline = engine.wasmtime(Tier::Baseline).map(linker).transpose()?;
        let interpreter = engine.wasmtime(Tier::Interpreted).map(linker).transpose()?;
        let mut capabilities = capabilities.to_vec();
        capabilities.sort();
        capabilities.dedup();
        Ok(CosmWasmLinker { engine, optimized, baseline, interpreter, capabilities })
    }
}

impl Link for CosmWasmLinker {
    type Linked = Linked;

    fn engine(&self) -> &Engine {
        &self.engine
    }

    fn abi(&self) -> &'static Abi {
        &abi::IMPORTS
    }

    fn check(&self, code: &[u8]) -> Result<(), ValidationError> {
        abi::check_exports(code, &self.capabilities)
            .map_err(|message| ValidationError { rule: "exports", message })
    }

    /// The interface, this crate's version (which owns [`abi::check_exports`]) and the
    /// capabilities: a code admitted under other ones is checked again, not loaded.
    fn rules_fingerprint(&self) -> Option<[u8; 32]> {
        let mut h = Sha256::new();
        let parts = [abi::IMPORTS.name, abi::INTERFACE_VERSION, env!("CARGO_PKG_VERSION")];
        for part in parts.into_iter().chain(self.capabilities.iter().map(String::as_str)) {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        Some(h.finalize().into())
    }

    fn link(&self, compiled: &CompiledModule) -> Result<Linked, wasm::VmError> {
        let linker = match compiled.tier() {
            Tier::Optimized => &self.optimized,
            Tier::Baseline => self
                .baseline
                .as_ref()
                .ok_or_else(|| wasm::VmError::Engine("no baseline compiler configured".into()))?,
            Tier::Interpreted => self
                .interpreter
                .as_ref()
                .ok_or_else(|| wasm::VmError::Engine("no interpreter configured".into()))?,
        };
        let pre = linker
            .instantiate_pre(compiled.module())
            .map_err(|e| wasm::VmError::Engine(format!("linking: {e:#}")))?;
        Ok(Linked { pre })
    }
}

/// A stored code's lookup failure, as the node error it is: the code is in the store
/// but missing, damaged (fails its checksum) or no longer valid.
pub(crate) struct LoadError(pub(crate) VmError);

impl From<CacheError> for LoadError {
    fn from(e: CacheError) -> LoadError {
        LoadError(match e {
            CacheError::Vm(wasm::VmError::Storage(s)) => VmError::Storage(s),
            e => VmError::Corrupt(e.to_string()),
        })
    }
}

impl From<StorageError> for LoadError {
    fn from(e: StorageError) -> LoadError {
        LoadError(VmError::Storage(e))
    }
}

/// The wasm of `id` as stored (the cache checks it against `id`).
pub(crate) fn stored_code(journal: &Journal, id: &CodeId) -> Result<Vec<u8>, LoadError> {
    journal
        .get(&keys::code(id))?
        .ok_or_else(|| LoadError(VmError::Corrupt(format!("code {id} is referenced but not stored"))))
}
