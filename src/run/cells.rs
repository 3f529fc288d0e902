//! A score line's metric values, kept as the text they are written as: one string and where
//! each cell ends. A run that collects its lines (with `--paid`, over a policy history) holds
//! every score line until it is written, and then this is most of its memory when the roster
//! is large (a `Vec<Option<Value>>` takes about three times as much).

use rust_decimal::Decimal;

use crate::eval::rules::Value;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells {
    text: String,
    ends: Vec<u32>,
}

impl Cells {
    pub fn with_capacity(cells: usize) -> Cells {
        Cells {
            // Room for most values (a ratio to six decimals is about ten characters), so the
            // text is not grown a cell at a time; `done` gives back what is left over.
            text: String::with_capacity(cells * 12),
            ends: Vec::with_capacity(cells),
        }
    }

    /// Adds a value as `scores.csv` writes it: a number to six decimals at most, an empty value
    /// as an empty cell.
    pub fn push(&mut self, value: &Option<Value>) {
        use std::fmt::Write as _;
        let _ = match value {
            Some(Value::Num(d)) => {
                push_number(&mut self.text, *d);
                Ok(())
            }
            Some(Value::Text(t)) => write!(self.text, "{t}"),
            Some(Value::Bool(b)) => write!(self.text, "{b}"),
            Some(Value::Date(d)) => write!(self.text, "{d}"),
            None => Ok(()),
        };
        // A score line's text is far below 4 GiB.
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// Trims the spare capacity: the line is complete.
    pub fn done(mut self) -> Cells {
        self.text.shrink_to_fit();
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let end = (end as usize).min(self.text.len());
            let cell = self.text.get(start..end).unwrap_or("");
            start = end;
            cell
        })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// `d` to six decimals at most, without trailing zeros: how `scores.csv`, `explain` and the
/// money impact write a number that is not an amount.
pub fn number(d: Decimal) -> String {
    let mut text = String::new();
    push_number(&mut text, d);
    text
}

/// Writes `d` to six decimals at most, without trailing zeros, as `{}` writes
/// `d.round_dp(6).normalize()`: digit by digit, since the formatting machinery was a quarter of
/// the rules' time (a score line has a value for every metric).
fn push_number(text: &mut String, d: Decimal) {
    use crate::money::{DIGITS, digits};
    let d = round_to_six(d);
    let mut buf = [b'0'; DIGITS];
    let first = digits(d, &mut buf);
    // The fraction's trailing zeros go, as `normalize` takes them off.
    let (mut last, mut scale) = (buf.len(), d.scale() as usize);
    while scale > 0 && last > first && buf[last - 1] == b'0' {
        last -= 1;
        scale -= 1;
    }
    if first == last {
        text.push('0');
        return;
    }
    if d.is_sign_negative() {
        text.push('-');
    }
    // At least one digit before the point (the buffer is zeros before the digits).
    let start = first.min(last - scale - 1);
    let (integer, fraction) = buf[start..last].split_at(last - scale - start);
    text.extend(integer.iter().map(|&b| char::from(b)));
    if scale > 0 {
        text.push('.');
        text.extend(fraction.iter().map(|&b| char::from(b)));
    }
}

/// `d.round_dp(6)`, halves to the even neighbour, worked on the mantissa as an integer: the
/// general rounding was most of the cost of writing a metric (a quotient has 28 decimals). Only
/// a zero's sign may differ from `round_dp`'s, and a zero is written without one.
fn round_to_six(d: Decimal) -> Decimal {
    let scale = d.scale();
    if scale <= 6 {
        return d;
    }
    let unit = 10u128.pow(scale - 6);
    let magnitude = d.mantissa().unsigned_abs();
    let (mut q, r) = (magnitude / unit, magnitude % unit);
    // `unit` is a power of ten, so even: `unit / 2` is the exact half.
    if r > unit / 2 || (r == unit / 2 && q % 2 == 1) {
        q += 1;
    }
    // At most the mantissa's 96 bits: `q` is a tenth of it or less, plus one.
    let q = q as i128;
    let signed = if d.is_sign_negative() { -q } else { q };
    Decimal::try_from_i128_with_scale(signed, 6).unwrap_or_else(|_| d.round_dp(6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cells_are_written_as_scores_csv_writes_them() {
        let mut c = Cells::with_capacity(5);
        c.push(&Some(Value::Num(dec!(1.23456789))));
        c.push(&None);
        c.push(&Some(Value::Text("东区".into())));
        c.push(&Some(Value::Bool(true)));
        c.push(&Some(Value::Num(dec!(120000.00))));
        let c = c.done();
        assert_eq!(c.iter().collect::<Vec<_>>(), ["1.234568", "", "东区", "true", "120000"]);
        assert_eq!(c.len(), 5);
    }

    #[test]
    fn numbers_are_written_as_display_writes_them_rounded_to_six_decimals() {
        let mut values = vec![
            dec!(0),
            dec!(-0.0000001),
            dec!(0.0000005),
            dec!(-0.0000005),
            dec!(0.000001),
            dec!(0.1),
            dec!(1.5),
            dec!(-12.340000),
            dec!(100),
            dec!(120000.00),
            dec!(0.1234565),
            dec!(0.1234575),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(1, 28),
            Decimal::new(-123_456_789, 3),
        ];
        // Mantissas of every length at every scale, both signs.
        for scale in 0..=10 {
            for digits in 1..=18u32 {
                let m = (10i64.pow(digits) - 1) / 9 * 7; // 7, 77, 777, …
                values.push(Decimal::new(m, scale));
                values.push(Decimal::new(-m, scale));
                values.push(Decimal::new(10i64.pow(digits - 1), scale));
            }
        }
        // And mantissas of every size at every scale, from a fixed pseudo-random sequence, with
        // exact halves and their neighbours.
        let mut x: u128 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000u32 {
            x = x.wrapping_mul(0x2545_F491_4F6C_DD1D).wrapping_add(1442695040888963407);
            let bits = 1 + i % 96;
            let m = ((x >> 20) & ((1u128 << bits) - 1)) as i128;
            let scale = i % 29;
            let m = if i % 2 == 0 { m } else { -m };
            values.push(Decimal::from_i128_with_scale(m, scale));
            if scale > 6 {
                let half = 5 * 10i128.pow(scale - 7);
                for tie in [half, half - 1, half + 1, 3 * half, 3 * half + 1] {
                    values.push(Decimal::from_i128_with_scale(
                        if i % 2 == 0 { tie } else { -tie },
                        scale,
                    ));
                }
            }
        }
        for d in values {
            let mut text = String::new();
            push_number(&mut text, d);
            assert_eq!(text, d.round_dp(6).normalize().to_string(), "{d:?}");
        }
    }
}
