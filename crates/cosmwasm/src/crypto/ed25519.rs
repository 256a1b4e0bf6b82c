//! Ed25519 (`ed25519_verify`, `ed25519_batch_verify`).

use super::{BATCH_ERR, INVALID, INVALID_PUBKEY_FORMAT, INVALID_SIGNATURE_FORMAT, VALID};

/// The length of an Ed25519 signature.
pub(crate) const EDDSA_SIGNATURE_LEN: usize = 64;
/// The length of an Ed25519 public key.
pub(crate) const EDDSA_PUBKEY_LEN: usize = 32;

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
