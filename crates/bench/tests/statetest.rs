//! Ethereum's GeneralStateTests (Cancun set) through cove's EVM and state layer.
//!
//! The fixtures live outside the repository: `$COVE_ETH_FIXTURES`, or
//! `../shared/fixtures/ethereum/GeneralStateTests` beside the checkout. A missing
//! fixture directory fails the test: it is never skipped silently.

use std::path::PathBuf;

use cove_bench::statetest::{self, Report};

fn fixtures() -> PathBuf {
    let dir = std::env::var_os("COVE_ETH_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/ethereum/GeneralStateTests")
    });
    assert!(
        dir.is_dir(),
        "Ethereum state-test fixtures not found at {} (set COVE_ETH_FIXTURES to the GeneralStateTests directory)",
        dir.display()
    );
    dir
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn every_general_state_test_passes() {
    let files = statetest::collect_files(&[fixtures()]).expect("fixtures are readable");
    assert!(files.len() >= 2_000, "expected the full set (2,294 files), found {}", files.len());
    let report = statetest::run_files(&files, threads(), &|_, _| {});
    let run = report.total - report.skipped;
    let rate = report.passed as f64 / run as f64;
    for f in report.failures.iter().take(20) {
        eprintln!("FAIL {} {} {} #{}: {}", f.file, f.test, f.fork, f.index, f.reason);
    }
    eprintln!(
        "total {} passed {} failed {} skipped {}",
        report.total, report.passed, report.failed, report.skipped
    );
    assert!(rate >= 0.995, "pass rate {:.3}% is below 99.5%", rate * 100.0);
    // All pass today (docs/evm.md): any failure is a regression.
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    // Skips are only revm's own: a few hundred cases in its listed files.
    assert!(report.skipped < 400, "{} skipped", report.skipped);
}

/// The same set with every test's cases run as one parallel batch on a block
/// (`[execution] threads = 4`): each case reads the pre-state through its task's view
/// of the block, on whichever thread, and every case passes as it does alone.
#[test]
fn every_general_state_test_passes_inside_parallel_batches() {
    let files = statetest::collect_files(&[fixtures()]).expect("fixtures are readable");
    assert!(files.len() >= 2_000, "expected the full set (2,294 files), found {}", files.len());
    let report = statetest::run_files_batched(&files, threads(), 4);
    for f in report.failures.iter().take(20) {
        eprintln!("FAIL {} {} {} #{}: {}", f.file, f.test, f.fork, f.index, f.reason);
    }
    eprintln!(
        "total {} passed {} failed {} skipped {}",
        report.total, report.passed, report.failed, report.skipped
    );
    assert_eq!(report.failed, 0, "{:#?}", report.failures);
    assert!(report.passed > 10_000, "{} passed", report.passed);
}

/// The runner must notice a wrong state root, a wrong logs hash and a wrong exception
/// expectation: the same fixture with each expectation altered fails every case.
#[test]
fn altered_expectations_fail() {
    let source = fixtures().join("stExample/add11.json");
    let text = std::fs::read_to_string(&source).expect("stExample/add11.json");
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let alter = |name: &str, f: &dyn Fn(&mut serde_json::Value)| -> Report {
        let mut v = original.clone();
        for unit in v.as_object_mut().unwrap().values_mut() {
            for posts in unit["post"].as_object_mut().unwrap().values_mut() {
                for post in posts.as_array_mut().unwrap() {
                    f(post);
                }
            }
        }
        let path = dir.path().join(name);
        std::fs::write(&path, v.to_string()).unwrap();
        statetest::run_file(&path)
    };
    let flip = |s: &str| {
        let last = if s.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &s[..s.len() - 1])
    };
    let unchanged = alter("same.json", &|_| {});
    assert!(unchanged.passed > 0 && unchanged.failed == 0, "{unchanged:?}");
    for (name, field) in [("root.json", "hash"), ("logs.json", "logs")] {
        let r = alter(name, &|post| post[field] = flip(post[field].as_str().unwrap()).into());
        assert_eq!((r.passed, r.failed), (0, unchanged.passed), "{field}: {r:?}");
        assert!(r.failures[0].reason.contains(if field == "hash" { "state root" } else { "logs hash" }));
    }
    let r = alter("exception.json", &|post| post["expectException"] = "TR_IntrinsicGas".into());
    assert_eq!((r.passed, r.failed), (0, unchanged.passed), "{r:?}");
}

#[test]
fn skips_are_revms_list() {
    assert!(statetest::skip_reason(std::path::Path::new("x/stTransactionTest/ValueOverflow.json")).is_some());
    assert!(statetest::skip_reason(std::path::Path::new("x/stExample/add11.json")).is_none());
}
