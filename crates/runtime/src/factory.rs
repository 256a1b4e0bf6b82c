//! The VM factory: one shared instance per VM type.

use std::sync::{Arc, OnceLock};

use types::VmType;
use vm::VirtualMachine;

use crate::error::RuntimeError;
use crate::wasm_vm::WasmVm;

/// Hands out one shared VM per [`VmType`], creating each on first use. Thread-safe:
/// `get` from any thread returns the same instance for a type.
///
/// Adding a VM means a crate implementing [`VirtualMachine`], a [`VmType`] variant and
/// one arm here; the other VMs do not change.
pub struct VmFactory {
    wasm: Arc<WasmVm>,
    evm_config: evm::EvmConfig,
    evm: OnceLock<Arc<evm::EvmVm>>,
}

impl VmFactory {
    /// A factory whose WASM VM is `wasm` (built eagerly: the runtime's module cache
    /// lives in it) and whose EVM is built from `evm_config` when first needed.
    pub(crate) fn new(wasm: WasmVm, evm_config: evm::EvmConfig) -> Result<VmFactory, RuntimeError> {
        // Check the EVM configuration now, so a bad one fails at startup, not mid-block.
        evm::EvmVm::new(evm_config.clone()).map_err(|e| RuntimeError::Config(e.to_string()))?;
        Ok(VmFactory { wasm: Arc::new(wasm), evm_config, evm: OnceLock::new() })
    }

    /// The VM for `vm_type`: the same instance on every call.
    pub fn get(&self, vm_type: VmType) -> Arc<dyn VirtualMachine> {
        match vm_type {
            VmType::Wasm => self.wasm.clone(),
            VmType::Evm => self.evm().clone(),
        }
    }

    /// The WASM VM, typed.
    pub fn wasm(&self) -> &WasmVm {
        &self.wasm
    }

    /// The EVM, typed.
    pub fn evm(&self) -> &Arc<evm::EvmVm> {
        self.evm.get_or_init(|| {
            Arc::new(evm::EvmVm::new(self.evm_config.clone()).expect("checked in VmFactory::new"))
        })
    }
}
