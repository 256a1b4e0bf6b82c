//! CosmWasm range scans over a large committed storage: a scan reads from the backend
//! no more committed pairs than its gas pays for (plus one), ends out of gas when the
//! range holds more, and costs the same on every backend, whether the blocks were
//! written back into the tables or are still only in the block log.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bench::gas_cosmwasm::{OP_SCAN, OP_WRITE, STORE_WAT, execute_store, instantiate_store, store_msg};
use cove_runtime::{Config, Runtime};
use state::{Backend, BlockRecord, ChangeSet, Hash, History, MemBackend, Order, RedbBackend, StorageError};
use types::{Address, BlockInfo, ErrorKind};

use crate::support::*;

/// A backend that records what it is asked for, over another.
struct Counting {
    inner: Arc<dyn Backend>,
    /// Whole-prefix scans asked for.
    prefix_scans: AtomicU64,
    /// The `limit` of every range read, and the number of pairs it returned.
    ranges: Mutex<Vec<(usize, usize)>>,
    /// Pairs returned by range reads, in all.
    returned: AtomicUsize,
}

impl Counting {
    fn new(inner: Arc<dyn Backend>) -> Arc<Counting> {
        Arc::new(Counting {
            inner,
            prefix_scans: AtomicU64::new(0),
            ranges: Mutex::new(Vec::new()),
            returned: AtomicUsize::new(0),
        })
    }

    /// Forgets what was asked so far.
    fn reset(&self) {
        self.prefix_scans.store(0, Ordering::SeqCst);
        self.ranges.lock().unwrap().clear();
        self.returned.store(0, Ordering::SeqCst);
    }
}

impl Backend for Counting {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(key)
    }

    fn get_with(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StorageError> {
        self.inner.get_with(key, f)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.prefix_scans.fetch_add(1, Ordering::SeqCst);
        self.inner.scan_prefix(prefix)
    }

    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let out = self.inner.scan_range(prefix, start, end, order, limit)?;
        self.ranges.lock().unwrap().push((limit, out.len()));
        self.returned.fetch_add(out.len(), Ordering::SeqCst);
        Ok(out)
    }

    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)> {
        self.inner.commit(block, changes)
    }

    fn head(&self) -> Result<Option<BlockRecord>, StorageError> {
        self.inner.head()
    }

    fn history(&self) -> Option<&dyn History> {
        self.inner.history()
    }

    fn generation(&self) -> Option<u64> {
        self.inner.generation()
    }
}

/// Blocks of committed entries written by the store contract.
const BLOCKS: u32 = 4;
/// Entries written per block.
const PER_BLOCK: u32 = 50_000;

/// A store contract holding `BLOCKS * PER_BLOCK` committed entries (keys `tag ++ i`,
/// tags `0..BLOCKS`), in `BLOCKS` blocks.
fn filled(rt: &Runtime) -> Address {
    let cap = rt.config().max_tx_gas;
    let mut block = rt.begin_block(T0).unwrap();
    let c = instantiate_store(&mut block, ALICE).unwrap();
    block.commit().unwrap();
    for tag in 0..BLOCKS {
        let mut block = rt.begin_block(T0 + 1 + u64::from(tag)).unwrap();
        let r = execute_store(&mut block, ALICE, c, &store_msg(OP_WRITE, PER_BLOCK, tag), Some(cap)).unwrap();
        assert!(r.is_ok(), "{r:?}");
        block.commit().unwrap();
    }
    c
}

/// [`STORE_WAT`] with one more operation, 4: one scan of keys `tag ++ a` up to (not
/// including) `tag ++ b` (each half u32 LE), ascending if `order` is 1, descending if 2,
/// walked to its end with `db_next_key`. Message: `op, n, tag, a, b, order` (u32 LE).
fn ranged_store() -> Vec<u8> {
    let op4 = r#"(if (i32.eq (local.get $op) (i32.const 4))
          (then
            (i32.store (i32.const 4924) (i32.const 5200))
            (i32.store (i32.const 4928) (i32.const 8))
            (i32.store (i32.const 4932) (i32.const 8))
            (i32.store (i32.const 4936) (i32.const 5300))
            (i32.store (i32.const 4940) (i32.const 8))
            (i32.store (i32.const 4944) (i32.const 8))
            (i32.store (i32.const 5200) (i32.load offset=8 (local.get $msg)))
            (i32.store (i32.const 5204) (i32.load offset=12 (local.get $msg)))
            (i32.store (i32.const 5300) (i32.load offset=8 (local.get $msg)))
            (i32.store (i32.const 5304) (i32.load offset=16 (local.get $msg)))
            (local.set $id
              (call $scan (i32.const 4924) (i32.const 4936) (i32.load offset=20 (local.get $msg))))
            (block $end4
              (loop $k4
                (br_if $end4 (i32.eqz (call $next (local.get $id))))
                (br $k4)))))
        (if (i32.eq (local.get $op) (i32.const 3))"#;
    let wat = STORE_WAT.replacen("(if (i32.eq (local.get $op) (i32.const 3))", op4, 1);
    wat::parse_str(wat).expect("the ranged store parses")
}

/// A scan with a small gas limit over 200,000 committed entries ends out of gas,
/// having asked the backend for no more pairs than the gas pays for, plus one; and
/// never for the whole storage. On both backends, the blocks written back or not.
#[test]
fn a_scan_of_a_large_storage_reads_only_what_its_gas_pays_for() {
    let dir = tempfile::tempdir().unwrap();
    let redb = Arc::new(RedbBackend::open(dir.path()).unwrap());
    let backends: [(&str, Arc<dyn Backend>); 2] =
        [("mem", Arc::new(MemBackend::new())), ("redb", redb.clone())];
    for (name, inner) in backends {
        let counting = Counting::new(inner);
        let rt = Runtime::with_backend(counting.clone(), crate::support::config_for_heavy_work()).unwrap();
        let c = filled(&rt);
        let costs = rt.config().cosmwasm.costs;
        let limit = 200_000;
        for pass in ["as committed", "written back"] {
            if pass == "written back" {
                if name == "mem" {
                    continue;
                }
                redb.write_back().unwrap();
            }
            counting.reset();
            let mut block = rt.begin_block(T0 + 100).unwrap();
            let r = execute_store(&mut block, ALICE, c, &store_msg(OP_SCAN, 1, 0), Some(limit)).unwrap();
            assert_eq!(
                (r.result.unwrap_err().kind, r.gas_used),
                (ErrorKind::OutOfGas, limit),
                "{name} {pass}"
            );
            drop(block);
            // At most the gas limit over the price of one entry, plus one.
            let bound = (limit / costs.db_scan_per_entry + 1) as usize;
            let ranges = counting.ranges.lock().unwrap().clone();
            assert_eq!(ranges.len(), 1, "{name} {pass}: {ranges:?}");
            let (asked, got) = ranges[0];
            assert!(asked <= bound && got <= bound, "{name} {pass}: asked {asked}, got {got}, bound {bound}");
            assert_eq!(got, asked, "{name} {pass}: the range holds more than the bound");
            assert_eq!(counting.prefix_scans.load(Ordering::SeqCst), 0, "{name} {pass}");
        }
    }
}

/// Paginated scans (start and end, both orders) cost the same on both backends, with
/// the blocks written back or not, and their cost follows the range, not the storage.
#[test]
fn paginated_scans_cost_the_same_on_every_backend() {
    let queries: Vec<(u32, u32, u32, u32)> = vec![
        // (tag, a, b, order)
        (0, 0, 10, 1),
        (0, 0, 10, 2),
        (1, 100, 110, 1),
        (1, 100, 110, 2),
        // Start above end (as bytes: a0 00 00 00 > 10 00 00 00).
        (2, 0xa0, 0x10, 1),
        (2, 0xa0, 0x10, 2),
        (3, 7, 7, 1),
    ];
    let run = |rt: &Runtime, c: Address| -> Vec<u64> {
        let mut block = rt.begin_block(T0 + 100).unwrap();
        queries
            .iter()
            .map(|&(tag, a, b, order)| {
                let msg: Vec<u8> =
                    [4, 1, tag, a, b, order].iter().flat_map(|v: &u32| v.to_le_bytes()).collect();
                let r = execute_store(&mut block, ALICE, c, &msg, None).unwrap();
                assert!(r.is_ok(), "{tag} [{a}, {b}) {order}: {r:?}");
                r.gas_used
            })
            .collect()
    };
    let fill = |rt: &Runtime| -> Address {
        let code = ranged_store();
        let mut block = rt.begin_block(T0).unwrap();
        let request = cosmwasm::Request {
            sender: ALICE,
            action: cosmwasm::Action::Instantiate { code: &code, label: "ranged", admin: None },
            msg: b"{}",
            funds: &[],
            gas_limit: None,
        };
        let c = block.cosmwasm(request).unwrap().0.address.expect("instantiated");
        block.commit().unwrap();
        for tag in 0..BLOCKS {
            let mut block = rt.begin_block(T0 + 1 + u64::from(tag)).unwrap();
            let r = execute_store(&mut block, ALICE, c, &store_msg(OP_WRITE, 20_000, tag), None).unwrap();
            assert!(r.is_ok(), "{r:?}");
            block.commit().unwrap();
        }
        c
    };
    let mem = Runtime::in_memory(Config::default()).unwrap();
    let c = fill(&mem);
    let want = run(&mem, c);
    let dir = tempfile::tempdir().unwrap();
    let redb = Arc::new(RedbBackend::open(dir.path()).unwrap());
    let rt = Runtime::with_backend(redb.clone(), Config::default()).unwrap();
    let c = fill(&rt);
    assert_eq!(run(&rt, c), want, "redb, blocks only in the log");
    redb.write_back().unwrap();
    assert_eq!(run(&rt, c), want, "redb, written back");
    // Either order walks the same entries; an empty range (start at or above end)
    // walks none.
    assert_eq!(want[0], want[1]);
    assert_eq!(want[2], want[3]);
    assert!(want[4] < want[0] && want[4] == want[5] && want[4] == want[6], "{want:?}");
}
