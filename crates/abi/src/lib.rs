//! JSON arguments and results for contracts built with cove-sdk (`docs/sdk.md`).
//!
//! Such a module carries a `cove_abi` custom section: one JSON line per entry point with
//! its arguments' names and types and its result type. This crate reads it, parses the
//! type names, encodes a JSON object of arguments into the SDK's encoding and decodes
//! return bytes into JSON. It owns only that translation: it runs nothing, reads no
//! state and knows no caller (the CLI's `--args` and the node's `cove_call` both use
//! it). Every error is an [`AbiError`], raised before anything runs.

use serde::Deserialize;
use serde_json::{Value, json};

/// The custom section cove-sdk writes (`cove_sdk::abi::SECTION`).
pub const SECTION: &str = "cove_abi";

/// The deepest nesting of `Vec`, `Option`, arrays and tuples a type may have.
pub const MAX_TYPE_DEPTH: usize = 32;

/// The most items a `Vec` of a zero-size type may decode to (its count is not bounded
/// by the bytes left).
pub const MAX_EMPTY_ITEMS: u32 = 65_536;

/// Why a module's ABI, a call's arguments or its result could not be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AbiError {
    /// The module has no `cove_abi` section: it was not built with cove-sdk.
    #[error("the contract's module has no {SECTION} section (it was not built with cove-sdk)")]
    NoSection,
    /// The ABI has no entry point of that name.
    #[error("the contract's ABI has no entry point `{method}`; it has: {}", available.join(", "))]
    UnknownMethod {
        /// The name asked for.
        method: String,
        /// The entry points the ABI lists.
        available: Vec<String>,
    },
    /// A type name outside the SDK's encoding (a type the contract encodes itself).
    #[error("ABI type `{ty}`: `{path}` is not a type of the SDK's encoding (docs/sdk.md)")]
    UnsupportedType {
        /// The whole type name.
        ty: String,
        /// The part that is not a type of the encoding.
        path: String,
    },
    /// The section or a type name in it is malformed.
    #[error("{0}")]
    Section(String),
    /// The arguments do not match the entry point's.
    #[error("{0}")]
    Args(String),
    /// The return bytes do not decode as the result type.
    #[error("{0}")]
    Result(String),
}

type Result<T, E = AbiError> = std::result::Result<T, E>;

fn malformed(message: String) -> AbiError {
    AbiError::Section(message)
}

/// A type of the SDK's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `u8`…`u128` (`signed: false`) or `i8`…`i128`, by width in bytes.
    Int {
        /// 1, 2, 4, 8 or 16.
        bytes: usize,
        /// Two's complement.
        signed: bool,
    },
    /// `bool`: one byte, 0 or 1.
    Bool,
    /// `Address`: 20 bytes.
    Address,
    /// `String`: a u32 length, then UTF-8.
    String,
    /// `[u8; N]`.
    Bytes(usize),
    /// `Vec<T>`: a u32 count, then the items.
    Vec(Box<Type>),
    /// `Option<T>`: a tag byte (0 or 1), then the value.
    Option(Box<Type>),
    /// A tuple; `()` is the empty one.
    Tuple(Vec<Type>),
}

impl Type {
    /// Parses a type name as the ABI writes it (whitespace is ignored).
    pub fn parse(name: &str) -> Result<Type> {
        let squeezed: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        let mut parser = Parser { text: &squeezed, pos: 0 };
        let ty = parser.ty(0)?;
        if parser.pos != squeezed.len() {
            return Err(malformed(format!("unknown ABI type `{name}`")));
        }
        Ok(ty)
    }

    /// The fewest bytes a value of this type encodes to.
    fn min_len(&self) -> usize {
        match self {
            Type::Int { bytes, .. } => *bytes,
            Type::Bool | Type::Option(_) => 1,
            Type::Address => 20,
            Type::String | Type::Vec(_) => 4,
            Type::Bytes(n) => *n,
            Type::Tuple(items) => items.iter().map(Type::min_len).sum(),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn eat(&mut self, token: &str) -> bool {
        let found = self.text[self.pos..].starts_with(token);
        if found {
            self.pos += token.len();
        }
        found
    }

    fn expect(&mut self, token: &str) -> Result<()> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(malformed(format!("ABI type `{}`: expected `{token}` at byte {}", self.text, self.pos)))
        }
    }

    fn ty(&mut self, depth: usize) -> Result<Type> {
        if depth > MAX_TYPE_DEPTH {
            return Err(malformed(format!("ABI type `{}` nests deeper than {MAX_TYPE_DEPTH}", self.text)));
        }
        if self.eat("(") {
            let mut items = Vec::new();
            while !self.eat(")") {
                items.push(self.ty(depth + 1)?);
                if !self.eat(",") {
                    self.expect(")")?;
                    break;
                }
            }
            return Ok(Type::Tuple(items));
        }
        if self.eat("[u8;") {
            let digits = self.text[self.pos..].bytes().take_while(u8::is_ascii_digit).count();
            let n = self.text[self.pos..self.pos + digits]
                .parse()
                .map_err(|_| malformed(format!("ABI type `{}`: bad array length", self.text)))?;
            self.pos += digits;
            self.expect("]")?;
            return Ok(Type::Bytes(n));
        }
        // A path names its last segment: `alloc::string::String` is `String`.
        let end = self.text[self.pos..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(self.text.len(), |i| self.pos + i);
        let path = &self.text[self.pos..end];
        let name = path.rsplit("::").next().unwrap_or(path);
        self.pos = end;
        let int = |bytes, signed| Ok(Type::Int { bytes, signed });
        match name {
            "u8" => int(1, false),
            "u16" => int(2, false),
            "u32" => int(4, false),
            "u64" => int(8, false),
            "u128" => int(16, false),
            "i8" => int(1, true),
            "i16" => int(2, true),
            "i32" => int(4, true),
            "i64" => int(8, true),
            "i128" => int(16, true),
            "bool" => Ok(Type::Bool),
            "Address" => Ok(Type::Address),
            "String" => Ok(Type::String),
            "Vec" | "Option" => {
                self.expect("<")?;
                let inner = Box::new(self.ty(depth + 1)?);
                self.expect(">")?;
                Ok(if name == "Vec" { Type::Vec(inner) } else { Type::Option(inner) })
            }
            _ => Err(AbiError::UnsupportedType { ty: self.text.to_string(), path: path.to_string() }),
        }
    }
}

/// One line of the section.
#[derive(Debug, Deserialize)]
struct RawEntry {
    name: String,
    args: Vec<RawArg>,
    result: String,
}

#[derive(Debug, Deserialize)]
struct RawArg {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

/// An entry point with parsed types.
#[derive(Debug)]
pub struct EntryPoint {
    /// Its name, the export a call names.
    pub name: String,
    /// Its arguments' names and types, in order.
    pub args: Vec<(String, Type)>,
    /// The type of its return bytes.
    pub result: Type,
}

/// The entry points of a module's ABI section, or `None` if it has none.
pub fn entry_points(module: &[u8]) -> Result<Option<Vec<EntryPoint>>> {
    let mut text = None::<String>;
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| malformed(format!("reading the module's sections: {e}")))?;
        if let wasmparser::Payload::CustomSection(section) = payload
            && section.name() == SECTION
        {
            let data = std::str::from_utf8(section.data())
                .map_err(|_| malformed(format!("the {SECTION} section is not UTF-8")))?;
            text.get_or_insert_with(String::new).push_str(data);
        }
    }
    text.map(|t| parse_entries(&t)).transpose()
}

/// The entry points of an ABI section's text: one JSON object per line,
/// `{"name", "args": [{"name", "type"}], "result"}` (`docs/sdk.md`).
pub fn parse_entries(text: &str) -> Result<Vec<EntryPoint>> {
    let mut entries = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let raw: RawEntry = serde_json::from_str(line)
            .map_err(|e| malformed(format!("the {SECTION} section has a bad line ({e}): {line}")))?;
        let args = raw.args.into_iter().map(|a| Ok((a.name, Type::parse(&a.ty)?))).collect::<Result<_>>()?;
        entries.push(EntryPoint { name: raw.name, args, result: Type::parse(&raw.result)? });
    }
    Ok(entries)
}

/// `method` among `entries`.
pub fn find_entry(entries: Vec<EntryPoint>, method: &str) -> Result<EntryPoint> {
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    entries
        .into_iter()
        .find(|e| e.name == method)
        .ok_or_else(|| AbiError::UnknownMethod { method: method.to_string(), available: names })
}

/// The entry point `method` of `module`'s ABI.
pub fn entry_point(module: &[u8], method: &str) -> Result<EntryPoint> {
    let Some(entries) = entry_points(module)? else {
        return Err(AbiError::NoSection);
    };
    find_entry(entries, method)
}

impl EntryPoint {
    /// Encodes `args`, a JSON object with exactly one member per argument.
    pub fn encode_args(&self, args: &Value) -> Result<Vec<u8>> {
        let Value::Object(members) = args else {
            return Err(AbiError::Args(format!(
                "--args for `{}` must be a JSON object, {}",
                self.name,
                self.signature()
            )));
        };
        if let Some(extra) = members.keys().find(|k| !self.args.iter().any(|(name, _)| name == *k)) {
            return Err(AbiError::Args(format!(
                "`{}` takes no argument `{extra}`: {}",
                self.name,
                self.signature()
            )));
        }
        let mut out = Vec::new();
        for (name, ty) in &self.args {
            let value = members
                .get(name)
                .ok_or_else(|| AbiError::Args(format!("missing argument `{name}`: {}", self.signature())))?;
            encode(ty, value, &mut out).map_err(|e| AbiError::Args(format!("argument `{name}`: {e}")))?;
        }
        Ok(out)
    }

    /// Decodes the return bytes as the result type.
    pub fn decode_result(&self, bytes: &[u8]) -> Result<Value> {
        let mut reader = bytes;
        let value = decode(&self.result, &mut reader)
            .map_err(|e| AbiError::Result(format!("the result of `{}` does not decode: {e}", self.name)))?;
        if !reader.is_empty() {
            return Err(AbiError::Result(format!(
                "the result of `{}` has {} bytes left over",
                self.name,
                reader.len()
            )));
        }
        Ok(value)
    }

    /// The entry point as a line of the ABI section has it, types in their canonical
    /// names ([`parse_entries`] reads it back).
    pub fn to_json(&self) -> Value {
        let args: Vec<Value> =
            self.args.iter().map(|(n, t)| serde_json::json!({"name": n, "type": type_name(t)})).collect();
        serde_json::json!({"name": self.name, "args": args, "result": type_name(&self.result)})
    }

    fn signature(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|(n, t)| format!("\"{n}\": {}", type_name(t))).collect();
        format!("expected {{{}}}", args.join(", "))
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Int { bytes, signed } => format!("{}{}", if *signed { "i" } else { "u" }, bytes * 8),
        Type::Bool => "bool".into(),
        Type::Address => "Address".into(),
        Type::String => "String".into(),
        Type::Bytes(n) => format!("[u8; {n}]"),
        Type::Vec(t) => format!("Vec<{}>", type_name(t)),
        Type::Option(t) => format!("Option<{}>", type_name(t)),
        Type::Tuple(items) => format!("({})", items.iter().map(type_name).collect::<Vec<_>>().join(", ")),
    }
}

/// Hex with an optional `0x`, exactly `len` bytes.
fn hex_bytes(value: &Value, len: Option<usize>, what: &str) -> Result<Vec<u8>, String> {
    let Value::String(s) = value else { return Err(format!("expected {what} as a hex string, got {value}")) };
    let bytes =
        hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| format!("{what}: bad hex ({e})"))?;
    match len {
        Some(n) if bytes.len() != n => Err(format!("{what} is {n} bytes, got {}", bytes.len())),
        _ => Ok(bytes),
    }
}

fn encode(ty: &Type, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match ty {
        Type::Int { bytes, signed } => {
            let name = type_name(ty);
            let bits = (*bytes * 8) as u32;
            let bad = || format!("expected an integer ({name}), got {value}");
            let out_of_range = |n: &dyn std::fmt::Display| format!("{n} is out of range for {name}");
            if *signed {
                let n: i128 = match value {
                    Value::Number(n) => {
                        n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)).ok_or_else(bad)?
                    }
                    Value::String(s) => s.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                };
                if bits < 128 && !(-(1i128 << (bits - 1))..(1i128 << (bits - 1))).contains(&n) {
                    return Err(out_of_range(&n));
                }
                out.extend_from_slice(&n.to_le_bytes()[..*bytes]);
            } else {
                let u: u128 = match value {
                    Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                        (Some(u), _) => u128::from(u),
                        (None, Some(negative)) => return Err(out_of_range(&negative)),
                        (None, None) => return Err(bad()),
                    },
                    Value::String(s) => s.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                };
                if bits < 128 && u >> bits != 0 {
                    return Err(out_of_range(&u));
                }
                out.extend_from_slice(&u.to_le_bytes()[..*bytes]);
            }
        }
        Type::Bool => match value {
            Value::Bool(b) => out.push(u8::from(*b)),
            _ => return Err(format!("expected true or false, got {value}")),
        },
        Type::Address => out.extend(hex_bytes(value, Some(20), "an address")?),
        Type::Bytes(n) => out.extend(hex_bytes(value, Some(*n), &format!("a [u8; {n}]"))?),
        Type::String => match value {
            Value::String(s) => {
                let len = u32::try_from(s.len()).map_err(|_| "string too long".to_string())?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            _ => return Err(format!("expected a string, got {value}")),
        },
        Type::Vec(item) => {
            // Bytes may also be given as hex.
            if let (Type::Int { bytes: 1, signed: false }, Value::String(_)) = (item.as_ref(), value) {
                let bytes = hex_bytes(value, None, "a Vec<u8>")?;
                out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                out.extend(bytes);
                return Ok(());
            }
            let Value::Array(items) = value else { return Err(format!("expected an array, got {value}")) };
            let len = u32::try_from(items.len()).map_err(|_| "array too long".to_string())?;
            out.extend_from_slice(&len.to_le_bytes());
            for (i, v) in items.iter().enumerate() {
                encode(item, v, out).map_err(|e| format!("[{i}]: {e}"))?;
            }
        }
        Type::Option(inner) => match value {
            Value::Null => out.push(0),
            v => {
                out.push(1);
                encode(inner, v, out)?;
            }
        },
        Type::Tuple(items) => match value {
            Value::Null if items.is_empty() => {}
            Value::Array(values) if values.len() == items.len() => {
                for (i, (t, v)) in items.iter().zip(values).enumerate() {
                    encode(t, v, out).map_err(|e| format!("[{i}]: {e}"))?;
                }
            }
            _ => {
                return Err(format!(
                    "expected an array of {} items for {}, got {value}",
                    items.len(),
                    type_name(ty)
                ));
            }
        },
    }
    Ok(())
}

fn take<'a>(reader: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if reader.len() < n {
        return Err(format!("{} bytes left, {n} needed", reader.len()));
    }
    let (head, rest) = reader.split_at(n);
    *reader = rest;
    Ok(head)
}

fn decode(ty: &Type, reader: &mut &[u8]) -> Result<Value, String> {
    Ok(match ty {
        Type::Int { bytes, signed } => {
            let raw = take(reader, *bytes)?;
            let mut buf = [0u8; 16];
            buf[..*bytes].copy_from_slice(raw);
            if *signed && raw[*bytes - 1] & 0x80 != 0 {
                buf[*bytes..].fill(0xff);
            }
            let (u, i) = (u128::from_le_bytes(buf), i128::from_le_bytes(buf));
            match (*bytes, *signed) {
                (16, false) => json!(u.to_string()),
                (16, true) => json!(i.to_string()),
                (_, false) => json!(u as u64),
                (_, true) => json!(i as i64),
            }
        }
        Type::Bool => match take(reader, 1)?[0] {
            0 => json!(false),
            1 => json!(true),
            b => return Err(format!("bool byte {b}")),
        },
        Type::Address => json!(format!("0x{}", hex::encode(take(reader, 20)?))),
        Type::Bytes(n) => json!(format!("0x{}", hex::encode(take(reader, *n)?))),
        Type::String => {
            let len = u32::from_le_bytes(take(reader, 4)?.try_into().unwrap_or_default()) as usize;
            let bytes = take(reader, len)?;
            json!(std::str::from_utf8(bytes).map_err(|_| "a string is not UTF-8".to_string())?)
        }
        Type::Vec(item) => {
            let count = u32::from_le_bytes(take(reader, 4)?.try_into().unwrap_or_default());
            let min = item.min_len();
            if (min == 0 && count > MAX_EMPTY_ITEMS) || (count as usize).saturating_mul(min) > reader.len() {
                return Err(format!("a count of {count} does not fit the {} bytes left", reader.len()));
            }
            Value::Array((0..count).map(|_| decode(item, reader)).collect::<Result<_, _>>()?)
        }
        Type::Option(inner) => match take(reader, 1)?[0] {
            0 => Value::Null,
            1 => decode(inner, reader)?,
            b => return Err(format!("option tag {b}")),
        },
        Type::Tuple(items) if items.is_empty() => Value::Null,
        Type::Tuple(items) => {
            Value::Array(items.iter().map(|t| decode(t, reader)).collect::<Result<_, _>>()?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(args: &[(&str, &str)], result: &str) -> EntryPoint {
        EntryPoint {
            name: "f".into(),
            args: args.iter().map(|(n, t)| (n.to_string(), Type::parse(t).unwrap())).collect(),
            result: Type::parse(result).unwrap(),
        }
    }

    #[test]
    fn parses_every_type_of_the_encoding() {
        assert_eq!(Type::parse("u64").unwrap(), Type::Int { bytes: 8, signed: false });
        assert_eq!(Type::parse("alloc::string::String").unwrap(), Type::String);
        assert_eq!(Type::parse("Option< (Address, [u8; 32]) >").unwrap().min_len(), 1);
        assert_eq!(
            Type::parse("Vec<(u8,i128,)>").unwrap(),
            Type::Vec(Box::new(Type::Tuple(vec![
                Type::Int { bytes: 1, signed: false },
                Type::Int { bytes: 16, signed: true }
            ])))
        );
        assert_eq!(Type::parse("()").unwrap(), Type::Tuple(vec![]));
        for bad in ["Balance", "Vec<u8", "u64>", "[u16;2]", "(u8 u8)", ""] {
            assert!(Type::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}u8{}", "Vec<".repeat(MAX_TYPE_DEPTH), ">".repeat(MAX_TYPE_DEPTH));
        assert!(Type::parse(&ok).is_ok());
        let deep = format!("{}u8{}", "Vec<".repeat(MAX_TYPE_DEPTH + 1), ">".repeat(MAX_TYPE_DEPTH + 1));
        assert!(Type::parse(&deep).unwrap_err().to_string().contains("nests deeper"));
    }

    #[test]
    fn encodes_json_arguments_as_the_sdk_does() {
        let transfer = entry(&[("to", "Address"), ("amount", "u64")], "()");
        let to = format!("0x{}", "ab".repeat(20));
        let bytes = transfer.encode_args(&json!({"to": to, "amount": 250})).unwrap();
        assert_eq!(bytes, [vec![0xab; 20], 250u64.to_le_bytes().to_vec()].concat());
        let init = entry(&[("name", "String"), ("options", "Vec<String>"), ("limit", "Option<u128>")], "()");
        let bytes = init.encode_args(
            &json!({"name": "é", "options": ["a"], "limit": "340282366920938463463374607431768211455"}),
        );
        let expected =
            [&[2, 0, 0, 0, 0xc3, 0xa9][..], &[1, 0, 0, 0, 1, 0, 0, 0, b'a'], &[1], &[0xff; 16]].concat();
        assert_eq!(bytes.unwrap(), expected);
        let signed = entry(&[("x", "i16"), ("h", "[u8;2]"), ("v", "Vec<u8>")], "()");
        assert_eq!(
            signed.encode_args(&json!({"x": -2, "h": "0x0102", "v": "ff"})).unwrap(),
            [0xfe, 0xff, 1, 2, 1, 0, 0, 0, 0xff]
        );
    }

    #[test]
    fn a_wrong_argument_is_a_clear_usage_error() {
        let transfer = entry(&[("to", "Address"), ("amount", "u64")], "()");
        let to = format!("0x{}", "00".repeat(20));
        for (args, message) in [
            (json!({"to": to, "amount": "lots"}), "argument `amount`: expected an integer"),
            (json!({"to": to, "amount": -1}), "argument `amount`: -1 is out of range for u64"),
            (json!({"to": "0x12", "amount": 1}), "argument `to`: an address is 20 bytes, got 1"),
            (json!({"to": to}), "missing argument `amount`"),
            (json!({"to": to, "amount": 1, "memo": "x"}), "takes no argument `memo`"),
            (json!([to, 1]), "must be a JSON object"),
        ] {
            let e = transfer.encode_args(&args).unwrap_err();
            assert!(matches!(e, AbiError::Args(_)), "{e:?}");
            assert!(e.to_string().contains(message), "{e} / {message}");
        }
        let small = entry(&[("x", "u8"), ("y", "i8")], "()");
        assert!(
            small
                .encode_args(&json!({"x": 256, "y": 0}))
                .unwrap_err()
                .to_string()
                .contains("out of range for u8")
        );
        assert!(
            small
                .encode_args(&json!({"x": 0, "y": -129}))
                .unwrap_err()
                .to_string()
                .contains("out of range for i8")
        );
    }

    #[test]
    fn decodes_results_to_json() {
        let cases = [
            ("u64", 900u64.to_le_bytes().to_vec(), json!(900)),
            ("i32", (-5i32).to_le_bytes().to_vec(), json!(-5)),
            ("u128", u128::MAX.to_le_bytes().to_vec(), json!(u128::MAX.to_string())),
            ("String", vec![2, 0, 0, 0, b'h', b'i'], json!("hi")),
            ("Vec<u64>", [&[2, 0, 0, 0][..], &[1; 8], &[0; 8]].concat(), json!([72340172838076673u64, 0])),
            ("Option<u32>", vec![0], Value::Null),
            (
                "Option<(Address,bool)>",
                [&[1][..], &[0xaa; 20], &[1]].concat(),
                json!([format!("0x{}", "aa".repeat(20)), true]),
            ),
            ("()", vec![], Value::Null),
        ];
        for (ty, bytes, expected) in cases {
            assert_eq!(entry(&[], ty).decode_result(&bytes).unwrap(), expected, "{ty}");
        }
        assert!(entry(&[], "u64").decode_result(&[1, 2]).is_err());
        assert!(entry(&[], "u8").decode_result(&[1, 2]).unwrap_err().to_string().contains("left over"));
        let huge = entry(&[], "Vec<u64>").decode_result(&[0xff, 0xff, 0xff, 0xff, 1]);
        assert!(huge.unwrap_err().to_string().contains("does not fit"));
        let most = entry(&[], "Vec<()>").decode_result(&MAX_EMPTY_ITEMS.to_le_bytes()).unwrap();
        assert_eq!(most.as_array().map(Vec::len), Some(MAX_EMPTY_ITEMS as usize));
        let empty = entry(&[], "Vec<()>").decode_result(&(MAX_EMPTY_ITEMS + 1).to_le_bytes());
        assert!(empty.unwrap_err().to_string().contains("does not fit"));
    }

    #[test]
    fn a_module_without_the_section_is_told_apart() {
        let module = wat::parse_str("(module)").unwrap();
        assert!(entry_points(&module).unwrap().is_none());
        assert_eq!(entry_point(&module, "x").unwrap_err(), AbiError::NoSection);
    }

    #[test]
    fn an_unknown_entry_point_lists_the_others() {
        let line = r#"{"name":"get","args":[],"result":"u64"}"#;
        let module =
            wat::parse_str(format!("(module (@custom \"{SECTION}\" \"{}\"))", line.replace('"', "\\\"")))
                .unwrap();
        let e = entry_point(&module, "put").unwrap_err();
        assert_eq!(e, AbiError::UnknownMethod { method: "put".into(), available: vec!["get".into()] });
        assert_eq!(entry_point(&module, "get").unwrap().result, Type::Int { bytes: 8, signed: false });
    }

    #[test]
    fn a_type_outside_the_encoding_is_named() {
        let e = Type::parse("Vec<Balance>").unwrap_err();
        assert_eq!(e, AbiError::UnsupportedType { ty: "Vec<Balance>".into(), path: "Balance".into() });
    }

    #[test]
    fn an_entry_point_reads_back_from_its_json() {
        let text = r#"{"name":"swap","args":[{"name":"to","type":"Address"},{"name":"amounts","type":"Vec<(u64, Option<i128>)>"},{"name":"memo","type":"[u8; 4]"}],"result":"(bool, String)"}"#;
        let entries = parse_entries(text).expect("parse");
        let lines: Vec<String> = entries.iter().map(|e| e.to_json().to_string()).collect();
        let again = parse_entries(&lines.join("\n")).expect("again");
        assert_eq!(again.len(), 1);
        assert_eq!(
            (&again[0].name, &again[0].args, &again[0].result),
            (&entries[0].name, &entries[0].args, &entries[0].result)
        );
        let e = find_entry(again, "mint").expect_err("unknown");
        assert!(e.to_string().contains("swap"), "{e}");
    }
}
