//! The coverage pass: an already instrumented module, plus a call to one hook import at
//! the start of each block.
//!
//! It runs after [`crate::instrument`] on its output, with the block starts the
//! instrumentation recorded (offsets in the rewritten bodies), and adds no instruction
//! that touches the gas or stack globals. The rewritten module imports
//! [`HOOK_MODULE`]`.hit(i32)` after its own imports, so every defined function's index
//! moves up by one (calls, `ref.func`, elements and exports are renumbered), and runs
//! `i32.const B; call hit` right before the instruction block `B` starts at.
//!
//! The output is never stored, cached or used to run anything but a covered call.

use std::convert::Infallible;

use wasm_encoder::reencode::{Error, Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, EntityType, ImportSection, Instruction as I, Module, SectionId, TypeSection,
};
use wasmparser::{FunctionBody, Parser, Payload, TypeRef};

use crate::instrument::BlockStart;
use crate::validate::{ValidationError, invalid};

/// The module the hook import comes from; contracts may never import it (deploy
/// validation admits only their ABI's table).
pub const HOOK_MODULE: &str = "__cove_coverage";

/// Rewrites `instrumented` for coverage; `starts` are the block starts recorded while
/// instrumenting it, in code order.
pub(crate) fn add_hooks(instrumented: &[u8], starts: &[BlockStart]) -> Result<Vec<u8>, ValidationError> {
    let err = |e: wasmparser::BinaryReaderError| invalid("coverage", e.to_string());
    let mut pass = Hooks { imported: 0, types: 0, has_types: false, has_imports: false, starts, next: 0 };
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
        // No types, so no functions: nothing runs, nothing to count.
        return Ok(instrumented.to_vec());
    }
    let mut module = Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), instrumented)
        .map_err(|e| invalid("coverage", e.to_string()))?;
    if pass.next != starts.len() {
        return Err(invalid(
            "coverage",
            format!("placed {} of {} block hooks (a bug of the coverage pass)", pass.next, starts.len()),
        ));
    }
    Ok(module.finish())
}

struct Hooks<'a> {
    /// Imported functions (the host functions), numbered first.
    imported: u32,
    /// Types before the one this pass adds.
    types: u32,
    has_types: bool,
    has_imports: bool,
    starts: &'a [BlockStart],
    /// The next block to place.
    next: usize,
}

impl Hooks<'_> {
    fn hit(&self) -> u32 {
        self.imported
    }

    fn add_import(&self, imports: &mut ImportSection) {
        imports.import(HOOK_MODULE, "hit", EntityType::Function(self.types));
    }

    /// The body of defined function `func` with its hooks.
    fn body(&mut self, code: &mut CodeSection, func: u32, body: FunctionBody<'_>) -> Result<(), Error> {
        let base = body.range().start;
        let mut f = self.new_function_with_parsed_locals(&body)?;
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            let at = ops.original_position() - base;
            while let Some(s) = self.starts.get(self.next)
                && s.func == func
                && s.rewritten as usize == at
            {
                f.instruction(&I::I32Const(self.next as i32));
                f.instruction(&I::Call(self.hit()));
                self.next += 1;
            }
            let op = ops.read()?;
            f.instruction(&self.instruction(op)?);
        }
        code.function(&f);
        Ok(())
    }
}

impl Reencode for Hooks<'_> {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, Error> {
        Ok(if func < self.imported { func } else { func + 1 })
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error> {
        RoundtripReencoder.parse_type_section(types, section)?;
        types.ty().function([wasm_encoder::ValType::I32], []);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error> {
        wasm_encoder::reencode::utils::parse_import_section(self, imports, section)?;
        self.add_import(imports);
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
            self.add_import(&mut imports);
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
            self.body(code, i as u32, body?)?;
        }
        Ok(())
    }
}
