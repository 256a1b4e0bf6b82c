//! The execution modes every case runs under.
//!
//! A mode is a name and the WASM [`Config`] that selects it. Every target iterates over
//! [`modes`], so a new mode is one entry here; the first mode is the reference the others
//! are compared with.

use wasm::{Compiler, Config};

/// One way of executing WASM: its name (in findings) and its configuration.
#[derive(Debug, Clone)]
pub struct Mode {
    /// Short name, e.g. `winch`.
    pub name: &'static str,
    /// The engine configuration that selects the mode.
    pub config: Config,
}

/// Every code generator the engine runs contracts on: Winch (the baseline tier `tiered`
/// deploys with), Cranelift (`jit`, and the tier hot modules move to) and Pulley
/// (`interpreter`, and `hybrid`'s first tier). `tiered` and `hybrid` switch between
/// these per module, so their results are these modes' results (`docs/modes.md`).
pub fn modes() -> Vec<Mode> {
    let with = |compiler| Config { compiler, ..Config::default() };
    vec![
        Mode { name: "winch", config: with(Compiler::Baseline) },
        Mode { name: "cranelift", config: with(Compiler::Optimizing) },
        Mode { name: "pulley", config: with(Compiler::Interpreter) },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_have_distinct_names_and_build_engines() {
        let modes = modes();
        assert!(modes.len() >= 2, "a differential run needs two modes");
        for (i, m) in modes.iter().enumerate() {
            assert!(modes[..i].iter().all(|o| o.name != m.name), "{} twice", m.name);
            wasm::Engine::new(m.config.clone()).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        }
    }
}
