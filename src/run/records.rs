//! `per record` commissions in a run (the arithmetic is `eval::per_record`): the records of each
//! such commission's base, kept while reading, paid one by one in date order.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::{Place, State};
use crate::eval::per_record;
use crate::eval::rules::{EvalError, Rules, Value, bands};
use crate::syntax::ast::*;

/// Each record of a per-record base: (day, input line, amount), per (aggregation, salesperson).
pub(super) type Records = BTreeMap<(usize, usize), Vec<(Date, u64, Decimal)>>;

/// Each `per record` commission's base, resolved once: commission name → (base metric's name,
/// index of its aggregation in `specs`).
pub(super) type RecordBases<'a> = BTreeMap<&'a str, (&'a str, usize)>;

pub(super) fn record_bases<'a>(policy: &'a Policy, spec_at: &BTreeMap<(usize, usize), usize>) -> RecordBases<'a> {
    policy
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Commission(c) if c.per_record.is_some() => {
                let (metric, agg) = per_record::base(policy, c).ok()?;
                let spec = spec_at.get(&(agg.span.start, agg.span.end))?;
                Some((c.name.text.as_str(), (metric, *spec)))
            }
            _ => None,
        })
        .collect()
}

impl State<'_> {
    /// Whether the records of aggregation `spec` are kept, for a per-record commission.
    pub(super) fn keeps_records(&self, spec: usize) -> bool {
        self.kept.contains(&spec)
    }

    /// The commission `c` of a salesperson for the period of `slot`, record by record; `rules`
    /// are the period's (for the gates).
    pub(super) fn per_record(
        &self,
        rep: usize,
        slot: usize,
        c: &Commission,
        rules: &mut Rules,
    ) -> Result<Decimal, EvalError> {
        let fail = |message: &str| EvalError {
            message: message.into(),
            span: c.base.span,
        };
        if !rules.gates_hold(c)? {
            return Ok(Decimal::ZERO);
        }
        let mut total = Decimal::ZERO;
        // Only marginal tiers pay by the measure before a record.
        let before = c.mode == TierMode::Marginal;
        for record in self.record_pays(rep, slot, c, before)? {
            total = total
                .checked_add(record.paid)
                .ok_or_else(|| fail("arithmetic overflow"))?;
        }
        if total < Decimal::ZERO {
            // Returns outweigh sales: taken back only when the policy says so.
            return if c.claws_back() {
                rules.round(total, c.name.span)
            } else {
                Ok(Decimal::ZERO)
            };
        }
        rules.settle(c, total)
    }

    /// The commission's measure with its base metric taken as `base`, in the year to date of
    /// slot `ytd`; `None` when it is empty.
    fn measure(
        &self,
        rep: usize,
        ytd: usize,
        c: &Commission,
        name: &str,
        base: Decimal,
    ) -> Result<Option<Decimal>, EvalError> {
        let Some(by) = &c.by else {
            return Ok(Some(base));
        };
        let place = Place {
            state: self,
            rep,
            slot: ytd,
        };
        let mut rules = self.rules(rep, ytd).with_world(&place);
        rules.assume(name, Value::Num(base));
        match rules.value(by)? {
            None => Ok(None),
            Some(Value::Num(d)) => Ok(Some(d)),
            Some(other) => Err(EvalError {
                message: format!("expected a number, got {other}"),
                span: by.span,
            }),
        }
    }

    /// The slot of the year to date that ends with the month of `day`.
    fn year_to_date_of(&self, day: Date) -> Option<usize> {
        let month = self.cal.period_of(day, PeriodKind::Month);
        self.slots.iter().position(|y| y.year_to_date && y.period == month)
    }
}

/// One record of a `per record` commission's period and what it paid, for `explain`.
pub(super) struct RecordPay {
    pub day: Date,
    pub line: u64,
    pub amount: Decimal,
    /// The year's running base before and after the record, each with its measure (`None` when
    /// empty).
    pub before: (Decimal, Option<Decimal>),
    pub after: (Decimal, Option<Decimal>),
    /// Unrounded: gates, minimums, caps and rounding apply to the period's sum.
    pub paid: Decimal,
}

impl State<'_> {
    /// What each record of the period of `slot` pays under the `per record` commission `c`, in
    /// date order; their sum is what [`State::per_record`] settles. The measure before a record
    /// is computed when `measure_before` asks for it (marginal tiers pay by it; `explain` shows
    /// it in every mode), and reused from the record before within a month.
    pub(super) fn record_pays(
        &self,
        rep: usize,
        slot: usize,
        c: &Commission,
        measure_before: bool,
    ) -> Result<Vec<RecordPay>, EvalError> {
        let fail = |message: &str| EvalError {
            message: message.into(),
            span: c.base.span,
        };
        let &(name, spec) = self
            .record_bases
            .get(c.name.text.as_str())
            .ok_or_else(|| fail("internal error: the records of this base were not kept"))?;
        let s = self.slots[slot];
        let bands = bands(c);
        let mut cumulative = Decimal::ZERO;
        let mut last: Option<(usize, Decimal, Option<Decimal>)> = None;
        let mut out = Vec::new();
        for &(day, line, amount) in self.records.get(&(spec, rep)).into_iter().flatten() {
            if day > s.end {
                break;
            }
            let before = cumulative;
            cumulative = cumulative
                .checked_add(amount)
                .ok_or_else(|| fail("arithmetic overflow"))?;
            if day < s.start {
                continue;
            }
            let ytd = self
                .year_to_date_of(day)
                .ok_or_else(|| fail("internal error: no year to date"))?;
            let measured_before = match last {
                Some((at, x, m)) if at == ytd && x == before => m,
                _ if measure_before => self.measure(rep, ytd, c, name, before)?,
                _ => None,
            };
            let measured_after = self.measure(rep, ytd, c, name, cumulative)?;
            last = Some((ytd, cumulative, measured_after));
            let (before, after) = ((before, measured_before), (cumulative, measured_after));
            let paid =
                per_record::pay(c.mode, &bands, amount, before, after).map_err(|_| fail("arithmetic overflow"))?;
            out.push(RecordPay {
                day,
                line,
                amount,
                before,
                after,
                paid,
            });
        }
        Ok(out)
    }
}
