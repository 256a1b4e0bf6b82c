//! cargo-fuzz target `host_calls`: cove-fuzz's `host-calls` target on libFuzzer's bytes
//! (docs/fuzzing.md). A finding panics, so libFuzzer saves the input.

#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

thread_local! {
    static TARGET: RefCell<Box<dyn cove_fuzz::Target>> =
        RefCell::new(cove_fuzz::target("host-calls").unwrap_or_else(|e| panic!("setting up host-calls: {e}")));
}

fuzz_target!(|data: &[u8]| {
    TARGET.with_borrow_mut(|target| {
        if let Err(finding) = target.run(data) {
            panic!("{finding}");
        }
    })
});
