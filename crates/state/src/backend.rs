//! The seam between the journal and committed storage.

use std::collections::BTreeMap;
use std::ops::Bound;

use merkle::Hash;
use types::{BlockInfo, StorageError};

use crate::{BlockRecord, History};

/// The order of a range read ([`Backend::scan_range`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending key order.
    Ascending,
    /// Descending key order.
    Descending,
}

/// The full-key bounds of the keys `prefix ++ k` with `start <= k < end`: the lowest
/// key and, if there is one, the first key above the range (exclusive). `None` when
/// the range is empty (`start >= end`), so callers never hand an inverted range to a
/// map (`BTreeMap::range` panics on one).
pub(crate) fn range_bounds(
    prefix: &[u8],
    start: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    if let (Some(s), Some(e)) = (start, end)
        && s >= e
    {
        return None;
    }
    let low = [prefix, start.unwrap_or_default()].concat();
    let high = match end {
        Some(e) => Some([prefix, e].concat()),
        None => prefix_end(prefix),
    };
    Some((low, high))
}

/// The first key above every key starting with `prefix`, or `None` if there is none
/// (`prefix` is empty or all `0xff`).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Whether `key` is `prefix ++ k` with `start <= k < end`.
pub(crate) fn in_range(key: &[u8], prefix: &[u8], start: Option<&[u8]>, end: Option<&[u8]>) -> bool {
    let Some(rest) = key.strip_prefix(prefix) else { return false };
    start.is_none_or(|s| rest >= s) && end.is_none_or(|e| rest < e)
}

/// A set of writes to apply atomically; `None` = delete.
///
/// Ordered by key, each key once, so applying a change set is deterministic and
/// backends see keys in ascending order. (A sorted vector rather than a map: built once
/// per block from the journal, read once in order by the backend.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl ChangeSet {
    /// The change set of `writes`; where a key is written more than once, the last
    /// write wins.
    pub fn new(writes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>) -> ChangeSet {
        let mut writes: Vec<_> = writes.into_iter().collect();
        // Stable, so equal keys keep their order and the last one can win.
        writes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(writes.len());
        for (key, value) in writes {
            match out.last_mut() {
                Some(last) if last.0 == key => last.1 = value,
                _ => out.push((key, value)),
            }
        }
        ChangeSet { writes: out }
    }

    /// The change set of `writes` already in ascending key order, each key once (checked
    /// in one pass; writes that are not are sorted as [`ChangeSet::new`] does).
    pub fn from_sorted(writes: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> ChangeSet {
        if writes.windows(2).all(|w| w[0].0 < w[1].0) { ChangeSet { writes } } else { ChangeSet::new(writes) }
    }

    /// From writes whose keys are known to be distinct (a map's): no deduplication.
    pub(crate) fn from_distinct(mut writes: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> ChangeSet {
        writes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        debug_assert!(writes.windows(2).all(|w| w[0].0 < w[1].0), "keys must be distinct");
        ChangeSet { writes }
    }

    /// The writes in ascending key order: `(key, Some(value))` or `(key, None)` to delete.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], Option<&[u8]>)> {
        self.writes.iter().map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    /// What the change set does to `key`: `None` if nothing, `Some(None)` if it deletes it.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        let at = self.writes.binary_search_by(|(k, _)| k.as_slice().cmp(key)).ok()?;
        Some(self.writes[at].1.as_deref())
    }

    /// The writes in ascending key order, as stored.
    pub(crate) fn entries(&self) -> &[(Vec<u8>, Option<Vec<u8>>)] {
        &self.writes
    }

    /// The writes, by value, in ascending key order.
    pub fn into_writes(self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        self.writes
    }

    /// Whether the change set writes nothing.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The number of keys written or deleted.
    pub fn len(&self) -> usize {
        self.writes.len()
    }
}

impl FromIterator<(Vec<u8>, Option<Vec<u8>>)> for ChangeSet {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>>(iter: I) -> ChangeSet {
        ChangeSet::new(iter)
    }
}

/// Committed state. Implementations must be Send + Sync.
pub trait Backend: Send + Sync {
    /// The committed value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Hands the committed value under `key` to `f` without copying it out, where the
    /// backend can (the default copies, through [`Backend::get`]).
    fn get_with(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StorageError> {
        f(self.get(key)?.as_deref());
        Ok(())
    }

    /// All committed (key, value) pairs whose key starts with `prefix`, in ascending key order.
    #[expect(
        clippy::type_complexity,
        reason = "the plain type is the documented signature; an alias would hide it"
    )]
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError>;

    /// At most `limit` committed pairs whose key is `prefix ++ k` with `start <= k < end`
    /// (either bound may be absent; `start >= end` is an empty range), in `order`: the
    /// first `limit` of the range in that order. The result depends only on the
    /// committed state, never on how a backend holds it.
    ///
    /// The default filters [`Backend::scan_prefix`], so it reads the whole prefix;
    /// backends that can read a range (every backend of this crate) read at most `limit`
    /// pairs, so a caller that can pay for only `limit` never waits for more.
    #[expect(
        clippy::type_complexity,
        reason = "the plain type is the documented signature; an alias would hide it"
    )]
    fn scan_range(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let mut all = self.scan_prefix(prefix)?;
        all.retain(|(k, _)| in_range(k, prefix, start, end));
        if order == Order::Descending {
            all.reverse();
        }
        all.truncate(limit);
        Ok(all)
    }

    /// Commits block `block`: applies every change in one atomic, durable transaction
    /// and records the block. After it returns Ok, a crash or restart loses nothing; if it
    /// returns Err or the process dies midway, none of it applied (and on Err the change
    /// set is handed back). Returns the state root after the block, or `None` if the
    /// backend commits to no root.
    ///
    /// `block.height` must be one above [`Backend::head`]'s (1 for the first block) and
    /// its timestamp no earlier than the head's; otherwise nothing is applied.
    fn commit(
        &self,
        block: &BlockInfo,
        changes: ChangeSet,
    ) -> Result<Option<Hash>, (StorageError, ChangeSet)>;

    /// The last committed block, or `None` before the first.
    fn head(&self) -> Result<Option<BlockRecord>, StorageError>;

    /// Versions, roots and proofs, if this backend keeps them.
    fn history(&self) -> Option<&dyn History> {
        None
    }

    /// A number that changes whenever committed data may have changed (every
    /// [`Backend::commit`]), or `None` if the backend cannot tell. Readers that cache
    /// values decoded from the store compare it (through [`crate::Journal::stamp`]) to
    /// know their cache is still exact; with `None` they must not cache.
    fn generation(&self) -> Option<u64> {
        None
    }
}

/// At most `limit` pairs of the range `(low, high)` (full keys, `high` exclusive) in
/// `order`, from tables under an overlay of changes not yet in them (`None` deletes;
/// the overlay wins). `tables(bounds, n)` reads at most `n` pairs of the range `bounds`
/// (a part of `(low, high)`) from the tables, in `order`.
///
/// Both are walked only as far as the result needs: the tables are asked for as many
/// pairs as are still missing, and asked again past the last one read only when overlay
/// entries hid or replaced some of them; overlay entries are visited in order up to
/// where the result is complete, never the rest of the range. So the work is `limit`
/// plus the overlay entries before the last pair returned (and the table pairs they
/// hide), whatever else the range holds.
#[expect(clippy::type_complexity, reason = "the `Backend::scan_range` result")]
pub(crate) fn merge_overlay(
    overlay: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    (low, high): (&[u8], Option<&[u8]>),
    order: Order,
    limit: usize,
    mut tables: impl FnMut((&[u8], Option<&[u8]>), usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError>,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
    let upper = high.map_or(Bound::Unbounded, Bound::Excluded);
    let range = overlay.range::<[u8], _>((Bound::Included(low), upper));
    let over: Box<dyn Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)>> = match order {
        Order::Ascending => Box::new(range),
        Order::Descending => Box::new(range.rev()),
    };
    let mut over = over.peekable();
    // Whether `a` comes before `b` in `order`.
    let before = |a: &[u8], b: &[u8]| match order {
        Order::Ascending => a < b,
        Order::Descending => a > b,
    };
    let mut out = Vec::new();
    // The part of the range the tables have not been read over yet.
    let (mut lo, mut hi) = (low.to_vec(), high.map(<[u8]>::to_vec));
    while out.len() < limit {
        let need = limit - out.len();
        let base = tables((&lo, hi.as_deref()), need)?;
        // Only a read cut at `need` may leave pairs of the tables unread.
        let last = base.last().filter(|_| base.len() >= need).map(|(k, _)| k.clone());
        for (key, value) in base {
            while let Some((k, v)) = over.next_if(|(k, _)| before(k, &key)) {
                if let Some(v) = v {
                    out.push((k.clone(), v.clone()));
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
            match over.next_if(|(k, _)| **k == key) {
                Some((_, Some(v))) => out.push((key, v.clone())),
                Some((_, None)) => {}
                None => out.push((key, value)),
            }
            if out.len() >= limit {
                return Ok(out);
            }
        }
        let Some(last) = last else {
            // The tables' part of the range is read: the rest comes from the overlay.
            for (k, v) in over {
                if let Some(v) = v {
                    out.push((k.clone(), v.clone()));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            return Ok(out);
        };
        // Overlay entries hid some of the pairs read: read on past the last one.
        match order {
            Order::Ascending => {
                // The first key after `last`.
                lo = last;
                lo.push(0);
            }
            Order::Descending => hi = Some(last),
        }
    }
    Ok(out)
}

/// Checks that `block` may follow `head` ([`Backend::commit`]'s rule).
pub(crate) fn check_next(head: Option<&BlockRecord>, block: &BlockInfo) -> Result<(), StorageError> {
    let (height, timestamp) = head.map_or((0, 0), |h| (h.height, h.timestamp));
    if block.height != height + 1 {
        return Err(StorageError::io(format!("block {} cannot follow block {height}", block.height)));
    }
    if block.timestamp < timestamp {
        return Err(StorageError::io(format!(
            "block {} has time {}, before its parent's {timestamp}",
            block.height, block.timestamp
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

    fn k(i: u32) -> Vec<u8> {
        format!("k{i:05}").into_bytes()
    }

    /// Tables of `k(0)..k(n)` (value: the index), read as a backend would, recording each
    /// `(n asked, pairs returned)`.
    fn read(
        table: &BTreeMap<Vec<u8>, Vec<u8>>,
        (lo, hi): (&[u8], Option<&[u8]>),
        order: Order,
        n: usize,
    ) -> Pairs {
        let upper = hi.map_or(Bound::Unbounded, Bound::Excluded);
        let range = table.range::<[u8], _>((Bound::Included(lo), upper)).map(|(k, v)| (k.clone(), v.clone()));
        match order {
            Order::Ascending => range.take(n).collect(),
            Order::Descending => range.rev().take(n).collect(),
        }
    }

    /// What a merge must give: the tables with the overlay applied, in order, cut.
    fn model(
        table: &BTreeMap<Vec<u8>, Vec<u8>>,
        overlay: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        order: Order,
        limit: usize,
    ) -> Pairs {
        let mut all = table.clone();
        for (k, v) in overlay {
            match v {
                Some(v) => all.insert(k.clone(), v.clone()),
                None => all.remove(k),
            };
        }
        let mut out: Pairs = all.into_iter().collect();
        if order == Order::Descending {
            out.reverse();
        }
        out.truncate(limit);
        out
    }

    #[test]
    fn a_merge_reads_the_tables_only_as_far_as_the_result_needs() {
        let table: BTreeMap<Vec<u8>, Vec<u8>> = (0..1_000).map(|i| (k(i), vec![1])).collect();
        // The overlay deletes the first 300 table keys in either order, replaces some,
        // adds 5,000 keys after them and deletes keys the tables never held.
        let mut overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for i in (0..300).chain(700..1_000) {
            overlay.insert(k(i), None);
        }
        for i in (300..700).step_by(7) {
            overlay.insert(k(i), Some(vec![2]));
        }
        for i in 1_000..6_000 {
            overlay.insert(k(i), if i % 2 == 0 { Some(vec![3]) } else { None });
        }
        for order in [Order::Ascending, Order::Descending] {
            for limit in [0, 1, 2, 5, 399, 400, 401, 2_000, usize::MAX] {
                let reads = std::cell::RefCell::new(Vec::new());
                let got = merge_overlay(&overlay, (b"k", Some(b"l")), order, limit, |part, n| {
                    let out = read(&table, part, order, n);
                    reads.borrow_mut().push((n, out.len()));
                    Ok(out)
                })
                .unwrap();
                assert_eq!(got, model(&table, &overlay, order, limit), "{order:?} limit {limit}");
                // Never more table pairs than the result plus those the overlay deletes
                // (600), whatever the 5,000 overlay keys beyond the tables hold.
                let read: usize = reads.borrow().iter().map(|r| r.1).sum();
                assert!(read <= limit.saturating_add(600), "{order:?} limit {limit}: read {read}");
                // Each read asks for what is still missing, never more.
                let asked = reads.borrow().first().map_or(0, |r| r.0);
                assert!(asked <= limit, "{order:?} limit {limit}: asked {asked}");
            }
        }
    }
}
