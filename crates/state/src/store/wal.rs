//! The block log (`state.wal`): what makes a block durable before its tables are.
//!
//! A commit appends the block (height, time, root and change set) to this file and
//! syncs it: one sequential write per block instead of the tens of MiB of B-tree pages a
//! durable redb commit writes back. The tables catch up every `write_back_blocks`
//! blocks in one redb transaction, after which the log is emptied (a synced
//! truncation). On open, blocks the log holds above the tables' head are replayed into
//! the tables, each checked against its recorded root (`docs/state.md`, "The block log").
//!
//! File: the magic `COVEWAL2`, then records, each
//! `body length (u32 LE) ++ CRC-32(body length) (u32 LE) ++ body ++ SHA-256(body)`,
//! where the body is `height (u64 BE) ++ timestamp (u64 BE) ++ root (32) ++ count (u32 BE)`
//! and `count` changes `key length (u32 BE) ++ key ++ tag (1)`, tag 1 followed by
//! `value length (u32 BE) ++ value`, tag 0 a deletion. Logs written before the length
//! had its own checksum (`COVEWAL1`: no CRC field) are still read, and appended to in
//! their own format until their next truncation.
//!
//! Records are only ever appended after the last synced one, and a commit reports
//! success only after its record is synced, so a crash can only damage the tail. The
//! reader therefore drops only what an unsynced append can leave: an incomplete last
//! record, a last record whose hash fails (followed by nothing or by zeros only), or a
//! trailing run of zero bytes. Anything else (a length that fails its CRC, a record
//! that fails its hash with more records after it, a record that passes its hash but
//! does not decode) is damage: [`StorageError::corrupt`] naming the file and the byte
//! offset, and the file is left exactly as it was. A torn tail is cut off only by the
//! next append, so an open that fails, or a read-only one, never writes.

use std::path::{Path, PathBuf};

use merkle::Hash;
use sha2::{Digest, Sha256};
use types::{BlockInfo, StorageError};

use super::io::{LogFile, StoreIo};
use crate::ChangeSet;

/// The log's file name inside the data directory.
pub(super) const WAL_FILE: &str = "state.wal";

/// The first bytes of every block log written now.
const MAGIC: &[u8; 8] = b"COVEWAL2";

/// The first bytes of a block log from before the length had a checksum.
const MAGIC_V1: &[u8; 8] = b"COVEWAL1";

/// Bytes of the hash after a record's body.
const HASH: usize = 32;

/// The record format of one log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `COVEWAL1`: `length ++ body ++ hash`.
    V1,
    /// `COVEWAL2`: `length ++ CRC-32(length) ++ body ++ hash`.
    V2,
}

impl Format {
    fn magic(self) -> &'static [u8; 8] {
        match self {
            Format::V1 => MAGIC_V1,
            Format::V2 => MAGIC,
        }
    }

    /// Bytes before a record's body.
    fn header(self) -> usize {
        match self {
            Format::V1 => 4,
            Format::V2 => 8,
        }
    }
}

/// One logged block.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct LoggedBlock {
    pub(super) block: BlockInfo,
    pub(super) root: Hash,
    pub(super) changes: ChangeSet,
}

/// The open block log.
#[derive(Debug)]
pub(super) struct Wal {
    file: Box<dyn LogFile>,
    path: PathBuf,
    /// Whether [`Wal::read`] has run: `len` and `format` are known.
    read: bool,
    /// The length of the valid prefix: where the next record goes.
    len: u64,
    /// The file's length; more than `len` while a torn tail awaits the next append.
    file_len: u64,
    /// The format of the records in the valid prefix (`V2` once it is empty).
    format: Format,
    /// Set when an append or a truncation failed and could not be undone: what the
    /// file holds is then unknown until the store is reopened (and reads it).
    failed: bool,
}

fn err(path: &Path, what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("block log {}: {what}: {e}", path.display()))
}

/// Damage found by [`parse`]: where, and what.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Damage {
    pub(super) offset: usize,
    pub(super) what: String,
}

impl Damage {
    fn new(offset: usize, what: &str) -> Damage {
        Damage { offset, what: what.to_owned() }
    }

    /// The corruption error for the log at `path`.
    pub(super) fn error(&self, path: &Path) -> StorageError {
        StorageError::corrupt(format!(
            "block log {} is damaged at byte {}: {}; it was left as it was",
            path.display(),
            self.offset,
            self.what
        ))
    }
}

impl Wal {
    /// Opens or creates `<dir>/state.wal` through `io`; [`Wal::read`] reads it. Writes
    /// nothing to an existing file.
    pub(super) fn open(io: &dyn StoreIo, dir: &Path) -> Result<Wal, StorageError> {
        let path = dir.join(WAL_FILE);
        let file = io.open_log(&path).map_err(|e| err(&path, "open", e))?;
        let file_len = file.len().map_err(|e| err(&path, "stat", e))?;
        Ok(Wal { file, path, read: false, len: file_len, file_len, format: Format::V2, failed: false })
    }

    /// Reads every block the log holds. A torn tail is left in the file (the next
    /// append cuts it); damage anywhere else is an error and changes nothing.
    pub(super) fn read(&mut self) -> Result<Vec<LoggedBlock>, StorageError> {
        self.check()?;
        let file_len = self.file.len().map_err(|e| err(&self.path, "stat", e))?;
        let size = usize::try_from(file_len).map_err(|e| err(&self.path, "size", e))?;
        let mut bytes = vec![0; size];
        self.file.read(0, &mut bytes).map_err(|e| err(&self.path, "read", e))?;
        let parsed = parse(&bytes).map_err(|d| d.error(&self.path))?;
        (self.len, self.file_len, self.format, self.read) =
            (parsed.valid as u64, file_len, parsed.format, true);
        Ok(parsed.blocks)
    }

    /// Appends one block and syncs it: when this returns Ok the block survives a crash.
    /// A torn tail left by a crash is cut off first, in the same sync. On error the log
    /// is cut back to where it was, so a later append cannot land behind a half-written
    /// record; if even that fails, every later append is refused until a reopen.
    pub(super) fn append(
        &mut self,
        block: &BlockInfo,
        root: &Hash,
        changes: &ChangeSet,
    ) -> Result<(), StorageError> {
        if !self.read {
            self.read()?;
        }
        self.check()?;
        let format = self.format;
        let header = format.header();
        let mut out =
            Vec::with_capacity(if self.len == 0 { 8 } else { 0 } + header + body_len(changes) + HASH);
        if self.len == 0 {
            out.extend_from_slice(format.magic());
        }
        let start = out.len();
        out.resize(start + header, 0);
        encode_body(&mut out, block, root, changes);
        let body = &out[start + header..];
        let body_len = u32::try_from(body.len()).map_err(|_| {
            StorageError::io(format!("block {} is too large for the block log", block.height))
        })?;
        let hash = Sha256::digest(body);
        out[start..start + 4].copy_from_slice(&body_len.to_le_bytes());
        if format == Format::V2 {
            let crc = crc32fast::hash(&body_len.to_le_bytes());
            out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
        }
        out.extend_from_slice(&hash);
        let cut = self.file_len != self.len;
        let written = (if cut { self.file.set_len(self.len) } else { Ok(()) })
            .and_then(|()| self.file.write(self.len, &out))
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += out.len() as u64;
                self.file_len = self.len;
                Ok(())
            }
            Err(e) => {
                if self.file.set_len(self.len).and_then(|()| self.file.sync_data()).is_ok() {
                    self.file_len = self.len;
                } else {
                    // The record may yet be whole on disk: like a crash before the
                    // commit returned, the block may then survive a reopen.
                    self.failed = true;
                }
                Err(err(&self.path, "append", e))
            }
        }
    }

    /// Empties the log, once the tables hold every block in it, and syncs the
    /// truncation: records of blocks already written back can then never reappear
    /// behind newer ones. If that fails, appends are refused until a reopen (which
    /// skips the logged blocks the tables already hold).
    pub(super) fn reset(&mut self) -> Result<(), StorageError> {
        match self.file.set_len(0).and_then(|()| self.file.sync_data()) {
            Ok(()) => {
                (self.len, self.file_len, self.format, self.read) = (0, 0, Format::V2, true);
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(err(&self.path, "truncate", e))
            }
        }
    }

    fn check(&self) -> Result<(), StorageError> {
        if self.failed {
            return Err(err(
                &self.path,
                "unusable",
                "an append or truncation failed and could not be undone; reopen the store",
            ));
        }
        Ok(())
    }

    /// Bytes in the log.
    #[cfg(test)]
    pub(super) fn len(&self) -> u64 {
        self.len
    }
}

/// Reads the log in `dir` without writing anything (a missing file is an empty log):
/// what a read-only open sees.
pub(super) fn read_only(dir: &Path) -> Result<Vec<LoggedBlock>, StorageError> {
    let path = dir.join(WAL_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(err(&path, "read", e)),
    };
    Ok(parse(&bytes).map_err(|d| d.error(&path))?.blocks)
}

/// The encoded size of `changes` in a record body.
fn body_len(changes: &ChangeSet) -> usize {
    8 + 8
        + 32
        + 4
        + changes.iter().map(|(k, v)| 4 + k.len() + 1 + v.map_or(0, |v| 4 + v.len())).sum::<usize>()
}

fn encode_body(out: &mut Vec<u8>, block: &BlockInfo, root: &Hash, changes: &ChangeSet) {
    // Keys and values are far below 4 GiB (the journal's callers bound them); a record
    // whose lengths did not fit would fail its own hash check on replay, never pass.
    let len32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
    out.extend_from_slice(&block.height.to_be_bytes());
    out.extend_from_slice(&block.timestamp.to_be_bytes());
    out.extend_from_slice(root);
    out.extend_from_slice(&len32(changes.len()));
    for (key, value) in changes.iter() {
        out.extend_from_slice(&len32(key.len()));
        out.extend_from_slice(key);
        match value {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                out.extend_from_slice(&len32(value.len()));
                out.extend_from_slice(value);
            }
        }
    }
}

/// What [`parse`] found in a whole log file.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) blocks: Vec<LoggedBlock>,
    /// The length of the valid prefix (0 if it holds no block).
    pub(super) valid: usize,
    format: Format,
}

fn zeros(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// The unit a disk writes whole: a crash leaves each sector of an append either written
/// or as it was (zeros, past the log's synced end), never half of one.
const SECTOR: usize = 512;

/// Whether some sector-aligned piece of `bytes[start..end]` is all zeros: what an append
/// torn by a crash leaves (its pages written back in any order), and what a flipped bit
/// in a whole record does not.
fn zero_sector(bytes: &[u8], start: usize, end: usize) -> bool {
    let mut at = start;
    while at < end {
        let next = ((at / SECTOR) + 1) * SECTOR;
        let piece = &bytes[at..next.min(end)];
        if zeros(piece) {
            return true;
        }
        at = next;
    }
    false
}

/// Whether `head` is what a torn first append can leave of `magic`: a prefix of it,
/// then zeros.
fn torn_magic(head: &[u8], magic: &[u8]) -> bool {
    let whole = head.iter().zip(magic).take_while(|(a, b)| a == b).count();
    zeros(&head[whole..])
}

/// The blocks of a whole log file and the length of its valid prefix. Drops only an
/// unsynced tail (see the module doc); any other damage is an error at its offset.
pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, Damage> {
    let empty = Parsed { blocks: Vec::new(), valid: 0, format: Format::V2 };
    let format = if bytes.starts_with(MAGIC) {
        Format::V2
    } else if bytes.starts_with(MAGIC_V1) {
        Format::V1
    } else {
        // A crash can tear the very first append before its magic is whole.
        let head = &bytes[..bytes.len().min(8)];
        if zeros(&bytes[head.len()..]) && (torn_magic(head, MAGIC) || torn_magic(head, MAGIC_V1)) {
            return Ok(empty);
        }
        return Err(Damage::new(0, "not a cove block log (no COVEWAL magic)"));
    };
    let header = format.header();
    let mut at = 8;
    let mut blocks = Vec::new();
    loop {
        let rest = &bytes[at..];
        // The end, or a trailing run of zeros: an append's extension never written.
        if zeros(rest) {
            break;
        }
        // An incomplete header: a torn last record.
        let Some(head) = rest.get(..header) else { break };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if format == Format::V2 && crc32fast::hash(&head[..4]).to_le_bytes() != head[4..8] {
            // A header torn across pages reads as garbage then zeros.
            if zeros(&rest[header..]) {
                break;
            }
            return Err(Damage::new(at, "the record's length fails its checksum"));
        }
        let end = header.saturating_add(len).saturating_add(HASH);
        // Incomplete: a torn last record (in format 1 a damaged length looks the same).
        let Some(record) = rest.get(..end) else { break };
        let body = &record[header..header + len];
        if Sha256::digest(body).as_slice() != &record[header + len..] {
            if !zeros(&rest[end..]) {
                return Err(Damage::new(at, "the record fails its hash and is not the last"));
            }
            // The last record: torn only if part of it never reached the disk, which
            // leaves a whole sector of it zero. A whole record that fails its hash was
            // synced, so reported committed, and damaged since.
            if zero_sector(bytes, at, at + end) {
                break;
            }
            return Err(Damage::new(
                at,
                "the last record is whole but fails its hash (damaged after it was synced)",
            ));
        }
        let block = decode_body(body)
            .ok_or_else(|| Damage::new(at, "the record passes its hash but does not decode"))?;
        blocks.push(block);
        at += end;
    }
    if blocks.is_empty() {
        return Ok(empty);
    }
    Ok(Parsed { blocks, valid: at, format })
}

/// A reader over a record body.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn decode_body(body: &[u8]) -> Option<LoggedBlock> {
    let mut c = Cursor(body);
    let block = BlockInfo { height: c.u64()?, timestamp: c.u64()? };
    let root: Hash = c.take(32)?.try_into().ok()?;
    let count = c.u32()?;
    let mut writes = Vec::with_capacity(count.min(body.len() / 5));
    for _ in 0..count {
        let key_len = c.u32()?;
        let key = c.take(key_len)?.to_vec();
        let value = match c.take(1)?[0] {
            0 => None,
            1 => {
                let len = c.u32()?;
                Some(c.take(len)?.to_vec())
            }
            _ => return None,
        };
        writes.push((key, value));
    }
    if !c.0.is_empty() {
        return None;
    }
    Some(LoggedBlock { block, root, changes: ChangeSet::new(writes) })
}

#[cfg(test)]
mod tests {
    use super::super::io::FileIo;
    use super::*;

    fn block(height: u64) -> (BlockInfo, Hash, ChangeSet) {
        let changes: ChangeSet = vec![(b"a".to_vec(), Some(vec![height as u8; 3])), (b"gone".to_vec(), None)]
            .into_iter()
            .collect();
        (BlockInfo { height, timestamp: 7 * height }, [height as u8; 32], changes)
    }

    fn logged(height: u64) -> LoggedBlock {
        let (block, root, changes) = block(height);
        LoggedBlock { block, root, changes }
    }

    fn open(dir: &Path) -> Wal {
        Wal::open(&FileIo, dir).unwrap()
    }

    fn reread(dir: &Path) -> Result<Vec<LoggedBlock>, StorageError> {
        open(dir).read()
    }

    fn write(dir: &Path, heights: std::ops::RangeInclusive<u64>) -> u64 {
        let mut wal = open(dir);
        wal.read().unwrap();
        for h in heights {
            let (b, r, c) = block(h);
            wal.append(&b, &r, &c).unwrap();
        }
        wal.len()
    }

    /// Three records of the same size: the file, and the offset of each record.
    fn three(dir: &Path) -> (PathBuf, Vec<u8>, [usize; 3]) {
        let one = write(dir, 1..=1) as usize;
        write(dir, 2..=3);
        let path = dir.join(WAL_FILE);
        let record = one - 8;
        (path.clone(), std::fs::read(&path).unwrap(), [8, 8 + record, 8 + 2 * record])
    }

    #[test]
    fn blocks_round_trip_and_reset_empties_the_log() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1..=3);
        let mut wal = open(dir.path());
        assert_eq!(wal.read().unwrap(), (1..=3).map(logged).collect::<Vec<_>>());
        wal.reset().unwrap();
        assert_eq!(std::fs::metadata(dir.path().join(WAL_FILE)).unwrap().len(), 0);
        let (b, r, c) = block(4);
        wal.append(&b, &r, &c).unwrap();
        drop(wal);
        assert_eq!(reread(dir.path()).unwrap(), vec![logged(4)]);
        assert!(std::fs::read(dir.path().join(WAL_FILE)).unwrap().starts_with(MAGIC));
    }

    #[test]
    fn a_torn_tail_is_dropped_at_every_cut_and_the_next_append_follows_the_valid_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let (path, full, at) = three(dir.path());
        let record = at[1] - at[0];
        for cut in 0..full.len() {
            // Cut, or cut and then zeros (an extension whose data never reached the disk):
            // a crash zeroes whole sectors, so zeros start where a record or a sector does.
            let whole = at.contains(&cut) || cut == full.len() || cut % SECTOR == 0;
            for zeros in [0, 9] {
                if zeros > 0 && !whole {
                    continue;
                }
                let mut bytes = full[..cut].to_vec();
                bytes.resize(cut + zeros, 0);
                std::fs::write(&path, &bytes).unwrap();
                let mut wal = open(dir.path());
                let blocks = wal.read().unwrap();
                let kept = cut.saturating_sub(8) / record;
                assert_eq!(blocks.len(), kept, "cut at {cut}, {zeros} zeros");
                // Reading wrote nothing: the tail is cut by the next append.
                assert_eq!(std::fs::read(&path).unwrap(), bytes, "cut at {cut}");
                let (b, r, c) = block(9);
                wal.append(&b, &r, &c).unwrap();
                let again = reread(dir.path()).unwrap();
                assert_eq!(again.len(), kept + 1, "cut at {cut}, {zeros} zeros");
                assert_eq!(again.last().unwrap(), &logged(9));
            }
        }
    }

    #[test]
    fn a_flipped_byte_before_the_last_record_is_an_error_naming_the_offset_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (path, full, at) = three(dir.path());
        // Every byte of the first two records, header and length included.
        for i in 8..at[2] {
            let mut bytes = full.clone();
            bytes[i] ^= 0x10;
            std::fs::write(&path, &bytes).unwrap();
            let e = reread(dir.path()).expect_err("damage must be an error");
            assert!(e.is_corrupt(), "byte {i}: {e}");
            let record = if i < at[1] { at[0] } else { at[1] };
            assert!(e.message().contains(&format!("at byte {record}:")), "byte {i}: {e}");
            assert!(e.message().contains(WAL_FILE), "{e}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "byte {i}: the log must be left as it was");
        }
        // The magic.
        let mut bytes = full.clone();
        bytes[3] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(reread(dir.path()).unwrap_err().message().contains("at byte 0:"));
    }

    #[test]
    fn the_last_record_is_a_torn_tail_only_with_a_sector_never_written_and_its_length_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (path, full, at) = three(dir.path());
        // A flipped bit in the body or the hash of the last, whole record: it was synced
        // (reported committed), so this is damage, never a silent drop.
        for i in at[2] + 8..full.len() {
            let mut bytes = full.clone();
            bytes[i] ^= 1;
            std::fs::write(&path, &bytes).unwrap();
            let e = reread(dir.path()).unwrap_err();
            assert!(e.is_corrupt() && e.message().contains("damaged after it was synced"), "byte {i}: {e}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "the log is left as it was");
        }
        // Its length (or the length's CRC) is not: a damaged length could otherwise hide
        // the records after it as a torn tail.
        for i in at[2]..at[2] + 8 {
            let mut bytes = full.clone();
            bytes[i] ^= 1;
            std::fs::write(&path, &bytes).unwrap();
            let e = reread(dir.path()).unwrap_err();
            assert!(e.is_corrupt() && e.message().contains(&format!("at byte {}:", at[2])), "byte {i}: {e}");
        }
        // Zeros inside the file, followed by a record, are damage too.
        let mut bytes = full.clone();
        bytes[at[1]..at[2]].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        assert!(reread(dir.path()).unwrap_err().is_corrupt());
    }

    #[test]
    fn a_last_record_with_a_sector_never_written_is_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1..=2);
        // A record of several sectors, as a crash can leave it: its pages written back
        // out of order, one sector of it still zero.
        let mut wal = open(dir.path());
        wal.read().unwrap();
        let value: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8 + 1).collect();
        let changes: ChangeSet = vec![(b"big".to_vec(), Some(value))].into_iter().collect();
        wal.append(&BlockInfo { height: 3, timestamp: 21 }, &[3; 32], &changes).unwrap();
        drop(wal);
        let path = dir.path().join(WAL_FILE);
        let full = std::fs::read(&path).unwrap();
        let start = full.len() - 4096;
        let sector = start.div_ceil(SECTOR) * SECTOR;
        for hole in [sector, sector + SECTOR, full.len() / SECTOR * SECTOR] {
            let mut bytes = full.clone();
            let end = (hole + SECTOR).min(bytes.len());
            bytes[hole..end].fill(0);
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(reread(dir.path()).unwrap().len(), 2, "sector at {hole}");
        }
        // The same record whole, one bit flipped: damage.
        let mut bytes = full.clone();
        bytes[sector + 7] ^= 4;
        std::fs::write(&path, &bytes).unwrap();
        assert!(reread(dir.path()).unwrap_err().is_corrupt());
    }

    #[test]
    fn a_foreign_file_is_refused_and_a_torn_magic_is_an_empty_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WAL_FILE);
        std::fs::write(&path, b"not a log at all").unwrap();
        let e = reread(dir.path()).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("not a cove block log"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"not a log at all");
        for torn in [&b"COVE"[..], b"COVEWAL2", b"COV\0\0\0\0\0\0\0\0", b"\0\0\0"] {
            std::fs::write(&path, torn).unwrap();
            assert_eq!(reread(dir.path()).unwrap(), Vec::new(), "{torn:?}");
        }
    }

    /// A record in the format before the length had its own checksum.
    fn v1_record(height: u64) -> Vec<u8> {
        let (b, r, c) = block(height);
        let mut body = Vec::new();
        encode_body(&mut body, &b, &r, &c);
        let mut out = (body.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&Sha256::digest(&body));
        out
    }

    #[test]
    fn a_log_of_the_first_format_is_read_and_appended_to_in_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WAL_FILE);
        let mut bytes = MAGIC_V1.to_vec();
        bytes.extend(v1_record(1));
        bytes.extend(v1_record(2));
        std::fs::write(&path, &bytes).unwrap();
        let mut wal = open(dir.path());
        assert_eq!(wal.read().unwrap(), vec![logged(1), logged(2)]);
        let (b, r, c) = block(3);
        wal.append(&b, &r, &c).unwrap();
        bytes.extend(v1_record(3));
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        wal.reset().unwrap();
        wal.append(&b, &r, &c).unwrap();
        assert!(std::fs::read(&path).unwrap().starts_with(MAGIC));
        assert_eq!(reread(dir.path()).unwrap(), vec![logged(3)]);
    }
}
