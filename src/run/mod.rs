//! The payroll run: every source streamed once, each row filtered and added into the
//! accumulators of its salesperson and of each period it falls in; then, once per salesperson
//! and period, the rules: metrics, score, grade, commission, bonus, promotion, discipline.
//!
//! This is the plain evaluator: rows are interpreted against the policy's expressions. Every
//! input row is either used or rejected with its reason, and the control totals say so.
//!
//! Here: what a run is given and gives, its state (what was read, per salesperson and period)
//! and the world the rules see through it. `evaluate` runs the rules; `together` runs several
//! policies over one reading of the records.

pub mod aggregate;
pub mod cells;
mod commission;
mod evaluate;
mod explain;
mod fast;
mod limits;
mod lines;
pub mod manifest;
pub mod paid;
pub mod reasons;
mod records;
mod reference;
mod returns;
pub mod table_out;
mod together;
pub mod write;

pub use explain::explain;
pub use lines::{LineSink, MeasureLine, PayoutLine, PeriodLines, ScoreLine, beside};
pub use together::{RunsError, Together, run_together, run_together_into};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::check::Model;
use crate::eval::calendar::{FiscalCalendar, Period, months_between, year_month};
use crate::eval::rules::{EvalError, Names, Rules, Value, World};
use crate::eval::targets::{RosterEntry, TargetSheet};
use crate::input::config::SourceBinding;
use crate::input::reader::{InputError, Rejection, SourceSummary};
use crate::plan::MonthTable;
use crate::plan::keys::IdIndex;
use crate::syntax::ast::*;
use aggregate::{Acc, Spec};
use evaluate::evaluate;

/// Rows and amounts of one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTotals {
    pub summary: SourceSummary,
    pub rows_used: u64,
    /// Rows dated after the run's period: not rejected, left to a later run.
    pub rows_later: u64,
    /// Sum of the amount field over rows whose amount could be read.
    pub amount_read: Decimal,
    pub amount_credited: Decimal,
    pub amount_rejected: Decimal,
    pub amount_later: Decimal,
}

impl SourceTotals {
    /// Rows rejected: by the reader or by the run.
    pub fn rows_rejected(&self) -> u64 {
        self.summary.rows_read - self.rows_used - self.rows_later
    }

    /// Amount read = credited + rejected + left to later periods, or why not.
    pub fn reconcile(&self) -> Result<(), String> {
        let parts =
            (self.amount_credited.checked_add(self.amount_rejected)).and_then(|s| s.checked_add(self.amount_later));
        if parts == Some(self.amount_read) {
            Ok(())
        } else {
            Err(format!(
                "`{}`: amount read {} ≠ credited {} + rejected {} + after the period {}",
                self.summary.source, self.amount_read, self.amount_credited, self.amount_rejected, self.amount_later
            ))
        }
    }
}

/// Everything a run produces.
#[derive(Clone, Debug, Default)]
pub struct RunOutput {
    pub metric_names: Vec<String>,
    pub scores: Vec<ScoreLine>,
    pub payouts: Vec<PayoutLine>,
    /// The payout lines of the periods before the run's own, computed for the balances and not
    /// written: what `--paid` compares with what was paid for them.
    pub earlier: Vec<PayoutLine>,
    pub measures: Vec<MeasureLine>,
    pub rejects: Vec<Rejection>,
    pub sources: Vec<SourceTotals>,
}

#[derive(Debug)]
pub enum RunError {
    Input(InputError),
    Eval {
        rep: String,
        period: String,
        error: EvalError,
    },
    Totals(String),
    /// The lines could not be passed on: the outputs could not be written.
    Output(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Input(e) => write!(f, "{e}"),
            RunError::Eval { rep, period, error } => {
                write!(f, "salesperson `{rep}`, period {period}: {}", error.message)
            }
            RunError::Totals(msg) => write!(f, "control totals do not reconcile: {msg}"),
            RunError::Output(msg) => write!(f, "{msg}"),
        }
    }
}

/// The inputs of a run, already bound and read.
pub struct Run<'a> {
    pub policy: &'a Policy,
    pub model: &'a Model,
    pub bindings: &'a [SourceBinding],
    pub roster: &'a [RosterEntry],
    pub sheet: &'a TargetSheet,
    pub period: Period,
    pub engine: Engine,
    /// Advanced as the sources are read; hidden unless the caller shows it.
    pub progress: crate::progress::Progress,
    /// Whether score lines carry each metric's value (`scores.csv` does; a money impact, which
    /// compares scores, grades, payouts and measures, does without them).
    pub metric_values: bool,
}

/// Which evaluator reads the records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// The compiled plan, in parallel; sources it cannot read go to the reference evaluator.
    #[default]
    Fast,
    /// The plain interpreter, one row at a time: the yardstick the fast evaluator is tested
    /// against, and what `explain` uses to list the rows behind a number.
    Reference,
}

/// What the rules of one salesperson in one period see of the run.
struct Place<'r, 'a> {
    state: &'r State<'a>,
    rep: usize,
    slot: usize,
}

/// A span of days results are computed for: a period, or a year to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The period; for a year to date, the month it runs to.
    pub period: Period,
    pub start: jiff::civil::Date,
    pub end: jiff::civil::Date,
    pub year_to_date: bool,
}

struct State<'a> {
    run: &'a Run<'a>,
    cal: FiscalCalendar,
    /// What results are computed for: the periods from the start of the fiscal year to the end
    /// of the run's period, shortest first, then the years to date.
    slots: Vec<Slot>,
    specs: Vec<Spec<'a>>,
    /// Each aggregation by where it is written, as the rules ask for it.
    spec_at: BTreeMap<(usize, usize), usize>,
    /// The first and last day records are read for: the fiscal year to the end of the period.
    window: (jiff::civil::Date, jiff::civil::Date),
    /// The reference evaluator's accumulators: (spec, rep, slot) → accumulator.
    reference: BTreeMap<(usize, usize, usize), Acc>,
    /// The fast evaluator's tables, and where each aggregation is in them: spec → (table, index).
    tables: Vec<MonthTable>,
    in_table: FxHashMap<usize, (usize, usize)>,
    /// The last day with a record, for projections.
    last_day: Option<jiff::civil::Date>,
    /// (spec, rep, slot) → how many rows were added, and the lines of the first few (reference
    /// evaluator only: `explain` shows them).
    evidence: BTreeMap<(usize, usize, usize), (u64, Vec<u64>)>,
    /// The names the rules look up, numbered: the policy's and the roster fields.
    names: Names,
    /// Each salesperson's roster fields as the rules see them (`reps.region`, `reps.quota`),
    /// numbered by `names`.
    given: Vec<Vec<(usize, Value)>>,
    /// Each salesperson's target in each slot (`rep * slots + slot`): the sum of their months
    /// in it, worked out once rather than for every rules made.
    targets: Vec<Decimal>,
    /// Sums over groups already computed: (expression's span, grouping, group, slot) → sum.
    across: Mutex<FxHashMap<AcrossKey, Decimal>>,
    /// The aggregations whose records `per record` commissions pay, and those records (in date
    /// order once read).
    record_bases: records::RecordBases<'a>,
    records: records::Records,
    /// The groupings of the roster by each field a roll-up is taken `by`, in the order first
    /// asked for (a roll-up's key holds the index).
    groups: Mutex<Vec<(String, Arc<Grouping>)>>,
    /// The aggregations whose records are kept: the per-record bases of every policy read.
    kept: BTreeSet<usize>,
    /// The commissions that take returns back at the original rate, and the returns of their
    /// bases (once read).
    links: returns::Links<'a>,
    returns: returns::Returns,
    /// The aggregations whose returns are kept, with the field giving the date of the sale:
    /// the linked bases of every policy read.
    linking: BTreeMap<usize, String>,
}

/// Salespeople by their value of one roster field (none when they have no such field).
/// The roster grouped by one field: each salesperson's group, and each group's members in
/// roster order (those without the field form a group of their own).
struct Grouping {
    group_of: Vec<usize>,
    members: Vec<Vec<usize>>,
}

/// (expression's start, end, grouping, group, slot): no allocation to look a sum up.
type AcrossKey = (usize, usize, usize, usize, usize);

/// How many input lines `explain` lists for each aggregation.
const EVIDENCE_LINES: usize = 5;

impl State<'_> {
    fn rules(&self, rep: usize, slot: usize) -> Rules<'_> {
        let target = self.targets[rep * self.slots.len() + slot];
        Rules::borrowing(
            self.run.policy,
            self.run.model,
            &self.names,
            &self.given[rep],
            Some(target),
        )
    }

    /// The value of aggregation `spec` for a salesperson and slot, from whichever evaluator
    /// read its source.
    /// An overflow adding up the months of the period is an error, as it is for the
    /// reference evaluator while reading.
    fn aggregate(&self, spec: usize, rep: usize, slot: usize) -> Result<Option<Value>, EvalError> {
        if let Some(&(table, index)) = self.in_table.get(&spec) {
            let s = &self.slots[slot];
            let from = year_month(self.window.0);
            let first = months_between(from, year_month(s.start)) as usize;
            let last = months_between(from, year_month(s.end)) as usize;
            return self.tables[table]
                .value(index, rep, first..last + 1)
                .map_err(|_| EvalError {
                    message: "arithmetic overflow adding up the records".into(),
                    span: self.specs[spec].span,
                });
        }
        Ok(match self.reference.get(&(spec, rep, slot)) {
            Some(acc) => acc.value(),
            None => Acc::new(self.specs[spec].func).value(),
        })
    }
}

impl World for Place<'_, '_> {
    fn aggregate(&self, span: Span) -> Result<Option<Value>, EvalError> {
        let Some(&spec) = self.state.spec_at.get(&(span.start, span.end)) else {
            return Err(EvalError {
                message: "internal error: this aggregation was not planned for the run".into(),
                span,
            });
        };
        self.state.aggregate(spec, self.rep, self.slot)
    }

    fn across(&self, expr: &Expr, by: &str) -> Result<Decimal, EvalError> {
        // Everyone in the group asks for the same sum: computed once per group and slot, so a
        // roll-up costs one pass over the roster, not one per salesperson.
        let (grouping, groups) = self.state.grouping(by);
        let group = groups.group_of[self.rep];
        let key = (expr.span.start, expr.span.end, grouping, group, self.slot);
        if let Some(&total) = locked(&self.state.across).get(&key) {
            return Ok(total);
        }
        let mut total = Decimal::ZERO;
        for &i in &groups.members[group] {
            if self.state.employed(i, self.slot) {
                let place = Place {
                    state: self.state,
                    rep: i,
                    slot: self.slot,
                };
                let mut rules = self.state.rules(i, self.slot).with_world(&place);
                match rules.value(expr)? {
                    // An empty value is left out, as an empty cell is from a `sum of`.
                    None => {}
                    Some(Value::Num(d)) => {
                        total = crate::money::add(total, d).map_err(|_| EvalError {
                            message: "arithmetic overflow".into(),
                            span: expr.span,
                        })?;
                    }
                    Some(other) => {
                        return Err(EvalError {
                            message: format!("cannot add up {other}"),
                            span: expr.span,
                        });
                    }
                }
            }
        }
        locked(&self.state.across).insert(key, total);
        Ok(total)
    }

    fn count_periods(&self, per: PeriodKind, cond: &Expr) -> Result<u32, EvalError> {
        let outer = self.state.slots[self.slot].period;
        let mut n = 0;
        for sub in self.state.cal.within(outer, per) {
            let Some(slot) = self.state.slots.iter().position(|s| s.period == sub && !s.year_to_date) else {
                continue;
            };
            let place = Place {
                state: self.state,
                rep: self.rep,
                slot,
            };
            let mut rules = self.state.rules(self.rep, slot).with_world(&place);
            if rules.holds(cond)? {
                n += 1;
            }
        }
        Ok(n)
    }

    fn projection(&self) -> Decimal {
        let slot = self.state.slots[self.slot];
        let (p, start, end) = (slot.period, slot.start, slot.end);
        match self.state.last_day {
            Some(last) if last >= start && last < end => {
                let elapsed = Decimal::from(self.state.cal.days_employed(p, None, Some(last)));
                Decimal::from(self.state.cal.days(p))
                    .checked_div(elapsed)
                    .unwrap_or(Decimal::ONE)
            }
            _ => Decimal::ONE,
        }
    }
}

/// A cache of the state, locked: a thread that panicked holding it left nothing half-written
/// (every insertion is one call), so a poisoned lock is used as it is.
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State<'_> {
    /// The roster grouped by field `by`, and its index among the groupings.
    fn grouping(&self, by: &str) -> (usize, Arc<Grouping>) {
        {
            let groups = locked(&self.groups);
            if let Some(i) = groups.iter().position(|(field, _)| field == by) {
                return (i, Arc::clone(&groups[i].1));
            }
        }
        let mut index: BTreeMap<Option<&String>, usize> = BTreeMap::new();
        let mut grouping = Grouping {
            group_of: Vec::with_capacity(self.run.roster.len()),
            members: Vec::new(),
        };
        for (i, r) in self.run.roster.iter().enumerate() {
            let next = index.len();
            let group = *index.entry(r.attrs.get(by)).or_insert(next);
            if group == grouping.members.len() {
                grouping.members.push(Vec::new());
            }
            grouping.members[group].push(i);
            grouping.group_of.push(group);
        }
        let grouping = Arc::new(grouping);
        let mut groups = locked(&self.groups);
        // Another thread may have made the same grouping meanwhile: keep the first.
        if let Some(i) = groups.iter().position(|(field, _)| field == by) {
            return (i, Arc::clone(&groups[i].1));
        }
        groups.push((by.to_string(), Arc::clone(&grouping)));
        (groups.len() - 1, grouping)
    }

    fn employed(&self, rep: usize, slot: usize) -> bool {
        let r = &self.run.roster[rep];
        let s = &self.slots[slot];
        r.hired.is_none_or(|h| h <= s.end) && r.left.is_none_or(|l| l >= s.start)
    }
}

/// What a run computes: every assessment and review period from the start of the fiscal year
/// to the end of `period` (earlier months count for yearly caps and years to date), shortest
/// first, then a year to date for each month when `year_to_date` is asked for.
pub fn slots(model: &Model, cal: &FiscalCalendar, period: Period, year_to_date: bool) -> Vec<Slot> {
    let year = Period {
        fiscal_year: period.fiscal_year,
        kind: PeriodKind::Year,
        index: 1,
    };
    let end = cal.end(period);
    let mut out = Vec::new();
    for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
        if model.calendar.has(kind) {
            for p in cal.within(year, kind) {
                if cal.end(p) <= end {
                    out.push(Slot {
                        period: p,
                        start: cal.start(p),
                        end: cal.end(p),
                        year_to_date: false,
                    });
                }
            }
        }
    }
    if year_to_date {
        for m in cal
            .within(year, PeriodKind::Month)
            .into_iter()
            .filter(|m| cal.end(*m) <= end)
        {
            out.push(Slot {
                period: m,
                start: cal.start(year),
                end: cal.end(m),
                year_to_date: true,
            });
        }
    }
    out
}

/// Streams every source into the accumulators: the fast evaluator where it can read the
/// source, the reference evaluator otherwise or when asked for.
fn read_all<'a>(run: &'a Run<'a>) -> Result<(State<'a>, RunOutput), RunError> {
    let mut specs = Vec::new();
    let spec_at = aggregate::share(&mut specs, aggregate::specs(run.policy));
    let mut state = new_state(run, specs, spec_at);
    state.kept = state.record_bases.values().map(|&(_, spec)| spec).collect();
    state.linking = linking(&state);
    let out = read_sources(&mut state)?;
    Ok((state, out))
}

/// The state of `run` before reading: `specs` are the aggregations to read (its policy's, and
/// those of policies read at the same time), `spec_at` where its policy's are among them.
fn new_state<'a>(run: &'a Run<'a>, specs: Vec<Spec<'a>>, spec_at: BTreeMap<(usize, usize), usize>) -> State<'a> {
    let cal = FiscalCalendar::new(run.model.calendar.fiscal_start.0);
    let year = Period {
        fiscal_year: run.period.fiscal_year,
        kind: PeriodKind::Year,
        index: 1,
    };
    let (names, given) = roster_values(run);
    let slots = run_slots(run, &cal);
    State {
        run,
        cal,
        targets: slot_targets(run, &cal, &slots),
        slots,
        record_bases: records::record_bases(run.policy, &spec_at),
        links: returns::links(run.policy, &spec_at),
        spec_at,
        specs,
        window: (cal.start(year), cal.end(run.period)),
        reference: BTreeMap::new(),
        tables: Vec::new(),
        in_table: FxHashMap::default(),
        last_day: None,
        evidence: BTreeMap::new(),
        names,
        given,
        across: Mutex::new(FxHashMap::default()),
        groups: Mutex::new(Vec::new()),
        records: BTreeMap::new(),
        kept: BTreeSet::new(),
        returns: BTreeMap::new(),
        linking: BTreeMap::new(),
    }
}

/// The aggregations whose returns `state`'s policy links to their sales, with the field that
/// gives the date of the sale.
fn linking(state: &State) -> BTreeMap<usize, String> {
    state
        .links
        .values()
        .map(|&(_, spec, field)| (spec, field.to_string()))
        .collect()
}

/// The slots of a run: years to date too when a commission trues up or pays per record.
fn run_slots(run: &Run, cal: &FiscalCalendar) -> Vec<Slot> {
    let year_to_date = run
        .policy
        .items
        .iter()
        .any(|i| matches!(&i.kind, ItemKind::Commission(c) if c.year_to_date.is_some() || c.per_record.is_some()));
    slots(run.model, cal, run.period, year_to_date)
}

/// Reads every source of `state.run` once into `state`'s accumulators, for all of
/// `state.specs`.
fn read_sources(state: &mut State) -> Result<RunOutput, RunError> {
    let run = state.run;
    let mut out = RunOutput::default();
    let reps: BTreeMap<&str, usize> = run.roster.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let index = IdIndex::new(run.roster.iter().map(|r| r.id.as_str()));
    for binding in run.bindings.iter().filter(|b| !b.is_roster) {
        let (done, size) = (run.progress.position(), file_size(binding));
        run.progress.source(&binding.name);
        // The fast evaluator adds records up; a per-record base needs each of them.
        let keeps_records = state
            .kept
            .iter()
            .chain(state.linking.keys())
            .any(|&i| state.specs[i].source == binding.name);
        let fast = run.engine == Engine::Fast && !keeps_records && fast::read_source(state, binding, &index, &mut out)?;
        if !fast {
            reference::read_source(state, binding, &reps, &mut out)?;
        }
        // However the source was read (the fast reader may read part of it twice), it is done.
        run.progress.set(done + size);
    }
    // In date order, file order within a day (the sort is stable).
    for records in state.records.values_mut() {
        records.sort_by_key(|(day, line, _)| (*day, *line));
    }
    Ok(out)
}

/// The size of a source's file, for the progress bar (0 when it cannot be known).
pub fn file_size(binding: &SourceBinding) -> u64 {
    std::fs::metadata(&binding.path).map_or(0, |m| m.len())
}

/// The names of the run's rules, and each salesperson's roster fields numbered by them, named
/// as the policy names them: `reps.region`.
fn roster_values(run: &Run) -> (Names, Vec<Vec<(usize, Value)>>) {
    let roster = run.model.roster.as_deref().unwrap_or("");
    let named: Vec<Vec<(String, Value)>> = run
        .roster
        .iter()
        .map(|r| {
            let text = r
                .attrs
                .iter()
                .map(|(k, v)| (format!("{roster}.{k}"), Value::Text(v.clone())));
            let amounts = r.amounts.iter().map(|(k, d)| (format!("{roster}.{k}"), Value::Num(*d)));
            text.chain(amounts).collect()
        })
        .collect();
    let fields = named.iter().flatten().map(|(k, _)| k.as_str());
    let names = Names::of(run.policy, run.model, fields);
    let given = (named.iter())
        .map(|fields| names.number(fields.iter().map(|(k, v)| (k.as_str(), v.clone()))))
        .collect();
    (names, given)
}

/// Each salesperson's target in each slot, from the target sheet (see `State::targets`).
fn slot_targets(run: &Run, cal: &FiscalCalendar, slots: &[Slot]) -> Vec<Decimal> {
    let index: BTreeMap<&str, usize> = run.roster.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let mut months = vec![Vec::new(); run.roster.len()];
    for line in &run.sheet.lines {
        if let Some(&i) = index.get(line.rep.as_str()) {
            months[i].push((cal.start(line.month), line.amount));
        }
    }
    (months.iter())
        .flat_map(|months| {
            slots.iter().map(move |s| {
                (months.iter())
                    .filter(|(month, _)| *month >= s.start && *month <= s.end)
                    .map(|(_, amount)| *amount)
                    .sum()
            })
        })
        .collect()
}

/// Runs the policy over the sources for `run.period`.
pub fn run(run: &Run) -> Result<RunOutput, RunError> {
    let (state, mut out) = read_all(run)?;
    run.progress.source("rules");
    out.metric_names = metric_names(run.policy);
    evaluate(&state, &mut out)?;
    Ok(out)
}

/// As [`run`], with the lines given to `sink` period by period as the rules make them: the
/// output has everything but the lines.
pub fn run_into(run: &Run, sink: &mut dyn LineSink) -> Result<RunOutput, RunError> {
    let (state, mut out) = read_all(run)?;
    run.progress.source("rules");
    out.metric_names = metric_names(run.policy);
    evaluate(&state, sink)?;
    Ok(out)
}

/// The names of the policy's metrics, in the order written: the columns of `scores.csv`.
pub fn metric_names(policy: &Policy) -> Vec<String> {
    (policy.items.iter())
        .filter_map(|i| match &i.kind {
            ItemKind::Metric(m) => Some(m.name.text.clone()),
            _ => None,
        })
        .collect()
}

/// Running balances of one salesperson across the periods of a run.
#[derive(Default)]
struct Balances {
    /// Commission paid in each period so far this fiscal year, per commission: for caps over
    /// longer periods and true-ups.
    paid: BTreeMap<String, Vec<(Period, Decimal)>>,
    /// Each period's base and amount, per commission taking returns back at the original rate.
    rated: BTreeMap<String, Vec<returns::Rated>>,
    /// Advances of recoverable draws not yet recovered, per draw.
    draw_balance: BTreeMap<String, Decimal>,
    /// Consecutive periods a measure's condition has held, per measure.
    streak: BTreeMap<String, u32>,
}

/// Changes the balance kept under `name`, starting from the default when there is none: the
/// name is copied only then, not every period.
fn update<V: Default>(map: &mut BTreeMap<String, V>, name: &str, change: impl FnOnce(&mut V)) {
    match map.get_mut(name) {
        Some(balance) => change(balance),
        None => {
            let mut balance = V::default();
            change(&mut balance);
            map.insert(name.to_string(), balance);
        }
    }
}
