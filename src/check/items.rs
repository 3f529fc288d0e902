//! The rules of each item: splits and phasing that add up to exactly 100%, positive weights,
//! tiers in order without gaps or overlaps, declared periods, and well-typed expressions.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::model::*;
use super::types::{Scope, Typer, list};
use crate::diagnostic::Diagnostic;
use crate::suggest::did_you_mean;
use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, MONTHS, QUARTERS};

pub fn check_items(policy: &Policy, cx: &mut Typer, diags: &mut Vec<Diagnostic>) {
    // Levels a target can be split or allocated from: targets, then each split's dimension.
    let mut levels: Vec<String> = policy
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Target(t) => Some(t.name.text.clone()),
            _ => None,
        })
        .collect();
    for item in &policy.items {
        match &item.kind {
            ItemKind::Target(t) => target(t, diags),
            ItemKind::Split(s) => {
                level(&s.parent, &levels, diags);
                dimension(cx, &s.by, diags);
                entries(&s.shares, "share", diags);
                adds_up_to_100(
                    s.shares.iter().map(|e| (&e.amount, e.span)),
                    item.span,
                    &format!("the shares of `{}` by `{}`", s.parent.text, s.by.text),
                    diags,
                );
                levels.push(s.by.text.clone());
            }
            ItemKind::Allocate(a) => {
                level(&a.parent, &levels, diags);
                dimension(cx, &a.by, diags);
                entries(&a.weights, "weight", diags);
            }
            ItemKind::Phase(p) => phase(p, item.span, cx, diags),
            ItemKind::Metric(_)
            | ItemKind::Header(_)
            | ItemKind::Calendar(_)
            | ItemKind::Source(_)
            | ItemKind::Prorate(_) => {}
            ItemKind::Score(s) => score(s, item.span, cx, diags),
            ItemKind::Grade(g) => {
                for rule in &g.rules {
                    cx.condition(&rule.cond, Scope::Rep);
                }
            }
            ItemKind::Commission(c) => commission(policy, c, cx, diags),
            ItemKind::Draw(d) => {
                positive(&d.amount, "a draw", diags);
                cx.period_declared(d.per, d.name.span);
                match cx.model.symbols.get(&d.against.text) {
                    Some(s) if s.kind == SymbolKind::Commission => {}
                    _ => {
                        let names: Vec<&str> = cx
                            .model
                            .symbols
                            .iter()
                            .filter(|(_, s)| s.kind == SymbolKind::Commission)
                            .map(|(n, _)| n.as_str())
                            .collect();
                        let help = match did_you_mean(&d.against.text, names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => {
                                "a draw is an advance against a `commission` of the policy; name it after `against`"
                                    .into()
                            }
                        };
                        diags.push(
                            Diagnostic::error(
                                "unknown-name",
                                d.against.span,
                                format!("unknown commission `{}`", d.against.text),
                            )
                            .label("not a commission")
                            .help(help),
                        );
                    }
                }
            }
            ItemKind::Bonus(b) => {
                let ty = cx.expr(&b.amount, Scope::Rep);
                if !matches!(ty, Type::Money | Type::Scalar | Type::Error) {
                    diags.push(
                        Diagnostic::error(
                            "type",
                            b.amount.span,
                            format!("a bonus pays an amount of money, not {}", ty.describe()),
                        )
                        .label(format!("this is {}", ty.describe()))
                        .help("write an amount, e.g. `5,000`, or an amount times a count, e.g. `300 * new_customers`"),
                    );
                }
                cx.period_declared(b.per, b.name.span);
                if let Some(c) = &b.cond {
                    cx.condition(c, Scope::Rep);
                }
            }
            ItemKind::Promotion(p) => {
                cx.period_declared(p.per, p.name.span);
                cx.condition(&p.cond, Scope::Rep);
            }
            ItemKind::Discipline(d) => {
                for m in &d.measures {
                    if let Some(amount) = &m.deduct {
                        positive(amount, "a deduction", diags);
                    }
                    cx.condition(&m.cond, Scope::Rep);
                    window(&m.window, cx, diags);
                }
            }
            ItemKind::Test(t) => test(t, cx, diags),
        }
    }
}

fn target(t: &Target, diags: &mut Vec<Diagnostic>) {
    positive(&t.amount, "a target", diags);
    let mut last: Option<&Revision> = None;
    for r in &t.revisions {
        positive(&r.amount, "a target", diags);
        if let Some(prev) = last
            && r.date.value <= prev.date.value
        {
            diags.push(
                Diagnostic::error("order", r.date.span, "revisions must be listed in date order")
                    .label(format!("not after {}", prev.date.value))
                    .related(prev.date.span, "the previous revision")
                    .help("list revisions from the earliest to the latest"),
            );
        }
        last = Some(r);
    }
}

fn positive(n: &Num, what: &str, diags: &mut Vec<Diagnostic>) {
    if n.value <= Decimal::ZERO {
        diags.push(
            Diagnostic::error("not-positive", n.span, format!("{what} must be more than zero"))
                .label(format!("`{}` is not positive", n.text))
                .help("remove the line instead of writing zero or a negative amount"),
        );
    }
}

fn level(parent: &Name, levels: &[String], diags: &mut Vec<Diagnostic>) {
    if !levels.contains(&parent.text) {
        let help = match did_you_mean(&parent.text, levels.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if levels.is_empty() => "define a `target` first, then split it".into(),
            None => format!(
                "split or allocate a target or a level split before this line: {}",
                list(levels)
            ),
        };
        diags.push(
            Diagnostic::error(
                "unknown-name",
                parent.span,
                format!("unknown target or level `{}`", parent.text),
            )
            .label("not split before this line")
            .help(help),
        );
    }
}

/// A dimension to split by: a field of the roster (region, channel, level…) or a text field
/// of a record source (product, customer segment…).
fn dimension(cx: &mut Typer, by: &Name, diags: &mut Vec<Diagnostic>) {
    let model = cx.model;
    let is_dimension = model.sources.values().any(|s| {
        s.fields
            .get(&by.text)
            .is_some_and(|f| s.is_roster || f.ty == FieldType::Text)
    });
    if is_dimension {
        return;
    }
    let mut candidates: Vec<String> = Vec::new();
    for s in model.sources.values() {
        for (name, f) in &s.fields {
            if (s.is_roster || f.ty == FieldType::Text) && !candidates.contains(name) {
                candidates.push(name.clone());
            }
        }
    }
    let help = match did_you_mean(&by.text, candidates.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None if candidates.is_empty() => "declare the salespeople and their attributes in a `roster` section".into(),
        None => format!(
            "split by a field of the roster or a text field of a source: {}",
            list(&candidates)
        ),
    };
    diags.push(
        Diagnostic::error(
            "unknown-name",
            by.span,
            format!("no roster or source field `{}` to split by", by.text),
        )
        .label("not a field")
        .help(help),
    );
}

fn entries(entries: &[Entry], what: &str, diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<&Entry> = Vec::new();
    for e in entries {
        if let Some(first) = seen.iter().find(|f| f.key.text == e.key.text) {
            diags.push(
                Diagnostic::error(
                    "duplicate",
                    e.key.span,
                    format!("`{}` is given a {what} twice", e.key.text),
                )
                .label("again")
                .related(first.key.span, "first here")
                .help(format!("give each value one {what}")),
            );
        } else {
            seen.push(e);
        }
        if e.amount.value <= Decimal::ZERO {
            diags.push(
                Diagnostic::error(
                    "not-positive",
                    e.amount.span,
                    format!("a {what} must be more than zero"),
                )
                .label(format!("`{}` is not positive", e.amount.text))
                .help(format!("remove `{}` if it should receive nothing", e.key.text)),
            );
        }
    }
}

/// Percentages that must add up to exactly 100%, compared in exact decimal.
fn adds_up_to_100<'n>(
    shares: impl Iterator<Item = (&'n Num, Span)>,
    whole: Span,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let mut total = Decimal::ZERO;
    let mut span: Option<Span> = None;
    for (n, s) in shares {
        total = total.checked_add(n.value).unwrap_or(Decimal::MAX);
        span = Some(span.map_or(s, |sp: Span| sp.to(s)));
    }
    if total != Decimal::ONE {
        let hundred = |d: Decimal| d.checked_mul(Decimal::ONE_HUNDRED).map(|p| p.normalize());
        let diff = Decimal::ONE.checked_sub(total).and_then(hundred);
        // Shares too large to add up as percentages are far too much, whatever their sum.
        let (pct, fix) = match (hundred(total), diff) {
            (Some(pct), Some(diff)) if diff > Decimal::ZERO => (format!("{pct}%"), format!("{diff}% is missing")),
            (Some(pct), Some(diff)) => (format!("{pct}%"), format!("{}% too much", -diff)),
            _ => ("far more than 100%".to_string(), "far too much".to_string()),
        };
        diags.push(
            Diagnostic::error(
                "shares-sum",
                span.unwrap_or(whole),
                format!("{what} add up to {pct}, not 100%"),
            )
            .label(format!("total {pct}"))
            .help(format!("{fix}; shares must add up to exactly 100%")),
        );
    }
}

fn phase(p: &Phase, whole: Span, cx: &mut Typer, diags: &mut Vec<Diagnostic>) {
    match cx.model.symbols.get(&p.target.text) {
        Some(s) if s.kind == SymbolKind::Target => {}
        _ => {
            let names: Vec<&str> = cx
                .model
                .symbols
                .iter()
                .filter(|(_, s)| s.kind == SymbolKind::Target)
                .map(|(n, _)| n.as_str())
                .collect();
            let help = match did_you_mean(&p.target.text, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "phase a yearly `target` of the policy".into(),
            };
            diags.push(
                Diagnostic::error(
                    "unknown-name",
                    p.target.span,
                    format!("unknown target `{}`", p.target.text),
                )
                .label("not a target")
                .help(help),
            );
        }
    }
    let expected: Vec<PhaseSlot> = match p.by {
        PeriodKind::Quarter => (1..=4).map(PhaseSlot::Quarter).collect(),
        _ => (1..=12).map(|m| PhaseSlot::Month(Month(m))).collect(),
    };
    let mut seen = BTreeSet::new();
    for s in &p.shares {
        let ok_kind = matches!(
            (p.by, s.slot),
            (PeriodKind::Quarter, PhaseSlot::Quarter(_)) | (PeriodKind::Month, PhaseSlot::Month(_))
        );
        if !ok_kind {
            let unit = if p.by == PeriodKind::Quarter {
                "quarters (`q1` … `q4`)"
            } else {
                "months (`jan` … `dec`)"
            };
            diags.push(
                Diagnostic::error("bad-phase", s.span, format!("this phasing is by {unit}"))
                    .label("wrong kind of period")
                    .help(format!("name {unit} only")),
            );
        }
        let key = format!("{:?}", s.slot);
        if !seen.insert(key) {
            diags.push(
                Diagnostic::error("duplicate", s.span, "this period is phased twice")
                    .label("again")
                    .help("give each period one share"),
            );
        }
        if s.share.value < Decimal::ZERO {
            diags.push(
                Diagnostic::error("not-positive", s.share.span, "a share cannot be negative")
                    .label("negative")
                    .help("write `0%` for a period with no target"),
            );
        }
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|slot| !p.shares.iter().any(|s| s.slot == **slot))
        .map(|slot| match slot {
            PhaseSlot::Month(m) => cx.kw(MONTHS[usize::from(m.0).clamp(1, 12) - 1]).to_string(),
            PhaseSlot::Quarter(q) => cx.kw(QUARTERS[usize::from(*q).clamp(1, 4) - 1]).to_string(),
        })
        .collect();
    if !missing.is_empty() {
        diags.push(
            Diagnostic::error(
                "bad-phase",
                p.target.span,
                format!("the phasing of `{}` leaves out {}", p.target.text, list(&missing)),
            )
            .label("incomplete phasing")
            .help("name every period of the year, with `0%` where there is no target"),
        );
    }
    adds_up_to_100(
        p.shares.iter().map(|s| (&s.share, s.span)),
        whole,
        &format!("the phasing of `{}`", p.target.text),
        diags,
    );
}

fn score(s: &Score, whole: Span, cx: &mut Typer, diags: &mut Vec<Diagnostic>) {
    for ind in &s.indicators {
        cx.numeric(&ind.expr, Scope::Rep, "a scorecard indicator");
        if ind.weight.value <= Decimal::ZERO {
            diags.push(
                Diagnostic::error("not-positive", ind.weight.span, "a weight must be more than zero")
                    .label(format!("`{}` is not positive", ind.weight.text))
                    .help("remove an indicator that should not count"),
            );
        }
        if let (Some(cap), Some(floor)) = (&ind.cap, &ind.floor)
            && cap.value < floor.value
        {
            diags.push(
                Diagnostic::error("order", cap.span, "the cap is below the floor")
                    .label(format!("cap {}", cap.text))
                    .related(floor.span, format!("floor {}", floor.text))
                    .help("the cap must be at least the floor"),
            );
        }
    }
    for g in &s.gates {
        cx.condition(&g.cond, Scope::Rep);
    }
    if !s.indicators.is_empty() {
        adds_up_to_100(
            s.indicators.iter().map(|i| (&i.weight, i.weight.span)),
            whole,
            "the scorecard weights",
            diags,
        );
    }
}

fn commission(policy: &Policy, c: &Commission, cx: &mut Typer, diags: &mut Vec<Diagnostic>) {
    let base = cx.expr(&c.base, Scope::Rep);
    if !matches!(base, Type::Money | Type::Error) {
        diags.push(
            Diagnostic::error(
                "type",
                c.base.span,
                format!("commission is paid on an amount of money, not on {}", base.describe()),
            )
            .label(format!("this is {}", base.describe()))
            .help("pay on an amount such as `revenue`, and measure the tiers `by attainment`"),
        );
    }
    let measure = match &c.by {
        Some(by) => cx.numeric(by, Scope::Rep, "a tier measure"),
        None => base,
    };
    if let Some(per) = c.per {
        cx.period_declared(per, c.name.span);
    }
    for g in &c.gates {
        cx.condition(&g.cond, Scope::Rep);
    }
    let period = c.per.unwrap_or(cx.model.calendar.assess);
    for limit in c.caps.iter().chain(&c.minimums) {
        if limit.amount.value < Decimal::ZERO {
            diags.push(
                Diagnostic::error("not-positive", limit.amount.span, "a cap or minimum cannot be negative")
                    .help("write a positive amount"),
            );
        }
        if limit.per < period {
            diags.push(
                Diagnostic::error(
                    "bad-limit",
                    limit.span,
                    "a limit cannot be for a shorter period than the commission is paid for",
                )
                .help("cap the commission per period it is paid for, or per longer period such as `yearly`"),
            );
        }
    }
    if c.per_record.is_some() {
        if let Err(why) = crate::eval::per_record::base(policy, c) {
            diags.push(
                Diagnostic::error(
                    "per-record",
                    c.base.span,
                    format!("the base of a `per record` commission {why}"),
                )
                    .label("not a sum of records")
                    .help("define the base as a metric, e.g. `metric revenue = sum of sales.amount where status = \"closed\"`, and pay `on revenue`"),
            );
        }
        if let Some(t) = c.tiers.iter().find(|t| !t.pay.is_percent()) {
            diags.push(
                Diagnostic::error(
                    "per-record",
                    t.pay.span,
                    "a `per record` commission pays each record at a rate, not a fixed amount",
                )
                .label("a fixed amount")
                .help("write the tier's pay as a percentage, or remove `per record`"),
            );
        }
    }
    if let (Some(ytd), Some(_)) = (c.year_to_date, c.per_record) {
        diags.push(
            Diagnostic::error("conflict", ytd, "`year to date` and `per record` cannot be combined")
                .help("per-record commission already runs on cumulative attainment; remove one of the two lines"),
        );
    }
    if let Some(span) = c.original_rate {
        original_rate(policy, c, span, diags);
    }
    tiers(c, measure, cx.kw(Kw::To), diags);
}

/// `claw back returns at the original rate` needs returns it can link to their sales, and a
/// commission paid period by period (the rate of a period is what it paid over its base).
fn original_rate(policy: &Policy, c: &Commission, span: Span, diags: &mut Vec<Diagnostic>) {
    if let Err(why) = crate::eval::returns::link(policy, c) {
        diags.push(
            Diagnostic::error("original-rate", span, why)
                .label("returns cannot be linked to their sales")
                .help("pay on a metric defined as a `sum of` one source's records, and mark that source's date of the original sale `original`, e.g. `sold_on  date  optional original`"),
        );
    }
    for (other, what) in [(c.year_to_date, "year to date"), (c.per_record, "per record")] {
        if other.is_some() {
            diags.push(
                Diagnostic::error(
                    "conflict",
                    span,
                    format!("`{what}` and `claw back returns at the original rate` cannot be combined"),
                )
                .help(format!(
                    "`{what}` already takes returns back at the rates the year paid; remove one of the two lines"
                )),
            );
        }
    }
    if c.claw_back_returns.is_some() {
        diags.push(
            Diagnostic::warning(
                "redundant",
                span,
                "`claw back returns at the original rate` already claws back the returns it cannot link",
            )
            .help("remove the `claw back returns` line"),
        );
    }
}

fn tiers(c: &Commission, measure: Type, to: &str, diags: &mut Vec<Diagnostic>) {
    if c.tiers.is_empty() {
        diags.push(
            Diagnostic::error(
                "no-tiers",
                c.name.span,
                format!("commission `{}` has no tiers", c.name.text),
            )
            .label("no rates")
            .help("add indented tier lines, e.g. `below 100%  4%` and `above 100%  6%`"),
        );
        return;
    }
    let percent_bounds = matches!(measure, Type::Percent);
    // A tier already reported (empty, or with bounds of the wrong kind) is left out of the gap
    // and overlap checks, which would only repeat the same mistake.
    let kind_ok = |b: &Num| measure == Type::Error || measure == Type::Scalar || b.is_percent() == percent_bounds;
    let sound: Vec<bool> = c
        .tiers
        .iter()
        .map(|t| {
            let ordered = match (&t.from, &t.to) {
                (Some(lo), Some(hi)) => lo.value < hi.value,
                _ => true,
            };
            ordered && t.from.iter().chain(t.to.iter()).all(kind_ok)
        })
        .collect();
    for (i, t) in c.tiers.iter().enumerate() {
        for b in t.from.iter().chain(t.to.iter()) {
            let is_percent = b.is_percent();
            if measure != Type::Error && measure != Type::Scalar && is_percent != percent_bounds {
                let (want, example) = if percent_bounds {
                    ("percentages", "`80%`")
                } else {
                    ("amounts", "`100,000`")
                };
                diags.push(
                    Diagnostic::error(
                        "type",
                        b.span,
                        format!("the tiers of `{}` are measured in {want}", c.name.text),
                    )
                    .label(format!("`{}` is not one of them", b.text))
                    .help(format!("write the bound as {want}, e.g. {example}")),
                );
            }
        }
        if let (Some(lo), Some(hi)) = (&t.from, &t.to)
            && lo.value >= hi.value
        {
            diags.push(
                Diagnostic::error(
                    "tier-order",
                    t.span,
                    format!("the tier `{} to {}` is empty", lo.text, hi.text),
                )
                .label("lower bound not below upper bound")
                .help("write the lower bound first"),
            );
        }
        if t.from.is_none() && i > 0 {
            diags.push(
                Diagnostic::error("tier-order", t.span, "a `below` tier must come first")
                    .label("not the first tier")
                    .help("order tiers from the lowest to the highest"),
            );
        }
        if t.to.is_none() && i + 1 < c.tiers.len() {
            diags.push(
                Diagnostic::error("tier-order", t.span, "an `above` tier must come last")
                    .label("tiers follow it")
                    .help("order tiers from the lowest to the highest"),
            );
        }
        if t.pay_to.is_some() && c.mode != TierMode::Interpolated {
            diags.push(
                Diagnostic::error("tier-rate", t.pay.span, "a range of rates needs `interpolated` tiers")
                    .label("a range of rates")
                    .help("write one rate per tier, or make the commission `interpolated`"),
            );
        }
        if t.pay.value < Decimal::ZERO || t.pay_to.as_ref().is_some_and(|p| p.value < Decimal::ZERO) {
            diags.push(
                Diagnostic::error("not-positive", t.pay.span, "a tier cannot pay a negative rate")
                    .help("write `0%` for a tier that pays nothing"),
            );
        }
        if i > 0 && sound[i] && sound[i - 1] {
            let prev = &c.tiers[i - 1];
            if let (Some(prev_hi), Some(lo)) = (&prev.to, &t.from) {
                if lo.value > prev_hi.value {
                    diags.push(
                        Diagnostic::error(
                            "tier-gap",
                            Span::new(prev_hi.span.start, lo.span.end),
                            format!("no tier covers {} to {}", prev_hi.text, lo.text),
                        )
                        .label("gap between these tiers")
                        .help(format!(
                            "start this tier at `{}`, or add a tier `{} {to} {}`",
                            prev_hi.text, prev_hi.text, lo.text
                        )),
                    );
                } else if lo.value < prev_hi.value {
                    diags.push(
                        Diagnostic::error(
                            "tier-overlap",
                            Span::new(lo.span.start, prev_hi.span.end.max(lo.span.end)),
                            format!("tiers overlap between {} and {}", lo.text, prev_hi.text),
                        )
                        .label("overlapping tiers")
                        .related(prev.span, "the tier before")
                        .help(format!(
                            "start this tier at `{}`, where the tier before ends",
                            prev_hi.text
                        )),
                    );
                }
            }
        }
    }
}

fn window(w: &Window, cx: &mut Typer, diags: &mut Vec<Diagnostic>) {
    match w {
        Window::In(per, span) => cx.period_declared(*per, *span),
        Window::InARow { count, per, span } => {
            cx.period_declared(*per, *span);
            if *count < 2 {
                diags.push(
                    Diagnostic::error("bad-window", *span, "a run `in a row` needs at least 2 periods")
                        .help("write `in a month` for a single period"),
                );
            }
        }
        Window::Times { count, within, span } => {
            cx.period_declared(*within, *span);
            if *count == 0 {
                diags.push(
                    Diagnostic::error("bad-window", *span, "`at least 0 times` always holds")
                        .help("count at least 1 time"),
                );
            }
            if *within <= cx.model.calendar.assess {
                diags.push(
                    Diagnostic::error(
                        "bad-window",
                        *span,
                        "the count must be within a period longer than the assessment period",
                    )
                    .help("count assessments within a quarter or a year"),
                );
            }
        }
    }
}

fn test(t: &Test, cx: &mut Typer, diags: &mut Vec<Diagnostic>) {
    for g in &t.givens {
        if let Some(path) = &g.name {
            if path.second.is_none() && !cx.model.symbols.contains_key(&path.first.text) {
                let names: Vec<&str> = cx.model.symbols.keys().map(String::as_str).collect();
                let help = match did_you_mean(&path.first.text, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a test can give values to metrics and `target`".into(),
                };
                diags.push(
                    Diagnostic::error(
                        "unknown-name",
                        path.first.span,
                        format!("test `{}` gives a value to unknown `{}`", t.name.value, path.first.text),
                    )
                    .label("not defined")
                    .help(help),
                );
            } else if path.second.is_some() {
                cx.expr(
                    &Expr {
                        kind: ExprKind::Path(path.clone()),
                        span: g.span,
                    },
                    Scope::Rep,
                );
            }
        }
    }
    if t.expects.is_empty() {
        let example = cx
            .model
            .symbols
            .iter()
            .find(|(_, s)| s.kind == SymbolKind::Commission)
            .or_else(|| cx.model.symbols.iter().next())
            .map_or("revenue".to_string(), |(n, _)| n.clone());
        diags.push(
            Diagnostic::error(
                "empty-test",
                t.name.span,
                format!("test `{}` expects nothing", t.name.value),
            )
            .label("no `expect` line")
            .help(format!("add a line such as `expect {example} = 3,600`")),
        );
    }
    for e in &t.expects {
        cx.condition(e, Scope::Rep);
    }
}
