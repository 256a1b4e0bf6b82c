//! The block log (`state.wal`): what makes a block durable before its tables are.
//!
//! A commit appends the block (height, time, root and change set) to this file and
//! syncs it: one sequential write per block instead of the tens of MiB of B-tree pages a
//! durable redb commit writes back. The tables catch up every `write_back_blocks`
//! blocks in one redb transaction, after which the log is emptied. On open, blocks the
//! log holds above the tables' head are replayed into the tables, each checked against
//! its recorded root (`docs/state.md`, "The block log").
//!
//! File: the magic `COVEWAL1`, then records, each
//! `body length (u32 LE) ++ body ++ SHA-256(body)`, where the body is
//! `height (u64 BE) ++ timestamp (u64 BE) ++ root (32) ++ count (u32 BE)` and `count`
//! changes `key length (u32 BE) ++ key ++ tag (1)`, tag 1 followed by
//! `value length (u32 BE) ++ value`, tag 0 a deletion.
//!
//! Records are only ever appended after the last synced one, and a commit reports
//! success only after its record is synced, so only the tail can be torn by a crash: the
//! reader stops at the first record that is incomplete or fails its hash, and the
//! writer truncates the file there before appending again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use merkle::Hash;
use sha2::{Digest, Sha256};
use types::{BlockInfo, StorageError};

use crate::ChangeSet;

/// The log's file name inside the data directory.
pub(super) const WAL_FILE: &str = "state.wal";

/// The first bytes of every block log.
const MAGIC: &[u8; 8] = b"COVEWAL1";

/// Bytes of a record besides its body: the length before it and the hash after it.
const FRAME: usize = 4 + 32;

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
    file: File,
    path: PathBuf,
    /// The length of the valid prefix: where the next record goes.
    len: u64,
    /// Set when an append failed and the file could not be cut back: what the file
    /// holds past `len` is then unknown until the store is reopened (and reads it).
    failed: bool,
}

fn err(path: &Path, what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("block log {}: {what}: {e}", path.display()))
}

impl Wal {
    /// Opens or creates `<dir>/state.wal`; [`Wal::read`] reads it.
    pub(super) fn open(dir: &Path) -> Result<Wal, StorageError> {
        let path = dir.join(WAL_FILE);
        let created = !path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| err(&path, "open", e))?;
        if created {
            // The file's directory entry must survive a crash as well as its contents.
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| err(&path, "sync directory", e))?;
        }
        let len = file.metadata().map_err(|e| err(&path, "stat", e))?.len();
        Ok(Wal { file, path, len, failed: false })
    }

    /// Reads every block the log holds and cuts off a torn tail, so the next append
    /// follows the last whole record. A file that does not start with the magic is an
    /// error.
    pub(super) fn read(&mut self) -> Result<Vec<LoggedBlock>, StorageError> {
        use std::io::{Seek, SeekFrom};
        self.check()?;
        let mut bytes = Vec::new();
        self.file.seek(SeekFrom::Start(0)).map_err(|e| err(&self.path, "seek", e))?;
        self.file.read_to_end(&mut bytes).map_err(|e| err(&self.path, "read", e))?;
        let (blocks, len) = parse(&bytes).map_err(|what| err(&self.path, "corrupt", what))?;
        if len < bytes.len() {
            self.file.set_len(len as u64).map_err(|e| err(&self.path, "truncate a torn tail", e))?;
        }
        self.len = len as u64;
        Ok(blocks)
    }

    /// Appends one block and syncs it: when this returns Ok the block survives a crash.
    /// On error the log is cut back to where it was, so a later append cannot land
    /// behind a half-written record.
    pub(super) fn append(
        &mut self,
        block: &BlockInfo,
        root: &Hash,
        changes: &ChangeSet,
    ) -> Result<(), StorageError> {
        self.check()?;
        let mut out =
            Vec::with_capacity(if self.len == 0 { MAGIC.len() } else { 0 } + FRAME + body_len(changes));
        if self.len == 0 {
            out.extend_from_slice(MAGIC);
        }
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        encode_body(&mut out, block, root, changes);
        let body = &out[start + 4..];
        let body_len = u32::try_from(body.len()).map_err(|_| {
            StorageError::io(format!("block {} is too large for the block log", block.height))
        })?;
        let hash = Sha256::digest(body);
        out[start..start + 4].copy_from_slice(&body_len.to_le_bytes());
        out.extend_from_slice(&hash);
        let written = self.write_at_end(&out).and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += out.len() as u64;
                Ok(())
            }
            Err(e) => {
                if self.file.set_len(self.len).and_then(|()| self.file.sync_data()).is_err() {
                    // The record may yet be whole on disk: like a crash before the
                    // commit returned, the block may then survive a reopen.
                    self.failed = true;
                }
                Err(err(&self.path, "append", e))
            }
        }
    }

    fn write_at_end(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.file.seek(SeekFrom::Start(self.len))?;
        self.file.write_all(bytes)
    }

    /// Empties the log, once the tables hold every block in it. Not synced: if the
    /// truncation is lost in a crash, the blocks reappear and are skipped on replay as
    /// already in the tables.
    pub(super) fn reset(&mut self) -> Result<(), StorageError> {
        self.file.set_len(0).map_err(|e| err(&self.path, "truncate", e))?;
        self.len = 0;
        Ok(())
    }

    fn check(&self) -> Result<(), StorageError> {
        if self.failed {
            return Err(err(
                &self.path,
                "unusable",
                "an append failed and could not be undone; reopen the store",
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

/// The blocks of a whole log file and the length of its valid prefix. Stops at the
/// first record that is incomplete or fails its hash (a torn tail); a body that passes
/// its hash but does not decode is corruption, an error.
fn parse(bytes: &[u8]) -> Result<(Vec<LoggedBlock>, usize), String> {
    if bytes.is_empty() {
        return Ok((Vec::new(), 0));
    }
    if !bytes.starts_with(MAGIC) {
        // A crash can tear the very first append before the magic is whole.
        if MAGIC.starts_with(bytes) || bytes.iter().all(|&b| b == 0) {
            return Ok((Vec::new(), 0));
        }
        return Err("not a cove block log (no COVEWAL1 magic)".into());
    }
    let mut at = MAGIC.len();
    let mut blocks = Vec::new();
    while let Some(len) = bytes.get(at..at + 4) {
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        let Some(body) = bytes.get(at + 4..at + 4 + len) else { break };
        let Some(hash) = bytes.get(at + 4 + len..at + FRAME + len) else { break };
        if Sha256::digest(body).as_slice() != hash {
            break;
        }
        blocks.push(decode_body(body).ok_or_else(|| format!("record at byte {at} does not decode"))?);
        at += FRAME + len;
    }
    let len = if blocks.is_empty() { 0 } else { at };
    Ok((blocks, len))
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

    fn reread(dir: &Path) -> Vec<LoggedBlock> {
        Wal::open(dir).unwrap().read().unwrap()
    }

    fn write(dir: &Path, heights: std::ops::RangeInclusive<u64>) -> u64 {
        let mut wal = Wal::open(dir).unwrap();
        wal.read().unwrap();
        for h in heights {
            let (b, r, c) = block(h);
            wal.append(&b, &r, &c).unwrap();
        }
        wal.len()
    }

    #[test]
    fn blocks_round_trip_and_reset_empties_the_log() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1..=3);
        let mut wal = Wal::open(dir.path()).unwrap();
        assert_eq!(wal.read().unwrap(), (1..=3).map(logged).collect::<Vec<_>>());
        wal.reset().unwrap();
        let (b, r, c) = block(4);
        wal.append(&b, &r, &c).unwrap();
        drop(wal);
        assert_eq!(reread(dir.path()), vec![logged(4)]);
    }

    #[test]
    fn a_torn_tail_is_dropped_at_every_cut_and_the_next_append_follows_the_valid_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let one = write(dir.path(), 1..=1) as usize;
        write(dir.path(), 2..=3);
        let path = dir.path().join(WAL_FILE);
        let full = std::fs::read(&path).unwrap();
        // The three records are the same size.
        let record = one - MAGIC.len();
        for cut in 0..full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let mut wal = Wal::open(dir.path()).unwrap();
            let blocks = wal.read().unwrap();
            let kept = cut.saturating_sub(MAGIC.len()) / record;
            assert_eq!(blocks.len(), kept, "cut at {cut}");
            // Appending again lands right after the blocks kept.
            let (b, r, c) = block(9);
            wal.append(&b, &r, &c).unwrap();
            let again = reread(dir.path());
            assert_eq!(again.len(), kept + 1, "cut at {cut}");
            assert_eq!(again.last().unwrap(), &logged(9));
        }
    }

    #[test]
    fn a_flipped_byte_ends_the_log_there_and_a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1..=3);
        let path = dir.path().join(WAL_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 40;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(reread(dir.path()).len(), 2);
        std::fs::write(&path, b"not a log at all").unwrap();
        let e = Wal::open(dir.path()).unwrap().read().unwrap_err();
        assert!(e.to_string().contains("not a cove block log"), "{e}");
    }
}
