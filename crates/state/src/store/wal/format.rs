//! The block log's bytes: its three formats, a record's encoding and its mask, and the
//! parser that tells the torn tail of an unsynced append from damage. Pure functions
//! over bytes: reading and writing the file, and syncing it, belong to [`super::Wal`].
//!
//! The current format (`COVEWAL3`) makes "zeros on disk" mean "never written": a
//! record's body and hash are masked with a keystream drawn from a random salt in the
//! log's header, and records are padded to whole sectors, so every 512-byte sector of a
//! synced record holds masked bytes, which are all zero only if the record's content
//! equals the keystream there (a chance of 2^-4096 for content that does not know the
//! salt, and nothing outside the node's disk does). A last record that fails its hash
//! is then a torn tail exactly when one of its sectors is all zero. In the formats
//! before (`COVEWAL1`, `COVEWAL2`), a block whose payload held an aligned 512-byte run
//! of zeros made the same record look torn once damaged.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use merkle::Hash;
use sha2::{Digest, Sha256};
use types::{BlockInfo, StorageError};

use crate::ChangeSet;

/// The first bytes of every block log written now.
pub(super) const MAGIC: &[u8; 8] = b"COVEWAL3";

/// The first bytes of a block log from before records were masked and padded.
pub(super) const MAGIC_V2: &[u8; 8] = b"COVEWAL2";

/// The first bytes of a block log from before the length had a checksum.
pub(super) const MAGIC_V1: &[u8; 8] = b"COVEWAL1";

/// The unit a disk writes whole: a crash leaves each sector of an append either written
/// or as it was (zeros, past the log's synced end), never half of one.
pub(super) const SECTOR: usize = 512;

/// Bytes of the header of a `COVEWAL3` log: `magic ++ salt ++ CRC-32(magic ++ salt)`,
/// then zeros to a whole sector, so that every record starts on a sector.
pub(super) const HEADER: usize = SECTOR;

/// Bytes of a log's salt.
pub(super) const SALT: usize = 16;

/// The salt of a `COVEWAL3` log: node-local, random, chosen when the log is started.
pub(super) type Salt = [u8; SALT];

/// Bytes of the hash after a record's body.
const HASH: usize = 32;

/// Keeps the mask's keystream apart from every other use of SHA-256 in cove.
const MASK_DOMAIN: &[u8] = b"cove block log mask";

/// The record format of one log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `COVEWAL1`: `length ++ body ++ hash`.
    V1,
    /// `COVEWAL2`: `length ++ CRC-32(length) ++ body ++ hash`.
    V2,
    /// `COVEWAL3`: `length ++ CRC-32(length) ++ mask(body ++ hash ++ zeros)`, to a
    /// whole number of sectors, each record starting on a sector.
    V3(Salt),
}

impl Format {
    /// Bytes before a record's body.
    fn record_header(self) -> usize {
        match self {
            Format::V1 => 4,
            Format::V2 | Format::V3(_) => 8,
        }
    }
}

/// One logged block.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::store) struct LoggedBlock {
    pub(in crate::store) block: BlockInfo,
    pub(in crate::store) root: Hash,
    pub(in crate::store) changes: ChangeSet,
}

/// A fresh salt. From std's `RandomState`, whose keys come from the operating system's
/// random source (a workspace crate would otherwise need `getrandom` directly), mixed
/// with the process id and a counter so that two logs of one process never share one.
/// The salt only masks the log on this node's disk: it never reaches a result, a root
/// or gas, and replay removes the mask before anything reads a record.
pub(super) fn new_salt() -> Salt {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Sha256::new();
    seed.update(b"cove block log salt");
    seed.update(std::process::id().to_le_bytes());
    seed.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    for part in 0..2u8 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(part);
        seed.update(hasher.finish().to_le_bytes());
    }
    let mut salt = [0; SALT];
    salt.copy_from_slice(&seed.finalize()[..SALT]);
    salt
}

/// The header of a `COVEWAL3` log with `salt`.
pub(super) fn header(salt: &Salt) -> Vec<u8> {
    let mut out = vec![0; HEADER];
    out[..8].copy_from_slice(MAGIC);
    out[8..8 + SALT].copy_from_slice(salt);
    let crc = crc32fast::hash(&out[..8 + SALT]);
    out[8 + SALT..12 + SALT].copy_from_slice(&crc.to_le_bytes());
    out
}

/// XORs `data`, which sits at byte `offset` of the log, with the log's keystream: the
/// `n`-th 32 bytes of the file with `SHA-256(MASK_DOMAIN ++ salt ++ n (u64 LE))`. Its
/// own inverse.
pub(super) fn mask(salt: &Salt, offset: usize, data: &mut [u8]) {
    let mut keystream = Keystream::new(salt);
    let mut i = 0;
    while i < data.len() {
        let at = offset + i;
        let skip = at % 32;
        let n = (32 - skip).min(data.len() - i);
        let stream = keystream.at(at as u64 / 32);
        for (byte, key) in data[i..i + n].iter_mut().zip(&stream[skip..]) {
            *byte ^= key;
        }
        i += n;
    }
}

/// SHA-256's initial state.
const SHA256_IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// Bytes of `MASK_DOMAIN ++ salt ++ n`: one SHA-256 block with its padding.
const KEYSTREAM_INPUT: usize = MASK_DOMAIN.len() + SALT + 8;

/// `SHA-256(MASK_DOMAIN ++ salt ++ n)` for any `n`, computed as the one compression it
/// is (the input and its padding fit one 64-byte block): the same bytes as
/// `Sha256::digest`, without a hasher's setup and finalisation per 32 bytes, which
/// cost more than the compression itself.
struct Keystream {
    block: [u8; 64],
}

impl Keystream {
    fn new(salt: &Salt) -> Keystream {
        const { assert!(KEYSTREAM_INPUT < 56, "the input and its padding must fit one block") };
        let mut block = [0; 64];
        block[..MASK_DOMAIN.len()].copy_from_slice(MASK_DOMAIN);
        block[MASK_DOMAIN.len()..MASK_DOMAIN.len() + SALT].copy_from_slice(salt);
        block[KEYSTREAM_INPUT] = 0x80;
        block[56..].copy_from_slice(&(KEYSTREAM_INPUT as u64 * 8).to_be_bytes());
        Keystream { block }
    }

    fn at(&mut self, n: u64) -> [u8; 32] {
        self.block[KEYSTREAM_INPUT - 8..KEYSTREAM_INPUT].copy_from_slice(&n.to_le_bytes());
        let mut state = SHA256_IV;
        sha2::block_api::compress256(&mut state, std::slice::from_ref(&self.block));
        let mut out = [0; 32];
        for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// The record of one block in `format`, to be written at byte `offset` of the log.
pub(super) fn record(
    format: Format,
    offset: usize,
    block: &BlockInfo,
    root: &Hash,
    changes: &ChangeSet,
) -> Result<Vec<u8>, StorageError> {
    let head = format.record_header();
    let mut out = Vec::with_capacity((head + body_len(changes) + HASH).next_multiple_of(SECTOR));
    out.resize(head, 0);
    encode_body(&mut out, block, root, changes);
    let len = u32::try_from(out.len() - head)
        .map_err(|_| StorageError::io(format!("block {} is too large for the block log", block.height)))?;
    let hash = Sha256::digest(&out[head..]);
    out.extend_from_slice(&hash);
    out[..4].copy_from_slice(&len.to_le_bytes());
    if format != Format::V1 {
        out[4..8].copy_from_slice(&crc32fast::hash(&len.to_le_bytes()).to_le_bytes());
    }
    if let Format::V3(salt) = format {
        out.resize(out.len().next_multiple_of(SECTOR), 0);
        mask(&salt, offset + head, &mut out[head..]);
    }
    Ok(out)
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
    pub(super) fn error(&self, path: &std::path::Path) -> StorageError {
        StorageError::corrupt(format!(
            "block log {} is damaged at byte {}: {}; it was left as it was",
            path.display(),
            self.offset,
            self.what
        ))
    }
}

/// What [`parse`] found in a whole log file.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) blocks: Vec<LoggedBlock>,
    /// The length of the valid prefix (0 if it holds no block).
    pub(super) valid: usize,
    /// The format of the valid prefix; `None` when it is empty.
    pub(super) format: Option<Format>,
}

fn zeros(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Whether some sector-aligned piece of `bytes[start..end]` is all zeros: what an append
/// torn by a crash leaves (its pages written back in any order), and what a flipped bit
/// in a whole record does not. (In `COVEWAL3` every piece is a whole, masked sector.)
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

/// Whether `head` is what a torn first write can leave of `magic`: a prefix of it,
/// then zeros.
fn torn_magic(head: &[u8], magic: &[u8]) -> bool {
    let whole = head.iter().zip(magic).take_while(|(a, b)| a == b).count();
    zeros(&head[whole..])
}

/// The format of the log `bytes` and where its first record starts; `Ok(None)` for a
/// log whose magic or header a crash tore (it holds no record).
fn format(bytes: &[u8]) -> Result<Option<(Format, usize)>, Damage> {
    if bytes.starts_with(MAGIC) {
        // The header is written alone, and synced before the first record: whole (its
        // padding perhaps cut short by a crash, and so missing), or a prefix of it
        // ending before its CRC does, then zeros only.
        let head = &bytes[..bytes.len().min(HEADER)];
        let crc_end = 12 + SALT;
        let whole = head.len() >= crc_end
            && crc32fast::hash(&head[..8 + SALT]).to_le_bytes() == head[8 + SALT..crc_end]
            && zeros(&head[crc_end..]);
        if whole {
            let mut salt = [0; SALT];
            salt.copy_from_slice(&head[8..8 + SALT]);
            return Ok(Some((Format::V3(salt), HEADER)));
        }
        if zeros(bytes.get(crc_end - 1..).unwrap_or_default()) {
            return Ok(None);
        }
        return Err(Damage::new(0, "the log's header fails its checksum"));
    }
    if bytes.starts_with(MAGIC_V2) {
        return Ok(Some((Format::V2, 8)));
    }
    if bytes.starts_with(MAGIC_V1) {
        return Ok(Some((Format::V1, 8)));
    }
    // A crash can tear the very first write before its magic is whole.
    let head = &bytes[..bytes.len().min(8)];
    if zeros(&bytes[head.len()..]) && [MAGIC, MAGIC_V2, MAGIC_V1].iter().any(|m| torn_magic(head, *m)) {
        return Ok(None);
    }
    Err(Damage::new(0, "not a cove block log (no COVEWAL magic)"))
}

/// The blocks of a whole log file and the length of its valid prefix. Drops only an
/// unsynced tail (see `super`'s module doc); any other damage is an error at its offset.
pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, Damage> {
    let empty = Parsed { blocks: Vec::new(), valid: 0, format: None };
    let Some((format, mut at)) = format(bytes)? else { return Ok(empty) };
    let header = format.record_header();
    let mut blocks = Vec::new();
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        // The end, or a trailing run of zeros: an append's extension never written.
        if zeros(rest) {
            break;
        }
        if let Format::V3(salt) = format
            && zeros(&rest[..SECTOR.min(rest.len())])
        {
            // The record's first sector was never written (a record's header is never
            // zero) while a later one was: an append torn with its pages written back
            // out of order, unless a whole record follows (this one was then synced
            // before it, and lost a sector since).
            if record_after(bytes, at + SECTOR, &salt) {
                return Err(Damage::new(at, "a sector of the record is zeros and whole records follow"));
            }
            break;
        }
        // An incomplete header: a torn last record.
        let Some(head) = rest.get(..header) else { break };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if format != Format::V1 && crc32fast::hash(&head[..4]).to_le_bytes() != head[4..8] {
            // A header torn across pages reads as garbage then zeros.
            if zeros(&rest[header..]) {
                break;
            }
            return Err(Damage::new(at, "the record's length fails its checksum"));
        }
        let used = header.saturating_add(len).saturating_add(HASH);
        let end = match format {
            Format::V3(_) => used.checked_next_multiple_of(SECTOR).unwrap_or(usize::MAX),
            Format::V1 | Format::V2 => used,
        };
        // Incomplete: a torn last record (in format 1 a damaged length looks the same).
        let Some(record) = rest.get(..end) else { break };
        let plain = match format {
            Format::V3(salt) => {
                let mut plain = record[header..].to_vec();
                mask(&salt, at + header, &mut plain);
                Cow::Owned(plain)
            }
            Format::V1 | Format::V2 => Cow::Borrowed(&record[header..]),
        };
        let (body, hash, padding) = (&plain[..len], &plain[len..len + HASH], &plain[len + HASH..]);
        if Sha256::digest(body).as_slice() != hash {
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
        if !zeros(padding) {
            return Err(Damage::new(at, "the record's padding is not zeros"));
        }
        let block = decode_body(body)
            .ok_or_else(|| Damage::new(at, "the record passes its hash but does not decode"))?;
        blocks.push(block);
        at += end;
    }
    if blocks.is_empty() {
        return Ok(empty);
    }
    Ok(Parsed { blocks, valid: at, format: Some(format) })
}

/// Whether a whole `COVEWAL3` record that passes its hash starts on some sector of
/// `bytes[from..]`.
fn record_after(bytes: &[u8], from: usize, salt: &Salt) -> bool {
    (from..bytes.len()).step_by(SECTOR).any(|at| {
        let Some(head) = bytes.get(at..at.saturating_add(8)) else { return false };
        if crc32fast::hash(&head[..4]).to_le_bytes() != head[4..8] {
            return false;
        }
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(stored) = bytes.get(at + 8..(at + 8).saturating_add(len + HASH)) else { return false };
        let mut plain = stored.to_vec();
        mask(salt, at + 8, &mut plain);
        Sha256::digest(&plain[..len]).as_slice() == &plain[len..]
    })
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
