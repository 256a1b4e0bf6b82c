//! The panic handler of a contract: the call ends with kind `aborted` and the message
//! `panicked at FILE:LINE:COLUMN: MESSAGE`.
//!
//! The message is formatted into a fixed 512-byte buffer on the stack, cut at a
//! character boundary if longer, so a panic never allocates (the panic may be an
//! allocation failure) and never exceeds cove's 1 KiB `MAX_ABORT_MSG_LEN`.

use core::fmt;

/// Bytes of a panic message kept.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) const MAX_PANIC_MSG_LEN: usize = 512;

/// A `fmt::Write` into a fixed buffer that drops what does not fit, whole characters only.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) struct Truncating {
    bytes: [u8; MAX_PANIC_MSG_LEN],
    len: usize,
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
impl Truncating {
    pub(crate) const fn new() -> Self {
        Self { bytes: [0; MAX_PANIC_MSG_LEN], len: 0 }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole UTF-8 characters are ever copied in (`write_str`).
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("panicked")
    }
}

impl fmt::Write for Truncating {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MAX_PANIC_MSG_LEN - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

#[cfg(all(target_arch = "wasm32", feature = "panic-handler"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use fmt::Write;
    let mut text = Truncating::new();
    let _ = match info.location() {
        Some(at) => {
            write!(text, "panicked at {}:{}:{}: {}", at.file(), at.line(), at.column(), info.message())
        }
        None => write!(text, "panicked: {}", info.message()),
    };
    crate::host::abort(text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use fmt::Write;

    #[test]
    fn keeps_short_messages_whole() {
        let mut text = Truncating::new();
        write!(text, "panicked at {}:{}: {}", file!(), 3, "boom").unwrap();
        assert_eq!(text.as_str(), concat!("panicked at ", file!(), ":3: boom"));
    }

    #[test]
    fn cuts_long_messages_at_a_character_boundary() {
        let mut text = Truncating::new();
        let long: String = core::iter::repeat_n('é', MAX_PANIC_MSG_LEN).collect();
        write!(text, "x{long}").unwrap();
        // One byte of 'x', then whole two-byte characters: 511 bytes, never a split one.
        assert_eq!(text.as_str().len(), MAX_PANIC_MSG_LEN - 1);
        assert!(text.as_str().ends_with('é'));
    }
}
