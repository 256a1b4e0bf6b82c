//! Integration tests of the WASM VM, one module per topic.

mod abi;
mod calls;
mod gas;
mod hostile;
mod stack;
mod support;
mod validation;
