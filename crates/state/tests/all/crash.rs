//! Crash safety (invariant 2 of `docs/state.md`): a child process commits blocks and
//! reports each one after `commit` returns; the parent kills it with SIGKILL at random
//! moments and reopens the store each time. The store must open, hold every block the
//! child reported (and at most one more, if the kill came after the commit but before
//! the report), and its root and contents must be exactly those of the blocks it holds.
//!
//! The child is this same test binary, run again with `COVE_CRASH_CHILD` naming the
//! data directory: `kill_and_reopen` then commits blocks until it is killed.
//! `COVE_KILL_ROUNDS` sets the number of kills (default 50; the long mode is 500).
//! Before each reopen, a read-only open must write nothing and, if it opens (redb
//! refuses one after an unclean shutdown), hold every reported block.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cove_state::merkle::{self, Hash};
use cove_state::{Backend, ChangeSet, History, RedbBackend, StoreConfig};
use types::BlockInfo;

const CHILD: &str = "COVE_CRASH_CHILD";
const ROUNDS: &str = "COVE_KILL_ROUNDS";
const KEYS: u64 = 300;

/// Small enough that pruning and checkpoints happen within a run; kills land both
/// between write-backs (blocks only in the block log) and during them.
fn config() -> StoreConfig {
    StoreConfig {
        tree_depth: 6,
        checkpoint_interval: 25,
        keep_recent: 10,
        write_back_blocks: 4,
        ..StoreConfig::default()
    }
}

fn mix(mut x: u64) -> u64 {
    // splitmix64
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Block `height`'s changes: a function of the height alone, so parent and child agree.
fn block(height: u64) -> ChangeSet {
    let n = 1 + mix(height) % 40;
    (0..n)
        .map(|i| {
            let r = mix(height << 8 | i);
            let key = format!("key/{}", r % KEYS).into_bytes();
            let value = (r >> 60 != 0).then(|| vec![(r >> 8) as u8; (r >> 16) as usize % 300]);
            (key, value)
        })
        .collect()
}

fn apply_to(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, changes: &ChangeSet) {
    for (k, v) in changes.iter() {
        match v {
            Some(v) => model.insert(k.to_vec(), v.to_vec()),
            None => model.remove(k),
        };
    }
}

/// The child: commit blocks after the head until killed, reporting each.
fn child(dir: &Path) -> ! {
    let store = RedbBackend::open_with(dir, config()).expect("child opens the store");
    let mut height = store.head().expect("head").map_or(0, |h| h.height);
    let mut out = std::io::stdout().lock();
    loop {
        height += 1;
        let info = BlockInfo { height, timestamp: height };
        let root = store.commit(&info, block(height)).map_err(|(e, _)| e).expect("commit");
        let root = root.expect("redb commits to a root");
        writeln!(out, "committed {height} {}", hex(&root)).expect("report");
        out.flush().expect("report");
    }
}

fn hex(h: &Hash) -> String {
    hex::encode(h)
}

#[test]
fn kill_and_reopen() {
    if let Some(dir) = std::env::var_os(CHILD) {
        child(Path::new(&dir));
    }
    let rounds: u32 = std::env::var(ROUNDS).ok().and_then(|r| r.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut model = BTreeMap::new();
    let mut model_height = 0u64;
    let mut reported: BTreeMap<u64, String> = BTreeMap::new();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut kills_mid_commit_window = 0u32;
    let mut replays = 0u32;
    let mut read_only_opens = 0u32;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash::kill_and_reopen", "--nocapture", "--test-threads=1"])
            .env(CHILD, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest prints "test NAME ... " with no newline before the first
                // report: find the report in the line rather than at its start.
                if let Some(at) = line.find("committed ") {
                    let (h, root) = line[at + 10..].split_once(' ').expect("height and root");
                    seen.push((h.parse::<u64>().unwrap(), root.to_owned()));
                }
            }
            seen
        });
        rng = mix(rng);
        // From before the store is open to well into the run of commits.
        std::thread::sleep(Duration::from_micros(rng % 60_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let seen = reader.join().unwrap();
        let last_reported = seen.last().map(|(h, _)| *h);
        reported.extend(seen);

        // Blocks left only in the block log (killed between write-backs) are replayed
        // by the open below.
        let log = dir.path().join("state.wal");
        if std::fs::metadata(&log).is_ok_and(|m| m.len() > 0) {
            replays += 1;
        }
        // What is known durable: every reported block, and the head seen after the last
        // kill (a block committed but not reported before that kill).
        let floor = reported.keys().next_back().copied().unwrap_or(0).max(model_height);
        // A read-only open first (as a read-only command would do next): it may refuse
        // (redb needs a repair, which writes, after an unclean shutdown), but it never
        // writes, and if it opens it holds every reported block.
        let files =
            || ["state.redb", "state.wal"].map(|f| std::fs::read(dir.path().join(f)).unwrap_or_default());
        let before = files();
        match RedbBackend::open_read_only(dir.path(), config()) {
            Ok(ro) => {
                let head = ro.head().unwrap().map_or(0, |h| h.height);
                assert!(
                    head >= floor,
                    "round {round}: a read-only open lost reported block {floor} (head {head})"
                );
                read_only_opens += 1;
            }
            Err(e) => {
                assert!(!e.is_corrupt(), "round {round}: a read-only open found damage after a kill: {e}")
            }
        }
        assert!(files() == before, "round {round}: a read-only open wrote to the store");
        let store = RedbBackend::open_with(dir.path(), config())
            .unwrap_or_else(|e| panic!("round {round}: the store must open after a kill: {e}"));
        let head = store.head().unwrap().map_or(0, |h| h.height);
        assert!(head >= floor, "round {round}: reported block {floor} lost (head {head})");
        assert!(
            head <= floor + 1,
            "round {round}: head {head} is more than one block past the last known {floor} \
             (this run reported {last_reported:?}, the last reopen found {model_height})"
        );
        if head == floor + 1 && last_reported.is_some() {
            kills_mid_commit_window += 1;
        }
        while model_height < head {
            model_height += 1;
            apply_to(&mut model, &block(model_height));
        }
        let depth = config().tree_depth;
        let expected =
            merkle::root_of(depth, model.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap();
        let root = store.head().unwrap().map_or(merkle::ZERO, |h| h.root.unwrap());
        assert_eq!(root, expected, "round {round}: the root at {head} is not that of blocks 1..={head}");
        if let Some(r) = reported.get(&head) {
            assert_eq!(*r, hex(&root), "round {round}: the root differs from the one reported");
        }
        let stored: BTreeMap<Vec<u8>, Vec<u8>> = store.scan_prefix(b"key/").unwrap().into_iter().collect();
        assert_eq!(stored, model, "round {round}: contents at {head}");
        if head > 0 {
            let key = format!("key/{}", mix(u64::from(round)) % KEYS).into_bytes();
            store.proof(&key, head).unwrap().verify(&root).unwrap();
        }
    }
    // Rounds that found the child's blocks: the kills landed among commits, not only
    // before the store opened.
    assert!(!reported.is_empty(), "no child ever committed a block");
    // With a write-back every 4 blocks, most kills among commits leave blocks in the
    // log; none doing so in 20 or more rounds would mean the log is never exercised.
    assert!(rounds < 20 || replays > 0, "no kill left blocks in the block log to replay");
    eprintln!(
        "{rounds} kills: head {model_height}, {} reported blocks, {kills_mid_commit_window} kills between a commit and its report, {replays} reopens replayed the block log, {read_only_opens} read-only opens succeeded",
        reported.len()
    );
}
