//! `rulebook explain`: how each of one salesperson's numbers in one period was derived — the
//! policy line, the values, and the input rows that were counted.
//!
//! It makes the run's own evaluation (`evaluate`) and explains the lines it writes, so every
//! amount shown is the one `payouts.csv` and `measures.csv` hold: yearly caps, years to date,
//! records paid one by one and draw balances included.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::{Engine, MeasureLine, PayoutLine, Place, Run, RunError, State, evaluate, read_all};
use crate::diagnostic::line_col;
use crate::eval::calendar::Period;
use crate::eval::rules::{EvalError, Rules, Value};
use crate::eval::targets::describe;
use crate::format::expr::expr as show;
use crate::syntax::ast::*;

mod commission;

/// How many records of a `per record` commission are listed one by one.
const RECORDS_SHOWN: usize = 10;

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
        metric_values: true,
    };
    let (state, mut output) = read_all(run)?;
    // The run's own evaluation, so that the amounts below are the lines it writes, balances
    // across the year's periods included.
    evaluate(&state, &mut output)?;
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
    let cx = Explainer {
        state: &state,
        text,
        file,
        rep: index,
        slot,
        lines: output
            .earlier
            .iter()
            .chain(&output.payouts)
            .filter(|l| l.rep == rep)
            .collect(),
        measures: output
            .measures
            .iter()
            .filter(|m| m.rep == rep && m.period == run.period)
            .collect(),
        dp: crate::money::decimals(run.model.header.rounding_unit),
    };
    let at = |span: Span| cx.at(span);
    let mut out = String::new();
    let version = run.model.header.version.as_deref().unwrap_or("");
    let _ = writeln!(
        out,
        "salesperson {rep}, period {label}, policy \"{}\" version {version}",
        run.model.header.name
    );
    if !state.employed(index, slot) {
        let _ = writeln!(out, "not employed in {label}: the run writes no lines for {rep}");
    }

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

    let kind = run.period.kind;
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
                    let file = cx.source_file(&spec.source);
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
                    .map(super::cells::number)
                    .unwrap_or_else(|e| e.message);
                let _ = writeln!(out, "  = {score}");
            }
            ItemKind::Grade(_) => {
                let grade = rules.grade(item.span).unwrap_or_else(|e| e.message);
                let _ = writeln!(out, "\ngrade {grade}   [{}]", at(item.span));
            }
            ItemKind::Commission(c) if c.per.unwrap_or(run.model.calendar.assess) == kind => {
                cx.commission(&mut out, &mut rules, c);
            }
            ItemKind::Bonus(b) if b.per == kind => cx.bonus(&mut out, &mut rules, b),
            ItemKind::Draw(d) if d.per == kind => cx.draw(&mut out, d),
            ItemKind::Promotion(p) if p.per == kind => {
                let _ = writeln!(
                    out,
                    "\npromotion {} {} if {}   [{}]\n  {}",
                    p.name.text,
                    per_word(p.per),
                    show(&p.cond, Lang::En),
                    at(p.name.span),
                    decided(&mut rules, &p.cond)
                );
                cx.measure_line(&mut out, &format!("promotion {}", p.name.text));
            }
            ItemKind::Discipline(d) => {
                for m in &d.measures {
                    cx.discipline(&mut out, m);
                }
            }
            _ => {}
        }
    }

    let _ = writeln!(out, "\npayouts of {rep} in {label}, as payouts.csv writes them");
    let mine: Vec<&&PayoutLine> = cx.lines.iter().filter(|l| l.period == run.period).collect();
    for l in &mine {
        let _ = writeln!(out, "  {} {} {}", l.component, l.name, cx.money(l.amount));
    }
    let total = sum(mine.iter().map(|l| l.amount)).map_or("(arithmetic overflow)".into(), |t| cx.money(t));
    let _ = writeln!(out, "  total {total}");
    if !cx.measures.is_empty() {
        let _ = writeln!(out, "\nmeasures of {rep} in {label}, as measures.csv writes them");
        for m in &cx.measures {
            let _ = writeln!(out, "  {}: {}", m.measure, m.evidence);
        }
    }
    Ok(out)
}

/// What the sections share: the run's state and the lines it wrote for one salesperson.
struct Explainer<'s, 'a> {
    state: &'s State<'a>,
    text: &'s str,
    file: &'s str,
    rep: usize,
    slot: usize,
    /// Every payout line of the salesperson in the fiscal year so far, earlier periods first.
    lines: Vec<&'s PayoutLine>,
    /// The measures of the period.
    measures: Vec<&'s MeasureLine>,
    /// Decimals of an amount, as the outputs write it.
    dp: usize,
}

impl Explainer<'_, '_> {
    fn at(&self, span: Span) -> String {
        format!("{}:{}", self.file, line_col(self.text, span.start).line)
    }

    fn money(&self, d: Decimal) -> String {
        crate::money::fixed(d, self.dp)
    }

    fn period(&self) -> Period {
        self.state.slots[self.slot].period
    }

    fn source_file(&self, source: &str) -> String {
        let bindings = self.state.run.bindings;
        bindings
            .iter()
            .find(|b| b.name == source)
            .map(|b| b.path.display().to_string())
            .unwrap_or_default()
    }

    /// The period's line of item `name` among `components`.
    fn line(&self, components: &[&str], name: &str) -> Option<&PayoutLine> {
        let period = self.period();
        self.lines
            .iter()
            .copied()
            .find(|l| l.period == period && l.name == name && components.contains(&l.component))
    }

    /// The lines of item `name` among `components` of the earlier periods of the same length
    /// within `outer`, and their sum: what the item has paid so far in `outer`.
    fn so_far(&self, components: &[&str], name: &str, outer: PeriodKind) -> (Decimal, String) {
        let period = self.period();
        let cal = &self.state.cal;
        let since = cal.start(cal.period_of(cal.start(period), outer));
        let earlier: Vec<&PayoutLine> = self
            .lines
            .iter()
            .copied()
            .filter(|l| {
                l.name == name
                    && components.contains(&l.component)
                    && l.period.kind == period.kind
                    && cal.start(l.period) < cal.start(period)
                    && cal.start(l.period) >= since
            })
            .collect();
        // The run added up the same amounts for its balances.
        let paid = earlier.iter().map(|l| l.amount).sum();
        let list: Vec<String> = earlier
            .iter()
            .map(|l| format!("{} {}", cal.label(l.period), self.money(l.amount)))
            .collect();
        let list = if list.is_empty() {
            "no earlier period".to_string()
        } else {
            list.join(", ")
        };
        (paid, list)
    }

    /// Whether a run tracks `cap` across periods: a cap over a longer period than the
    /// commission's.
    fn tracked(&self, cap: &Limit) -> bool {
        cap.per > self.period().kind
    }

    /// A payout line's amount, or that the run wrote none.
    fn amount(&self, out: &mut String, line: Option<&PayoutLine>) {
        let _ = match line {
            Some(l) => writeln!(
                out,
                "  = {} ({} line of payouts.csv)",
                self.money(l.amount),
                l.component
            ),
            None => writeln!(out, "  = 0: no line in payouts.csv"),
        };
    }

    fn bonus(&self, out: &mut String, rules: &mut Rules, b: &Bonus) {
        let word = if b.spif { "spif" } else { "bonus" };
        let cond = b
            .cond
            .as_ref()
            .map(|c| format!(" if {}", show(c, Lang::En)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{word} {} {} {}{cond}   [{}]",
            b.name.text,
            show(&b.amount, Lang::En),
            per_word(b.per),
            self.at(b.name.span)
        );
        if let Some(c) = &b.cond {
            let _ = writeln!(out, "  {}", decided(rules, c));
        }
        if !is_literal(&b.amount) {
            let v = rules.value(&b.amount).map(|v| opt(&v)).unwrap_or_else(|e| e.message);
            let _ = writeln!(out, "  {} = {v}", show(&b.amount, Lang::En));
        }
        self.amount(out, self.line(&[word], &b.name.text));
    }

    fn draw(&self, out: &mut String, d: &Draw) {
        let kind = if d.recoverable {
            "recoverable"
        } else {
            "non-recoverable"
        };
        let _ = writeln!(
            out,
            "\ndraw {} {} {} against {} {kind}   [{}]",
            d.name.text,
            d.amount.text,
            per_word(d.per),
            d.against.text,
            self.at(d.name.span)
        );
        let earned = self
            .line(&["commission", "clawback"], &d.against.text)
            .map_or(Decimal::ZERO, |l| l.amount);
        let line = self.line(&["draw"], &d.name.text);
        let _ = writeln!(out, "  {} earned {} this period", d.against.text, self.money(earned));
        // The balance is what the earlier top-ups advanced less what was recovered.
        let (owed, earlier) = self.so_far(&["draw"], &d.name.text, PeriodKind::Year);
        let owed = if d.recoverable { owed } else { Decimal::ZERO };
        if earned < d.amount.value {
            let _ = writeln!(
                out,
                "  below the draw: tops up {} − {}",
                d.amount.text,
                self.money(earned)
            );
        } else if d.recoverable {
            let _ = writeln!(
                out,
                "  above the draw by {}: recovered from the balance outstanding",
                self.money(earned - d.amount.value)
            );
        } else {
            let _ = writeln!(out, "  not below the draw: nothing to top up");
        }
        if d.recoverable {
            let after = owed + line.map_or(Decimal::ZERO, |l| l.amount);
            let _ = writeln!(
                out,
                "  balance outstanding {} before this period ({earlier}), {} after",
                self.money(owed),
                self.money(after)
            );
        }
        self.amount(out, line);
    }

    fn discipline(&self, out: &mut String, m: &Measure) {
        let state = self.state;
        let period = self.period();
        let (per, periods) = match m.window {
            Window::In(per, _) => (per, vec![period]),
            // The streak that ends with this period.
            Window::InARow { count, per, .. } => {
                let before: Vec<Period> = self
                    .year_periods(per)
                    .into_iter()
                    .filter(|p| state.cal.end(*p) <= state.cal.end(period))
                    .collect();
                let from = before.len().saturating_sub(count as usize);
                (per, before[from..].to_vec())
            }
            Window::Times { within, .. } => (within, state.cal.within(period, state.run.model.calendar.assess)),
        };
        if per != period.kind {
            return;
        }
        let deduct = m
            .deduct
            .as_ref()
            .map(|d| format!(" deduct {}", d.text))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\ndiscipline {}{deduct} if {} {}   [{}]",
            m.name.text,
            show(&m.cond, Lang::En),
            window_words(&m.window),
            self.at(m.span)
        );
        for p in periods {
            let Some(slot) = state.slots.iter().position(|s| s.period == p && !s.year_to_date) else {
                continue;
            };
            let place = Place {
                state,
                rep: self.rep,
                slot,
            };
            let mut rules = state.rules(self.rep, slot).with_world(&place);
            let _ = writeln!(out, "  {}: {}", state.cal.label(p), decided(&mut rules, &m.cond));
        }
        self.measure_line(out, &m.name.text);
        if m.deduct.is_some() {
            self.amount(out, self.line(&["deduction"], &m.name.text));
        }
    }

    /// Whether the run lists measure `name` for the period, with its evidence.
    fn measure_line(&self, out: &mut String, name: &str) {
        let _ = match self.measures.iter().find(|l| l.measure == name) {
            Some(l) => writeln!(out, "  triggered: in measures.csv with evidence \"{}\"", l.evidence),
            None => writeln!(out, "  not triggered"),
        };
    }

    /// The periods of length `per` of the run's fiscal year.
    fn year_periods(&self, per: PeriodKind) -> Vec<Period> {
        let year = Period {
            fiscal_year: self.period().fiscal_year,
            kind: PeriodKind::Year,
            index: 1,
        };
        self.state.cal.within(year, per)
    }
}

/// The values a condition was decided on — each side of its comparisons that is not a
/// literal — and whether it holds.
fn decided(rules: &mut Rules, cond: &Expr) -> String {
    let mut facts = Vec::new();
    operands(rules, cond, &mut facts);
    let verdict = match rules.holds(cond) {
        Ok(true) => "holds".to_string(),
        Ok(false) => "does not hold".to_string(),
        Err(e) => e.message,
    };
    if facts.is_empty() {
        verdict
    } else {
        format!("{} → {verdict}", facts.join(", "))
    }
}

fn operands(rules: &mut Rules, e: &Expr, facts: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Paren(inner) | ExprKind::Unary(UnaryOp::Not, inner) => operands(rules, inner, facts),
        ExprKind::Binary(BinaryOp::And | BinaryOp::Or, l, r) => {
            operands(rules, l, facts);
            operands(rules, r, facts);
        }
        ExprKind::Binary(op, l, r) if op.is_comparison() => {
            for side in [l, r] {
                if !is_literal(side) {
                    let v = rules.value(side).map(|v| opt(&v)).unwrap_or_else(|err| err.message);
                    facts.push(format!("{} = {v}", show(side, Lang::En)));
                }
            }
        }
        _ => {}
    }
}

/// A sum, or `None` on overflow.
fn sum(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values.into_iter().try_fold(Decimal::ZERO, Decimal::checked_add)
}

fn is_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Number(_) | ExprKind::Percent(_) | ExprKind::Text(_) | ExprKind::Date(_)
    )
}

fn num(v: &Value) -> String {
    match v {
        Value::Num(d) => super::cells::number(*d),
        other => other.to_string(),
    }
}

fn opt(v: &Option<Value>) -> String {
    v.as_ref().map_or("empty".into(), num)
}

fn per_word(per: PeriodKind) -> &'static str {
    match per {
        PeriodKind::Month => "monthly",
        PeriodKind::Quarter => "quarterly",
        PeriodKind::Year => "yearly",
    }
}

fn window_words(w: &Window) -> String {
    let unit = |per: PeriodKind| match per {
        PeriodKind::Month => "month",
        PeriodKind::Quarter => "quarter",
        PeriodKind::Year => "year",
    };
    match w {
        Window::In(per, _) => format!("in a {}", unit(*per)),
        Window::InARow { count, per, .. } => format!("for {count} {}s in a row", unit(*per)),
        Window::Times { count, within, .. } => format!("at least {count} times in a {}", unit(*within)),
    }
}

fn show_range(t: &Tier) -> String {
    match (&t.from, &t.to) {
        (None, Some(hi)) => format!("below {}", hi.text),
        (Some(lo), Some(hi)) => format!("{} to {}", lo.text, hi.text),
        (Some(lo), None) => format!("above {}", lo.text),
        (None, None) => String::new(),
    }
}
