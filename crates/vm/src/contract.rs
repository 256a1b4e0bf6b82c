//! Contract metadata and its encoding.

use serde::Serialize;
use types::{Address, CodeId, VmType};

/// What the runtime knows about a deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractInfo {
    /// The VM that runs it.
    pub vm: VmType,
    /// The code it runs: SHA-256 of the wasm, or keccak-256 of EVM runtime bytecode.
    pub code_id: CodeId,
    /// Who deployed it.
    pub creator: Address,
    /// Who may upgrade it (the deployer by default).
    pub admin: Option<Address>,
    /// The block it was deployed in.
    pub created_height: u64,
    /// What others may do with it, set when it is deployed (`docs/abi.md`, "App flags").
    pub flags: AppFlags,
}

/// A contract's app flags, set when it is deployed and fixed after. Only contracts of
/// cove's ABI have other than [`AppFlags::DEFAULT`] (the runtime refuses others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct AppFlags {
    /// Other contracts may call it (cove's `call`, or any VM's message through the
    /// runtime's dispatch). Off: only a transaction (or a query) may; a contract calling it fails with `unauthorized`, running nothing.
    /// By default on.
    pub callable: bool,
    /// Its code may run in another contract's context (`library_call`). By default off.
    pub importable: bool,
    /// A public funds address (cove's ABI): a message with no entry point moves its
    /// value to the contract and runs nothing, as a transfer to an account does. Off, such
    /// a message fails (`not_found`: no entry point). By default off.
    pub public: bool,
}

impl Default for AppFlags {
    fn default() -> Self {
        AppFlags::DEFAULT
    }
}

impl AppFlags {
    /// The flags of a contract deployed without any: callable, not importable, not public.
    pub const DEFAULT: AppFlags = AppFlags { callable: true, importable: false, public: false };

    /// The names, as `cove deploy --flags` takes them and `cove inspect` shows them.
    pub const NAMES: [&'static str; 3] = ["callable", "importable", "public"];

    const CALLABLE: u8 = 1;
    const IMPORTABLE: u8 = 2;
    const PUBLIC: u8 = 4;

    /// No flag set: not callable by contracts, not importable, not public.
    pub const NONE: AppFlags = AppFlags { callable: false, importable: false, public: false };

    /// The flags as one byte: bit 0 callable, bit 1 importable, bit 2 public.
    pub fn to_byte(self) -> u8 {
        let bit = |on: bool, bit: u8| if on { bit } else { 0 };
        bit(self.callable, Self::CALLABLE)
            | bit(self.importable, Self::IMPORTABLE)
            | bit(self.public, Self::PUBLIC)
    }

    /// The flags of a byte; `None` if it sets an unknown bit.
    pub fn from_byte(byte: u8) -> Option<AppFlags> {
        if byte & !(Self::CALLABLE | Self::IMPORTABLE | Self::PUBLIC) != 0 {
            return None;
        }
        Some(AppFlags {
            callable: byte & Self::CALLABLE != 0,
            importable: byte & Self::IMPORTABLE != 0,
            public: byte & Self::PUBLIC != 0,
        })
    }

    /// Parses a comma-separated list of flag names (`callable,importable`): exactly the
    /// flags named are on (an empty list: none). An unknown name is an error naming it.
    pub fn parse(list: &str) -> Result<AppFlags, String> {
        let mut flags = AppFlags::NONE;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "callable" => flags.callable = true,
                "importable" => flags.importable = true,
                "public" => flags.public = true,
                other => {
                    return Err(format!("unknown flag {other:?}; the flags are {}", Self::NAMES.join(", ")));
                }
            }
        }
        Ok(flags)
    }

    /// The names of the flags that are on, in [`AppFlags::NAMES`] order.
    pub fn names(self) -> Vec<&'static str> {
        let on = [self.callable, self.importable, self.public];
        Self::NAMES.iter().zip(on).filter(|(_, on)| *on).map(|(n, _)| *n).collect()
    }
}

impl std::fmt::Display for AppFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self.names();
        if names.is_empty() { f.write_str("none") } else { f.write_str(&names.join(",")) }
    }
}

/// Version 1 had no VM byte (every contract was WASM); version 2 adds it; version 3
/// adds the flags byte at the end.
const VERSION: u8 = 3;
const LEN_V1: usize = 1 + 32 + 20 + 1 + 20 + 8;
const LEN_V2: usize = LEN_V1 + 1;
const LEN: usize = LEN_V2 + 1;

impl ContractInfo {
    /// Fixed layout: `version(1) vm(1) code_id(32) creator(20) has_admin(1) admin(20)
    /// height(8, BE) flags(1)`. Version-1 records (no `vm`, no `flags`) still decode, as
    /// WASM with the default flags; version-2 records (no `flags`), with the default flags.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.push(VERSION);
        out.push(self.vm.to_byte());
        out.extend_from_slice(&self.code_id.0);
        out.extend_from_slice(&self.creator.0);
        out.push(self.admin.is_some() as u8);
        out.extend_from_slice(&self.admin.unwrap_or_default().0);
        out.extend_from_slice(&self.created_height.to_be_bytes());
        out.push(self.flags.to_byte());
        out
    }

    /// Decodes a record; `None` if it is malformed.
    pub fn decode(bytes: &[u8]) -> Option<ContractInfo> {
        let (vm, flags, bytes) = match (bytes.first(), bytes.len()) {
            (Some(1), LEN_V1) => (VmType::Wasm, AppFlags::DEFAULT, bytes),
            (Some(2), LEN_V2) => (VmType::from_byte(bytes[1])?, AppFlags::DEFAULT, &bytes[1..]),
            (Some(3), LEN) => {
                (VmType::from_byte(bytes[1])?, AppFlags::from_byte(bytes[LEN - 1])?, &bytes[1..])
            }
            _ => return None,
        };
        let code_id = CodeId(bytes[1..33].try_into().ok()?);
        let creator = Address(bytes[33..53].try_into().ok()?);
        let admin = (bytes[53] == 1).then(|| Address(bytes[54..74].try_into().expect("20 bytes")));
        let created_height = u64::from_be_bytes(bytes[74..82].try_into().ok()?);
        Some(ContractInfo { vm, code_id, creator, admin, created_height, flags })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(vm: VmType, admin: Option<Address>, flags: AppFlags) -> ContractInfo {
        ContractInfo {
            vm,
            code_id: CodeId([1; 32]),
            creator: Address([2; 20]),
            admin,
            created_height: 77,
            flags,
        }
    }

    #[test]
    fn contract_info_round_trips() {
        let all = AppFlags { callable: true, importable: true, public: true };
        for (vm, admin, flags) in [
            (VmType::Wasm, None, AppFlags::DEFAULT),
            (VmType::Evm, Some(Address([9; 20])), all),
            (VmType::CosmWasm, None, AppFlags::NONE),
            (VmType::Wasm, None, AppFlags { importable: true, ..AppFlags::NONE }),
        ] {
            let info = info(vm, admin, flags);
            assert_eq!(info.encode().len(), LEN);
            assert_eq!(ContractInfo::decode(&info.encode()), Some(info));
        }
        assert_eq!(ContractInfo::decode(&[0; 10]), None);
    }

    #[test]
    fn version_1_records_decode_as_wasm() {
        let info = info(VmType::Wasm, None, AppFlags::DEFAULT);
        // Version 1: no VM byte, no flags byte.
        let mut v1 = info.encode();
        v1.pop();
        v1.remove(1);
        v1[0] = 1;
        assert_eq!(v1.len(), LEN_V1);
        assert_eq!(ContractInfo::decode(&v1), Some(info.clone()));
        let mut bad_vm = ContractInfo { vm: VmType::Evm, ..info }.encode();
        bad_vm[1] = 200;
        assert_eq!(ContractInfo::decode(&bad_vm), None);
    }

    #[test]
    fn version_2_records_decode_with_the_default_flags() {
        let info = info(VmType::Evm, Some(Address([3; 20])), AppFlags::DEFAULT);
        // Version 2 as it was written: the same layout without the flags byte.
        let mut v2 = ContractInfo { flags: AppFlags::NONE, ..info.clone() }.encode();
        v2.pop();
        v2[0] = 2;
        assert_eq!(v2.len(), LEN_V2);
        assert_eq!(ContractInfo::decode(&v2), Some(info));
        // A version-2 record with a flags byte, or a version-3 one without, is malformed.
        let mut long_v2 = v2.clone();
        long_v2.push(0);
        assert_eq!(ContractInfo::decode(&long_v2), None);
        let mut short_v3 = v2;
        short_v3[0] = 3;
        assert_eq!(ContractInfo::decode(&short_v3), None);
    }

    #[test]
    fn unknown_flag_bits_do_not_decode() {
        let mut bytes = info(VmType::Wasm, None, AppFlags::DEFAULT).encode();
        *bytes.last_mut().unwrap() = 8;
        assert_eq!(ContractInfo::decode(&bytes), None);
    }

    #[test]
    fn flags_parse_and_print_by_name() {
        assert_eq!(AppFlags::parse("").unwrap(), AppFlags::NONE);
        assert_eq!(AppFlags::parse("callable").unwrap(), AppFlags::DEFAULT);
        let all = AppFlags::parse("public, importable,callable").unwrap();
        assert_eq!(all, AppFlags { callable: true, importable: true, public: true });
        assert_eq!(all.to_string(), "callable,importable,public");
        assert_eq!(AppFlags::NONE.to_string(), "none");
        assert!(AppFlags::parse("callable,payable").unwrap_err().contains("payable"));
        for byte in 0..8 {
            assert_eq!(AppFlags::from_byte(byte).unwrap().to_byte(), byte);
        }
    }
}
