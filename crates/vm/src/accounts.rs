//! Native balances: one 256-bit amount per account, shared by every VM.

use std::fmt;
use std::str::FromStr;

use state::Journal;
use types::{Address, StorageError};

use crate::keys;

/// An amount of the native token: an unsigned 256-bit integer (the EVM's word), stored
/// as 32 big-endian bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Balance(pub [u8; 32]);

impl Balance {
    /// Zero.
    pub const ZERO: Balance = Balance([0; 32]);

    /// From a `u128`.
    pub fn from_u128(v: u128) -> Balance {
        let mut b = [0u8; 32];
        b[16..].copy_from_slice(&v.to_be_bytes());
        Balance(b)
    }

    /// As a `u128`, if it fits (CosmWasm's `Uint128` amounts).
    pub fn to_u128(&self) -> Option<u128> {
        let (hi, lo) = self.halves();
        (hi == 0).then_some(lo)
    }

    fn halves(&self) -> (u128, u128) {
        let hi = u128::from_be_bytes(self.0[..16].try_into().expect("16 bytes"));
        let lo = u128::from_be_bytes(self.0[16..].try_into().expect("16 bytes"));
        (hi, lo)
    }

    fn from_halves(hi: u128, lo: u128) -> Balance {
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(&hi.to_be_bytes());
        b[16..].copy_from_slice(&lo.to_be_bytes());
        Balance(b)
    }

    /// Whether it is zero.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 32]
    }

    /// `self + other`, or `None` past 2^256 - 1.
    pub fn checked_add(self, other: Balance) -> Option<Balance> {
        let ((ah, al), (bh, bl)) = (self.halves(), other.halves());
        let (lo, carry) = al.overflowing_add(bl);
        let hi = ah.checked_add(bh)?.checked_add(carry as u128)?;
        Some(Balance::from_halves(hi, lo))
    }

    /// `self - other`, or `None` below zero.
    pub fn checked_sub(self, other: Balance) -> Option<Balance> {
        let ((ah, al), (bh, bl)) = (self.halves(), other.halves());
        let (lo, borrow) = al.overflowing_sub(bl);
        let hi = ah.checked_sub(bh)?.checked_sub(borrow as u128)?;
        Some(Balance::from_halves(hi, lo))
    }

    /// Divides by 10 in place, returning the remainder (for decimal printing).
    fn div_rem_10(&mut self) -> u8 {
        let mut rem: u16 = 0;
        for byte in self.0.iter_mut() {
            let cur = (rem << 8) | *byte as u16;
            *byte = (cur / 10) as u8;
            rem = cur % 10;
        }
        rem as u8
    }
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let (mut n, mut digits) = (*self, Vec::with_capacity(78));
        while !n.is_zero() {
            digits.push(b'0' + n.div_rem_10());
        }
        digits.reverse();
        f.write_str(std::str::from_utf8(&digits).expect("ASCII digits"))
    }
}

/// A malformed amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid amount {0:?}: expected a decimal integer below 2^256")]
pub struct AmountParseError(pub String);

impl FromStr for Balance {
    type Err = AmountParseError;
    fn from_str(s: &str) -> Result<Balance, AmountParseError> {
        let err = || AmountParseError(s.to_string());
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let mut acc = Balance::ZERO;
        for digit in s.bytes() {
            // acc * 10 + digit, as (acc * 8) + (acc * 2) + digit, each step checked.
            let times2 = acc.checked_add(acc).ok_or_else(err)?;
            let times8 = times2.checked_add(times2).and_then(|x| x.checked_add(x)).ok_or_else(err)?;
            acc = times8
                .checked_add(times2)
                .and_then(|x| x.checked_add(Balance::from_u128((digit - b'0') as u128)))
                .ok_or_else(err)?;
        }
        Ok(acc)
    }
}

/// An account's balance (zero if it never had one).
pub fn balance(journal: &Journal, address: &Address) -> Result<Balance, StorageError> {
    journal.get_with(&keys::balance(address), |v| match v {
        Some(v) => v
            .try_into()
            .map(Balance)
            .map_err(|_| StorageError::io(format!("balance of {address} is {} bytes, not 32", v.len()))),
        None => Ok(Balance::ZERO),
    })?
}

/// Sets an account's balance; zero removes the entry.
pub fn set_balance(journal: &mut Journal, address: &Address, value: Balance) -> Result<(), StorageError> {
    if value.is_zero() {
        journal.delete(&keys::balance(address))?;
    } else {
        journal.set(&keys::balance(address), &value.0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_u128_only_when_it_fits() {
        assert_eq!(Balance::from_u128(u128::MAX).to_u128(), Some(u128::MAX));
        assert_eq!(Balance::ZERO.to_u128(), Some(0));
        let above = Balance::from_u128(u128::MAX).checked_add(Balance::from_u128(1)).unwrap();
        assert_eq!(above.to_u128(), None);
    }

    #[test]
    fn arithmetic_and_decimal_round_trip() {
        let max: Balance = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
            .parse()
            .expect("2^256 - 1 parses");
        assert_eq!(max, Balance([0xff; 32]));
        assert_eq!(max.to_string().parse::<Balance>(), Ok(max));
        assert!(
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"
                .parse::<Balance>()
                .is_err()
        );
        assert_eq!(max.checked_add(Balance::from_u128(1)), None);
        assert_eq!(Balance::ZERO.checked_sub(Balance::from_u128(1)), None);
        let a = Balance::from_u128(u128::MAX);
        let b = a.checked_add(Balance::from_u128(1)).expect("carries into the high half");
        assert_eq!(b.to_string(), "340282366920938463463374607431768211456");
        assert_eq!(b.checked_sub(Balance::from_u128(1)), Some(a));
        assert_eq!(Balance::ZERO.to_string(), "0");
        assert_eq!("1000".parse::<Balance>().map(|b| b.to_string()), Ok("1000".into()));
        for bad in ["", "-1", "1e3", "0x10", " 1"] {
            assert!(bad.parse::<Balance>().is_err(), "{bad:?}");
        }
    }
}
