//! The rules for every salesperson and period of a run: period by period, the roster in
//! chunks on the cores, each period's lines handed to the sink in roster order.

use rust_decimal::Decimal;

use super::*;
use crate::money;
use crate::syntax::ast::*;

/// The policy's items as the rules go through them, for every salesperson and period.
struct Items<'p> {
    items: Vec<&'p ItemKind>,
    metrics: Vec<&'p Metric>,
    has_score: bool,
    has_grade: bool,
    assess: PeriodKind,
    /// The run's own period: its lines are shown, earlier ones only computed.
    show: (jiff::civil::Date, jiff::civil::Date),
    /// By item, the conditions of its measures as a measure line shows them: one for a
    /// promotion, one per measure of a discipline, none for the rest. Written out once, not
    /// once a line.
    evidence: Vec<Vec<String>>,
}

impl Items<'_> {
    /// Whether a slot's lines are shown: it lies within the run's own period.
    fn shows(&self, s: &Slot) -> bool {
        s.start >= self.show.0 && s.end <= self.show.1
    }
}

pub(super) fn evaluate(state: &State, sink: &mut dyn LineSink) -> Result<(), RunError> {
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
        evidence: items.iter().map(|kind| evidence(kind)).collect(),
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
        let chunks = (balances.chunks_mut(size).enumerate()).map(|(i, bal)| (i * size..i * size + bal.len(), bal));
        let results = crate::eval::on_threads(chunks, |(range, bal)| evaluate_slot(state, &what, slot, range, bal));
        for lines in results {
            sink.take(lines?)?;
        }
    }
    Ok(())
}

/// The conditions of an item's measures, as its measure lines show them.
fn evidence(kind: &ItemKind) -> Vec<String> {
    let text = |cond: &Expr| crate::format::expr::expr(cond, Lang::En);
    match kind {
        ItemKind::Promotion(p) => vec![text(&p.cond)],
        ItemKind::Discipline(d) => d.measures.iter().map(|m| text(&m.cond)).collect(),
        _ => Vec::new(),
    }
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
    // Each commission's net pay this period, for the draws set against it.
    let mut commissions: Vec<(&str, Decimal)> = Vec::new();
    for (index, kind) in items.iter().enumerate() {
        match kind {
            ItemKind::Commission(c) if c.per.unwrap_or(assess) == period.kind => {
                let paid = commission::pay(&place, &mut rules, c, bal).map_err(fail)?;
                commissions.push((&c.name.text, paid.net));
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
                    evidence: what.evidence[index][0].clone(),
                });
            }
            ItemKind::Discipline(d) => {
                for (which, m) in d.measures.iter().enumerate() {
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
                            update(&mut bal.streak, &m.name.text, |s| *s = if hit { 0 } else { n });
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
                            evidence: what.evidence[index][which].clone(),
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
        let earned = (commissions.iter())
            .find(|(name, _)| *name == d.against.text)
            .map_or(Decimal::ZERO, |(_, net)| *net);
        let overflow = |_| {
            fail(EvalError {
                message: "arithmetic overflow in the draw's balance".into(),
                span: d.name.span,
            })
        };
        let owed = bal.draw_balance.get(&d.name.text).copied().unwrap_or_default();
        if earned < d.amount.value {
            let advance = money::sub(d.amount.value, earned).map_err(overflow)?;
            lines.push(line("draw", &d.name.text, Some(earned), "top-up to the draw", advance));
            if d.recoverable {
                let owed = money::add(owed, advance).map_err(overflow)?;
                update(&mut bal.draw_balance, &d.name.text, |b| *b = owed);
            }
        } else if d.recoverable {
            let recovered = owed.min(money::sub(earned, d.amount.value).map_err(overflow)?);
            if recovered > Decimal::ZERO {
                lines.push(line(
                    "draw",
                    &d.name.text,
                    Some(earned),
                    "recovery of earlier advances",
                    -recovered,
                ));
                // At most what was owed: nothing to overflow.
                update(&mut bal.draw_balance, &d.name.text, |b| *b = owed - recovered);
            }
        }
    }
    if shown {
        // An empty metric is an empty cell; any error fails the run, naming the metric.
        let mut values = cells::Cells::with_capacity(if run.metric_values { metrics.len() } else { 0 });
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
