//! The reference evaluator's reading of a source: the plain interpreter. Each row is read by
//! the streaming reader, its filters and arguments interpreted against the policy's
//! expressions, and its values added into the accumulators of each period it falls in. Slow and
//! obviously right; the fast evaluator (`crate::plan`) is tested against it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::aggregate::{self, Acc};
use super::{EVIDENCE_LINES, RunError, RunOutput, SourceTotals, State, reasons};
use crate::eval::rules::Value;
use crate::input::config::SourceBinding;
use crate::input::reader::{InputError, Record, Rejection, SourceReader};
use crate::syntax::ast::*;

pub(super) fn read_source(
    state: &mut State,
    binding: &SourceBinding,
    reps: &BTreeMap<&str, usize>,
    out: &mut RunOutput,
) -> Result<(), RunError> {
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
    let (rep_field, date_field, amount_field) = (
        marked(FieldMod::Salesperson),
        marked(FieldMod::Dated),
        binding.amount_field(),
    );
    let key_field = marked(FieldMod::Key);
    // Per linked base: where the date of the sale a return reverses is.
    let linking: BTreeMap<usize, Option<usize>> = state
        .linking
        .iter()
        .map(|(&spec, field)| (spec, binding.field_index(field)))
        .collect();
    // Keys seen so far, with the line each was first seen on.
    let mut keys: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let specs: Vec<usize> = (0..state.specs.len())
        .filter(|i| state.specs[*i].source == binding.name)
        .collect();
    // Records from the start of the fiscal year count: earlier months feed yearly caps and
    // years to date.
    let (start, end) = state.window;
    let roster_name = run.model.roster.clone();
    let mut reader = SourceReader::open(binding).map_err(RunError::Input)?;
    let (mut used, mut read, mut credited, mut rejected_amount) = (0u64, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut later, mut later_amount) = (0u64, Decimal::ZERO);
    // The file's column of each field, for the rejections below (read before the loop, which
    // borrows the reader).
    let columns: Vec<Option<usize>> = (0..binding.fields.len()).map(|i| reader.column_of(i)).collect();
    while let Some(record) = reader.next_record().map_err(RunError::Input)? {
        let row = match record {
            Record::Rejected(r) => {
                out.rejects.push(r);
                continue;
            }
            Record::Row(row) => row,
        };
        let amount = amount_field.and_then(|i| row.decimal(i));
        add_to(&mut read, amount, binding, row.line())?;
        let reject = |reason: String, field: Option<usize>| Rejection {
            file: binding.path.clone(),
            record: row.record(),
            line: row.line(),
            column: field.and_then(|i| columns[i]),
            header: field.map(|i| binding.fields[i].column.clone()),
            field: field.map(|i| binding.fields[i].name.clone()),
            value: field
                .and_then(|i| row.get(i))
                .map(|v| v.to_string())
                .unwrap_or_default(),
            reason,
        };
        if let Some(key) = key_field.and_then(|i| row.text(i)) {
            if let Some(first) = keys.get(key) {
                out.rejects.push(reject(reasons::duplicate_key(key, *first), key_field));
                add_to(&mut rejected_amount, amount, binding, row.line())?;
                continue;
            }
            keys.insert(key.to_string(), row.line());
        }
        let rep = match rep_field.and_then(|i| row.text(i)) {
            Some(id) => match reps.get(id) {
                Some(r) => Some(*r),
                None => {
                    out.rejects.push(reject(reasons::unknown_salesperson(id), rep_field));
                    add_to(&mut rejected_amount, amount, binding, row.line())?;
                    continue;
                }
            },
            None => None,
        };
        let date = date_field.and_then(|i| row.date(i));
        if let Some(d) = date
            && d > end
        {
            // A later period's record: counted, not rejected (next month's run uses it).
            later += 1;
            add_to(&mut later_amount, amount, binding, row.line())?;
            continue;
        }
        if let Some(d) = date
            && d < start
        {
            let reason = reasons::before_year(run.period.fiscal_year, &state.cal.label(run.period));
            out.rejects.push(reject(reason, date_field));
            add_to(&mut rejected_amount, amount, binding, row.line())?;
            continue;
        }
        used += 1;
        add_to(&mut credited, amount, binding, row.line())?;
        if let Some(d) = date {
            state.last_day = Some(state.last_day.map_or(d, |l| l.max(d)));
        }
        // A record without a salesperson (market data) counts for everyone.
        let credited_to = match rep {
            Some(r) => r..r + 1,
            None => 0..run.roster.len(),
        };
        for &spec_index in &specs {
            let spec = &state.specs[spec_index];
            for r in credited_to.clone() {
                let person = &run.roster[r];
                let keep = match spec.filter {
                    Some(f) => {
                        aggregate::row_value(f, row, binding, roster_name.as_deref(), person)
                            .map_err(|m| row_error(binding, row.line(), m))?
                            == Some(Value::Bool(true))
                    }
                    None => true,
                };
                if !keep {
                    continue;
                }
                let value = match spec.arg {
                    Some(arg) => aggregate::row_value(arg, row, binding, roster_name.as_deref(), person)
                        .map_err(|m| row_error(binding, row.line(), m))?,
                    None => Some(Value::Bool(true)),
                };
                if let Some(Value::Num(amount)) = value
                    && amount < Decimal::ZERO
                    && let Some(&Some(field)) = linking.get(&spec_index)
                    && let Some(sold) = row.date(field)
                {
                    let day = date.unwrap_or(start);
                    state
                        .returns
                        .entry((spec_index, r))
                        .or_default()
                        .push((day, sold, amount));
                }
                if let Some(Value::Num(amount)) = value
                    && state.keeps_records(spec_index)
                {
                    let day = date.unwrap_or(start);
                    state
                        .records
                        .entry((spec_index, r))
                        .or_default()
                        .push((day, row.line(), amount));
                }
                for (slot, p) in state.slots.iter().enumerate() {
                    let inside = date.is_none_or(|d| d >= p.start && d <= p.end);
                    if inside {
                        let seen = state.evidence.entry((spec_index, r, slot)).or_insert((0, Vec::new()));
                        seen.0 += 1;
                        if seen.1.len() < EVIDENCE_LINES {
                            seen.1.push(row.line());
                        }
                        state
                            .reference
                            .entry((spec_index, r, slot))
                            .or_insert_with(|| Acc::new(spec.func))
                            .add(value.as_ref())
                            .map_err(|_| row_error(binding, row.line(), "arithmetic overflow".into()))?;
                    }
                }
            }
        }
    }
    let summary = reader.finish().map_err(RunError::Input)?;
    let totals = SourceTotals {
        summary,
        rows_used: used,
        rows_later: later,
        amount_read: read,
        amount_credited: credited,
        amount_rejected: rejected_amount,
        amount_later: later_amount,
    };
    if amount_field.is_some() {
        totals.reconcile().map_err(RunError::Totals)?;
    }
    out.sources.push(totals);
    Ok(())
}

/// Adds a row's amount to one of the source's control totals; an overflow is the run's error,
/// naming the row, as the fast reader's is.
fn add_to(total: &mut Decimal, amount: Option<Decimal>, binding: &SourceBinding, line: u64) -> Result<(), RunError> {
    *total = crate::money::add(*total, amount.unwrap_or_default())
        .map_err(|_| row_error(binding, line, reasons::TOTALS_OVERFLOW.into()))?;
    Ok(())
}

fn row_error(binding: &SourceBinding, line: u64, message: String) -> RunError {
    RunError::Input(InputError {
        file: binding.path.clone(),
        line: Some(line),
        column: None,
        offset: None,
        message,
        help: None,
    })
}
