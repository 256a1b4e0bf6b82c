//! Each target on a fixed seed: no finding, and the cases reach what they are meant to
//! (modules deploy and run, messages succeed), so a generator that silently stopped
//! producing useful cases fails here. Findings once made are pinned in `regressions`.

use cove_fuzz::cosmwasm::CosmWasmMessages;
use cove_fuzz::evm::EvmDiff;
use cove_fuzz::host_calls::HostCalls;
use cove_fuzz::runner::{MAX_INPUT_LEN, run_cases};
use cove_fuzz::wasm_modules::WasmModules;

fn assert_clean(report: &cove_fuzz::runner::Report) {
    let found: Vec<String> =
        report.failures.iter().map(|f| format!("case {}: {}", f.case, f.finding)).collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn wasm_modules_deploy_run_and_agree_in_every_mode() {
    let mut t = WasmModules::new().unwrap();
    assert_clean(&run_cases(&mut t, "wasm", 1, 150, MAX_INPUT_LEN, None, None));
    let s = t.stats;
    assert_eq!(s.modules, 150, "every input makes a module");
    assert!(s.deployed * 10 >= s.modules * 7, "most modules deploy: {s:?}");
    assert!(s.calls > s.deployed && s.succeeded > 0, "calls run, some succeed: {s:?}");
}

#[test]
fn hostile_host_calls_end_cleanly_and_agree_in_every_mode() {
    let mut t = HostCalls::new().unwrap();
    assert_clean(&run_cases(&mut t, "host-calls", 1, 100, MAX_INPUT_LEN, None, None));
    let c = &t.counts.0;
    assert!(c.get("ok").copied().unwrap_or(0) > 0, "some sequences succeed: {c:?}");
    assert!(c.get("invalid_argument").copied().unwrap_or(0) > 0, "hostile arguments are refused: {c:?}");
}

#[test]
fn evm_bytecode_agrees_with_plain_revm() {
    let mut t = EvmDiff::new().unwrap();
    assert_clean(&run_cases(&mut t, "evm", 1, 300, MAX_INPUT_LEN, None, None));
    let c = &t.counts.0;
    for kind in ["create success", "call success", "call halt", "call revert"] {
        assert!(c.get(kind).copied().unwrap_or(0) > 0, "{kind}: {c:?}");
    }
}

#[test]
fn cosmwasm_messages_agree_in_every_mode() {
    let mut t = CosmWasmMessages::new().unwrap_or_else(|e| panic!("{e}"));
    assert_clean(&run_cases(&mut t, "cosmwasm", 1, 100, MAX_INPUT_LEN, None, None));
    let c = &t.counts.0;
    for kind in ["hackatom ok", "cyberpunk ok", "hackatom aborted"] {
        assert!(c.get(kind).copied().unwrap_or(0) > 0, "{kind}: {c:?}");
    }
}

#[test]
fn generated_modules_have_cove_shape() {
    let mut shaped = 0;
    for case in 0..20 {
        let data = cove_fuzz::runner::case_input(3, case, MAX_INPUT_LEN);
        let (_, body) = data.split_at(data.len().min(cove_fuzz::wasm_modules::PLAN_BYTES));
        let Some(code) = WasmModules::module(body) else { continue };
        let mut names = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&code) {
            match payload.unwrap() {
                wasmparser::Payload::ExportSection(r) => {
                    names.extend(r.into_iter().map(|e| e.unwrap().name.to_string()));
                }
                wasmparser::Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        let import = import.unwrap();
                        assert_eq!(import.module, "env");
                        assert!(
                            wasm::abi::host_fn(import.name).is_some(),
                            "{} is a host function",
                            import.name
                        );
                    }
                }
                _ => {}
            }
        }
        for required in ["memory", "allocate", "run", "run_i32", "run_i64"] {
            assert!(names.iter().any(|n| n == required), "case {case} exports {required}: {names:?}");
        }
        shaped += 1;
    }
    assert!(shaped >= 15, "{shaped} of 20 inputs made a module");
}

/// Findings, each pinned by its input (`tests/regressions/`) and replayed through its
/// target: it must now run cleanly.
mod regressions {
    use cove_fuzz::cosmwasm::CosmWasmMessages;
    use cove_fuzz::runner::run_one;
    use cove_fuzz::wasm_modules::WasmModules;

    /// A cyberpunk message under 16.6 M gas that Pulley ran for longer than the 2 s
    /// wall-clock backstop on a loaded machine (libFuzzer's `cosmwasm` target, 12 minutes
    /// into its hour): the backstop was sized for native code only. Calls on Pulley now
    /// get `wasm::PULLEY_DEADLINE_FACTOR` times the deadline (docs/gas.md, "Timeout").
    #[test]
    fn cosmwasm_message_outlasting_the_native_backstop_on_pulley() {
        let mut t = CosmWasmMessages::new().unwrap_or_else(|e| panic!("{e}"));
        let input = include_bytes!("regressions/cosmwasm-pulley-backstop.bin");
        run_one(&mut t, input).unwrap_or_else(|f| panic!("{f}"));
    }

    /// A module whose `run` does nothing hit the 2 s backstop on Pulley while the fuzzer
    /// ran niced on a machine at load average 22 (libFuzzer's `wasm_modules`, 30 minutes
    /// into its hour): the process was not scheduled for the deadline's length. It runs
    /// cleanly when replayed; kept so the case stays in every run.
    #[test]
    fn trivial_module_that_stalled_under_load() {
        let mut t = WasmModules::new().unwrap_or_else(|e| panic!("{e}"));
        let input = include_bytes!("regressions/wasm-trivial-call-stalled.bin");
        run_one(&mut t, input).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(t.stats.deployed, 1, "the module deploys: {:?}", t.stats);
    }

    /// A module whose `run_i32` under 1.96 M gas ran past the 2 s backstop on Pulley
    /// (libFuzzer's `wasm_modules`, 34 minutes into a run at normal priority, load average
    /// about 6; the binary predated the longer Pulley deadline). Replayed on a quiet
    /// machine the whole case takes 1.4 s in the three modes: Pulley's cost per gas unit
    /// on some code shapes is far above the native figures the gas caps assume.
    #[test]
    fn module_slow_per_gas_on_pulley() {
        let mut t = WasmModules::new().unwrap_or_else(|e| panic!("{e}"));
        let input = include_bytes!("regressions/wasm-pulley-slow-call.bin");
        run_one(&mut t, input).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(t.stats.deployed, 1, "the module deploys: {:?}", t.stats);
    }
}
