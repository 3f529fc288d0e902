//! The fast evaluator's reading of a source: the source's aggregations compiled into a plan
//! (`crate::plan`), the file streamed through it on every core, the resulting table handed to
//! the rules.

use super::{RunError, RunOutput, SourceTotals, State};
use crate::eval::calendar::{months_between, year_month};
use crate::input::config::SourceBinding;
use crate::plan::cells::Day;
use crate::plan::keys::IdIndex;
use crate::plan::{Marks, Outcome, SourcePlan, read_fast};
use crate::syntax::ast::*;

/// Reads `binding`'s source with the fast evaluator; false when it must be left to the
/// reference evaluator (a JSON Lines or GB18030 file).
pub(super) fn read_source(
    state: &mut State,
    binding: &SourceBinding,
    reps: &IdIndex,
    out: &mut RunOutput,
) -> Result<bool, RunError> {
    let run = state.run;
    let source = run.policy.items.iter().find_map(|i| match &i.kind {
        ItemKind::Source(s) if s.name.text == binding.name => Some(s),
        _ => None,
    });
    let marked = |m: FieldMod| {
        source
            .and_then(|s| s.fields.iter().find(|f| f.mods.iter().any(|(x, _)| *x == m)))
            .and_then(|f| binding.field_index(&f.name.text))
    };
    let label = state.cal.label(run.period);
    let (start, end) = state.window;
    let months = (months_between(year_month(start), year_month(end)) + 1) as usize;
    let plan = SourcePlan::compile(
        binding,
        &state.specs,
        Marks {
            rep: marked(FieldMod::Salesperson),
            date: marked(FieldMod::Dated),
            key: marked(FieldMod::Key),
        },
        run.model.roster.as_deref(),
        (Day::from_date(start), Day::from_date(end)),
        months,
        super::reasons::before_year(run.period.fiscal_year, &label),
    );
    let read =
        match read_fast(&plan, reps, run.roster, crate::eval::threads(), &run.progress).map_err(RunError::Input)? {
            Outcome::NotFast => return Ok(false),
            Outcome::Done(read) => read,
        };
    let table = state.tables.len();
    for (local, spec) in plan.specs.iter().enumerate() {
        state.in_table.insert(spec.index, (table, local));
    }
    let read = *read;
    state.tables.push(read.table);
    if let Some(d) = read.last_day.and_then(Day::to_date) {
        state.last_day = Some(state.last_day.map_or(d, |l| l.max(d)));
    }
    out.rejects.extend(read.rejects);
    let totals = SourceTotals {
        summary: read.summary,
        rows_used: read.used,
        rows_later: read.later,
        amount_read: read.amount_read,
        amount_credited: read.amount_credited,
        amount_rejected: read.amount_rejected,
        amount_later: read.amount_later,
    };
    if binding.amount_field().is_some() {
        totals.reconcile().map_err(RunError::Totals)?;
    }
    out.sources.push(totals);
    Ok(true)
}
