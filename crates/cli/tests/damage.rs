//! A damaged `state.redb` through the CLI: with one byte flipped, `query`, `state root`,
//! `state ADDR`, `balance` and `call` each either fail cleanly (exit 2, JSON kind
//! `corrupt` or `io`) or answer exactly what they answer on the undamaged store; never
//! exit 101 or die by a signal.
//!
//! The default run flips a deterministic sample of 160 offsets (six processes each);
//! `COVE_DAMAGE_OFFSETS=N` flips N, `COVE_DAMAGE_EVERY_OFFSET=1` every offset of the
//! file (days in debug: run it with `--release`).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Offsets flipped in the default run.
const SAMPLE: u64 = 160;

const ALICE: &str = "00000000000000000000000000000000000000a1";

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

/// `cove --json --data-dir DIR ARGS...`: exit code (`None`: killed by a signal), stdout.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cove"))
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("cove runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A data dir with the counter deployed and called, and an account funded.
fn build(dir: &Path) -> String {
    let wat = examples().join("counter.wat");
    let (code, out) = run(dir, &["deploy", wat.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let addr = v["address"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        let (code, out) = run(dir, &["call", &addr, "increment"]);
        assert_eq!(code, Some(0), "{out}");
    }
    let (code, out) = run(dir, &["fund", ALICE, "1000"]);
    assert_eq!(code, Some(0), "{out}");
    addr
}

/// Where [`commands`] has `state root` before the `call`, the `call`, and `state root`
/// after it.
const ROOT_BEFORE: usize = 1;
const CALL: usize = 4;
const ROOT_AFTER: usize = 5;

/// The commands asked of each copy, read-only ones first (`call` writes a block).
fn commands(addr: &str) -> Vec<Vec<String>> {
    [
        vec!["query", addr, "get"],
        vec!["state", "root"],
        vec!["state", addr],
        vec!["balance", ALICE],
        vec!["call", addr, "increment"],
        vec!["state", "root"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_owned).collect())
    .collect()
}

fn answers(dir: &Path, commands: &[Vec<String>]) -> Vec<(Option<i32>, String)> {
    commands.iter().map(|c| run(dir, &c.iter().map(String::as_str).collect::<Vec<_>>())).collect()
}

/// One offset in each of `COVE_DAMAGE_OFFSETS` (default [`SAMPLE`]) equal stretches of
/// the file, at a pseudo-random place in it; every offset with
/// `COVE_DAMAGE_EVERY_OFFSET=1`.
fn offsets(len: u64) -> Vec<u64> {
    if std::env::var("COVE_DAMAGE_EVERY_OFFSET").as_deref() == Ok("1") {
        return (0..len).collect();
    }
    let sample = std::env::var("COVE_DAMAGE_OFFSETS").ok().and_then(|n| n.parse().ok()).unwrap_or(SAMPLE);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..sample)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (from, to) = (len * i / sample, len * (i + 1) / sample);
            from + state % (to - from).max(1)
        })
        .collect()
}

/// A command's JSON without its `timestamp` fields (a new block's time is the clock's).
fn without_time(stdout: &str) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("timestamp");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_str(stdout).unwrap_or(Value::String(stdout.to_owned()));
    strip(&mut v);
    v
}

#[test]
fn a_flipped_byte_of_the_store_is_refused_or_changes_nothing() {
    let built = tempfile::tempdir().unwrap();
    let addr = build(built.path());
    let commands = commands(&addr);
    let original = std::fs::read(built.path().join("state.redb")).unwrap();
    let copy_with = |bytes: &[u8]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.redb"), bytes).unwrap();
        dir
    };
    let expected = answers(copy_with(&original).path(), &commands);
    assert!(expected.iter().all(|(code, _)| *code == Some(0)), "{expected:?}");
    let offsets = offsets(original.len() as u64);
    let (mut refused, mut same) = (0, 0);
    // Two workers: each command is a process of its own.
    // (offset, some command refused, some command said kind `corrupt`)
    let results: Vec<(u64, bool, bool)> = std::thread::scope(|s| {
        let workers: Vec<_> = offsets
            .chunks(offsets.len().div_ceil(2))
            .map(|chunk| {
                let (original, commands, expected) = (&original, &commands, &expected);
                s.spawn(move || {
                    let mut out = Vec::new();
                    for &offset in chunk {
                        let mut bytes = original.clone();
                        bytes[offset as usize] ^= 0xff;
                        let dir = copy_with(&bytes);
                        let got = answers(dir.path(), commands);
                        let (mut failed, mut corrupt) = (false, false);
                        for (i, ((code, stdout), (_, want))) in got.iter().zip(expected).enumerate() {
                            let what = format!("offset {offset}: {stdout}");
                            // A refused `call` commits nothing: the `state root` after it
                            // must then answer what the one before it did.
                            let want = match got.get(CALL) {
                                Some((code, _)) if i == ROOT_AFTER && *code != Some(0) => {
                                    &expected[ROOT_BEFORE].1
                                }
                                _ => want,
                            };
                            match code {
                                Some(0) => assert_eq!(without_time(stdout), without_time(want), "{what}"),
                                Some(2) => {
                                    let v: Value = serde_json::from_str(stdout).expect(&what);
                                    let kind = v["error"]["kind"].as_str().unwrap_or_default();
                                    assert!(kind == "corrupt" || kind == "io", "{what}");
                                    failed = true;
                                    corrupt |= kind == "corrupt";
                                }
                                _ => panic!("exit {code:?}, {what}"),
                            }
                        }
                        out.push((offset, failed, corrupt));
                    }
                    out
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    for (_, failed, _) in &results {
        if *failed {
            refused += 1;
        } else {
            same += 1;
        }
    }
    eprintln!("{} of {} bytes: {refused} refused, {same} answered the same", results.len(), original.len());
    assert!(refused > 0, "no sampled offset held live data");
    // The damage reaches the user as kind `corrupt`, not as a generic I/O error.
    assert!(results.iter().any(|r| r.2), "no command said kind corrupt");
}
