//! Values of a policy written out in English for the diff: numbers, periods, expressions and
//! one-line summaries of whole items.
//!
//! Everything here is printed from the syntax tree, never from the source text, so the same
//! policy written in Chinese, with `1.2亿` instead of `120,000,000`, describes identically.

use rust_decimal::Decimal;

use crate::format::expr::expr as print_expr;
use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, Lang, MONTHS, QUARTERS};
use crate::syntax::literals::quote;

fn en(k: Kw) -> &'static str {
    k.spelling(Lang::En)
}

/// Whether a number was written as a percentage. `Num`'s equality looks at the value only,
/// so `4%` equals `0.04`; in a tier the first is a rate and the second a fixed amount, so
/// the diff compares the two together.
pub fn is_percent(n: &Num) -> bool {
    n.is_percent()
}

pub fn same_num(a: &Num, b: &Num) -> bool {
    a.value == b.value && is_percent(a) == is_percent(b)
}

pub fn same_opt_num(a: &Option<Num>, b: &Option<Num>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_num(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// A number in English with thousands separators: `120,000,000`, `0.01`, `-5,000`.
pub fn plain(d: Decimal) -> String {
    let d = d.normalize();
    let text = d.abs().to_string();
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if d.is_sign_negative() && !d.is_zero() { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A fraction as a percentage: 0.125 → `12.5%`.
pub fn percent(d: Decimal) -> String {
    match d.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{}%", plain(p)),
        // Too large to scale: say it as the fraction rather than fail.
        None => plain(d),
    }
}

/// A number as it means: a percentage if written as one, otherwise a plain number.
pub fn num(n: &Num) -> String {
    if is_percent(n) {
        percent(n.value)
    } else {
        plain(n.value)
    }
}

pub fn period(p: PeriodKind) -> &'static str {
    en(match p {
        PeriodKind::Month => Kw::Monthly,
        PeriodKind::Quarter => Kw::Quarterly,
        PeriodKind::Year => Kw::Yearly,
    })
}

pub fn month(m: Month) -> &'static str {
    MONTHS.get(usize::from(m.0).wrapping_sub(1)).map_or("?", |k| en(*k))
}

pub fn slot(s: PhaseSlot) -> &'static str {
    match s {
        PhaseSlot::Month(m) => month(m),
        PhaseSlot::Quarter(q) => QUARTERS.get(usize::from(q).wrapping_sub(1)).map_or("?", |k| en(*k)),
    }
}

pub fn rounding(mode: RoundingMode, unit: Decimal) -> String {
    let m = match mode {
        RoundingMode::HalfUp => Kw::HalfUp,
        RoundingMode::HalfEven => Kw::HalfEven,
        RoundingMode::Down => Kw::Down,
    };
    format!("{} {} {}", en(m), en(Kw::To), plain(unit))
}

/// An expression in English keywords with its numbers written canonically.
pub fn expr(e: &Expr) -> String {
    print_expr(&canonical_numbers(e), Lang::En)
}

/// A copy of `e` whose number literals carry their English spelling, since the expression
/// printer writes numbers as they were written (`1.2亿`).
fn canonical_numbers(e: &Expr) -> Expr {
    let b = |x: &Expr| Box::new(canonical_numbers(x));
    let kind = match &e.kind {
        ExprKind::Number(n) => ExprKind::Number(Num {
            text: plain(n.value),
            ..n.clone()
        }),
        ExprKind::Percent(n) => ExprKind::Percent(Num {
            text: percent(n.value),
            ..n.clone()
        }),
        ExprKind::Aggregate { func, arg, filter } => ExprKind::Aggregate {
            func: *func,
            arg: b(arg),
            filter: filter.as_deref().map(b),
        },
        ExprKind::AtLeast { count, per, cond } => ExprKind::AtLeast {
            count: *count,
            per: *per,
            cond: b(cond),
        },
        ExprKind::Projected(inner) => ExprKind::Projected(b(inner)),
        ExprKind::Across { expr, by } => ExprKind::Across {
            expr: b(expr),
            by: by.clone(),
        },
        ExprKind::Unary(op, inner) => ExprKind::Unary(*op, b(inner)),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(*op, b(l), b(r)),
        ExprKind::Paren(inner) => ExprKind::Paren(b(inner)),
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

/// A split or allocation key, quoted when it is not a plain word.
pub fn key(k: &Name) -> String {
    if k.text.chars().all(|c| c.is_alphanumeric() || c == '_') && !k.text.is_empty() {
        k.text.clone()
    } else {
        quote(&k.text)
    }
}

pub fn entries(list: &[Entry]) -> String {
    list.iter()
        .map(|e| format!("{} {}", key(&e.key), num(&e.amount)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn phase_shares(list: &[PhaseShare]) -> String {
    list.iter()
        .map(|s| format!("{} {}", slot(s.slot), num(&s.share)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn field_type(ty: FieldType) -> &'static str {
    en(match ty {
        FieldType::Text => Kw::Text,
        FieldType::Money => Kw::Money,
        FieldType::Number => Kw::Number,
        FieldType::Percent => Kw::Percent,
        FieldType::Date => Kw::Date,
    })
}

fn field_mod(m: FieldMod) -> &'static str {
    en(match m {
        FieldMod::Key => Kw::Key,
        FieldMod::Salesperson => Kw::Salesperson,
        FieldMod::Dated => Kw::Dated,
        FieldMod::Optional => Kw::Optional,
        FieldMod::Id => Kw::Id,
        FieldMod::Hired => Kw::Hired,
        FieldMod::Left => Kw::Left,
        FieldMod::Original => Kw::Original,
    })
}

/// A field's marks in a fixed order: the order they are written in carries no meaning.
pub fn field_marks(f: &Field) -> Vec<&'static str> {
    let mut marks: Vec<&'static str> = f.mods.iter().map(|(m, _)| field_mod(*m)).collect();
    marks.sort_unstable();
    marks.dedup();
    marks
}

/// `money optional`: a field's type and marks.
pub fn field(f: &Field) -> String {
    let mut parts = vec![field_type(f.ty)];
    parts.extend(field_marks(f));
    parts.join(" ")
}

pub fn band(t: &Tier) -> String {
    match (&t.from, &t.to) {
        (None, Some(hi)) => format!("{} {}", en(Kw::Below), num(hi)),
        (Some(lo), Some(hi)) => format!("{} {} {}", num(lo), en(Kw::To), num(hi)),
        (Some(lo), None) => format!("{} {}", en(Kw::Above), num(lo)),
        (None, None) => "every value".into(),
    }
}

/// What a tier pays: `4%`, `0% to 1.5%`, `500`.
pub fn pay(t: &Tier) -> String {
    match &t.pay_to {
        Some(to) => format!("{} {} {}", num(&t.pay), en(Kw::To), num(to)),
        None => num(&t.pay),
    }
}

pub fn mode(m: TierMode) -> &'static str {
    en(match m {
        TierMode::Marginal => Kw::Marginal,
        TierMode::Retroactive => Kw::Retroactive,
        TierMode::Interpolated => Kw::Interpolated,
    })
}

pub fn window(w: &Window) -> String {
    let in_a = |p: PeriodKind| {
        en(match p {
            PeriodKind::Month => Kw::InAMonth,
            PeriodKind::Quarter => Kw::InAQuarter,
            PeriodKind::Year => Kw::InAYear,
        })
    };
    match w {
        Window::In(per, _) => in_a(*per).to_string(),
        Window::InARow { count, per, .. } => {
            let unit = if *per == PeriodKind::Quarter {
                Kw::QuartersInARow
            } else {
                Kw::MonthsInARow
            };
            format!("{} {count} {}", en(Kw::For), en(unit))
        }
        Window::Times { count, within, .. } => {
            format!("{} {count} {} {}", en(Kw::AtLeast), en(Kw::Times), in_a(*within))
        }
    }
}

/// `if late_contracts >= 2 in a month`, with `deduct 500` before it when there is one.
pub fn measure(m: &Measure) -> String {
    let rule = format!("{} {} {}", en(Kw::If), expr(&m.cond), window(&m.window));
    match &m.deduct {
        Some(d) => format!("{} {} {rule}", en(Kw::Deduct), num(d)),
        None => rule,
    }
}

pub fn indicator(i: &Indicator) -> String {
    let mut out = format!("{} {}", en(Kw::Weight), num(&i.weight));
    if let Some(cap) = &i.cap {
        out.push_str(&format!(", {} {}", en(Kw::Cap), num(cap)));
    }
    if let Some(floor) = &i.floor {
        out.push_str(&format!(", {} {}", en(Kw::Floor), num(floor)));
    }
    out
}

pub fn revision(r: &Revision) -> String {
    format!(
        "{} {} {} {}",
        en(Kw::To),
        plain(r.amount.value),
        en(Kw::Because),
        quote(&r.reason.value)
    )
}

pub fn given_name(g: &Given) -> String {
    g.name.as_ref().map_or(en(Kw::Target).to_string(), Path::display)
}

pub fn limit(kind: Kw, l: &Limit) -> String {
    format!("{} {} {}", en(kind), plain(l.amount.value), period(l.per))
}

/// The label of an item in the diff, in domain words: `commission sales_commission`.
pub fn label(item: &Item) -> String {
    match &item.kind {
        ItemKind::Header(_) => en(Kw::Policy).into(),
        ItemKind::Calendar(_) => en(Kw::Calendar).into(),
        ItemKind::Source(s) => {
            let word = if s.is_roster { Kw::Roster } else { Kw::Source };
            format!("{} {}", en(word), s.name.text)
        }
        ItemKind::Target(t) => format!("{} {}", en(Kw::Target), t.name.text),
        ItemKind::Split(s) => format!("{} {} {} {}", en(Kw::Split), s.parent.text, en(Kw::By), s.by.text),
        ItemKind::Allocate(a) => format!("{} {} {} {}", en(Kw::Allocate), a.parent.text, en(Kw::By), a.by.text),
        ItemKind::Phase(p) => format!("{} {}", en(Kw::Phase), p.target.text),
        ItemKind::Prorate(_) => "proration".into(),
        ItemKind::Metric(m) => format!("{} {}", en(Kw::Metric), m.name.text),
        ItemKind::Score(_) => en(Kw::Score).into(),
        ItemKind::Grade(_) => en(Kw::Grade).into(),
        ItemKind::Commission(c) => format!("{} {}", en(Kw::Commission), c.name.text),
        ItemKind::Draw(d) => format!("{} {}", en(Kw::Draw), d.name.text),
        ItemKind::Bonus(b) => format!("{} {}", en(if b.spif { Kw::Spif } else { Kw::Bonus }), b.name.text),
        ItemKind::Promotion(p) => format!("{} {}", en(Kw::Promotion), p.name.text),
        ItemKind::Discipline(_) => en(Kw::Discipline).into(),
        ItemKind::Test(t) => format!("{} {}", en(Kw::Test), quote(&t.name.value)),
    }
}

pub fn prorate(p: Prorate) -> String {
    match p {
        Prorate::DaysEmployed => format!("{} {}", en(Kw::By), en(Kw::DaysEmployed)),
        Prorate::None => en(Kw::NoProration).into(),
    }
}

/// The rule for a version taking effect inside an assessment period; `error` when the header
/// gives none (such a version is refused).
pub fn mid_period(rule: Option<MidPeriod>) -> String {
    match rule {
        Some(MidPeriod::FromNextPeriod) => en(Kw::FromNextPeriod).into(),
        Some(MidPeriod::ProratedByDays) => en(Kw::ProratedByDays).into(),
        None => "error".into(),
    }
}

pub fn approval(by: &str, on: jiff::civil::Date) -> String {
    format!("{} {} {} {on}", en(Kw::ApprovedBy), quote(by), en(Kw::OnDate))
}

pub fn recovery(recoverable: bool) -> &'static str {
    en(if recoverable {
        Kw::Recoverable
    } else {
        Kw::NonRecoverable
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_are_written_in_english_with_separators() {
        assert_eq!(plain(d("120000000")), "120,000,000");
        assert_eq!(plain(d("126000000.00")), "126,000,000");
        assert_eq!(plain(d("-5000")), "-5,000");
        assert_eq!(plain(d("0.01")), "0.01");
        assert_eq!(plain(d("1234.5")), "1,234.5");
        assert_eq!(plain(d("100")), "100");
        assert_eq!(plain(d("0")), "0");
        assert_eq!(percent(d("0.125")), "12.5%");
        assert_eq!(percent(d("0.4")), "40%");
        assert_eq!(percent(d("1.5")), "150%");
    }
}
