//! Reading `cove coverage`'s lcov, for the test binaries that cover
//! (`#[path = "common/coverage.rs"] mod coverage;`).

use std::collections::BTreeMap;

/// One lcov record (`SF:` to `end_of_record`): its line counts and function counts.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub(crate) lines: BTreeMap<u32, u64>,
    pub(crate) functions: BTreeMap<String, u64>,
    pub(crate) found: (usize, usize),
}

/// The records of `lcov` by source path; panics on a malformed line.
pub(crate) fn records(lcov: &str) -> BTreeMap<String, Record> {
    let mut out = BTreeMap::new();
    let mut path = None;
    let mut record = Record::default();
    for line in lcov.lines() {
        let (tag, rest) = line.split_once(':').unwrap_or((line, ""));
        match tag {
            "TN" | "FN" | "FNF" | "FNH" => {}
            "SF" => path = Some(rest.to_string()),
            "DA" => {
                let (l, c) = rest.split_once(',').expect("DA:line,count");
                record.lines.insert(l.parse().unwrap(), c.parse().unwrap());
            }
            "FNDA" => {
                let (c, name) = rest.split_once(',').expect("FNDA:count,name");
                record.functions.insert(name.to_string(), c.parse().unwrap());
            }
            "LF" => record.found.0 = rest.parse().unwrap(),
            "LH" => record.found.1 = rest.parse().unwrap(),
            "end_of_record" => {
                let r = std::mem::take(&mut record);
                assert_eq!(r.found, (r.lines.len(), r.lines.values().filter(|c| **c > 0).count()));
                out.insert(path.take().expect("SF before end_of_record"), r);
            }
            other => panic!("unexpected lcov line {other:?}"),
        }
    }
    assert!(path.is_none(), "a record without end_of_record");
    out
}
