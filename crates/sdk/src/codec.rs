//! The SDK's one encoding, for entry-point arguments and results, storage values and
//! event data.
//!
//! It is the Borsh subset below: compact, fixed-width, no self-description, so decoding
//! is a few bounds checks and copies (`docs/sdk.md` gives the gas). A value's bytes are
//! its fields in order, nothing between them:
//!
//! | type | bytes |
//! |------|-------|
//! | `u8`…`u128`, `i8`…`i128` | little-endian, fixed width |
//! | `bool` | one byte, 0 or 1 (anything else is refused) |
//! | [`Address`], `[u8; N]` | the bytes themselves, no length |
//! | `String`, `Vec<T>` | `u32` little-endian count, then the UTF-8 bytes / the items |
//! | `Option<T>` | one byte 0 (`None`), or 1 then `T` |
//! | `()`, tuples | nothing / the fields in order |
//!
//! An entry point's arguments are encoded as one tuple, so `transfer(to: Address,
//! amount: u64)` takes exactly 20 + 8 bytes; decoding refuses a short input and trailing
//! bytes. This module must stay free of host calls: it is plain data handling.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::Address;

/// Why bytes did not decode as the type asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes ended before the value did.
    UnexpectedEnd,
    /// Bytes were left after the value.
    TrailingBytes,
    /// A `bool` byte was neither 0 nor 1.
    InvalidBool,
    /// An `Option` tag byte was neither 0 nor 1.
    InvalidOptionTag,
    /// A `String` was not UTF-8.
    InvalidUtf8,
}

impl DecodeError {
    /// A short, fixed message (no formatting code is linked to report it).
    pub const fn message(self) -> &'static str {
        match self {
            Self::UnexpectedEnd => "bad input: too short",
            Self::TrailingBytes => "bad input: trailing bytes",
            Self::InvalidBool => "bad input: bool is not 0 or 1",
            Self::InvalidOptionTag => "bad input: option tag is not 0 or 1",
            Self::InvalidUtf8 => "bad input: string is not UTF-8",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A cursor over bytes being decoded.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The next `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.bytes.len() {
            return Err(DecodeError::UnexpectedEnd);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    #[inline]
    pub fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// How many bytes are left.
    pub const fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Succeeds only if every byte was read.
    #[inline]
    pub const fn finish(self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() { Ok(()) } else { Err(DecodeError::TrailingBytes) }
    }
}

/// A value that writes itself in the SDK's encoding.
///
/// [`encoded_len`](Encode::encoded_len) must be exact: [`encode`](Encode::encode)
/// reserves that much once, so encoding never reallocates (each reallocation copies
/// and costs gas).
pub trait Encode {
    /// The number of bytes [`encode_to`](Encode::encode_to) appends.
    fn encoded_len(&self) -> usize;

    /// Appends the value's bytes to `out`.
    fn encode_to(&self, out: &mut Vec<u8>);

    /// The value's bytes.
    #[inline]
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_to(&mut out);
        out
    }

    /// Runs `f` on the value's bytes. By default the bytes are [`encode`](Encode::encode)d
    /// into a `Vec`; fixed-width types override it to pass their bytes from the stack,
    /// which saves a heap allocation and its copies on every storage write of a number.
    #[inline]
    fn with_encoded<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(&self.encode())
    }
}

/// A value that reads itself from the SDK's encoding.
pub trait Decode: Sized {
    /// Reads one value from the reader, leaving it after the value.
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Decodes exactly `bytes`: a short input or trailing bytes are errors.
    #[inline]
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode_from(&mut reader)?;
        reader.finish()?;
        Ok(value)
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        (**self).encode_to(out);
    }
    #[inline]
    fn with_encoded<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        (**self).with_encoded(f)
    }
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                size_of::<$t>()
            }
            #[inline]
            fn encode_to(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn with_encoded<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
                f(&self.to_le_bytes())
            }
        }
        impl Decode for $t {
            #[inline]
            fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(<$t>::from_le_bytes(reader.take_array()?))
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

impl Encode for bool {
    #[inline]
    fn encoded_len(&self) -> usize {
        1
    }
    #[inline]
    fn with_encoded<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(&[u8::from(*self)])
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Decode for bool {
    #[inline]
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidBool),
        }
    }
}

impl<const N: usize> Encode for [u8; N] {
    #[inline]
    fn encoded_len(&self) -> usize {
        N
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    #[inline]
    fn with_encoded<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

impl<const N: usize> Decode for [u8; N] {
    #[inline]
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.take_array()
    }
}

impl Encode for Address {
    #[inline]
    fn encoded_len(&self) -> usize {
        Address::LEN
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    #[inline]
    fn with_encoded<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(&self.0)
    }
}

impl Decode for Address {
    #[inline]
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.take_array().map(Address)
    }
}

/// Encodes a `u32` count. A count over `u32::MAX` cannot occur in a contract: wasm32
/// memory holds at most 4 GiB, and cove's limits (`docs/abi.md`) far less.
fn encode_len(len: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

fn decode_len(reader: &mut Reader<'_>) -> Result<usize, DecodeError> {
    Ok(u32::decode_from(reader)? as usize)
}

impl Encode for str {
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + self.len()
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
}

impl Encode for String {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.as_str().encoded_len()
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.as_str().encode_to(out);
    }
}

impl Decode for String {
    #[inline]
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = decode_len(reader)?;
        let bytes = reader.take(len)?;
        core::str::from_utf8(bytes).map(String::from).map_err(|_| DecodeError::InvalidUtf8)
    }
}

impl<T: Encode> Encode for [T] {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.iter().fold(4, |len, item| len + item.encoded_len())
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_len(self.len(), out);
        for item in self {
            item.encode_to(out);
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.as_slice().encoded_len()
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.as_slice().encode_to(out);
    }
}

impl<T: Decode> Decode for Vec<T> {
    #[inline]
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = decode_len(reader)?;
        // The count is untrusted: reserve no more than the bytes left could hold.
        let mut items = Vec::with_capacity(len.min(reader.remaining()));
        for _ in 0..len {
            items.push(T::decode_from(reader)?);
        }
        Ok(items)
    }
}

impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        1 + self.as_ref().map_or(0, Encode::encoded_len)
    }
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode_to(out);
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    #[inline]
    fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match reader.take(1)?[0] {
            0 => Ok(None),
            1 => T::decode_from(reader).map(Some),
            _ => Err(DecodeError::InvalidOptionTag),
        }
    }
}

macro_rules! tuple_codec {
    ($($name:ident)*) => {
        impl<$($name: Encode),*> Encode for ($($name,)*) {
            #[inline]
            #[allow(non_snake_case, unused_variables)]
            fn encoded_len(&self) -> usize {
                let ($($name,)*) = self;
                0 $(+ $name.encoded_len())*
            }
            #[inline]
            #[allow(non_snake_case, unused_variables)]
            fn encode_to(&self, out: &mut Vec<u8>) {
                let ($($name,)*) = self;
                $($name.encode_to(out);)*
            }
        }
        impl<$($name: Decode),*> Decode for ($($name,)*) {
            #[allow(unused_variables)]
            #[inline]
            fn decode_from(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(($($name::decode_from(reader)?,)*))
            }
        }
    };
}
tuple_codec!();
tuple_codec!(A);
tuple_codec!(A B);
tuple_codec!(A B C);
tuple_codec!(A B C D);
tuple_codec!(A B C D E);
tuple_codec!(A B C D E F);
tuple_codec!(A B C D E F G);
tuple_codec!(A B C D E F G H);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn round_trip<T: Encode + Decode + PartialEq + fmt::Debug>(value: T, bytes: &[u8]) {
        assert_eq!(value.encode(), bytes, "encoding of {value:?}");
        assert_eq!(value.encoded_len(), bytes.len(), "encoded_len of {value:?}");
        assert_eq!(T::decode(bytes), Ok(value));
    }

    #[test]
    fn layouts_are_the_documented_ones() {
        round_trip(0x0102u16, &[2, 1]);
        round_trip(-2i32, &[0xfe, 0xff, 0xff, 0xff]);
        round_trip(7u64, &[7, 0, 0, 0, 0, 0, 0, 0]);
        round_trip(1u128 << 120, &{
            let mut b = [0u8; 16];
            b[15] = 1;
            b
        });
        round_trip(true, &[1]);
        round_trip(Address([9; 20]), &[9; 20]);
        round_trip([1u8, 2, 3], &[1, 2, 3]);
        round_trip(String::from("hé"), &[3, 0, 0, 0, b'h', 0xc3, 0xa9]);
        round_trip(vec![1u16, 2], &[2, 0, 0, 0, 1, 0, 2, 0]);
        round_trip(Some(5u8), &[1, 5]);
        round_trip(None::<u8>, &[0]);
        round_trip((), &[]);
        round_trip((1u8, Address([2; 20]), 3u64), &{
            let mut b = vec![1u8];
            b.extend_from_slice(&[2; 20]);
            b.extend_from_slice(&3u64.to_le_bytes());
            b
        });
    }

    #[test]
    fn the_token_transfer_arguments_are_recipient_then_amount() {
        let bytes = (Address([0xaa; 20]), 250u64).encode();
        assert_eq!(bytes.len(), 28);
        assert_eq!(&bytes[..20], &[0xaa; 20]);
        assert_eq!(&bytes[20..], &250u64.to_le_bytes());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert_eq!(u64::decode(&[1, 2, 3]), Err(DecodeError::UnexpectedEnd));
        assert_eq!(u8::decode(&[1, 2]), Err(DecodeError::TrailingBytes));
        assert_eq!(bool::decode(&[2]), Err(DecodeError::InvalidBool));
        assert_eq!(Option::<u8>::decode(&[7, 1]), Err(DecodeError::InvalidOptionTag));
        assert_eq!(String::decode(&[2, 0, 0, 0, 0xff, 0xfe]), Err(DecodeError::InvalidUtf8));
        assert_eq!(String::decode(&[9, 0, 0, 0, b'a']), Err(DecodeError::UnexpectedEnd));
        assert_eq!(<()>::decode(&[0]), Err(DecodeError::TrailingBytes));
        assert_eq!(<(Address, u64)>::decode(&[0; 27]), Err(DecodeError::UnexpectedEnd));
    }

    #[test]
    fn a_huge_count_fails_without_reserving_memory_for_it() {
        // u32::MAX items announced, two bytes present: the decode fails at the end of
        // the bytes, having reserved at most two slots.
        assert_eq!(Vec::<u64>::decode(&[0xff, 0xff, 0xff, 0xff, 1, 2]), Err(DecodeError::UnexpectedEnd));
    }

    #[test]
    fn every_error_has_a_bad_input_message() {
        for error in [
            DecodeError::UnexpectedEnd,
            DecodeError::TrailingBytes,
            DecodeError::InvalidBool,
            DecodeError::InvalidOptionTag,
            DecodeError::InvalidUtf8,
        ] {
            assert!(error.message().starts_with("bad input: "), "{error}");
        }
    }
}
