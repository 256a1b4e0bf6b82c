//! Contract metadata and its encoding.

use serde::Serialize;
use types::{Address, CodeId};

/// What the runtime knows about a deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractInfo {
    /// The code it runs.
    pub code_id: CodeId,
    /// Who deployed it.
    pub creator: Address,
    /// Who may upgrade it (the deployer by default).
    pub admin: Option<Address>,
    /// The block it was deployed in.
    pub created_height: u64,
}

const VERSION: u8 = 1;
const LEN: usize = 1 + 32 + 20 + 1 + 20 + 8;

impl ContractInfo {
    /// Fixed layout: `version(1) code_id(32) creator(20) has_admin(1) admin(20) height(8, BE)`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.push(VERSION);
        out.extend_from_slice(&self.code_id.0);
        out.extend_from_slice(&self.creator.0);
        out.push(self.admin.is_some() as u8);
        out.extend_from_slice(&self.admin.unwrap_or_default().0);
        out.extend_from_slice(&self.created_height.to_be_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<ContractInfo> {
        if bytes.len() != LEN || bytes[0] != VERSION {
            return None;
        }
        let code_id = CodeId(bytes[1..33].try_into().ok()?);
        let creator = Address(bytes[33..53].try_into().ok()?);
        let admin = (bytes[53] == 1).then(|| Address(bytes[54..74].try_into().expect("20 bytes")));
        let created_height = u64::from_be_bytes(bytes[74..82].try_into().ok()?);
        Some(ContractInfo { code_id, creator, admin, created_height })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_info_round_trips() {
        for admin in [None, Some(Address([9; 20]))] {
            let info = ContractInfo {
                code_id: CodeId([1; 32]),
                creator: Address([2; 20]),
                admin,
                created_height: 77,
            };
            assert_eq!(ContractInfo::decode(&info.encode()), Some(info));
        }
        assert_eq!(ContractInfo::decode(&[0; 10]), None);
    }
}
