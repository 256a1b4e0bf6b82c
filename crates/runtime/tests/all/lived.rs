//! Storage with a life through the runtime: a value written with a life of 10 blocks
//! reads back for 10 blocks and is absent from the 11th, through a transaction, a query,
//! the contract's state at the head and at past heights, and proofs; an extension keeps
//! it; once purged the root is that of a chain that never held it; more expiries than a
//! block purges carry over. Each scenario runs under every compiler, on a fresh data
//! directory each, and must give the same receipts and roots.

use cove_runtime::{Compiler, Config, Receipt, Runtime};
use types::Address;

use crate::support::*;

/// `examples/lived.wat`: key "k" with `set`, `get`, `life`, `extend`, `del`; `fill`
/// writes n entries keyed by their index; `noop` does nothing.
const LIVED_WAT: &str = include_str!("../../../../examples/lived.wat");

const MODES: [Compiler; 3] = [Compiler::Baseline, Compiler::Optimizing, Compiler::Interpreter];

fn config(compiler: Compiler) -> Config {
    let mut c = Config::default();
    c.wasm.compiler = compiler;
    c
}

fn set_input(life: i64, value: &[u8]) -> Vec<u8> {
    [&life.to_le_bytes()[..], value].concat()
}

/// What `get` returns for a living value.
fn got(value: &[u8], life: u64) -> Vec<u8> {
    [value, &life.to_le_bytes()].concat()
}

/// Commits one block (at height = the head + 1) calling `method` with `input`.
fn block_calling(rt: &Runtime, contract: Address, method: &str, input: Vec<u8>) -> Receipt {
    let height = rt.block_record(None).unwrap().height + 1;
    let mut block = rt.begin_block(T0 + height).unwrap();
    let receipt = block.call(ALICE, contract, method, input, None).unwrap();
    block.commit().unwrap();
    receipt
}

fn root(rt: &Runtime, height: u64) -> [u8; 32] {
    rt.block_record(Some(height)).unwrap().root.expect("an authenticated store")
}

/// Everything a scenario observed, to compare across compilers.
#[derive(Debug, PartialEq)]
struct Seen {
    receipts: Vec<Receipt>,
    roots: Vec<[u8; 32]>,
}

/// Block 1 deploys; block 2 writes "k" = "hello" with a life of 10 (alive in blocks
/// 2..=11); blocks 3..=16 each call `get` (or, with `extend_at`, `extend` by 5 at that
/// height). Checks every read along the way; returns what it saw.
fn scenario(compiler: Compiler, extend_at: Option<u64>) -> Seen {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), config(compiler)).unwrap();
    let contract = deploy_committed(&rt, ALICE, &wat::parse_str(LIVED_WAT).unwrap(), None);
    let mut receipts = vec![block_calling(&rt, contract, "set", set_input(10, b"hello"))];
    // The entry's expiry in the state right after block `h`: 12 (alive through 11), or
    // 16 once the extension of 5 blocks ran.
    let expires_after = |h: u64| -> u64 { if extend_at.is_some_and(|e| h >= e) { 16 } else { 12 } };
    for height in 2..=16u64 {
        if height > 2 {
            let (method, input) = match extend_at {
                Some(h) if h == height => ("extend", 5i64.to_le_bytes().to_vec()),
                _ => ("get", Vec::new()),
            };
            let receipt = block_calling(&rt, contract, method, input);
            // Inside block `height`, the value lives until the expiry of the state before.
            let life = expires_after(height - 1).saturating_sub(height);
            let want = match (method, life) {
                ("extend", _) => 5i64.to_le_bytes().to_vec(),
                (_, 0) => Vec::new(),
                _ => got(b"hello", life),
            };
            assert_eq!(ok(&receipt), want, "{compiler:?}: the transaction of block {height}");
            receipts.push(receipt);
        }
        // The state right after block `height`: queries, the contract's state, a read.
        let at = rt.at(None).unwrap();
        let query = at.query(BOB, contract, "get", Vec::new(), None).unwrap();
        let life_query = at.query(BOB, contract, "life", Vec::new(), None).unwrap();
        let lived = at.lived_state(&contract).unwrap();
        let expires = expires_after(height);
        if height < expires {
            let life = expires - height;
            assert_eq!(ok(&query), got(b"hello", life), "{compiler:?}: a query after block {height}");
            assert_eq!(ok(&life_query), (life as i64).to_le_bytes());
            assert_eq!(lived.len(), 1);
            assert_eq!((lived[0].0.as_slice(), lived[0].1.value.as_slice()), (&b"k"[..], &b"hello"[..]));
            assert_eq!(lived[0].1.expires, expires);
        } else {
            assert_eq!(ok(&query), b"", "{compiler:?}: a query after block {height}");
            assert_eq!(ok(&life_query), 0i64.to_le_bytes());
            assert!(lived.is_empty(), "{compiler:?}: state after block {height}: {lived:?}");
        }
        receipts.push(query);
    }
    let key = cove_runtime::lived::key(&contract, b"k");
    // Past heights still hold it while it lived, and not after.
    for height in 2..=16u64 {
        let at = rt.at(Some(height)).unwrap();
        let alive = height < expires_after(height);
        assert_eq!(at.lived(&contract, b"k").unwrap().is_some(), alive, "at height {height}");
        let query = at.query(BOB, contract, "get", Vec::new(), None).unwrap();
        assert_eq!(ok(&query).is_empty(), !alive, "a query at height {height}");
        // Proofs: inclusion of the stored entry while alive, non-inclusion once purged
        // (the block after the last living one purges it: nothing else expires).
        let (record, proof) = rt.proof(&key, Some(height)).unwrap();
        proof.verify(&record.root.unwrap()).expect("the proof verifies against the block's root");
        match proof.value {
            Some(v) => {
                assert!(alive, "height {height} proves a value");
                assert_eq!(v, [&expires_after(height).to_be_bytes()[..], b"hello"].concat());
            }
            None => assert!(!alive, "height {height} proves no value"),
        }
    }
    // Nothing of it is left in the state: not the entry, not its index key.
    let head = rt.at(None).unwrap();
    let index = cove_runtime::lived::index_key(expires_after(16), &contract, b"k");
    assert_eq!((head.get(&key).unwrap(), head.get(&index).unwrap()), (None, None));
    // The contract's ordinary storage never saw it.
    assert!(rt.contract_state(&contract).unwrap().is_empty());
    let roots = (1..=16).map(|h| root(&rt, h)).collect();
    Seen { receipts, roots }
}

/// The same chain without the lived write: block 2 calls `noop` instead of `set`, every
/// other block is the same.
fn roots_without_the_entry(extend_at: Option<u64>) -> Vec<[u8; 32]> {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), Config::default()).unwrap();
    let contract = deploy_committed(&rt, ALICE, &wat::parse_str(LIVED_WAT).unwrap(), None);
    block_calling(&rt, contract, "noop", Vec::new());
    for height in 3..=16u64 {
        match extend_at {
            Some(h) if h == height => block_calling(&rt, contract, "extend", 5i64.to_le_bytes().to_vec()),
            _ => block_calling(&rt, contract, "get", Vec::new()),
        };
    }
    (1..=16).map(|h| root(&rt, h)).collect()
}

#[test]
fn a_value_with_a_life_of_10_blocks_is_absent_from_the_11th_and_leaves_the_root() {
    let seen: Vec<Seen> = MODES.iter().map(|&m| scenario(m, None)).collect();
    for (mode, other) in MODES.iter().zip(&seen).skip(1) {
        assert_eq!(other, &seen[0], "{mode:?} and {:?} disagree", MODES[0]);
    }
    let never = roots_without_the_entry(None);
    // Written at 2, alive through 11: the roots differ while the state held it, and from
    // block 12 (purged at its commit) they are those of a chain that never held it.
    for height in 2..=11 {
        assert_ne!(seen[0].roots[height - 1], never[height - 1], "height {height}");
    }
    for height in 12..=16 {
        assert_eq!(seen[0].roots[height - 1], never[height - 1], "height {height}");
    }
}

#[test]
fn an_extended_value_lives_on_and_then_leaves_the_root_too() {
    // Extended in block 11, its last: it lives 5 blocks from there, through 15.
    let seen: Vec<Seen> = MODES.iter().map(|&m| scenario(m, Some(11))).collect();
    for other in &seen[1..] {
        assert_eq!(other, &seen[0]);
    }
    let never = roots_without_the_entry(Some(11));
    assert_ne!(seen[0].roots[14], never[14], "alive after block 15");
    assert_eq!(seen[0].roots[15], never[15], "purged at block 16");
}

#[test]
fn more_expiries_than_a_block_purges_carry_over_to_the_next_blocks() {
    let max = cove_runtime::lived::MAX_EXPIRIES_PER_BLOCK as u32;
    let n = max + max / 4;
    let run = |fill: bool| {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(dir.path(), config_for_heavy_work()).unwrap();
        let contract = deploy_committed(&rt, ALICE, &wat::parse_str(LIVED_WAT).unwrap(), None);
        let input = [&n.to_le_bytes()[..], &1i64.to_le_bytes()].concat();
        // Block 2 writes n entries with a life of 1: all expire at 3.
        let receipt = block_calling(&rt, contract, if fill { "fill" } else { "noop" }, input);
        ok(&receipt);
        for _ in 3..=5 {
            block_calling(&rt, contract, "noop", Vec::new());
        }
        let at = |h| rt.at(Some(h)).unwrap().lived_state(&contract).unwrap().len();
        let counts: Vec<usize> = (2..=5).map(at).collect();
        let roots: Vec<[u8; 32]> = (1..=5).map(|h| root(&rt, h)).collect();
        let index_left = |h: u64| {
            let first = cove_runtime::lived::index_key(3, &contract, &(n - 1).to_le_bytes());
            rt.at(Some(h)).unwrap().get(&first).unwrap().is_some()
        };
        (counts, roots, if fill { (index_left(3), index_left(4)) } else { (false, false) })
    };
    let (counts, roots, (left_at_3, left_at_4)) = run(true);
    let (_, never, _) = run(false);
    // Alive in block 2 only; read as absent from 3 on, although block 3 purged only `max`.
    assert_eq!(counts, [n as usize, 0, 0, 0]);
    assert!(left_at_3, "the last entries wait past block 3");
    assert!(!left_at_4, "and leave with block 4");
    assert_ne!(roots[2], never[2], "block 3's state still holds the carried-over entries");
    assert_eq!(roots[3..], never[3..], "from block 4 the state is that of a chain that never held them");
}

#[test]
fn the_life_price_is_part_of_the_chain_configuration() {
    let mut dear = Config::default();
    dear.wasm.gas.host.storage_life_per_byte = 2;
    let gas = |config: Config, life: i64| {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(dir.path(), config).unwrap();
        let contract = deploy_committed(&rt, ALICE, &wat::parse_str(LIVED_WAT).unwrap(), None);
        block_calling(&rt, contract, "set", set_input(life, b"hello")).gas_used
    };
    // 6 bytes (key and value) for 1,024 x 1,000 blocks: 6,000 gas at 1, 12,000 at 2.
    let cheap = gas(Config::default(), 1_024_000) - gas(Config::default(), 1_024);
    let costly = gas(dear.clone(), 1_024_000) - gas(dear, 1_024);
    assert_eq!((cheap, costly), (6 * 999, 12 * 999));
    // The setting is in the execution configuration's canonical bytes (so versioned).
    let json = String::from_utf8(
        cove_runtime::ExecutionConfig::of(&Config::default()).canonical_bytes()[1..].to_vec(),
    )
    .unwrap();
    assert!(json.contains("\"storage_life_per_byte\":1"), "{json}");
}
