//! Source lines from a module's DWARF: the `.debug_line` rows of every compilation unit,
//! as address ranges of the code section.
//!
//! In a wasm module, a DWARF address is an offset into the code section's payload
//! (the byte after the section's size), the convention of LLVM's `wasm-ld` and of
//! wasmtime's debug support. Rows of code the linker dropped carry a tombstone address
//! (`0xffffffff`): they fall outside the code section and are ignored, as are rows of
//! line 0 (code no source line owns).
//!
//! Input bounds: the debug sections read add up to at most [`MAX_DWARF_BYTES`], and at
//! most [`MAX_LINE_ROWS`] ranges are kept; past either, the module's coverage is by
//! function and says why.

use std::collections::HashMap;

use gimli::{EndianSlice, LittleEndian, SectionId};
use wasmparser::{Parser, Payload};

/// The most bytes of DWARF sections read from one module: 64 MiB.
pub const MAX_DWARF_BYTES: usize = 64 << 20;

/// The most line ranges kept from one module's line tables.
pub const MAX_LINE_ROWS: usize = 1 << 21;

/// One row's range: code section bytes `[start, end)` come from `line` of `file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineRange {
    pub start: u32,
    pub end: u32,
    pub file: u32,
    pub line: u32,
}

/// A module's line table: its source files, and the ranges in address order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineTable {
    pub files: Vec<String>,
    pub ranges: Vec<LineRange>,
}

/// The code section's payload of `module`, if it has one.
pub(crate) fn code_payload(module: &[u8]) -> Option<&[u8]> {
    for payload in Parser::new(0).parse_all(module) {
        if let Ok(Payload::CodeSectionStart { range, .. }) = payload {
            return module.get(range);
        }
    }
    None
}

/// The line table of `module`: `Ok(None)` if it has no `.debug_line`, `Err` (why) if
/// its DWARF is malformed or past a bound.
pub(crate) fn read(module: &[u8]) -> Result<Option<LineTable>, String> {
    read_bounded(module, MAX_DWARF_BYTES, MAX_LINE_ROWS)
}

pub(crate) fn read_bounded(
    module: &[u8],
    max_bytes: usize,
    max_rows: usize,
) -> Result<Option<LineTable>, String> {
    let mut sections: HashMap<&str, &[u8]> = HashMap::new();
    let mut code_len = 0u64;
    let mut total = 0usize;
    for payload in Parser::new(0).parse_all(module) {
        match payload.map_err(|e| e.to_string())? {
            Payload::CodeSectionStart { range, .. } => code_len = range.len() as u64,
            Payload::CustomSection(s) if s.name().starts_with(".debug_") => {
                total = total.saturating_add(s.data().len());
                if total > max_bytes {
                    return Err(format!("its DWARF sections pass {max_bytes} bytes (MAX_DWARF_BYTES)"));
                }
                sections.insert(s.name(), s.data());
            }
            _ => {}
        }
    }
    if !sections.contains_key(".debug_line") {
        return Ok(None);
    }
    let load = |id: SectionId| -> Result<EndianSlice<'_, LittleEndian>, gimli::Error> {
        Ok(EndianSlice::new(sections.get(id.name()).copied().unwrap_or(&[]), LittleEndian))
    };
    let dwarf = gimli::Dwarf::load(load).map_err(|e| e.to_string())?;
    let mut table = LineTable::default();
    let mut file_ids: HashMap<String, u32> = HashMap::new();
    let mut units = dwarf.units();
    let dwarf_err = |e: gimli::Error| format!("malformed DWARF: {e}");
    while let Some(header) = units.next().map_err(dwarf_err)? {
        let unit = dwarf.unit(header).map_err(dwarf_err)?;
        let Some(program) = unit.line_program.clone() else { continue };
        let comp_dir = unit.comp_dir.map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        let mut rows = program.rows();
        // The previous row of the current sequence: (address, file index, line).
        let mut previous: Option<(u64, u64, u64)> = None;
        // Paths by the unit's file index.
        let mut paths: HashMap<u64, u32> = HashMap::new();
        while let Some((header, row)) = rows.next_row().map_err(dwarf_err)? {
            if let Some((start, file, line)) = previous
                && line > 0
                && row.address() > start
                && row.address() <= code_len
            {
                let id = match paths.get(&file) {
                    Some(id) => *id,
                    None => {
                        let path = file_path(&dwarf, &unit, header, file, &comp_dir).map_err(dwarf_err)?;
                        let next = file_ids.len() as u32;
                        let id = *file_ids.entry(path.clone()).or_insert(next);
                        if id == next {
                            table.files.push(path);
                        }
                        paths.insert(file, id);
                        id
                    }
                };
                if table.ranges.len() >= max_rows {
                    return Err(format!("its line tables have more than {max_rows} rows (MAX_LINE_ROWS)"));
                }
                table.ranges.push(LineRange {
                    start: start as u32,
                    end: row.address() as u32,
                    file: id,
                    line: line.min(u32::MAX as u64) as u32,
                });
            }
            previous = if row.end_sequence() {
                None
            } else {
                Some((row.address(), row.file_index(), row.line().map_or(0, |l| l.get())))
            };
        }
    }
    table.ranges.sort_by_key(|r| (r.start, r.end));
    Ok(Some(table))
}

/// The path of file `index` of a line program: its directory joined to its name, under
/// the unit's compilation directory when relative (`.` and a leading `./` dropped).
fn file_path(
    dwarf: &gimli::Dwarf<EndianSlice<'_, LittleEndian>>,
    unit: &gimli::Unit<EndianSlice<'_, LittleEndian>>,
    header: &gimli::LineProgramHeader<EndianSlice<'_, LittleEndian>>,
    index: u64,
    comp_dir: &str,
) -> Result<String, gimli::Error> {
    let Some(file) = header.file(index) else { return Ok(format!("<file {index}>")) };
    let name = dwarf.attr_string(unit, file.path_name())?.to_string_lossy().into_owned();
    let dir = match file.directory(header) {
        Some(d) => dwarf.attr_string(unit, d)?.to_string_lossy().into_owned(),
        None => String::new(),
    };
    let mut path = String::new();
    for part in [comp_dir, dir.as_str(), name.as_str()] {
        if part.starts_with('/') {
            path = part.to_string();
        } else if !part.is_empty() && part != "." {
            if !path.is_empty() && !path.ends_with('/') {
                path.push('/');
            }
            path.push_str(part.strip_prefix("./").unwrap_or(part));
        }
    }
    Ok(path)
}
