//! Code coverage: which parts of a module a sequence of calls ran, by source line where
//! the module carries DWARF line tables, by function otherwise, written as lcov.
//!
//! A covered call runs a separate compile of the module ([`crate::Engine::compile_coverage_for`]):
//! the ordinary instrumentation, which also records where each *block* starts (each
//! metered segment, and the code after each call; see [`crate::instrument`]) and at
//! which offset of the original module, then [`hooks`], which adds one hook import and
//! calls it (`i32.const BLOCK; call hit`) at the start of each block. The hook only
//! counts ([`BlockCounts`]); it reads and writes neither gas nor the stack counter, so a
//! covered call gives the result, gas, events and state of an ordinary call.
//!
//! A block counts as run once it starts: a trap midway (out of gas at a segment's
//! check, or a failed memory access) still counts the rest of it. Blocks end at every
//! call, so a callee that aborts does not count its caller's following lines.
//!
//! The [`CoverageMap`] says, for each block, which function it belongs to and which
//! bytes of the original code section it spans; [`report`] turns it and the counts into
//! source lines (`lines`, from `.debug_line`) or functions (names from the `name`
//! section), and [`report::lcov`] writes them.
//!
//! Diagnostic only: ordinary compiles emit the same bytes as before (the recording
//! pass changes nothing it writes), and a coverage compile is never cached or used for
//! an ordinary call.

mod hooks;
mod lines;
pub mod report;

use std::sync::atomic::{AtomicU64, Ordering};

use wasmparser::{Parser, Payload, TypeRef};
use wasmtime::{Caller, Linker};

use crate::instrument::BlockStart;
use crate::validate::{ValidationError, invalid};

pub use hooks::HOOK_MODULE;
pub use lines::{MAX_DWARF_BYTES, MAX_LINE_ROWS};
pub use report::{CodeCoverage, Granularity, MAX_SOURCE_FILES};

/// The most blocks one module's coverage map holds. A module with more is refused for
/// coverage (it still deploys and runs ordinarily). The default `max_code_bytes` (1 MiB)
/// keeps every module under it; a block takes 16 bytes of map and 8 of counters.
pub const MAX_COVERAGE_BLOCKS: usize = 1 << 20;

/// One block of a module: the bytes of the original code section it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The function it belongs to (deployed numbering: imports first).
    pub func: u32,
    /// Its first byte, as an offset into the code section's payload (the address DWARF
    /// gives in a wasm module).
    pub start: u32,
    /// One past its last byte (the next block's start, or the function's end).
    pub end: u32,
}

/// The blocks of a coverage compile, in code order; the hook's argument indexes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageMap {
    blocks: Vec<Block>,
    /// Deployed index of each defined function's first block (`blocks.len()` if none),
    /// plus the number of imported functions.
    imported: u32,
    /// Every defined function: (its index, its first block).
    functions: Vec<(u32, usize)>,
}

impl CoverageMap {
    /// The blocks, in code order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Every defined function with the index of its entry block (`None` for a body the
    /// instrumentation gave no block, which cannot run code of its own).
    pub fn functions(&self) -> impl Iterator<Item = (u32, Option<usize>)> + '_ {
        self.functions
            .iter()
            .map(|&(f, b)| (f, (b < self.blocks.len() && self.blocks[b].func == f).then_some(b)))
    }

    /// Imported functions (host functions), numbered before the defined ones.
    pub fn imported(&self) -> u32 {
        self.imported
    }

    /// Builds the map of `code` from the block starts the instrumentation recorded.
    pub(crate) fn new(
        code: &[u8],
        starts: &[BlockStart],
        max_blocks: usize,
    ) -> Result<CoverageMap, ValidationError> {
        if starts.len() > max_blocks {
            return Err(invalid(
                "coverage",
                format!("the module has {} blocks; coverage maps at most {max_blocks}", starts.len()),
            ));
        }
        let err = |e: wasmparser::BinaryReaderError| invalid("coverage", e.to_string());
        let mut imported = 0u32;
        let mut payload_start = 0usize;
        let mut bodies = Vec::new();
        for payload in Parser::new(0).parse_all(code) {
            match payload.map_err(err)? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        if matches!(import.map_err(err)?.ty, TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::CodeSectionStart { range, .. } => payload_start = range.start,
                Payload::CodeSectionEntry(body) => bodies.push(body.range().end),
                _ => {}
            }
        }
        let offset = |absolute: usize| absolute.saturating_sub(payload_start) as u32;
        let mut blocks = Vec::with_capacity(starts.len());
        let mut functions = Vec::with_capacity(bodies.len());
        let mut next = starts.iter().peekable();
        for (func, body_end) in bodies.iter().enumerate() {
            functions.push((imported + func as u32, blocks.len()));
            while let Some(s) = next.next_if(|s| s.func as usize == func) {
                let end = match next.peek() {
                    Some(n) if n.func == s.func => n.original as usize,
                    _ => *body_end,
                };
                blocks.push(Block {
                    func: imported + func as u32,
                    start: offset(s.original as usize),
                    end: offset(end),
                });
            }
        }
        Ok(CoverageMap { blocks, imported, functions })
    }
}

/// How many times each block of a module started, shared by every call of a coverage
/// session (calls of the same code on any thread add to the same counters).
#[derive(Debug)]
pub struct BlockCounts {
    counts: Box<[AtomicU64]>,
}

impl BlockCounts {
    /// Zeroed counters for the blocks of `map`.
    pub fn new(map: &CoverageMap) -> BlockCounts {
        BlockCounts { counts: map.blocks.iter().map(|_| AtomicU64::new(0)).collect() }
    }

    fn hit(&self, block: u32) {
        if let Some(c) = self.counts.get(block as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counts so far, by block.
    pub fn snapshot(&self) -> Vec<u64> {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect()
    }
}

/// The store data of a call that may be covered.
pub trait CoverageHost: 'static {
    /// The counters, when the call is covered.
    fn block_counts(&self) -> Option<&BlockCounts>;
}

/// Defines the hook import of [`HOOK_MODULE`] in `linker`. Only coverage compiles import
/// it; defining it costs ordinary modules nothing.
pub fn define_hooks<T: CoverageHost>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    linker.func_wrap(HOOK_MODULE, "hit", |c: Caller<'_, T>, block: i32| {
        if let Some(counts) = c.data().block_counts() {
            counts.hit(block as u32);
        }
    })?;
    Ok(())
}

/// A coverage compile's code: the instrumented module with its hooks, and its map.
pub(crate) fn add_hooks(
    code: &[u8],
    instrumented: &[u8],
    starts: &[BlockStart],
) -> Result<(Vec<u8>, CoverageMap), ValidationError> {
    let map = CoverageMap::new(code, starts, MAX_COVERAGE_BLOCKS)?;
    let hooked = hooks::add_hooks(instrumented, starts)?;
    Ok((hooked, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_block_starts_changes_no_byte_of_the_instrumented_module() {
        let code = wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func $f (param i32) (result i32)
                   (loop $l (br_if $l (i32.eqz (local.get 0))))
                   (if (result i32) (local.get 0) (then (call $f (i32.const 0))) (else (i32.const 2))))
                 (func (export "go") (result i32) (call $f (i32.const 1))))"#,
        )
        .unwrap();
        let config = crate::Config::default();
        let facts = crate::validate::validate(&code, &config, &crate::abi::COVE).unwrap();
        let plain = crate::instrument::instrument(&code, &facts, &config).unwrap();
        let mut starts = Vec::new();
        let recorded =
            crate::instrument::instrument_recording(&code, &facts, &config, Some(&mut starts)).unwrap();
        assert_eq!(plain, recorded);
        assert!(starts.len() >= 6, "{starts:?}");
        let map = CoverageMap::new(&code, &starts, MAX_COVERAGE_BLOCKS).unwrap();
        assert_eq!(map.blocks().len(), starts.len());
        assert_eq!(map.functions().count(), 2);
    }

    #[test]
    fn a_map_past_max_coverage_blocks_is_refused() {
        let code = wat::parse_str("(module (func (nop)))").unwrap();
        let starts = vec![BlockStart { func: 0, rewritten: 0, original: 0 }; 3];
        let e = CoverageMap::new(&code, &starts, 2).unwrap_err();
        assert!(e.message.contains("coverage maps at most 2"), "{e}");
        assert_eq!(CoverageMap::new(&code, &starts[..2], 2).unwrap().blocks().len(), 2);
    }
}
