//! secp256r1 (NIST P-256) ECDSA over a 32-byte prehash (`secp256r1_verify`,
//! `secp256r1_recover_pubkey`), as cosmwasm-crypto 2.3.5 does it with the same `p256`
//! crate: high-S signatures are normalised (accepted), a signature or key that does not
//! decode is a generic error (`10`), a malformed length or prefix a format error.

// `RecoveryId` is the `ecdsa` crate's, which `p256` does not re-export; `k256`, on the
// same `ecdsa` version, does.
use k256::ecdsa::RecoveryId;
use p256::ecdsa::VerifyingKey;

use super::{GENERIC_ERR, INVALID_RECOVERY_PARAM, ecdsa_recover_shapes, ecdsa_signature, ecdsa_verify};
use p256::NistP256;

/// `0` if `sig` is `pk`'s signature of `hash`, `1` if not, or an error code.
pub(crate) fn secp256r1_verify(hash: &[u8], sig: &[u8], pk: &[u8]) -> u32 {
    ecdsa_verify::<NistP256>(hash, sig, pk)
}

/// The uncompressed (65-byte) public key whose signature of `hash` is `sig` with
/// recovery id `param` (0 to 3), or an error code. Unlike `secp256k1`, a high-S
/// signature is not normalised first (cosmwasm-crypto does not).
pub(crate) fn secp256r1_recover(hash: &[u8], sig: &[u8], param: u8) -> Result<Vec<u8>, u32> {
    ecdsa_recover_shapes(hash, sig)?;
    let id = RecoveryId::from_byte(param).ok_or(INVALID_RECOVERY_PARAM)?;
    let sig = ecdsa_signature::<NistP256>(sig)?;
    let key = VerifyingKey::recover_from_prehash(hash, &sig, id).map_err(|_| GENERIC_ERR)?;
    Ok(key.to_encoded_point(false).as_bytes().to_vec())
}

#[cfg(test)]
mod tests;
