//! A suspended block resumes exactly as it ran, and only on the state it began on.

use cove_runtime::{Block, Runtime};
use types::Address;

use crate::support::*;

/// Deploys a counter and increments it once, in a block left open.
fn first(rt: &Runtime) -> (Block<'_>, Address) {
    let mut block = rt.begin_block(T0).unwrap();
    let c = block.deploy(ALICE, &counter(), None, None).unwrap().address.unwrap();
    assert_eq!(ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap()), u32le(1));
    (block, c)
}

#[test]
fn a_suspended_block_commits_what_it_ran_and_only_on_its_state() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (redb_runtime(da.path()), redb_runtime(db.path()));
    let (block, c) = first(&a);
    let direct = block.commit().unwrap();
    let (block, _) = first(&b);
    let suspended = block.suspend();
    assert_eq!(suspended.info().height, 1);
    let resumed = b.resume(suspended).unwrap().expect("nothing was committed since");
    let record = resumed.commit().unwrap();
    assert!(record.root.is_some());
    assert_eq!(record.root, direct.root, "the resumed block commits what it ran");
    assert_eq!(ok(&b.query(BOB, c, "get", Vec::new(), None).unwrap()), u32le(1));

    // Another block committed meanwhile: the suspended one is refused, nothing of it lands.
    let mut block = b.begin_block(T0 + 1).unwrap();
    ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap());
    let stale = block.suspend();
    let mut other = b.begin_block(T0 + 1).unwrap();
    ok(&other.call(ALICE, c, "increment", Vec::new(), None).unwrap());
    other.commit().unwrap();
    assert!(b.resume(stale).unwrap().is_none());
    assert_eq!(ok(&b.query(BOB, c, "get", Vec::new(), None).unwrap()), u32le(2));

    // A block of another store is refused even at the same height.
    let mut block = a.begin_block(T0 + 1).unwrap();
    ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap());
    block.commit().unwrap();
    let mut block = a.begin_block(T0 + 2).unwrap();
    ok(&block.call(BOB, c, "increment", Vec::new(), None).unwrap());
    let foreign = block.suspend();
    assert!(b.resume(foreign).unwrap().is_none());
    assert_eq!(ok(&b.query(BOB, c, "get", Vec::new(), None).unwrap()), u32le(2));
}
