//! Integration tests of the WASM VM, one module per topic.

mod abi;
mod backtrace;
mod bombs;
mod calls;
mod coverage;
mod debug;
mod gas;
mod hostile;
mod lived;
mod modes;
mod profile;
mod stack;
mod support;
mod surcharge;
mod validation;
