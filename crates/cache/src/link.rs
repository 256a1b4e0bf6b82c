//! What a cache compiles for: an engine, a host ABI, extra deploy rules, and the step
//! that links a compiled module against the host functions.
//!
//! The cache itself knows nothing of any ABI; cove's own (`wasm::Vm`) and CosmWasm's
//! (`cove-cosmwasm`) each implement [`Link`], and each gets its own cache (and cache
//! directory: artifacts of different ABIs never share one).

use types::ContractStorage;
use wasm::abi::Abi;
use wasm::{CompiledModule, Engine, LinkedModule, ValidationError, Vm, VmError};

/// A host ABI's side of the cache: which engine and import table modules are compiled
/// with, and how a compiled module is linked for fast instantiation. `Send + Sync`: the
/// cache links on any thread, tier-ups on a background one.
pub trait Link: Send + Sync + 'static {
    /// A compiled module with its imports resolved (e.g. a wasmtime `InstancePre`).
    type Linked: Send + Sync + 'static;

    /// The engine that validates, instruments and compiles modules.
    fn engine(&self) -> &Engine;

    /// The import table modules are validated against (`Engine::compile_for`).
    fn abi(&self) -> &'static Abi;

    /// Deploy rules beyond the engine's, checked before compiling (CosmWasm's required
    /// exports and capabilities). By default none.
    fn check(&self, _code: &[u8]) -> Result<(), ValidationError> {
        Ok(())
    }

    /// A hash of everything [`Link::check`] depends on besides the code, if anything.
    /// It is folded into every artifact key (`docs/cache.md`), so an artifact admitted
    /// under other rules is a miss and its code is checked again, never loaded as is.
    /// `None` (the default) leaves the key the engine's alone.
    fn rules_fingerprint(&self) -> Option<[u8; 32]> {
        None
    }

    /// Resolves `compiled`'s imports against the host functions.
    fn link(&self, compiled: &CompiledModule) -> Result<Self::Linked, VmError>;
}

/// cove's own ABI (`docs/abi.md`): no rules beyond the engine's, so its artifact keys are
/// exactly the engine's.
impl<S: ContractStorage + Send + 'static> Link for Vm<S> {
    type Linked = LinkedModule<S>;

    fn engine(&self) -> &Engine {
        Vm::engine(self)
    }

    fn abi(&self) -> &'static Abi {
        &wasm::abi::COVE
    }

    fn link(&self, compiled: &CompiledModule) -> Result<LinkedModule<S>, VmError> {
        Vm::link(self, compiled)
    }
}
