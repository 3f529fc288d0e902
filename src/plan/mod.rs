//! The evaluation plan: the policy's aggregations compiled for one source — fields resolved to
//! indexes, filters and arguments to [`RowExpr`]s, the run's window to packed days — and the
//! fast evaluator that streams a CSV source through it (`exec`). The rules per salesperson and
//! period then read the plan's [`MonthTable`]s instead of the reference evaluator's
//! accumulators; both give the same values, rejects and totals (tested on every example).

pub mod cells;
mod exec;
pub mod keys;
pub mod rowexpr;
pub mod scan;
pub mod table;

pub use exec::{FastSource, Outcome, read_fast};
pub use table::MonthTable;

use cells::{CellReader, Day};
use rowexpr::{Filter, RowExpr};

use crate::input::config::SourceBinding;
use crate::run::aggregate::Spec;
use crate::syntax::ast::AggFunc;

/// One aggregation compiled for rows of its source.
pub struct CompiledSpec {
    /// Its index among all the policy's aggregations.
    pub index: usize,
    pub func: AggFunc,
    pub filter: Option<Filter>,
    /// `None` for `count of source`: every row counts.
    pub arg: Option<RowExpr>,
    /// The filter or argument reads the roster: evaluate once per salesperson credited.
    pub per_rep: bool,
}

/// What the run asks of one source.
pub struct SourcePlan<'a> {
    pub binding: &'a SourceBinding,
    pub readers: Vec<CellReader>,
    pub rep_field: Option<usize>,
    pub date_field: Option<usize>,
    pub amount_field: Option<usize>,
    pub key_field: Option<usize>,
    pub specs: Vec<CompiledSpec>,
    /// The first and last day of the run's window: the fiscal year to the end of the period.
    pub window: (Day, Day),
    /// Months in the window.
    pub months: usize,
    /// Why a record dated before the window is rejected (one after it is left to a later run).
    pub before: String,
}

/// The marked fields of a source, by index in the binding.
pub struct Marks {
    pub rep: Option<usize>,
    pub date: Option<usize>,
    pub key: Option<usize>,
}

impl<'a> SourcePlan<'a> {
    pub fn compile(
        binding: &'a SourceBinding,
        specs: &[Spec],
        marks: Marks,
        roster: Option<&str>,
        window: (Day, Day),
        months: usize,
        before: String,
    ) -> SourcePlan<'a> {
        let fields: Vec<String> = binding.fields.iter().map(|f| f.name.clone()).collect();
        let compiled = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.source == binding.name)
            .map(|(index, s)| {
                let filter = s
                    .filter
                    .map(|f| Filter::new(RowExpr::compile(f, &fields, roster, &binding.name)));
                let arg = s.arg.map(|a| RowExpr::compile(a, &fields, roster, &binding.name));
                let per_rep = filter.as_ref().is_some_and(|f| f.expr.reads_roster())
                    || arg.as_ref().is_some_and(RowExpr::reads_roster);
                CompiledSpec {
                    index,
                    func: s.func,
                    filter,
                    arg,
                    per_rep,
                }
            })
            .collect();
        SourcePlan {
            binding,
            readers: binding
                .fields
                .iter()
                .map(|f| CellReader::new(f, &binding.dates))
                .collect(),
            rep_field: marks.rep,
            date_field: marks.date,
            amount_field: binding.amount_field(),
            key_field: marks.key,
            specs: compiled,
            window,
            months,
            before,
        }
    }

    /// The table column of a day inside the window.
    pub fn column(&self, day: Day) -> usize {
        let (start, _) = self.window;
        let ym = |d: Day| (d.year(), d.month() as u8);
        crate::eval::calendar::months_between(ym(start), ym(day)) as usize
    }
}
