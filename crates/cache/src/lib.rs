//! cove's compiled-module cache.
//!
//! This crate owns the life of compiled contract code between the state store (which
//! keeps the wasm bytes) and the VM (which runs linked modules). A lookup goes down the
//! tiers and fills the ones above it:
//!
//! 1. **pinned**: modules the operator pinned; never evicted; the pin list persists in
//!    the cache directory;
//! 2. **memory**: an LRU bounded by a module count and a byte budget of compiled code
//!    ([`CacheConfig`]);
//! 3. **disk**: wasmtime artifacts under `<dir>/modules/`, each behind a header that
//!    names the code, the engine, the tier and the configuration, and a checksum
//!    (`docs/cache.md`);
//! 4. **compile**: the wasm bytes from the caller's store, checksum-verified, validated,
//!    instrumented and compiled again.
//!
//! Every cached module is linked once (for cove's ABI a [`wasm::LinkedModule`], an
//! `InstancePre`), so a memory hit costs a hash lookup and a call only an instantiation.
//!
//! The cache is generic over the host ABI through [`Link`]: the engine and import table
//! modules are compiled with, deploy rules beyond the engine's, and the linking step.
//! cove's own ABI is [`wasm::Vm`]; `cove-cosmwasm` implements it for CosmWasm's. One
//! cache serves one ABI, with its own directory.
//!
//! With [`wasm::Compiler::Tiered`] modules start on the baseline tier (Winch), with
//! [`wasm::Compiler::Hybrid`] on the interpreter (Pulley); the call that reaches
//! `tier_up_after_calls` (`jit_threshold`) starts a background recompilation with
//! Cranelift, which then replaces the module in memory and on disk. Calls never wait
//! for it.
//!
//! Invariants:
//! * a module's code never depends on which tier answered: the same instrumented
//!   bytecode runs whatever the compiler, so results and gas are identical from every
//!   tier and after a restart (tests compare them);
//! * an artifact is loaded only if its header matches the expected key exactly and its
//!   payload matches its checksum; anything else is deleted, logged as a warning and
//!   recompiled. Disk failures are never fatal to a call;
//! * concurrent lookups of one missing code compile it once.

mod artifact;
mod config;
mod disk;
mod link;
mod memory;
mod module;
mod stats;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};
use types::{CallError, CodeId, ErrorKind};
use wasm::{CompiledModule, Tier, ValidationError};

pub use artifact::{FORMAT_VERSION, HEADER_LEN, MAGIC};
pub use config::{CacheConfig, CacheError, DEFAULT_MEMORY_BYTES, DEFAULT_MEMORY_MODULES};
pub use link::Link;
pub use module::{CachedModule, Source};
pub use stats::{CacheStats, Hits, Usage};

use crate::disk::Disk;
use crate::memory::{Memory, MemoryTier};
use crate::stats::{Counters, bump};

/// The tiered module cache of one host ABI ([`Link`]; cove's own is [`wasm::Vm`]).
/// `Send + Sync`.
pub struct ModuleCache<L: Link> {
    linker: Arc<L>,
    memory: RwLock<Memory<L>>,
    disk: Option<Disk>,
    /// One gate per code being loaded, so concurrent misses compile once.
    gates: Mutex<HashMap<CodeId, Arc<Mutex<()>>>>,
    counters: Counters,
    clock: AtomicU64,
    tier_up_threads: Mutex<Vec<JoinHandle<()>>>,
}

impl<L: Link> ModuleCache<L> {
    /// A cache of modules compiled and linked by `linker`, with its disk tier in `dir`
    /// when given and enabled. `dir` must not be another ABI's cache directory.
    pub fn new(linker: Arc<L>, config: &CacheConfig, dir: Option<&Path>) -> Result<Self, CacheError> {
        let mut memory = Memory::new(config.memory_modules, config.memory_bytes);
        let disk = match dir.filter(|_| config.disk) {
            None => None,
            Some(dir) => {
                let disk = Disk::open(dir).map_err(|source| CacheError::Io { path: dir.into(), source })?;
                match disk.read_pins() {
                    Ok((ids, bad)) => {
                        if !bad.is_empty() {
                            log::warn!(
                                "ignoring {} unreadable line(s) in {}/pinned",
                                bad.len(),
                                dir.display()
                            );
                        }
                        memory.pinned_ids.extend(ids);
                    }
                    Err(e) => log::warn!("ignoring the pin list in {}: {e}", dir.display()),
                }
                Some(disk)
            }
        };
        Ok(ModuleCache {
            linker,
            memory: RwLock::new(memory),
            disk,
            gates: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            clock: AtomicU64::new(0),
            tier_up_threads: Mutex::new(Vec::new()),
        })
    }

    /// What the modules are compiled and linked by (for cove's ABI, the VM).
    pub fn linker(&self) -> &Arc<L> {
        &self.linker
    }

    /// The cache directory, if the disk tier is on.
    pub fn dir(&self) -> Option<&Path> {
        self.disk.as_ref().map(Disk::dir)
    }

    /// Makes `code` (whose id is `id`) ready to call, at deploy: a no-op if any tier has
    /// it, else validates, instruments and compiles it, and caches the result in memory
    /// and on disk. `Ok(Err(_))` is a module that breaks a deploy rule.
    pub fn prepare(&self, id: CodeId, code: &[u8]) -> Result<Result<(), ValidationError>, CacheError> {
        if self.memory_hit(&id).is_some() {
            return Ok(Ok(()));
        }
        self.gated(&id, || {
            if self.memory_hit(&id).is_some() {
                return Ok(Ok(()));
            }
            let module = match self.load_from_disk(&id) {
                Some(module) => module,
                None => match self.compile(id, code)? {
                    Ok(module) => module,
                    Err(e) => return Ok(Err(e)),
                },
            };
            self.insert(module);
            Ok(Ok(()))
        })
    }

    /// [`ModuleCache::prepare`] as a deploy's answer: code that breaks a deploy rule, or
    /// that cannot be compiled and linked, is refused as [`ErrorKind::Validation`].
    pub fn validate(&self, id: CodeId, code: &[u8]) -> Result<(), CallError> {
        match self.prepare(id, code) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(CallError::new(ErrorKind::Validation, e.to_string())),
            Err(e) => Err(CallError::new(ErrorKind::Validation, format!("could not compile: {e}"))),
        }
    }

    /// The module for `id`, from the first tier that has it; `code` supplies the wasm
    /// on a full miss (and is checked against `id`).
    pub fn get<E: From<CacheError>>(
        &self,
        id: &CodeId,
        code: &dyn Fn() -> Result<Vec<u8>, E>,
    ) -> Result<(Arc<CachedModule<L>>, Source), E> {
        if let Some(hit) = self.memory_hit(id) {
            return Ok(hit);
        }
        self.gated(id, || self.load(id, code))
    }

    /// The linked module a call to `id` runs. Counts the call and starts the tier-up
    /// when the module gets hot (reading `code` again for it).
    pub fn for_call<E: From<CacheError>>(
        &self,
        id: &CodeId,
        code: &dyn Fn() -> Result<Vec<u8>, E>,
    ) -> Result<Arc<L::Linked>, E> {
        let (module, _) = self.get(id, code)?;
        if !module.tier_up_done.load(Ordering::Relaxed) {
            let calls = module.calls.fetch_add(1, Ordering::Relaxed) + 1;
            if calls >= self.linker.engine().config().tier_up_after_calls
                && !module.tier_up_done.swap(true, Ordering::Relaxed)
            {
                match code() {
                    Ok(code) => self.start_tier_up(&module, code),
                    Err(_) => log::warn!("tier-up of {id} skipped: its code could not be read"),
                }
            }
        }
        Ok(module.linked())
    }

    /// Pins `id`: loads it if needed, keeps it out of the LRU's reach, and records the pin
    /// in the cache directory so it survives restarts.
    pub fn pin<E: From<CacheError>>(
        &self,
        id: &CodeId,
        code: &dyn Fn() -> Result<Vec<u8>, E>,
    ) -> Result<(), E> {
        // Load first: a code that cannot be loaded is not pinned.
        self.get(id, code)?;
        let was = {
            let mut memory = write(&self.memory);
            let was = memory.pinned_ids.contains(id);
            memory.pin(*id);
            was
        };
        if let Err(e) = self.save_pins() {
            // Not recorded, so not pinned: this process must agree with the pin list.
            if !was {
                let evicted = write(&self.memory).unpin(id);
                bump(&self.counters.evictions, evicted);
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Unpins `id` (its module moves to the LRU); returns whether it was pinned.
    pub fn unpin(&self, id: &CodeId) -> Result<bool, CacheError> {
        let (was, evicted) = {
            let mut memory = write(&self.memory);
            let was = memory.pinned_ids.contains(id);
            (was, memory.unpin(id))
        };
        bump(&self.counters.evictions, evicted);
        if let Err(e) = self.save_pins() {
            // Still recorded, so still pinned (as after a restart).
            if was {
                write(&self.memory).pin(*id);
            }
            return Err(e);
        }
        Ok(was)
    }

    /// Drops every compiled module from memory and disk. Pins are kept (their modules
    /// load again on next use). Tier-ups in flight finish first.
    pub fn clear(&self) -> Result<(), CacheError> {
        self.settle();
        write(&self.memory).clear();
        if let Some(disk) = &self.disk {
            disk.clear().map_err(|source| CacheError::Io { path: disk.dir().into(), source })?;
        }
        Ok(())
    }

    /// Contents and counters.
    pub fn stats(&self) -> CacheStats {
        let (pinned, lru, mut pinned_codes) = {
            let memory = read(&self.memory);
            (
                Usage { modules: memory.pinned.len() as u64, bytes: memory.pinned_bytes() },
                Usage { modules: memory.lru.len() as u64, bytes: memory.lru_bytes() },
                memory.pinned_ids.iter().copied().collect::<Vec<_>>(),
            )
        };
        pinned_codes.sort();
        let disk = match &self.disk {
            Some(d) => d.usage().map(|(modules, bytes)| Usage { modules, bytes }).unwrap_or_else(|e| {
                log::warn!("reading {}: {e}", d.dir().display());
                Usage::default()
            }),
            None => Usage::default(),
        };
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CacheStats {
            dir: self.dir().map(Path::to_path_buf),
            pinned,
            memory: lru,
            disk,
            pinned_codes,
            hits: Hits { pinned: get(&c.pinned), memory: get(&c.memory), disk: get(&c.disk) },
            misses: get(&c.misses),
            compiles: get(&c.compiles),
            tier_ups: get(&c.tier_ups),
            evictions: get(&c.evictions),
            invalid_artifacts: get(&c.invalid_artifacts),
        }
    }

    /// The tier `id` runs on, if it is loaded in memory.
    pub fn tier(&self, id: &CodeId) -> Option<Tier> {
        read(&self.memory).get(id).map(|(m, _)| m.tier())
    }

    /// Waits for every tier-up started so far.
    pub fn settle(&self) {
        let handles = std::mem::take(&mut *lock(&self.tier_up_threads));
        for handle in handles {
            let _ = handle.join();
        }
    }

    fn memory_hit(&self, id: &CodeId) -> Option<(Arc<CachedModule<L>>, Source)> {
        let (module, tier) = read(&self.memory).get(id)?;
        module.last_used.store(self.clock.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        let source = match tier {
            MemoryTier::Pinned => {
                bump(&self.counters.pinned, 1);
                Source::Pinned
            }
            MemoryTier::Lru => {
                bump(&self.counters.memory, 1);
                Source::Memory
            }
        };
        Some((module, source))
    }

    /// Below the memory tiers, with the gate for `id` held.
    fn load<E: From<CacheError>>(
        &self,
        id: &CodeId,
        code: &dyn Fn() -> Result<Vec<u8>, E>,
    ) -> Result<(Arc<CachedModule<L>>, Source), E> {
        // Another thread may have loaded it while we waited at the gate.
        if let Some(hit) = self.memory_hit(id) {
            return Ok(hit);
        }
        if let Some(module) = self.load_from_disk(id) {
            bump(&self.counters.disk, 1);
            self.insert(module.clone());
            return Ok((module, Source::Disk));
        }
        bump(&self.counters.misses, 1);
        let wasm = code()?;
        if CodeId::of(&wasm) != *id {
            return Err(CacheError::Checksum(*id).into());
        }
        let module = self.compile(*id, &wasm)?.map_err(|e| CacheError::Invalid(*id, e))?;
        self.insert(module.clone());
        Ok((module, Source::Compiled))
    }

    fn insert(&self, module: Arc<CachedModule<L>>) {
        module.last_used.store(self.clock.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        let evicted = write(&self.memory).insert(module);
        bump(&self.counters.evictions, evicted);
    }

    /// Checks, validates, instruments and compiles with the first tier; saves the
    /// artifact.
    fn compile(
        &self,
        id: CodeId,
        code: &[u8],
    ) -> Result<Result<Arc<CachedModule<L>>, ValidationError>, CacheError> {
        let linker = &*self.linker;
        let compiled = match linker.check(code).and_then(|()| linker.engine().compile_for(code, linker.abi()))
        {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        bump(&self.counters.compiles, 1);
        let module = cached(linker, id, &compiled)?;
        if let Some(disk) = &self.disk {
            save(linker, disk, &id, &compiled);
        }
        Ok(Ok(Arc::new(module)))
    }

    /// The best artifact on disk for `id`, if one is intact; deletes the ones that are not.
    fn load_from_disk(&self, id: &CodeId) -> Option<Arc<CachedModule<L>>> {
        let disk = self.disk.as_ref()?;
        let engine = self.linker.engine();
        // A tiering engine prefers its optimised artifact; every engine loads only the
        // tiers it has (a Pulley artifact is never offered to a native tier, nor the
        // reverse: the file names and the keys differ).
        let first = engine.first_tier();
        let optimized = (engine.tiers_up() && first != Tier::Optimized).then_some(Tier::Optimized);
        for tier in optimized.into_iter().chain([first]) {
            let path = disk.artifact_path(id, tier);
            let file = match disk.read(id, tier) {
                Ok(Some(file)) => file,
                Ok(None) => continue,
                Err(e) => {
                    log::warn!("cannot read cached artifact {}: {e}; recompiling", path.display());
                    continue;
                }
            };
            match self.open_artifact(id, tier, &file) {
                Ok(module) => return Some(module),
                Err(reason) => {
                    bump(&self.counters.invalid_artifacts, 1);
                    log::warn!("discarding cached artifact {}: {reason}; recompiling", path.display());
                    if let Err(e) = disk.remove(id, tier) {
                        log::warn!("cannot remove {}: {e}", path.display());
                    }
                }
            }
        }
        None
    }

    fn open_artifact(&self, id: &CodeId, tier: Tier, file: &[u8]) -> Result<Arc<CachedModule<L>>, String> {
        let engine = self.linker.engine();
        let fingerprint = fingerprint(&*self.linker, tier).ok_or("no such compiler configured")?;
        let payload = artifact::decode(&artifact::key(id, &fingerprint), file)?;
        // SAFETY: `decode` checked that the file is one `save` wrote under a key that
        // covers this engine's artifact fingerprint for `tier` and the linker's rules
        // (i.e. `Engine::serialize` output from an engine configured exactly like this
        // one, for code admitted by the same rules), complete (length) and undamaged
        // (CRC-32 over the whole payload; see artifact.rs for why that is the right check
        // against the threat of corruption).
        #[allow(unsafe_code)]
        let compiled = unsafe { engine.deserialize(tier, payload) }.map_err(|e| e.to_string())?;
        cached(&*self.linker, *id, &compiled).map(Arc::new).map_err(|e| e.to_string())
    }

    fn start_tier_up(&self, module: &Arc<CachedModule<L>>, code: Vec<u8>) {
        let id = module.id;
        let (linker, module, disk) = (self.linker.clone(), module.clone(), self.disk.clone());
        let finished = self.counters.tier_ups.clone();
        let spawned = std::thread::Builder::new().name("cove-tier-up".into()).spawn(move || {
            let engine = linker.engine();
            // Code that compiled with Winch or Pulley compiles with Cranelift too; if it
            // ever does not, the module simply stays on its first tier.
            let Ok(instrumented) = engine.instrument_for(&code, linker.abi()) else { return };
            let Ok(compiled) = engine.compile_instrumented(&instrumented, Tier::Optimized) else {
                return;
            };
            let Ok(linked) = linker.link(&compiled) else { return };
            module.size.store(compiled.code_size() as u64, Ordering::Relaxed);
            *write(&module.linked) = (Arc::new(linked), compiled.tier());
            bump(&finished, 1);
            if let Some(disk) = disk {
                save(&*linker, &disk, &module.id, &compiled);
                if let Err(e) = disk.remove(&module.id, engine.first_tier()) {
                    log::warn!("cannot remove the first-tier artifact of {}: {e}", module.id);
                }
            }
        });
        match spawned {
            Ok(handle) => lock(&self.tier_up_threads).push(handle),
            Err(e) => log::warn!("tier-up of {id} not started: {e}"),
        }
    }

    fn save_pins(&self) -> Result<(), CacheError> {
        let Some(disk) = &self.disk else { return Ok(()) };
        let mut ids: Vec<CodeId> = read(&self.memory).pinned_ids.iter().copied().collect();
        ids.sort();
        disk.write_pins(&ids).map_err(|source| CacheError::Io { path: disk.dir().join("pinned"), source })
    }

    /// Runs `f` holding the gate of `id`: one loader per code at a time, so concurrent
    /// misses of one code compile it once (the others find it in memory).
    fn gated<T>(&self, id: &CodeId, f: impl FnOnce() -> T) -> T {
        let gate = lock(&self.gates).entry(*id).or_default().clone();
        let result = {
            let _held = lock(&gate);
            f()
        };
        let mut gates = lock(&self.gates);
        // Forget the gate unless another thread is waiting at it (it holds a clone).
        if gates.get(id).is_some_and(|g| Arc::ptr_eq(g, &gate)) && Arc::strong_count(&gate) <= 2 {
            gates.remove(id);
        }
        result
    }
}

/// Links `compiled` as the cache entry of `id`.
fn cached<L: Link>(linker: &L, id: CodeId, compiled: &CompiledModule) -> Result<CachedModule<L>, CacheError> {
    let linked = linker.link(compiled)?;
    let tiers_up = linker.engine().tiers_up();
    Ok(CachedModule::new(id, linked, compiled.tier(), compiled.code_size(), tiers_up))
}

/// What an artifact of `tier` depends on besides its code: the engine's artifact
/// fingerprint, then, if the linker has deploy rules of its own, a hash of both.
fn fingerprint<L: Link>(linker: &L, tier: Tier) -> Option<[u8; 32]> {
    let engine = linker.engine().artifact_fingerprint(tier)?;
    Some(match linker.rules_fingerprint() {
        None => engine,
        Some(rules) => Sha256::new().chain_update(engine).chain_update(rules).finalize().into(),
    })
}

/// Writes `compiled`'s artifact; a failure only costs a recompilation later.
fn save<L: Link>(linker: &L, disk: &Disk, id: &CodeId, compiled: &CompiledModule) {
    let tier = compiled.tier();
    let Some(fingerprint) = fingerprint(linker, tier) else { return };
    let result = linker.engine().serialize(compiled).map_err(|e| e.to_string()).and_then(|payload| {
        let file = artifact::encode(&artifact::key(id, &fingerprint), &payload);
        disk.write(id, tier, &file).map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        log::warn!("cannot save the compiled artifact of {id}: {e}");
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
