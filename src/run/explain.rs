//! `rulebook explain`: how each of one salesperson's numbers in one period was derived — the
//! policy line, the values, and the input rows that were counted.
//!
//! It makes the run's own evaluation (`evaluate`) and explains the lines it writes, so every
//! amount shown is the one `payouts.csv` and `measures.csv` hold: yearly caps, years to date,
//! records paid one by one and draw balances included.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::{Engine, MeasureLine, PayoutLine, Place, Run, RunError, State, evaluate, limits, read_all};
use crate::diagnostic::line_col;
use crate::eval::calendar::Period;
use crate::eval::rules::{EvalError, Rules, Value};
use crate::eval::targets::describe;
use crate::eval::tiers;
use crate::format::expr::expr as show;
use crate::syntax::ast::*;

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

    fn commission(&self, out: &mut String, rules: &mut Rules, c: &Commission) {
        const PAID: [&str; 2] = ["commission", "clawback"];
        let _ = writeln!(out, "\ncommission {}   [{}]", c.name.text, self.at(c.name.span));
        let line = self.line(&PAID, &c.name.text);
        let (so_far, earlier) = self.so_far(&PAID, &c.name.text, PeriodKind::Year);
        let state = self.state;
        if c.year_to_date.is_some() {
            let base = rules.value(&c.base).map(|v| opt(&v)).unwrap_or_else(|e| e.message);
            let _ = writeln!(out, "  this period: base {} = {base}", show(&c.base, Lang::En));
            let period = self.period();
            let Some(ytd) = state.slots.iter().position(|y| y.year_to_date && y.period == period) else {
                return self.amount(out, line);
            };
            let y = state.slots[ytd];
            let _ = writeln!(out, "  year to date, {} to {}:", y.start, y.end);
            let place = Place {
                state,
                rep: self.rep,
                slot: ytd,
            };
            let mut ytd_rules = state.rules(self.rep, ytd).with_world(&place);
            let raw = tier_lines(out, &mut ytd_rules, c);
            self.limits(out, &mut ytd_rules, c, raw, false);
            let total = match ytd_rules.commission(c) {
                Ok(d) => d,
                Err(e) => {
                    let _ = writeln!(out, "  {}", e.message);
                    return self.amount(out, line);
                }
            };
            let _ = writeln!(out, "  year-to-date commission {}", self.money(total));
            let _ = writeln!(
                out,
                "  less paid so far this fiscal year {} ({earlier})",
                self.money(so_far)
            );
            self.longer_limits(out, c, total - so_far);
            return self.amount(out, line);
        }
        // Returns of earlier periods' sales are out of the base (`run::returns`).
        let place = Place {
            state,
            rep: self.rep,
            slot: self.slot,
        };
        let linked = match state.linked_returns(self.rep, self.slot, c) {
            Ok(l) => l.filter(|l| !l.by_period.is_empty()),
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
                return self.amount(out, line);
            }
        };
        let mut unlinked = match &linked {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "  returns of earlier periods' sales, {} in all, are left out of the base: {} less them",
                    self.money(l.total),
                    l.metric
                );
                match state.without_linked(&place, l) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        let _ = writeln!(out, "  {}", e.message);
                        return self.amount(out, line);
                    }
                }
            }
            None => None,
        };
        match unlinked.as_mut() {
            Some(own) => self.period_commission(out, own, c),
            None => self.period_commission(out, rules, c),
        }
        self.amount(out, line);
        if linked.is_some() {
            self.taken_back(out, c);
        }
    }

    /// A commission paid on its period's own figures: tiers or records, limits, and the caps
    /// and minimums over longer periods.
    fn period_commission(&self, out: &mut String, rules: &mut Rules, c: &Commission) {
        let raw = if c.per_record.is_some() {
            self.records(out, rules, c)
        } else {
            tier_lines(out, rules, c)
        };
        self.limits(out, rules, c, raw, true);
        let settled = if c.per_record.is_some() {
            self.state.per_record(self.rep, self.slot, c, rules)
        } else {
            rules.commission(c)
        };
        match settled {
            Ok(amount) => self.longer_limits(out, c, amount),
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
            }
        }
    }

    /// The clawback lines of returns taken back at the rate their sales' periods paid.
    fn taken_back(&self, out: &mut String, c: &Commission) {
        let period = self.period();
        for l in self.lines.iter().filter(|l| {
            l.period == period && l.name == c.name.text && l.component == "clawback" && l.rate.starts_with("returns of")
        }) {
            let _ = writeln!(
                out,
                "  {}: {} → {} (clawback line of payouts.csv)",
                l.rate,
                l.base.map(|b| self.money(b)).unwrap_or_default(),
                self.money(l.amount)
            );
        }
    }

    /// The caps and minimums over longer periods, as the run applies them to the period's
    /// `amount` (`run::limits`), from what the earlier periods paid.
    fn longer_limits(&self, out: &mut String, c: &Commission, amount: Decimal) {
        const PAID: [&str; 2] = ["commission", "clawback"];
        let period = self.period();
        let cal = &self.state.cal;
        let paid: Vec<(Period, Decimal)> = self
            .lines
            .iter()
            .filter(|l| {
                l.name == c.name.text
                    && PAID.contains(&l.component)
                    && l.period.kind == period.kind
                    && l.period.fiscal_year == period.fiscal_year
                    && cal.start(l.period) < cal.start(period)
            })
            .map(|l| (l.period, l.amount))
            .collect();
        let applied = match limits::apply_longer(c, period, cal, &paid, amount) {
            Ok((_, applied)) => applied,
            Err(_) => {
                let _ = writeln!(out, "  arithmetic overflow adding up what the commission paid");
                return;
            }
        };
        if !applied.is_empty() {
            let _ = writeln!(out, "  commission of the period {}", self.money(amount));
        }
        for a in applied {
            let (kind, outer) = match a.limit.per {
                PeriodKind::Month => ("monthly", "month"),
                PeriodKind::Quarter => ("quarterly", "quarter"),
                PeriodKind::Year => ("yearly", "fiscal year"),
            };
            let (_, earlier) = self.so_far(&PAID, &c.name.text, a.limit.per);
            let left = a.limit.amount.value - a.so_far;
            let (what, verdict) = match (a.minimum, a.from == a.to) {
                (false, true) => ("cap", "not reached".to_string()),
                (false, false) => (
                    "cap",
                    format!("the cap bit: {} → {}", self.money(a.from), self.money(a.to)),
                ),
                (true, true) => ("minimum", "already met".to_string()),
                (true, false) => (
                    "minimum",
                    format!("topped up: {} → {}", self.money(a.from), self.money(a.to)),
                ),
            };
            let left = if a.minimum { left } else { left.max(Decimal::ZERO) };
            let _ = writeln!(
                out,
                "  {kind} {what} {}: paid so far this {outer} {} ({earlier}), {} {}: {verdict}",
                a.limit.amount.text,
                self.money(a.so_far),
                if a.minimum { "short by" } else { "remains" },
                self.money(left),
            );
        }
    }

    /// The records of a `per record` commission's period, each with what it paid; their sum,
    /// or `None` when nothing more applies to it.
    fn records(&self, out: &mut String, rules: &mut Rules, c: &Commission) -> Option<Decimal> {
        let state = self.state;
        let base = rules.value(&c.base).map(|v| opt(&v)).unwrap_or_else(|e| e.message);
        let _ = writeln!(out, "  base {} = {base} this period", show(&c.base, Lang::En));
        let pays = match state.record_pays(self.rep, self.slot, c, true) {
            Ok(p) => p,
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
                return None;
            }
        };
        let file = state
            .record_bases
            .get(c.name.text.as_str())
            .map(|&(_, spec)| self.source_file(&state.specs[spec].source))
            .unwrap_or_default();
        let by =
            c.by.as_ref()
                .map(|e| show(e, Lang::En))
                .unwrap_or_else(|| "base".into());
        let _ = writeln!(
            out,
            "  per record: {} record(s) of {file}, each paid at the tier the year's running {by} reaches:",
            pays.len()
        );
        let amount = |d: Decimal| d.round_dp(6).normalize().to_string();
        let measure = |m: Option<Decimal>| m.map_or("empty".into(), amount);
        for p in pays.iter().take(RECORDS_SHOWN) {
            let _ = writeln!(
                out,
                "    {} line {}: {}, year so far {} → {}, {by} {} → {}: pays {}",
                p.day,
                p.line,
                amount(p.amount),
                amount(p.before.0),
                amount(p.after.0),
                measure(p.before.1),
                measure(p.after.1),
                amount(p.paid)
            );
        }
        if pays.len() > RECORDS_SHOWN {
            let rest = sum(pays.iter().skip(RECORDS_SHOWN).map(|p| p.paid));
            let rest = rest.map_or("(arithmetic overflow)".into(), amount);
            let _ = writeln!(
                out,
                "    and {} more record(s), paying {rest}",
                pays.len() - RECORDS_SHOWN
            );
        }
        let Some(total) = sum(pays.iter().map(|p| p.paid)) else {
            let _ = writeln!(out, "  arithmetic overflow");
            return None;
        };
        let _ = writeln!(out, "  records pay {}", amount(total));
        if total < Decimal::ZERO {
            let _ = match c.claws_back() {
                true => writeln!(out, "  returns outweigh sales: clawed back"),
                false => writeln!(
                    out,
                    "  returns outweigh sales: not clawed back without `claw back returns`, pays 0"
                ),
            };
            return None;
        }
        Some(total)
    }

    /// Gates, then minimums and caps as they apply to the tiers' payout `raw` (the yearly caps a
    /// run tracks across the periods are left out when `skip_tracked`).
    fn limits(&self, out: &mut String, rules: &mut Rules, c: &Commission, raw: Option<Decimal>, skip_tracked: bool) {
        for g in &c.gates {
            let _ = writeln!(out, "  gate {}: {}", show(&g.cond, Lang::En), decided(rules, &g.cond));
        }
        if !rules.gates_hold(c).unwrap_or(false) {
            let _ = writeln!(out, "  a gate does not hold: 0");
            return;
        }
        let Some(mut amount) = raw else { return };
        // A minimum over a longer period is made good over that period (`longer_limits`).
        for m in c.minimums.iter().filter(|m| !self.tracked(m)) {
            let how = if amount < m.amount.value {
                "raises it"
            } else {
                "not needed"
            };
            let _ = writeln!(out, "  minimum {} {}: {how}", m.amount.text, per_word(m.per));
            amount = amount.max(m.amount.value);
        }
        for cap in &c.caps {
            if skip_tracked && self.tracked(cap) {
                continue;
            }
            let how = if amount > cap.amount.value {
                "lowers it"
            } else {
                "not reached"
            };
            let _ = writeln!(out, "  cap {} {}: {how}", cap.amount.text, per_word(cap.per));
            amount = amount.min(cap.amount.value);
        }
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

/// The base and measure of a commission and the tier slices they pay; the tiers' payout, or
/// `None` when nothing more applies to it (an empty value, net returns).
fn tier_lines(out: &mut String, rules: &mut Rules, c: &Commission) -> Option<Decimal> {
    let base = rules.value(&c.base);
    let measure = match &c.by {
        Some(by) => rules.value(by),
        None => base.clone(),
    };
    let by =
        c.by.as_ref()
            .map(|e| format!(", measure {}", show(e, Lang::En)))
            .unwrap_or_default();
    let (b, m) = match (&base, &measure) {
        (Ok(Some(Value::Num(b))), Ok(Some(Value::Num(m)))) => (*b, *m),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(out, "  {}", e.message);
            return None;
        }
        _ => {
            let _ = writeln!(out, "  the base or the measure is empty: pays 0");
            return None;
        }
    };
    let _ = writeln!(
        out,
        "  base {} = {}{by} = {}",
        show(&c.base, Lang::En),
        b.normalize(),
        m.round_dp(6).normalize()
    );
    if b < Decimal::ZERO && c.claws_back() {
        let _ = writeln!(
            out,
            "  net returns: clawed back at the rate of the band the measure falls in"
        );
        return None;
    }
    let Ok(paid) = tiers::pay(c.mode, &crate::eval::rules::bands(c), b, m) else {
        let _ = writeln!(out, "  arithmetic overflow");
        return None;
    };
    for slice in &paid.slices {
        let range = show_range(&c.tiers[slice.band]);
        let _ = match slice.rate {
            Some(rate) => writeln!(
                out,
                "  {range}: {} × {}% = {}",
                slice.base.round_dp(2).normalize(),
                (rate * Decimal::ONE_HUNDRED).normalize(),
                slice.amount.round_dp(2).normalize()
            ),
            None => writeln!(out, "  {range}: fixed {}", slice.amount.normalize()),
        };
    }
    let _ = writeln!(out, "  tiers pay {}", paid.amount.round_dp(6).normalize());
    Some(paid.amount)
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
