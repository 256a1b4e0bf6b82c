//! A module's coverage as source lines or functions, and its lcov text.
//!
//! By line ([`Granularity::Lines`], the module carries `.debug_line`): each line's count
//! is the most times any of its code ran (the largest count of the blocks its rows
//! overlap), so a line inlined in several places, or split over several blocks, counts
//! its busiest copy. A line of no row in the code (optimised away) is not listed.
//! Functions are listed under the file and line of their first row.
//!
//! By function ([`Granularity::Functions`], no DWARF, or DWARF that could not be read):
//! one source file named by the caller, each defined function one entry counted by how
//! many times it was entered; as lcov needs line numbers, function `N` (deployed
//! numbering) stands on line `N + 1`.

use std::collections::BTreeMap;

use super::lines::{self, LineTable};
use super::{Block, CoverageMap};
use crate::profile::FunctionNames;

/// The most source files one module's line coverage lists; past it, the coverage is by
/// function and says why.
pub const MAX_SOURCE_FILES: usize = 1 << 14;

/// How a module's coverage is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Source lines, from the module's DWARF.
    Lines,
    /// Functions, from the `name` section.
    Functions,
}

/// One function's entry count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCount {
    /// Its name (demangled), or `func[N]`.
    pub name: String,
    /// The line lcov lists it on.
    pub line: u32,
    /// How many times it was entered.
    pub count: u64,
}

/// One source file's coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// Count by line number.
    pub lines: BTreeMap<u32, u64>,
    /// Functions whose first line is in this file.
    pub functions: Vec<FunctionCount>,
}

/// One module's coverage over a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCoverage {
    /// The lcov test name (`TN:`).
    pub test: String,
    /// Lines or functions.
    pub granularity: Granularity,
    /// Coverage by source path.
    pub files: BTreeMap<String, FileCoverage>,
    /// Why the coverage is by function though the module has DWARF, if so.
    pub note: Option<String>,
}

impl CodeCoverage {
    /// Resolves `counts` (by block of `map`, from a coverage compile of `code`) to lines
    /// or functions. DWARF comes from the first of `debug` whose code section is
    /// byte-identical to `code`'s (a module built with debug info, deployed stripped),
    /// else from `code` itself. `test` names the record; without DWARF, `source` names
    /// its one file.
    pub fn new(
        test: &str,
        source: &str,
        code: &[u8],
        debug: &[&[u8]],
        map: &CoverageMap,
        counts: &[u64],
    ) -> CodeCoverage {
        let names = FunctionNames::of(code);
        let payload = lines::code_payload(code);
        let dwarf_from =
            debug.iter().copied().find(|m| payload.is_some() && lines::code_payload(m) == payload);
        let mut note = None;
        match lines::read(dwarf_from.unwrap_or(code)) {
            Ok(Some(table)) if table.files.len() <= MAX_SOURCE_FILES => {
                return CodeCoverage {
                    test: test.to_string(),
                    granularity: Granularity::Lines,
                    files: by_line(&table, map, counts, &names),
                    note: None,
                };
            }
            Ok(Some(table)) => {
                note = Some(format!(
                    "its line tables name {} files, more than {MAX_SOURCE_FILES} (MAX_SOURCE_FILES)",
                    table.files.len()
                ))
            }
            Ok(None) => {}
            Err(why) => note = Some(why),
        }
        CodeCoverage {
            test: test.to_string(),
            granularity: Granularity::Functions,
            files: BTreeMap::from([(source.to_string(), by_function(map, counts, &names))]),
            note,
        }
    }

    /// The count of `line` in the file whose path ends with `suffix`, if listed.
    pub fn line(&self, suffix: &str, line: u32) -> Option<u64> {
        self.files.iter().find(|(p, _)| p.ends_with(suffix)).and_then(|(_, f)| f.lines.get(&line).copied())
    }
}

fn count_of(counts: &[u64], block: usize) -> u64 {
    counts.get(block).copied().unwrap_or(0)
}

/// The blocks overlapping `[start, end)`, by index.
fn overlapping(blocks: &[Block], start: u32, end: u32) -> impl Iterator<Item = usize> + '_ {
    let first = blocks.partition_point(|b| b.end <= start);
    (first..blocks.len()).take_while(move |&i| blocks[i].start < end).filter(move |&i| blocks[i].end > start)
}

fn by_line(
    table: &LineTable,
    map: &CoverageMap,
    counts: &[u64],
    names: &FunctionNames,
) -> BTreeMap<String, FileCoverage> {
    let blocks = map.blocks();
    let mut files: BTreeMap<String, FileCoverage> = BTreeMap::new();
    for r in &table.ranges {
        let mut hit = None;
        for b in overlapping(blocks, r.start, r.end) {
            hit = Some(hit.unwrap_or(0).max(count_of(counts, b)));
        }
        let (Some(hit), Some(path)) = (hit, table.files.get(r.file as usize)) else { continue };
        let lines = &mut files.entry(path.clone()).or_default().lines;
        let entry = lines.entry(r.line).or_insert(0);
        *entry = (*entry).max(hit);
    }
    for (func, entry) in map.functions() {
        let Some(entry) = entry else { continue };
        let b = blocks[entry];
        // The row at the block's start, else the first one inside it.
        let i = table.ranges.partition_point(|r| r.start <= b.start);
        let at = i.checked_sub(1).map(|j| &table.ranges[j]).filter(|r| r.end > b.start);
        let inside = table.ranges.get(i).filter(|r| r.start < b.end);
        let Some(r) = at.or(inside) else { continue };
        let Some(path) = table.files.get(r.file as usize) else { continue };
        files.entry(path.clone()).or_default().functions.push(FunctionCount {
            name: names.name(func),
            line: r.line,
            count: count_of(counts, entry),
        });
    }
    files
}

fn by_function(map: &CoverageMap, counts: &[u64], names: &FunctionNames) -> FileCoverage {
    let mut file = FileCoverage::default();
    for (func, entry) in map.functions() {
        let count = entry.map_or(0, |b| count_of(counts, b));
        let line = func.saturating_add(1);
        file.functions.push(FunctionCount { name: names.name(func), line, count });
        file.lines.insert(line, count);
    }
    file
}

/// The lcov text of `records`: per source file, `TN`, `SF`, `FN`/`FNDA`, `FNF`/`FNH`,
/// `DA`, `LF`/`LH`, `end_of_record`.
pub fn lcov(records: &[CodeCoverage]) -> String {
    use std::fmt::Write;
    let clean = |s: &str| s.replace(['\n', '\r'], " ");
    let mut out = String::new();
    for record in records {
        for (path, file) in &record.files {
            let _ = writeln!(out, "TN:{}", clean(&record.test));
            let _ = writeln!(out, "SF:{}", clean(path));
            for f in &file.functions {
                let _ = writeln!(out, "FN:{},{}", f.line, clean(&f.name));
            }
            for f in &file.functions {
                let _ = writeln!(out, "FNDA:{},{}", f.count, clean(&f.name));
            }
            let _ = writeln!(out, "FNF:{}", file.functions.len());
            let _ = writeln!(out, "FNH:{}", file.functions.iter().filter(|f| f.count > 0).count());
            for (line, count) in &file.lines {
                let _ = writeln!(out, "DA:{line},{count}");
            }
            let _ = writeln!(out, "LF:{}", file.lines.len());
            let _ = writeln!(out, "LH:{}", file.lines.values().filter(|c| **c > 0).count());
            out.push_str("end_of_record\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lines::LineRange;
    use super::*;

    fn map(blocks: Vec<Block>) -> CoverageMap {
        let functions = vec![(1, 0), (2, 2)];
        CoverageMap { blocks, imported: 1, functions }
    }

    #[test]
    fn a_line_counts_its_busiest_block_and_unrun_lines_count_zero() {
        let map = map(vec![
            Block { func: 1, start: 3, end: 10 },
            Block { func: 1, start: 10, end: 20 },
            Block { func: 2, start: 22, end: 30 },
        ]);
        let range = |start, end, file, line| LineRange { start, end, file, line };
        let table = LineTable {
            files: vec!["a.rs".into(), "b.rs".into()],
            ranges: vec![
                range(3, 5, 0, 7),   // block 0
                range(5, 12, 0, 8),  // blocks 0 and 1
                range(12, 20, 1, 3), // block 1
                range(20, 22, 1, 4), // between functions: no block
                range(22, 30, 0, 9), // block 2, never run
            ],
        };
        let files = by_line(&table, &map, &[1, 5, 0], &FunctionNames::default());
        let a = &files["a.rs"];
        assert_eq!(a.lines, BTreeMap::from([(7, 1), (8, 5), (9, 0)]));
        assert_eq!(files["b.rs"].lines, BTreeMap::from([(3, 5)]));
        let f: Vec<_> = a.functions.iter().map(|f| (f.name.as_str(), f.line, f.count)).collect();
        assert_eq!(f, [("func[1]", 7, 1), ("func[2]", 9, 0)]);
    }

    #[test]
    fn lcov_lists_functions_and_lines_with_totals() {
        let mut file = FileCoverage::default();
        file.lines.insert(2, 3);
        file.lines.insert(4, 0);
        file.functions.push(FunctionCount { name: "go".into(), line: 2, count: 1 });
        let record = CodeCoverage {
            test: "t".into(),
            granularity: Granularity::Lines,
            files: BTreeMap::from([("src/lib.rs".to_string(), file)]),
            note: None,
        };
        assert_eq!(
            lcov(&[record]),
            "TN:t\nSF:src/lib.rs\nFN:2,go\nFNDA:1,go\nFNF:1\nFNH:1\nDA:2,3\nDA:4,0\nLF:2\nLH:1\nend_of_record\n"
        );
    }
}
