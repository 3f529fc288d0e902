//! Printing items in the canonical layout.

use super::expr::expr;
use super::printer::{Printer, pad, width};
use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, Lang, MONTHS, QUARTERS};
use crate::syntax::layout::Comment;
use crate::syntax::literals::quote;

const INDENT: &str = "  ";
/// Lists longer than this are wrapped, a fixed number of entries per line.
const MAX_LINE: usize = 100;

pub fn print_policy(policy: &Policy, source: &str, comments: &[Comment], lang: Lang) -> String {
    let mut p = Printer::new(source, comments);
    let f = Fmt { lang };
    for item in &policy.items {
        f.item(&mut p, item);
    }
    let mut out = p.finish();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

struct Fmt {
    lang: Lang,
}

/// The span of an item's first line: from its start to its first sub-line.
fn head(item: &Item, first_sub: Option<Span>) -> Span {
    Span::new(
        item.span.start,
        first_sub.map_or(item.span.end, |s| s.start.max(item.span.start + 1) - 1),
    )
}

impl Fmt {
    fn kw(&self, k: Kw) -> &'static str {
        k.spelling(self.lang)
    }

    fn sep(&self) -> &'static str {
        if self.lang == Lang::Zh { "，" } else { ", " }
    }

    fn colon(&self) -> &'static str {
        if self.lang == Lang::Zh { "：" } else { ":" }
    }

    fn period(&self, p: PeriodKind) -> &'static str {
        self.kw(match p {
            PeriodKind::Month => Kw::Monthly,
            PeriodKind::Quarter => Kw::Quarterly,
            PeriodKind::Year => Kw::Yearly,
        })
    }

    fn month(&self, m: Month) -> &'static str {
        MONTHS
            .get(usize::from(m.0).saturating_sub(1))
            .map_or("?", |k| self.kw(*k))
    }

    fn e(&self, e: &Expr) -> String {
        expr(e, self.lang)
    }

    fn item(&self, p: &mut Printer, item: &Item) {
        let kw = |k| self.kw(k);
        match &item.kind {
            ItemKind::Header(h) => {
                let subs: Vec<(String, Span)> = h
                    .lines
                    .iter()
                    .map(|l| match l {
                        HeaderLine::Version(s) => (format!("{} {}", kw(Kw::Version), quote(&s.value)), s.span),
                        HeaderLine::Effective(d) => (format!("{} {}", kw(Kw::Effective), d.value), d.span),
                        HeaderLine::Currency(c) => (format!("{} {}", kw(Kw::Currency), c.text), c.span),
                        HeaderLine::Rounding { mode, unit, span } => {
                            let m = match mode {
                                RoundingMode::HalfUp => Kw::HalfUp,
                                RoundingMode::HalfEven => Kw::HalfEven,
                                RoundingMode::Down => Kw::Down,
                            };
                            (
                                format!("{} {} {} {}", kw(Kw::Rounding), kw(m), kw(Kw::To), unit.text),
                                *span,
                            )
                        }
                        HeaderLine::Approved { by, on } => (
                            format!(
                                "{} {} {} {}",
                                kw(Kw::ApprovedBy),
                                quote(&by.value),
                                kw(Kw::OnDate),
                                on.value
                            ),
                            by.span.to(on.span),
                        ),
                        HeaderLine::MidPeriod { rule, span } => {
                            let r = match rule {
                                MidPeriod::FromNextPeriod => Kw::FromNextPeriod,
                                MidPeriod::ProratedByDays => Kw::ProratedByDays,
                            };
                            (format!("{} {}", kw(Kw::MidPeriodChange), kw(r)), *span)
                        }
                    })
                    .collect();
                let first = subs.first().map(|s| s.1);
                p.line(
                    "",
                    &format!("{} {}", kw(Kw::Policy), quote(&h.name.value)),
                    head(item, first),
                );
                for (text, span) in subs {
                    p.line(INDENT, &text, span);
                }
            }
            ItemKind::Calendar(c) => {
                let subs: Vec<(String, Span)> = c
                    .lines
                    .iter()
                    .map(|l| match l {
                        CalendarLine::FiscalYearStarts { month, span } => {
                            (format!("{} {}", kw(Kw::FiscalYearStarts), self.month(*month)), *span)
                        }
                        CalendarLine::Assess { every, span } => {
                            (format!("{} {}", kw(Kw::Assess), self.period(*every)), *span)
                        }
                        CalendarLine::Review { every, span } => {
                            let list: Vec<&str> = every.iter().map(|k| self.period(*k)).collect();
                            (format!("{} {}", kw(Kw::Review), list.join(self.sep())), *span)
                        }
                    })
                    .collect();
                p.line("", kw(Kw::Calendar), head(item, subs.first().map(|s| s.1)));
                for (text, span) in subs {
                    p.line(INDENT, &text, span);
                }
            }
            ItemKind::Source(s) => {
                let word = if s.is_roster { kw(Kw::Roster) } else { kw(Kw::Source) };
                p.line(
                    "",
                    &format!("{word} {}", s.name.text),
                    head(item, s.fields.first().map(|f| f.span)),
                );
                let name_w = s.fields.iter().map(|f| width(&f.name.text)).max().unwrap_or(0);
                let types: Vec<&str> = s.fields.iter().map(|f| self.field_type(f.ty)).collect();
                let type_w = types.iter().map(|t| width(t)).max().unwrap_or(0);
                for (f, ty) in s.fields.iter().zip(types) {
                    let mut line = format!("{}  {}", pad(&f.name.text, name_w), pad(ty, type_w));
                    for (m, _) in &f.mods {
                        line.push_str("  ");
                        line.push_str(self.field_mod(*m));
                    }
                    p.line(INDENT, line.trim_end(), f.span);
                }
            }
            ItemKind::Target(t) => {
                let first = t.revisions.first().map(|r| r.span);
                p.line(
                    "",
                    &format!(
                        "{} {} {} {}",
                        kw(Kw::Target),
                        t.name.text,
                        t.amount.text,
                        self.period(t.per)
                    ),
                    head(item, first),
                );
                for r in &t.revisions {
                    p.line(
                        INDENT,
                        &format!(
                            "{} {} {} {} {} {}",
                            kw(Kw::Revised),
                            r.date.value,
                            kw(Kw::To),
                            r.amount.text,
                            kw(Kw::Because),
                            quote(&r.reason.value)
                        ),
                        r.span,
                    );
                }
            }
            ItemKind::Split(s) => {
                let lead = format!(
                    "{} {} {} {}{}",
                    kw(Kw::Split),
                    s.parent.text,
                    kw(Kw::By),
                    s.by.text,
                    self.colon()
                );
                let entries: Vec<String> = s.shares.iter().map(|e| self.entry(e)).collect();
                p.line("", &wrap(&lead, &entries, self.lang), item.span);
            }
            ItemKind::Allocate(a) => {
                let lead = format!(
                    "{} {} {} {}{}",
                    kw(Kw::Allocate),
                    a.parent.text,
                    kw(Kw::By),
                    a.by.text,
                    self.colon()
                );
                let entries: Vec<String> = a.weights.iter().map(|e| self.entry(e)).collect();
                p.line("", &wrap(&lead, &entries, self.lang), item.span);
            }
            ItemKind::Phase(ph) => {
                let unit = if ph.by == PeriodKind::Quarter {
                    Kw::Quarter
                } else {
                    Kw::Month
                };
                let lead = format!(
                    "{} {} {} {}{}",
                    kw(Kw::Phase),
                    ph.target.text,
                    kw(Kw::By),
                    kw(unit),
                    self.colon()
                );
                let entries: Vec<String> = ph
                    .shares
                    .iter()
                    .map(|s| {
                        let slot = match s.slot {
                            PhaseSlot::Month(m) => self.month(m),
                            PhaseSlot::Quarter(q) => self.kw(QUARTERS[usize::from(q.clamp(1, 4)) - 1]),
                        };
                        format!("{slot} {}", s.share.text)
                    })
                    .collect();
                p.line("", &wrap(&lead, &entries, self.lang), item.span);
            }
            ItemKind::Prorate(pr) => {
                let how = match pr {
                    Prorate::DaysEmployed => format!("{} {}", kw(Kw::By), kw(Kw::DaysEmployed)),
                    Prorate::None => kw(Kw::NoProration).to_string(),
                };
                p.line("", &format!("{} {how}", kw(Kw::Prorate)), item.span);
            }
            ItemKind::Metric(m) => {
                p.line(
                    "",
                    &format!("{} {} = {}", kw(Kw::Metric), m.name.text, self.e(&m.expr)),
                    item.span,
                );
            }
            ItemKind::Score(s) => self.score(p, item, s),
            ItemKind::Grade(g) => {
                let mut entries: Vec<String> = g
                    .rules
                    .iter()
                    .map(|r| format!("{} {} {}", r.grade.text, kw(Kw::If), self.e(&r.cond)))
                    .collect();
                entries.push(format!("{} {}", kw(Kw::Otherwise), g.otherwise.text));
                p.line("", &wrap(kw(Kw::Grade), &entries, self.lang), item.span);
            }
            ItemKind::Commission(c) => self.commission(p, item, c),
            ItemKind::Draw(d) => {
                let rec = if d.recoverable {
                    Kw::Recoverable
                } else {
                    Kw::NonRecoverable
                };
                p.line(
                    "",
                    &format!(
                        "{} {} {} {} {} {} {}",
                        kw(Kw::Draw),
                        d.name.text,
                        d.amount.text,
                        self.period(d.per),
                        kw(Kw::Against),
                        d.against.text,
                        kw(rec)
                    ),
                    item.span,
                );
            }
            ItemKind::Bonus(b) => {
                let word = if b.spif { kw(Kw::Spif) } else { kw(Kw::Bonus) };
                let mut line = format!("{word} {} {} {}", b.name.text, self.e(&b.amount), self.period(b.per));
                if let Some(c) = &b.cond {
                    line.push_str(&format!(" {} {}", kw(Kw::If), self.e(c)));
                }
                p.line("", &line, item.span);
            }
            ItemKind::Promotion(pr) => {
                p.line(
                    "",
                    &format!(
                        "{} {} {} {} {}",
                        kw(Kw::Promotion),
                        pr.name.text,
                        self.period(pr.per),
                        kw(Kw::If),
                        self.e(&pr.cond)
                    ),
                    item.span,
                );
            }
            ItemKind::Discipline(d) => {
                p.line("", kw(Kw::Discipline), head(item, d.measures.first().map(|m| m.span)));
                let heads: Vec<String> = d
                    .measures
                    .iter()
                    .map(|m| match &m.deduct {
                        Some(n) => format!("{} {} {}", m.name.text, kw(Kw::Deduct), n.text),
                        None => m.name.text.clone(),
                    })
                    .collect();
                let w = heads.iter().map(|h| width(h)).max().unwrap_or(0);
                for (m, h) in d.measures.iter().zip(heads) {
                    let line = format!(
                        "{}  {} {} {}",
                        pad(&h, w),
                        kw(Kw::If),
                        self.e(&m.cond),
                        self.window(&m.window)
                    );
                    p.line(INDENT, &line, m.span);
                }
            }
            ItemKind::Test(t) => {
                let first = t.givens.first().map(|g| g.span).or(t.expects.first().map(|e| e.span));
                p.line(
                    "",
                    &format!("{} {}", kw(Kw::Test), quote(&t.name.value)),
                    head(item, first),
                );
                if !t.givens.is_empty() {
                    let givens: Vec<String> = t
                        .givens
                        .iter()
                        .map(|g| {
                            let name = g.name.as_ref().map_or(kw(Kw::Target).to_string(), Path::display);
                            format!("{name} {}", self.e(&g.value))
                        })
                        .collect();
                    let span = t.givens.iter().skip(1).fold(t.givens[0].span, |s, g| s.to(g.span));
                    p.line(
                        INDENT,
                        &format!("{} {}", kw(Kw::Given), givens.join(&format!(" {} ", kw(Kw::And)))),
                        span,
                    );
                }
                for e in &t.expects {
                    p.line(INDENT, &format!("{} {}", kw(Kw::Expect), self.e(e)), e.span);
                }
            }
        }
    }

    fn entry(&self, e: &Entry) -> String {
        let key = if is_plain_name(&e.key.text) {
            e.key.text.clone()
        } else {
            quote(&e.key.text)
        };
        format!("{key} {}", e.amount.text)
    }

    fn field_type(&self, ty: FieldType) -> &'static str {
        self.kw(match ty {
            FieldType::Text => Kw::Text,
            FieldType::Money => Kw::Money,
            FieldType::Number => Kw::Number,
            FieldType::Percent => Kw::Percent,
            FieldType::Date => Kw::Date,
        })
    }

    fn field_mod(&self, m: FieldMod) -> &'static str {
        self.kw(match m {
            FieldMod::Key => Kw::Key,
            FieldMod::Salesperson => Kw::Salesperson,
            FieldMod::Dated => Kw::Dated,
            FieldMod::Optional => Kw::Optional,
            FieldMod::Id => Kw::Id,
            FieldMod::Hired => Kw::Hired,
            FieldMod::Left => Kw::Left,
            FieldMod::Original => Kw::Original,
        })
    }

    fn window(&self, w: &Window) -> String {
        match w {
            Window::In(per, _) => self.kw(in_a(*per)).to_string(),
            Window::InARow { count, per, .. } => {
                let unit = if *per == PeriodKind::Quarter {
                    Kw::QuartersInARow
                } else {
                    Kw::MonthsInARow
                };
                format!("{} {count} {}", self.kw(Kw::For), self.kw(unit))
            }
            Window::Times { count, within, .. } => {
                format!(
                    "{} {count} {} {}",
                    self.kw(Kw::AtLeast),
                    self.kw(Kw::Times),
                    self.kw(in_a(*within))
                )
            }
        }
    }

    fn score(&self, p: &mut Printer, item: &Item, s: &Score) {
        // Indicators and gates keep their written order.
        let mut lines: Vec<(Span, Option<&Indicator>, Option<&Gate>)> = s
            .indicators
            .iter()
            .map(|i| (i.span, Some(i), None))
            .chain(s.gates.iter().map(|g| (g.span, None, Some(g))))
            .collect();
        lines.sort_by_key(|l| l.0.start);
        p.line("", self.kw(Kw::Score), head(item, lines.first().map(|l| l.0)));
        let exprs: Vec<String> = s.indicators.iter().map(|i| self.e(&i.expr)).collect();
        let w = exprs.iter().map(|e| width(e)).max().unwrap_or(0);
        let weight_w = s.indicators.iter().map(|i| width(&i.weight.text)).max().unwrap_or(0);
        for (span, ind, gate) in lines {
            if let Some(ind) = ind {
                let idx = s.indicators.iter().position(|x| std::ptr::eq(x, ind)).unwrap_or(0);
                let mut line = format!(
                    "{}  {} {}",
                    pad(&exprs[idx], w),
                    self.kw(Kw::Weight),
                    pad(&ind.weight.text, weight_w)
                );
                if let Some(cap) = &ind.cap {
                    line.push_str(&format!("  {} {}", self.kw(Kw::Cap), cap.text));
                }
                if let Some(floor) = &ind.floor {
                    line.push_str(&format!("  {} {}", self.kw(Kw::Floor), floor.text));
                }
                p.line(INDENT, line.trim_end(), span);
            } else if let Some(g) = gate {
                p.line(INDENT, &format!("{} {}", self.kw(Kw::Gate), self.e(&g.cond)), span);
            }
        }
    }

    fn commission(&self, p: &mut Printer, item: &Item, c: &Commission) {
        let kw = |k| self.kw(k);
        let mode = match c.mode {
            TierMode::Marginal => Kw::Marginal,
            TierMode::Retroactive => Kw::Retroactive,
            TierMode::Interpolated => Kw::Interpolated,
        };
        let mut head_text = format!(
            "{} {} {} {}",
            kw(Kw::Commission),
            c.name.text,
            kw(Kw::OnBase),
            self.e(&c.base)
        );
        if let Some(by) = &c.by {
            head_text.push_str(&format!(" {} {}", kw(Kw::By), self.e(by)));
        }
        head_text.push_str(&format!(" {}", kw(mode)));
        if let Some(per) = c.per {
            head_text.push_str(&format!(" {}", self.period(per)));
        }
        // Sub-lines in written order.
        let mut subs: Vec<(Span, String)> = Vec::new();
        let ranges: Vec<String> = c
            .tiers
            .iter()
            .map(|t| match (&t.from, &t.to) {
                (None, Some(hi)) => format!("{} {}", kw(Kw::Below), hi.text),
                (Some(lo), Some(hi)) => format!("{} {} {}", lo.text, kw(Kw::To), hi.text),
                (Some(lo), None) => format!("{} {}", kw(Kw::Above), lo.text),
                (None, None) => String::new(),
            })
            .collect();
        let w = ranges.iter().map(|r| width(r)).max().unwrap_or(0);
        for (t, r) in c.tiers.iter().zip(&ranges) {
            let mut pay = t.pay.text.clone();
            if let Some(to) = &t.pay_to {
                pay.push_str(&format!(" {} {}", kw(Kw::To), to.text));
            }
            subs.push((t.span, format!("{}  {pay}", pad(r, w))));
        }
        for l in &c.caps {
            subs.push((
                l.span,
                format!("{} {} {}", kw(Kw::Cap), l.amount.text, self.period(l.per)),
            ));
        }
        for l in &c.minimums {
            subs.push((
                l.span,
                format!("{} {} {}", kw(Kw::Minimum), l.amount.text, self.period(l.per)),
            ));
        }
        for g in &c.gates {
            subs.push((g.span, format!("{} {}", kw(Kw::Gate), self.e(&g.cond))));
        }
        if let Some(s) = c.year_to_date {
            subs.push((s, kw(Kw::YearToDate).into()));
        }
        if let Some(s) = c.per_record {
            subs.push((s, kw(Kw::PerRecord).into()));
        }
        if let Some(s) = c.claw_back_returns {
            subs.push((s, kw(Kw::ClawBackReturns).into()));
        }
        if let Some(s) = c.original_rate {
            subs.push((s, kw(Kw::ClawBackAtOriginalRate).into()));
        }
        subs.sort_by_key(|s| s.0.start);
        p.line("", &head_text, head(item, subs.first().map(|s| s.0)));
        for (span, text) in subs {
            p.line(INDENT, &text, span);
        }
    }
}

fn in_a(per: PeriodKind) -> Kw {
    match per {
        PeriodKind::Month => Kw::InAMonth,
        PeriodKind::Quarter => Kw::InAQuarter,
        PeriodKind::Year => Kw::InAYear,
    }
}

/// `lead` followed by the entries, on one line if it fits, otherwise six entries a line.
/// Chinese files use full-width punctuation: `，` between entries.
fn wrap(lead: &str, entries: &[String], lang: Lang) -> String {
    let (sep, end) = match lang {
        Lang::En => (", ", ","),
        Lang::Zh => ("，", "，"),
    };
    let one = format!("{lead} {}", entries.join(sep));
    if width(&one) <= MAX_LINE {
        return one;
    }
    let mut out = lead.to_string();
    for (i, chunk) in entries.chunks(6).enumerate() {
        out.push('\n');
        out.push_str(INDENT);
        out.push_str(&chunk.join(sep));
        if (i + 1) * 6 < entries.len() {
            out.push_str(end);
        }
    }
    out
}

/// Whether a value can be written without quotes.
fn is_plain_name(s: &str) -> bool {
    let reparsed = crate::syntax::parse(&format!("split a by b: {s} 1%\n"));
    reparsed.diagnostics.is_empty()
        && matches!(reparsed.policy.items.first().map(|i| &i.kind), Some(ItemKind::Split(sp)) if sp.shares.first().is_some_and(|e| e.key.text == s))
}
