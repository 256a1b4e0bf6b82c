//! The lifecycle scenario gives identical receipts on the in-memory and redb backends.

use crate::lifecycle::scenario;
use crate::support::*;

#[test]
fn lifecycle_is_identical_on_mem_and_redb() {
    let dir = tempfile::tempdir().unwrap();
    let mem = mem_runtime();
    let redb = redb_runtime(dir.path());
    let on_mem = scenario(&mem);
    let on_redb = scenario(&redb);
    assert_eq!(on_mem.len(), 7);
    assert_eq!(on_mem, on_redb);

    let address = on_mem[0].address.unwrap();
    assert_eq!(mem.contract(&address).unwrap(), redb.contract(&address).unwrap());
    assert_eq!(mem.contract_state(&address).unwrap(), redb.contract_state(&address).unwrap());
    assert_eq!(mem.codes().unwrap(), redb.codes().unwrap());
    assert_eq!(mem.last_block().unwrap(), redb.last_block().unwrap());
}
