//! The payroll run: every source streamed once, each row filtered and added into the
//! accumulators of its salesperson and of each period it falls in; then, once per salesperson
//! and period, the rules: metrics, score, grade, commission, bonus, promotion, discipline.
//!
//! This is the plain evaluator: rows are interpreted against the policy's expressions. Every
//! input row is either used or rejected with its reason, and the control totals say so.

pub mod aggregate;
pub mod cells;
mod commission;
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
pub mod write;

pub use explain::explain;
pub use lines::{LineSink, MeasureLine, PayoutLine, PeriodLines, ScoreLine};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;

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
        if self.amount_read == self.amount_credited + self.amount_rejected + self.amount_later {
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
    in_table: BTreeMap<usize, (usize, usize)>,
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
    across: Mutex<BTreeMap<AcrossKey, Decimal>>,
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
        in_table: BTreeMap::new(),
        last_day: None,
        evidence: BTreeMap::new(),
        names,
        given,
        across: Mutex::new(BTreeMap::new()),
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

/// What [`run_together`] gives: each run's output, in order, and whether the records were
/// read once for all of them.
#[derive(Debug, Default)]
pub struct Together {
    pub outputs: Vec<RunOutput>,
    pub read_once: bool,
}

/// What failed in [`run_together`], and in which run.
#[derive(Debug)]
pub struct RunsError {
    /// The run's index; `None` when reading the records, shared by all, failed.
    pub run: Option<usize>,
    pub error: Box<RunError>,
}

impl RunsError {
    fn of(run: Option<usize>, error: RunError) -> RunsError {
        RunsError {
            run,
            error: Box::new(error),
        }
    }
}

/// Whether two runs read the records alike, so that one reading serves both: the same
/// sources declared and bound to the same files, the same roster, period and slots.
fn reads_alike(a: &Run, b: &Run) -> bool {
    fn sources<'p>(run: &Run<'p>) -> Vec<&'p Source> {
        run.policy
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Source(s) => Some(s),
                _ => None,
            })
            .collect()
    }
    let (ca, cb) = (
        FiscalCalendar::new(a.model.calendar.fiscal_start.0),
        FiscalCalendar::new(b.model.calendar.fiscal_start.0),
    );
    a.period == b.period
        && ca == cb
        && a.engine == b.engine
        && a.model.roster == b.model.roster
        && a.roster == b.roster
        && a.bindings == b.bindings
        && sources(a) == sources(b)
        && run_slots(a, &ca) == run_slots(b, &cb)
}

/// Runs several policies over the same records (the versions of a money impact). When they
/// read the records alike, each source is read once for all of them: their aggregations are
/// read together, then each policy's rules run on its own. Otherwise each is run on its own.
/// Either way the outputs are those of [`run`] for each.
pub fn run_together(runs: &[Run]) -> Result<Together, RunsError> {
    let mut lines: Vec<RunOutput> = runs.iter().map(|_| RunOutput::default()).collect();
    let mut sinks: Vec<&mut (dyn LineSink + Send)> = lines.iter_mut().map(|o| o as _).collect();
    let mut together = run_together_into(runs, &mut sinks)?;
    for (out, lines) in together.outputs.iter_mut().zip(lines) {
        (out.scores, out.payouts, out.measures, out.earlier) =
            (lines.scores, lines.payouts, lines.measures, lines.earlier);
    }
    Ok(together)
}

/// As [`run_together`], with each run's lines given to its own sink (`sinks[i]` for `runs[i]`)
/// as its rules make them: the outputs have everything but the lines.
pub fn run_together_into(runs: &[Run], sinks: &mut [&mut (dyn LineSink + Send)]) -> Result<Together, RunsError> {
    let Some(first) = runs.first() else {
        return Ok(Together::default());
    };
    if !runs.iter().all(|r| reads_alike(first, r)) {
        let outputs = (runs.iter().zip(sinks.iter_mut()).enumerate())
            .map(|(i, (r, sink))| run_into(r, *sink).map_err(|e| RunsError::of(Some(i), e)))
            .collect::<Result<_, _>>()?;
        return Ok(Together {
            outputs,
            read_once: false,
        });
    }
    // An aggregation both versions compute (most of them) is read once.
    let mut specs = Vec::new();
    let spec_ats: Vec<_> = runs
        .iter()
        .map(|r| aggregate::share(&mut specs, aggregate::specs(r.policy)))
        .collect();
    let states: Vec<State> = runs
        .iter()
        .zip(spec_ats)
        .map(|(r, spec_at)| new_state(r, specs.clone(), spec_at))
        .collect();
    let kept: BTreeSet<usize> = states
        .iter()
        .flat_map(|s| s.record_bases.values().map(|&(_, spec)| spec))
        .collect();
    let linking: BTreeMap<usize, String> = states.iter().flat_map(linking).collect();
    let mut states = states.into_iter();
    let Some(mut reader) = states.next() else {
        return Ok(Together::default());
    };
    reader.kept = kept;
    reader.linking = linking;
    let read = read_sources(&mut reader).map_err(|e| RunsError::of(None, e))?;
    first.progress.source("rules");
    let mut states: Vec<State> = states.collect();
    states.insert(0, reader);
    // One policy after another, each on every core (the roster in chunks), the records read
    // handed from one to the next rather than copied.
    let mut outputs = Vec::with_capacity(states.len());
    for (i, sink) in sinks.iter_mut().enumerate().take(states.len()) {
        if let [.., done, next] = &mut states[..=i] {
            hand_over(done, next);
        }
        let state = &states[i];
        let mut out = read.clone();
        out.metric_names = metric_names(state.run.policy);
        evaluate(state, *sink).map_err(|e| RunsError::of(Some(i), e))?;
        outputs.push(out);
    }
    Ok(Together {
        outputs,
        read_once: true,
    })
}

/// Moves what was read of the records from one run's state to the next's (see
/// [`run_together_into`]).
fn hand_over(from: &mut State, to: &mut State) {
    use std::mem::take;
    to.kept = take(&mut from.kept);
    to.reference = take(&mut from.reference);
    to.tables = take(&mut from.tables);
    to.in_table = take(&mut from.in_table);
    to.last_day = from.last_day;
    to.evidence = take(&mut from.evidence);
    to.records = take(&mut from.records);
    to.linking = take(&mut from.linking);
    to.returns = take(&mut from.returns);
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

/// The policy's items as the rules go through them, for every salesperson and period.
struct Items<'p> {
    items: Vec<&'p ItemKind>,
    metrics: Vec<&'p Metric>,
    has_score: bool,
    has_grade: bool,
    assess: PeriodKind,
    /// The run's own period: its lines are shown, earlier ones only computed.
    show: (jiff::civil::Date, jiff::civil::Date),
}

impl Items<'_> {
    /// Whether a slot's lines are shown: it lies within the run's own period.
    fn shows(&self, s: &Slot) -> bool {
        s.start >= self.show.0 && s.end <= self.show.1
    }
}

fn evaluate(state: &State, sink: &mut dyn LineSink) -> Result<(), RunError> {
    let run = state.run;
    let items: Vec<&ItemKind> = run.policy.items.iter().map(|i| &i.kind).collect();
    let what = Items {
        metrics: items
            .iter()
            .filter_map(|k| if let ItemKind::Metric(m) = k { Some(m) } else { None })
            .collect(),
        has_score: items.iter().any(|k| matches!(k, ItemKind::Score(_))),
        has_grade: items.iter().any(|k| matches!(k, ItemKind::Grade(_))),
        assess: run.model.calendar.assess,
        show: (state.cal.start(run.period), state.cal.end(run.period)),
        items,
    };
    // Salespeople are independent of each other (a roll-up's sum is shared through the state),
    // so within a period contiguous chunks of the roster run on their own threads; their lines
    // go to the sink in roster order before the next period starts, and the first error in that
    // order is the one reported.
    let reps = run.roster.len();
    let threads = crate::eval::threads().min(reps.div_ceil(256)).max(1);
    let size = reps.div_ceil(threads).max(1);
    let mut balances: Vec<Balances> = run.roster.iter().map(|_| Balances::default()).collect();
    // One score line per salesperson employed in each period shown.
    let lines: usize = (state.slots.iter().enumerate())
        .filter(|(_, s)| !s.year_to_date && what.shows(s))
        .map(|(slot, _)| (0..reps).filter(|&rep| state.employed(rep, slot)).count())
        .sum();
    sink.expect(lines);
    for (slot, _) in state.slots.iter().enumerate().filter(|(_, s)| !s.year_to_date) {
        let results: Vec<Result<PeriodLines, RunError>> = std::thread::scope(|scope| {
            let mut chunks =
                (balances.chunks_mut(size).enumerate()).map(|(i, bal)| (i * size..i * size + bal.len(), bal));
            // The first chunk runs on this thread: its allocations reuse what reading freed.
            let first = chunks.next();
            let handles: Vec<_> = chunks
                .map(|(range, bal)| scope.spawn(|| evaluate_slot(state, &what, slot, range, bal)))
                .collect();
            let first = first.map(|(range, bal)| evaluate_slot(state, &what, slot, range, bal));
            first
                .into_iter()
                .chain(
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
                )
                .collect()
        });
        for lines in results {
            sink.take(lines?)?;
        }
    }
    Ok(())
}

/// The rules in one period for salespeople `reps`, whose balances are `balances`.
fn evaluate_slot(
    state: &State,
    what: &Items,
    slot: usize,
    reps: std::ops::Range<usize>,
    balances: &mut [Balances],
) -> Result<PeriodLines, RunError> {
    let mut out = PeriodLines::default();
    for (rep, bal) in reps.zip(balances) {
        if state.employed(rep, slot) {
            one(state, what, rep, slot, bal, &mut out)?;
        }
    }
    Ok(out)
}

/// The rules for one salesperson in one period.
fn one(
    state: &State,
    what: &Items,
    rep: usize,
    slot: usize,
    bal: &mut Balances,
    out: &mut PeriodLines,
) -> Result<(), RunError> {
    let run = state.run;
    let person = &run.roster[rep];
    let s = &state.slots[slot];
    let period = s.period;
    // Earlier periods of the year are computed for the balances, shown only when asked for.
    let shown = what.shows(s);
    let (items, metrics, assess) = (&what.items, &what.metrics, what.assess);
    let (has_score, has_grade) = (what.has_score, what.has_grade);
    let label = || state.cal.label(period);
    let fail = |error: EvalError| RunError::Eval {
        rep: person.id.clone(),
        period: label(),
        error,
    };
    let place = Place { state, rep, slot };
    let mut rules = state.rules(rep, slot).with_world(&place);
    let mut lines: Vec<PayoutLine> = Vec::new();
    let mut measures: Vec<MeasureLine> = Vec::new();
    let line = |component: &'static str, name: &str, base: Option<Decimal>, rate: &str, amount: Decimal| PayoutLine {
        rep: person.id.clone(),
        period,
        component,
        name: name.to_string(),
        base,
        rate: rate.to_string(),
        amount,
    };
    let mut commissions: BTreeMap<String, Decimal> = BTreeMap::new();
    for kind in items {
        match kind {
            ItemKind::Commission(c) if c.per.unwrap_or(assess) == period.kind => {
                let paid = commission::pay(&place, &mut rules, c, bal).map_err(fail)?;
                commissions.insert(c.name.text.clone(), paid.net);
                for l in paid.lines {
                    lines.push(line(l.component, &c.name.text, l.base, &l.rate, l.amount));
                }
            }
            ItemKind::Bonus(b) if b.per == period.kind => {
                let amount = rules.bonus(b).map_err(fail)?;
                if !amount.is_zero() {
                    lines.push(line(
                        if b.spif { "spif" } else { "bonus" },
                        &b.name.text,
                        None,
                        "",
                        amount,
                    ));
                }
            }
            ItemKind::Promotion(p) if p.per == period.kind && rules.holds(&p.cond).map_err(fail)? => {
                measures.push(MeasureLine {
                    rep: person.id.clone(),
                    period,
                    measure: format!("promotion {}", p.name.text),
                    evidence: crate::format::expr::expr(&p.cond, Lang::En),
                });
            }
            ItemKind::Discipline(d) => {
                for m in &d.measures {
                    let triggered = match &m.window {
                        Window::In(per, _) if *per == period.kind => rules.holds(&m.cond).map_err(fail)?,
                        Window::InARow { count, per, .. } if *per == period.kind => {
                            let held = rules.holds(&m.cond).map_err(fail)?;
                            let n = if held {
                                bal.streak.get(&m.name.text).copied().unwrap_or(0) + 1
                            } else {
                                0
                            };
                            let hit = n >= *count;
                            bal.streak.insert(m.name.text.clone(), if hit { 0 } else { n });
                            hit
                        }
                        Window::Times { count, within, .. } if *within == period.kind => {
                            place.count_periods(assess, &m.cond).map_err(fail)? >= *count
                        }
                        _ => false,
                    };
                    if triggered {
                        measures.push(MeasureLine {
                            rep: person.id.clone(),
                            period,
                            measure: m.name.text.clone(),
                            evidence: crate::format::expr::expr(&m.cond, Lang::En),
                        });
                        if let Some(amount) = &m.deduct {
                            lines.push(line("deduction", &m.name.text, None, "", -amount.value));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Draws come after the commissions they are set against.
    for kind in items {
        let ItemKind::Draw(d) = kind else { continue };
        if d.per != period.kind {
            continue;
        }
        let earned = commissions.get(&d.against.text).copied().unwrap_or_default();
        if earned < d.amount.value {
            let advance = d.amount.value - earned;
            lines.push(line("draw", &d.name.text, Some(earned), "top-up to the draw", advance));
            if d.recoverable {
                *bal.draw_balance.entry(d.name.text.clone()).or_default() += advance;
            }
        } else if d.recoverable {
            let owed = bal.draw_balance.get(&d.name.text).copied().unwrap_or_default();
            let recovered = owed.min(earned - d.amount.value);
            if recovered > Decimal::ZERO {
                lines.push(line(
                    "draw",
                    &d.name.text,
                    Some(earned),
                    "recovery of earlier advances",
                    -recovered,
                ));
                *bal.draw_balance.entry(d.name.text.clone()).or_default() -= recovered;
            }
        }
    }
    if shown {
        // An empty metric is an empty cell; any error fails the run, naming the metric.
        let mut values = cells::Cells::with_capacity(metrics.len());
        for m in metrics {
            let value = rules.name_value(&m.name.text, m.name.span).map_err(|e| {
                fail(EvalError {
                    message: format!("metric `{}`: {}", m.name.text, e.message),
                    span: e.span,
                })
            })?;
            // Evaluated either way: a metric that cannot be computed fails the run.
            if run.metric_values {
                values.push(&value);
            }
        }
        let values = values.done();
        let score = if has_score {
            Some(rules.score(Span::default()).map_err(fail)?)
        } else {
            None
        };
        let grade = if has_grade {
            Some(rules.grade(Span::default()).map_err(fail)?)
        } else {
            None
        };
        out.scores.push(ScoreLine {
            rep: person.id.clone(),
            period,
            metrics: values,
            score,
            grade,
        });
        out.payouts.append(&mut lines);
        out.measures.append(&mut measures);
    } else {
        out.earlier.append(&mut lines);
    }
    Ok(())
}
