//! Ethereum's GeneralStateTests, run through cove's EVM and cove's state layer.
//!
//! Each case loads its pre-state into a fresh journal over an in-memory store (the
//! same layout every cove node uses, `docs/state.md`), executes the transaction with
//! the same revm setup as [`evm::EvmVm`] (`evm::internals`) but Ethereum's rules for failures (a failed
//! transaction still pays and bumps the nonce), commits the result through the same
//! write-back, then checks the logs hash and the Merkle-Patricia root of the
//! resulting accounts against the fixture. Skips are exactly revm's own (`revme
//! statetest`), listed in [`SKIPPED_FILES`] and `docs/evm.md`.

mod roots;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use revm::context::{BlockEnv, CfgEnv};
use revm::primitives::U256;
use revm::primitives::hardfork::SpecId;
use revm_statetest_types::{SpecName, Test, TestSuite, TestUnit};
use serde::Serialize;
use state::{Journal, MemBackend};
use types::{Address, BlockInfo, CodeId, VmType};
use vm::{Balance, ContractInfo, accounts, keys};

use evm::internals::{Harness, to_cove};

/// Files revm's own runner skips, with its reasons.
pub const SKIPPED_FILES: &[(&str, &str)] = &[
    (
        "RevertInCreateInInit_Paris.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    ("RevertInCreateInInit.json", "storage of a newly created account (impossible on mainnet, EIP-7610)"),
    (
        "dynamicAccountOverwriteEmpty.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    (
        "dynamicAccountOverwriteEmpty_Paris.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    (
        "RevertInCreateInInitCreate2Paris.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    ("create2collisionStorage.json", "storage of a newly created account (impossible on mainnet, EIP-7610)"),
    (
        "RevertInCreateInInitCreate2.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    (
        "create2collisionStorageParis.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    ("InitCollision.json", "storage of a newly created account (impossible on mainnet, EIP-7610)"),
    ("InitCollisionParis.json", "storage of a newly created account (impossible on mainnet, EIP-7610)"),
    (
        "test_init_collision_create_opcode.json",
        "storage of a newly created account (impossible on mainnet, EIP-7610)",
    ),
    ("ValueOverflow.json", "a malformed value (over 256 bits) that the fixture format cannot carry"),
    ("ValueOverflowParis.json", "a malformed value (over 256 bits) that the fixture format cannot carry"),
    ("Call50000_sha256.json", "passes, but revm skips it for its running time"),
    ("static_Call50000_sha256.json", "passes, but revm skips it for its running time"),
    ("loopMul.json", "passes, but revm skips it for its running time"),
    ("CALLBlake2f_MaxRounds.json", "passes, but revm skips it for its running time"),
];

/// Why revm skips `path`, if it does.
pub fn skip_reason(path: &Path) -> Option<&'static str> {
    if path.to_string_lossy().contains("paris/eip7610_create_collision") {
        return Some("storage of a newly created account (impossible on mainnet, EIP-7610)");
    }
    let name = path.file_name()?.to_str()?;
    SKIPPED_FILES.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

/// One failed case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The fixture file.
    pub file: String,
    /// The test's name inside it.
    pub test: String,
    /// The fork (`Cancun`, ...).
    pub fork: String,
    /// The index of the `post` entry for that fork.
    pub index: usize,
    /// What differed.
    pub reason: String,
}

/// Counts over every case run (a case is one `post` entry of one fork of one test).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Cases seen.
    pub total: usize,
    /// Cases whose logs and state root matched (or whose expected exception occurred).
    pub passed: usize,
    /// Cases that did not.
    pub failed: usize,
    /// Cases in files revm skips, and of forks revm does not run (`Constantinople`,
    /// the never-activated variant, and names it does not know).
    pub skipped: usize,
    /// Each failure.
    pub failures: Vec<Failure>,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.total += other.total;
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.failures.extend(other.failures);
    }
}

/// Every `.json` file under `paths` (files are taken as given), sorted.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            fs::metadata(path)?;
            out.push(path.clone());
        }
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs `files` on `threads` threads, calling `progress(done, total)` after each file.
pub fn run_files(files: &[PathBuf], threads: usize, progress: &(dyn Fn(usize, usize) + Sync)) -> Report {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let report = Mutex::new(Report::default());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let r = run_file(file);
                    report.lock().expect("no worker panics holding the lock").add(r);
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, files.len());
                }
            });
        }
    });
    let mut report = report.into_inner().expect("workers are done");
    report
        .failures
        .sort_by(|a, b| (&a.file, &a.test, &a.fork, a.index).cmp(&(&b.file, &b.test, &b.fork, b.index)));
    report
}

/// Runs `files` on `threads` threads as [`run_files`] does, each file's cases in
/// parallel batches ([`run_file_batched`]) of a runtime per thread with
/// `[execution] threads = batch_threads`.
pub fn run_files_batched(files: &[PathBuf], threads: usize, batch_threads: usize) -> Report {
    let next = AtomicUsize::new(0);
    let report = Mutex::new(Report::default());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let config = runtime::Config {
                    execution: runtime::Parallelism { threads: batch_threads },
                    ..runtime::Config::default()
                };
                let rt = runtime::Runtime::in_memory(config).expect("the default configuration is valid");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let r = run_file_batched(file, &rt);
                    report.lock().expect("no worker panics holding the lock").add(r);
                }
            });
        }
    });
    let mut report = report.into_inner().expect("workers are done");
    report
        .failures
        .sort_by(|a, b| (&a.file, &a.test, &a.fork, a.index).cmp(&(&b.file, &b.test, &b.fork, b.index)));
    report
}

/// Every case of one fixture file, each test and fork's run by `cases`.
fn run_file_with(path: &Path, cases: &CasesRunner<'_>) -> Report {
    let file = path.display().to_string();
    let fail = |test: &str, fork: &str, index: usize, reason: String| Failure {
        file: file.clone(),
        test: test.into(),
        fork: fork.into(),
        index,
        reason,
    };
    let suite: Result<TestSuite, String> = fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()));
    let skip = skip_reason(path).is_some();
    // One pool per file: its EVMs are reused from case to case (and fork to fork when
    // the configuration matches), so every case also checks that nothing leaks.
    let pool = Harness::default();
    let suite = match suite {
        Ok(s) => s,
        // revm skips some files because their values do not even parse: one skipped case.
        Err(_) if skip => return Report { total: 1, skipped: 1, ..Report::default() },
        Err(e) => {
            let mut r = Report { total: 1, failed: 1, ..Report::default() };
            r.failures.push(fail("", "", 0, format!("unreadable fixture: {e}")));
            return r;
        }
    };
    let mut report = Report::default();
    for (name, unit) in &suite.0 {
        for (spec_name, tests) in &unit.post {
            report.total += tests.len();
            if skip || matches!(spec_name, SpecName::Constantinople | SpecName::Unknown) {
                report.skipped += tests.len();
                continue;
            }
            let spec = spec_name.to_spec_id();
            let fork = format!("{spec_name:?}");
            let mut cfg = CfgEnv::default();
            cfg.chain_id = unit.env.current_chain_id.unwrap_or(U256::ONE).try_into().unwrap_or(1);
            cfg.set_spec_and_mainnet_gas_params(spec);
            cfg.set_max_blobs_per_tx(
                if spec.is_enabled_in(SpecId::PRAGUE) && !spec.is_enabled_in(SpecId::OSAKA) { 9 } else { 6 },
            );
            let block = unit.block_env(&mut cfg);
            let results = cases(&pool, unit, tests, &cfg, &block)
                .unwrap_or_else(|e| tests.iter().map(|_| Err(e.clone())).collect());
            for (index, result) in results.into_iter().enumerate() {
                match result {
                    Ok(()) => report.passed += 1,
                    Err(reason) => {
                        report.failed += 1;
                        report.failures.push(fail(name, &fork, index, reason));
                    }
                }
            }
        }
    }
    report
}

fn run_case(
    pool: &Harness,
    unit: &TestUnit,
    test: &Test,
    cfg: &CfgEnv,
    block: &BlockEnv,
) -> Result<(), String> {
    let mut journal = Journal::new(Arc::new(MemBackend::new()));
    load_pre_state(&mut journal, unit).map_err(|e| format!("pre-state: {e}"))?;
    check_case(pool, &mut journal, unit, test, cfg, block)
}

/// Runs `test`'s transaction on `journal`, which holds the test's pre-state, and checks
/// its output, logs and state root.
fn check_case(
    pool: &Harness,
    journal: &mut Journal,
    unit: &TestUnit,
    test: &Test,
    cfg: &CfgEnv,
    block: &BlockEnv,
) -> Result<(), String> {
    let tx = match test.tx_env(unit) {
        Ok(tx) => tx,
        // A transaction that cannot even be built (no valid signature) is the expected
        // exception.
        Err(_) if test.expect_exception.is_some() => return Ok(()),
        Err(e) => return Err(format!("cannot build the transaction: {e}")),
    };
    let caller = to_cove(tx.caller);
    let info = BlockInfo { height: block.number.saturating_to(), timestamp: block.timestamp.saturating_to() };
    pool.transact(journal, cfg, block.clone(), tx, |journal, run, commit| {
        let run = match (&test.expect_exception, run) {
            (Some(_), Err(_)) => return Ok(()),
            (Some(expected), Ok(_)) => {
                return Err(format!("expected exception {expected}, but the transaction was valid"));
            }
            (None, Err(e)) => return Err(format!("unexpected exception: {e}")),
            (None, Ok(run)) => run,
        };
        if let (Some(expected), Some(got)) = (unit.out.as_ref(), run.result.output())
            && expected != got
        {
            return Err(format!("output {got} != expected {expected}"));
        }
        let logs = roots::logs_hash(run.result.logs());
        if logs != test.logs {
            return Err(format!("logs hash {logs} != expected {}", test.logs));
        }
        commit.apply(journal, run.state, caller, &info).map_err(|e| format!("commit: {e}"))?;
        let root = roots::state_root(journal).map_err(|e| format!("state root: {e}"))?;
        if root != test.hash {
            return Err(format!("state root {root} != expected {}", test.hash));
        }
        Ok(())
    })
}

/// Every case of one fixture file, the cases of each test and fork as one parallel
/// batch of a block of `rt` (`[execution] threads`): the pre-state is written into the
/// block, and each case runs its transaction on its task's view of it, checks it, and
/// reverts, so the cases run at once on the threads and none sees another's writes.
/// The block is never committed.
pub fn run_file_batched(path: &Path, rt: &runtime::Runtime) -> Report {
    run_file_with(path, &|pool, unit, tests, cfg, block| {
        let mut b = rt.begin_block(1).map_err(|e| e.to_string())?;
        b.with_state(|j| load_pre_state(j, unit)).map_err(|e| format!("pre-state: {e}"))?;
        Ok(b.run_batch(
            tests.len(),
            |b, i| {
                b.with_state(|j| {
                    let before = j.checkpoint();
                    let r = check_case(pool, j, unit, &tests[i], cfg, block);
                    j.revert(before);
                    r
                })
            },
            |_, _| true,
        ))
    })
}

/// Runs every case of one fixture file.
pub fn run_file(path: &Path) -> Report {
    run_file_with(path, &|pool, unit, tests, cfg, block| {
        Ok(tests.iter().map(|test| run_case(pool, unit, test, cfg, block)).collect())
    })
}

/// The cases of one test and fork, run by a runner: each one's result, or the
/// runner's failure for all of them.
type CasesRunner<'a> =
    dyn Fn(&Harness, &TestUnit, &[Test], &CfgEnv, &BlockEnv) -> Result<Vec<Result<(), String>>, String> + 'a;

/// Writes a test's pre-state in cove's layout. Every account gets a nonce entry, so an
/// empty account still exists.
fn load_pre_state(journal: &mut Journal, unit: &TestUnit) -> Result<(), vm::VmError> {
    for (address, account) in &unit.pre {
        let address = to_cove(*address);
        journal.set(&keys::nonce(&address), &account.nonce.to_be_bytes());
        accounts::set_balance(journal, &address, Balance(account.balance.to_be_bytes()))?;
        if !account.code.is_empty() {
            let hash = revm::primitives::keccak256(&account.code);
            journal.set(&keys::evm_code(&hash.0), &account.code);
            let info = ContractInfo {
                vm: VmType::Evm,
                code_id: CodeId(hash.0),
                creator: Address::default(),
                admin: None,
                created_height: 0,
                flags: vm::AppFlags::DEFAULT,
            };
            journal.set(&keys::contract(&address), &info.encode());
        }
        for (slot, value) in &account.storage {
            if !value.is_zero() {
                journal.set(&keys::slot(&address, &slot.to_be_bytes::<32>()), &value.to_be_bytes::<32>());
            }
        }
    }
    Ok(())
}
