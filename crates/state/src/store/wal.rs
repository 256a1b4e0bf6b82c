//! The block log (`state.wal`): what makes a block durable before its tables are.
//!
//! A commit appends the block (height, time, root and change set) to this file and
//! syncs it: one sequential write per block instead of the tens of MiB of B-tree pages a
//! durable redb commit writes back. The tables catch up every `write_back_blocks`
//! blocks in one redb transaction, after which the log is emptied (a synced
//! truncation). On open, blocks the log holds above the tables' head are replayed into
//! the tables, each checked against its recorded root (`docs/state.md`, "The block log").
//!
//! File ([`format`]): a one-sector header `COVEWAL3 ++ salt (16) ++ CRC-32(magic ++
//! salt) (u32 LE)`, zeros to 512 bytes, then records, each on a sector boundary:
//! `body length (u32 LE) ++ CRC-32(body length) (u32 LE) ++ mask(body ++ SHA-256(body)
//! ++ zeros to a whole sector)`, where the body is `height (u64 BE) ++ timestamp (u64
//! BE) ++ root (32) ++ count (u32 BE)` and `count` changes `key length (u32 BE) ++ key ++
//! tag (1)`, tag 1 followed by `value length (u32 BE) ++ value`, tag 0 a deletion. The
//! mask is a keystream drawn from the salt, which a new log gets at its first append
//! (the header is written and synced alone, before the record). Logs of the formats
//! before (`COVEWAL2`: unmasked, unpadded; `COVEWAL1`: no CRC of the length either) are
//! still read, and appended to in their own format until their next truncation.
//!
//! Records are only ever appended after the last synced one, and a commit reports
//! success only after its record is synced, so a crash can only damage the tail. The
//! reader therefore drops only what an unsynced append can leave: an incomplete last
//! record, a last record whose hash fails (followed by nothing or by zeros only) and
//! that has a sector never written (all zero: the mask keeps a written sector from ever
//! being), a record whose first sector was never written with no whole record after
//! it, a trailing run of zero bytes, or a log holding no record. Anything else (a
//! length that fails its CRC, a record that fails its hash with more records after it,
//! a whole last record that fails its hash, a record that passes its hash but does not
//! decode) is damage: [`StorageError::corrupt`] naming the file and the byte offset,
//! and the file is left exactly as it was. A torn tail is cut off only by the next
//! append, so an open that fails, or a read-only one, never writes.

mod format;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use merkle::Hash;
use types::{BlockInfo, StorageError};

pub(super) use self::format::LoggedBlock;
use self::format::{Format, header, new_salt, parse, record};
use super::io::{LogFile, StoreIo};
use crate::ChangeSet;

/// The log's file name inside the data directory.
pub(super) const WAL_FILE: &str = "state.wal";

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
    /// The format of the valid prefix; `None` while it is empty (the next append
    /// starts a new log, in the current format).
    format: Option<Format>,
    /// Set when an append or a truncation failed and could not be undone: what the
    /// file holds is then unknown until the store is reopened (and reads it).
    failed: bool,
}

fn err(path: &Path, what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::io(format!("block log {}: {what}: {e}", path.display()))
}

impl Wal {
    /// Opens or creates `<dir>/state.wal` through `io`; [`Wal::read`] reads it. Writes
    /// nothing to an existing file.
    pub(super) fn open(io: &dyn StoreIo, dir: &Path) -> Result<Wal, StorageError> {
        let path = dir.join(WAL_FILE);
        let file = io.open_log(&path).map_err(|e| err(&path, "open", e))?;
        let file_len = file.len().map_err(|e| err(&path, "stat", e))?;
        Ok(Wal { file, path, read: false, len: file_len, file_len, format: None, failed: false })
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
    /// A torn tail left by a crash is cut off first, in the same sync. An empty log is
    /// started first: its header, with a new salt, is written and synced on its own, so
    /// that no crash can leave a record behind a header never written. On error the log
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
        let format = match self.format {
            Some(format) => format,
            None => {
                let salt = new_salt();
                self.extend(&header(&salt))?;
                *self.format.insert(Format::V3(salt))
            }
        };
        let offset = usize::try_from(self.len).map_err(|e| err(&self.path, "size", e))?;
        let out = record(format, offset, block, root, changes)?;
        self.extend(&out)
    }

    /// Writes `data` at the end of the valid prefix (cutting a torn tail first) and
    /// syncs it; on error, cuts the file back to the valid prefix.
    fn extend(&mut self, data: &[u8]) -> Result<(), StorageError> {
        let cut = self.file_len != self.len;
        let written = (if cut { self.file.set_len(self.len) } else { Ok(()) })
            .and_then(|()| self.file.write(self.len, data))
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += data.len() as u64;
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
    /// skips the logged blocks the tables already hold). The next append starts a new
    /// log, with a new salt.
    pub(super) fn reset(&mut self) -> Result<(), StorageError> {
        match self.file.set_len(0).and_then(|()| self.file.sync_data()) {
            Ok(()) => {
                (self.len, self.file_len, self.format, self.read) = (0, 0, None, true);
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
