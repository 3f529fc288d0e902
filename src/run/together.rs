//! Several runs over one reading of the records: the versions of a policy history, or the two
//! sides of a money impact. Runs that read their sources alike share what was read; each then
//! runs its rules in turn, on every core.

use std::collections::{BTreeMap, BTreeSet};

use super::evaluate::evaluate;
use super::{
    LineSink, Run, RunError, RunOutput, State, aggregate, linking, metric_names, new_state, read_sources, run_into,
    run_slots,
};
use crate::eval::calendar::FiscalCalendar;
use crate::syntax::ast::{ItemKind, Source};

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
