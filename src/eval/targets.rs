//! The target sheet: every salesperson's target for every month of a fiscal year, with how it
//! was derived — the target in force, the month's phase share, each split, the allocation
//! weight, the proration — exact to the rounding unit, with totals that reconcile.
//!
//! Each division goes through `allocate` (largest remainder), so at every level the parts add
//! up to the whole. Parts are listed in a stable order (by key: the split value, the roster id),
//! which also breaks ties between equal remainders. What proration or an empty group leaves
//! unassigned is reported, never silently dropped.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::allocate::allocate;
use super::calendar::{FiscalCalendar, Period};
use crate::check::Model;
use crate::money;
use crate::syntax::ast::*;

/// A salesperson as the target sheet needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    pub id: String,
    /// Roster field → value (region, channel, level…).
    pub attrs: BTreeMap<String, String>,
    /// Roster field → amount, for the money, number and percent fields (a quota).
    pub amounts: BTreeMap<String, Decimal>,
    pub hired: Option<Date>,
    pub left: Option<Date>,
}

/// A name in a derivation: shared by every salesperson's copy of the steps above them (a
/// year of 7,000 salespeople is some 84,000 derivations of half a dozen steps).
pub type Name = std::sync::Arc<str>;

/// One step of a target's derivation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The yearly target in force for the month, and the revision it comes from.
    InForce {
        target: Name,
        amount: Decimal,
        revised: Option<(Date, Name)>,
    },
    Phase {
        share: Decimal,
        amount: Decimal,
    },
    Split {
        by: Name,
        value: Name,
        share: Decimal,
        amount: Decimal,
    },
    Allocate {
        by: Name,
        value: Name,
        weight: Decimal,
        total_weight: Decimal,
        amount: Decimal,
    },
    Prorate {
        days: i32,
        of_days: i32,
        amount: Decimal,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetLine {
    pub rep: String,
    pub month: Period,
    pub amount: Decimal,
    pub steps: Vec<Step>,
}

/// Target that no salesperson carries, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unassigned {
    pub month: Period,
    pub amount: Decimal,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TargetSheet {
    /// By salesperson, then month.
    pub lines: Vec<TargetLine>,
    pub unassigned: Vec<Unassigned>,
    /// The company target of each month; lines plus unassigned add up to it.
    pub months: Vec<(Period, Decimal)>,
}

impl TargetSheet {
    /// A salesperson's target for a period: the sum of their months in it.
    pub fn target(&self, cal: &FiscalCalendar, rep: &str, period: Period) -> Decimal {
        self.target_between(cal, rep, cal.start(period), cal.end(period))
    }

    /// A salesperson's target for the months that start between `start` and `end` (inclusive).
    pub fn target_between(&self, cal: &FiscalCalendar, rep: &str, start: Date, end: Date) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.rep == rep && cal.start(l.month) >= start && cal.start(l.month) <= end)
            .map(|l| l.amount)
            .sum()
    }
}

/// A target's derivation in words: `company 1200000 × phase 10% × region east 60% × …`.
pub fn describe(steps: &[Step]) -> String {
    let pct = |d: Decimal| format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(4).normalize());
    steps
        .iter()
        .map(|s| match s {
            Step::InForce {
                target,
                amount,
                revised: None,
            } => format!("{target} {}", amount.normalize()),
            Step::InForce {
                target,
                amount,
                revised: Some((date, why)),
            } => {
                format!("{target} {} (revised {date}: {why})", amount.normalize())
            }
            Step::Phase { share, .. } => format!("phase {}", pct(*share)),
            Step::Split { by, value, share, .. } => format!("{by} {value} {}", pct(*share)),
            Step::Allocate {
                by,
                value,
                weight,
                total_weight,
                ..
            } => {
                format!(
                    "{by} {value} weight {} of {}",
                    weight.normalize(),
                    total_weight.normalize()
                )
            }
            Step::Prorate { days, of_days, .. } => format!("{days}/{of_days} days employed"),
        })
        .collect::<Vec<_>>()
        .join(" × ")
}

/// Why no sheet could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetError(pub String);

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds the sheet for `fiscal_year` from the policy's first target and the roster, each
/// line with its derivation.
pub fn target_sheet(
    policy: &Policy,
    model: &Model,
    roster: &[RosterEntry],
    fiscal_year: i16,
) -> Result<TargetSheet, TargetError> {
    build(policy, model, roster, fiscal_year, true)
}

/// The sheet of [`target_sheet`] without the lines' derivations: all a run needs. With a large
/// roster the derivations are most of the sheet's memory (five or so steps for every
/// salesperson and month).
pub fn target_amounts(
    policy: &Policy,
    model: &Model,
    roster: &[RosterEntry],
    fiscal_year: i16,
) -> Result<TargetSheet, TargetError> {
    build(policy, model, roster, fiscal_year, false)
}

fn build(
    policy: &Policy,
    model: &Model,
    roster: &[RosterEntry],
    fiscal_year: i16,
    derivations: bool,
) -> Result<TargetSheet, TargetError> {
    let items = || policy.items.iter().map(|i| &i.kind);
    let Some(target) = items().find_map(|k| match k {
        ItemKind::Target(t) => Some(t),
        _ => None,
    }) else {
        // Quotas may come from the roster instead (`reps.monthly_quota`): nothing to divide.
        return Ok(TargetSheet {
            lines: Vec::new(),
            unassigned: Vec::new(),
            months: Vec::new(),
        });
    };
    let splits: Vec<&Split> = items()
        .filter_map(|k| match k {
            ItemKind::Split(s) => Some(s),
            _ => None,
        })
        .collect();
    let allocation = items().find_map(|k| match k {
        ItemKind::Allocate(a) => Some(a),
        _ => None,
    });
    let phase = items().find_map(|k| match k {
        ItemKind::Phase(p) if p.target.text == target.name.text => Some(p),
        _ => None,
    });
    let prorate = items().any(|k| matches!(k, ItemKind::Prorate(Prorate::DaysEmployed)));
    let cal = FiscalCalendar::new(model.calendar.fiscal_start.0);
    let unit = model.header.rounding_unit;
    let fail = |e| TargetError(format!("cannot divide the target exactly: {e:?}"));

    // The split chain from the target down, in the order written.
    let mut chain: Vec<&Split> = Vec::new();
    let mut level = target.name.text.clone();
    while let Some(s) = splits.iter().find(|s| s.parent.text == level) {
        chain.push(s);
        level = s.by.text.clone();
    }

    let months: Vec<Period> = cal.within(
        Period {
            fiscal_year,
            kind: PeriodKind::Year,
            index: 1,
        },
        PeriodKind::Month,
    );
    let shares = month_shares(phase, &cal, fiscal_year);
    // One month's part of the sheet.
    let month_sheet = |month: Period| -> Result<TargetSheet, TargetError> {
        let mut sheet = TargetSheet::default();
        let start = cal.start(month);
        let (yearly, revised) = in_force(target, start);
        let parts = allocate(yearly, &shares, unit).map_err(fail)?;
        let month_amount = parts[usize::from(month.index) - 1];
        sheet.months.push((month, month_amount));
        let total: Decimal = shares.iter().sum();
        let share = shares[usize::from(month.index) - 1]
            .checked_div(total)
            .unwrap_or(Decimal::ZERO);
        let base_steps = vec![
            Step::InForce {
                target: target.name.text.as_str().into(),
                amount: yearly,
                revised,
            },
            Step::Phase {
                share,
                amount: month_amount,
            },
        ];
        let employed: Vec<&RosterEntry> = roster
            .iter()
            .filter(|r| cal.days_employed(month, r.hired, r.left) > 0)
            .collect();
        divide(
            &mut sheet,
            &cal,
            month,
            month_amount,
            base_steps,
            &chain,
            allocation,
            &employed,
            unit,
            prorate,
            model,
            derivations,
        )?;
        Ok(sheet)
    };
    // Months are independent: a large roster's are divided on several threads, each taking a
    // run of months, and put together in month order (the first failing month's error wins).
    let threads = if roster.len() < 1000 { 1 } else { super::threads() };
    let runs: Vec<&[Period]> = months.chunks(months.len().div_ceil(threads).max(1)).collect();
    let parts = super::on_threads(runs, |run| run.iter().map(|&m| month_sheet(m)).collect::<Vec<_>>());
    let mut sheet = TargetSheet::default();
    for part in parts.into_iter().flatten() {
        let part = part?;
        sheet.months.extend(part.months);
        sheet.lines.extend(part.lines);
        sheet.unassigned.extend(part.unassigned);
    }
    sheet.lines.sort_by(|a, b| (&a.rep, a.month).cmp(&(&b.rep, b.month)));
    Ok(sheet)
}

/// The yearly amount in force on `day`: the last revision dated on or before it.
fn in_force(target: &Target, day: Date) -> (Decimal, Option<(Date, Name)>) {
    target
        .revisions
        .iter()
        .rev()
        .find(|r| r.date.value <= day)
        .map_or((target.amount.value, None), |r| {
            (r.amount.value, Some((r.date.value, r.reason.value.as_str().into())))
        })
}

/// The weight of each fiscal month in the year, in fiscal order: its phase share, or its
/// quarter's share (the months of a quarter weigh the same), or one twelfth when not phased.
fn month_shares(phase: Option<&Phase>, cal: &FiscalCalendar, fiscal_year: i16) -> Vec<Decimal> {
    let Some(phase) = phase else {
        return vec![Decimal::ONE; 12];
    };
    let year = Period {
        fiscal_year,
        kind: PeriodKind::Year,
        index: 1,
    };
    cal.within(year, PeriodKind::Month)
        .into_iter()
        .map(|m| {
            let calendar_month = cal.start(m).month() as u8;
            phase
                .shares
                .iter()
                .find_map(|s| match s.slot {
                    PhaseSlot::Month(pm) if pm.0 == calendar_month => Some(s.share.value),
                    PhaseSlot::Quarter(q) if q == cal.period_of(cal.start(m), PeriodKind::Quarter).index => {
                        Some(s.share.value)
                    }
                    _ => None,
                })
                .unwrap_or(Decimal::ZERO)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn divide(
    sheet: &mut TargetSheet,
    cal: &FiscalCalendar,
    month: Period,
    amount: Decimal,
    steps: Vec<Step>,
    chain: &[&Split],
    allocation: Option<&Allocate>,
    people: &[&RosterEntry],
    unit: Decimal,
    prorate: bool,
    model: &Model,
    derivations: bool,
) -> Result<(), TargetError> {
    let fail = |e| TargetError(format!("cannot divide the target exactly: {e:?}"));
    if let Some((split, rest)) = chain.split_first() {
        let mut entries: Vec<&Entry> = split.shares.iter().collect();
        entries.sort_by(|a, b| a.key.text.cmp(&b.key.text));
        let shares: Vec<Decimal> = entries.iter().map(|e| e.amount.value).collect();
        let parts = allocate(amount, &shares, unit).map_err(fail)?;
        let by: Name = split.by.text.as_str().into();
        for (entry, part) in entries.iter().zip(parts) {
            let mut steps = steps.clone();
            steps.push(Step::Split {
                by: by.clone(),
                value: entry.key.text.as_str().into(),
                share: entry.amount.value,
                amount: part,
            });
            let members: Vec<&RosterEntry> = people
                .iter()
                .copied()
                .filter(|r| r.attrs.get(&split.by.text) == Some(&entry.key.text))
                .collect();
            divide(
                sheet,
                cal,
                month,
                part,
                steps,
                rest,
                allocation,
                &members,
                unit,
                prorate,
                model,
                derivations,
            )?;
        }
        return Ok(());
    }
    let mut members: Vec<&RosterEntry> = people.to_vec();
    members.sort_by(|a, b| a.id.cmp(&b.id));
    if members.is_empty() {
        if !amount.is_zero() {
            let place: Vec<String> = steps
                .iter()
                .filter_map(|s| match s {
                    Step::Split { by, value, .. } => Some(format!("{by} {value}")),
                    _ => None,
                })
                .collect();
            let place = if place.is_empty() {
                "the company".to_string()
            } else {
                place.join(", ")
            };
            sheet.unassigned.push(Unassigned {
                month,
                amount,
                reason: format!("no salesperson in {place}"),
            });
        }
        return Ok(());
    }
    let (by, weights): (String, Vec<Decimal>) = match allocation {
        Some(a) => {
            let mut weights = Vec::with_capacity(members.len());
            for r in &members {
                let value = r.attrs.get(&a.by.text).cloned().unwrap_or_default();
                let weight = a
                    .weights
                    .iter()
                    .find(|w| w.key.text == value)
                    .map(|w| w.amount.value)
                    .ok_or_else(|| {
                        TargetError(format!(
                            "salesperson `{}` has {} `{value}`, which the allocation by {} does not weigh",
                            r.id, a.by.text, a.by.text
                        ))
                    })?;
                weights.push(weight);
            }
            (a.by.text.clone(), weights)
        }
        None => ("salesperson".to_string(), vec![Decimal::ONE; members.len()]),
    };
    let total_weight = (weights.iter())
        .try_fold(Decimal::ZERO, |sum, w| sum.checked_add(*w))
        .ok_or_else(|| {
            TargetError(format!(
                "the weights of the allocation by {by} add up to more than an exact number holds"
            ))
        })?;
    let parts = allocate(amount, &weights, unit).map_err(fail)?;
    let by_name: Name = by.as_str().into();
    // The derivation down to the group is kept for the unassigned amounts' reasons; each
    // salesperson's own copy only when asked for.
    for ((r, weight), part) in members.iter().zip(&weights).zip(parts) {
        let mut steps = if derivations { steps.clone() } else { Vec::new() };
        if derivations {
            let value = if by == "salesperson" {
                r.id.clone()
            } else {
                r.attrs.get(&by).cloned().unwrap_or_default()
            };
            steps.push(Step::Allocate {
                by: by_name.clone(),
                value: value.into(),
                weight: *weight,
                total_weight,
                amount: part,
            });
        }
        let mut final_amount = part;
        let (days, of_days) = (cal.days_employed(month, r.hired, r.left), cal.days(month));
        if prorate && days < of_days {
            let scaled = money::mul(part, Decimal::from(days))
                .ok()
                .and_then(|x| x.checked_div(Decimal::from(of_days)))
                .ok_or_else(|| TargetError("a target is too large to prorate".into()))?;
            final_amount = money::round(scaled, model.header.rounding, unit).map_err(|e| TargetError(e.to_string()))?;
            if derivations {
                steps.push(Step::Prorate {
                    days,
                    of_days,
                    amount: final_amount,
                });
            }
            if part != final_amount {
                sheet.unassigned.push(Unassigned {
                    month,
                    amount: part - final_amount,
                    reason: format!("proration of `{}` ({days} of {of_days} days employed)", r.id),
                });
            }
        }
        sheet.lines.push(TargetLine {
            rep: r.id.clone(),
            month,
            amount: final_amount,
            steps,
        });
    }
    Ok(())
}
