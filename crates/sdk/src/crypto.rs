//! Hashing, signature checks and cove's precompiled contracts.

use alloc::vec::Vec;

use crate::{Address, host};

/// SHA-256 of `data` (`crypto_hash`; at most 1 MiB).
#[inline]
pub fn sha256(data: &[u8]) -> [u8; 32] {
    host::sha256(data)
}

/// Whether `signature` signs `message` under `public_key` (`crypto_verify`): a 32-byte
/// key is ed25519 with a 64-byte signature; a 33- or 65-byte SEC1 key is secp256k1
/// ECDSA over SHA-256(message), 64-byte `r‖s`, low-S. Any other size is `false`.
#[inline]
pub fn verify(message: &[u8], signature: &[u8], public_key: &[u8]) -> bool {
    host::verify(message, signature, public_key)
}

/// Runs the precompiled contract at `address` (the EVM's set: 0x01-0x0a, BLS12-381
/// 0x0b-0x11, P256VERIFY 0x100; `docs/evm.md`) on `input`. `None` if none lives there
/// or it failed; a failure consumes the gas it was given.
#[inline]
pub fn precompile(address: Address, input: &[u8]) -> Option<Vec<u8>> {
    host::precompile(&address.0, input)
}

/// The address of precompile number `n` (`0x…0004` for `n = 4`).
pub const fn precompile_address(n: u16) -> Address {
    let mut bytes = [0u8; 20];
    let be = n.to_be_bytes();
    bytes[18] = be[0];
    bytes[19] = be[1];
    Address(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;
    use alloc::vec;

    #[test]
    fn sha256_of_abc() {
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    #[test]
    fn verify_passes_the_three_byte_strings_through() {
        mock::reset();
        mock::with(|m| m.valid_signatures.push((b"m".to_vec(), vec![1; 64], vec![2; 32])));
        assert!(verify(b"m", &[1; 64], &[2; 32]));
        assert!(!verify(b"m", &[2; 64], &[1; 32]), "signature and key are not swapped");
    }

    #[test]
    fn precompile_addresses_and_output() {
        assert_eq!(precompile_address(0x100).0[18..], [1, 0]);
        assert_eq!(precompile(precompile_address(4), b"echo"), Some(b"echo".to_vec()));
        assert_eq!(precompile(precompile_address(0x99), b"x"), None);
    }
}
