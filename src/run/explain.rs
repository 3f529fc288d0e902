//! `rulebook explain`: how each of one salesperson's numbers in one period was derived — the
//! policy line, the values, and the input rows that were counted.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::{Engine, Place, Run, RunError, read_all};
use crate::diagnostic::line_col;
use crate::eval::rules::{EvalError, Value};
use crate::eval::targets::describe;
use crate::eval::tiers;
use crate::format::expr::expr as show;
use crate::syntax::ast::*;

/// Explains the results of salesperson `rep` in `run.period`; `text` is the policy's source.
pub fn explain(run: &Run, text: &str, file: &str, rep: &str) -> Result<String, RunError> {
    // The reference evaluator keeps the lines behind each number.
    let run = &Run {
        policy: run.policy,
        model: run.model,
        bindings: run.bindings,
        roster: run.roster,
        sheet: run.sheet,
        period: run.period,
        engine: Engine::Reference,
        progress: run.progress.clone(),
    };
    let (state, _) = read_all(run)?;
    let label = state.cal.label(run.period);
    let missing = |message: String| RunError::Eval {
        rep: rep.to_string(),
        period: label.clone(),
        error: EvalError {
            message,
            span: Span::default(),
        },
    };
    let index = run
        .roster
        .iter()
        .position(|r| r.id == rep)
        .ok_or_else(|| missing("not on the roster".into()))?;
    let slot = state
        .slots
        .iter()
        .position(|s| s.period == run.period && !s.year_to_date)
        .ok_or_else(|| missing(format!("the calendar has no period like {label}")))?;
    let place = Place {
        state: &state,
        rep: index,
        slot,
    };
    let mut rules = state.rules(index, slot).with_world(&place);
    let at = |span: Span| format!("{file}:{}", line_col(text, span.start).line);
    let num = |v: &Value| match v {
        Value::Num(d) => d.round_dp(6).normalize().to_string(),
        other => other.to_string(),
    };
    let mut out = String::new();
    let version = run.model.header.version.as_deref().unwrap_or("");
    let _ = writeln!(
        out,
        "salesperson {rep}, period {label}, policy \"{}\" version {version}",
        run.model.header.name
    );

    let (start, end) = (state.slots[slot].start, state.slots[slot].end);
    let target = run.sheet.target_between(&state.cal, rep, start, end);
    let _ = writeln!(out, "\ntarget {}", target.normalize());
    for line in run
        .sheet
        .lines
        .iter()
        .filter(|l| l.rep == rep && state.cal.start(l.month) >= start && state.cal.start(l.month) <= end)
    {
        let _ = writeln!(
            out,
            "  {} {} = {}",
            state.cal.label(line.month),
            line.amount.normalize(),
            describe(&line.steps)
        );
    }

    for item in &run.policy.items {
        match &item.kind {
            ItemKind::Metric(m) => {
                let value = rules
                    .name(&m.name.text, m.name.span)
                    .map(|v| num(&v))
                    .unwrap_or_else(|e| format!("no value: {}", e.message));
                let _ = writeln!(
                    out,
                    "\nmetric {} = {}   [{}]",
                    m.name.text,
                    show(&m.expr, Lang::En),
                    at(m.name.span)
                );
                let _ = writeln!(out, "  = {value}");
                // By where each aggregation is written: one written twice is read once.
                for (&(start, end), &i) in &state.spec_at {
                    if start < m.expr.span.start || end > m.expr.span.end {
                        continue;
                    }
                    let spec = &state.specs[i];
                    let file = run
                        .bindings
                        .iter()
                        .find(|b| b.name == spec.source)
                        .map(|b| b.path.display().to_string())
                        .unwrap_or_default();
                    match state.evidence.get(&(i, index, slot)) {
                        Some((count, lines)) => {
                            let shown: Vec<String> = lines.iter().map(u64::to_string).collect();
                            let more = if *count > lines.len() as u64 {
                                format!(" and {} more", *count - lines.len() as u64)
                            } else {
                                String::new()
                            };
                            let _ = writeln!(out, "  {count} row(s) of {file}: line(s) {}{more}", shown.join(", "));
                        }
                        None => {
                            let _ = writeln!(out, "  no rows of {file} counted");
                        }
                    }
                }
            }
            ItemKind::Score(s) => {
                let _ = writeln!(out, "\nscore   [{}]", at(item.span));
                for ind in &s.indicators {
                    let v = rules.expr(&ind.expr).map(|v| num(&v)).unwrap_or_else(|e| e.message);
                    let cap = ind
                        .cap
                        .as_ref()
                        .map(|c| format!(", cap {}", c.text))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  {} = {v}, weight {}{cap}",
                        show(&ind.expr, Lang::En),
                        ind.weight.text
                    );
                }
                for g in &s.gates {
                    let v = rules.expr(&g.cond).map(|v| num(&v)).unwrap_or_else(|e| e.message);
                    let _ = writeln!(out, "  gate {}: {v}", show(&g.cond, Lang::En));
                }
                let score = rules
                    .score(item.span)
                    .map(|d| d.round_dp(6).normalize().to_string())
                    .unwrap_or_else(|e| e.message);
                let _ = writeln!(out, "  = {score}");
            }
            ItemKind::Grade(_) => {
                let grade = rules.grade(item.span).unwrap_or_else(|e| e.message);
                let _ = writeln!(out, "\ngrade {grade}   [{}]", at(item.span));
            }
            ItemKind::Commission(c) if c.per.unwrap_or(run.model.calendar.assess) == run.period.kind => {
                let _ = writeln!(out, "\ncommission {}   [{}]", c.name.text, at(c.name.span));
                let base = rules.expr(&c.base);
                let measure = match &c.by {
                    Some(by) => rules.expr(by),
                    None => base.clone(),
                };
                if let (Ok(Value::Num(b)), Ok(Value::Num(m))) = (&base, &measure) {
                    let _ = writeln!(
                        out,
                        "  base {} = {}, measure {}",
                        show(&c.base, Lang::En),
                        b.normalize(),
                        m.round_dp(6).normalize()
                    );
                    let bands = crate::eval::rules::bands(c);
                    if let Ok(paid) = tiers::pay(c.mode, &bands, *b, *m) {
                        for slice in &paid.slices {
                            let t = &c.tiers[slice.band];
                            let range = show_range(t);
                            match slice.rate {
                                Some(rate) => {
                                    let _ = writeln!(
                                        out,
                                        "  {range}: {} × {}% = {}",
                                        slice.base.round_dp(2).normalize(),
                                        (rate * Decimal::ONE_HUNDRED).normalize(),
                                        slice.amount.round_dp(2).normalize()
                                    );
                                }
                                None => {
                                    let _ = writeln!(out, "  {range}: fixed {}", slice.amount.normalize());
                                }
                            }
                        }
                    }
                }
                for g in &c.gates {
                    let v = rules.expr(&g.cond).map(|v| num(&v)).unwrap_or_else(|e| e.message);
                    let _ = writeln!(out, "  gate {}: {v}", show(&g.cond, Lang::En));
                }
                let amount = rules.commission(c).map(|d| d.to_string()).unwrap_or_else(|e| e.message);
                let _ = writeln!(
                    out,
                    "  = {amount} for this period alone (yearly caps and true-ups apply in the run)"
                );
            }
            ItemKind::Bonus(b) if b.per == run.period.kind => {
                let amount = rules.bonus(b).map(|d| d.to_string()).unwrap_or_else(|e| e.message);
                let cond = b
                    .cond
                    .as_ref()
                    .map(|c| format!(" if {}", show(c, Lang::En)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "\nbonus {} {}{cond}   [{}]\n  = {amount}",
                    b.name.text,
                    show(&b.amount, Lang::En),
                    at(b.name.span)
                );
            }
            _ => {}
        }
    }
    Ok(out)
}

fn show_range(t: &Tier) -> String {
    match (&t.from, &t.to) {
        (None, Some(hi)) => format!("below {}", hi.text),
        (Some(lo), Some(hi)) => format!("{} to {}", lo.text, hi.text),
        (Some(lo), None) => format!("above {}", lo.text),
        (None, None) => String::new(),
    }
}
