//! Account addresses and code identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 20-byte account address, shared by every VM so one account space serves all.
///
/// Its one human-readable form is `0x` followed by 40 lowercase hex digits; every CLI
/// command prints that form and accepts it back (with or without the `0x`, any case).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

/// A stored code's identifier: the SHA-256 checksum of its original wasm bytes.
///
/// Identical code has one id and is stored once. Printed as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CodeId(pub [u8; 32]);

/// Why a string is not an [`Address`] or a [`CodeId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} hex digits (optionally 0x-prefixed), got {got:?}")]
pub struct AddressParseError {
    expected: usize,
    got: String,
}

impl Address {
    /// Length of an address in bytes.
    pub const LEN: usize = 20;

    /// The address's bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Derives the address of a contract created by `deployer` with its `nonce`:
    /// the last 20 bytes of `SHA-256("cove/contract" || deployer || nonce_be)`.
    pub fn contract(deployer: &Address, nonce: u64) -> Address {
        let mut preimage = Vec::with_capacity(13 + 20 + 8);
        preimage.extend_from_slice(b"cove/contract");
        preimage.extend_from_slice(&deployer.0);
        preimage.extend_from_slice(&nonce.to_be_bytes());
        let hash = crate::sha256(&preimage);
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash[12..]);
        Address(out)
    }
}

impl CodeId {
    /// The code id of `code`: its SHA-256 checksum.
    pub fn of(code: &[u8]) -> CodeId {
        CodeId(crate::sha256(code))
    }
}

fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], AddressParseError> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    let mut out = [0u8; N];
    match hex::decode_to_slice(digits, &mut out) {
        Ok(()) => Ok(out),
        Err(_) => Err(AddressParseError { expected: 2 * N, got: s.to_owned() }),
    }
}

impl FromStr for Address {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex(s).map(Address)
    }
}

impl FromStr for CodeId {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex(s).map(CodeId)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for CodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

macro_rules! serde_as_string {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_as_string!(Address);
serde_as_string!(CodeId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_round_trips_through_its_printed_form() {
        let a = Address::contract(&Address([7; 20]), 3);
        let printed = a.to_string();
        assert_eq!(printed.len(), 42);
        assert_eq!(printed.parse::<Address>().unwrap(), a);
        assert_eq!(printed[2..].to_uppercase().parse::<Address>().unwrap(), a);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in ["", "0x", "0x1234", "zz", &"ab".repeat(21)] {
            assert!(bad.parse::<Address>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn contract_addresses_depend_on_deployer_and_nonce() {
        let d = Address([1; 20]);
        assert_ne!(Address::contract(&d, 0), Address::contract(&d, 1));
        assert_ne!(Address::contract(&d, 0), Address::contract(&Address([2; 20]), 0));
        assert_eq!(Address::contract(&d, 5), Address::contract(&d, 5));
    }

    #[test]
    fn code_id_is_sha256() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            CodeId::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
