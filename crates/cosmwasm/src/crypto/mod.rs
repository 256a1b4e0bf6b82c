//! The crypto functions of the CosmWasm API with cosmwasm-crypto 2.3.5's conventions:
//! each returns `0` for valid (or success), `1` for invalid, or one of cosmwasm-crypto's
//! error codes (`CryptoError::code`), which the host hands back to the contract.
//!
//! Each curve is one file. The functions are pure (bytes in, a code or bytes out) and
//! never panic on any input; the host bounds every input's length before calling them.

// ecdsa 0.16 writes its own bounds with generic-array 0.14's (deprecated) `ArrayLength`.
#[expect(deprecated, reason = "the bound ecdsa 0.16 itself requires")]
use ecdsa::elliptic_curve::generic_array::ArrayLength;
use ecdsa::elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
use ecdsa::elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize, PrimeCurve};
use ecdsa::hazmat::VerifyPrimitive;
use ecdsa::signature::hazmat::PrehashVerifier;
use ecdsa::{Signature, SignatureSize, VerifyingKey};

mod bls12_381;
mod ed25519;
mod secp256k1;
mod secp256r1;

pub(crate) use bls12_381::{
    G1_POINT_LEN as BLS12_381_G1_POINT_LEN, G2_POINT_LEN as BLS12_381_G2_POINT_LEN,
    aggregate_g1 as bls12_381_aggregate_g1, aggregate_g2 as bls12_381_aggregate_g2,
    hash_to_g1 as bls12_381_hash_to_g1, hash_to_g2 as bls12_381_hash_to_g2,
    pairing_equality as bls12_381_pairing_equality,
};
pub(crate) use ed25519::{EDDSA_PUBKEY_LEN, EDDSA_SIGNATURE_LEN, ed25519_batch_verify, ed25519_verify};
pub(crate) use secp256k1::{secp256k1_recover, secp256k1_verify};
pub(crate) use secp256r1::{secp256r1_recover, secp256r1_verify};

/// The longest message hash an ECDSA function reads (cosmwasm-crypto
/// `MESSAGE_HASH_MAX_LEN`: 32; any other length is `INVALID_HASH_FORMAT`).
pub(crate) const MESSAGE_HASH_MAX_LEN: usize = 32;
/// The length of an ECDSA signature, `r || s` (cosmwasm-crypto `ECDSA_SIGNATURE_LEN`: 64).
pub(crate) const ECDSA_SIGNATURE_LEN: usize = 64;
/// The longest SEC1 public key, uncompressed (cosmwasm-crypto `ECDSA_PUBKEY_MAX_LEN`: 65).
pub(crate) const ECDSA_PUBKEY_MAX_LEN: usize = 65;

/// Valid signature, equal pairings, or success.
pub(crate) const VALID: u32 = 0;
/// Invalid signature or unequal pairings.
pub(crate) const INVALID: u32 = 1;
// cosmwasm-crypto's `CryptoError::code` values.
pub(crate) const INVALID_HASH_FORMAT: u32 = 3;
pub(crate) const INVALID_SIGNATURE_FORMAT: u32 = 4;
pub(crate) const INVALID_PUBKEY_FORMAT: u32 = 5;
pub(crate) const INVALID_RECOVERY_PARAM: u32 = 6;
pub(crate) const BATCH_ERR: u32 = 7;
pub(crate) const INVALID_POINT: u32 = 8;
pub(crate) const UNKNOWN_HASH_FUNCTION: u32 = 9;
pub(crate) const GENERIC_ERR: u32 = 10;
pub(crate) const PAIRING_NOT_MULTIPLE_G1: u32 = 11;
pub(crate) const PAIRING_NOT_MULTIPLE_G2: u32 = 12;
pub(crate) const PAIRING_UNEQUAL_POINT_AMOUNT: u32 = 13;
pub(crate) const AGGREGATE_EMPTY: u32 = 14;
pub(crate) const AGGREGATE_NOT_MULTIPLE: u32 = 15;

/// ECDSA `verify` over a 32-byte prehash on curve `C` (secp256k1 or secp256r1), as
/// cosmwasm-crypto does it: format checks in its order (hash, signature length, key
/// shape), a high-S signature normalised (accepted), a signature or key that does not
/// decode a generic error. `0` valid, `1` invalid, or an error code.
#[expect(deprecated, reason = "ecdsa 0.16's `ArrayLength` bound")]
pub(super) fn ecdsa_verify<C>(hash: &[u8], sig: &[u8], pk: &[u8]) -> u32
where
    C: PrimeCurve + CurveArithmetic,
    SignatureSize<C>: ArrayLength<u8>,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C> + VerifyPrimitive<C>,
    FieldBytesSize<C>: ModulusSize,
{
    if let Err(code) = ecdsa_recover_shapes(hash, sig) {
        return code;
    }
    if !sec1_shape(pk) {
        return INVALID_PUBKEY_FORMAT;
    }
    let sig = match ecdsa_signature::<C>(sig) {
        Ok(sig) => sig.normalize_s().unwrap_or(sig),
        Err(code) => return code,
    };
    let Ok(key) = VerifyingKey::<C>::from_sec1_bytes(pk) else { return GENERIC_ERR };
    if key.verify_prehash(hash, &sig).is_ok() { VALID } else { INVALID }
}

/// The signature `r || s` on curve `C`: a format error if not 64 bytes, a generic error
/// if `r` or `s` is zero or not below the group order.
#[expect(deprecated, reason = "ecdsa 0.16's `ArrayLength` bound")]
pub(super) fn ecdsa_signature<C>(sig: &[u8]) -> Result<Signature<C>, u32>
where
    C: PrimeCurve + CurveArithmetic,
    SignatureSize<C>: ArrayLength<u8>,
{
    if sig.len() != ECDSA_SIGNATURE_LEN {
        return Err(INVALID_SIGNATURE_FORMAT);
    }
    Signature::<C>::from_slice(sig).map_err(|_| GENERIC_ERR)
}

/// The format checks of both curves' ECDSA `recover`: hash, then signature length.
fn ecdsa_recover_shapes(hash: &[u8], sig: &[u8]) -> Result<(), u32> {
    if hash.len() != MESSAGE_HASH_MAX_LEN {
        return Err(INVALID_HASH_FORMAT);
    }
    if sig.len() != ECDSA_SIGNATURE_LEN {
        return Err(INVALID_SIGNATURE_FORMAT);
    }
    Ok(())
}

/// Whether `pk` has the shape of a SEC1 key: `02`/`03` and 33 bytes, or `04` and 65
/// (cosmwasm-crypto's `check_pubkey`; whether it is a point is checked after).
fn sec1_shape(pk: &[u8]) -> bool {
    match pk.first() {
        Some(0x02 | 0x03) => pk.len() == 33,
        Some(0x04) => pk.len() == 65,
        _ => false,
    }
}
