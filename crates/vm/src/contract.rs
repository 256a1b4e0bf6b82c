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
}

/// Version 1 had no VM byte (every contract was WASM); version 2 adds it.
const VERSION: u8 = 2;
const LEN_V1: usize = 1 + 32 + 20 + 1 + 20 + 8;
const LEN: usize = LEN_V1 + 1;

impl ContractInfo {
    /// Fixed layout: `version(1) vm(1) code_id(32) creator(20) has_admin(1) admin(20)
    /// height(8, BE)`. Version-1 records (no `vm`) still decode, as WASM.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.push(VERSION);
        out.push(self.vm.to_byte());
        out.extend_from_slice(&self.code_id.0);
        out.extend_from_slice(&self.creator.0);
        out.push(self.admin.is_some() as u8);
        out.extend_from_slice(&self.admin.unwrap_or_default().0);
        out.extend_from_slice(&self.created_height.to_be_bytes());
        out
    }

    /// Decodes a record; `None` if it is malformed.
    pub fn decode(bytes: &[u8]) -> Option<ContractInfo> {
        let (vm, bytes) = match (bytes.first(), bytes.len()) {
            (Some(1), LEN_V1) => (VmType::Wasm, bytes),
            (Some(2), LEN) => (VmType::from_byte(bytes[1])?, &bytes[1..]),
            _ => return None,
        };
        let code_id = CodeId(bytes[1..33].try_into().ok()?);
        let creator = Address(bytes[33..53].try_into().ok()?);
        let admin = (bytes[53] == 1).then(|| Address(bytes[54..74].try_into().expect("20 bytes")));
        let created_height = u64::from_be_bytes(bytes[74..82].try_into().ok()?);
        Some(ContractInfo { vm, code_id, creator, admin, created_height })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_info_round_trips() {
        for (vm, admin) in [(VmType::Wasm, None), (VmType::Evm, Some(Address([9; 20])))] {
            let info = ContractInfo {
                vm,
                code_id: CodeId([1; 32]),
                creator: Address([2; 20]),
                admin,
                created_height: 77,
            };
            assert_eq!(ContractInfo::decode(&info.encode()), Some(info));
        }
        assert_eq!(ContractInfo::decode(&[0; 10]), None);
    }

    #[test]
    fn version_1_records_decode_as_wasm() {
        let info = ContractInfo {
            vm: VmType::Wasm,
            code_id: CodeId([1; 32]),
            creator: Address([2; 20]),
            admin: None,
            created_height: 5,
        };
        let mut v1 = info.encode();
        v1.remove(1);
        v1[0] = 1;
        assert_eq!(ContractInfo::decode(&v1), Some(info));
        let mut bad_vm =
            ContractInfo::encode(&ContractInfo { vm: VmType::Evm, ..ContractInfo::decode(&v1).unwrap() });
        bad_vm[1] = 200;
        assert_eq!(ContractInfo::decode(&bad_vm), None);
    }
}
