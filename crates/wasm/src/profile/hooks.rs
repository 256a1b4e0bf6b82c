//! The profiling pass: an already instrumented module, plus calls to two hook imports.
//!
//! It runs after [`crate::instrument`], on its output, and adds no instruction that
//! touches the gas or stack globals, so a profiled call charges exactly the gas of an
//! ordinary one. The rewritten module:
//!
//! * imports [`HOOK_MODULE`]`.enter(i32)` and `.exit()` after its own imports, so every
//!   defined function's index moves up by two (calls, `ref.func`, elements and exports
//!   are renumbered);
//! * calls `enter(f)` first thing in each defined function `f` and `exit()` right before
//!   its final `end`: instrumentation turned every `return` into a branch to the body's
//!   wrapper block, so that `end` is the one way out other than a trap;
//! * wraps each direct call of an imported (host) function `h` as `enter(h)`, the call,
//!   `exit()`, leaving the operands and results where they were.
//!
//! Function numbers passed to `enter` are those of the deployed module (instrumentation
//! adds no functions), so a tool names them from its `name` section. A host function
//! reached through `call_indirect` has no frame of its own: its gas shows in its caller.
//!
//! The output is never stored, cached or used to run anything but a profile.

use std::convert::Infallible;

use wasm_encoder::reencode::{Error, Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, EntityType, ImportSection, Instruction as I, Module, SectionId, TypeSection,
};
use wasmparser::{FunctionBody, Operator, Parser, Payload, TypeRef};

use crate::validate::{ValidationError, invalid};

/// The module the hook imports come from; contracts may never import it (deploy
/// validation admits only their ABI's table).
pub const HOOK_MODULE: &str = "__cove_profile";

/// Rewrites `instrumented` (the output of [`crate::Engine::instrument`]) for profiling.
pub(crate) fn add_hooks(instrumented: &[u8]) -> Result<Vec<u8>, ValidationError> {
    let err = |e: wasmparser::BinaryReaderError| invalid("profile", e.to_string());
    let mut pass = Hooks { imported: 0, types: 0, has_types: false, has_imports: false };
    for payload in Parser::new(0).parse_all(instrumented) {
        match payload.map_err(err)? {
            Payload::TypeSection(reader) => {
                pass.has_types = true;
                for group in reader {
                    pass.types += group.map_err(err)?.types().len() as u32;
                }
            }
            Payload::ImportSection(reader) => {
                pass.has_imports = true;
                for import in reader.into_imports() {
                    if matches!(import.map_err(err)?.ty, TypeRef::Func(_)) {
                        pass.imported += 1;
                    }
                }
            }
            _ => {}
        }
    }
    if !pass.has_types {
        // No types, so no functions: nothing runs, nothing to attribute.
        return Ok(instrumented.to_vec());
    }
    let mut module = Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), instrumented)
        .map_err(|e| invalid("profile", e.to_string()))?;
    Ok(module.finish())
}

struct Hooks {
    /// Imported functions (the host functions), numbered first.
    imported: u32,
    /// Types before the two this pass adds.
    types: u32,
    has_types: bool,
    has_imports: bool,
}

impl Hooks {
    fn enter(&self) -> u32 {
        self.imported
    }

    fn exit(&self) -> u32 {
        self.imported + 1
    }

    fn add_imports(&self, imports: &mut ImportSection) {
        imports.import(HOOK_MODULE, "enter", EntityType::Function(self.types));
        imports.import(HOOK_MODULE, "exit", EntityType::Function(self.types + 1));
    }
}

impl Reencode for Hooks {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, Error> {
        Ok(if func < self.imported { func } else { func + 2 })
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error> {
        RoundtripReencoder.parse_type_section(types, section)?;
        types.ty().function([wasm_encoder::ValType::I32], []);
        types.ty().function([], []);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error> {
        wasm_encoder::reencode::utils::parse_import_section(self, imports, section)?;
        self.add_imports(imports);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        after: Option<SectionId>,
        _before: Option<SectionId>,
    ) -> Result<(), Error> {
        // A module that imports nothing gets an import section right after its types.
        if !self.has_imports && after == Some(SectionId::Type) {
            let mut imports = ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), Error> {
        for (i, body) in section.into_iter().enumerate() {
            self.body(code, self.imported + i as u32, body?)?;
        }
        Ok(())
    }
}

impl Hooks {
    /// The body of function `index` (deployed numbering) with its hooks.
    fn body(&mut self, code: &mut CodeSection, index: u32, body: FunctionBody<'_>) -> Result<(), Error> {
        let mut f = self.new_function_with_parsed_locals(&body)?;
        f.instruction(&I::I32Const(index as i32));
        f.instruction(&I::Call(self.enter()));
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            let op = ops.read()?;
            match op {
                Operator::Call { function_index: host } if host < self.imported => {
                    f.instruction(&I::I32Const(host as i32));
                    f.instruction(&I::Call(self.enter()));
                    f.instruction(&I::Call(host));
                    f.instruction(&I::Call(self.exit()));
                }
                Operator::End if ops.eof() => {
                    f.instruction(&I::Call(self.exit()));
                    f.instruction(&I::End);
                }
                op => {
                    f.instruction(&self.instruction(op)?);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}
