//! The gas meter host functions charge through, and the energy surcharge's arithmetic.
//!
//! A call's meter is its instance's gas global (`__cove_gas`, the balance) and, when the
//! schedule has an energy surcharge, the global holding the gas the call has been charged
//! so far (`__cove_gas_spent`). Instrumented code charges through the same two globals
//! with the same arithmetic ([`surcharged`], emitted by `instrument`), so a charge costs
//! the same whichever side makes it, on every tier. This module must not decide prices:
//! it only subtracts what it is given.

use types::ErrorKind;
use wasmtime::{AsContextMut, Global};

use crate::host::{Res, trap};

/// What the gas charged so far becomes after a charge of `amount` under the energy
/// surcharge: `used + amount`, plus that sum divided by `divisor` (saturating).
///
/// A call's gas charged so far is at most its limit (`MAX_GAS_LIMIT`) while its balance
/// is non-negative, the only time a surcharge is added, and one instrumented charge is
/// below `2^57`; with `divisor >= 2` the result then stays below `2^64`, so the
/// instrumented code's wrapping `i64` arithmetic (read as unsigned) gives this exact
/// value. Host charges may be larger (a saturated price); they saturate here and end
/// the call out of gas either way.
pub fn surcharged(used: u64, amount: u64, divisor: u64) -> u64 {
    let sum = used.saturating_add(amount);
    sum.saturating_add(sum / divisor.max(1))
}

/// The gas globals of one running instance, for host functions of any ABI.
#[derive(Debug, Clone, Copy)]
pub struct GasMeter {
    gas: Global,
    surcharge: Option<(Global, u64)>,
}

impl GasMeter {
    /// A meter over `gas` (the instance's `__cove_gas`) and, with an energy surcharge,
    /// its `__cove_gas_spent` global and the schedule's divisor.
    pub fn new(gas: Global, surcharge: Option<(Global, u64)>) -> GasMeter {
        GasMeter { gas, surcharge }
    }

    /// The balance global.
    pub fn gas(&self) -> Global {
        self.gas
    }

    /// Charges `amount` (plus the surcharge, if any); out of gas ends the call with
    /// [`ErrorKind::OutOfGas`]. A charge of 0 charges nothing. A balance that is already
    /// negative (instrumented code checks only at function entries and loop bodies,
    /// `docs/gas.md`) is never acted on: the charge sets it to -1 and ends the call.
    pub fn charge(&self, mut ctx: impl AsContextMut, amount: u64) -> Res<()> {
        let remaining = self.gas.get(&mut ctx).unwrap_i64();
        let mut total = amount;
        if let Some((spent, divisor)) = self.surcharge
            && remaining >= 0
            && amount > 0
        {
            let before = spent.get(&mut ctx).unwrap_i64() as u64;
            let after = surcharged(before, amount, divisor);
            spent.set(&mut ctx, (after as i64).into())?;
            total = after - before;
        }
        let left = if remaining < 0 || total > remaining as u64 { -1 } else { remaining - total as i64 };
        self.gas.set(&mut ctx, left.into())?;
        if left < 0 {
            return trap(ErrorKind::OutOfGas, "out of gas in a host function");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::surcharged;

    #[test]
    fn the_surcharge_is_the_running_total_divided() {
        assert_eq!(surcharged(0, 100, 10), 110);
        assert_eq!(surcharged(110, 90, 10), 220);
        assert_eq!(surcharged(5, 4, 10), 9, "rounds down");
        assert_eq!(surcharged(u64::MAX - 1, 5, 2), u64::MAX, "saturates");
        // The largest sum instrumented code can meet stays below 2^64 (no wrap).
        let worst = surcharged(types::MAX_GAS_LIMIT, (1 << 57) - 1, 2);
        assert!(worst < u64::MAX);
    }
}
