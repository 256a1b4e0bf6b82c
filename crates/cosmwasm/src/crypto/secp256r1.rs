//! secp256r1 (NIST P-256) ECDSA over a 32-byte prehash (`secp256r1_verify`,
//! `secp256r1_recover_pubkey`), as cosmwasm-crypto 2.3.5 does it with the same `p256`
//! crate: high-S signatures are normalised (accepted), a signature or key that does not
//! decode is a generic error (`10`), a malformed length or prefix a format error.

// `RecoveryId` is the `ecdsa` crate's, which `p256` does not re-export; `k256`, on the
// same `ecdsa` version, does.
use k256::ecdsa::RecoveryId;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};

use super::{
    ECDSA_SIGNATURE_LEN, GENERIC_ERR, INVALID, INVALID_RECOVERY_PARAM, INVALID_SIGNATURE_FORMAT, VALID,
    ecdsa_recover_shapes, ecdsa_verify_shapes,
};

/// The signature `r || s`: a format error if not 64 bytes, a generic error if `r` or
/// `s` is zero or not below the group order.
fn signature(sig: &[u8]) -> Result<Signature, u32> {
    let bytes = <[u8; ECDSA_SIGNATURE_LEN]>::try_from(sig).map_err(|_| INVALID_SIGNATURE_FORMAT)?;
    Signature::from_bytes(&bytes.into()).map_err(|_| GENERIC_ERR)
}

/// `0` if `sig` is `pk`'s signature of `hash`, `1` if not, or an error code.
pub(crate) fn secp256r1_verify(hash: &[u8], sig: &[u8], pk: &[u8]) -> u32 {
    if let Err(code) = ecdsa_verify_shapes(hash, sig, pk) {
        return code;
    }
    let sig = match signature(sig) {
        Ok(sig) => sig.normalize_s().unwrap_or(sig),
        Err(code) => return code,
    };
    let Ok(key) = VerifyingKey::from_sec1_bytes(pk) else { return GENERIC_ERR };
    if key.verify_prehash(hash, &sig).is_ok() { VALID } else { INVALID }
}

/// The uncompressed (65-byte) public key whose signature of `hash` is `sig` with
/// recovery id `param` (0 to 3), or an error code. Unlike `secp256k1`, a high-S
/// signature is not normalised first (cosmwasm-crypto does not).
pub(crate) fn secp256r1_recover(hash: &[u8], sig: &[u8], param: u8) -> Result<Vec<u8>, u32> {
    ecdsa_recover_shapes(hash, sig)?;
    let id = RecoveryId::from_byte(param).ok_or(INVALID_RECOVERY_PARAM)?;
    let sig = signature(sig)?;
    let key = VerifyingKey::recover_from_prehash(hash, &sig, id).map_err(|_| GENERIC_ERR)?;
    Ok(key.to_encoded_point(false).as_bytes().to_vec())
}

#[cfg(test)]
mod tests;
