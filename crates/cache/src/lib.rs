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
//! Every cached module is linked once ([`wasm::LinkedModule`], an `InstancePre`), so a
//! memory hit costs a hash lookup and a call only an instantiation.
//!
//! With [`wasm::Compiler::Tiered`], modules start on the baseline tier (Winch) and the
//! call that reaches `tier_up_after_calls` starts a background recompilation with
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
mod memory;
mod module;
mod stats;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use types::{CodeId, ContractStorage};
use wasm::{CompiledModule, Engine, LinkedModule, Tier, ValidationError, Vm};

pub use artifact::{FORMAT_VERSION, HEADER_LEN, MAGIC};
pub use config::{CacheConfig, CacheError, DEFAULT_MEMORY_BYTES, DEFAULT_MEMORY_MODULES};
pub use module::{CachedModule, Source};
pub use stats::{CacheStats, Hits, Usage};

use crate::disk::Disk;
use crate::memory::{Memory, MemoryTier};
use crate::stats::{Counters, bump};

/// The tiered module cache for the VM with storage type `S`. `Send + Sync`.
pub struct ModuleCache<S: 'static> {
    vm: Arc<Vm<S>>,
    memory: RwLock<Memory<S>>,
    disk: Option<Disk>,
    /// One gate per code being loaded, so concurrent misses compile once.
    gates: Mutex<HashMap<CodeId, Arc<Mutex<()>>>>,
    counters: Counters,
    clock: AtomicU64,
    tier_up_threads: Mutex<Vec<JoinHandle<()>>>,
}

impl<S: ContractStorage + Send + 'static> ModuleCache<S> {
    /// A cache over `vm`, with its disk tier in `dir` when given and enabled.
    pub fn new(vm: Arc<Vm<S>>, config: &CacheConfig, dir: Option<&Path>) -> Result<Self, CacheError> {
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
            vm,
            memory: RwLock::new(memory),
            disk,
            gates: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            clock: AtomicU64::new(0),
            tier_up_threads: Mutex::new(Vec::new()),
        })
    }

    /// The VM the modules are linked for.
    pub fn vm(&self) -> &Arc<Vm<S>> {
        &self.vm
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

    /// The module for `id`, from the first tier that has it; `code` supplies the wasm
    /// on a full miss (and is checked against `id`).
    pub fn get<E: From<CacheError>>(
        &self,
        id: &CodeId,
        code: &dyn Fn() -> Result<Vec<u8>, E>,
    ) -> Result<(Arc<CachedModule<S>>, Source), E> {
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
    ) -> Result<Arc<LinkedModule<S>>, E> {
        let (module, _) = self.get(id, code)?;
        if !module.tier_up_done.load(Ordering::Relaxed) {
            let calls = module.calls.fetch_add(1, Ordering::Relaxed) + 1;
            if calls >= self.vm.engine().config().tier_up_after_calls
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

    fn memory_hit(&self, id: &CodeId) -> Option<(Arc<CachedModule<S>>, Source)> {
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
    ) -> Result<(Arc<CachedModule<S>>, Source), E> {
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

    fn insert(&self, module: Arc<CachedModule<S>>) {
        module.last_used.store(self.clock.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        let evicted = write(&self.memory).insert(module);
        bump(&self.counters.evictions, evicted);
    }

    /// Validates, instruments and compiles with the first tier; saves the artifact.
    fn compile(
        &self,
        id: CodeId,
        code: &[u8],
    ) -> Result<Result<Arc<CachedModule<S>>, ValidationError>, CacheError> {
        let engine = self.vm.engine();
        let compiled = match engine.compile(code) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        bump(&self.counters.compiles, 1);
        let linked = self.vm.link(&compiled)?;
        if let Some(disk) = &self.disk {
            save(engine, disk, &id, &compiled);
        }
        Ok(Ok(Arc::new(CachedModule::new(id, linked, compiled.code_size(), engine.tiers_up()))))
    }

    /// The best artifact on disk for `id`, if one is intact; deletes the ones that are not.
    fn load_from_disk(&self, id: &CodeId) -> Option<Arc<CachedModule<S>>> {
        let disk = self.disk.as_ref()?;
        let engine = self.vm.engine();
        let tiers: &[Tier] = match (engine.tiers_up(), engine.first_tier()) {
            (true, _) => &[Tier::Optimized, Tier::Baseline],
            (false, Tier::Baseline) => &[Tier::Baseline],
            (false, Tier::Optimized) => &[Tier::Optimized],
        };
        for &tier in tiers {
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

    fn open_artifact(&self, id: &CodeId, tier: Tier, file: &[u8]) -> Result<Arc<CachedModule<S>>, String> {
        let engine = self.vm.engine();
        let fingerprint = engine.artifact_fingerprint(tier).ok_or("no such compiler configured")?;
        let payload = artifact::decode(&artifact::key(id, &fingerprint), file)?;
        // SAFETY: `decode` checked that the file is one `save` wrote under a key that
        // covers this engine's artifact fingerprint for `tier` (i.e. `Engine::serialize`
        // output from an engine configured exactly like this one), complete (length) and
        // undamaged (CRC-32 over the whole payload; see artifact.rs for why that is the
        // right check against the threat of corruption).
        #[allow(unsafe_code)]
        let compiled = unsafe { engine.deserialize(tier, payload) }.map_err(|e| e.to_string())?;
        let linked = self.vm.link(&compiled).map_err(|e| e.to_string())?;
        Ok(Arc::new(CachedModule::new(*id, linked, compiled.code_size(), engine.tiers_up())))
    }

    fn start_tier_up(&self, module: &Arc<CachedModule<S>>, code: Vec<u8>) {
        let id = module.id;
        let (vm, module, disk) = (self.vm.clone(), module.clone(), self.disk.clone());
        let finished = self.counters.tier_ups.clone();
        let spawned = std::thread::Builder::new().name("cove-tier-up".into()).spawn(move || {
            let engine = vm.engine();
            // Code that compiled with Winch compiles with Cranelift too; if it ever does
            // not, the module simply stays on the baseline tier.
            let Ok(instrumented) = engine.instrument(&code) else { return };
            let Ok(compiled) = engine.compile_instrumented(&instrumented, Tier::Optimized) else {
                return;
            };
            let Ok(linked) = vm.link(&compiled) else { return };
            module.size.store(compiled.code_size() as u64, Ordering::Relaxed);
            *write(&module.linked) = Arc::new(linked);
            bump(&finished, 1);
            if let Some(disk) = disk {
                save(engine, &disk, &module.id, &compiled);
                if let Err(e) = disk.remove(&module.id, Tier::Baseline) {
                    log::warn!("cannot remove the baseline artifact of {}: {e}", module.id);
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

/// Writes `compiled`'s artifact; a failure only costs a recompilation later.
fn save(engine: &Engine, disk: &Disk, id: &CodeId, compiled: &CompiledModule) {
    let tier = compiled.tier();
    let Some(fingerprint) = engine.artifact_fingerprint(tier) else { return };
    let result = engine.serialize(compiled).map_err(|e| e.to_string()).and_then(|payload| {
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
