//! Shared fixtures: a HashMap storage, VMs, contracts in WAT, and lookups.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cove_cache::{CacheConfig, CacheError, CachedModule, ModuleCache, Source};
use types::{Address, BlockInfo, CodeId, ContractStorage, StorageError};
use wasm::{CallContext, CallOutcome, Compiler, Config, Engine, LinkedModule, Vm};

/// A contract's storage in a HashMap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MapStorage(pub(crate) HashMap<Vec<u8>, Vec<u8>>);

impl ContractStorage for MapStorage {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get(key).cloned())
    }

    fn write(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.0.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(self.0.remove(key).is_some())
    }
}

pub(crate) type Cache = ModuleCache<Vm<MapStorage>>;

/// A VM over `config`.
pub(crate) fn vm_with(config: Config) -> Arc<Vm<MapStorage>> {
    Arc::new(Vm::new(Engine::new(config).expect("engine")))
}

/// A VM with the default configuration.
pub(crate) fn vm() -> Arc<Vm<MapStorage>> {
    vm_with(Config::default())
}

/// A VM with the default configuration but `compiler`.
pub(crate) fn vm_compiler(compiler: Compiler) -> Arc<Vm<MapStorage>> {
    vm_with(Config { compiler, ..Config::default() })
}

/// A cache over `vm` with `config`, its disk tier in `dir` if given.
pub(crate) fn cache_with(vm: Arc<Vm<MapStorage>>, config: &CacheConfig, dir: Option<&Path>) -> Cache {
    ModuleCache::new(vm, config, dir).expect("cache opens")
}

/// A default-configured cache (default VM) with its disk tier in `dir`.
pub(crate) fn disk_cache(dir: &Path) -> Cache {
    cache_with(vm(), &CacheConfig::default(), Some(dir))
}

/// A memory-only cache (default VM) with `memory_modules` and `memory_bytes`.
pub(crate) fn memory_cache(memory_modules: usize, memory_bytes: u64) -> Cache {
    let config = CacheConfig { memory_modules, memory_bytes, disk: false };
    cache_with(vm(), &config, None)
}

/// A contract whose `run` sums `3 * i` for `i` in `0..n`, stores the sum (u32 LE) under
/// "key", and returns it. Distinct `n` give distinct codes; gas depends on `n` and on the
/// gas schedule (loop body ops, the store, the host write).
pub(crate) fn looper(n: u32) -> Vec<u8> {
    let src = format!(
        r#"(module
  (import "env" "storage_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "key")
  (func (export "run") (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
    (i32.store (i32.const 16) (local.get $acc))
    (drop (call $write (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 4)))
    (local.get $acc)))"#
    );
    wat::parse_str(src).expect("looper parses")
}

/// A code and its id.
pub(crate) struct Code {
    pub(crate) id: CodeId,
    pub(crate) wasm: Vec<u8>,
}

impl Code {
    pub(crate) fn new(wasm: Vec<u8>) -> Code {
        Code { id: CodeId::of(&wasm), wasm }
    }

    /// [`looper`]`(n)`.
    pub(crate) fn looper(n: u32) -> Code {
        Code::new(looper(n))
    }
}

/// Looks `code` up in `cache`, supplying its wasm on a miss.
#[track_caller]
pub(crate) fn get(cache: &Cache, code: &Code) -> (Arc<CachedModule<Vm<MapStorage>>>, Source) {
    let wasm = code.wasm.clone();
    cache.get(&code.id, &move || Ok::<_, CacheError>(wasm.clone())).expect("lookup succeeds")
}

/// The `Source` of a lookup of `code`.
#[track_caller]
pub(crate) fn source(cache: &Cache, code: &Code) -> Source {
    get(cache, code).1
}

/// Looks `code` up and counts how often the cache asked for its wasm.
pub(crate) fn get_counting(cache: &Cache, code: &Code, asked: &AtomicUsize) -> Source {
    let wasm = code.wasm.clone();
    let supply = move || {
        asked.fetch_add(1, Ordering::SeqCst);
        Ok::<_, CacheError>(wasm.clone())
    };
    cache.get(&code.id, &supply).expect("lookup succeeds").1
}

/// Calls `run` on `code` through `cache` with fresh storage; returns the outcome and the
/// storage it left.
#[track_caller]
pub(crate) fn run(cache: &Cache, code: &Code) -> (CallOutcome, MapStorage) {
    let (module, _) = get(cache, code);
    run_module(cache, &module)
}

/// Calls `run` on an already looked-up module with fresh storage.
#[track_caller]
pub(crate) fn run_module(cache: &Cache, module: &CachedModule<Vm<MapStorage>>) -> (CallOutcome, MapStorage) {
    run_linked(cache, &module.linked())
}

/// Calls `run` on a linked module with fresh storage.
#[track_caller]
pub(crate) fn run_linked(cache: &Cache, linked: &LinkedModule<MapStorage>) -> (CallOutcome, MapStorage) {
    let ctx = CallContext {
        caller: Address([1; 20]),
        contract: Address([2; 20]),
        block: BlockInfo { height: 1, timestamp: 1_700_000_000 },
        read_only: false,
    };
    let (storage, outcome) =
        cache.linker().call(linked, &ctx, "run", Vec::new(), 10_000_000, MapStorage::default());
    let outcome = outcome.expect("no VM fault");
    assert!(outcome.result.is_ok(), "run failed: {:?}", outcome.result);
    (outcome, storage)
}

/// The artifact files under `<dir>/modules/`, sorted.
pub(crate) fn artifacts(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("modules"))
        .expect("modules dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort();
    files
}

/// The artifact file of `id` for `tier` ("baseline" or "optimized").
pub(crate) fn artifact_path(dir: &Path, id: &CodeId, tier: &str) -> PathBuf {
    dir.join("modules").join(format!("{id}.{tier}.cwasm"))
}

/// A call's view of the cache: counts the call (tier-up) and returns what it runs.
pub(crate) fn for_call(cache: &Cache, code: &Code) -> Arc<LinkedModule<MapStorage>> {
    let wasm = code.wasm.clone();
    cache.for_call(&code.id, &move || Ok::<_, CacheError>(wasm.clone())).expect("for_call")
}
