//! Exact money: checked arithmetic on `Decimal`, and the one rounding helper every payout line
//! goes through, with the policy's declared mode and unit.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::syntax::ast::RoundingMode;

/// Arithmetic that would not fit in a `Decimal` (about 7.9 × 10²⁸).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("arithmetic overflow: an amount is too large")
    }
}

impl std::error::Error for Overflow {}

pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_sub(b).ok_or(Overflow)
}

pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_mul(b).ok_or(Overflow)
}

/// Division; `None` when dividing by zero, which callers must decide about (a ratio over a
/// zero target is undefined, not zero).
pub fn div(a: Decimal, b: Decimal) -> Result<Option<Decimal>, Overflow> {
    if b.is_zero() {
        return Ok(None);
    }
    a.checked_div(b).map(Some).ok_or(Overflow)
}

/// How many decimals amounts rounded to `unit` are written with: 2 for 0.01, 0 for 1 or 100.
pub fn decimals(unit: Decimal) -> usize {
    unit.normalize().scale() as usize
}

/// Rounds `amount` to a multiple of `unit` (a power of ten: 0.01, 1, 100…) with `mode`.
///
/// `HalfUp` is commercial rounding (四舍五入): halves go away from zero, so −0.005 → −0.01.
/// `HalfEven` sends halves to the even neighbour; `Down` truncates toward zero.
pub fn round(amount: Decimal, mode: RoundingMode, unit: Decimal) -> Result<Decimal, Overflow> {
    let strategy = match mode {
        RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundingMode::Down => RoundingStrategy::ToZero,
    };
    let unit = unit.normalize();
    if unit.scale() > 0 || unit == Decimal::ONE {
        return Ok(amount.round_dp_with_strategy(unit.scale(), strategy));
    }
    // A unit of 10, 100, …: round the quotient to a whole number, then scale back.
    let quotient = amount.checked_div(unit).ok_or(Overflow)?;
    mul(quotient.round_dp_with_strategy(0, strategy), unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_up_is_commercial_rounding() {
        let r = |a| round(a, RoundingMode::HalfUp, dec!(0.01)).unwrap();
        assert_eq!(r(dec!(1.005)), dec!(1.01));
        assert_eq!(r(dec!(1.004999)), dec!(1.00));
        assert_eq!(r(dec!(-1.005)), dec!(-1.01));
    }

    #[test]
    fn half_even_and_down() {
        assert_eq!(
            round(dec!(2.125), RoundingMode::HalfEven, dec!(0.01)).unwrap(),
            dec!(2.12)
        );
        assert_eq!(
            round(dec!(2.135), RoundingMode::HalfEven, dec!(0.01)).unwrap(),
            dec!(2.14)
        );
        assert_eq!(round(dec!(2.139), RoundingMode::Down, dec!(0.01)).unwrap(), dec!(2.13));
        assert_eq!(
            round(dec!(-2.139), RoundingMode::Down, dec!(0.01)).unwrap(),
            dec!(-2.13)
        );
    }

    #[test]
    fn units_above_one() {
        assert_eq!(round(dec!(1250), RoundingMode::HalfUp, dec!(100)).unwrap(), dec!(1300));
        assert_eq!(
            round(dec!(1250), RoundingMode::HalfEven, dec!(100)).unwrap(),
            dec!(1200)
        );
        assert_eq!(round(dec!(1234.5), RoundingMode::HalfUp, dec!(1)).unwrap(), dec!(1235));
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert_eq!(mul(Decimal::MAX, dec!(2)), Err(Overflow));
        assert_eq!(add(Decimal::MAX, Decimal::MAX), Err(Overflow));
        assert_eq!(div(dec!(1), Decimal::ZERO), Ok(None));
    }
}
