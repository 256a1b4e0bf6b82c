//! A tiny harness: an in-memory `ContractStorage` and helpers to run WAT.

use std::collections::BTreeMap;

use cove_wasm::abi::{HOST_FUNCTIONS, host_fn};
use cove_wasm::{
    CallContext, CallOutcome, Compiler, Config, Engine, LinkedModule, Tier, ValidationError, Vm,
};
use types::{Address, BlockInfo, ContractStorage, ErrorKind, Lived, StorageError};

/// A map-backed storage for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct MapStorage(pub(crate) BTreeMap<Vec<u8>, Vec<u8>>, pub(crate) BTreeMap<Vec<u8>, Lived>);

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
    fn read_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        Ok(self.1.get(key).cloned())
    }
    fn write_lived(&mut self, key: &[u8], value: &[u8], expires: u64) -> Result<(), StorageError> {
        self.1.insert(key.to_vec(), Lived { value: value.to_vec(), expires });
        Ok(())
    }
    fn remove_lived(&mut self, key: &[u8]) -> Result<Option<Lived>, StorageError> {
        Ok(self.1.remove(key))
    }
}

pub(crate) const CALLER: Address = Address([0xca; 20]);
pub(crate) const CONTRACT: Address = Address([0xc0; 20]);
pub(crate) const GAS: u64 = 10_000_000;
pub(crate) const BLOCK: BlockInfo = BlockInfo { height: 42, timestamp: 1_700_000_000 };

/// Runs every call on every tier an execution mode can run code on (Winch, Cranelift and
/// the Pulley interpreter, so every `[wasm] mode`'s code) and asserts they agree exactly:
/// result, gas, events and the storage they leave. Timeouts are wall-clock, so only their
/// kind is compared.
pub(crate) struct Harness {
    pub(crate) vm: Vm<MapStorage>,
    /// The module on the engine's first tier (what a deploy runs first).
    pub(crate) module: LinkedModule<MapStorage>,
    /// The same code compiled by each other tier, on engines of the same configuration.
    pub(crate) others: Vec<(Tier, LinkedModule<MapStorage>)>,
    pub(crate) storage: MapStorage,
    pub(crate) read_only: bool,
    /// The other tiers' engines, kept alive (their epoch tickers) while their modules run.
    _engines: Vec<Engine>,
}

pub(crate) fn engine(config: Config) -> Engine {
    Engine::new(config).expect("valid config")
}

/// The mode whose first tier is `tier` (and which has no other).
fn mode_of(tier: Tier) -> Compiler {
    match tier {
        Tier::Baseline => Compiler::Baseline,
        Tier::Optimized => Compiler::Optimizing,
        Tier::Interpreted => Compiler::Interpreter,
    }
}

/// Every tier, in the order the harness runs them after the first.
pub(crate) const TIERS: [Tier; 3] = [Tier::Baseline, Tier::Optimized, Tier::Interpreted];

impl Harness {
    pub(crate) fn new(wat: &str) -> Harness {
        Harness::with_config(wat, Config::default())
    }

    pub(crate) fn with_config(wat: &str, config: Config) -> Harness {
        let code = wat::parse_str(wat).expect("test WAT parses");
        Harness::from_code(&code, config).expect("module validates")
    }

    /// Deploys raw module bytes; `Err` is the deploy-rule failure.
    pub(crate) fn from_code(code: &[u8], config: Config) -> Result<Harness, ValidationError> {
        let vm = Vm::new(engine(config.clone()));
        let compiled = vm.engine().compile(code)?;
        let module = vm.link(&compiled).expect("links");
        let (mut others, mut engines) = (Vec::new(), Vec::new());
        for tier in TIERS.into_iter().filter(|&t| t != compiled.tier()) {
            let other = Vm::<MapStorage>::new(engine(Config { compiler: mode_of(tier), ..config.clone() }));
            let compiled = other.engine().compile(code).expect("validated above");
            assert_eq!(compiled.tier(), tier);
            others.push((tier, other.link(&compiled).expect("links")));
            engines.push(other.engine().clone());
        }
        Ok(Harness {
            vm,
            module,
            others,
            storage: MapStorage::default(),
            read_only: false,
            _engines: engines,
        })
    }

    pub(crate) fn call(&mut self, entry: &str, input: &[u8]) -> CallOutcome {
        self.call_with_gas(entry, input, GAS)
    }

    /// Calls like a runtime would: the storage is kept only if the call succeeded.
    pub(crate) fn call_with_gas(&mut self, entry: &str, input: &[u8], gas: u64) -> CallOutcome {
        let ctx = CallContext { caller: CALLER, contract: CONTRACT, block: BLOCK, read_only: self.read_only };
        let before = self.storage.clone();
        let (storage, outcome) = self.vm.call(&self.module, &ctx, entry, input.to_vec(), gas, before.clone());
        let outcome = outcome.expect("no node fault");
        let first = self.module.tier();
        for (tier, other) in &self.others {
            let (storage2, outcome2) = self.vm.call(other, &ctx, entry, input.to_vec(), gas, before.clone());
            let outcome2 = outcome2.expect("no node fault");
            let kind = |o: &CallOutcome| o.result.as_ref().err().map(|e| e.kind);
            if kind(&outcome) == Some(ErrorKind::Timeout) {
                assert_eq!(
                    kind(&outcome2),
                    Some(ErrorKind::Timeout),
                    "{entry}: {first:?} and {tier:?} disagree"
                );
            } else {
                assert_eq!(outcome, outcome2, "{entry}: {first:?} and {tier:?} disagree");
                assert_eq!(storage, storage2, "{entry}: {first:?} and {tier:?} left different storage");
            }
        }
        self.storage = if outcome.result.is_ok() { storage } else { before };
        outcome
    }

    /// Calls and expects success, returning the result bytes.
    pub(crate) fn ok(&mut self, entry: &str, input: &[u8]) -> Vec<u8> {
        let out = self.call(entry, input);
        match out.result {
            Ok(bytes) => bytes,
            Err(e) => panic!("{entry}: expected success, got {e:?}"),
        }
    }
}

/// Asserts the call failed with `kind`, returning its message.
pub(crate) fn expect_err(outcome: &CallOutcome, kind: ErrorKind) -> String {
    match &outcome.result {
        Err(e) if e.kind == kind => e.message.clone(),
        other => panic!("expected {kind}, got {other:?}"),
    }
}

/// A module with memory, an `allocate` that bumps from 1024, and `body` spliced in.
pub(crate) fn module(imports: &str, body: &str) -> String {
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

/// Gas the `allocate` of [`module`] costs per call: seven base-priced instructions.
pub(crate) fn allocate_cost(ops: &cove_wasm::OpCosts) -> u64 {
    7 * ops.base
}

/// The import declaration of host function `name` with its ABI signature, bound to `$name`.
pub(crate) fn import(name: &str) -> String {
    let h = host_fn(name).unwrap_or_else(|| panic!("{name} is a host function"));
    let list = |kind: &str, tys: &[wasmparser::ValType]| {
        if tys.is_empty() {
            String::new()
        } else {
            let tys: Vec<String> = tys.iter().map(|t| t.to_string()).collect();
            format!("({kind} {})", tys.join(" "))
        }
    };
    format!(
        r#"(import "env" "{name}" (func ${name} {} {}))"#,
        list("param", h.params),
        list("result", h.results)
    )
}

/// Every host function imported with its ABI signature.
pub(crate) fn all_imports() -> String {
    HOST_FUNCTIONS.iter().map(|h| import(h.name)).collect::<Vec<_>>().join("\n  ")
}

/// Compiles WAT under `config`, expecting a deploy-rule failure.
pub(crate) fn compile_err_with(wat: &str, config: Config) -> ValidationError {
    let code = wat::parse_str(wat).expect("test WAT parses");
    compile_bytes_with(&code, config).expect_err("module must be rejected")
}

/// Compiles WAT with the default config, expecting a deploy-rule failure.
pub(crate) fn compile_err(wat: &str) -> ValidationError {
    compile_err_with(wat, Config::default())
}

/// Compiles raw bytes under `config` (without linking).
pub(crate) fn compile_bytes_with(code: &[u8], config: Config) -> Result<(), ValidationError> {
    engine(config).compile(code).map(|_| ())
}

/// A fresh engine still runs a trivial contract: nothing a hostile call did lingers.
pub(crate) fn assert_healthy() {
    let mut h = Harness::new(
        r#"(module (memory (export "memory") 1) (func (export "go") (result i32) i32.const 7))"#,
    );
    assert_eq!(h.ok("go", &[]), 7i32.to_le_bytes());
}

/// Decodes hex (test vectors).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// Bytes as a WAT string literal body (`\xx` escapes).
pub(crate) fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A small deterministic PRNG (xorshift64*), so fuzz-style tests are reproducible.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}
