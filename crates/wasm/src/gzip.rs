//! Gzip-compressed code: a module uploaded compressed (as wasmd accepts) is inflated
//! before validation, with a bounded output.
//!
//! Inflating streams through a bounded reader: the output is refused as soon as it
//! would pass the limit, and never allocated past it, so a small input that inflates
//! to gigabytes (a gzip bomb) costs at most the limit in memory. It must not validate
//! the inflated bytes (validation does, as for any module) nor know where code is stored.

use std::borrow::Cow;
use std::io::Read;

use types::{CallError, ErrorKind};

/// The first two bytes of every gzip stream (RFC 1952): no WASM module starts with them
/// (a module starts with `\0asm`).
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether `code` is gzip-compressed (starts with [`GZIP_MAGIC`]).
pub fn is_gzip(code: &[u8]) -> bool {
    code.starts_with(&GZIP_MAGIC)
}

/// `code` itself if it is not gzip-compressed; else its inflated bytes (the first gzip
/// member, its CRC and length checked), refused with kind `validation` if they would
/// pass `max_len` bytes (the configured `max_code_bytes`) or the stream is malformed.
pub fn inflate(code: &[u8], max_len: usize) -> Result<Cow<'_, [u8]>, CallError> {
    if !is_gzip(code) {
        return Ok(Cow::Borrowed(code));
    }
    let invalid = |m: String| CallError::new(ErrorKind::Validation, m);
    let mut decoder = flate2::read::GzDecoder::new(code);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => return Ok(Cow::Owned(out)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(invalid(format!("the gzip-compressed code does not inflate: {e}"))),
        };
        let len = out.len() + n;
        if len > max_len {
            return Err(invalid(format!(
                "the gzip-compressed code inflates to more than {max_len} bytes (max_code_bytes)"
            )));
        }
        if len > out.capacity() {
            // Grow by doubling, but never past the limit.
            let target = len.max(out.capacity() * 2).min(max_len);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_code_passes_through_untouched() {
        let module = b"\0asm\x01\0\0\0";
        assert!(matches!(inflate(module, 4).unwrap(), Cow::Borrowed(b) if b == module));
    }

    #[test]
    fn compressed_code_inflates_up_to_the_limit() {
        let module: Vec<u8> = (0..100_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let packed = gzip(&module);
        assert!(is_gzip(&packed));
        assert_eq!(inflate(&packed, module.len()).unwrap().as_ref(), &module[..]);
        let e = inflate(&packed, module.len() - 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert!(e.message.contains("more than"), "{}", e.message);
    }

    #[test]
    fn a_bomb_is_refused_at_the_limit() {
        // 8 MiB of zeros compress to about 8 KiB; the limit is 1 MiB.
        let bomb = gzip(&vec![0u8; 8 << 20]);
        assert!(bomb.len() < 16 * 1024, "{}", bomb.len());
        let e = inflate(&bomb, 1 << 20).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
    }

    #[test]
    fn a_damaged_stream_is_a_validation_failure() {
        let mut packed = gzip(b"\0asm\x01\0\0\0 and more bytes to compress");
        let at = packed.len() - 6;
        packed[at] ^= 0xff; // the CRC
        assert_eq!(inflate(&packed, 1 << 20).unwrap_err().kind, ErrorKind::Validation);
        assert_eq!(inflate(&GZIP_MAGIC, 1 << 20).unwrap_err().kind, ErrorKind::Validation);
    }
}
