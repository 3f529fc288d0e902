//! Reading one cell fast: plain amounts straight into scaled integers, ISO dates straight into
//! packed integers. Whatever the fast forms do not cover goes through `input::values`, the
//! reader's own parser, so a cell means the same thing, and is refused for the same reason, on
//! both paths.

use jiff::civil::Date;

use super::rowexpr::V;
use crate::input::config::BoundField;
use crate::input::values::{self, DateFormats, NumberFormat, NumberKind};
use crate::syntax::ast::FieldType;

/// Decimal places of a [`V::Fixed`] amount: cents and hundredths of cents.
pub const FIXED_SCALE: u32 = 4;
const FIXED_ONE: i64 = 10_000;

/// A civil date packed as `year << 9 | month << 5 | day`: ordered like the dates themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    pub fn new(year: i32, month: u32, day: u32) -> Day {
        Day((year << 9) | ((month as i32) << 5) | day as i32)
    }

    pub fn from_date(d: Date) -> Day {
        Day::new(i32::from(d.year()), d.month() as u32, d.day() as u32)
    }

    pub fn year(self) -> i32 {
        self.0 >> 9
    }

    pub fn month(self) -> u32 {
        ((self.0 >> 5) & 0xF) as u32
    }

    pub fn day(self) -> u32 {
        (self.0 & 0x1F) as u32
    }

    pub fn to_date(self) -> Option<Date> {
        Date::new(
            i16::try_from(self.year()).ok()?,
            i8::try_from(self.month()).ok()?,
            i8::try_from(self.day()).ok()?,
        )
        .ok()
    }
}

/// How the cells of one field are read.
#[derive(Clone, Debug)]
pub struct CellReader {
    ty: FieldType,
    optional: bool,
    name: String,
    /// Whether the declared date formats accept `YYYY-MM-DD`, so the fast form may be used.
    iso_dates: bool,
}

/// Why a cell gave no value: the reader's own words.
pub enum CellFault {
    Empty(String),
    Invalid(String),
}

impl CellReader {
    pub fn new(field: &BoundField, dates: &DateFormats) -> CellReader {
        CellReader {
            ty: field.ty,
            optional: field.optional,
            name: field.name.clone(),
            iso_dates: dates.formats().iter().any(|f| f == "%Y-%m-%d"),
        }
    }

    /// Reads a cell's raw text.
    pub fn read<'r>(&self, raw: &'r str, dates: &DateFormats, numbers: &NumberFormat) -> Result<V<'r>, CellFault> {
        match self.fast(raw) {
            Some(v) => Ok(v),
            None => self.read_any(raw, dates, numbers),
        }
    }

    /// The common cells — no surrounding space, and text, a plain amount or an ISO date — read
    /// inline; `None` leaves the cell to [`CellReader::read_any`].
    #[inline]
    pub fn fast<'r>(&self, raw: &'r str) -> Option<V<'r>> {
        let b = raw.as_bytes();
        // An empty optional cell (most of an activity log's optional columns) is no value.
        if b.is_empty() && self.optional {
            return Some(V::Null);
        }
        if !plain(*b.first()?) || !plain(*b.last()?) {
            return None;
        }
        match self.ty {
            FieldType::Text => Some(V::Text(raw)),
            FieldType::Money | FieldType::Number => fixed(b).map(V::Fixed),
            FieldType::Date if self.iso_dates => iso_date(b).map(V::Date),
            _ => None,
        }
    }

    /// Reads any cell: trimmed as the reader trims, then parsed by the reader's own parsers.
    #[inline(never)]
    pub fn read_any<'r>(&self, raw: &'r str, dates: &DateFormats, numbers: &NumberFormat) -> Result<V<'r>, CellFault> {
        let b = raw.as_bytes();
        let text = if b.first().is_some_and(|c| plain(*c)) && b.last().is_some_and(|c| plain(*c)) {
            raw
        } else {
            values::parse_text(raw)
        };
        if text.is_empty() {
            return if self.optional {
                Ok(V::Null)
            } else {
                Err(CellFault::Empty(format!(
                    "`{}` is empty, and the field is not optional",
                    self.name
                )))
            };
        }
        let invalid = |e: values::ValueError| CellFault::Invalid(e.reason);
        Ok(match self.ty {
            FieldType::Text => V::Text(text),
            FieldType::Money | FieldType::Number => match fixed(text.as_bytes()) {
                Some(f) => V::Fixed(f),
                None => {
                    let kind = if self.ty == FieldType::Money {
                        NumberKind::Money
                    } else {
                        NumberKind::Number
                    };
                    V::Num(values::parse_decimal(text, numbers, kind).map_err(invalid)?)
                }
            },
            FieldType::Percent => V::Num(values::parse_decimal(text, numbers, NumberKind::Percent).map_err(invalid)?),
            FieldType::Date => match self.iso_dates.then(|| iso_date(text.as_bytes())).flatten() {
                Some(d) => V::Date(d),
                None => V::Date(Day::from_date(dates.parse(text, numbers.fullwidth).map_err(invalid)?)),
            },
        })
    }
}

/// Whether a cell's first or last byte needs no trimming.
#[inline]
fn plain(c: u8) -> bool {
    c.is_ascii() && !c.is_ascii_whitespace()
}

/// `-?[0-9]{1,14}(\.[0-9]{1,4})?` as an integer of 10^-4 units; `None` for any other form.
#[inline]
pub fn fixed(b: &[u8]) -> Option<i64> {
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match digits.iter().position(|c| *c == b'.') {
        Some(p) => (&digits[..p], &digits[p + 1..]),
        None => (digits, &[][..]),
    };
    if int.is_empty() || int.len() > 14 || (digits.len() > int.len() && frac.is_empty()) || frac.len() > 4 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in int {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    let mut f: i64 = 0;
    for &c in frac {
        if !c.is_ascii_digit() {
            return None;
        }
        f = f * 10 + i64::from(c - b'0');
    }
    for _ in frac.len()..FIXED_SCALE as usize {
        f *= 10;
    }
    let v = v * FIXED_ONE + f;
    Some(if negative { -v } else { v })
}

/// `YYYY-MM-DD` of a day that exists; `None` for any other form (the full parser decides).
#[inline]
pub fn iso_date(b: &[u8]) -> Option<Day> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(&b[..4])?, num(&b[5..7])?, num(&b[8..])?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y as i32, m) {
        return None;
    }
    Some(Day::new(y as i32, m, d))
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_amounts() {
        assert_eq!(fixed(b"1234.56"), Some(12_345_600));
        assert_eq!(fixed(b"-0.5"), Some(-5_000));
        assert_eq!(fixed(b"7"), Some(70_000));
        assert_eq!(fixed(b"0.0001"), Some(1));
        // Forms left to the full parser.
        for s in ["", "-", "1.", ".5", "1.23456", "1,234", "+1", "1e3", "123456789012345"] {
            assert_eq!(fixed(s.as_bytes()), None, "{s}");
        }
    }

    /// The inline reader gives what the full one gives wherever it answers, empty cells
    /// included.
    #[test]
    fn the_inline_reader_agrees_with_the_full_one() {
        let (dates, numbers) = (DateFormats::default(), NumberFormat::default());
        for ty in [FieldType::Text, FieldType::Money, FieldType::Number, FieldType::Date] {
            for optional in [false, true] {
                let reader = CellReader {
                    ty,
                    optional,
                    name: "f".into(),
                    iso_dates: true,
                };
                for raw in ["", " ", "4", " 4 ", "1234.56", "2027-04-22", "closed", "-0.5"] {
                    let full = reader.read_any(raw, &dates, &numbers).ok();
                    if let Some(fast) = reader.fast(raw) {
                        assert_eq!(Some(fast), full, "{ty:?}, optional {optional}, `{raw}`");
                    }
                }
                assert_eq!(reader.fast(""), optional.then_some(V::Null));
            }
        }
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_date(b"2027-04-22"), Some(Day::new(2027, 4, 22)));
        assert_eq!(iso_date(b"2028-02-29"), Some(Day::new(2028, 2, 29)));
        assert_eq!(iso_date(b"2027-02-29"), None);
        assert_eq!(iso_date(b"2027-13-01"), None);
        assert_eq!(iso_date(b"2027/04/22"), None);
        assert!(Day::new(2027, 4, 22) < Day::new(2027, 5, 1));
        assert_eq!(Day::new(2027, 4, 22).to_date(), Some(jiff::civil::date(2027, 4, 22)));
    }
}
