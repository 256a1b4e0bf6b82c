//! Signature verification for `crypto_verify`.

/// Longest signature `crypto_verify` accepts (`MAX_SIGNATURE_LEN`).
pub const MAX_SIGNATURE_LEN: u32 = 128;
/// Longest public key `crypto_verify` accepts (`MAX_PUBLIC_KEY_LEN`).
pub const MAX_PUBLIC_KEY_LEN: u32 = 128;

/// Verifies `sig` over `msg` with `pk`:
/// * 32-byte key: ed25519 (RFC 8032, strict verification), 64-byte signature;
/// * 33- or 65-byte SEC1 key: secp256k1 ECDSA over SHA-256(msg), 64-byte `r || s`
///   signature in low-S form (high-S is rejected, as malleable).
///
/// Anything else is simply invalid.
pub(crate) fn verify(msg: &[u8], sig: &[u8], pk: &[u8]) -> bool {
    match pk.len() {
        32 => verify_ed25519(msg, sig, pk),
        33 | 65 => verify_secp256k1(msg, sig, pk),
        _ => false,
    }
}

fn verify_ed25519(msg: &[u8], sig: &[u8], pk: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok()
}

fn verify_secp256k1(msg: &[u8], sig: &[u8], pk: &[u8]) -> bool {
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    let Ok(key) = k256::ecdsa::VerifyingKey::from_sec1_bytes(pk) else {
        return false;
    };
    let Ok(sig) = k256::ecdsa::Signature::from_slice(sig) else {
        return false;
    };
    if sig.normalize_s().is_some() {
        return false; // high-S
    }
    key.verify_prehash(&types::sha256(msg), &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_rfc8032_test_vector_1() {
        let pk = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig = hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        assert!(verify(b"", &sig, &pk));
        assert!(!verify(b"x", &sig, &pk));
        let mut bad = sig.clone();
        bad[0] ^= 1;
        assert!(!verify(b"", &bad, &pk));
    }

    #[test]
    fn secp256k1_sign_then_verify_and_reject_high_s() {
        use k256::ecdsa::{SigningKey, signature::hazmat::PrehashSigner};
        let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let msg = b"cove";
        let sig: k256::ecdsa::Signature = sk.sign_prehash(&types::sha256(msg)).unwrap();
        let sig = sig.normalize_s().unwrap_or(sig);
        let vk = sk.verifying_key();
        for pk in [vk.to_encoded_point(true), vk.to_encoded_point(false)] {
            assert!(verify(msg, &sig.to_bytes(), pk.as_bytes()));
            assert!(!verify(b"other", &sig.to_bytes(), pk.as_bytes()));
        }
        // The same signature with s negated (high-S) is refused.
        let (r, s) = sig.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
        assert!(!verify(msg, &high.to_bytes(), vk.to_encoded_point(true).as_bytes()));
    }

    #[test]
    fn unknown_key_lengths_are_invalid() {
        assert!(!verify(b"m", &[0; 64], &[0; 31]));
        assert!(!verify(b"m", &[0; 64], &[]));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
}
