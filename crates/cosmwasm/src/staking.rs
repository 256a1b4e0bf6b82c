//! The chain's staking and distribution modules, as CosmWasm contracts see them through
//! `StakingMsg`, `DistributionMsg`, `StakingQuery` and `DistributionQuery`
//! (`docs/cosmwasm.md`, "Staking and distribution").
//!
//! This module owns the modules' state (namespace [`keys::STAKING`]), the movement of the
//! bonded denomination (cove's native balance) between delegators and the modules'
//! accounts, and reward accrual. It must not run contracts or price gas (the message and
//! query handlers do), nor read a clock: heights and block times are passed in.
//!
//! The model, simpler than the Cosmos SDK's and deterministic by construction:
//! * validators are the chain's configuration ([`StakingConfig::validators`]); none is
//!   ever jailed or slashed, so a delegation's shares are its tokens;
//! * delegated tokens move to the bonded pool account, undelegated ones to the not-bonded
//!   pool until their completion time (block time + `unbonding_seconds`), when the
//!   commit of the first block at or past it pays them back ([`Staking::mature`], at most
//!   [`MAX_MATURITIES_PER_BLOCK`] per block, oldest first);
//! * a delegation earns `amount × reward_rate × (1 - commission)` per block, minted when
//!   withdrawn; the Cosmos SDK withdraws a delegation's rewards whenever it changes, and so
//!   does this module; fractions of a unit stay with the delegation for the next withdrawal.
//!
//! Invariants (a property test here, over random delegations, undelegations,
//! redelegations, withdrawals and blocks; and `crates/runtime/tests/all/staking.rs`):
//! * tokens are conserved by delegate, undelegate, redelegate and maturity: the bonded
//!   pool holds the sum of all delegations, the not-bonded pool the sum of all unbonding
//!   entries; only reward withdrawals create tokens;
//! * every unbonding entry has exactly one maturity index key, and [`Staking::mature`]
//!   removes both: past every completion time nothing is left unbonding;
//! * the same operations on the same state give the same state.

use ruint::aliases::U256;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use state::{Journal, Order};
use types::{Address, CallError, ErrorKind, StorageError};
use vm::{Balance, accounts, keys};

use crate::bank::Bank;
use crate::msg::Coin;

/// The most validators a configuration may list: 100 at the longest addresses and
/// decimals encode in about 28 KiB, inside the chain configuration's 64 KiB
/// (`MAX_EXECUTION_CONFIG_BYTES`) with the proposals' share.
pub const MAX_VALIDATORS: usize = 100;
/// The longest unbonding period accepted: 10 years of seconds.
pub const MAX_UNBONDING_SECONDS: u64 = 10 * 366 * 24 * 3_600;
/// The most unbonding entries one delegator may have with one validator at a time (the
/// Cosmos SDK's default `max_entries`).
pub const MAX_UNBONDING_ENTRIES: usize = 7;
/// The most unbonding entries one block's commit pays out; the rest wait for the next
/// blocks, oldest first.
pub const MAX_MATURITIES_PER_BLOCK: usize = 1_024;
/// Default of [`StakingConfig::unbonding_seconds`]: 21 days, the Cosmos Hub's.
pub const DEFAULT_UNBONDING_SECONDS: u64 = 21 * 24 * 3_600;
/// Default of [`StakingConfig::reward_rate`]: 10⁻⁸ of the stake per block (about 6.3% a
/// year at 5-second blocks).
pub const DEFAULT_REWARD_RATE: &str = "0.00000001";

/// Decimals of a `Decimal` and of reward amounts (`Decimal256` atomics).
const DECIMALS: u32 = 18;
const ONE: u128 = 10u128.pow(DECIMALS);

/// A validator of the chain (TOML `[[cosmwasm.staking.validators]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorConfig {
    /// Its operator address, bech32 with a prefix ending in `valoper` (`covevaloper1...`).
    pub address: String,
    /// Its commission, a decimal in `0..=1` (`"0.05"`).
    pub commission: String,
    /// The most commission it may charge, at least `commission`, at most 1.
    pub max_commission: String,
    /// The most its commission may rise in a day, at most `max_commission`.
    pub max_change_rate: String,
}

/// The staking and distribution modules' settings (TOML `[cosmwasm.staking]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StakingConfig {
    /// The validator set, at most [`MAX_VALIDATORS`], addresses distinct. By default one
    /// development validator, [`dev_validator`].
    pub validators: Vec<ValidatorConfig>,
    /// How long undelegated tokens stay in the not-bonded pool, in seconds of block time.
    pub unbonding_seconds: u64,
    /// Rewards per block per bonded unit, a decimal in `0..=1` ([`DEFAULT_REWARD_RATE`]).
    pub reward_rate: String,
}

impl Default for StakingConfig {
    fn default() -> Self {
        StakingConfig {
            validators: vec![dev_validator()],
            unbonding_seconds: DEFAULT_UNBONDING_SECONDS,
            reward_rate: DEFAULT_REWARD_RATE.into(),
        }
    }
}

/// The development chain's one validator: `covevaloper1` of the first 20 bytes of
/// SHA-256("cove/dev-validator"), 5% commission, at most 20%, 1% a day.
pub fn dev_validator() -> ValidatorConfig {
    let hash = Sha256::digest(b"cove/dev-validator");
    let hrp = bech32::Hrp::parse("covevaloper").expect("a valid prefix");
    ValidatorConfig {
        address: bech32::encode::<bech32::Bech32>(hrp, &hash[..20]).expect("20 bytes encode"),
        commission: "0.05".into(),
        max_commission: "0.2".into(),
        max_change_rate: "0.01".into(),
    }
}

impl StakingConfig {
    /// Checks every value; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        self.parsed().map(|_| ())
    }

    fn parsed(&self) -> Result<(Vec<Validator>, u128), String> {
        let at = "cosmwasm.staking";
        if self.validators.len() > MAX_VALIDATORS {
            return Err(format!("{at}.validators: at most {MAX_VALIDATORS}, got {}", self.validators.len()));
        }
        let mut out: Vec<Validator> = Vec::with_capacity(self.validators.len());
        for (i, v) in self.validators.iter().enumerate() {
            let field = |name: &str| format!("{at}.validators[{i}].{name}");
            let (hrp, data) = bech32::decode(&v.address).map_err(|e| format!("{}: {e}", field("address")))?;
            if !hrp.as_str().ends_with("valoper") || data.len() != 20 || v.address.to_lowercase() != v.address
            {
                return Err(format!(
                    "{}: a lowercase bech32 operator address of 20 bytes with a prefix ending in valoper",
                    field("address")
                ));
            }
            let dec = |name: &str, s: &str| parse_decimal(s).map_err(|e| format!("{}: {e}", field(name)));
            let commission = dec("commission", &v.commission)?;
            let max_commission = dec("max_commission", &v.max_commission)?;
            let max_change_rate = dec("max_change_rate", &v.max_change_rate)?;
            if max_commission > ONE || commission > max_commission || max_change_rate > max_commission {
                return Err(format!(
                    "{}: need commission <= max_commission <= 1 and max_change_rate <= max_commission",
                    field("commission")
                ));
            }
            if out.iter().any(|o| o.address == v.address) {
                return Err(format!("{}: {} is listed twice", field("address"), v.address));
            }
            out.push(Validator { address: v.address.clone(), commission, max_commission, max_change_rate });
        }
        if self.unbonding_seconds > MAX_UNBONDING_SECONDS {
            return Err(format!(
                "{at}.unbonding_seconds must be at most {MAX_UNBONDING_SECONDS}, got {}",
                self.unbonding_seconds
            ));
        }
        let rate = parse_decimal(&self.reward_rate).map_err(|e| format!("{at}.reward_rate: {e}"))?;
        if rate > ONE {
            return Err(format!("{at}.reward_rate must be at most 1, got {}", self.reward_rate));
        }
        Ok((out, rate))
    }
}

/// A validator with its decimals parsed (18-decimal atomics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    /// Operator address.
    pub address: String,
    /// Commission, in atomics.
    pub commission: u128,
    /// The most commission, in atomics.
    pub max_commission: u128,
    /// The most daily change, in atomics.
    pub max_change_rate: u128,
}

/// Parses a non-negative decimal with at most 18 fractional digits into atomics.
pub fn parse_decimal(s: &str) -> Result<u128, String> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (s.contains('.') && !digits(frac)) || frac.len() > DECIMALS as usize {
        return Err(format!("{s:?} is not a decimal with at most {DECIMALS} fractional digits"));
    }
    let whole: u128 = whole.parse().map_err(|_| format!("{s:?} is too large"))?;
    let frac: u128 = if frac.is_empty() { 0 } else { format!("{frac:0<18}").parse().expect("18 digits") };
    whole.checked_mul(ONE).and_then(|w| w.checked_add(frac)).ok_or_else(|| format!("{s:?} is too large"))
}

/// Atomics as cosmwasm-std prints a `Decimal`/`Decimal256`: no trailing zeros.
pub fn format_decimal(atomics: U256) -> String {
    let one = U256::from(ONE);
    let (whole, frac) = (atomics / one, atomics % one);
    if frac.is_zero() {
        return whole.to_string();
    }
    let frac = format!("{:0>18}", frac.to_string());
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// [`format_decimal`] of a `Decimal`'s atomics (commissions, rates).
pub fn decimal_string(atomics: u128) -> String {
    format_decimal(U256::from(atomics))
}

/// A delegation: tokens, the height its rewards were last settled at, and the fraction
/// of a unit of rewards left from then (atomics below [`ONE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Record {
    amount: u128,
    since: u64,
    carry: u128,
}

impl Record {
    fn encode(&self) -> [u8; 40] {
        let mut v = [0u8; 40];
        v[..16].copy_from_slice(&self.amount.to_be_bytes());
        v[16..24].copy_from_slice(&self.since.to_be_bytes());
        v[24..].copy_from_slice(&self.carry.to_be_bytes());
        v
    }

    fn decode(v: &[u8]) -> Result<Record, StorageError> {
        let v: &[u8; 40] =
            v.try_into().map_err(|_| StorageError::corrupt("a delegation record is not 40 bytes"))?;
        Ok(Record {
            amount: u128::from_be_bytes(v[..16].try_into().expect("16")),
            since: u64::from_be_bytes(v[16..24].try_into().expect("8")),
            carry: u128::from_be_bytes(v[24..].try_into().expect("16")),
        })
    }
}

/// A delegation as the queries answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The validator's operator address.
    pub validator: String,
    /// Tokens delegated.
    pub amount: u128,
    /// Rewards accrued and not withdrawn, in 18-decimal atomics.
    pub rewards: U256,
}

/// Tokens on their way back to a delegator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unbonding {
    /// The validator they were delegated to.
    pub validator: String,
    /// Tokens.
    pub amount: u128,
    /// The block time from which the first block's commit pays them back.
    pub completion: u64,
}

/// Sub-namespaces of [`keys::STAKING`].
const DELEGATION: u8 = 1;
const UNBONDING: u8 = 2;
const MATURITY: u8 = 3;
const NEXT_ENTRY: u8 = 4;
const WITHDRAW_ADDRESS: u8 = 5;

fn key(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = vec![keys::STAKING, tag];
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// A module account's address: the first 20 bytes of SHA-256 of its name, as the Cosmos
/// SDK derives them (`bonded_tokens_pool`, `not_bonded_tokens_pool`, `distribution`).
pub fn module_address(name: &str) -> Address {
    let hash = Sha256::digest(name.as_bytes());
    Address(hash[..20].try_into().expect("20 bytes"))
}

/// The staking and distribution modules over the chain's bank.
#[derive(Debug, Clone)]
pub struct Staking {
    validators: Vec<Validator>,
    reward_rate: u128,
    unbonding_seconds: u64,
    bank: Bank,
}

impl Staking {
    /// The modules for `config`, moving `bank`'s native denomination (the bonded one).
    pub fn new(config: &StakingConfig, bank: Bank) -> Result<Staking, String> {
        let (validators, reward_rate) = config.parsed()?;
        Ok(Staking { validators, reward_rate, unbonding_seconds: config.unbonding_seconds, bank })
    }

    /// The bonded denomination.
    pub fn bonded_denom(&self) -> &str {
        self.bank.native()
    }

    /// The validator set, in configuration order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The validator at `address`, if it is in the set.
    pub fn validator(&self, address: &str) -> Option<&Validator> {
        self.validators.iter().find(|v| v.address == address)
    }

    /// Checks a delegation of `coin` to `validator` (which must be in the set).
    fn check(&self, validator: &str, coin: &Coin) -> Result<(), CallError> {
        if self.validator(validator).is_none() {
            return Err(CallError::new(ErrorKind::NotFound, format!("validator {validator} does not exist")));
        }
        self.check_coin(coin)
    }

    /// Checks an amount of the bonded denomination above 0. Taking stake off a validator
    /// needs only the delegation: one removed from the set by an upgrade can still be left.
    fn check_coin(&self, coin: &Coin) -> Result<(), CallError> {
        if coin.denom != self.bonded_denom() {
            return Err(CallError::new(
                ErrorKind::InvalidArgument,
                format!("invalid coin denomination: got {}, expected {}", coin.denom, self.bonded_denom()),
            ));
        }
        if coin.amount == 0 {
            return Err(CallError::new(ErrorKind::InvalidArgument, "invalid delegation amount: 0"));
        }
        Ok(())
    }

    fn load(
        &self,
        j: &Journal,
        delegator: &Address,
        validator: &str,
    ) -> Result<Option<Record>, StorageError> {
        j.get(&key(DELEGATION, &[&delegator.0, validator.as_bytes()]))?
            .map(|v| Record::decode(&v))
            .transpose()
    }

    fn store(
        &self,
        j: &mut Journal,
        delegator: &Address,
        validator: &str,
        r: Record,
    ) -> Result<(), StorageError> {
        let k = key(DELEGATION, &[&delegator.0, validator.as_bytes()]);
        if r.amount == 0 && r.carry == 0 {
            j.delete(&k)?;
        } else {
            j.set(&k, &r.encode());
        }
        Ok(())
    }

    /// Rewards `r` holds at `height`, in atomics.
    fn accrued(&self, r: &Record, validator: &str, height: u64) -> U256 {
        let commission = self.validator(validator).map_or(0, |v| v.commission);
        let blocks = height.saturating_sub(r.since);
        // Rate and commission first (at most ONE, about 2^60), so the product stays below
        // 2^128 x 2^64 x 2^60 and never wraps.
        let per_unit =
            U256::from(self.reward_rate) * U256::from(ONE.saturating_sub(commission)) / U256::from(ONE);
        let earned = U256::from(r.amount).saturating_mul(U256::from(blocks)).saturating_mul(per_unit);
        earned.saturating_add(U256::from(r.carry))
    }

    /// Where `delegator`'s rewards go (itself unless it set another address).
    pub fn withdraw_address(&self, j: &Journal, delegator: &Address) -> Result<Address, StorageError> {
        Ok(j.get(&key(WITHDRAW_ADDRESS, &[&delegator.0]))?
            .and_then(|v| <[u8; 20]>::try_from(v.as_slice()).ok())
            .map_or(*delegator, Address))
    }

    /// Sets where `delegator`'s rewards go: anywhere but the modules' own accounts (the
    /// Cosmos SDK's blocked addresses), which must hold exactly what they account for.
    pub fn set_withdraw_address(
        &self,
        j: &mut Journal,
        delegator: &Address,
        to: &Address,
    ) -> Result<(), CallError> {
        if ["bonded_tokens_pool", "not_bonded_tokens_pool", "distribution"]
            .iter()
            .any(|m| module_address(m) == *to)
        {
            return Err(CallError::new(ErrorKind::Unauthorized, "a module account cannot receive rewards"));
        }
        j.set(&key(WITHDRAW_ADDRESS, &[&delegator.0]), &to.0);
        Ok(())
    }

    /// Pays `delegator` the whole units of its rewards from `validator` at `height` (to its
    /// withdraw address), keeping the fraction; returns the units paid.
    pub fn withdraw(
        &self,
        j: &mut Journal,
        height: u64,
        delegator: &Address,
        validator: &str,
    ) -> Result<Result<u128, CallError>, StorageError> {
        let Some(mut r) = self.load(j, delegator, validator)? else {
            return Ok(Err(CallError::new(
                ErrorKind::NotFound,
                format!("no delegation from {delegator} to {validator}"),
            )));
        };
        let rewards = self.accrued(&r, validator, height);
        let one = U256::from(ONE);
        let paid = u128::try_from(rewards / one).unwrap_or(u128::MAX);
        r.carry = u128::try_from(rewards % one).expect("below one unit");
        r.since = height;
        self.store(j, delegator, validator, r)?;
        if paid > 0 {
            let to = self.withdraw_address(j, delegator)?;
            let coin = Coin { denom: self.bonded_denom().to_string(), amount: paid };
            if let Err(e) = self.bank.mint(j, &to, &[coin])? {
                return Ok(Err(e));
            }
        }
        Ok(Ok(paid))
    }

    /// Delegates `coin` from `delegator` to `validator` (its rewards so far withdrawn
    /// first); returns the rewards paid.
    pub fn delegate(
        &self,
        j: &mut Journal,
        height: u64,
        delegator: &Address,
        validator: &str,
        coin: &Coin,
    ) -> Result<Result<u128, CallError>, StorageError> {
        if let Err(e) = self.check(validator, coin) {
            return Ok(Err(e));
        }
        let paid = match self.withdraw_if_any(j, height, delegator, validator)? {
            Ok(paid) => paid,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) =
            self.bank.send(j, delegator, &module_address("bonded_tokens_pool"), std::slice::from_ref(coin))?
        {
            return Ok(Err(e));
        }
        Ok(self.add(j, height, delegator, validator, coin.amount)?.map(|()| paid))
    }

    /// [`Staking::withdraw`] if `delegator` delegates to `validator`, else nothing paid.
    fn withdraw_if_any(
        &self,
        j: &mut Journal,
        height: u64,
        delegator: &Address,
        validator: &str,
    ) -> Result<Result<u128, CallError>, StorageError> {
        match self.load(j, delegator, validator)? {
            Some(_) => self.withdraw(j, height, delegator, validator),
            None => Ok(Ok(0)),
        }
    }

    /// Adds `amount` to `delegator`'s delegation to `validator` (a new one earns from
    /// `height`); refused if it would pass `u128::MAX`.
    fn add(
        &self,
        j: &mut Journal,
        height: u64,
        delegator: &Address,
        validator: &str,
        amount: u128,
    ) -> Result<Result<(), CallError>, StorageError> {
        let mut r =
            self.load(j, delegator, validator)?.unwrap_or(Record { since: height, ..Record::default() });
        let Some(sum) = r.amount.checked_add(amount) else {
            return Ok(Err(CallError::new(ErrorKind::InvalidArgument, "the delegation would overflow")));
        };
        r.amount = sum;
        self.store(j, delegator, validator, r)?;
        Ok(Ok(()))
    }

    /// Takes `coin` off `delegator`'s delegation to `validator` (rewards withdrawn first).
    fn reduce(
        &self,
        j: &mut Journal,
        height: u64,
        delegator: &Address,
        validator: &str,
        coin: &Coin,
    ) -> Result<Result<u128, CallError>, StorageError> {
        if let Err(e) = self.check_coin(coin) {
            return Ok(Err(e));
        }
        let paid = match self.withdraw(j, height, delegator, validator)? {
            Ok(paid) => paid,
            Err(e) => return Ok(Err(e)),
        };
        let mut r = self.load(j, delegator, validator)?.unwrap_or_default();
        let Some(left) = r.amount.checked_sub(coin.amount) else {
            return Ok(Err(CallError::new(
                ErrorKind::InvalidArgument,
                format!("invalid shares amount: {delegator} has {} delegated to {validator}", r.amount),
            )));
        };
        r.amount = left;
        self.store(j, delegator, validator, r)?;
        Ok(Ok(paid))
    }

    /// Starts unbonding `coin` of `delegator`'s delegation to `validator`; the tokens
    /// come back at `time + unbonding_seconds`, which it returns.
    pub fn undelegate(
        &self,
        j: &mut Journal,
        height: u64,
        time: u64,
        delegator: &Address,
        validator: &str,
        coin: &Coin,
    ) -> Result<Result<u64, CallError>, StorageError> {
        let entries = self.unbondings(j, delegator)?.iter().filter(|u| u.validator == validator).count();
        if entries >= MAX_UNBONDING_ENTRIES {
            return Ok(Err(CallError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "too many unbonding delegation entries for ({delegator}, {validator}) tuple (at most {MAX_UNBONDING_ENTRIES})"
                ),
            )));
        }
        if let Err(e) = self.reduce(j, height, delegator, validator, coin)? {
            return Ok(Err(e));
        }
        let (bonded, unbonding) =
            (module_address("bonded_tokens_pool"), module_address("not_bonded_tokens_pool"));
        if let Err(e) = self.bank.send(j, &bonded, &unbonding, std::slice::from_ref(coin))? {
            return Ok(Err(e));
        }
        let completion = time.saturating_add(self.unbonding_seconds);
        let seq = j.get(&key(NEXT_ENTRY, &[]))?.and_then(|v| keys::decode_u64(&v)).unwrap_or(0);
        j.set(&key(NEXT_ENTRY, &[]), &(seq + 1).to_be_bytes());
        let (c, s) = (completion.to_be_bytes(), seq.to_be_bytes());
        let value = [&coin.amount.to_be_bytes()[..], validator.as_bytes()].concat();
        j.set(&key(UNBONDING, &[&delegator.0, &c, &s]), &value);
        j.set(&key(MATURITY, &[&c, &s]), &delegator.0);
        Ok(Ok(completion))
    }

    /// Moves `coin` of `delegator`'s stake from `src` to `dst` at once (rewards of both
    /// withdrawn first); returns the rewards paid from `src` and from `dst`.
    pub fn redelegate(
        &self,
        j: &mut Journal,
        height: u64,
        delegator: &Address,
        src: &str,
        dst: &str,
        coin: &Coin,
    ) -> Result<Result<(u128, u128), CallError>, StorageError> {
        if src == dst {
            return Ok(Err(CallError::new(
                ErrorKind::InvalidArgument,
                "cannot redelegate to the same validator",
            )));
        }
        if let Err(e) = self.check(dst, coin) {
            return Ok(Err(e));
        }
        let paid = match self.reduce(j, height, delegator, src, coin)? {
            Ok(paid) => paid,
            Err(e) => return Ok(Err(e)),
        };
        let more = match self.withdraw_if_any(j, height, delegator, dst)? {
            Ok(more) => more,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self.add(j, height, delegator, dst, coin.amount)?.map(|()| (paid, more)))
    }

    /// `delegator`'s delegations at `height`, by validator address, with their rewards.
    pub fn delegations(
        &self,
        j: &Journal,
        height: u64,
        delegator: &Address,
    ) -> Result<Vec<Delegation>, StorageError> {
        let prefix = key(DELEGATION, &[&delegator.0]);
        let mut out = Vec::new();
        for (k, v) in j.scan_prefix(&prefix)? {
            let validator = String::from_utf8(k[prefix.len()..].to_vec())
                .map_err(|_| StorageError::corrupt("a delegation key names no validator"))?;
            let r = Record::decode(&v)?;
            if r.amount > 0 {
                out.push(Delegation {
                    rewards: self.accrued(&r, &validator, height),
                    validator,
                    amount: r.amount,
                });
            }
        }
        Ok(out)
    }

    /// `delegator`'s delegation to `validator` at `height`, if any.
    pub fn delegation(
        &self,
        j: &Journal,
        height: u64,
        delegator: &Address,
        validator: &str,
    ) -> Result<Option<Delegation>, StorageError> {
        Ok(self.load(j, delegator, validator)?.filter(|r| r.amount > 0).map(|r| Delegation {
            validator: validator.to_string(),
            amount: r.amount,
            rewards: self.accrued(&r, validator, height),
        }))
    }

    /// `delegator`'s tokens on their way back, by completion time.
    pub fn unbondings(&self, j: &Journal, delegator: &Address) -> Result<Vec<Unbonding>, StorageError> {
        let prefix = key(UNBONDING, &[&delegator.0]);
        let mut out = Vec::new();
        for (k, v) in j.scan_prefix(&prefix)? {
            let corrupt = || StorageError::corrupt("a malformed unbonding entry");
            let completion = keys::decode_u64(k.get(prefix.len()..prefix.len() + 8).ok_or_else(corrupt)?)
                .ok_or_else(corrupt)?;
            let amount = u128::from_be_bytes(v.get(..16).ok_or_else(corrupt)?.try_into().expect("16"));
            let validator = String::from_utf8(v[16..].to_vec()).map_err(|_| corrupt())?;
            out.push(Unbonding { validator, amount, completion });
        }
        Ok(out)
    }

    /// Pays back the unbonding entries complete at block time `time`, oldest first, at
    /// most [`MAX_MATURITIES_PER_BLOCK`]: what a block's commit runs.
    pub fn mature(&self, j: &mut Journal, time: u64) -> Result<usize, StorageError> {
        let end = time.saturating_add(1).to_be_bytes();
        let due =
            j.scan_range(&key(MATURITY, &[]), None, Some(&end), Order::Ascending, MAX_MATURITIES_PER_BLOCK)?;
        let pool = module_address("not_bonded_tokens_pool");
        let mut paid = 0;
        // The backend's part is bounded by the scan; entries the block itself wrote come
        // on top, so the count is bounded here.
        for (k, delegator) in due.entries.into_iter().take(MAX_MATURITIES_PER_BLOCK) {
            let tail = &k[2..];
            let delegator = Address(
                delegator
                    .as_slice()
                    .try_into()
                    .map_err(|_| StorageError::corrupt("a maturity entry names no delegator"))?,
            );
            let entry = key(UNBONDING, &[&delegator.0, tail]);
            let value = j
                .get(&entry)?
                .ok_or_else(|| StorageError::corrupt("a maturity entry without its unbonding entry"))?;
            let amount = u128::from_be_bytes(
                value
                    .get(..16)
                    .ok_or_else(|| StorageError::corrupt("a short unbonding entry"))?
                    .try_into()
                    .expect("16"),
            );
            // In 256 bits (cove's native balances), so no delegator's balance can make the
            // commit fail; one that would pass 2^256 - 1 keeps its entry for a later block.
            let amount = Balance::from_u128(amount);
            let Some(credited) = accounts::balance(j, &delegator)?.checked_add(amount) else {
                continue;
            };
            let left = accounts::balance(j, &pool)?.checked_sub(amount).ok_or_else(|| {
                StorageError::corrupt("the not-bonded pool holds less than its unbonding entries")
            })?;
            accounts::set_balance(j, &pool, left)?;
            accounts::set_balance(j, &delegator, credited)?;
            j.delete(&entry)?;
            j.delete(&k)?;
            paid += 1;
        }
        Ok(paid)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use state::MemBackend;

    use super::*;
    use crate::Addresses;

    #[derive(Debug, Clone)]
    enum Op {
        Delegate(usize, usize, u128),
        Undelegate(usize, usize, u128),
        Redelegate(usize, usize, usize, u128),
        Withdraw(usize, usize),
        NextBlock(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..3usize, 0..3usize, 1..3_000u128).prop_map(|(d, v, a)| Op::Delegate(d, v, a)),
            (0..3usize, 0..3usize, 1..3_000u128).prop_map(|(d, v, a)| Op::Undelegate(d, v, a)),
            (0..3usize, 0..3usize, 0..3usize, 1..3_000u128)
                .prop_map(|(d, s, t, a)| Op::Redelegate(d, s, t, a)),
            (0..3usize, 0..3usize).prop_map(|(d, v)| Op::Withdraw(d, v)),
            (1..20u64).prop_map(Op::NextBlock),
        ]
    }

    fn native(j: &Journal, a: &Address) -> u128 {
        accounts::balance(j, a).unwrap().to_u128().unwrap()
    }

    /// Runs `ops` on a fresh state; checks conservation after each; returns the changes.
    fn run(ops: &[Op]) -> state::ChangeSet {
        let addresses = Addresses::new("covevaloper").unwrap();
        let validators: Vec<ValidatorConfig> = (1..=3u8)
            .map(|i| ValidatorConfig { address: addresses.humanize(&Address([i; 20])), ..dev_validator() })
            .collect();
        let config = StakingConfig { validators, unbonding_seconds: 30, reward_rate: "0.001".into() };
        let staking = Staking::new(&config, Bank::new("ucove")).unwrap();
        let names: Vec<String> = staking.validators().iter().map(|v| v.address.clone()).collect();
        let delegators = [Address([0xd1; 20]), Address([0xd2; 20]), Address([0xd3; 20])];
        let (bonded, unbonding) =
            (module_address("bonded_tokens_pool"), module_address("not_bonded_tokens_pool"));
        let mut j = Journal::new(Arc::new(MemBackend::new()));
        for d in &delegators {
            accounts::set_balance(&mut j, d, Balance::from_u128(10_000)).unwrap();
        }
        let total =
            |j: &Journal| delegators.iter().chain([&bonded, &unbonding]).map(|a| native(j, a)).sum::<u128>();
        let (mut height, mut time) = (1u64, 1_000u64);
        let coin = |amount| Coin { denom: "ucove".into(), amount };
        for op in ops {
            let before = total(&j);
            let cp = j.checkpoint();
            let ok = match op {
                Op::Delegate(d, v, a) => {
                    staking.delegate(&mut j, height, &delegators[*d], &names[*v], &coin(*a)).unwrap().is_ok()
                }
                Op::Undelegate(d, v, a) => staking
                    .undelegate(&mut j, height, time, &delegators[*d], &names[*v], &coin(*a))
                    .unwrap()
                    .is_ok(),
                Op::Redelegate(d, s, t, a) => staking
                    .redelegate(&mut j, height, &delegators[*d], &names[*s], &names[*t], &coin(*a))
                    .unwrap()
                    .is_ok(),
                Op::Withdraw(d, v) => {
                    staking.withdraw(&mut j, height, &delegators[*d], &names[*v]).unwrap().is_ok()
                }
                Op::NextBlock(secs) => {
                    height += 1;
                    time += secs;
                    staking.mature(&mut j, time).unwrap();
                    true
                }
            };
            if ok {
                j.accept(cp)
            } else {
                j.revert(cp)
            }
            let after = total(&j);
            assert!(after >= before, "{op:?} destroyed tokens: {before} -> {after}");
            if matches!(op, Op::NextBlock(_)) {
                assert_eq!(after, before, "maturity only moves tokens");
            }
            let delegated: u128 = delegators
                .iter()
                .flat_map(|d| staking.delegations(&j, height, d).unwrap())
                .map(|d| d.amount)
                .sum();
            let pending: u128 =
                delegators.iter().flat_map(|d| staking.unbondings(&j, d).unwrap()).map(|u| u.amount).sum();
            assert_eq!(native(&j, &bonded), delegated, "after {op:?}");
            assert_eq!(native(&j, &unbonding), pending, "after {op:?}");
        }
        // Past every completion time, everything unbonding is paid back.
        staking.mature(&mut j, time + 30).unwrap();
        assert_eq!(native(&j, &unbonding), 0);
        assert!(delegators.iter().all(|d| staking.unbondings(&j, d).unwrap().is_empty()));
        j.changes()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn tokens_are_conserved_and_the_same_ops_give_the_same_state(ops in proptest::collection::vec(op(), 1..60)) {
            prop_assert_eq!(run(&ops), run(&ops));
        }
    }

    #[test]
    fn decimals_parse_and_print_as_cosmwasm_writes_them() {
        assert_eq!(parse_decimal("0.05"), Ok(ONE / 20));
        assert_eq!(parse_decimal("1"), Ok(ONE));
        assert_eq!(parse_decimal("0.000000000000000001"), Ok(1));
        for bad in ["", ".5", "5.", "-1", "1e3", "0.0000000000000000001", "1.2.3"] {
            assert!(parse_decimal(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_decimal(U256::from(ONE / 20)), "0.05");
        assert_eq!(format_decimal(U256::from(3 * ONE)), "3");
        assert_eq!(format_decimal(U256::from(1u8)), "0.000000000000000001");
        assert_eq!(format_decimal(U256::ZERO), "0");
    }

    #[test]
    fn the_configuration_is_checked() {
        assert!(StakingConfig::default().validate().is_ok());
        let mut c = StakingConfig::default();
        c.validators.push(c.validators[0].clone());
        assert!(c.validate().unwrap_err().contains("listed twice"));
        let mut c = StakingConfig::default();
        c.validators[0].commission = "0.5".into();
        assert!(c.validate().unwrap_err().contains("validators[0].commission"));
        let mut c = StakingConfig::default();
        c.validators[0].address = "cove1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into();
        assert!(c.validate().unwrap_err().contains("validators[0].address"));
        let c = StakingConfig { reward_rate: "2".into(), ..StakingConfig::default() };
        assert!(c.validate().unwrap_err().contains("reward_rate"));
        let c = StakingConfig { unbonding_seconds: MAX_UNBONDING_SECONDS + 1, ..StakingConfig::default() };
        assert!(c.validate().unwrap_err().contains("unbonding_seconds"));
        let many = (0..=MAX_VALIDATORS as u8)
            .map(|i| ValidatorConfig {
                address: bech32::encode::<bech32::Bech32>(
                    bech32::Hrp::parse("covevaloper").unwrap(),
                    &[i; 20],
                )
                .unwrap(),
                ..dev_validator()
            })
            .collect();
        let c = StakingConfig { validators: many, ..StakingConfig::default() };
        assert!(c.validate().unwrap_err().contains("at most 100"));
        assert!(dev_validator().address.starts_with("covevaloper1"));
    }
}
