//! Which virtual machine runs a contract.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The virtual machine a contract runs on, recorded with the contract at deploy.
///
/// The byte forms ([`VmType::to_byte`]) are part of the state layout: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VmType {
    /// WebAssembly with cove's host ABI (`docs/abi.md`).
    Wasm,
    /// The Ethereum Virtual Machine (`docs/evm.md`).
    Evm,
    /// CosmWasm contracts (`interface_version_8`) on cove's WASM engine
    /// (`docs/cosmwasm.md`).
    CosmWasm,
}

impl VmType {
    /// Every VM type, in byte order.
    pub const ALL: [VmType; 3] = [VmType::Wasm, VmType::Evm, VmType::CosmWasm];

    /// The stable name used by the CLI (`--vm wasm|evm`) and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            VmType::Wasm => "wasm",
            VmType::Evm => "evm",
            VmType::CosmWasm => "cosmwasm",
        }
    }

    /// The byte stored in contract records.
    pub fn to_byte(self) -> u8 {
        match self {
            VmType::Wasm => 0,
            VmType::Evm => 1,
            VmType::CosmWasm => 2,
        }
    }

    /// The VM type stored as `b`, if any.
    pub fn from_byte(b: u8) -> Option<VmType> {
        VmType::ALL.into_iter().find(|t| t.to_byte() == b)
    }
}

impl fmt::Display for VmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A VM name that is not one of [`VmType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown VM type {0:?} (expected one of: wasm, evm, cosmwasm)")]
pub struct UnknownVmType(pub String);

impl FromStr for VmType {
    type Err = UnknownVmType;
    fn from_str(s: &str) -> Result<VmType, UnknownVmType> {
        VmType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownVmType(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_bytes_round_trip() {
        for t in VmType::ALL {
            assert_eq!(t.as_str().parse::<VmType>(), Ok(t));
            assert_eq!(VmType::from_byte(t.to_byte()), Some(t));
        }
        assert_eq!("jvm".parse::<VmType>(), Err(UnknownVmType("jvm".into())));
        assert_eq!(VmType::from_byte(7), None);
    }
}
