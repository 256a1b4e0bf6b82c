//! The engine: wasmtime configured for determinism, built once, cheap to clone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Strategy};

use crate::config::Config;
use crate::instrument;
use crate::validate::{self, ValidationError};

/// How often the epoch ticker advances the engine's epoch.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Most instances alive at once (concurrent calls, each nested `allocate` included):
/// the pooling allocator's slot count.
pub const MAX_CONCURRENT_INSTANCES: u32 = 128;

/// Native stack wasmtime lets wasm code use, as a multiple of the deterministic budget.
///
/// The deterministic limit (counted by instrumentation) must always fire first. A frame's
/// accounted size is 64 bytes plus 8 per parameter, local and operand slot; Cranelift
/// frames measured on x86-64 used at most 0.46x their accounted size (64 i64 params:
/// 512 native bytes against 1,104 accounted; see `docs/gas.md`), and a spill slot is
/// never larger than a value slot, so 2x leaves a wide margin.
pub const NATIVE_STACK_FACTOR: usize = 2;

/// Stack the host itself needs around a call (host functions, wasmtime's entry path).
pub const HOST_STACK_HEADROOM: usize = 512 * 1024;

/// The WASM engine: a wasmtime engine configured for deterministic execution plus cove's
/// [`Config`]. Clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    wasmtime: wasmtime::Engine,
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
}

impl CompiledModule {
    /// The wasmtime module (instrumented code).
    pub fn module(&self) -> &wasmtime::Module {
        &self.module
    }
}

impl Engine {
    /// Builds an engine from `config`, validating it.
    pub fn new(config: Config) -> Result<Engine, EngineError> {
        config.validate().map_err(EngineError::Config)?;
        let mut c = wasmtime::Config::new();
        let native_stack = Self::native_stack(&config);
        c.strategy(Strategy::Cranelift)
            .cranelift_opt_level(OptLevel::Speed)
            // Determinism: NaN bit patterns are the only nondeterminism left in the
            // features cove accepts; canonicalise them.
            .cranelift_nan_canonicalization(true)
            .wasm_simd(false)
            .wasm_relaxed_simd(false)
            .wasm_multi_memory(false)
            .wasm_memory64(false)
            .wasm_tail_call(false)
            .wasm_bulk_memory(true)
            .wasm_multi_value(true)
            .wasm_backtrace_max_frames(None)
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
            // Page faults dominate short calls on this machine class: keep the first
            // pages resident and reset them with memset (docs/benchmarks.md).
            .linear_memory_keep_resident(64 * 1024)
            .table_keep_resident(64 * 1024);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let wasmtime = wasmtime::Engine::new(&c).map_err(|e| EngineError::Wasmtime(format!("{e:#}")))?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            let engine = wasmtime.clone();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("cove-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| EngineError::Wasmtime(format!("spawning the epoch ticker: {e}")))?;
        }
        Ok(Engine { inner: Arc::new(Inner { wasmtime, config, ticker_stop }) })
    }

    /// The native stack wasm may use under `config`.
    pub fn native_stack(config: &Config) -> usize {
        config.limits.max_stack_bytes as usize * NATIVE_STACK_FACTOR
    }

    /// The configuration this engine was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The underlying wasmtime engine.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.wasmtime
    }

    /// Validates and instruments `code` without compiling it: the exact bytes that
    /// [`Engine::compile`] would compile.
    pub fn instrument(&self, code: &[u8]) -> Result<Vec<u8>, ValidationError> {
        let facts = validate::validate(code, &self.inner.config)?;
        instrument::instrument(code, &facts, &self.inner.config)
    }

    /// Validates, instruments and compiles `code`.
    pub fn compile(&self, code: &[u8]) -> Result<CompiledModule, ValidationError> {
        let instrumented = self.instrument(code)?;
        let module = wasmtime::Module::new(&self.inner.wasmtime, &instrumented)
            .map_err(|e| validate::invalid("compile", format!("{e:#}")))?;
        Ok(CompiledModule { module })
    }

    /// Epoch ticks before a call is interrupted.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        self.inner.config.timeout_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1)
    }
}
