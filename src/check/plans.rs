//! Warnings about plans that pay perversely: cliffs at retroactive tier boundaries, caps that
//! make a tier unreachable, tiers that a gate rules out, tiers and grades above the highest
//! possible score. All arithmetic is exact; nothing here can fail a check, only warn.

use rust_decimal::Decimal;

use super::model::Model;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::keywords::Lang;

/// The base used to show the size of a cliff when bands are measured as a ratio.
const EXAMPLE_BASE: i64 = 100_000;

pub fn warn(policy: &Policy, _model: &Model, diags: &mut Vec<Diagnostic>) {
    let max_score = policy.items.iter().find_map(|i| match &i.kind {
        ItemKind::Score(s) => max_score(s),
        _ => None,
    });
    for item in &policy.items {
        match &item.kind {
            ItemKind::Commission(c) => {
                cliffs(c, diags);
                capped_tiers(c, diags);
                gated_tiers(c, diags);
                if let (Some(max), Some(by)) = (max_score, &c.by)
                    && matches!(strip(by).kind, ExprKind::Score)
                {
                    for t in &c.tiers {
                        if let Some(lo) = &t.from
                            && lo.value > max
                        {
                            diags.push(
                                Diagnostic::warning("tier-unreachable", t.span, "this tier can never be reached")
                                    .label(format!("starts above the highest possible score, {}", pct(max)))
                                    .help("the scorecard caps limit the score; lower the tier or raise the caps"),
                            );
                        }
                    }
                }
            }
            ItemKind::Grade(g) => grades(g, max_score, diags),
            _ => {}
        }
    }
}

fn strip(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip(inner),
        _ => e,
    }
}

fn pct(v: Decimal) -> String {
    match v.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{}%", p.normalize()),
        // Too large to be written as a percentage: written as the fraction it is.
        None => v.normalize().to_string(),
    }
}

fn money(v: Decimal) -> String {
    let v = v.round_dp(2).normalize();
    let s = v.abs().to_string();
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < Decimal::ZERO { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// In retroactive tiers the whole base is paid at the rate of the band reached, so crossing a
/// boundary changes the pay for every unit sold before it.
fn cliffs(c: &Commission, diags: &mut Vec<Diagnostic>) {
    let fixed_steps = c.mode == TierMode::Marginal && c.tiers.iter().any(|t| !t.pay.is_percent());
    if c.mode != TierMode::Retroactive && !fixed_steps {
        return;
    }
    let measure = c.by.as_ref().map_or("the base".to_string(), |by| {
        format!("`{}`", crate::format::expr::expr(by, Lang::En))
    });
    for pair in c.tiers.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let Some(boundary) = &after.from else { continue };
        // The sizes shown are examples: where one would not fit an exact decimal (a policy of
        // absurd numbers), the label says what happens without it.
        let delta = after.pay.value.checked_sub(before.pay.value);
        let jump_text = if before.pay.is_percent() && after.pay.is_percent() {
            if delta.is_some_and(|d| d.is_zero()) {
                continue;
            }
            let whole = format!(
                "the whole base is paid {} instead of {}",
                after.pay.text, before.pay.text
            );
            match &c.by {
                None => match delta.and_then(|d| boundary.value.checked_mul(d)) {
                    Some(jump) => format!(
                        "at {} {whole}: one more unit of sales changes the payout by {}",
                        boundary.text,
                        money(jump)
                    ),
                    None => format!("at {} {whole}", boundary.text),
                },
                Some(_) => {
                    let example = Decimal::from(EXAMPLE_BASE).checked_mul(boundary.value);
                    match (delta, example, example.zip(delta).and_then(|(e, d)| e.checked_mul(d))) {
                        (Some(delta), Some(example), Some(jump)) => format!(
                            "when {measure} reaches {} {whole}: one more unit of sales there changes the payout by {} of the whole base ({} when the base is {})",
                            boundary.text,
                            pct(delta),
                            money(jump),
                            money(example)
                        ),
                        _ => format!("when {measure} reaches {} {whole}", boundary.text),
                    }
                }
            }
        } else if !before.pay.is_percent() && !after.pay.is_percent() {
            match delta {
                Some(d) if d.is_zero() => continue,
                Some(d) => format!(
                    "at {} the payout steps from {} to {}: one more unit of sales changes it by {}",
                    boundary.text,
                    before.pay.text,
                    after.pay.text,
                    money(d)
                ),
                None => format!(
                    "at {} the payout steps from {} to {}",
                    boundary.text, before.pay.text, after.pay.text
                ),
            }
        } else {
            format!(
                "at {} the payout changes from {} to {} in one step",
                boundary.text, before.pay.text, after.pay.text
            )
        };
        let falls = after.pay.value < before.pay.value && before.pay.is_percent() == after.pay.is_percent();
        let (message, help) = if falls {
            (
                "more sales pay less at this tier boundary",
                "a higher tier should not pay a lower rate; check the rates, or use `marginal` tiers",
            )
        } else {
            (
                "a cliff at this tier boundary",
                "`marginal` tiers pay each slice at its own rate and have no cliff; `interpolated` tiers rise smoothly",
            )
        };
        diags.push(
            Diagnostic::warning("cliff", boundary.span, message)
                .label(jump_text)
                .help(help),
        );
    }
}

/// The payout at the start of each tier when bands are on the base amount itself; a tier that
/// starts where the cap is already reached can never pay.
fn capped_tiers(c: &Commission, diags: &mut Vec<Diagnostic>) {
    if c.by.is_some() || c.tiers.iter().any(|t| !t.pay.is_percent()) {
        return;
    }
    let Some(cap) = c.caps.iter().min_by_key(|l| l.amount.value) else {
        return;
    };
    let mut paid_below = Decimal::ZERO;
    let mut prev_hi = Decimal::ZERO;
    for t in &c.tiers {
        let lo = t.from.as_ref().map_or(Decimal::ZERO, |n| n.value);
        // Past what an exact decimal holds, the cap is reached long before: nothing to say
        // that the numbers themselves do not.
        let Some(at_start) = (match c.mode {
            TierMode::Retroactive => lo.checked_mul(t.pay.value),
            _ => Some(paid_below),
        }) else {
            return;
        };
        if t.from.is_some() && at_start >= cap.amount.value {
            diags.push(
                Diagnostic::warning("cap-unreachable", t.span, "the cap is reached before this tier starts")
                    .label(format!(
                        "pays {} at {}, over the cap",
                        money(at_start),
                        t.from.as_ref().map_or("", |n| n.text.as_str())
                    ))
                    .related(cap.span, format!("cap {}", cap.amount.text))
                    .help("raise the cap or lower the tier; as written, this tier's rate is never paid"),
            );
            return;
        }
        if let Some(hi) = &t.to {
            let slice = hi.value.checked_sub(lo.max(prev_hi)).map(|w| w.max(Decimal::ZERO));
            let Some(paid) = slice
                .and_then(|w| w.checked_mul(t.pay.value))
                .and_then(|p| paid_below.checked_add(p))
            else {
                return;
            };
            paid_below = paid;
            prev_hi = hi.value;
        }
    }
}

/// `gate attainment >= 90%` makes every tier below 90% unreachable.
fn gated_tiers(c: &Commission, diags: &mut Vec<Diagnostic>) {
    let measure = c.by.as_ref().unwrap_or(&c.base);
    for g in &c.gates {
        let Some((op, bound)) = bound_on(&g.cond, measure) else {
            continue;
        };
        for t in &c.tiers {
            let unreachable = match op {
                BinaryOp::Ge | BinaryOp::Gt => t.to.as_ref().is_some_and(|hi| hi.value <= bound),
                BinaryOp::Le => t.from.as_ref().is_some_and(|lo| lo.value > bound),
                BinaryOp::Lt => t.from.as_ref().is_some_and(|lo| lo.value >= bound),
                _ => false,
            };
            if unreachable {
                diags.push(
                    Diagnostic::warning("tier-unreachable", t.span, "this tier can never be reached")
                        .label("ruled out by the gate")
                        .related(g.span, "the gate")
                        .help("remove the tier, or change the gate"),
                );
            }
        }
    }
}

/// `measure OP literal`, when the left side is the same expression as `measure`.
fn bound_on(cond: &Expr, measure: &Expr) -> Option<(BinaryOp, Decimal)> {
    match &strip(cond).kind {
        ExprKind::Binary(op, l, r) if op.is_comparison() && strip(l) == strip(measure) => match &strip(r).kind {
            ExprKind::Percent(n) | ExprKind::Number(n) => Some((*op, n.value)),
            _ => None,
        },
        _ => None,
    }
}

/// The highest score possible when every indicator has a cap.
fn max_score(s: &Score) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for i in &s.indicators {
        total = total.checked_add(i.weight.value.checked_mul(i.cap.as_ref()?.value)?)?;
    }
    Some(total)
}

fn grades(g: &Grade, max: Option<Decimal>, diags: &mut Vec<Diagnostic>) {
    let score = Expr {
        kind: ExprKind::Score,
        span: Span::default(),
    };
    let mut earlier: Vec<(Decimal, &GradeRule)> = Vec::new();
    for rule in &g.rules {
        let Some((op, bound)) = bound_on(&rule.cond, &score) else {
            continue;
        };
        if !matches!(op, BinaryOp::Ge | BinaryOp::Gt) {
            continue;
        }
        if let Some((_, shadow)) = earlier.iter().find(|(b, _)| *b <= bound) {
            diags.push(
                Diagnostic::warning(
                    "grade-unreachable",
                    rule.span,
                    format!("grade `{}` can never be given", rule.grade.text),
                )
                .label("every score that meets this already got an earlier grade")
                .related(shadow.span, format!("grade `{}` comes first", shadow.grade.text))
                .help("list grades from the highest threshold to the lowest"),
            );
        } else if let Some(max) = max
            && bound > max
        {
            diags.push(
                Diagnostic::warning(
                    "grade-unreachable",
                    rule.span,
                    format!("grade `{}` can never be given", rule.grade.text),
                )
                .label(format!("the highest possible score is {}", pct(max)))
                .help("the scorecard caps limit the score; lower the threshold or raise the caps"),
            );
        }
        earlier.push((bound, rule));
    }
}
