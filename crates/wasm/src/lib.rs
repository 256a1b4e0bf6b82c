//! cove's WebAssembly VM.
//!
//! This crate owns everything between contract bytes and a call's outcome:
//!
//! * [`inflate_code`]: gzip-compressed uploads, inflated with a bounded output before
//!   validation;
//! * [`validate`](Engine::compile): every deploy-time rule (format, features, imports from
//!   the [`abi`], limits) checked before anything runs;
//! * instrumentation: gas metering and the deterministic stack limit injected into the
//!   module's own bytecode (see `docs/gas.md`);
//! * the [`Engine`]: wasmtime with Cranelift, configured for determinism, plus an epoch
//!   ticker for the wall-clock backstop;
//! * [`coverage`]: which blocks, lines and functions a run of calls reached, from a
//!   separate compile with hooks (never used to run anything else);
//! * [`profile`]: gas profiles of a call, from a separate compile with hooks (never
//!   used to run anything else), and [`debug`]: a step debugger on the same hooks;
//! * the host functions of `docs/abi.md`, and [`Vm::call`], which runs an entry point in
//!   a fresh instance and classifies how it ended.
//!
//! It must not know where state lives: it reads and writes one contract's keys through
//! [`types::ContractStorage`] and nothing else (no redb, no journal, no addresses'
//! layout). Committing or reverting what a call wrote is the caller's job.

pub mod abi;

mod backtrace;
mod calls;
mod config;
mod costs;
pub mod coverage;
mod crypto;
pub mod debug;
mod engine;
mod exec;
mod gzip;
mod host;
mod instrument;
mod lived;
mod meter;
pub mod profile;
mod validate;

pub use backtrace::{Frame, MAX_BACKTRACE_FRAMES, take_backtrace};
pub use calls::{
    CallReply, CallRequest, ContractCalls, CreateRequest, LibraryRequest, forwarded_gas,
    status as call_status,
};
pub use config::{
    Compiler, Config, DEFAULT_PRECOMPILE_PER_EVM_GAS, DeployCosts, GasSchedule, HostCosts, HostLimits,
    LIFE_PRICE_BLOCKS, Limits, MAX_ABORT_MSG_LEN, MAX_ENTRY_LEN, MAX_EVENT_DATA_LEN, MAX_EVENTS,
    MAX_HASH_INPUT_LEN, MAX_HOST_PRICE, MAX_INPUT_LEN, MAX_KEY_LEN, MAX_OP_PRICE, MAX_PRECOMPILE_INPUT_LEN,
    MAX_PRECOMPILE_RATE, MAX_RETURN_LEN, MAX_STACK_BUDGET, MAX_STORAGE_LIFE, MAX_SURCHARGE_DIVISOR,
    MAX_TOPIC_LEN, MAX_UNIT_PRICE, MAX_VALUE_LEN, MIN_SURCHARGE_DIVISOR, OpCosts, WASM_PAGE,
};
pub use crypto::{MAX_PUBLIC_KEY_LEN, MAX_SIGNATURE_LEN};
pub use engine::{
    CompiledModule, EPOCH_TICK, Engine, EngineError, HOST_STACK_HEADROOM, MAX_CONCURRENT_INSTANCES,
    NATIVE_STACK_FACTOR, PULLEY_DEADLINE_FACTOR, PULLEY_TARGET, Tier,
};
pub use exec::{CallContext, CallOutcome, HostState, LinkedModule, Vm, VmError, classify_error};
pub use gzip::{GZIP_MAGIC, inflate as inflate_code, is_gzip};
pub use host::{BackendFault, HostTrap, NodeFault, charge_gas};
pub use instrument::{FRAME_OVERHEAD_BYTES, SLOT_BYTES, VERSION as INSTRUMENT_VERSION};
pub use lived::life_price;
pub use meter::{GasMeter, surcharged};
pub use types::CallError;
pub use types::{PrecompileCall, Precompiles};

/// The wasmtime release cove's WASM VM runs on (the workspace pins it exactly).
pub const WASMTIME_VERSION: &str = "48.0.8";
pub use validate::{ValidationError, features};
