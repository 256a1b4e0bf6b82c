use super::super::io::FileIo;
use sha2::{Digest, Sha256};

use super::format::{HEADER, MAGIC, MAGIC_V1, MAGIC_V2, SALT, SECTOR, Salt, mask};
use super::*;

fn block(height: u64) -> (BlockInfo, Hash, ChangeSet) {
    let changes: ChangeSet =
        vec![(b"a".to_vec(), Some(vec![height as u8; 3])), (b"gone".to_vec(), None)].into_iter().collect();
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

fn append(wal: &mut Wal, height: u64) {
    let (b, r, c) = block(height);
    wal.append(&b, &r, &c).unwrap();
}

fn write(dir: &Path, heights: std::ops::RangeInclusive<u64>) -> u64 {
    let mut wal = open(dir);
    wal.read().unwrap();
    for h in heights {
        append(&mut wal, h);
    }
    wal.len()
}

/// A log of the first two formats holding `heights`, as they wrote it.
fn old_log(format: Format, heights: std::ops::RangeInclusive<u64>) -> Vec<u8> {
    let mut bytes = if format == Format::V1 { MAGIC_V1.to_vec() } else { MAGIC_V2.to_vec() };
    for h in heights {
        let (b, r, c) = block(h);
        bytes.extend(record(format, bytes.len(), &b, &r, &c).unwrap());
    }
    bytes
}

/// The formats whose behaviour the tests below check: the current one, written by
/// [`Wal`], and the one before, still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Current,
    Before,
}

/// Three records of the same size in a log of `kind`: the file, and the offset of each.
fn three(dir: &Path, kind: Kind) -> (PathBuf, Vec<u8>, [usize; 3]) {
    let path = dir.join(WAL_FILE);
    let (first, one) = match kind {
        Kind::Current => (HEADER, write(dir, 1..=1) as usize),
        Kind::Before => {
            std::fs::write(&path, old_log(Format::V2, 1..=1)).unwrap();
            (8, std::fs::metadata(&path).unwrap().len() as usize)
        }
    };
    match kind {
        Kind::Current => _ = write(dir, 2..=3),
        Kind::Before => std::fs::write(&path, old_log(Format::V2, 1..=3)).unwrap(),
    }
    let record = one - first;
    (path.clone(), std::fs::read(&path).unwrap(), [first, first + record, first + 2 * record])
}

#[test]
fn blocks_round_trip_and_reset_empties_the_log() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 1..=3);
    let mut wal = open(dir.path());
    assert_eq!(wal.read().unwrap(), (1..=3).map(logged).collect::<Vec<_>>());
    wal.reset().unwrap();
    assert_eq!(std::fs::metadata(dir.path().join(WAL_FILE)).unwrap().len(), 0);
    append(&mut wal, 4);
    drop(wal);
    assert_eq!(reread(dir.path()).unwrap(), vec![logged(4)]);
    let bytes = std::fs::read(dir.path().join(WAL_FILE)).unwrap();
    assert!(bytes.starts_with(MAGIC));
    // The header, then one record padded to a whole sector.
    assert_eq!(bytes.len(), HEADER + SECTOR);
}

#[test]
fn records_are_masked_with_the_salt_of_their_log_and_each_log_gets_its_own() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut wal = open(a.path());
    wal.read().unwrap();
    let value = b"a value to look for on disk".to_vec();
    let changes: ChangeSet = vec![(b"key".to_vec(), Some(value.clone()))].into_iter().collect();
    wal.append(&BlockInfo { height: 1, timestamp: 1 }, &[1; 32], &changes).unwrap();
    let first = std::fs::read(a.path().join(WAL_FILE)).unwrap();
    assert!(!first.windows(value.len()).any(|w| w == value), "the body must be masked on disk");
    // A new log after a reset, and another log of the same block: other salts, other
    // bytes, the same block read back.
    wal.reset().unwrap();
    wal.append(&BlockInfo { height: 1, timestamp: 1 }, &[1; 32], &changes).unwrap();
    let second = std::fs::read(a.path().join(WAL_FILE)).unwrap();
    let mut other = open(b.path());
    other.read().unwrap();
    other.append(&BlockInfo { height: 1, timestamp: 1 }, &[1; 32], &changes).unwrap();
    let third = std::fs::read(b.path().join(WAL_FILE)).unwrap();
    let salt = |log: &[u8]| log[8..8 + SALT].to_vec();
    assert!(salt(&first) != salt(&second) && salt(&second) != salt(&third) && salt(&first) != salt(&third));
    assert!(first[HEADER + 8..] != second[HEADER + 8..] && second[HEADER + 8..] != third[HEADER + 8..]);
    // The record's header (length and its CRC) is the same: only the rest is masked.
    assert_eq!(first[HEADER..HEADER + 8], third[HEADER..HEADER + 8]);
    for dir in [a.path(), b.path()] {
        let blocks = reread(dir).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].changes, changes);
    }
}

#[test]
fn the_mask_is_the_documented_keystream() {
    let salt: Salt = std::array::from_fn(|i| i as u8 * 11);
    for n in [0u64, 1, 17, 1 << 50] {
        let mut data = [0; 32];
        mask(&salt, n as usize * 32, &mut data);
        let stream = Sha256::new()
            .chain_update(b"cove block log mask")
            .chain_update(salt)
            .chain_update(n.to_le_bytes());
        assert_eq!(data[..], stream.finalize()[..], "n {n}");
    }
}

#[test]
fn the_mask_is_its_own_inverse_at_any_offset() {
    let salt = [7; SALT];
    let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    for offset in [0, 1, 31, 32, 520, 4095] {
        let mut masked = data.clone();
        mask(&salt, offset, &mut masked);
        assert_ne!(masked, data);
        // Masking a piece at its own offset agrees with masking the whole.
        let mut piece = data[100..200].to_vec();
        mask(&salt, offset + 100, &mut piece);
        assert_eq!(piece, masked[100..200]);
        mask(&salt, offset, &mut masked);
        assert_eq!(masked, data);
    }
}

#[test]
fn a_torn_tail_is_dropped_at_every_cut_and_the_next_append_follows_the_valid_prefix() {
    for kind in [Kind::Current, Kind::Before] {
        let dir = tempfile::tempdir().unwrap();
        let (path, full, at) = three(dir.path(), kind);
        let record = at[1] - at[0];
        // Every cut of the older format; in the current one, whose records are mostly
        // padding, every cut near a record's header and every 16th elsewhere.
        let cuts = (0..full.len()).filter(|&c| kind == Kind::Before || c % SECTOR < 48 || c % 16 == 0);
        for cut in cuts {
            // Cut, or cut and then zeros (an extension whose data never reached the
            // disk): a crash zeroes whole sectors, so zeros start where a record or a
            // sector does.
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
                let kept = cut.saturating_sub(at[0]) / record;
                assert_eq!(blocks.len(), kept, "{kind:?}: cut at {cut}, {zeros} zeros");
                // Reading wrote nothing: the tail is cut by the next append.
                assert_eq!(std::fs::read(&path).unwrap(), bytes, "{kind:?}: cut at {cut}");
                append(&mut wal, 9);
                let again = reread(dir.path()).unwrap();
                assert_eq!(again.len(), kept + 1, "{kind:?}: cut at {cut}, {zeros} zeros");
                assert_eq!(again.last().unwrap(), &logged(9));
                // A log left with no block starts again in the current format.
                assert!(kept > 0 || std::fs::read(&path).unwrap().starts_with(MAGIC), "cut at {cut}");
            }
        }
    }
}

#[test]
fn a_flipped_byte_before_the_last_record_is_an_error_naming_the_offset_and_changes_nothing() {
    for kind in [Kind::Current, Kind::Before] {
        let dir = tempfile::tempdir().unwrap();
        let (path, full, at) = three(dir.path(), kind);
        // Every byte of the first two records, header and length included.
        for i in at[0]..at[2] {
            let mut bytes = full.clone();
            bytes[i] ^= 0x10;
            std::fs::write(&path, &bytes).unwrap();
            let e = reread(dir.path()).expect_err("damage must be an error");
            assert!(e.is_corrupt(), "{kind:?} byte {i}: {e}");
            let record = if i < at[1] { at[0] } else { at[1] };
            assert!(e.message().contains(&format!("at byte {record}:")), "{kind:?} byte {i}: {e}");
            assert!(e.message().contains(WAL_FILE), "{e}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "byte {i}: the log must be left as it was");
        }
        // The magic, and (in the current format) the rest of the header. (The magic's
        // last byte flipped names the other format, whose parse fails at byte 0 or 8.)
        let header = if kind == Kind::Current { 0..HEADER } else { 0..8 };
        for i in header {
            let mut bytes = full.clone();
            bytes[i] ^= 1;
            std::fs::write(&path, &bytes).unwrap();
            let e = reread(dir.path()).unwrap_err();
            let at = if i == 7 { "" } else { "at byte 0:" };
            assert!(e.is_corrupt() && e.message().contains(at), "{kind:?} byte {i}: {e}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }
}

#[test]
fn the_last_record_is_a_torn_tail_only_with_a_sector_never_written_and_its_length_is_checked() {
    for kind in [Kind::Current, Kind::Before] {
        let dir = tempfile::tempdir().unwrap();
        let (path, full, at) = three(dir.path(), kind);
        // A flipped bit in the body, the hash or the padding of the last, whole record:
        // it was synced (reported committed), so this is damage, never a silent drop.
        for i in at[2] + 8..full.len() {
            let mut bytes = full.clone();
            bytes[i] ^= 1;
            std::fs::write(&path, &bytes).unwrap();
            let e = reread(dir.path()).unwrap_err();
            assert!(e.is_corrupt() && e.message().contains(&format!("at byte {}:", at[2])), "byte {i}: {e}");
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
}

/// A log of blocks 1..=2 and a last block 3 of several sectors, whose value is
/// `value`: the file, and where block 3's record starts.
fn big_last(dir: &Path, value: Vec<u8>) -> (PathBuf, Vec<u8>, usize) {
    let start = write(dir, 1..=2) as usize;
    let mut wal = open(dir);
    wal.read().unwrap();
    let changes: ChangeSet = vec![(b"big".to_vec(), Some(value))].into_iter().collect();
    wal.append(&BlockInfo { height: 3, timestamp: 21 }, &[3; 32], &changes).unwrap();
    drop(wal);
    let path = dir.join(WAL_FILE);
    (path.clone(), std::fs::read(&path).unwrap(), start)
}

#[test]
fn a_last_record_with_a_sector_never_written_is_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    // A record of several sectors, as a crash can leave it: its pages written back
    // out of order, one sector of it still zero.
    let value: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8 + 1).collect();
    let (path, full, start) = big_last(dir.path(), value);
    assert_eq!(start % SECTOR, 0);
    for hole in (start..full.len()).step_by(SECTOR) {
        let mut bytes = full.clone();
        bytes[hole..hole + SECTOR].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(reread(dir.path()).unwrap().len(), 2, "sector at {hole}");
    }
    // The same record whole, one bit flipped: damage.
    let mut bytes = full.clone();
    bytes[start + SECTOR + 7] ^= 4;
    std::fs::write(&path, &bytes).unwrap();
    assert!(reread(dir.path()).unwrap_err().is_corrupt());
}

#[test]
fn a_last_record_holding_zeros_has_no_zero_sector_and_any_flipped_byte_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    // 4 KiB of zeros: eight whole sectors of them in the body, whatever its offset.
    let (path, full, start) = big_last(dir.path(), vec![0; 4096]);
    assert!(full[start..].chunks(SECTOR).all(|sector| sector.iter().any(|&b| b != 0)));
    assert_eq!(reread(dir.path()).unwrap().len(), 3);
    for i in start..full.len() {
        let mut bytes = full.clone();
        bytes[i] ^= 0x80;
        std::fs::write(&path, &bytes).unwrap();
        let e = reread(dir.path()).expect_err("a block reported committed must not be dropped");
        assert!(e.is_corrupt() && e.message().contains(&format!("at byte {start}:")), "byte {i}: {e}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}

#[test]
fn a_foreign_file_is_refused_and_a_torn_magic_or_header_is_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(WAL_FILE);
    std::fs::write(&path, b"not a log at all").unwrap();
    let e = reread(dir.path()).unwrap_err();
    assert!(e.is_corrupt() && e.message().contains("not a cove block log"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), b"not a log at all");
    for torn in [&b"COVE"[..], b"COVEWAL2", b"COVEWAL3", b"COV\0\0\0\0\0\0\0\0", b"\0\0\0"] {
        std::fs::write(&path, torn).unwrap();
        assert_eq!(reread(dir.path()).unwrap(), Vec::new(), "{torn:?}");
    }
    // A header cut anywhere, or whole and followed by zeros only: no record was ever
    // written after it (a header is synced before the first record).
    let header = format::header(&[9; SALT]);
    for cut in (0..=40).chain((41..HEADER).step_by(31)).chain([HEADER - 1, HEADER]) {
        for tail in [0, 700] {
            let mut bytes = header[..cut].to_vec();
            bytes.resize(cut + tail, 0);
            std::fs::write(&path, &bytes).unwrap();
            let mut wal = open(dir.path());
            assert_eq!(wal.read().unwrap(), Vec::new(), "header cut at {cut}");
            append(&mut wal, 1);
            assert_eq!(reread(dir.path()).unwrap(), vec![logged(1)], "header cut at {cut}");
        }
    }
    // A whole header damaged since is refused, records after it or not.
    for i in [8, 8 + SALT, 8 + SALT + 3, HEADER - 1] {
        let mut bytes = header.clone();
        bytes[i] ^= 2;
        std::fs::write(&path, &bytes).unwrap();
        let e = reread(dir.path()).unwrap_err();
        assert!(e.is_corrupt() && e.message().contains("at byte 0: the log's header"), "byte {i}: {e}");
    }
}

#[test]
fn logs_of_the_formats_before_are_read_and_appended_to_in_their_format() {
    for format in [Format::V1, Format::V2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WAL_FILE);
        let mut bytes = old_log(format, 1..=2);
        std::fs::write(&path, &bytes).unwrap();
        let mut wal = open(dir.path());
        assert_eq!(wal.read().unwrap(), vec![logged(1), logged(2)]);
        append(&mut wal, 3);
        let (b, r, c) = block(3);
        bytes.extend(record(format, bytes.len(), &b, &r, &c).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{format:?}");
        wal.reset().unwrap();
        append(&mut wal, 3);
        assert!(std::fs::read(&path).unwrap().starts_with(MAGIC));
        assert_eq!(reread(dir.path()).unwrap(), vec![logged(3)]);
    }
}
