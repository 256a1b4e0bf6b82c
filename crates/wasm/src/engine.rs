//! The engine: wasmtime configured for determinism, built once, cheap to clone.
//!
//! Up to three tiers sit behind one [`Engine`], all fed the same instrumented bytecode:
//! Winch (wasmtime's baseline compiler: fast to compile, slower code), Cranelift
//! (optimising) and Pulley (wasmtime's interpreter: Cranelift lowers the module to
//! portable Pulley bytecode, which an interpreter loop runs; no native code is
//! generated). Because gas and the stack limit live in the bytecode and NaNs are
//! canonicalised by all three, a call's result, gas and effects do not depend on which
//! tier produced the code; tests run contracts under every execution mode and compare
//! (`docs/modes.md`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Strategy};

use crate::abi::{self, Abi};
use crate::config::{Compiler, Config};
use crate::instrument;
use crate::validate::{self, ValidationError};

/// How often the epoch ticker advances the engines' epoch.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How many times `timeout_ms` a call running on Pulley may take before the backstop
/// fires.
///
/// The backstop must never fire for a call that gas bounds (`docs/gas.md`, "Timeout").
/// `max_tx_gas` is sized against the slowest native tier (Winch); wasmtime's interpreter
/// runs contract code tens of times slower per gas unit (a 16.6 M gas CosmWasm message
/// the fuzzer found needed seconds on Pulley: `docs/gas.md`, "Timeout"), so a call on
/// Pulley gets a deadline this many times longer, 128 s by default. The worst cost per
/// gas unit measured on Pulley is 19 ns on the calibration's items and at most 224 ns on
/// a module the fuzzer found (release build): 10⁸ gas at 224 ns is 22 s, under a quarter
/// of 128 s. Host functions and precompiles run natively in every mode.
pub const PULLEY_DEADLINE_FACTOR: u64 = 64;

/// Most instances alive at once per compiler tier (concurrent calls): the pooling
/// allocator's slot count.
pub const MAX_CONCURRENT_INSTANCES: u32 = 128;

/// Native stack wasmtime lets wasm code use, as a multiple of the deterministic budget.
///
/// The deterministic limit (counted by instrumentation) must always fire first. A frame's
/// accounted size is 64 bytes plus 8 per parameter, local and operand slot. Measured on
/// x86-64 (docs/gas.md), native frames used at most 0.46x their accounted size under
/// Cranelift and at most 0.99x under Winch, which keeps every local and operand in a
/// stack slot; 4x leaves a margin of 4x.
pub const NATIVE_STACK_FACTOR: usize = 4;

/// Stack the host itself needs around a call (host functions, wasmtime's entry path).
pub const HOST_STACK_HEADROOM: usize = 512 * 1024;

/// The Pulley target of this host: Pulley bytecode of the host's pointer width and byte
/// order (wasmtime runs only Pulley code that matches them).
pub const PULLEY_TARGET: &str = match (cfg!(target_pointer_width = "64"), cfg!(target_endian = "little")) {
    (true, true) => "pulley64",
    (true, false) => "pulley64be",
    (false, true) => "pulley32",
    (false, false) => "pulley32be",
};

/// Which compiler produced a [`CompiledModule`]. The discriminants are part of artifact
/// keys ([`Engine::artifact_fingerprint`]): never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Winch: compiled fast, runs slower.
    Baseline = 0,
    /// Cranelift with optimisations.
    Optimized = 1,
    /// Pulley bytecode ([`PULLEY_TARGET`]) compiled by Cranelift, run by wasmtime's
    /// interpreter: no native code.
    Interpreted = 2,
}

/// The WASM engine: wasmtime engines configured for deterministic execution plus cove's
/// [`Config`]. Clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    optimizing: wasmtime::Engine,
    baseline: Option<wasmtime::Engine>,
    interpreter: Option<wasmtime::Engine>,
    config: Config,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// Why an [`Engine`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// wasmtime refused the configuration.
    #[error("wasmtime: {0}")]
    Wasmtime(String),
}

/// A module that passed validation, was instrumented and compiled.
#[derive(Clone)]
pub struct CompiledModule {
    pub(crate) module: wasmtime::Module,
    pub(crate) tier: Tier,
}

impl CompiledModule {
    /// The wasmtime module (instrumented code).
    pub fn module(&self) -> &wasmtime::Module {
        &self.module
    }

    /// The compiler that produced it.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// Bytes of machine code and data wasmtime keeps for it (a cache's weight).
    pub fn code_size(&self) -> usize {
        let range = self.module.image_range();
        range.end as usize - range.start as usize
    }
}

/// Feeds [`std::hash::Hash`] output into SHA-256, for hashes that must be stable across
/// processes (unlike `DefaultHasher`'s contract).
struct Sha256Hasher(sha2::Sha256);

impl std::hash::Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = sha2::Digest::finalize(self.0.clone());
        u64::from_le_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }
}

impl Engine {
    /// Builds an engine from `config`, validating it.
    pub fn new(config: Config) -> Result<Engine, EngineError> {
        config.validate().map_err(EngineError::Config)?;
        let optimizing = build(&config, Tier::Optimized)?;
        let baseline = match config.compiler {
            Compiler::Baseline | Compiler::Tiered => Some(build(&config, Tier::Baseline)?),
            Compiler::Optimizing | Compiler::Interpreter | Compiler::Hybrid => None,
        };
        let interpreter = match config.compiler {
            Compiler::Interpreter | Compiler::Hybrid => Some(build(&config, Tier::Interpreted)?),
            Compiler::Baseline | Compiler::Tiered | Compiler::Optimizing => None,
        };

        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            let engines: Vec<wasmtime::Engine> = std::iter::once(optimizing.clone())
                .chain(baseline.clone())
                .chain(interpreter.clone())
                .collect();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("cove-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engines.iter().for_each(wasmtime::Engine::increment_epoch);
                    }
                })
                .map_err(|e| EngineError::Wasmtime(format!("spawning the epoch ticker: {e}")))?;
        }
        Ok(Engine { inner: Arc::new(Inner { optimizing, baseline, interpreter, config, ticker_stop }) })
    }

    /// The native stack wasm may use under `config`.
    pub fn native_stack(config: &Config) -> usize {
        config.limits.max_stack_bytes as usize * NATIVE_STACK_FACTOR
    }

    /// The configuration this engine was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The wasmtime engine of `tier`, if this engine has that tier.
    pub fn wasmtime(&self, tier: Tier) -> Option<&wasmtime::Engine> {
        match tier {
            Tier::Optimized => Some(&self.inner.optimizing),
            Tier::Baseline => self.inner.baseline.as_ref(),
            Tier::Interpreted => self.inner.interpreter.as_ref(),
        }
    }

    /// The tier [`Engine::compile`] uses: Winch under `tiered` and `baseline`, Pulley
    /// under `interpreter` and `hybrid`, Cranelift under `jit`.
    pub fn first_tier(&self) -> Tier {
        match self.inner.config.compiler {
            Compiler::Tiered | Compiler::Baseline => Tier::Baseline,
            Compiler::Interpreter | Compiler::Hybrid => Tier::Interpreted,
            Compiler::Optimizing => Tier::Optimized,
        }
    }

    /// Whether modules should later be recompiled by the optimising tier (`tiered` and
    /// `hybrid`).
    pub fn tiers_up(&self) -> bool {
        matches!(self.inner.config.compiler, Compiler::Tiered | Compiler::Hybrid)
    }

    /// Validates and instruments `code` without compiling it: the exact bytes that
    /// [`Engine::compile`] would compile.
    pub fn instrument(&self, code: &[u8]) -> Result<Vec<u8>, ValidationError> {
        self.instrument_for(code, &abi::COVE)
    }

    /// [`Engine::instrument`] for a module of another host ABI (its imports are checked
    /// against `abi`; every other rule is the same).
    pub fn instrument_for(&self, code: &[u8], abi: &Abi) -> Result<Vec<u8>, ValidationError> {
        let facts = validate::validate(code, &self.inner.config, abi)?;
        instrument::instrument(code, &facts, &self.inner.config)
    }

    /// Validates, instruments and compiles `code` with the first tier.
    pub fn compile(&self, code: &[u8]) -> Result<CompiledModule, ValidationError> {
        self.compile_for(code, &abi::COVE)
    }

    /// [`Engine::compile`] for a module of another host ABI.
    pub fn compile_for(&self, code: &[u8], abi: &Abi) -> Result<CompiledModule, ValidationError> {
        let instrumented = self.instrument_for(code, abi)?;
        self.compile_instrumented(&instrumented, self.first_tier())
    }

    /// [`Engine::compile_for`] for a gas profile ([`crate::profile`]): the same
    /// instrumentation plus the profiling hooks, compiled with the first tier. Never
    /// cached and never used for an ordinary call: its code differs from what
    /// [`Engine::compile`] makes, though its gas does not.
    pub fn compile_profiling_for(&self, code: &[u8], abi: &Abi) -> Result<CompiledModule, ValidationError> {
        let instrumented = self.instrument_for(code, abi)?;
        let hooked = crate::profile::add_hooks(&instrumented)?;
        self.compile_instrumented(&hooked, self.first_tier())
    }

    /// [`Engine::compile_for`] for coverage ([`crate::coverage`]): the same
    /// instrumentation plus a hook at the start of each block, compiled with the first
    /// tier, and the map of those blocks. Never cached and never used for an ordinary
    /// call: its code differs from what [`Engine::compile`] makes, though its gas does not.
    pub fn compile_coverage_for(
        &self,
        code: &[u8],
        abi: &Abi,
    ) -> Result<(CompiledModule, crate::coverage::CoverageMap), ValidationError> {
        let facts = validate::validate(code, &self.inner.config, abi)?;
        let mut starts = Vec::new();
        let instrumented =
            instrument::instrument_recording(code, &facts, &self.inner.config, Some(&mut starts))?;
        let (hooked, map) = crate::coverage::add_hooks(code, &instrumented, &starts)?;
        Ok((self.compile_instrumented(&hooked, self.first_tier())?, map))
    }

    /// Compiles already-instrumented code (from [`Engine::instrument`]) with `tier`.
    pub fn compile_instrumented(
        &self,
        instrumented: &[u8],
        tier: Tier,
    ) -> Result<CompiledModule, ValidationError> {
        let engine = self
            .wasmtime(tier)
            .ok_or_else(|| validate::invalid("compile", format!("no {tier:?} compiler configured")))?;
        let module = wasmtime::Module::new(engine, instrumented)
            .map_err(|e| validate::invalid("compile", format!("{e:#}")))?;
        Ok(CompiledModule { module, tier })
    }

    /// Everything a compiled artifact of `tier` depends on besides the code itself, as
    /// a hash: wasmtime's own compatibility hash of the engine (its version, compiler
    /// and settings), cove's instrumentation version and this crate's version, and the
    /// configuration values that change the instrumented code ([`Config::fingerprint`]).
    /// Two engines with equal fingerprints compile the same code to interchangeable
    /// artifacts; anything else must not share them.
    pub fn artifact_fingerprint(&self, tier: Tier) -> Option<[u8; 32]> {
        use std::hash::Hash;
        let engine = self.wasmtime(tier)?;
        let mut h = Sha256Hasher(sha2::Sha256::default());
        engine.precompile_compatibility_hash().hash(&mut h);
        instrument::VERSION.hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        self.inner.config.fingerprint().hash(&mut h);
        (tier as u8).hash(&mut h);
        Some(sha2::Digest::finalize(h.0).into())
    }

    /// The machine code of `module` in wasmtime's artifact format, for a disk cache.
    pub fn serialize(&self, module: &CompiledModule) -> Result<Vec<u8>, EngineError> {
        module.module.serialize().map_err(|e| EngineError::Wasmtime(format!("serialize: {e:#}")))
    }

    /// Loads an artifact made by [`Engine::serialize`].
    ///
    /// wasmtime checks the artifact's header (its version and engine settings) and
    /// refuses a mismatch with an error, but it cannot check the machine code itself.
    ///
    /// # Safety
    ///
    /// `bytes` must be exactly what [`Engine::serialize`] returned for a module of
    /// `tier`, on an engine with the same [`Engine::artifact_fingerprint`]; a caller that
    /// reads them back from disk must verify them first (a checksum over the whole
    /// artifact, as `cove-cache` does). Arbitrary bytes may run arbitrary native code.
    #[allow(unsafe_code)]
    pub unsafe fn deserialize(&self, tier: Tier, bytes: &[u8]) -> Result<CompiledModule, EngineError> {
        let engine = self
            .wasmtime(tier)
            .ok_or_else(|| EngineError::Config(format!("no {tier:?} compiler configured")))?;
        // SAFETY: forwarded to our caller (see above).
        let module = unsafe { wasmtime::Module::deserialize(engine, bytes) }
            .map_err(|e| EngineError::Wasmtime(format!("deserialize: {e:#}")))?;
        Ok(CompiledModule { module, tier })
    }

    /// Epoch ticks before a call on `module`'s wasmtime engine is interrupted (for
    /// `Store::set_epoch_deadline`): `timeout_ms`, times [`PULLEY_DEADLINE_FACTOR`] for
    /// Pulley code.
    pub fn deadline_ticks(&self, module: &wasmtime::Engine) -> u64 {
        let ticks = self.inner.config.timeout_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1);
        if module.is_pulley() { ticks.saturating_mul(PULLEY_DEADLINE_FACTOR) } else { ticks }
    }
}

/// Bytes of a linear memory kept mapped between instances (and reset in place) rather
/// than returned to the OS.
///
/// Page faults and `madvise` dominate short calls on this machine class
/// (docs/benchmarks.md). With Linux's `PAGEMAP_SCAN` (6.7+), wasmtime resets only the
/// pages an instance dirtied, so keeping up to 1 MiB resident is cheap and covers the
/// stack and data pages a typical Rust contract touches (a query of a 17-page contract:
/// ~22 µs without, ~5-9 µs with). Without it, every kept byte is `memset` on each reset,
/// so only the first 64 KiB are kept. The scan is a system call: a contract with a single
/// 64 KiB page pays ~1 µs more per call than a `memset` of that page would cost (the
/// token transfer benchmark, ~10%; docs/benchmarks.md).
fn memory_keep_resident() -> usize {
    if PoolingAllocationConfig::is_pagemap_scan_available() { 1 << 20 } else { 64 * 1024 }
}

/// Cranelift's optimisation level for Pulley bytecode.
const PULLEY_OPT_LEVEL: OptLevel = OptLevel::Speed;

/// One wasmtime engine for `tier`, configured for determinism.
fn build(config: &Config, tier: Tier) -> Result<wasmtime::Engine, EngineError> {
    let native_stack = Engine::native_stack(config);
    let mut c = wasmtime::Config::new();
    match tier {
        Tier::Optimized => c.strategy(Strategy::Cranelift).cranelift_opt_level(OptLevel::Speed),
        Tier::Baseline => c.strategy(Strategy::Winch),
        // Pulley code is produced by Cranelift; the target alone makes it bytecode. The
        // interpreter's stack is `max_wasm_stack` bytes, allocated per store.
        Tier::Interpreted => c
            .strategy(Strategy::Cranelift)
            .cranelift_opt_level(PULLEY_OPT_LEVEL)
            .target(PULLEY_TARGET)
            .map_err(|e| EngineError::Wasmtime(format!("Pulley target {PULLEY_TARGET}: {e:#}")))?,
    };
    // Determinism: NaN bit patterns are the only nondeterminism left in the features cove
    // accepts; both compilers canonicalise them under this (shared) flag.
    c.cranelift_nan_canonicalization(true)
        .wasm_simd(false)
        .wasm_relaxed_simd(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_tail_call(false)
        .wasm_bulk_memory(true)
        .wasm_multi_value(true)
        // Diagnostic only (`backtrace.rs`): frames are recorded when a call fails.
        .wasm_backtrace_max_frames(std::num::NonZeroUsize::new(crate::backtrace::MAX_BACKTRACE_FRAMES))
        .epoch_interruption(true)
        // Not used (no async), but wasmtime checks max_wasm_stack against it.
        .async_stack_size(native_stack)
        .max_wasm_stack(native_stack);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(MAX_CONCURRENT_INSTANCES)
        .total_memories(MAX_CONCURRENT_INSTANCES)
        .total_tables(MAX_CONCURRENT_INSTANCES)
        .max_memory_size(config.limits.max_memory_bytes as usize)
        .table_elements(config.limits.max_table_elements as usize)
        .linear_memory_keep_resident(memory_keep_resident())
        .table_keep_resident(64 * 1024)
        .pagemap_scan(wasmtime::Enabled::Auto);
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    wasmtime::Engine::new(&c).map_err(|e| EngineError::Wasmtime(format!("{tier:?} compiler: {e:#}")))
}
