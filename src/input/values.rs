//! Cell parsers: the text of one cell → an exact value. Money, numbers and percentages become
//! `rust_decimal::Decimal` digit by digit, never through floating point. Only the notations a
//! run configuration declares are accepted (`numbers:`, `dates:`), so a value that merely looks
//! like a number is not silently read as one; every refusal says in words what was wrong.

use std::fmt;

use jiff::civil::Date;
use jiff::fmt::strtime;
use rust_decimal::Decimal;
use serde::Deserialize;

/// The number notations a source declares; all off unless declared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NumberFormat {
    /// `1,234.50`: commas between groups of three digits.
    pub thousands: bool,
    /// `¥`, `￥` or `CNY` before the amount, `元` or `CNY` after it.
    pub currency: bool,
    /// Full-width digits and punctuation: `１２３，４５６．７８`, `－`, `（）`, `％`.
    pub fullwidth: bool,
    /// `(1,234.00)` means -1234.00.
    pub accounting_negative: bool,
}

/// Why a cell could not be read, in words, with the value in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    pub reason: String,
}

impl ValueError {
    fn new(reason: String) -> ValueError {
        ValueError { reason }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ValueError {}

/// Which kind of decimal a cell holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberKind {
    Money,
    Number,
    Percent,
}

impl NumberKind {
    fn noun(self) -> &'static str {
        match self {
            NumberKind::Money => "an amount",
            NumberKind::Number => "a number",
            NumberKind::Percent => "a percentage",
        }
    }
}

/// A text cell: the text without surrounding white space (full-width spaces included).
pub fn parse_text(text: &str) -> &str {
    text.trim()
}

/// An amount of money: `1234.50`, `-20`; with declared notations also `¥1,234.50`, `(1,234.00)`,
/// `１２３４．５０`.
pub fn parse_money(text: &str, format: &NumberFormat) -> Result<Decimal, ValueError> {
    parse_decimal(text, format, NumberKind::Money)
}

/// A plain number: as money, but without a currency.
pub fn parse_number(text: &str, format: &NumberFormat) -> Result<Decimal, ValueError> {
    parse_decimal(text, format, NumberKind::Number)
}

/// A percentage as a fraction: `12.5%` → 0.125; a number without `%` is taken as the fraction
/// itself (`0.125`).
pub fn parse_percent(text: &str, format: &NumberFormat) -> Result<Decimal, ValueError> {
    parse_decimal(text, format, NumberKind::Percent)
}

/// The longest cell read as a number, in characters.
const MAX_CHARS: usize = 64;
/// The largest mantissa a `Decimal` holds: 2^96 - 1.
const MAX_MANTISSA: u128 = (1 << 96) - 1;
const MAX_SCALE: u32 = 28;

/// The ASCII character a full-width digit or punctuation mark stands for.
fn fullwidth_ascii(c: char) -> Option<char> {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        '，' => Some(','),
        '．' => Some('.'),
        '－' => Some('-'),
        '＋' => Some('+'),
        '（' => Some('('),
        '）' => Some(')'),
        '％' => Some('%'),
        '／' => Some('/'),
        '：' => Some(':'),
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

const CURRENCY_PREFIXES: [&str; 3] = ["¥", "￥", "CNY"];
const CURRENCY_SUFFIXES: [&str; 2] = ["元", "CNY"];

fn starts_with(s: &[char], word: &str) -> Option<usize> {
    let n = word.chars().count();
    (s.len() >= n && s.iter().zip(word.chars()).all(|(a, b)| *a == b)).then_some(n)
}

fn ends_with(s: &[char], word: &str) -> Option<usize> {
    let n = word.chars().count();
    (s.len() >= n && s[s.len() - n..].iter().zip(word.chars()).all(|(a, b)| *a == b)).then_some(n)
}

/// Parses a decimal of `kind` with the notations `format` declares. No allocation unless the
/// value is refused.
pub fn parse_decimal(text: &str, format: &NumberFormat, kind: NumberKind) -> Result<Decimal, ValueError> {
    let t = text.trim();
    let err = |why: &str| ValueError::new(format!("`{t}` is not {}: {why}", kind.noun()));
    if t.is_empty() {
        return Err(ValueError::new(format!("an empty cell is not {}", kind.noun())));
    }
    // Normalise into a fixed buffer: full-width characters become ASCII when declared.
    let mut buf = ['\0'; MAX_CHARS];
    let mut n = 0;
    for c in t.chars() {
        let c = match fullwidth_ascii(c) {
            Some(a) if format.fullwidth => a,
            Some(_) => {
                return Err(err(&format!(
                    "it has the full-width character `{c}`, and full-width characters are not declared \
                     (`numbers: fullwidth: true` in the run configuration)"
                )));
            }
            None => c,
        };
        if n == MAX_CHARS {
            return Err(err("it is too long"));
        }
        buf[n] = c;
        n += 1;
    }
    let s = &buf[..n];

    // Peel off signs, parentheses, currency and percent signs around the digits.
    let (mut i, mut j) = (0, s.len());
    let mut sign: Option<char> = None;
    let mut open = false;
    let mut close = false;
    let mut currency: Option<&'static str> = None;
    let mut percent = false;
    loop {
        while i < j && s[i].is_whitespace() {
            i += 1;
        }
        if i == j {
            break;
        }
        if s[i] == '(' && !open {
            open = true;
            i += 1;
        } else if (s[i] == '-' || s[i] == '+') && sign.is_none() {
            sign = Some(s[i]);
            i += 1;
        } else if let Some((len, sym)) = currency
            .is_none()
            .then(|| {
                CURRENCY_PREFIXES
                    .iter()
                    .find_map(|p| starts_with(&s[i..j], p).map(|l| (l, *p)))
            })
            .flatten()
        {
            currency = Some(sym);
            i += len;
        } else {
            break;
        }
    }
    loop {
        while j > i && s[j - 1].is_whitespace() {
            j -= 1;
        }
        if j == i {
            break;
        }
        if s[j - 1] == ')' && !close {
            close = true;
            j -= 1;
        } else if s[j - 1] == '%' && !percent && kind == NumberKind::Percent {
            percent = true;
            j -= 1;
        } else if let Some((len, sym)) = currency
            .is_none()
            .then(|| {
                CURRENCY_SUFFIXES
                    .iter()
                    .find_map(|p| ends_with(&s[i..j], p).map(|l| (l, *p)))
            })
            .flatten()
        {
            currency = Some(sym);
            j -= len;
        } else {
            break;
        }
    }
    if let Some(sym) = currency {
        if kind != NumberKind::Money {
            return Err(err(&format!("it has the currency `{sym}`")));
        }
        if !format.currency {
            return Err(err(&format!(
                "it has the currency `{sym}`, and currency symbols are not declared \
                 (`numbers: currency: true` in the run configuration)"
            )));
        }
    }
    if open || close {
        if open != close {
            return Err(err("its parentheses do not match"));
        }
        if !format.accounting_negative {
            return Err(err("parentheses for a negative amount are not declared \
                 (`numbers: accounting_negative: true` in the run configuration)"));
        }
        if sign.is_some() {
            return Err(err("it has both a sign and parentheses"));
        }
    }

    // The digits: an integer part, with separators between groups of three when declared, and
    // an optional fraction.
    let core = &s[i..j];
    let mut mantissa: u128 = 0;
    let mut scale: u32 = 0;
    let mut digits = 0;
    let mut point = false;
    let mut separators = 0;
    let mut group = 0;
    let misplaced = || err("misplaced thousands separator");
    for &c in core {
        match c {
            '0'..='9' => {
                mantissa = mantissa * 10 + (c as u32 - '0' as u32) as u128;
                if mantissa > MAX_MANTISSA {
                    return Err(err("it has too many digits"));
                }
                if point {
                    scale += 1;
                }
                digits += 1;
                group += 1;
            }
            ',' => {
                if !format.thousands {
                    return Err(err(
                        "it has a thousands separator, and thousands separators are not declared \
                         (`numbers: thousands: true` in the run configuration)",
                    ));
                }
                if point || group == 0 || group > 3 || (separators > 0 && group != 3) {
                    return Err(misplaced());
                }
                separators += 1;
                group = 0;
            }
            '.' => {
                if point {
                    return Err(err("it has more than one decimal point"));
                }
                if separators > 0 && group != 3 {
                    return Err(misplaced());
                }
                point = true;
            }
            '%' if kind == NumberKind::Percent => return Err(err("`%` belongs at the end")),
            '-' | '+' => return Err(err("its sign is not at the start")),
            c if c.is_whitespace() => return Err(err("it has a space between its digits")),
            'e' | 'E' if digits > 0 => return Err(err("exponent notation is not accepted")),
            c => return Err(err(&format!("unexpected `{c}`"))),
        }
    }
    if digits == 0 {
        return Err(err("it has no digits"));
    }
    if separators > 0 && !point && group != 3 {
        return Err(misplaced());
    }
    if percent {
        scale += 2;
    }
    if scale > MAX_SCALE {
        return Err(err("it has too many decimal places"));
    }
    let negative = sign == Some('-') || open;
    let value = mantissa as i128;
    Decimal::try_from_i128_with_scale(if negative { -value } else { value }, scale)
        .map_err(|_| err("it has too many digits"))
}

/// The date formats a source declares (jiff `strptime` formats), tried in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateFormats {
    formats: Vec<String>,
    /// A sample date in each format, for messages: `2027-01-05`, `2027年01月05日`.
    examples: Vec<String>,
}

impl Default for DateFormats {
    fn default() -> DateFormats {
        DateFormats::iso()
    }
}

impl DateFormats {
    /// `%Y-%m-%d` only.
    pub fn iso() -> DateFormats {
        DateFormats {
            formats: vec!["%Y-%m-%d".into()],
            examples: vec!["2027-01-05".into()],
        }
    }

    /// Checks each format by writing a sample date and reading it back; an empty list means ISO.
    pub fn new(formats: &[String]) -> Result<DateFormats, String> {
        if formats.is_empty() {
            return Ok(DateFormats::iso());
        }
        let sample = jiff::civil::date(2027, 1, 5);
        let mut examples = Vec::new();
        for f in formats {
            let example = strtime::format(f.as_str(), sample).map_err(|_| format!("`{f}` is not a date format"))?;
            match strtime::parse(f.as_str(), &example).and_then(|t| t.to_date()) {
                Ok(d) if d == sample => examples.push(example),
                _ => {
                    return Err(format!(
                        "the date format `{f}` does not give a whole date: it needs a year (`%Y`), \
                         a month (`%m`) and a day (`%d`)"
                    ));
                }
            }
        }
        Ok(DateFormats {
            formats: formats.to_vec(),
            examples,
        })
    }

    pub fn formats(&self) -> &[String] {
        &self.formats
    }

    /// Reads a date in the first format that matches. With `fullwidth`, full-width digits and
    /// punctuation count as their ASCII forms.
    pub fn parse(&self, text: &str, fullwidth: bool) -> Result<Date, ValueError> {
        let t = text.trim();
        let mut buf = [0u8; 4 * MAX_CHARS];
        let mut n = 0;
        let mut narrowed = false;
        for c in t.chars() {
            let c = match fullwidth_ascii(c) {
                Some(a) if fullwidth => {
                    narrowed = true;
                    a
                }
                _ => c,
            };
            if n + c.len_utf8() > buf.len() {
                return Err(ValueError::new(format!("`{t}` is not a date: it is too long")));
            }
            n += c.encode_utf8(&mut buf[n..]).len();
        }
        let s: &[u8] = if narrowed { &buf[..n] } else { t.as_bytes() };
        let mut no_such_day = false;
        for f in &self.formats {
            if let Ok(parsed) = strtime::parse(f.as_str(), s) {
                match parsed.to_date() {
                    Ok(date) => return Ok(date),
                    Err(_) => no_such_day = true,
                }
            }
        }
        if t.is_empty() {
            return Err(ValueError::new("an empty cell is not a date".into()));
        }
        if no_such_day {
            return Err(ValueError::new(format!("`{t}` is not a date: there is no such day")));
        }
        let examples: Vec<String> = self.examples.iter().map(|e| format!("`{e}`")).collect();
        let like = match examples.len() {
            1 => examples[0].clone(),
            _ => format!(
                "{} or {}",
                examples[..examples.len() - 1].join(", "),
                examples[examples.len() - 1]
            ),
        };
        Err(ValueError::new(format!(
            "`{t}` is not a date in the declared formats: expected a date like {like}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const ALL: NumberFormat = NumberFormat {
        thousands: true,
        currency: true,
        fullwidth: true,
        accounting_negative: true,
    };
    const NONE: NumberFormat = NumberFormat {
        thousands: false,
        currency: false,
        fullwidth: false,
        accounting_negative: false,
    };

    fn reason(r: Result<Decimal, ValueError>) -> String {
        r.unwrap_err().reason
    }

    #[test]
    fn plain_numbers_need_no_declaration() {
        assert_eq!(parse_money("1234.50", &NONE), Ok(dec!(1234.50)));
        assert_eq!(parse_money(" -20 ", &NONE), Ok(dec!(-20)));
        assert_eq!(parse_money("+7", &NONE), Ok(dec!(7)));
        assert_eq!(parse_money(".5", &NONE), Ok(dec!(0.5)));
        assert_eq!(parse_number("0", &NONE), Ok(dec!(0)));
        assert_eq!(parse_money("79228162514264337593543950335", &NONE), Ok(Decimal::MAX));
    }

    #[test]
    fn declared_notations() {
        assert_eq!(parse_money("¥1,234.50", &ALL), Ok(dec!(1234.50)));
        assert_eq!(parse_money("￥ 1,234.50", &ALL), Ok(dec!(1234.50)));
        assert_eq!(parse_money("1,234.50元", &ALL), Ok(dec!(1234.50)));
        assert_eq!(parse_money("CNY 12,345,678", &ALL), Ok(dec!(12345678)));
        assert_eq!(parse_money("(1,234.00)", &ALL), Ok(dec!(-1234.00)));
        assert_eq!(parse_money("(¥1,234.00)", &ALL), Ok(dec!(-1234.00)));
        assert_eq!(parse_money("¥(1,234.00)", &ALL), Ok(dec!(-1234.00)));
        assert_eq!(parse_money("-¥5", &ALL), Ok(dec!(-5)));
        assert_eq!(parse_money("１２３，４５６．７８", &ALL), Ok(dec!(123456.78)));
        assert_eq!(parse_money("（１，０００）", &ALL), Ok(dec!(-1000)));
    }

    #[test]
    fn undeclared_notations_are_refused() {
        assert_eq!(
            reason(parse_money("¥1,234.50", &NONE)),
            "`¥1,234.50` is not an amount: it has the currency `¥`, and currency symbols are not declared \
             (`numbers: currency: true` in the run configuration)"
        );
        let thousands_only = NumberFormat {
            thousands: true,
            ..NONE
        };
        assert!(parse_money("¥1,234.50", &thousands_only).is_err());
        let currency_only = NumberFormat { currency: true, ..NONE };
        assert_eq!(
            reason(parse_money("¥1,234.50", &currency_only)),
            "`¥1,234.50` is not an amount: it has a thousands separator, and thousands separators are not \
             declared (`numbers: thousands: true` in the run configuration)"
        );
        assert!(reason(parse_money("(5)", &NONE)).contains("parentheses for a negative amount are not declared"));
        assert!(reason(parse_money("１２", &NONE)).contains("full-width character `１`"));
    }

    #[test]
    fn malformed_numbers() {
        assert_eq!(
            reason(parse_money("1,2,3", &ALL)),
            "`1,2,3` is not an amount: misplaced thousands separator"
        );
        assert!(reason(parse_money("1234,567", &ALL)).contains("misplaced"));
        assert!(reason(parse_money("1,23", &ALL)).contains("misplaced"));
        assert!(reason(parse_money("1,234.5,6", &ALL)).contains("misplaced"));
        assert!(reason(parse_money(",123", &ALL)).contains("misplaced"));
        assert_eq!(parse_money("1,234,567.891", &ALL), Ok(dec!(1234567.891)));
        assert!(reason(parse_money("1.2.3", &ALL)).contains("more than one decimal point"));
        assert!(reason(parse_money("1e5", &ALL)).contains("exponent"));
        assert!(reason(parse_money("12 34", &ALL)).contains("space"));
        assert!(reason(parse_money("abc", &ALL)).contains("unexpected `a`"));
        assert!(reason(parse_money("-(5)", &ALL)).contains("both a sign and parentheses"));
        assert!(reason(parse_money("(5", &ALL)).contains("parentheses do not match"));
        assert!(reason(parse_money("¥", &ALL)).contains("no digits"));
        assert!(reason(parse_number("¥5", &ALL)).contains("currency"));
        assert!(reason(parse_money("5%", &ALL)).contains("unexpected `%`"));
        assert!(reason(parse_money("79228162514264337593543950336", &ALL)).contains("too many digits"));
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("12.5%", &NONE), Ok(dec!(0.125)));
        assert_eq!(parse_percent("0.125", &NONE), Ok(dec!(0.125)));
        assert_eq!(parse_percent("-3 %", &NONE), Ok(dec!(-0.03)));
        assert_eq!(parse_percent("１２．５％", &ALL), Ok(dec!(0.125)));
        assert!(reason(parse_percent("¥5%", &ALL)).contains("currency"));
    }

    #[test]
    fn dates() {
        let formats = DateFormats::new(&["%Y-%m-%d".into(), "%Y/%m/%d".into(), "%Y年%m月%d日".into()]).unwrap();
        let d = jiff::civil::date(2027, 1, 5);
        assert_eq!(formats.parse("2027-01-05", false), Ok(d));
        assert_eq!(formats.parse("2027/1/5", false), Ok(d));
        assert_eq!(formats.parse("2027年1月5日", false), Ok(d));
        assert_eq!(formats.parse(" 2027年01月05日 ", false), Ok(d));
        assert_eq!(formats.parse("２０２７年１月５日", true), Ok(d));
        assert_eq!(
            formats.parse("2027-02-30", false).unwrap_err().reason,
            "`2027-02-30` is not a date: there is no such day"
        );
        assert_eq!(
            formats.parse("05.01.2027", false).unwrap_err().reason,
            "`05.01.2027` is not a date in the declared formats: expected a date like `2027-01-05`, \
             `2027/01/05` or `2027年01月05日`"
        );
        assert!(formats.parse("2027-01-05x", false).is_err());
        assert_eq!(
            DateFormats::iso().parse("2027/1/5", false).unwrap_err().reason,
            "`2027/1/5` is not a date in the declared formats: expected a date like `2027-01-05`"
        );
        assert!(DateFormats::new(&["%Y-%m".into()]).is_err());
        assert!(DateFormats::new(&["%Q".into()]).is_err());
    }
}
