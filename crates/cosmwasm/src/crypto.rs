//! The signature functions of the CosmWasm API with cosmwasm-crypto's conventions:
//! `0` valid, `1` invalid, any other value an error code (`3` bad hash, `4` bad
//! signature, `5` bad public key, `6` bad recovery parameter, `7` batch error).

/// The length of a message hash (`secp256k1_*`).
pub(crate) const MESSAGE_HASH_MAX_LEN: usize = 32;
/// The length of an ECDSA signature (`r || s`).
pub(crate) const ECDSA_SIGNATURE_LEN: usize = 64;
/// The longest SEC1 public key (uncompressed).
pub(crate) const ECDSA_PUBKEY_MAX_LEN: usize = 65;
/// The length of an Ed25519 signature.
pub(crate) const EDDSA_SIGNATURE_LEN: usize = 64;
/// The length of an Ed25519 public key.
pub(crate) const EDDSA_PUBKEY_LEN: usize = 32;

const VALID: u32 = 0;
const INVALID: u32 = 1;
const INVALID_HASH_FORMAT: u32 = 3;
const INVALID_SIGNATURE_FORMAT: u32 = 4;
const INVALID_PUBKEY_FORMAT: u32 = 5;
const INVALID_RECOVERY_PARAM: u32 = 6;
const BATCH_ERR: u32 = 7;
const GENERIC_ERR: u32 = 10;

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

/// Ed25519 (strict verification, as ed25519-zebra's consensus rules reject what
/// `verify_strict` rejects: small-order keys and non-canonical encodings).
pub(crate) fn ed25519_verify(msg: &[u8], sig: &[u8], pk: &[u8]) -> u32 {
    let Ok(sig) = <[u8; 64]>::try_from(sig) else { return INVALID_SIGNATURE_FORMAT };
    let Ok(pk) = <[u8; 32]>::try_from(pk) else { return INVALID_PUBKEY_FORMAT };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pk) else { return INVALID };
    if key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok() { VALID } else { INVALID }
}

/// Verifies every `(msg, sig, pk)`; one message for many keys or one key for many
/// messages is allowed, as in cosmwasm-crypto. Empty batches are valid.
pub(crate) fn ed25519_batch_verify(msgs: &[Vec<u8>], sigs: &[Vec<u8>], pks: &[Vec<u8>]) -> u32 {
    let n = sigs.len();
    let msgs_ok = msgs.len() == n || msgs.len() == 1;
    let pks_ok = pks.len() == n || pks.len() == 1;
    if !msgs_ok || !pks_ok || (n == 0 && (!msgs.is_empty() || !pks.is_empty())) {
        return BATCH_ERR;
    }
    for i in 0..n {
        let msg = &msgs[if msgs.len() == 1 { 0 } else { i }];
        let pk = &pks[if pks.len() == 1 { 0 } else { i }];
        let r = ed25519_verify(msg, &sigs[i], pk);
        if r != VALID {
            return r;
        }
    }
    VALID
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

    #[test]
    fn ed25519_batches() {
        use ed25519_dalek::{Signer, SigningKey};
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let pk = key.verifying_key().to_bytes().to_vec();
        let sig = key.sign(b"hi").to_bytes().to_vec();
        assert_eq!(ed25519_verify(b"hi", &sig, &pk), VALID);
        assert_eq!(ed25519_verify(b"ho", &sig, &pk), INVALID);
        let msgs = vec![b"hi".to_vec()];
        assert_eq!(
            ed25519_batch_verify(&msgs, &[sig.clone(), sig.clone()], std::slice::from_ref(&pk)),
            VALID
        );
        assert_eq!(
            ed25519_batch_verify(&msgs, &[sig.clone(), sig], &[pk.clone(), pk.clone(), pk]),
            BATCH_ERR
        );
        assert_eq!(ed25519_batch_verify(&[], &[], &[]), VALID);
    }
}
