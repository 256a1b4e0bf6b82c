//! Function names of a deployed module: its `name` section, demangled, and the field
//! names of its imports (the host functions). A module without a name section (or with
//! a malformed one) still names its imports and its exported functions (by export
//! name); other functions are `func[N]`.

use std::collections::HashMap;

use wasmparser::{ExternalKind, KnownCustom, Name, Parser, Payload, TypeRef};

/// Names by function index.
#[derive(Debug, Clone, Default)]
pub struct FunctionNames {
    names: HashMap<u32, String>,
}

impl FunctionNames {
    /// The names of `code`'s functions: imports by their field name, the others from the
    /// `name` section (Rust symbols demangled, `core::panicking::panic_fmt`).
    pub fn of(code: &[u8]) -> FunctionNames {
        let mut names = HashMap::new();
        let mut exported = HashMap::new();
        let mut imported = 0;
        for payload in Parser::new(0).parse_all(code) {
            match payload {
                Ok(Payload::ImportSection(reader)) => {
                    for import in reader.into_imports().flatten() {
                        if matches!(import.ty, TypeRef::Func(_)) {
                            names.insert(imported, import.name.to_string());
                            imported += 1;
                        }
                    }
                }
                Ok(Payload::ExportSection(reader)) => {
                    for export in reader.into_iter().flatten() {
                        if export.kind == ExternalKind::Func && export.index >= imported {
                            exported.entry(export.index).or_insert_with(|| export.name.to_string());
                        }
                    }
                }
                Ok(Payload::CustomSection(section)) => {
                    let KnownCustom::Name(reader) = section.as_known() else { continue };
                    for subsection in reader {
                        let Ok(Name::Function(map)) = subsection else { continue };
                        for naming in map.into_iter().flatten() {
                            // An import keeps its field name: that is what the ABI calls it.
                            if naming.index >= imported {
                                let name = format!("{:#}", rustc_demangle::demangle(naming.name));
                                names.insert(naming.index, name);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for (index, name) in exported {
            names.entry(index).or_insert(name);
        }
        FunctionNames { names }
    }

    /// The name of function `index`: `func[N]` when the module gives none.
    pub fn name(&self, index: u32) -> String {
        match self.names.get(&index) {
            Some(name) => name.clone(),
            None => format!("func[{index}]"),
        }
    }

    /// The name the module gives function `index`, if any.
    pub fn get(&self, index: u32) -> Option<&str> {
        self.names.get(&index).map(String::as_str)
    }
}
