//! Reading literal tokens into exact values.

use jiff::civil::Date;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The value of a number token: `120,000,000`, `-1.5`, `1.2亿` (×10⁸), `30万` (×10⁴).
/// A percentage token (`40%`) gives its fraction, 0.4. `None` when it does not fit.
pub fn number_value(text: &str) -> Option<Decimal> {
    let (body, percent) = match text.strip_suffix('%').or_else(|| text.strip_suffix('％')) {
        Some(b) => (b, true),
        None => (text, false),
    };
    let (body, scale) = if let Some(b) = body.strip_suffix('亿') {
        (b, Decimal::from(100_000_000u64))
    } else if let Some(b) = body.strip_suffix('万') {
        (b, Decimal::from(10_000u64))
    } else {
        (body, Decimal::ONE)
    };
    let digits: String = body.chars().filter(|c| *c != ',').collect();
    let value = Decimal::from_str(&digits).ok()?.checked_mul(scale)?;
    if percent {
        value.checked_div(Decimal::ONE_HUNDRED)
    } else {
        Some(value)
    }
}

/// The value of a date token `YYYY-MM-DD`, if it names a real day.
pub fn date_value(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let year = parts.next()?.parse::<i16>().ok()?;
    let month = parts.next()?.parse::<i8>().ok()?;
    let day = parts.next()?.parse::<i8>().ok()?;
    Date::new(year, month, day).ok()
}

/// The value of a string token, quotes removed and `\"`, `\\` unescaped.
pub fn string_value(text: &str) -> String {
    let inner = if let Some(s) = text.strip_prefix('"') {
        s.strip_suffix('"').unwrap_or(s)
    } else {
        let s = text.strip_prefix('“').unwrap_or(text);
        return s.strip_suffix('”').unwrap_or(s).to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A string as the formatter writes it: in ASCII double quotes, escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn numbers() {
        assert_eq!(number_value("120,000,000"), Some(dec!(120000000)));
        assert_eq!(number_value("1.2亿"), Some(dec!(120000000)));
        assert_eq!(number_value("30万"), Some(dec!(300000)));
        assert_eq!(number_value("-1.5"), Some(dec!(-1.5)));
        assert_eq!(number_value("40%"), Some(dec!(0.4)));
        assert_eq!(number_value("12.5％"), Some(dec!(0.125)));
        assert_eq!(number_value("99999999999999999999999999999999"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(date_value("2027-02-28"), Some(jiff::civil::date(2027, 2, 28)));
        assert_eq!(date_value("2027-02-30"), None);
    }

    #[test]
    fn strings() {
        assert_eq!(string_value(r#""a \"b\" \\ c""#), r#"a "b" \ c"#);
        assert_eq!(string_value("“年中复盘”"), "年中复盘");
        assert_eq!(quote(r#"a "b""#), r#""a \"b\"""#);
    }
}
