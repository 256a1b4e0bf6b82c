//! Published BLS12-381 vectors, embedded as literals: RFC 9380 appendix J
//! (hash-to-curve) and the Ethereum consensus-spec BLS tests (`bls-tests`, as vendored
//! in cosmwasm-crypto 2.3.5's `testdata`), with the codes cosmwasm-crypto gives.

use super::*;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.trim_start_matches("0x")).unwrap()
}

/// The proof-of-possession ciphersuite's DST, which the Ethereum vectors sign with.
const POP_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// The generator of G1, compressed.
const G1_GENERATOR: &str =
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";

fn identity(len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0] = 0xc0;
    p
}

/// RFC 9380 J.9.1 and J.10.1, msg "abc" (the expected points compressed, as
/// cosmwasm-crypto's own tests have them).
#[test]
fn hash_to_curve_rfc9380() {
    let g1 = hash_to_g1(0, b"abc", b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_").unwrap();
    let want =
        "83567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903";
    assert_eq!(hex::encode(g1), want);
    let g2 = hash_to_g2(0, b"abc", b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_").unwrap();
    let want = "939cddbccdc5e91b9623efd38c49f81a6f83f175e80b06fc374de9eb4b41dfe4ca3a230ed250fbe3a2acf73a41177fd8\
                02c2d18e033b960562aae3cab37a27ce00d80ccd5ba4b7fe0e7a210245129dbec7780ccc7954725f4168aff2787776e6";
    assert_eq!(hex::encode(g2), want);
}

/// RFC 9380 J.9.1, msg "": P.x = 052926ad…, P.y = 08ba7384… (y is the smaller root,
/// so only the compression flag is set).
#[test]
fn hash_to_g1_empty_message_rfc9380() {
    let g1 = hash_to_g1(0, b"", b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_").unwrap();
    let want =
        "852926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1";
    assert_eq!(hex::encode(g1), want);
}

#[test]
fn unknown_hash_function() {
    assert_eq!(hash_to_g1(1, b"abc", b"dst"), Err(UNKNOWN_HASH_FUNCTION));
    assert_eq!(hash_to_g2(u32::MAX, b"abc", b"dst"), Err(UNKNOWN_HASH_FUNCTION));
}

/// A DST over 255 bytes is hashed first (RFC 9380 5.3.3), as arkworks 0.4 did: the
/// expected point is cosmwasm-crypto 2.3.5's `bls12_381_hash_to_g1(Sha256, b"abc",
/// &[b'x'; 300])` (RFC 9380 has no hash-to-curve vector with a long DST).
#[test]
fn hash_to_curve_long_dst_matches_cosmwasm_crypto() {
    let dst = [b'x'; 300];
    let g1 = hash_to_g1(0, b"abc", &dst).unwrap();
    assert_eq!(hex::encode(g1), LONG_DST_G1);
    assert_ne!(g1, hash_to_g1(0, b"abc", &dst[..255]).unwrap());
}
const LONG_DST_G1: &str =
    "b510c7d6213ea8775e7288fa791281d98e6567b981663cd4ec1d04d2ca1410655dfc57c2a606c4530fd177957e024ac4";

/// `aggregate/aggregate_0x0000…0000.json`: three G2 signatures and their sum.
#[test]
fn aggregate_g2_eth_vector() {
    let sigs = [
        "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb515809\
         0352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55",
        "b23c46be3a001c63ca711f87a005c200cc550b9429d5f4eb38d74322144f1b63926da3388979e5321012fb1a0526bcd1\
         00b5ef5fe72628ce4cd5e904aeaa3279527843fae5ca9ca675f4f51ed8f83bbf7155da9ecc9663100a885d5dc6df96d9",
        "948a7cb99f76d616c2c564ce9bf4a519f1bea6b0a624a02276443c245854219fabb8d4ce061d255af5330b078d538068\
         1751aa7053da2c98bae898edc218c75f07e24d8802a17cd1f6833b71e58f5eb5b94208b4d0bb3848cecb075ea21be115",
    ];
    let want = "9683b3e6701f9a4b706709577963110043af78a5b41991b998475a3d3fd62abf35ce03b33908418efc95a058494a8ae5\
                04354b9f626231f6b3f3c849dfdeaf5017c4780e2aee1850ceaf4b4d9ce70971a3d2cfcd97b7e5ecf6759f8da5f76d31";
    let all: Vec<u8> = sigs.iter().flat_map(|s| h(s)).collect();
    assert_eq!(hex::encode(aggregate_g2(&all).unwrap()), want);
    // `aggregate_infinity_signature.json` and `aggregate_na_signatures.json`.
    assert_eq!(aggregate_g2(&identity(96)).unwrap().to_vec(), identity(96));
    assert_eq!(aggregate_g2(&[]), Err(AGGREGATE_EMPTY));
    assert_eq!(aggregate_g2(&all[..95]), Err(AGGREGATE_NOT_MULTIPLE));
}

/// `deserialization_G1/*.json` and `deserialization_G2/*.json`, read through
/// aggregation of one point. The non-canonical infinity encodings the spec rejects are
/// the identity in cosmwasm-vm 2.3.5 (arkworks 0.4), so here too.
#[test]
fn point_encodings_eth_vectors() {
    let correct =
        "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a";
    assert_eq!(hex::encode(aggregate_g1(&h(correct)).unwrap()), correct);
    assert_eq!(aggregate_g1(&identity(48)).unwrap().to_vec(), identity(48));
    let invalid = [
        // infinity_with_false_b_flag: x = 0 is on the curve but not in G1
        "800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        // not_in_G1, not_in_curve
        "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde0",
        // with_wrong_c_flag (uncompressed)
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        // x_equal_to_modulus, x_greater_than_modulus
        "9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
        "9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaac",
    ];
    for p in invalid {
        assert_eq!(aggregate_g1(&h(p)), Err(INVALID_POINT), "{p}");
    }
    // too_few_bytes / too_many_bytes: not a multiple of 48.
    assert_eq!(aggregate_g1(&h(&correct[..94])), Err(AGGREGATE_NOT_MULTIPLE));
    let lenient = [
        // infinity_with_true_b_flag, with_b_flag_and_a_flag_true, with_b_flag_and_x_nonzero
        "c01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "e00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "c123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ];
    for p in lenient {
        assert_eq!(aggregate_g1(&h(p)).unwrap().to_vec(), identity(48), "{p}");
    }
    // G2: correct point, not_in_G2, xre_equal_to_modulus, infinity_with_true_b_flag.
    let correct = "b2cc74bc9f089ed9764bbceac5edba416bef5e73701288977b9cac1ccb6964269d4ebf78b4e8aa7792ba09d3e49c8e6a\
                   1351bdf582971f796bbaf6320e81251c9d28f674d720cca07ed14596b96697cf18238e0e03ebd7fc1353d885a39407e0";
    assert_eq!(hex::encode(aggregate_g2(&h(correct)).unwrap()), correct);
    let not_in_g2 = "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\
                     0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_eq!(aggregate_g2(&h(not_in_g2)), Err(INVALID_POINT));
    let xre_modulus = "800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
                       1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";
    assert_eq!(aggregate_g2(&h(xre_modulus)), Err(INVALID_POINT));
    let mut lenient = identity(96);
    lenient[1] = 0x10;
    assert_eq!(aggregate_g2(&lenient).unwrap().to_vec(), identity(96));
}

/// P + (-P) is the identity; -P is P with the sort flag flipped.
#[test]
fn aggregate_g1_of_a_point_and_its_negation() {
    let p = h(PUBKEYS[0]);
    let mut minus_p = p.clone();
    minus_p[0] ^= 0x20;
    assert_eq!(aggregate_g1(&[p.clone(), minus_p].concat()).unwrap().to_vec(), identity(48));
    assert_eq!(aggregate_g1(&[p.clone(), identity(48)].concat()).unwrap().to_vec(), p);
    assert_eq!(aggregate_g1(&[]), Err(AGGREGATE_EMPTY));
    assert_eq!(aggregate_g1(&[p.clone(), vec![0]].concat()), Err(AGGREGATE_NOT_MULTIPLE));
    assert_eq!(aggregate_g1(&[p, vec![0; 48]].concat()), Err(INVALID_POINT));
}

/// The three public keys of `fast_aggregate_verify_valid_3d7576f3c0e3570a.json`.
const PUBKEYS: [&str; 3] = [
    "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a",
    "b301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c6a6a580217bf81",
    "b53d21a4cfd562c469cc81514d4ce5a6b577d8403d32a394dc265dd190b47fa9f829fdd7963afdf972e5e77854051f6f",
];

/// `fast_aggregate_verify_*_3d7576f3c0e3570a.json`, as a contract checks it with these
/// functions: aggregate the keys (G1), hash the message (G2), then
/// e(key, H(m)) = e(g1, signature).
#[test]
fn fast_aggregate_verify_eth_vectors() {
    let keys: Vec<u8> = PUBKEYS.iter().flat_map(|k| h(k)).collect();
    let key = aggregate_g1(&keys).unwrap();
    let hashed = hash_to_g2(0, &[0xab; 32], POP_DST).unwrap();
    let sig = h(
        "9712c3edd73a209c742b8250759db12549b3eaf43b5ca61376d9f30e2747dbcf842d8b2ac0901d2a093713e20284a767\
                 0fcf6954e9ab93de991bb9b313e664785a075fc285806fa5224c82bde146561b446ccfc706a64b8579513cfc4ff1d930",
    );
    let g1 = h(G1_GENERATOR);
    assert_eq!(pairing_equality(&key, &hashed, &g1, &sig), VALID);
    // The same check with the keys' pairings listed one by one: e(k1, H) e(k2, H) e(k3, H).
    let three_h = [hashed, hashed, hashed].concat();
    assert_eq!(pairing_equality(&keys, &three_h, &g1, &sig), VALID);
    // Two of the three keys (`extra_pubkey` in reverse): not equal.
    assert_eq!(pairing_equality(&aggregate_g1(&keys[..96]).unwrap(), &hashed, &g1, &sig), INVALID);
    // `tampered_signature`: the last four bytes set to ff, no longer a point.
    let mut tampered = sig.clone();
    tampered[92..].copy_from_slice(&[0xff; 4]);
    assert_eq!(pairing_equality(&key, &hashed, &g1, &tampered), INVALID_POINT);
}

/// `verify_valid_case_195246ee3bd3b6ec.json` and `verify_wrong_pubkey_case_…` (same
/// key and message, another key's signature).
#[test]
fn verify_eth_vectors() {
    let hashed = hash_to_g2(0, &[0xab; 32], POP_DST).unwrap();
    let key = h(PUBKEYS[2]);
    let sig = h(
        "ae82747ddeefe4fd64cf9cedb9b04ae3e8a43420cd255e3c7cd06a8d88b7c7f8638543719981c5d16fa3527c468c25f0\
                 026704a6951bde891360c7e8d12ddee0559004ccdbe6046b55bae1b257ee97f7cdb955773d7cf29adf3ccbb9975e4eb9",
    );
    assert_eq!(pairing_equality(&key, &hashed, &h(G1_GENERATOR), &sig), VALID);
    let wrong = h(
        "9674e2228034527f4c083206032b020310face156d4a4685e2fcaec2f6f3665aa635d90347b6ce124eb879266b1e801d\
                   185de36a0a289b85e9039662634f2eea1e02e670bc7ab849d006a70b2f93b84597558a05b879c8d445f387a5d5b653df",
    );
    assert_eq!(pairing_equality(&key, &hashed, &h(G1_GENERATOR), &wrong), INVALID);
}

#[test]
fn pairing_malformed_lists() {
    let (g1, g2) = (h(G1_GENERATOR), hash_to_g2(0, b"m", POP_DST).unwrap().to_vec());
    assert_eq!(pairing_equality(&g1[..47], &g2, &g1, &g2), PAIRING_NOT_MULTIPLE_G1);
    assert_eq!(pairing_equality(&g1, &g2[..95], &g1, &g2), PAIRING_NOT_MULTIPLE_G2);
    assert_eq!(pairing_equality(&g1, &[], &g1, &g2), PAIRING_UNEQUAL_POINT_AMOUNT);
    assert_eq!(pairing_equality(&g1, &g2, &g1[..47], &g2), INVALID_POINT);
    assert_eq!(pairing_equality(&g1, &g2, &g1, &[]), INVALID_POINT);
    // No pairs on the left: e(r, s) = 1 exactly when r or s is the identity.
    assert_eq!(pairing_equality(&[], &[], &identity(48), &g2), VALID);
    assert_eq!(pairing_equality(&[], &[], &g1, &g2), INVALID);
}
