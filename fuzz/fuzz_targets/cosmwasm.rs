//! cargo-fuzz target `cosmwasm`: cove-fuzz's `cosmwasm` target on libFuzzer's bytes
//! (docs/fuzzing.md). A finding panics, so libFuzzer saves the input.

#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

thread_local! {
    static TARGET: RefCell<Box<dyn cove_fuzz::Target>> =
        RefCell::new(cove_fuzz::target("cosmwasm").unwrap_or_else(|e| panic!("setting up cosmwasm: {e}")));
}

fuzz_target!(|data: &[u8]| {
    TARGET.with_borrow_mut(|target| {
        if let Err(finding) = target.run(data) {
            panic!("{finding}");
        }
    })
});
