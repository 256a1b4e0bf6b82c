//! secp256k1 ECDSA over a 32-byte prehash (`secp256k1_verify`,
//! `secp256k1_recover_pubkey`), as cosmwasm-crypto 2.3.5 does it with the same `k256`
//! crate: a high-S signature is normalised first (valid in `verify`; in `recover` with
//! the recovery id's parity flipped), only recovery ids 0 and 1 exist, and a signature
//! or key that does not decode is a generic error (`10`).

use k256::ecdsa::{RecoveryId, VerifyingKey};

use super::{GENERIC_ERR, INVALID_RECOVERY_PARAM, ecdsa_recover_shapes, ecdsa_signature, ecdsa_verify};
use k256::Secp256k1;

/// `0` if `sig` is `pk`'s signature of `hash`, `1` if not, or an error code.
pub(crate) fn secp256k1_verify(hash: &[u8], sig: &[u8], pk: &[u8]) -> u32 {
    ecdsa_verify::<Secp256k1>(hash, sig, pk)
}

/// The uncompressed (65-byte) public key whose signature of `hash` is `sig` with
/// recovery id `param` (0 or 1), or an error code.
pub(crate) fn secp256k1_recover(hash: &[u8], sig: &[u8], param: u8) -> Result<Vec<u8>, u32> {
    ecdsa_recover_shapes(hash, sig)?;
    let mut id = match param {
        0 | 1 => RecoveryId::new(param == 1, false),
        _ => return Err(INVALID_RECOVERY_PARAM),
    };
    let mut sig = ecdsa_signature::<Secp256k1>(sig)?;
    if let Some(low) = sig.normalize_s() {
        // -s signs with the negated nonce point: the other y parity.
        sig = low;
        id = RecoveryId::new(!id.is_y_odd(), id.is_x_reduced());
    }
    let key = VerifyingKey::recover_from_prehash(hash, &sig, id).map_err(|_| GENERIC_ERR)?;
    Ok(key.to_encoded_point(false).as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;

    use super::*;
    use k256::ecdsa::Signature;

    use crate::crypto::{
        INVALID, INVALID_HASH_FORMAT, INVALID_PUBKEY_FORMAT, INVALID_SIGNATURE_FORMAT, VALID,
    };

    /// A signature by a fixed key, its low-S form first, and the key.
    fn signed() -> ([u8; 32], Signature, u8, VerifyingKey) {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let hash = [9u8; 32];
        let (sig, id) = key.sign_prehash_recoverable(&hash).unwrap();
        (hash, sig, id.to_byte(), *key.verifying_key())
    }

    /// The same signature with `s` negated (high S).
    fn high_s(sig: &Signature) -> Vec<u8> {
        let (r, s) = sig.split_scalars();
        Signature::from_scalars(r, -*s).unwrap().to_vec()
    }

    #[test]
    fn verify_accepts_both_s_and_every_key_encoding() {
        let (hash, sig, _, key) = signed();
        for compress in [true, false] {
            let pk = key.to_encoded_point(compress);
            assert_eq!(secp256k1_verify(&hash, &sig.to_bytes(), pk.as_bytes()), VALID);
            assert_eq!(secp256k1_verify(&hash, &high_s(&sig), pk.as_bytes()), VALID);
            assert_eq!(secp256k1_verify(&[8u8; 32], &sig.to_bytes(), pk.as_bytes()), INVALID);
        }
    }

    #[test]
    fn verify_malformed_inputs_give_cosmwasm_codes() {
        let (hash, sig, _, key) = signed();
        let (sig, pk) = (sig.to_vec(), key.to_encoded_point(false).as_bytes().to_vec());
        assert_eq!(secp256k1_verify(&hash[..31], &sig, &pk), INVALID_HASH_FORMAT);
        assert_eq!(secp256k1_verify(&hash, &sig[..63], &pk), INVALID_SIGNATURE_FORMAT);
        assert_eq!(secp256k1_verify(&hash, &sig, &pk[..33]), INVALID_PUBKEY_FORMAT);
        let mut off_curve = pk.clone();
        off_curve[64] ^= 1;
        assert_eq!(secp256k1_verify(&hash, &sig, &off_curve), GENERIC_ERR);
        assert_eq!(secp256k1_verify(&hash, &[0; 64], &pk), GENERIC_ERR);
    }

    #[test]
    fn recovery_with_both_s() {
        let (hash, sig, id, key) = signed();
        let pk = key.to_encoded_point(false).as_bytes().to_vec();
        assert_eq!(secp256k1_recover(&hash, &sig.to_bytes(), id), Ok(pk.clone()));
        // (r, n - s) signs with the nonce point's negation, so its id has the other
        // parity; normalised back to (r, s) with the parity flipped, it gives the key.
        assert_eq!(secp256k1_recover(&hash, &high_s(&sig), 1 - id), Ok(pk.clone()));
        assert_ne!(secp256k1_recover(&hash, &high_s(&sig), id), Ok(pk.clone()));
        assert_ne!(secp256k1_recover(&hash, &sig.to_bytes(), 1 - id), Ok(pk));
        for bad in [2, 3, 255] {
            assert_eq!(secp256k1_recover(&hash, &sig.to_bytes(), bad), Err(INVALID_RECOVERY_PARAM));
        }
        assert_eq!(secp256k1_recover(&hash[..31], &sig.to_bytes(), id), Err(INVALID_HASH_FORMAT));
        assert_eq!(secp256k1_recover(&hash, &[0; 64], id), Err(GENERIC_ERR));
    }
}
