//! BLS12-381 (`bls12_381_aggregate_g1/g2`, `bls12_381_pairing_equality`,
//! `bls12_381_hash_to_g1/g2`) on arkworks 0.6, as cosmwasm-crypto 2.3.5 computes them on
//! arkworks 0.4.
//!
//! Points are in the compressed ZCash encoding (48 bytes in G1, 96 in G2) and must be
//! in the prime-order subgroup. One difference between the two arkworks versions is
//! visible to contracts and is undone here: arkworks 0.4 reads *any* compressed
//! encoding with the infinity flag as the identity (ignoring the sort flag and the
//! remaining bits), 0.6 only the canonical `c0 00 … 00`. cove follows 0.4, because
//! cosmwasm-vm 2.3.5 does. Hash-to-curve is RFC 9380's `…XMD:SHA-256_SSWU_RO_`
//! with the caller's DST (longer than 255 bytes is hashed, as the RFC says).

use ark_bls12_381::{Bls12_381, g1, g2};
use ark_ec::CurveGroup;
use ark_ec::hashing::HashToCurve;
use ark_ec::hashing::curve_maps::wb::{WBConfig, WBMap};
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::pairing::Pairing;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ff::Zero;
use ark_ff::field_hashers::DefaultFieldHasher;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{
    AGGREGATE_EMPTY, AGGREGATE_NOT_MULTIPLE, GENERIC_ERR, INVALID, INVALID_POINT, PAIRING_NOT_MULTIPLE_G1,
    PAIRING_NOT_MULTIPLE_G2, PAIRING_UNEQUAL_POINT_AMOUNT, UNKNOWN_HASH_FUNCTION, VALID,
};

/// A compressed G1 point (cosmwasm-core `BLS12_381_G1_POINT_LEN`: 48).
pub(crate) const G1_POINT_LEN: usize = 48;
/// A compressed G2 point (cosmwasm-core `BLS12_381_G2_POINT_LEN`: 96).
pub(crate) const G2_POINT_LEN: usize = 96;
/// The one hash function of `bls12_381_hash_to_*` (cosmwasm-crypto `HashFunction::Sha256`).
const HASH_FUNCTION_SHA256: u32 = 0;

/// The compression flag and the infinity flag of the first byte.
const COMPRESSED_INFINITY: u8 = 0b1100_0000;

/// Reads one compressed point of `len` bytes, checked to be in the subgroup.
fn point<P: SWCurveConfig>(bytes: &[u8], len: usize) -> Result<Affine<P>, u32> {
    if bytes.len() != len {
        return Err(INVALID_POINT);
    }
    // arkworks 0.4 (so cosmwasm-vm) returns the identity for any such encoding.
    if bytes[0] & COMPRESSED_INFINITY == COMPRESSED_INFINITY {
        return Ok(Affine::identity());
    }
    Affine::<P>::deserialize_compressed(bytes).map_err(|_| INVALID_POINT)
}

fn compressed<P: SWCurveConfig, const N: usize>(p: Affine<P>) -> Result<[u8; N], u32> {
    let mut out = [0u8; N];
    p.serialize_compressed(&mut out[..]).map_err(|_| GENERIC_ERR)?;
    Ok(out)
}

/// The sum of `points` (concatenated compressed points of `N` bytes).
fn aggregate<P: SWCurveConfig, const N: usize>(points: &[u8]) -> Result<[u8; N], u32> {
    if points.is_empty() {
        return Err(AGGREGATE_EMPTY);
    }
    if !points.len().is_multiple_of(N) {
        return Err(AGGREGATE_NOT_MULTIPLE);
    }
    let mut sum = Projective::<P>::zero();
    for chunk in points.chunks_exact(N) {
        sum += point::<P>(chunk, N)?;
    }
    compressed::<P, N>(sum.into_affine())
}

/// The sum of 48-byte G1 points: `Ok` with the point, or an error code (`14` none,
/// `15` not a multiple of 48, `8` a bad point).
pub(crate) fn aggregate_g1(points: &[u8]) -> Result<[u8; G1_POINT_LEN], u32> {
    aggregate::<g1::Config, G1_POINT_LEN>(points)
}

/// The sum of 96-byte G2 points, as [`aggregate_g1`].
pub(crate) fn aggregate_g2(points: &[u8]) -> Result<[u8; G2_POINT_LEN], u32> {
    aggregate::<g2::Config, G2_POINT_LEN>(points)
}

/// Whether `e(p₁, q₁) · … · e(pₙ, qₙ) = e(r, s)` for the G1 points `ps` and the G2
/// points `qs`: `0` if equal, `1` if not, else an error code (`11`/`12` a list not a
/// multiple of the point size, `13` lists of unequal length, `8` a bad point, or an
/// `r`/`s` of the wrong length).
pub(crate) fn pairing_equality(ps: &[u8], qs: &[u8], r: &[u8], s: &[u8]) -> u32 {
    if !ps.len().is_multiple_of(G1_POINT_LEN) {
        return PAIRING_NOT_MULTIPLE_G1;
    }
    if !qs.len().is_multiple_of(G2_POINT_LEN) {
        return PAIRING_NOT_MULTIPLE_G2;
    }
    if ps.len() / G1_POINT_LEN != qs.len() / G2_POINT_LEN {
        return PAIRING_UNEQUAL_POINT_AMOUNT;
    }
    let pairs = || -> Result<(Vec<_>, Vec<_>), u32> {
        let n = ps.len() / G1_POINT_LEN + 1;
        let (mut left, mut right) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (p, q) in ps.chunks_exact(G1_POINT_LEN).zip(qs.chunks_exact(G2_POINT_LEN)) {
            left.push(point::<g1::Config>(p, G1_POINT_LEN)?);
            right.push(point::<g2::Config>(q, G2_POINT_LEN)?);
        }
        // e(-r, s) on the left makes the product one exactly when the two sides are equal.
        left.push(-point::<g1::Config>(r, G1_POINT_LEN)?);
        right.push(point::<g2::Config>(s, G2_POINT_LEN)?);
        Ok((left, right))
    };
    match pairs() {
        Ok((left, right)) => {
            if Bls12_381::multi_pairing(left, right).is_zero() {
                VALID
            } else {
                INVALID
            }
        }
        Err(code) => code,
    }
}

type Hasher<P> = MapToCurveBasedHasher<Projective<P>, DefaultFieldHasher<sha2_0_10::Sha256>, WBMap<P>>;

fn hash_to<P: WBConfig, const N: usize>(hash_function: u32, msg: &[u8], dst: &[u8]) -> Result<[u8; N], u32> {
    if hash_function != HASH_FUNCTION_SHA256 {
        return Err(UNKNOWN_HASH_FUNCTION);
    }
    // Neither step can fail for these curves (cosmwasm-crypto unwraps both); an error
    // would be a bug in arkworks, reported to the contract rather than a panic.
    let point = Hasher::<P>::new(dst).and_then(|h| h.hash(msg)).map_err(|_| GENERIC_ERR)?;
    compressed::<P, N>(point)
}

/// Hashes `msg` to G1 with the domain separation tag `dst` (RFC 9380,
/// `BLS12381G1_XMD:SHA-256_SSWU_RO_`): the compressed point, or `9` if `hash_function`
/// is not `0` (SHA-256).
pub(crate) fn hash_to_g1(hash_function: u32, msg: &[u8], dst: &[u8]) -> Result<[u8; G1_POINT_LEN], u32> {
    hash_to::<g1::Config, G1_POINT_LEN>(hash_function, msg, dst)
}

/// Hashes `msg` to G2, as [`hash_to_g1`] (`BLS12381G2_XMD:SHA-256_SSWU_RO_`).
pub(crate) fn hash_to_g2(hash_function: u32, msg: &[u8], dst: &[u8]) -> Result<[u8; G2_POINT_LEN], u32> {
    hash_to::<g2::Config, G2_POINT_LEN>(hash_function, msg, dst)
}

#[cfg(test)]
mod tests;
