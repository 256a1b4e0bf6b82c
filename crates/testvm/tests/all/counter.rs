//! The Rust counter (`examples/rust/counter`), against `examples/counter.wat`.

use cove_testvm::{ErrorKind, TestVM};

use crate::{contract, root};

#[test]
fn counts_like_the_wat_counter() {
    let mut vm = TestVM::new();
    let rust = vm.deploy(&contract("counter"), "", ()).unwrap();
    let wat = wat::parse_file(root().join("examples/counter.wat")).unwrap();
    let wat = vm.deploy(&wat, "", ()).unwrap();
    for expected in 1..=3u32 {
        assert_eq!(vm.call::<u32>(&rust, "increment", ()).unwrap(), expected);
        assert_eq!(vm.call::<u32>(&wat, "increment", ()).unwrap(), expected);
    }
    assert_eq!(vm.call_view::<u32>(&rust, "get", ()).unwrap(), 3);
    // The same storage, byte for byte.
    assert_eq!(vm.storage(&rust).unwrap(), vm.storage(&wat).unwrap());
}

#[test]
fn a_view_cannot_write() {
    let mut vm = TestVM::new();
    let counter = vm.deploy(&contract("counter"), "", ()).unwrap();
    let err = vm.call_view::<u32>(&counter, "increment", ()).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::ReadOnly), "{err}");
    assert_eq!(vm.call_view::<u32>(&counter, "get", ()).unwrap(), 0);
}
