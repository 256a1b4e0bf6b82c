//! Published secp256r1 vectors, embedded as literals, with the codes cosmwasm-crypto
//! 2.3.5 gives for them (checked against it).

use sha2::{Digest, Sha256};

use crate::crypto::{
    GENERIC_ERR, INVALID, INVALID_HASH_FORMAT, INVALID_PUBKEY_FORMAT, INVALID_SIGNATURE_FORMAT, VALID,
};

use super::*;
use crate::crypto::INVALID_RECOVERY_PARAM;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// NIST CAVP 186-4 `SigGen.txt`, `[P-256,SHA-256]`, first vector (its S is high).
struct Nist {
    hash: Vec<u8>,
    sig: Vec<u8>,
    pk: Vec<u8>,
}

fn nist() -> Nist {
    let msg = h("5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf416983fe165b1a045ee2bcd2e6\
                 dca3bdf46c4310a7461f9a37960ca672d3feb5473e253605fb1ddfd28065b53cb5858a8ad28175bf9bd386a5e47\
                 1ea7a65c17cc934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0debd97d79ce8");
    let qx = "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83";
    let qy = "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9";
    let r = "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac";
    let s = "8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903";
    Nist { hash: Sha256::digest(&msg).to_vec(), sig: h(&format!("{r}{s}")), pk: h(&format!("04{qx}{qy}")) }
}

#[test]
fn nist_vector_verifies_in_every_key_encoding_and_both_s() {
    let v = nist();
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &v.pk), VALID);
    // Qy is odd: the compressed key starts with 03.
    let compressed = [&[0x03], &v.pk[1..33]].concat();
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &compressed), VALID);
    // The vector's S is high; its low twin n - S is valid too (cosmwasm-crypto normalises).
    let low_s = h("740887e535fa594e879389d9d408c8e2cd4f4894bda8872ab6ebf098305d9c4e");
    let low = [&v.sig[..32], &low_s[..]].concat();
    assert_eq!(secp256r1_verify(&v.hash, &low, &v.pk), VALID);
}

#[test]
fn nist_vector_tampered_is_invalid() {
    let v = nist();
    let mut hash = v.hash.clone();
    hash[0] ^= 1;
    assert_eq!(secp256r1_verify(&hash, &v.sig, &v.pk), INVALID);
    let mut sig = v.sig.clone();
    sig[40] ^= 1;
    assert_eq!(secp256r1_verify(&v.hash, &sig, &v.pk), INVALID);
    let other = [&[0x02], &v.pk[1..33]].concat(); // the key's negation
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &other), INVALID);
}

#[test]
fn malformed_inputs_give_cosmwasm_codes() {
    let v = nist();
    assert_eq!(secp256r1_verify(&v.hash[..31], &v.sig, &v.pk), INVALID_HASH_FORMAT);
    assert_eq!(secp256r1_verify(&[v.hash.clone(), vec![0]].concat(), &v.sig, &v.pk), INVALID_HASH_FORMAT);
    assert_eq!(secp256r1_verify(&v.hash, &v.sig[..63], &v.pk), INVALID_SIGNATURE_FORMAT);
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &v.pk[..64]), INVALID_PUBKEY_FORMAT);
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &[]), INVALID_PUBKEY_FORMAT);
    let mut prefix = v.pk.clone();
    prefix[0] = 0x05;
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &prefix), INVALID_PUBKEY_FORMAT);
    let compressed_65 = [&[0x02], &v.pk[1..]].concat();
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &compressed_65), INVALID_PUBKEY_FORMAT);
    // Right shape, not a point on the curve.
    let mut off_curve = v.pk.clone();
    off_curve[64] ^= 1;
    assert_eq!(secp256r1_verify(&v.hash, &v.sig, &off_curve), GENERIC_ERR);
    // r = 0, and s = n (the group order): not a signature.
    let zero_r = [&[0u8; 32][..], &v.sig[32..]].concat();
    assert_eq!(secp256r1_verify(&v.hash, &zero_r, &v.pk), GENERIC_ERR);
    let n = h("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let s_is_n = [&v.sig[..32], &n[..]].concat();
    assert_eq!(secp256r1_verify(&v.hash, &s_is_n, &v.pk), GENERIC_ERR);
    assert_eq!(secp256r1_recover(&v.hash, &s_is_n, 0), Err(GENERIC_ERR));
}

#[test]
fn recovery_finds_the_nist_key() {
    let v = nist();
    let found: Vec<u8> =
        (0..4).filter(|&id| secp256r1_recover(&v.hash, &v.sig, id).as_deref() == Ok(&v.pk[..])).collect();
    assert_eq!(found.len(), 1, "exactly one recovery id gives the signer");
    assert_eq!(secp256r1_recover(&v.hash, &v.sig, 4), Err(INVALID_RECOVERY_PARAM));
    assert_eq!(secp256r1_recover(&v.hash, &v.sig, 255), Err(INVALID_RECOVERY_PARAM));
    assert_eq!(secp256r1_recover(&v.hash[..31], &v.sig, 0), Err(INVALID_HASH_FORMAT));
    assert_eq!(secp256r1_recover(&v.hash, &v.sig[..63], 0), Err(INVALID_SIGNATURE_FORMAT));
}

/// Project Rooterberg `ecdsa_secp256r1_sha_256_raw.json` (v0.34), tcId 1: the empty
/// message, recovery id 1.
#[test]
fn rooterberg_recovery() {
    let hash = Sha256::digest(b"").to_vec();
    let sig = h("1aed68d0defeb7aa8143aed4f5969e872f9a7d00ef524a552b72c8d9a30256c0\
                 70d6dd0ecee8dc2ecf9d8968d7fbb01c2eb62997ffa4936ccb946adabf7a0ea3");
    let pk = h("0478d7ebd671ff11457b9029420fa4ae9c1952bdc3f466e9ddd67d0dcf5ff4cac2\
                d7f9fd5fdc2f7809a06bb1bb76cc9bdfda34e3877e7791e37f61cee905001827");
    assert_eq!(secp256r1_verify(&hash, &sig, &pk), VALID);
    assert_eq!(secp256r1_recover(&hash, &sig, 1), Ok(pk.clone()));
    assert_ne!(secp256r1_recover(&hash, &sig, 0), Ok(pk));
}

/// Rooterberg tcId 25, "R: x-coordinate close to p (Could not recover R)": invalid, and
/// recovery with its id (2, x reduced) fails.
#[test]
fn rooterberg_unrecoverable_r() {
    let hash = Sha256::digest(b"Test").to_vec();
    let sig = h("000000000000000000000000000000004319055358e8617b0c46353d039cdaac\
                 14f9d5b0aa8902335126115bf781e1fa75e276fbf231fc21655f4698c4f5dc4c");
    let pk = h("0481e106207a350a3f55e0a08e85e7f0bc88eb08f74e79fa283b9c4c1a7c85de8e\
                85845f67feb3892331862e203c857a6d1cfe3f5fb5cc7a857fc91593e507c8d3");
    assert_eq!(secp256r1_verify(&hash, &sig, &pk), INVALID);
    assert_eq!(secp256r1_recover(&hash, &sig, 2), Err(GENERIC_ERR));
}
