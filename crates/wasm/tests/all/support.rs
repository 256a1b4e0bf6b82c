//! A tiny harness: an in-memory `ContractStorage` and helpers to run WAT.

use std::collections::BTreeMap;

use cove_wasm::{CallContext, CallOutcome, Config, Engine, LinkedModule, Vm};
use types::{Address, BlockInfo, ContractStorage, ErrorKind, StorageError};

/// A map-backed storage for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MapStorage(pub BTreeMap<Vec<u8>, Vec<u8>>);

impl ContractStorage for MapStorage {
    fn read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get(key).cloned())
    }
    fn write(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.0.insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn remove(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(self.0.remove(key).is_some())
    }
}

pub const CALLER: Address = Address([0xca; 20]);
pub const CONTRACT: Address = Address([0xc0; 20]);
pub const GAS: u64 = 10_000_000;

pub struct Harness {
    pub vm: Vm<MapStorage>,
    pub module: LinkedModule<MapStorage>,
    pub storage: MapStorage,
    pub read_only: bool,
}

pub fn engine(config: Config) -> Engine {
    Engine::new(config).expect("valid config")
}

impl Harness {
    pub fn new(wat: &str) -> Harness {
        Harness::with_config(wat, Config::default())
    }

    pub fn with_config(wat: &str, config: Config) -> Harness {
        let vm = Vm::new(engine(config));
        let code = wat::parse_str(wat).expect("test WAT parses");
        let compiled = vm.engine().compile(&code).expect("module validates");
        let module = vm.link(&compiled).expect("links");
        Harness { vm, module, storage: MapStorage::default(), read_only: false }
    }

    pub fn call(&mut self, entry: &str, input: &[u8]) -> CallOutcome {
        self.call_with_gas(entry, input, GAS)
    }

    /// Calls like a runtime would: the storage is kept only if the call succeeded.
    pub fn call_with_gas(&mut self, entry: &str, input: &[u8], gas: u64) -> CallOutcome {
        let ctx = CallContext {
            caller: CALLER,
            contract: CONTRACT,
            block: BlockInfo { height: 42, timestamp: 1_700_000_000 },
            read_only: self.read_only,
        };
        let before = self.storage.clone();
        let (storage, outcome) = self.vm.call(&self.module, &ctx, entry, input.to_vec(), gas, before.clone());
        let outcome = outcome.expect("no node fault");
        self.storage = if outcome.result.is_ok() { storage } else { before };
        outcome
    }
}

/// Asserts the call failed with `kind`, returning its message.
pub fn expect_err(outcome: &CallOutcome, kind: ErrorKind) -> String {
    match &outcome.result {
        Err(e) if e.kind == kind => e.message.clone(),
        other => panic!("expected {kind}, got {other:?}"),
    }
}

/// A module with memory, an `allocate` that bumps from 1024, and `body` spliced in.
pub fn module(imports: &str, body: &str) -> String {
    format!(
        r#"(module
  {imports}
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 1024))
  (func (export "allocate") (param $n i32) (result i32)
    (local $p i32)
    global.get $bump
    local.set $p
    global.get $bump
    local.get $n
    i32.add
    global.set $bump
    local.get $p)
  {body}
)"#
    )
}
