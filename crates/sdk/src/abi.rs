//! The ABI custom section: what [`entry_points!`](crate::entry_points) embeds in a
//! module so that tools can encode arguments and decode results without the source.
//!
//! The section is named [`SECTION`] (`cove_abi`). It holds UTF-8 JSON Lines, one line
//! per entry point, in declaration order:
//!
//! ```text
//! {"name":"transfer","args":[{"name":"to","type":"Address"},{"name":"amount","type":"u64"}],"result":"()"}
//! ```
//!
//! Types are written as in the Rust signature with all whitespace removed (`Vec<String>`,
//! `Option<(Address,u64)>`, `[u8;32]`, `()` when nothing is returned). The names the
//! SDK's encoding defines are `u8`…`u128`, `i8`…`i128`, `bool`, `Address`, `String`,
//! `Vec<T>`, `Option<T>`, `[u8;N]`, tuples and `()` (`docs/sdk.md`); a path
//! (`alloc::string::String`) keeps its path, and a type of the contract's own is named
//! as declared, which a tool that does not know it must refuse. Several `entry_points!`
//! invocations in one module concatenate their lines (the linker joins custom sections
//! of one name). The bytes are computed at compile time: no code, no gas.

/// The name of the custom section.
pub const SECTION: &str = "cove_abi";

/// One entry point as the macro declares it.
#[derive(Debug, Clone, Copy)]
pub struct EntryPoint {
    /// The export's name.
    pub name: &'static str,
    /// Each argument's name and type, as written.
    pub args: &'static [(&'static str, &'static str)],
    /// The result type as written, `()` if none.
    pub result: &'static str,
}

/// Writes `byte` at `pos` if there is room; the next position either way.
const fn put(out: &mut [u8], pos: usize, byte: u8) -> usize {
    if pos < out.len() {
        out[pos] = byte;
    }
    pos + 1
}

/// Writes `text` at `pos`, without whitespace if `squeeze`.
const fn put_str(out: &mut [u8], mut pos: usize, text: &str, squeeze: bool) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(squeeze && bytes[i].is_ascii_whitespace()) {
            pos = put(out, pos, bytes[i]);
        }
        i += 1;
    }
    pos
}

/// Renders `entries` into `out` (as much as fits) and returns the full length.
const fn render(entries: &[EntryPoint], out: &mut [u8]) -> usize {
    let mut pos = 0;
    let mut e = 0;
    while e < entries.len() {
        let entry = &entries[e];
        pos = put_str(out, pos, "{\"name\":\"", false);
        pos = put_str(out, pos, entry.name, true);
        pos = put_str(out, pos, "\",\"args\":[", false);
        let mut a = 0;
        while a < entry.args.len() {
            if a > 0 {
                pos = put(out, pos, b',');
            }
            pos = put_str(out, pos, "{\"name\":\"", false);
            pos = put_str(out, pos, entry.args[a].0, true);
            pos = put_str(out, pos, "\",\"type\":\"", false);
            pos = put_str(out, pos, entry.args[a].1, true);
            pos = put_str(out, pos, "\"}", false);
            a += 1;
        }
        pos = put_str(out, pos, "],\"result\":\"", false);
        pos = put_str(out, pos, entry.result, true);
        pos = put_str(out, pos, "\"}\n", false);
        e += 1;
    }
    pos
}

/// The length of the section's bytes for `entries`.
pub const fn len(entries: &[EntryPoint]) -> usize {
    render(entries, &mut [])
}

/// The section's bytes for `entries`; `N` must be [`len`]`(entries)`.
pub const fn bytes<const N: usize>(entries: &[EntryPoint]) -> [u8; N] {
    let mut out = [0u8; N];
    let written = render(entries, &mut out);
    assert!(written == N, "the ABI section's length is not len(entries)");
    out
}

/// The type name of a result: `()` when the signature has none.
#[doc(hidden)]
#[macro_export]
macro_rules! __cove_result_type {
    () => {
        "()"
    };
    ($ret:ty) => {
        stringify!($ret)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &[EntryPoint] = &[
        EntryPoint { name: "transfer", args: &[("to", "Address"), ("amount", "u64")], result: "()" },
        EntryPoint { name: "tally", args: &[], result: "Vec < u64 >" },
        EntryPoint { name: "vote_of", args: &[("voter", "Address")], result: "Option< (u32, u64) >" },
    ];
    const LEN: usize = len(TOKEN);
    static SECTION_BYTES: [u8; LEN] = bytes(TOKEN);

    #[test]
    fn one_json_line_per_entry_point_with_squeezed_types() {
        let text = core::str::from_utf8(&SECTION_BYTES).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"name":"transfer","args":[{"name":"to","type":"Address"},{"name":"amount","type":"u64"}],"result":"()"}"#,
                "\n",
                r#"{"name":"tally","args":[],"result":"Vec<u64>"}"#,
                "\n",
                r#"{"name":"vote_of","args":[{"name":"voter","type":"Address"}],"result":"Option<(u32,u64)>"}"#,
                "\n",
            )
        );
    }

    #[test]
    fn the_result_macro_names_unit_when_there_is_none() {
        assert_eq!(crate::__cove_result_type!(), "()");
        assert_eq!(crate::__cove_result_type!(Option<u32>), "Option<u32>");
    }
}
