//! The VM factory: one shared instance per VM type.

use std::sync::Arc;

use types::VmType;
use vm::VirtualMachine;

use wasm_vm::WasmVm;

/// Hands out one shared VM per [`VmType`], all created with the runtime. Thread-safe:
/// `get` from any thread returns the same instance for a type.
///
/// Adding a VM means a crate implementing [`VirtualMachine`], a [`VmType`] variant and
/// one arm here; the other VMs do not change.
pub struct VmFactory {
    wasm: Arc<WasmVm>,
    evm: Arc<evm::EvmVm>,
    cosmwasm: Arc<cosmwasm::CosmWasmVm>,
}

impl VmFactory {
    pub(crate) fn new(wasm: WasmVm, evm: evm::EvmVm, cosmwasm: cosmwasm::CosmWasmVm) -> VmFactory {
        VmFactory { wasm: Arc::new(wasm), evm: Arc::new(evm), cosmwasm: Arc::new(cosmwasm) }
    }

    /// The VM for `vm_type`: the same instance on every call (a reference, so dispatch
    /// costs no reference counting).
    pub fn get(&self, vm_type: VmType) -> &dyn VirtualMachine {
        match vm_type {
            VmType::Wasm => &*self.wasm,
            VmType::Evm => &*self.evm,
            VmType::CosmWasm => &*self.cosmwasm,
        }
    }

    /// The WASM VM, typed.
    pub fn wasm(&self) -> &WasmVm {
        &self.wasm
    }

    /// The CosmWasm VM, typed.
    pub fn cosmwasm(&self) -> &cosmwasm::CosmWasmVm {
        &self.cosmwasm
    }

    /// The EVM, typed.
    pub fn evm(&self) -> &evm::EvmVm {
        &self.evm
    }
}
