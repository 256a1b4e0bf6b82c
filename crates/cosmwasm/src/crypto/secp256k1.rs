//! secp256k1 ECDSA over a 32-byte prehash (`secp256k1_verify`,
//! `secp256k1_recover_pubkey`).

use super::{
    GENERIC_ERR, INVALID, INVALID_HASH_FORMAT, INVALID_PUBKEY_FORMAT, INVALID_RECOVERY_PARAM,
    INVALID_SIGNATURE_FORMAT, MESSAGE_HASH_MAX_LEN, VALID,
};

/// secp256k1 ECDSA over a 32-byte prehash; high-S signatures are invalid (as in
/// cosmwasm-crypto, which uses the same `k256` check).
pub(crate) fn secp256k1_verify(hash: &[u8], sig: &[u8], pk: &[u8]) -> u32 {
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    if hash.len() != MESSAGE_HASH_MAX_LEN {
        return INVALID_HASH_FORMAT;
    }
    let Ok(sig) = k256::ecdsa::Signature::from_slice(sig) else { return INVALID_SIGNATURE_FORMAT };
    if !matches!(pk.len(), 33 | 65) {
        return INVALID_PUBKEY_FORMAT;
    }
    let Ok(key) = k256::ecdsa::VerifyingKey::from_sec1_bytes(pk) else { return INVALID_PUBKEY_FORMAT };
    if sig.normalize_s().is_some() {
        return INVALID;
    }
    if key.verify_prehash(hash, &sig).is_ok() { VALID } else { INVALID }
}

/// The uncompressed (65-byte) public key that signed `hash`, or an error code.
pub(crate) fn secp256k1_recover(hash: &[u8], sig: &[u8], param: u32) -> Result<Vec<u8>, u32> {
    if hash.len() != MESSAGE_HASH_MAX_LEN {
        return Err(INVALID_HASH_FORMAT);
    }
    let Ok(sig) = k256::ecdsa::Signature::from_slice(sig) else { return Err(INVALID_SIGNATURE_FORMAT) };
    let Some(id) = u8::try_from(param).ok().and_then(k256::ecdsa::RecoveryId::from_byte) else {
        return Err(INVALID_RECOVERY_PARAM);
    };
    let key = k256::ecdsa::VerifyingKey::recover_from_prehash(hash, &sig, id).map_err(|_| GENERIC_ERR)?;
    Ok(key.to_encoded_point(false).as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secp256k1_round_trip() {
        use k256::ecdsa::SigningKey;
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let hash = [9u8; 32];
        let (sig, id) = key.sign_prehash_recoverable(&hash).unwrap();
        let pk = key.verifying_key().to_encoded_point(true);
        assert_eq!(secp256k1_verify(&hash, &sig.to_bytes(), pk.as_bytes()), VALID);
        assert_eq!(secp256k1_verify(&[8u8; 32], &sig.to_bytes(), pk.as_bytes()), INVALID);
        assert_eq!(secp256k1_verify(&[8u8; 31], &sig.to_bytes(), pk.as_bytes()), INVALID_HASH_FORMAT);
        let recovered = secp256k1_recover(&hash, &sig.to_bytes(), u32::from(id.to_byte())).unwrap();
        assert_eq!(recovered, key.verifying_key().to_encoded_point(false).as_bytes());
        assert_eq!(secp256k1_recover(&hash, &sig.to_bytes(), 9), Err(INVALID_RECOVERY_PARAM));
    }
}
