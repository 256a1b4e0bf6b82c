//! The dev accounts are those of the standard test mnemonic, derived here.

use cove_node::DEV_ACCOUNTS;
use hmac::{Hmac, Mac};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{Scalar, SecretKey};
use sha2_0_10::Sha512;

const MNEMONIC: &str = "test test test test test test test test test test test junk";

fn hmac512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// BIP-39's seed: PBKDF2-HMAC-SHA512, 2,048 rounds, salt "mnemonic", one 64-byte block.
fn seed(mnemonic: &str) -> [u8; 64] {
    let mut u = hmac512(mnemonic.as_bytes(), &[b"mnemonic", &1u32.to_be_bytes()]);
    let mut out = u;
    for _ in 1..2048 {
        u = hmac512(mnemonic.as_bytes(), &[&u]);
        out.iter_mut().zip(u).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// BIP-32 private derivation along `path` (an index ≥ 2^31 is hardened).
fn derive(seed: &[u8], path: &[u32]) -> SecretKey {
    let i = hmac512(b"Bitcoin seed", &[seed]);
    let (mut key, mut chain) = (SecretKey::from_slice(&i[..32]).expect("key"), i[32..].to_vec());
    for &n in path {
        let i = if n >= 1 << 31 {
            hmac512(&chain, &[&[0], &key.to_bytes(), &n.to_be_bytes()])
        } else {
            let point = key.public_key().to_encoded_point(true);
            hmac512(&chain, &[point.as_bytes(), &n.to_be_bytes()])
        };
        let tweak = SecretKey::from_slice(&i[..32]).expect("tweak below the group order");
        let sum: Scalar = *tweak.to_nonzero_scalar() + *key.to_nonzero_scalar();
        key = SecretKey::from_bytes(&sum.to_bytes()).expect("child key");
        chain = i[32..].to_vec();
    }
    key
}

#[test]
fn the_dev_accounts_derive_from_the_test_mnemonic() {
    let seed = seed(MNEMONIC);
    const H: u32 = 1 << 31;
    for (i, (address, key)) in DEV_ACCOUNTS.iter().enumerate() {
        let derived = derive(&seed, &[44 | H, 60 | H, H, 0, i as u32]);
        assert_eq!(hex::encode(derived.to_bytes()), *key, "key {i}");
        let signing = k256::ecdsa::SigningKey::from(&derived);
        let a = alloy_primitives::Address::from_public_key(signing.verifying_key());
        assert_eq!(hex::encode(a), *address, "address {i}");
    }
}
