//! Two journals driven alike, for the tests that compare one with a model of it
//! (`layered.rs`, `sorted.rs`): a few keys, so backend, layers and writes overlap, and
//! the operations run on both.

use cove_state::{Checkpoint, Journal};
use proptest::prelude::*;

/// One of a few keys.
pub(crate) fn key() -> impl Strategy<Value = Vec<u8>> {
    (0u8..3, 0u8..6).prop_map(|(p, k)| vec![b'a' + p, b'0' + k])
}

/// Every key [`key`] makes.
pub(crate) fn keys() -> impl Iterator<Item = Vec<u8>> {
    (0u8..3).flat_map(|p| (0u8..6).map(move |k| vec![b'a' + p, b'0' + k]))
}

/// An entry: a value, or `None` (deleted).
pub(crate) fn entry() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 0..3))
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    Checkpoint,
    /// To the last checkpoint taken (which stays live).
    Revert,
    /// The last checkpoint taken.
    Accept,
    /// `prepare_reads` on the second journal.
    Prepare,
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), prop::collection::vec(any::<u8>(), 0..3)).prop_map(|(k, v)| Op::Set(k, v)),
        2 => key().prop_map(Op::Delete),
        1 => Just(Op::Checkpoint),
        1 => Just(Op::Revert),
        1 => Just(Op::Accept),
        1 => Just(Op::Prepare),
    ]
}

/// Runs `op` on `a` and `b` (a deletion must report the same on both); `live` holds
/// their checkpoints.
pub(crate) fn run(
    op: Op,
    a: &mut Journal,
    b: &mut Journal,
    live: &mut Vec<(Checkpoint, Checkpoint)>,
) -> Result<(), TestCaseError> {
    match op {
        Op::Set(k, v) => {
            a.set(&k, &v);
            b.set(&k, &v);
        }
        Op::Delete(k) => prop_assert_eq!(a.delete(&k).unwrap(), b.delete(&k).unwrap()),
        Op::Checkpoint => live.push((a.checkpoint(), b.checkpoint())),
        Op::Revert => {
            if let Some(&(x, y)) = live.last() {
                a.revert(x);
                b.revert(y);
            }
        }
        Op::Accept => {
            if let Some((x, y)) = live.pop() {
                a.accept(x);
                b.accept(y);
            }
        }
        Op::Prepare => b.prepare_reads(),
    }
    Ok(())
}
