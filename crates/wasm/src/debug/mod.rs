//! Step debugging of one call: stops at function entries and exits and around host
//! calls, where a [`Debugger`] inspects the call without changing it.
//!
//! A debugged call runs the profiling compile of its module
//! ([`crate::Engine::compile_profiling_for`]): the ordinary instrumentation plus hooks at
//! every function entry and exit and around every direct host-function call
//! ([`crate::profile`]). Each hook is an *event*, and the events are the only places a
//! debugged call can stop, so stepping is at the granularity of calls, not of
//! instructions: "step" runs to the next event, "next" to the next event at the same or
//! a shallower depth (over a call), "finish" to the exit of the current frame.
//!
//! At an event the [`Debugger`] gets a [`Stop`]: the event, the stack of open frames
//! (contract functions, and the host function about to run or just returned), the gas
//! left, read-only views of the instance's linear memory and of the contract's storage
//! as the contract's own reads would see it (its pending writes included), and the
//! module's function names ([`Symbols`]). It owns the terminal (or the command file);
//! this crate only runs the call and answers [`Stop`]'s questions.
//!
//! Invariants: a debugger cannot change a call's result, gas, events or effects. The
//! hooks charge no gas, [`Stop`] hands out only shared references, and a debugger that
//! waited for input restarts the wall-clock backstop (its pause is not the contract's
//! time). Contracts a debugged call calls run ordinarily: their work shows as the `call`
//! host function. The debugged call's backtrace ([`crate::take_backtrace`]) is given in
//! the deployed module's numbering, as an ordinary call's is.
//!
//! [`Session`] is the command-line debugger the `cove debug` command runs.

mod session;
mod symbols;

use types::StorageError;
use wasmtime::{AsContextMut, Caller};

use crate::exec::HostState;

pub use session::{
    MAX_BREAKPOINTS, MAX_COMMAND_LEN, MAX_LISTED_FUNCTIONS, MAX_MEMORY_BYTES, MAX_SHOWN_FRAMES,
    MAX_SHOWN_VALUE_BYTES, MAX_STORAGE_ENTRIES, Session,
};
pub use symbols::Symbols;

/// What happened at a [`Stop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A contract function was entered, or a host function is about to run.
    Enter(u32),
    /// A contract function or a host function returned (the frame is still on the
    /// stack).
    Exit(u32),
}

impl Event {
    /// The function (deployed numbering: imports first).
    pub fn func(&self) -> u32 {
        match self {
            Event::Enter(f) | Event::Exit(f) => *f,
        }
    }
}

/// Watches a debugged call: called at every event, in order.
pub trait Debugger: Send {
    /// The call reached an event. Returns whether it waited for input here (the
    /// wall-clock backstop then restarts from now).
    fn stop(&mut self, at: &Stop<'_>) -> bool;
}

/// Storage entries (key, value), in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Read access to the storage of the contract being debugged: what its reads would see
/// now, its pending writes included. Never writes.
pub trait StorageInspect {
    /// The value under `key` (the contract's own key).
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// The first `limit` entries in key order, and whether there are more.
    fn entries(&self, limit: usize) -> Result<(Entries, bool), StorageError>;
}

/// Why [`Stop`] could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The memory range is not inside the instance's linear memory.
    #[error("bytes {offset}..{end} are outside the linear memory ({size} bytes)")]
    OutOfBounds {
        /// Where the range starts.
        offset: u64,
        /// Where it ends (exclusive).
        end: u64,
        /// The memory's size.
        size: u64,
    },
    /// The storage backend failed to answer.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A debugged call at an event: what a [`Debugger`] may look at.
pub struct Stop<'a> {
    event: Event,
    stack: &'a [u32],
    gas_left: i64,
    gas_limit: u64,
    memory: &'a [u8],
    storage: &'a dyn StorageInspect,
    symbols: &'a Symbols,
}

impl<'a> Stop<'a> {
    /// The event.
    pub fn event(&self) -> Event {
        self.event
    }

    /// The open frames, outermost first; the event's function is the last one.
    pub fn stack(&self) -> &[u32] {
        self.stack
    }

    /// How many frames are open (the event's frame included).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Gas left (zero once the call has run out).
    pub fn gas_left(&self) -> u64 {
        self.gas_left.max(0) as u64
    }

    /// Gas used so far.
    pub fn gas_used(&self) -> u64 {
        self.gas_limit.saturating_sub(self.gas_left())
    }

    /// The call's gas limit.
    pub fn gas_limit(&self) -> u64 {
        self.gas_limit
    }

    /// The linear memory's size in bytes.
    pub fn memory_size(&self) -> u64 {
        self.memory.len() as u64
    }

    /// `len` bytes of linear memory at `offset`.
    pub fn memory(&self, offset: u64, len: u64) -> Result<&'a [u8], InspectError> {
        let size = self.memory.len() as u64;
        let end = offset.saturating_add(len);
        if end > size {
            return Err(InspectError::OutOfBounds { offset, end, size });
        }
        Ok(&self.memory[offset as usize..end as usize])
    }

    /// The contract's storage as its own reads would see it now.
    pub fn storage(&self) -> &'a dyn StorageInspect {
        self.storage
    }

    /// The module's function names.
    pub fn symbols(&self) -> &'a Symbols {
        self.symbols
    }
}

/// A debugger attached to a call, with what it needs beside the store data.
pub struct Attach {
    /// The debugger.
    pub debugger: Box<dyn Debugger>,
    /// The names of the deployed module's functions.
    pub symbols: Symbols,
}

/// The debugging part of a call's store data.
pub(crate) struct Attached<S> {
    debugger: Box<dyn Debugger>,
    symbols: Symbols,
    stack: Vec<u32>,
    gas_limit: u64,
    deadline_ticks: u64,
    inspect: fn(&S) -> &dyn StorageInspect,
}

fn inspect<S: StorageInspect>(storage: &S) -> &dyn StorageInspect {
    storage
}

impl<S: StorageInspect + 'static> Attached<S> {
    pub(crate) fn new(attach: Attach, gas_limit: u64, deadline_ticks: u64) -> Attached<S> {
        Attached {
            debugger: attach.debugger,
            symbols: attach.symbols,
            stack: Vec::new(),
            gas_limit,
            deadline_ticks,
            inspect: inspect::<S>,
        }
    }
}

impl<S: 'static> Attached<S> {
    /// How many functions the deployed module imports.
    pub(crate) fn imported(&self) -> u32 {
        self.symbols.imported()
    }

    fn event(&mut self, caller: &mut Caller<'_, HostState<S>>, hook: Option<u32>, gas_left: i64) {
        let event = match hook {
            Some(func) => {
                self.stack.push(func);
                Event::Enter(func)
            }
            // An exit always follows its enter; a stray one is ignored, never a panic.
            None => match self.stack.last() {
                Some(&func) => Event::Exit(func),
                None => return,
            },
        };
        let data = caller.data();
        let memory = match data.memory {
            Some(m) => m.data(&*caller),
            None => &[],
        };
        let stop = Stop {
            event,
            stack: &self.stack,
            gas_left,
            gas_limit: self.gas_limit,
            memory,
            storage: (self.inspect)(&data.storage),
            symbols: &self.symbols,
        };
        let waited = self.debugger.stop(&stop);
        if matches!(event, Event::Exit(_)) {
            self.stack.pop();
        }
        if waited {
            caller.as_context_mut().set_epoch_deadline(self.deadline_ticks);
        }
    }
}

/// The hook `enter(func)` (`Some`) or `exit()` (`None`) of a debugged call.
pub(crate) fn on_hook<S: 'static>(caller: &mut Caller<'_, HostState<S>>, hook: Option<u32>, gas_left: i64) {
    let Some(mut attached) = caller.data_mut().debug.take() else { return };
    attached.event(caller, hook, gas_left);
    caller.data_mut().debug = Some(attached);
}
