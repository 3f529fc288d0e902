//! `claw back returns at the original rate` in a run (the rule is `eval::returns`): the returns
//! of a linked base, kept while reading with the date of the sale each reverses, and grouped per
//! period by the period of their sales.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::State;
use crate::eval::calendar::Period;
use crate::eval::returns;
use crate::eval::rules::{EvalError, Rules, Value};
use crate::syntax::ast::*;

/// The linked returns of a base: (day, date of the sale, amount), per (aggregation,
/// salesperson), in file order.
pub(super) type Returns = BTreeMap<(usize, usize), Vec<(Date, Date, Decimal)>>;

/// Each commission paying returns back at the original rate: commission name → (base metric's
/// name, index of its aggregation in `specs`, the field marked `original`).
pub(super) type Links<'a> = BTreeMap<&'a str, (&'a str, usize, &'a str)>;

pub(super) fn links<'a>(policy: &'a Policy, spec_at: &BTreeMap<(usize, usize), usize>) -> Links<'a> {
    policy
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Commission(c) if c.original_rate.is_some() => {
                let link = returns::link(policy, c).ok()?;
                let spec = spec_at.get(&(link.aggregation.span.start, link.aggregation.span.end))?;
                Some((c.name.text.as_str(), (link.metric, *spec, link.field)))
            }
            _ => None,
        })
        .collect()
}

/// The returns of one period linked to sales of earlier periods of the same fiscal year.
pub(super) struct Linked {
    /// The base metric they are left out of.
    pub metric: String,
    /// Their sum, and per period of sale (in order) its sum.
    pub total: Decimal,
    pub by_period: Vec<(Period, Decimal)>,
}

impl State<'_> {
    /// The returns dated in the period of `slot` whose sales were made in an earlier period of
    /// commission `c` (its own length) of the run's fiscal year; `None` when `c` does not link
    /// returns. A return of a sale of the same period, or of an earlier fiscal year (whose rate
    /// the run does not know), stays in the base of its own period.
    pub(super) fn linked_returns(&self, rep: usize, slot: usize, c: &Commission) -> Result<Option<Linked>, EvalError> {
        let Some(&(metric, spec, _)) = self.links.get(c.name.text.as_str()) else {
            return Ok(None);
        };
        let s = self.slots[slot];
        let overflow = || EvalError {
            message: "arithmetic overflow adding up the returns".into(),
            span: c.base.span,
        };
        let mut by_period: BTreeMap<Period, Decimal> = BTreeMap::new();
        let mut total = Decimal::ZERO;
        for &(day, sold, amount) in self.returns.get(&(spec, rep)).into_iter().flatten() {
            if day < s.start || day > s.end || sold < self.window.0 || sold >= s.start {
                continue;
            }
            let sale = self.cal.period_of(sold, s.period.kind);
            let sum = by_period.entry(sale).or_default();
            *sum = sum.checked_add(amount).ok_or_else(overflow)?;
            total = total.checked_add(amount).ok_or_else(overflow)?;
        }
        Ok(Some(Linked {
            metric: metric.to_string(),
            total,
            by_period: by_period.into_iter().collect(),
        }))
    }
}

/// What one period of a linked commission was paid on: its base and its amount.
pub(super) type Rated = (Period, Decimal, Decimal);

/// The linked returns of one period of sales taken back: a `clawback` line.
pub(super) struct TakeBack {
    pub returned: Decimal,
    /// The rate, in words: the period of the sales and what it paid.
    pub rate: String,
    pub amount: Decimal,
}

impl State<'_> {
    /// The rules of the period of `place` with the base metric less the linked returns: what
    /// the commission pays on its own period's sales.
    pub(super) fn without_linked<'s>(
        &'s self,
        place: &'s super::Place<'s, 's>,
        linked: &Linked,
    ) -> Result<Rules<'s>, EvalError> {
        let mut rules = self.rules(place.rep, place.slot).with_world(place);
        if let Some(Value::Num(v)) = rules.name_value(&linked.metric, Span::default())? {
            let less = v.checked_sub(linked.total).ok_or_else(|| EvalError {
                message: "arithmetic overflow taking the returns out of the base".into(),
                span: Span::default(),
            })?;
            rules.assume(&linked.metric, Value::Num(less));
        }
        Ok(rules)
    }

    /// Each period of sales of `linked` taken back at the rate it paid, from what the earlier
    /// periods of commission `c` were `rated`; rounded as the policy rounds.
    pub(super) fn take_back(
        &self,
        c: &Commission,
        linked: &Linked,
        rated: &[Rated],
        rules: &mut Rules,
    ) -> Result<Vec<TakeBack>, EvalError> {
        let mut out = Vec::new();
        for &(sale, returned) in &linked.by_period {
            let (base, paid) = rated
                .iter()
                .find(|(p, ..)| *p == sale)
                .map_or((Decimal::ZERO, Decimal::ZERO), |&(_, b, p)| (b, p));
            let label = self.cal.label(sale);
            let exact = returns::take_back(returned, paid, base).map_err(|_| EvalError {
                message: "arithmetic overflow taking returns back".into(),
                span: c.name.span,
            })?;
            let rate = if base > Decimal::ZERO {
                match (paid.checked_mul(Decimal::ONE_HUNDRED)).and_then(|p| p.checked_div(base)) {
                    Some(r) => format!(
                        "returns of sales of {label}, at the {}% {label} paid",
                        r.round_dp(4).normalize()
                    ),
                    // A rate too large to write as a percentage: the words say what it is.
                    None => format!("returns of sales of {label}, at the rate {label} paid"),
                }
            } else {
                format!("returns of sales of {label}, which paid no commission")
            };
            out.push(TakeBack {
                returned,
                rate,
                amount: rules.round(exact, c.name.span)?,
            });
        }
        Ok(out)
    }
}
