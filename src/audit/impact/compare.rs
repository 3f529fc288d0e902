//! The comparison, built as the runs' lines come: the old version's lines are kept by period
//! until the new version has given its lines of that period, then matched against them and
//! dropped, so the new version's lines are never all held (a year of 7,000 salespeople is
//! hundreds of thousands of them).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::{
    Amounts, Attribution, Cause, Change, Component, Impact, MOVERS, MeasureChange, Mover, PayoutChange, Row, Setting,
    Side, rank,
};
use crate::eval::calendar::{FiscalCalendar, Period};
use crate::money::Overflow;
use crate::run::PeriodLines;

/// Two runs' lines matched salesperson by salesperson and period by period.
///
/// Give it every line of the old version ([`Comparison::old_lines`]) before any of the new one
/// ([`Comparison::new_lines`]), each version's periods one after another as a run gives them, then
/// [`Comparison::finish`]. A salesperson's payouts in a period come in the order the new version
/// pays them, then those only the old one pays.
pub struct Comparison<'c> {
    attribution: Attribution<'c>,
    /// The new version's calendar, for the periods' labels.
    cal: FiscalCalendar,
    rows: Vec<Row>,
    /// The rows of each period still being matched, by salesperson id.
    index: FxHashMap<Period, FxHashMap<String, usize>>,
    /// The old version's lines not matched yet, by period.
    old: BTreeMap<Period, PeriodLines>,
    /// Periods the new version has given lines of, whose old lines are not matched yet.
    open: Vec<Period>,
    /// How large the amounts compared are, so that every total and difference `finish` makes
    /// is known to fit an exact decimal.
    size: Size,
}

/// The sum of every payout's size (both versions), and the largest score's size; `None` once the
/// sum no longer fits. A total of some payouts, or the difference of two such totals, is no
/// larger than the sum; a difference of two scores no larger than twice the largest.
#[derive(Clone, Copy)]
struct Size {
    payouts: Option<Decimal>,
    score: Decimal,
}

impl Size {
    fn fits(&self) -> bool {
        self.payouts.is_some() && self.score.checked_add(self.score).is_some()
    }
}

impl<'c> Comparison<'c> {
    /// `changes` is the semantic diff of the two versions, for attributing differences; `cal`
    /// is the new version's calendar.
    pub fn new(changes: &'c [Change], cal: FiscalCalendar) -> Self {
        Comparison {
            attribution: Attribution::new(changes),
            cal,
            rows: Vec::new(),
            index: FxHashMap::default(),
            old: BTreeMap::new(),
            open: Vec::new(),
            size: Size {
                payouts: Some(Decimal::ZERO),
                score: Decimal::ZERO,
            },
        }
    }

    /// Lines of the old version: kept until the new version's lines of their period come.
    pub fn old_lines(&mut self, lines: PeriodLines) {
        let PeriodLines {
            scores,
            payouts,
            measures,
            earlier: _,
        } = lines;
        for s in scores {
            self.old.entry(s.period).or_default().scores.push(s);
        }
        for p in payouts {
            self.old.entry(p.period).or_default().payouts.push(p);
        }
        for m in measures {
            self.old.entry(m.period).or_default().measures.push(m);
        }
    }

    /// Lines of the new version. A period the new version gave lines of before, and none of
    /// here, is over: its old lines are matched now.
    pub fn new_lines(&mut self, lines: PeriodLines) {
        let mut periods: Vec<Period> = Vec::new();
        let periods_of = (lines.scores.iter().map(|s| s.period))
            .chain(lines.payouts.iter().map(|p| p.period))
            .chain(lines.measures.iter().map(|m| m.period));
        for p in periods_of {
            if !periods.contains(&p) {
                periods.push(p);
            }
        }
        let over: Vec<Period> = self.open.iter().filter(|p| !periods.contains(p)).copied().collect();
        for p in over {
            self.close(p);
        }
        for p in periods {
            if !self.open.contains(&p) {
                self.open.push(p);
            }
        }
        self.apply(true, lines);
    }

    /// Matches the old lines of period `p`, whose new lines have all come.
    fn close(&mut self, p: Period) {
        self.open.retain(|o| *o != p);
        if let Some(lines) = self.old.remove(&p) {
            self.apply(false, lines);
        }
        self.index.remove(&p);
    }

    /// Puts one version's lines into their rows.
    fn apply(&mut self, is_new: bool, lines: PeriodLines) {
        for s in lines.scores {
            if let Some(score) = s.score {
                self.size.score = self.size.score.max(score.abs());
            }
            let r = self.row(&s.rep, s.period);
            *pick(is_new, &mut r.score.0, &mut r.score.1) = s.score;
            *pick(is_new, &mut r.grade.0, &mut r.grade.1) = s.grade;
        }
        for p in lines.payouts {
            self.size.payouts = self.size.payouts.and_then(|sum| sum.checked_add(p.amount.abs()));
            let r = self.row(&p.rep, p.period);
            let i = match (r.payouts.iter()).position(|x| x.component == p.component && x.name == p.name) {
                Some(i) => i,
                None => {
                    r.payouts.push(PayoutChange {
                        component: p.component.to_string(),
                        name: p.name,
                        amounts: Amounts::default(),
                        cause: None,
                    });
                    r.payouts.len() - 1
                }
            };
            let amounts = &mut r.payouts[i].amounts;
            let sum = pick(is_new, &mut amounts.old, &mut amounts.new);
            // No larger than the size of the payouts so far: when it overflows, so has `size`,
            // and `finish` refuses the comparison.
            *sum = sum.checked_add(p.amount).unwrap_or(*sum);
        }
        for m in lines.measures {
            let r = self.row(&m.rep, m.period);
            let i = match r.measures.iter().position(|x| x.measure == m.measure) {
                Some(i) => i,
                None => {
                    r.measures.push(MeasureChange {
                        measure: m.measure,
                        old: false,
                        new: false,
                        cause: None,
                    });
                    r.measures.len() - 1
                }
            };
            let line = &mut r.measures[i];
            *pick(is_new, &mut line.old, &mut line.new) = true;
        }
    }

    /// The row of a salesperson and period, made when it is the first line of them.
    fn row(&mut self, rep: &str, period: Period) -> &mut Row {
        let index = self.index.entry(period).or_default();
        let i = match index.get(rep) {
            Some(&i) => i,
            None => {
                self.rows.push(Row {
                    rep: rep.to_string(),
                    period,
                    label: self.cal.label(period),
                    score: (None, None),
                    grade: (None, None),
                    payouts: Vec::new(),
                    measures: Vec::new(),
                });
                index.insert(rep.to_string(), self.rows.len() - 1);
                self.rows.len() - 1
            }
        };
        &mut self.rows[i]
    }

    /// The comparison, once both versions have given every line; an overflow when their
    /// amounts are too large for the totals and differences to be exact.
    pub fn finish(mut self, old: &Side, new: &Side, setting: Setting) -> Result<Impact, Overflow> {
        for p in std::mem::take(&mut self.open) {
            self.close(p);
        }
        // Periods only the old version has.
        for (_, lines) in std::mem::take(&mut self.old) {
            self.apply(false, lines);
        }
        if !self.size.fits() {
            return Err(Overflow);
        }
        let Comparison { attribution, rows, .. } = self;
        let mut rows = by_salesperson_then_period(rows);
        // A cause depends on the line's name only: worked out once per name, not per line.
        let mut causes: BTreeMap<String, Cause> = BTreeMap::new();
        let mut cause = |name: &str| -> Cause {
            if let Some(c) = causes.get(name) {
                return c.clone();
            }
            let c = attribution.cause(name);
            causes.insert(name.to_string(), c.clone());
            c
        };
        for r in &mut rows {
            for p in r.payouts.iter_mut().filter(|p| p.changed()) {
                p.cause = Some(cause(&p.name));
            }
            for m in r.measures.iter_mut().filter(|m| m.changed()) {
                m.cause = Some(cause(&m.measure));
            }
        }

        // Totals per component and name: commissions, draws, bonuses, deductions, each by name.
        let mut components: Vec<Component> = Vec::new();
        let mut component_at: FxHashMap<(&str, &str), usize> = FxHashMap::default();
        for p in rows.iter().flat_map(|r| &r.payouts) {
            let i = *component_at.entry((&p.component, &p.name)).or_insert_with(|| {
                components.push(Component {
                    component: p.component.clone(),
                    name: p.name.clone(),
                    amounts: Amounts::default(),
                    cause: None,
                });
                components.len() - 1
            });
            let c = &mut components[i];
            c.amounts.add(p.amounts);
            if c.cause.is_none() {
                c.cause.clone_from(&p.cause);
            }
        }
        drop(component_at);
        components.sort_by(|a, b| {
            (rank(&a.component), &a.component, &a.name).cmp(&(rank(&b.component), &b.component, &b.name))
        });
        // A salesperson's rows are together, in id order.
        let mut movers: Vec<Mover> = rows
            .chunk_by(|a, b| a.rep == b.rep)
            .filter_map(|rows| {
                let amounts: Amounts = rows.iter().flat_map(|r| &r.payouts).map(|p| p.amounts).sum();
                let rep = &rows.first()?.rep;
                (!amounts.difference().is_zero()).then(|| Mover {
                    rep: rep.clone(),
                    amounts,
                })
            })
            .collect();
        // Largest difference first whatever its sign; ties by id (already in id order: stable sort).
        movers.sort_by_key(|m| std::cmp::Reverse(m.amounts.difference().abs()));
        movers.truncate(MOVERS);

        let scale = |unit: Decimal| crate::money::decimals(unit) as u32;
        Ok(Impact {
            setting,
            decimals: scale(old.rounding_unit).max(scale(new.rounding_unit)),
            rejected: (old.rejected, new.rejected),
            rows,
            components,
            movers,
        })
    }
}

/// The rows by salesperson id, then period. Ids are compared once each, not at every step of
/// the sort: a year of 7,000 salespeople is some 120,000 rows.
fn by_salesperson_then_period(rows: Vec<Row>) -> Vec<Row> {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.rep.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rank: FxHashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut keyed: Vec<(usize, Period, usize)> = (rows.iter().enumerate())
        .map(|(i, r)| (rank.get(r.rep.as_str()).copied().unwrap_or(usize::MAX), r.period, i))
        .collect();
    drop(rank);
    // Each salesperson has one row per period: no two keys are equal.
    keyed.sort_unstable();
    let mut rows: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    keyed.iter().filter_map(|&(_, _, i)| rows[i].take()).collect()
}

/// The old or the new one of a pair, as `is_new` says.
fn pick<'a, T>(is_new: bool, old: &'a mut T, new: &'a mut T) -> &'a mut T {
    if is_new { new } else { old }
}
