//! Comparing two versions of one item, part by part, in the item's own terms.
//!
//! Parts are matched by what identifies them in the language: tiers by where they start,
//! split shares and allocation weights by their value, phase shares by month, caps by period,
//! score indicators by their expression (as it reads in English, so `1.50` is `1.5`), grade
//! levels and measures by name, a test's givens by name. Where the order of a list carries meaning — grade levels (the first that holds
//! wins) and measures (listed by rising severity) — a change of order is a change too;
//! elsewhere (split shares, indicators, gates, fields) it is not.

use super::describe as d;
use super::diff::{Out, Pair, Sides, pair_by, same_order};
use super::summary::summary;
use crate::check::model::Model;
use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, Lang};

fn eq<T: PartialEq + ?Sized>(a: &T, b: &T) -> bool {
    a == b
}

/// Where a number means the same however it is written — a score indicator's cap and floor
/// (`1.5` is `150%`), a deduction — only the value counts.
fn same_value(a: &Num, b: &Num) -> bool {
    a.value == b.value
}

pub(super) fn compare(out: &mut Out, sides: &Sides, old: &Item, new: &Item) {
    match (&old.kind, &new.kind) {
        (ItemKind::Header(_), ItemKind::Header(_)) => header(out, sides.old, sides.new),
        (ItemKind::Calendar(_), ItemKind::Calendar(_)) => calendar(out, sides.old, sides.new),
        (ItemKind::Prorate(o), ItemKind::Prorate(n)) => prorate(out, *o, *n),
        (ItemKind::Source(o), ItemKind::Source(n)) => source(out, o, n),
        (ItemKind::Target(o), ItemKind::Target(n)) => target(out, o, n),
        (ItemKind::Split(o), ItemKind::Split(n)) => shares(out, &o.shares, &n.shares),
        (ItemKind::Allocate(o), ItemKind::Allocate(n)) => shares(out, &o.weights, &n.weights),
        (ItemKind::Phase(o), ItemKind::Phase(n)) => phase(out, o, n),
        (ItemKind::Metric(o), ItemKind::Metric(n)) => out.value("formula", &o.expr, &n.expr, eq, d::expr),
        (ItemKind::Score(o), ItemKind::Score(n)) => score(out, o, n),
        (ItemKind::Grade(o), ItemKind::Grade(n)) => grade(out, o, n),
        (ItemKind::Commission(o), ItemKind::Commission(n)) => commission(out, sides, o, n),
        (ItemKind::Draw(o), ItemKind::Draw(n)) => draw(out, o, n),
        (ItemKind::Bonus(o), ItemKind::Bonus(n)) => bonus(out, o, n),
        (ItemKind::Promotion(o), ItemKind::Promotion(n)) => {
            out.value("period", &o.per, &n.per, eq, |p| d::period(*p).into());
            out.value("condition", &o.cond, &n.cond, eq, d::expr);
        }
        (ItemKind::Discipline(o), ItemKind::Discipline(n)) => discipline(out, o, n),
        (ItemKind::Test(o), ItemKind::Test(n)) => test(out, o, n),
        // Equal ids imply equal kinds; should that ever not hold, say so plainly.
        _ => out.changed("", summary(old), summary(new)),
    }
}

/// The header as the facts it amounts to, defaults included.
pub(super) fn header(out: &mut Out, old: &Model, new: &Model) {
    let (o, n) = (&old.header, &new.header);
    let quoted = |s: &String| crate::syntax::literals::quote(s);
    out.value("name", &o.name, &n.name, eq, quoted);
    out.option("version", o.version.as_ref(), n.version.as_ref(), eq, quoted);
    out.option("effective date", o.effective.as_ref(), n.effective.as_ref(), eq, |d| {
        d.to_string()
    });
    out.option("currency", o.currency.as_ref(), n.currency.as_ref(), eq, String::clone);
    out.value(
        "rounding",
        &(o.rounding, o.rounding_unit),
        &(n.rounding, n.rounding_unit),
        eq,
        |(m, u)| d::rounding(*m, *u),
    );
    out.option("approval", o.approved.as_ref(), n.approved.as_ref(), eq, |(by, on)| {
        format!("{} on {on}", quoted(by))
    });
    out.value("mid-period change", &o.mid_period, &n.mid_period, eq, |r| {
        d::mid_period(*r)
    });
}

pub(super) fn calendar(out: &mut Out, old: &Model, new: &Model) {
    let (o, n) = (&old.calendar, &new.calendar);
    out.value("fiscal year starts", &o.fiscal_start, &n.fiscal_start, eq, |m| {
        d::month(*m).into()
    });
    out.value("assessment period", &o.assess, &n.assess, eq, |p| d::period(*p).into());
    // Reviews are a set: `review yearly, quarterly` is `review quarterly, yearly`.
    let set = |r: &Vec<PeriodKind>| {
        let mut r = r.clone();
        r.sort();
        r.dedup();
        r
    };
    out.value("reviews", &set(&o.reviews), &set(&n.reviews), eq, |r| {
        if r.is_empty() {
            "none".into()
        } else {
            r.iter().map(|p| d::period(*p)).collect::<Vec<_>>().join(", ")
        }
    });
}

pub(super) fn prorate(out: &mut Out, old: Prorate, new: Prorate) {
    out.value("", &old, &new, eq, |p| d::prorate(*p));
}

fn source(out: &mut Out, old: &Source, new: &Source) {
    for p in pair_by(&old.fields, &new.fields, |f| f.name.text.clone()) {
        let what = |f: &Field| format!("field {}", f.name.text);
        match p {
            Pair::Both(o, n) => out.value(
                &what(n),
                o,
                n,
                |a, b| a.ty == b.ty && d::field_marks(a) == d::field_marks(b),
                d::field,
            ),
            Pair::Added(n) => out.added(&what(n), Some(d::field(n))),
            Pair::Removed(o) => out.removed(&what(o), Some(d::field(o))),
        }
    }
}

fn target(out: &mut Out, old: &Target, new: &Target) {
    out.value("amount", &old.amount.value, &new.amount.value, eq, |v| d::plain(*v));
    out.value("period", &old.per, &new.per, eq, |p| d::period(*p).into());
    for p in pair_by(&old.revisions, &new.revisions, |r| r.date.value) {
        let what = |r: &Revision| format!("revision {}", r.date.value);
        match p {
            Pair::Both(o, n) => {
                let w = what(n);
                out.value(&format!("{w}, amount"), &o.amount.value, &n.amount.value, eq, |v| {
                    d::plain(*v)
                });
                out.value(&format!("{w}, reason"), &o.reason.value, &n.reason.value, eq, |s| {
                    crate::syntax::literals::quote(s)
                });
            }
            Pair::Added(n) => out.added(&what(n), Some(d::revision(n))),
            Pair::Removed(o) => out.removed(&what(o), Some(d::revision(o))),
        }
    }
}

/// Split shares and allocation weights, by value (`east`, `senior`). Their order does not
/// count: the target sheet orders parts by key, not by the order written.
fn shares(out: &mut Out, old: &[Entry], new: &[Entry]) {
    for p in pair_by(old, new, |e| e.key.text.clone()) {
        match p {
            Pair::Both(o, n) => out.value(&d::key(&n.key), &o.amount, &n.amount, d::same_num, d::num),
            Pair::Added(n) => out.added(&d::key(&n.key), Some(d::num(&n.amount))),
            Pair::Removed(o) => out.removed(&d::key(&o.key), Some(d::num(&o.amount))),
        }
    }
}

fn phase(out: &mut Out, old: &Phase, new: &Phase) {
    if old.by != new.by {
        // Months and quarters cannot be compared slot by slot: show both phasings whole.
        let show = |p: &Phase| {
            let unit = if p.by == PeriodKind::Quarter {
                Kw::Quarter
            } else {
                Kw::Month
            };
            format!("by {}: {}", unit.spelling(Lang::En), d::phase_shares(&p.shares))
        };
        out.changed("phasing", show(old), show(new));
        return;
    }
    for p in pair_by(&old.shares, &new.shares, |s| d::slot(s.slot)) {
        match p {
            Pair::Both(o, n) => out.value(d::slot(n.slot), &o.share, &n.share, d::same_num, d::num),
            Pair::Added(n) => out.added(d::slot(n.slot), Some(d::num(&n.share))),
            Pair::Removed(o) => out.removed(d::slot(o.slot), Some(d::num(&o.share))),
        }
    }
}

fn score(out: &mut Out, old: &Score, new: &Score) {
    // The score is a weighted sum: indicators are matched by their expression, in any order.
    for p in pair_by(&old.indicators, &new.indicators, |i| d::expr(&i.expr)) {
        match p {
            Pair::Both(o, n) => {
                let w = format!("indicator {}", d::expr(&n.expr));
                out.value(&format!("{w}, weight"), &o.weight, &n.weight, d::same_num, d::num);
                out.option(&format!("{w}, cap"), o.cap.as_ref(), n.cap.as_ref(), same_value, d::num);
                out.option(
                    &format!("{w}, floor"),
                    o.floor.as_ref(),
                    n.floor.as_ref(),
                    same_value,
                    d::num,
                );
            }
            Pair::Added(n) => out.added(&format!("indicator {}", d::expr(&n.expr)), Some(d::indicator(n))),
            Pair::Removed(o) => out.removed(&format!("indicator {}", d::expr(&o.expr)), Some(d::indicator(o))),
        }
    }
    out.set("gate", &old.gates, &new.gates, |g| d::expr(&g.cond));
}

fn grade(out: &mut Out, old: &Grade, new: &Grade) {
    for p in pair_by(&old.rules, &new.rules, |r| r.grade.text.clone()) {
        let what = |r: &GradeRule| format!("level {}", r.grade.text);
        let rule = |r: &GradeRule| format!("if {}", d::expr(&r.cond));
        match p {
            Pair::Both(o, n) => out.value(&what(n), o, n, |a, b| a.cond == b.cond, rule),
            Pair::Added(n) => out.added(&what(n), Some(rule(n))),
            Pair::Removed(o) => out.removed(&what(o), Some(rule(o))),
        }
    }
    // The first level whose condition holds is the grade, so the order is part of the rule.
    let names = |g: &Grade| {
        g.rules
            .iter()
            .map(|r| r.grade.text.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !same_order(&old.rules, &new.rules, |r| r.grade.text.clone()) {
        out.changed("order", names(old), names(new));
    }
    out.value("otherwise", &old.otherwise.text, &new.otherwise.text, eq, String::clone);
}

fn commission(out: &mut Out, sides: &Sides, old: &Commission, new: &Commission) {
    out.value("base", &old.base, &new.base, eq, d::expr);
    let measure = |b: &Option<Expr>| b.as_ref().map_or("the base itself".to_string(), d::expr);
    out.value("measured by", &old.by, &new.by, eq, measure);
    out.value("mode", &old.mode, &new.mode, eq, |m| d::mode(*m).into());
    // No period means the assessment period; compare what is meant, not what is written.
    let (op, np) = (
        old.per.unwrap_or(sides.old.calendar.assess),
        new.per.unwrap_or(sides.new.calendar.assess),
    );
    out.value("period", &op, &np, eq, |p| d::period(*p).into());

    // Tiers follow each other without gaps, so a tier is known by where it starts: a new top
    // tier then reads as the old top tier ending where the new one begins, plus one addition.
    for p in pair_by(&old.tiers, &new.tiers, |t| t.from.as_ref().map(bound)) {
        match p {
            Pair::Both(o, n) => {
                let (ob, nb) = (d::band(o), d::band(n));
                if ob != nb {
                    out.changed(&format!("tier {ob}, band"), ob, nb.clone());
                }
                let what = format!("tier {nb}, {}", pay_word(o, n));
                let same = |a: &Tier, b: &Tier| d::same_num(&a.pay, &b.pay) && d::same_opt_num(&a.pay_to, &b.pay_to);
                out.value(&what, o, n, same, d::pay);
            }
            Pair::Added(n) => out.added(&format!("tier {}", d::band(n)), Some(d::pay(n))),
            Pair::Removed(o) => out.removed(&format!("tier {}", d::band(o)), Some(d::pay(o))),
        }
    }
    limits(out, "cap", &old.caps, &new.caps);
    limits(out, "minimum", &old.minimums, &new.minimums);
    out.set("gate", &old.gates, &new.gates, |g| d::expr(&g.cond));
    for (what, o, n) in [
        ("year to date", old.year_to_date, new.year_to_date),
        ("per record", old.per_record, new.per_record),
        ("claw back returns", old.claw_back_returns, new.claw_back_returns),
        (
            "claw back returns at the original rate",
            old.original_rate,
            new.original_rate,
        ),
    ] {
        match (o.is_some(), n.is_some()) {
            (false, true) => out.added(what, None),
            (true, false) => out.removed(what, None),
            _ => {}
        }
    }
}

/// A tier bound as a comparable key: its value, and whether it is a percentage.
fn bound(n: &Num) -> (rust_decimal::Decimal, bool) {
    (n.value, d::is_percent(n))
}

/// What a tier pays is a rate when it is a percentage, an amount when it is a number.
fn pay_word(old: &Tier, new: &Tier) -> &'static str {
    match (d::is_percent(&old.pay), d::is_percent(&new.pay)) {
        (true, true) => "rate",
        (false, false) => "amount",
        _ => "pay",
    }
}

/// Caps or minimums, one per period: `yearly cap`.
fn limits(out: &mut Out, word: &str, old: &[Limit], new: &[Limit]) {
    for p in pair_by(old, new, |l| l.per) {
        let what = |l: &Limit| format!("{} {word}", d::period(l.per));
        let amount = |l: &Limit| d::plain(l.amount.value);
        match p {
            Pair::Both(o, n) => out.value(&what(n), o, n, |a, b| a.amount.value == b.amount.value, amount),
            Pair::Added(n) => out.added(&what(n), Some(amount(n))),
            Pair::Removed(o) => out.removed(&what(o), Some(amount(o))),
        }
    }
}

fn draw(out: &mut Out, old: &Draw, new: &Draw) {
    out.value("amount", &old.amount.value, &new.amount.value, eq, |v| d::plain(*v));
    out.value("period", &old.per, &new.per, eq, |p| d::period(*p).into());
    out.value("against", &old.against.text, &new.against.text, eq, String::clone);
    out.value("recovery", &old.recoverable, &new.recoverable, eq, |r| {
        d::recovery(*r).into()
    });
}

fn bonus(out: &mut Out, old: &Bonus, new: &Bonus) {
    let word = |spif: &bool| if *spif { "spif" } else { "bonus" }.to_string();
    out.value("kind", &old.spif, &new.spif, eq, word);
    out.value("amount", &old.amount, &new.amount, eq, d::expr);
    out.value("period", &old.per, &new.per, eq, |p| d::period(*p).into());
    out.option("condition", old.cond.as_ref(), new.cond.as_ref(), eq, d::expr);
}

fn discipline(out: &mut Out, old: &Discipline, new: &Discipline) {
    for p in pair_by(&old.measures, &new.measures, |m| m.name.text.clone()) {
        match p {
            Pair::Both(o, n) => {
                let w = format!("measure {}", n.name.text);
                out.value(&format!("{w}, condition"), &o.cond, &n.cond, eq, d::expr);
                out.value(&format!("{w}, window"), &o.window, &n.window, eq, d::window);
                out.option(
                    &format!("{w}, deduction"),
                    o.deduct.as_ref(),
                    n.deduct.as_ref(),
                    same_value,
                    d::num,
                );
            }
            Pair::Added(n) => {
                let rank = severity(&new.measures, n);
                out.added(
                    &format!("measure {}", n.name.text),
                    Some(format!("{}{rank}", d::measure(n))),
                );
            }
            Pair::Removed(o) => out.removed(&format!("measure {}", o.name.text), Some(d::measure(o))),
        }
    }
    // Measures are listed mildest first: moving one changes how severe it is.
    let names = |d: &Discipline| {
        d.measures
            .iter()
            .map(|m| m.name.text.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !same_order(&old.measures, &new.measures, |m| m.name.text.clone()) {
        out.changed("order of severity", names(old), names(new));
    }
}

/// Where a new measure stands among the others: `; between notice and warning`.
fn severity(list: &[Measure], m: &Measure) -> String {
    let Some(i) = list.iter().position(|x| std::ptr::eq(x, m)) else {
        return String::new();
    };
    let name = |j: usize| list.get(j).map(|x| x.name.text.as_str());
    match (i.checked_sub(1).and_then(name), name(i + 1)) {
        (Some(before), Some(after)) => format!("; between {before} and {after}"),
        (None, Some(after)) => format!("; the mildest, before {after}"),
        (Some(before), None) => format!("; the most severe, after {before}"),
        (None, None) => String::new(),
    }
}

fn test(out: &mut Out, old: &Test, new: &Test) {
    for p in pair_by(&old.givens, &new.givens, d::given_name) {
        let what = |g: &Given| format!("given {}", d::given_name(g));
        match p {
            Pair::Both(o, n) => out.value(&what(n), &o.value, &n.value, eq, d::expr),
            Pair::Added(n) => out.added(&what(n), Some(d::expr(&n.value))),
            Pair::Removed(o) => out.removed(&what(o), Some(d::expr(&o.value))),
        }
    }
    out.set("expect", &old.expects, &new.expects, d::expr);
}
