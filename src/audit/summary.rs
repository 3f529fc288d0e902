//! Whole items on one line, for an item that only one version has.

use super::describe::*;
use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, Lang};
use crate::syntax::literals::quote;

fn en(k: Kw) -> &'static str {
    k.spelling(Lang::En)
}

/// A whole item on one line, after its label: what an added or removed item says. Sub-lines
/// are joined with `; `.
pub fn summary(item: &Item) -> String {
    let parts: Vec<String> = match &item.kind {
        ItemKind::Header(h) => {
            let mut parts = vec![quote(&h.name.value)];
            for l in &h.lines {
                parts.push(match l {
                    HeaderLine::Version(s) => format!("{} {}", en(Kw::Version), quote(&s.value)),
                    HeaderLine::Effective(d) => format!("{} {}", en(Kw::Effective), d.value),
                    HeaderLine::Currency(c) => format!("{} {}", en(Kw::Currency), c.text),
                    HeaderLine::Rounding { mode, unit, .. } => {
                        format!("{} {}", en(Kw::Rounding), rounding(*mode, unit.value))
                    }
                    HeaderLine::Approved { by, on } => approval(&by.value, on.value),
                    HeaderLine::MidPeriod { rule, .. } => {
                        format!("{} {}", en(Kw::MidPeriodChange), mid_period(Some(*rule)))
                    }
                });
            }
            parts
        }
        ItemKind::Calendar(c) => c
            .lines
            .iter()
            .map(|l| match l {
                CalendarLine::FiscalYearStarts { month: m, .. } => {
                    format!("{} {}", en(Kw::FiscalYearStarts), month(*m))
                }
                CalendarLine::Assess { every, .. } => format!("{} {}", en(Kw::Assess), period(*every)),
                CalendarLine::Review { every, .. } => {
                    let list: Vec<&str> = every.iter().map(|p| period(*p)).collect();
                    format!("{} {}", en(Kw::Review), list.join(", "))
                }
            })
            .collect(),
        ItemKind::Source(s) => s
            .fields
            .iter()
            .map(|f| format!("{} {}", f.name.text, field(f)))
            .collect(),
        ItemKind::Target(t) => {
            let mut parts = vec![format!("{} {}", plain(t.amount.value), period(t.per))];
            parts.extend(
                t.revisions
                    .iter()
                    .map(|r| format!("{} {} {}", en(Kw::Revised), r.date.value, revision(r))),
            );
            parts
        }
        ItemKind::Split(s) => vec![entries(&s.shares)],
        ItemKind::Allocate(a) => vec![entries(&a.weights)],
        ItemKind::Phase(p) => vec![format!(
            "{} {}: {}",
            en(Kw::By),
            en(if p.by == PeriodKind::Quarter {
                Kw::Quarter
            } else {
                Kw::Month
            }),
            phase_shares(&p.shares)
        )],
        ItemKind::Prorate(p) => vec![prorate(*p)],
        ItemKind::Metric(m) => vec![expr(&m.expr)],
        ItemKind::Score(s) => s
            .indicators
            .iter()
            .map(|i| format!("{} {}", expr(&i.expr), indicator(i)))
            .chain(s.gates.iter().map(|g| format!("{} {}", en(Kw::Gate), expr(&g.cond))))
            .collect(),
        ItemKind::Grade(g) => {
            let mut rules: Vec<String> = g
                .rules
                .iter()
                .map(|r| format!("{} {} {}", r.grade.text, en(Kw::If), expr(&r.cond)))
                .collect();
            rules.push(format!("{} {}", en(Kw::Otherwise), g.otherwise.text));
            vec![rules.join(", ")]
        }
        ItemKind::Commission(c) => commission(c),
        ItemKind::Draw(d) => vec![format!(
            "{} {} {} {} {}",
            plain(d.amount.value),
            period(d.per),
            en(Kw::Against),
            d.against.text,
            recovery(d.recoverable)
        )],
        ItemKind::Bonus(b) => {
            let mut line = format!("{} {}", expr(&b.amount), period(b.per));
            if let Some(c) = &b.cond {
                line.push_str(&format!(" {} {}", en(Kw::If), expr(c)));
            }
            vec![line]
        }
        ItemKind::Promotion(p) => vec![format!("{} {} {}", period(p.per), en(Kw::If), expr(&p.cond))],
        ItemKind::Discipline(d) => d
            .measures
            .iter()
            .map(|m| format!("{} {}", m.name.text, measure(m)))
            .collect(),
        ItemKind::Test(t) => {
            let mut parts = Vec::new();
            if !t.givens.is_empty() {
                let givens: Vec<String> = t
                    .givens
                    .iter()
                    .map(|g| format!("{} {}", given_name(g), expr(&g.value)))
                    .collect();
                parts.push(format!(
                    "{} {}",
                    en(Kw::Given),
                    givens.join(&format!(" {} ", en(Kw::And)))
                ));
            }
            parts.extend(t.expects.iter().map(|e| format!("{} {}", en(Kw::Expect), expr(e))));
            parts
        }
    };
    parts.join("; ")
}

/// The head of a commission (`on revenue by attainment marginal monthly`): what it is paid on.
pub fn commission_head(c: &Commission) -> String {
    let mut head = format!("{} {}", en(Kw::OnBase), expr(&c.base));
    if let Some(by) = &c.by {
        head.push_str(&format!(" {} {}", en(Kw::By), expr(by)));
    }
    head.push(' ');
    head.push_str(mode(c.mode));
    if let Some(per) = c.per {
        head.push(' ');
        head.push_str(period(per));
    }
    head
}

fn commission(c: &Commission) -> Vec<String> {
    let mut parts = vec![commission_head(c)];
    parts.extend(c.tiers.iter().map(|t| format!("{} {}", band(t), pay(t))));
    parts.extend(c.caps.iter().map(|l| limit(Kw::Cap, l)));
    parts.extend(c.minimums.iter().map(|l| limit(Kw::Minimum, l)));
    parts.extend(c.gates.iter().map(|g| format!("{} {}", en(Kw::Gate), expr(&g.cond))));
    for (flag, kw) in [
        (c.year_to_date, Kw::YearToDate),
        (c.per_record, Kw::PerRecord),
        (c.claw_back_returns, Kw::ClawBackReturns),
        (c.original_rate, Kw::ClawBackAtOriginalRate),
    ] {
        if flag.is_some() {
            parts.push(en(kw).into());
        }
    }
    parts
}
