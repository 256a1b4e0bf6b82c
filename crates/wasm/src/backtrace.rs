//! The call stack of the last failed call on this thread, for developers.
//!
//! Diagnostic only: it is read after a call has been classified and never decides a
//! result, its gas or its kind. wasmtime records the wasm frames of a trap (or of a
//! host function ending the call, such as `abort`) up to [`MAX_BACKTRACE_FRAMES`];
//! [`crate::Vm::call`] keeps them here, per thread, until [`take_backtrace`] reads them
//! or the next call on the thread starts. A call that ends replaces what the calls it
//! made recorded, so after a transaction they are those of its outermost call. Frames carry function indices of the deployed
//! module (instrumentation adds no functions), so a tool names them from the module's
//! own `name` section, which instrumentation does not keep.

use std::cell::RefCell;

/// The most wasm frames a failure's backtrace keeps (the innermost ones).
pub const MAX_BACKTRACE_FRAMES: usize = 64;

/// One wasm frame of a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The function's index in the module's function index space (imports first).
    pub func_index: u32,
    /// The byte offset of the instruction in the compiled (instrumented) module, if known.
    pub offset: Option<usize>,
}

thread_local! {
    static LAST: RefCell<Option<Vec<Frame>>> = const { RefCell::new(None) };
}

/// The wasm frames of the last failed call on this thread, innermost first, if it
/// failed inside wasm code; reading them clears them.
pub fn take_backtrace() -> Option<Vec<Frame>> {
    LAST.with(|last| last.borrow_mut().take())
}

/// Forgets any recorded backtrace (a call starts).
pub(crate) fn clear() {
    LAST.with(|last| *last.borrow_mut() = None);
}

/// Keeps the wasm backtrace `error` carries, if any.
pub(crate) fn record(error: &wasmtime::Error) {
    let Some(trace) = error.downcast_ref::<wasmtime::WasmBacktrace>() else { return };
    let frames = trace
        .frames()
        .iter()
        .map(|f| Frame { func_index: f.func_index(), offset: f.module_offset() })
        .collect();
    LAST.with(|last| *last.borrow_mut() = Some(frames));
}

/// Renumbers the recorded frames of a call that ran the hooked (profiling) compile of
/// its module, whose two hook imports follow the module's `imported` functions, back to
/// the deployed module's numbering. Their offsets are the hooked module's, which no
/// tool has: they are dropped.
pub(crate) fn unhook(imported: u32) {
    LAST.with(|last| {
        for frame in last.borrow_mut().iter_mut().flatten() {
            if frame.func_index >= imported + 2 {
                frame.func_index -= 2;
            }
            frame.offset = None;
        }
    });
}
