//! The on-disk artifact format: a fixed header that names exactly what the machine code
//! was compiled from, then wasmtime's serialized module. Layout and history in
//! `docs/cache.md`.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "COVEMOD\0"
//!      8     4  format version, u32 little-endian (FORMAT_VERSION)
//!     12    32  key: SHA-256(code id ++ engine artifact fingerprint)
//!     44     8  payload length, u64 little-endian
//!     52     4  CRC-32 of the payload, u32 little-endian
//!     56     …  payload: wasmtime's serialized module
//! ```
//!
//! Invariant: [`decode`] returns a payload only if every header field matches what the
//! reader expects and the payload matches its checksum, so a truncated, corrupted or
//! foreign file is never handed to wasmtime.
//!
//! Why CRC-32 and not a cryptographic hash: the key (SHA-256) already makes a file from
//! another code, engine or configuration a miss, and the length catches truncation; the
//! checksum is left to catch bit rot in the payload, the job CRC-32 does for zip, gzip
//! and ext4 (every burst of up to 32 flipped bits, and all but 2^-32 of random damage).
//! It runs at memory speed, where SHA-256 cost ~0.9 ms of a 1.2 MB artifact's ~2 ms load
//! (docs/benchmarks.md). It is no defence against someone who can write the data
//! directory, and is not meant to be (docs/cache.md).

use sha2::{Digest, Sha256};
use types::CodeId;

/// First bytes of every artifact file.
pub const MAGIC: [u8; 8] = *b"COVEMOD\0";

/// Version of the file layout above. Bump it when the layout changes; history in
/// `docs/cache.md`.
pub const FORMAT_VERSION: u32 = 1;

/// Bytes before the payload.
pub const HEADER_LEN: usize = 8 + 4 + 32 + 8 + 4;

/// The key of `code`'s artifact on an engine with artifact fingerprint `fingerprint`
/// ([`wasm::Engine::artifact_fingerprint`], which covers the tier, the engine and every
/// configuration value that changes the compiled code).
pub(crate) fn key(code: &CodeId, fingerprint: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(code.0);
    h.update(fingerprint);
    h.finalize().into()
}

/// A complete artifact file for `payload` under `key`.
pub(crate) fn encode(key: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of `file` if it is an intact artifact with key `key`; otherwise why not.
pub(crate) fn decode<'a>(key: &[u8; 32], file: &'a [u8]) -> Result<&'a [u8], String> {
    if file.len() < HEADER_LEN {
        return Err(format!("{} bytes: shorter than the {HEADER_LEN}-byte header", file.len()));
    }
    let (header, payload) = file.split_at(HEADER_LEN);
    if header[..8] != MAGIC {
        return Err("not a cove artifact (bad magic)".into());
    }
    let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(format!("format version {version}, expected {FORMAT_VERSION}"));
    }
    if header[12..44] != key[..] {
        return Err("compiled for another code, engine, tier or configuration".into());
    }
    let len = u64::from_le_bytes(header[44..52].try_into().expect("8 bytes"));
    if len != payload.len() as u64 {
        return Err(format!("payload is {} bytes, header says {len}", payload.len()));
    }
    if crc32fast::hash(payload).to_le_bytes() != header[52..56] {
        return Err("payload checksum mismatch".into());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_kind_of_damage() {
        let key = key(&CodeId([7; 32]), &[1; 32]);
        let file = encode(&key, b"machine code");
        assert_eq!(decode(&key, &file), Ok(&b"machine code"[..]));

        let other = super::key(&CodeId([7; 32]), &[2; 32]);
        assert!(decode(&other, &file).unwrap_err().contains("another"));
        for cut in [0, 10, HEADER_LEN, file.len() - 1] {
            assert!(decode(&key, &file[..cut]).is_err(), "truncated at {cut}");
        }
        for at in [0, 9, 20, 47, 53, 57, file.len() - 1] {
            let mut bad = file.clone();
            bad[at] ^= 1;
            assert!(decode(&key, &bad).is_err(), "flipped byte {at}");
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(decode(&key, &longer).is_err());
    }
}
