//! Function names of a deployed module, for backtraces: read from its `name` custom
//! section and demangled. A module without one (or with a malformed one) gives no names;
//! this never fails a call.

use std::collections::HashMap;

use wasmparser::{KnownCustom, Name, Parser, Payload};

/// The names of `code`'s functions by index, demangled (`core::panicking::panic_fmt`).
pub(crate) fn function_names(code: &[u8]) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    for payload in Parser::new(0).parse_all(code) {
        let Ok(Payload::CustomSection(section)) = payload else { continue };
        let KnownCustom::Name(reader) = section.as_known() else { continue };
        for subsection in reader {
            let Ok(Name::Function(map)) = subsection else { continue };
            for naming in map.into_iter().flatten() {
                names.insert(naming.index, format!("{:#}", rustc_demangle::demangle(naming.name)));
            }
        }
    }
    names
}
