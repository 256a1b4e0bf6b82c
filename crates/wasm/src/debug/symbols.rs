//! The functions of a deployed module as a debugger names them: host functions (its
//! imports) first, then its own, named from its `name` section ([`FunctionNames`]).

use wasmparser::{Parser, Payload, TypeRef};

use crate::profile::FunctionNames;

/// A deployed module's functions: how many are imported (host functions) and what each
/// is called.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    names: FunctionNames,
    imported: u32,
    functions: u32,
}

impl Symbols {
    /// The symbols of `code` (the module as deployed). A malformed module gives what
    /// could be read; this never fails.
    pub fn of(code: &[u8]) -> Symbols {
        let (mut imported, mut defined) = (0u32, 0u32);
        for payload in Parser::new(0).parse_all(code) {
            match payload {
                Ok(Payload::ImportSection(reader)) => {
                    for import in reader.into_imports().flatten() {
                        if matches!(import.ty, TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
                Ok(Payload::FunctionSection(reader)) => defined = reader.count(),
                Err(_) => break,
                _ => {}
            }
        }
        Symbols { names: FunctionNames::of(code), imported, functions: imported.saturating_add(defined) }
    }

    /// How many functions are imported: indices below are host functions.
    pub fn imported(&self) -> u32 {
        self.imported
    }

    /// How many functions the module has, imported ones included.
    pub fn functions(&self) -> u32 {
        self.functions
    }

    /// Whether `func` is a host function.
    pub fn is_host(&self, func: u32) -> bool {
        func < self.imported
    }

    /// The name of `func`: `func[N]` when the module gives none.
    pub fn name(&self, func: u32) -> String {
        self.names.name(func)
    }

    /// The functions `pattern` names: `func[N]`, or every function whose name is
    /// `pattern` or ends with `::pattern` (`transfer` names `token::transfer`).
    pub fn find(&self, pattern: &str) -> Vec<u32> {
        if let Some(n) = pattern.strip_prefix("func[").and_then(|s| s.strip_suffix(']')) {
            return match n.parse::<u32>() {
                Ok(n) if n < self.functions => vec![n],
                _ => Vec::new(),
            };
        }
        (0..self.functions)
            .filter(|&f| {
                let name = self.name(f);
                name == pattern || name.strip_suffix(pattern).is_some_and(|head| head.ends_with("::"))
            })
            .collect()
    }
}
