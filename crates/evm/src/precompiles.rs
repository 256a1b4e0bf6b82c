//! cove's precompile registry: the precompiled contracts of the configured fork, by
//! name, address and gas, shared by the EVM and by WASM contracts (`precompile`).
//!
//! The implementations are revm's (`revm-precompile`, pure Rust backends): 0x01-0x0a
//! (ecrecover, SHA-256, RIPEMD-160, identity, modexp, BN254 add/mul/pairing, BLAKE2f,
//! KZG point evaluation), the BLS12-381 set from Prague (0x0b-0x11) and P256VERIFY from
//! Osaka (0x100). The EVM executes through the very same set (`lib.rs`), so both VMs
//! get identical answers and gas.

use revm::precompile::{PrecompileSpecId, PrecompileStatus, Precompiles};
use revm::primitives::Address as EvmAddress;
use revm::primitives::hardfork::SpecId;
use serde::Serialize;
use types::{PrecompileCall, Precompiles as PrecompileSeam};

/// One registered precompile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrecompileInfo {
    /// revm's name (`ECREC`, `SHA256`, `BLS12_G1ADD`, `P256VERIFY`, ...).
    pub name: String,
    /// Its address, `0x` + 40 hex digits.
    pub address: String,
}

/// The precompiles of one fork.
#[derive(Debug)]
pub struct PrecompileRegistry {
    set: &'static Precompiles,
    spec: SpecId,
}

impl PrecompileRegistry {
    /// The precompiles active in `spec`.
    pub fn new(spec: SpecId) -> PrecompileRegistry {
        PrecompileRegistry { set: Precompiles::new(PrecompileSpecId::from_spec_id(spec)), spec }
    }

    /// The fork.
    pub fn spec(&self) -> SpecId {
        self.spec
    }

    /// revm's set, for the EVM's precompile provider.
    pub(crate) fn set(&self) -> &'static Precompiles {
        self.set
    }

    /// Every precompile, by address.
    pub fn list(&self) -> Vec<PrecompileInfo> {
        let mut out: Vec<PrecompileInfo> = self
            .set
            .addresses()
            .filter_map(|a| self.set.get(a))
            .map(|p| PrecompileInfo { name: p.id().name().to_string(), address: p.address().to_string() })
            .collect();
        out.sort_by(|a, b| a.address.cmp(&b.address));
        out
    }

    /// Runs the precompile at `address`; `None` if there is none.
    pub fn execute(&self, address: &[u8; 20], input: &[u8], gas_limit: u64) -> Option<PrecompileCall> {
        let precompile = self.set.get(&EvmAddress::from(*address))?;
        Some(match precompile.execute(input, gas_limit, 0) {
            Ok(out) if out.status == PrecompileStatus::Success && out.gas_used <= gas_limit => {
                PrecompileCall::Success { gas_used: out.gas_used, output: out.bytes.to_vec() }
            }
            _ => PrecompileCall::Failure,
        })
    }
}

impl PrecompileSeam for PrecompileRegistry {
    fn call(&self, address: &[u8; 20], input: &[u8], gas_limit: u64) -> Option<PrecompileCall> {
        self.execute(address, input, gas_limit)
    }
}
