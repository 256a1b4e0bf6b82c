//! Integration tests of the WASM VM, one module per topic.

mod abi;
mod gas;
mod hostile;
mod stack;
mod support;
mod validation;
