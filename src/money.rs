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

/// `d` written with `dp` decimals, as `format!("{d:.dp$}")` writes it (see [`write_fixed`]).
pub fn fixed(d: Decimal, dp: usize) -> String {
    let mut out = String::with_capacity(24);
    write_fixed(&mut out, d, dp);
    out
}

/// Appends `d` with `dp` decimals, as `format!("{d:.dp$}")` would: straight from its mantissa
/// when it has no more than `dp` decimals (amounts rounded to the unit, always), through the
/// formatter otherwise. Output files write hundreds of thousands of amounts.
pub fn write_fixed(out: &mut String, d: Decimal, dp: usize) {
    let scale = d.scale() as usize;
    if scale > dp {
        use std::fmt::Write as _;
        let _ = write!(out, "{d:.dp$}");
        return;
    }
    if d.is_sign_negative() && !d.is_zero() {
        out.push('-');
    }
    let mut buf = [b'0'; DIGITS];
    let mut first = digits(d, &mut buf);
    // At least one digit before the point.
    first = first.min(buf.len() - scale - 1);
    let (integer, fraction) = buf[first..].split_at(buf.len() - first - scale);
    out.extend(integer.iter().map(|&b| char::from(b)));
    if dp > 0 {
        out.push('.');
        out.extend(fraction.iter().map(|&b| char::from(b)));
        out.extend(std::iter::repeat_n('0', dp - scale));
    }
}

/// Room for a decimal's mantissa (29 digits at most) and the zeros before it.
pub const DIGITS: usize = 40;

/// Writes the digits of `d`'s mantissa at the end of `buf` (the rest left as it was); where
/// they start. Zero has none.
pub fn digits(d: Decimal, buf: &mut [u8; DIGITS]) -> usize {
    let mut first = buf.len();
    let mut high = d.mantissa().unsigned_abs();
    // Most mantissas fit 64 bits, whose division is cheap.
    while high > u128::from(u64::MAX) {
        first -= 1;
        buf[first] = b'0' + (high % 10) as u8;
        high /= 10;
    }
    let mut low = high as u64;
    while low > 0 {
        first -= 1;
        buf[first] = b'0' + (low % 10) as u8;
        low /= 10;
    }
    first
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

    #[test]
    fn fixed_decimals_are_written_as_the_formatter_writes_them() {
        let mut values = vec![
            Decimal::ZERO,
            Decimal::new(-0, 2),
            Decimal::new(-1, 2),
            Decimal::new(5, 1),
            Decimal::new(-123_456, 2),
            Decimal::new(100, 0),
            Decimal::new(12_345, 4),
            Decimal::new(1, 28),
        ];
        for scale in 0..=6 {
            for digits in 1..=18u32 {
                let m = (10i64.pow(digits) - 1) / 9 * 7;
                values.extend([Decimal::new(m, scale), Decimal::new(-m, scale)]);
            }
        }
        for d in values {
            for dp in 0..=6 {
                assert_eq!(fixed(d, dp), format!("{d:.dp$}"), "{d:?} to {dp}");
            }
        }
        // The formatter itself fails on the largest decimals with decimals to add.
        assert_eq!(fixed(Decimal::MAX, 2), "79228162514264337593543950335.00");
        assert_eq!(fixed(Decimal::MIN, 0), "-79228162514264337593543950335");
    }
}
