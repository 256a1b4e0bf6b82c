//! The Solidity ABI of the cross-VM precompile (`cross.rs`): decoding its calldata,
//! `call(address target, string entry, bytes input)`, and encoding its `bytes` result
//! and its refusals (`Error(string)`). Strict: anything but the canonical encoding's
//! shape (a known selector, in-bounds offsets and lengths, a clean address word, a
//! UTF-8 entry point) is refused, never guessed at.

/// `bytes4(keccak256("call(address,string,bytes)"))`.
pub const CALL_SELECTOR: [u8; 4] = [0x95, 0x82, 0xe3, 0x34];

/// `bytes4(keccak256("Error(string)"))`, Solidity's revert reason.
const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];

/// A decoded `call(address,string,bytes)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallArgs {
    pub(crate) target: [u8; 20],
    pub(crate) entry: String,
    pub(crate) input: Vec<u8>,
}

/// Decodes the precompile's calldata; `None` if it is not `call(address,string,bytes)`.
pub(crate) fn decode_call(data: &[u8]) -> Option<CallArgs> {
    let body = data.strip_prefix(&CALL_SELECTOR[..])?;
    let address = body.get(..32)?;
    if address[..12].iter().any(|b| *b != 0) {
        return None;
    }
    let entry = dynamic(body, 1)?;
    let input = dynamic(body, 2)?;
    Some(CallArgs {
        target: address[12..].try_into().ok()?,
        entry: String::from_utf8(entry.to_vec()).ok()?,
        input: input.to_vec(),
    })
}

/// Argument `index` of `body` (the calldata without its selector) when it is dynamic
/// (`string`, `bytes`): its head word is an offset to a length word and the bytes.
fn dynamic(body: &[u8], index: usize) -> Option<&[u8]> {
    let offset = word(body, index * 32)?;
    let len = word(body, offset)?;
    let start = offset.checked_add(32)?;
    body.get(start..start.checked_add(len)?)
}

/// The 32-byte big-endian word at byte `at`, if it fits a `usize` (larger offsets and
/// lengths cannot be in bounds anyway).
fn word(body: &[u8], at: usize) -> Option<usize> {
    let w = body.get(at..at.checked_add(32)?)?;
    if w[..24].iter().any(|b| *b != 0) {
        return None;
    }
    usize::try_from(u64::from_be_bytes(w[24..].try_into().ok()?)).ok()
}

/// `bytes` as a function's only return value: offset 32, length, data padded to words.
pub(crate) fn encode_bytes(data: &[u8]) -> Vec<u8> {
    let padded = data.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(64 + padded);
    out.extend_from_slice(&u256(32));
    out.extend_from_slice(&u256(data.len()));
    out.extend_from_slice(data);
    out.resize(64 + padded, 0);
    out
}

/// Solidity's `Error(string)` revert data for `reason`.
pub(crate) fn error_string(reason: &str) -> Vec<u8> {
    let mut out = ERROR_SELECTOR.to_vec();
    out.extend_from_slice(&encode_bytes(reason.as_bytes()));
    out
}

fn u256(v: usize) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&(v as u64).to_be_bytes());
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What solc emits for `call(target, entry, input)`.
    fn encode_call(target: [u8; 20], entry: &str, input: &[u8]) -> Vec<u8> {
        let mut out = CALL_SELECTOR.to_vec();
        let mut address = [0u8; 32];
        address[12..].copy_from_slice(&target);
        out.extend_from_slice(&address);
        let entry_tail = encode_bytes(entry.as_bytes())[32..].to_vec();
        out.extend_from_slice(&u256(96));
        out.extend_from_slice(&u256(96 + entry_tail.len()));
        out.extend_from_slice(&entry_tail);
        out.extend_from_slice(&encode_bytes(input)[32..]);
        out
    }

    #[test]
    fn the_selector_is_the_keccak_of_the_signature() {
        let hash = revm::primitives::keccak256(b"call(address,string,bytes)");
        assert_eq!(hash[..4], CALL_SELECTOR);
        let hash = revm::primitives::keccak256(b"Error(string)");
        assert_eq!(hash[..4], ERROR_SELECTOR);
    }

    #[test]
    fn a_canonical_call_decodes() {
        let data = encode_call([7; 20], "transfer", &[1; 40]);
        let args = decode_call(&data).expect("decodes");
        assert_eq!(args, CallArgs { target: [7; 20], entry: "transfer".into(), input: vec![1; 40] });
        let empty = decode_call(&encode_call([0; 20], "", &[])).expect("empty strings decode");
        assert_eq!((empty.entry.as_str(), empty.input.len()), ("", 0));
    }

    #[test]
    fn a_malformed_call_is_refused_never_panics() {
        let good = encode_call([7; 20], "transfer", &[1; 40]);
        for cut in 0..good.len() - 32 {
            assert_eq!(decode_call(&good[..cut]), None, "cut at {cut}");
        }
        let mut dirty = good.clone();
        dirty[4] = 1;
        assert_eq!(decode_call(&dirty), None, "an address word with high bytes set");
        let mut other = good.clone();
        other[0] ^= 1;
        assert_eq!(decode_call(&other), None, "another selector");
        let mut far = good.clone();
        far[4 + 32 + 24..4 + 64].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode_call(&far), None, "an offset past the data");
        let mut long = good.clone();
        long[4 + 96 + 24..4 + 128].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode_call(&long), None, "a length past the data");
        let mut not_utf8 = good;
        not_utf8[4 + 128] = 0xff;
        assert_eq!(decode_call(&not_utf8), None, "an entry point that is not UTF-8");
    }

    #[test]
    fn bytes_and_reasons_encode_as_solidity_does() {
        assert_eq!(encode_bytes(&[]), [u256(32), u256(0)].concat());
        let one = encode_bytes(&[0xab]);
        assert_eq!(one.len(), 96);
        assert_eq!((one[63], one[64], one[65]), (1, 0xab, 0));
        assert_eq!(encode_bytes(&[1; 32]).len(), 96);
        let reason = error_string("nope");
        assert_eq!(reason[..4], ERROR_SELECTOR);
        assert_eq!(crate::revert_reason(&reason), Some("nope".into()));
    }
}
