//! cove's differential fuzzing harness.
//!
//! Each target turns arbitrary bytes into one case, runs it under every execution mode
//! (and, for the EVM, under plain revm) and reports a [`Finding`] when the runs disagree
//! or the host misbehaves. The same code serves the seeded runner (`cove-fuzz`, which
//! `.ci/run` drives with a bounded case count) and the cargo-fuzz targets in `fuzz/`,
//! which call [`Target::run`] with libFuzzer's bytes. `docs/fuzzing.md` says what each
//! target compares and how to replay a failure.
//!
//! * [`wasm_modules`]: wasm-smith modules shaped for cove's ABI, validated, instrumented
//!   and called under every mode;
//! * [`host_calls`]: generated sequences of host-function calls with hostile pointers
//!   and lengths;
//! * [`evm`]: EVM bytecode and calldata through cove's EVM against plain revm;
//! * [`cosmwasm`]: arbitrary JSON execute messages into the hackatom and cyberpunk
//!   contracts.
//!
//! It must not weaken what it checks to make a case pass: a difference in outcome, gas,
//! events or state between modes, a node fault or a host panic is always a finding.
//! Nothing here is used by the node.

pub mod cosmwasm;
pub mod evm;
pub mod host_calls;
pub mod modes;
pub mod runner;
pub mod wasm_modules;

pub use modes::{Mode, modes};
pub use runner::{Rng, run_cases};

/// What a case found: the runs disagreed, or the host failed where it must not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding(pub String);

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fuzz target: set up once (engines, fixtures), then run any number of cases.
pub trait Target {
    /// Runs the case `data` describes. Bytes that describe no case are `Ok`: every input
    /// is valid, and only a disagreement or a host fault is a finding.
    fn run(&mut self, data: &[u8]) -> Result<(), Finding>;

    /// What the cases so far did, as a JSON object, for targets that count.
    fn stats(&self) -> Option<String> {
        None
    }
}

/// The names of the targets, as the runner and `docs/fuzzing.md` spell them.
pub const TARGETS: &[&str] = &["wasm", "host-calls", "evm", "cosmwasm"];

/// Builds target `name` (one of [`TARGETS`]).
pub fn target(name: &str) -> Result<Box<dyn Target>, String> {
    Ok(match name {
        "wasm" => Box::new(wasm_modules::WasmModules::new()?),
        "host-calls" => Box::new(host_calls::HostCalls::new()?),
        "evm" => Box::new(evm::EvmDiff::new()?),
        "cosmwasm" => Box::new(cosmwasm::CosmWasmMessages::new()?),
        other => return Err(format!("unknown target {other:?} (targets: {})", TARGETS.join(", "))),
    })
}

/// How many cases ended each way, for a target's [`Target::stats`].
#[derive(Debug, Default, Clone)]
pub struct Counts(pub std::collections::BTreeMap<String, u64>);

impl Counts {
    /// Counts one more `what`.
    pub fn add(&mut self, what: impl Into<String>) {
        *self.0.entry(what.into()).or_default() += 1;
    }

    /// The counts as a JSON object.
    pub fn json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

/// A finding when `a` and `b` differ: `what` names the compared value and the modes.
pub(crate) fn same<T: PartialEq + std::fmt::Debug>(what: &str, a: &T, b: &T) -> Result<(), Finding> {
    if a == b { Ok(()) } else { Err(Finding(format!("{what} differ:\n  {a:?}\n  {b:?}"))) }
}
