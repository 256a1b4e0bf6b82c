//! Compiled modules kept warm, keyed by code id, with tier-up.
//!
//! A module is compiled at deploy (so the first call is warm) or on first use after a
//! restart, by the engine's first tier (Winch, when tiered). With
//! [`wasm::Compiler::Tiered`], the call that reaches `tier_up_after_calls` starts a
//! background thread that recompiles the same instrumented bytes with Cranelift and
//! swaps the result in; calls never wait for it. Both tiers run identical bytecode, so
//! switching changes speed only, never results or gas.
//!
//! The tiered cache (pinned, LRU, on-disk artifacts) is a separate layer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use state::Journal;
use types::CodeId;
use wasm::{LinkedModule, Tier, Vm};

use crate::{ContractView, RuntimeError, keys};

type Linked = Arc<LinkedModule<ContractView>>;

struct Entry {
    module: RwLock<Linked>,
    calls: AtomicU32,
    /// Instrumented bytes, kept until the optimising tier has them.
    pending: Mutex<Option<Arc<Vec<u8>>>>,
}

#[derive(Default)]
pub(crate) struct ModuleCache {
    map: RwLock<HashMap<CodeId, Arc<Entry>>>,
    tier_ups: Mutex<Vec<JoinHandle<()>>>,
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

impl ModuleCache {
    pub(crate) fn contains(&self, id: &CodeId) -> bool {
        read(&self.map).contains_key(id)
    }

    /// Validates, instruments and compiles `code` with the first tier and caches it.
    pub(crate) fn compile(
        &self,
        vm: &Vm<ContractView>,
        id: CodeId,
        code: &[u8],
    ) -> Result<Result<(), wasm::ValidationError>, RuntimeError> {
        let engine = vm.engine();
        let instrumented = match engine.instrument(code) {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Err(e)),
        };
        let compiled = match engine.compile_instrumented(&instrumented, engine.first_tier()) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let linked = Arc::new(vm.link(&compiled)?);
        let pending =
            (engine.tiers_up() && compiled.tier() == Tier::Baseline).then(|| Arc::new(instrumented));
        let entry =
            Entry { module: RwLock::new(linked), calls: AtomicU32::new(0), pending: Mutex::new(pending) };
        write(&self.map).insert(id, Arc::new(entry));
        Ok(Ok(()))
    }

    /// The module for a call to `id`, compiling the stored code on a miss. Counts the
    /// call and starts the tier-up when the module gets hot.
    pub(crate) fn for_call(
        &self,
        vm: &Arc<Vm<ContractView>>,
        journal: &Journal,
        id: &CodeId,
    ) -> Result<Linked, RuntimeError> {
        // Bind first: a guard in the `match` scrutinee would live through the arms, and
        // `load` takes the write lock.
        let cached = read(&self.map).get(id).cloned();
        let entry = match cached {
            Some(e) => e,
            None => {
                self.load(vm, journal, id)?;
                read(&self.map).get(id).cloned().expect("just inserted")
            }
        };
        let calls = entry.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if calls >= vm.engine().config().tier_up_after_calls {
            self.start_tier_up(vm, &entry);
        }
        let module = read(&entry.module).clone();
        Ok(module)
    }

    fn load(&self, vm: &Vm<ContractView>, journal: &Journal, id: &CodeId) -> Result<(), RuntimeError> {
        let code = journal
            .get(&keys::code(id))?
            .ok_or_else(|| RuntimeError::Corrupt(format!("code {id} is referenced but not stored")))?;
        if CodeId::of(&code) != *id {
            return Err(RuntimeError::Corrupt(format!("stored code {id} fails its checksum")));
        }
        self.compile(vm, *id, &code)?
            .map_err(|e| RuntimeError::Corrupt(format!("stored code {id} no longer validates: {e}")))
    }

    fn start_tier_up(&self, vm: &Arc<Vm<ContractView>>, entry: &Arc<Entry>) {
        let Some(instrumented) = lock(&entry.pending).take() else {
            return; // not tiered, or already started
        };
        let (vm, entry) = (vm.clone(), entry.clone());
        let spawned = std::thread::Builder::new().name("cove-tier-up".into()).spawn(move || {
            // A module that Winch compiled must compile with Cranelift too; if it ever
            // does not, the module simply stays on the baseline tier.
            let Ok(compiled) = vm.engine().compile_instrumented(&instrumented, Tier::Optimized) else {
                return;
            };
            let Ok(linked) = vm.link(&compiled) else { return };
            *write(&entry.module) = Arc::new(linked);
        });
        if let Ok(handle) = spawned {
            lock(&self.tier_ups).push(handle);
        }
    }

    /// The tier `id` currently runs on, if loaded.
    pub(crate) fn tier(&self, id: &CodeId) -> Option<Tier> {
        read(&self.map).get(id).map(|e| read(&e.module).tier())
    }

    /// Waits for every tier-up started so far.
    pub(crate) fn settle(&self) {
        let handles = std::mem::take(&mut *lock(&self.tier_ups));
        for handle in handles {
            let _ = handle.join();
        }
    }
}
