//! Collecting definitions: the header and calendar facts, sources and their fields, and the
//! names of targets, metrics and incentives. Duplicates are reported here.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::*;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::*;

/// The active ISO 4217 currency codes.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP \
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ \
GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD \
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR \
RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH \
UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG";

fn duplicate(what: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error("duplicate", span, format!("{what} `{name}` is defined twice"))
        .label("second definition")
        .related(first, "first defined here")
        .help(format!(
            "give one of them another name, or remove one; each {what} is defined once"
        ))
}

pub fn collect(policy: &Policy, text: &str, diags: &mut Vec<Diagnostic>) -> Model {
    let mut header: Option<(HeaderFacts, Span)> = None;
    let mut calendar: Option<(CalendarFacts, Span)> = None;
    let mut sources: BTreeMap<String, SourceInfo> = BTreeMap::new();
    let mut roster: Option<(String, Span)> = None;
    let mut symbols: BTreeMap<String, Symbol> = BTreeMap::new();
    let mut grades = Vec::new();
    let mut measures: Vec<String> = Vec::new();
    let mut singletons: BTreeMap<&'static str, Span> = BTreeMap::new();
    let mut tests: BTreeMap<String, Span> = BTreeMap::new();

    if policy.items.is_empty() {
        diags.push(
            Diagnostic::error("empty-policy", Span::new(0, 0), "the policy has no items")
                .help("a policy starts with `policy \"<name>\"` followed by its version, effective date and rules"),
        );
    }

    for (index, item) in policy.items.iter().enumerate() {
        let mut define = |name: &Name, kind: SymbolKind, diags: &mut Vec<Diagnostic>| {
            if let Some(first) = symbols.get(&name.text) {
                let what = if first.kind == kind {
                    kind.describe().to_string()
                } else {
                    "name".to_string()
                };
                diags.push(duplicate(&what, &name.text, name.span, first.span));
            } else {
                symbols.insert(
                    name.text.clone(),
                    Symbol {
                        kind,
                        item: index,
                        span: name.span,
                    },
                );
            }
        };
        let head_span = first_line(item, text);
        let mut single = |what: &'static str, diags: &mut Vec<Diagnostic>| {
            if let Some(first) = singletons.get(what) {
                diags.push(
                    Diagnostic::error("duplicate", head_span, format!("the policy has two `{what}` sections"))
                        .label("second section")
                        .related(*first, "first section")
                        .help(format!("merge the two `{what}` sections into one")),
                );
                false
            } else {
                singletons.insert(what, head_span);
                true
            }
        };
        match &item.kind {
            ItemKind::Header(h) => {
                if single("policy", diags) {
                    header = Some((header_facts(h, diags), head_span));
                }
            }
            ItemKind::Calendar(c) => {
                if single("calendar", diags) {
                    calendar = Some((calendar_facts(c, diags), head_span));
                }
            }
            ItemKind::Score(_) => {
                single("score", diags);
            }
            ItemKind::Grade(g) => {
                if single("grade", diags) {
                    for level in g.rules.iter().map(|r| &r.grade).chain(std::iter::once(&g.otherwise)) {
                        if grades.contains(&level.text) {
                            diags.push(
                                Diagnostic::error(
                                    "duplicate",
                                    level.span,
                                    format!("grade `{}` is listed twice", level.text),
                                )
                                .label("listed again")
                                .help("each grade level appears once, best first"),
                            );
                        } else {
                            grades.push(level.text.clone());
                        }
                    }
                }
            }
            ItemKind::Prorate(_) => {
                single("prorate", diags);
            }
            ItemKind::Discipline(d) => {
                if single("discipline", diags) {
                    for m in &d.measures {
                        if measures.contains(&m.name.text) {
                            diags.push(
                                Diagnostic::error(
                                    "duplicate",
                                    m.name.span,
                                    format!("measure `{}` is listed twice", m.name.text),
                                )
                                .label("listed again")
                                .help("list each measure once, in rising severity; combine its conditions with `or`"),
                            );
                        } else {
                            measures.push(m.name.text.clone());
                        }
                    }
                }
            }
            ItemKind::Source(s) => {
                if let Some(first) = sources.get(&s.name.text) {
                    diags.push(duplicate("source", &s.name.text, s.name.span, first.span));
                    continue;
                }
                if s.is_roster {
                    if let Some((first, first_span)) = &roster {
                        diags.push(
                            Diagnostic::error(
                                "duplicate",
                                s.name.span,
                                format!("a second roster `{}`; the roster is `{first}`", s.name.text),
                            )
                            .related(*first_span, "the roster")
                            .help("a policy has one roster; declare other record sets with `source`"),
                        );
                    } else {
                        roster = Some((s.name.text.clone(), s.name.span));
                    }
                }
                sources.insert(s.name.text.clone(), source_info(s, index, diags));
            }
            ItemKind::Target(t) => define(&t.name, SymbolKind::Target, diags),
            ItemKind::Metric(m) => define(&m.name, SymbolKind::Metric, diags),
            ItemKind::Commission(c) => define(&c.name, SymbolKind::Commission, diags),
            ItemKind::Draw(d) => define(&d.name, SymbolKind::Draw, diags),
            ItemKind::Bonus(b) => define(&b.name, SymbolKind::Bonus, diags),
            ItemKind::Promotion(p) => define(&p.name, SymbolKind::Promotion, diags),
            ItemKind::Test(t) => {
                if let Some(first) = tests.get(&t.name.value) {
                    diags.push(duplicate("test", &t.name.value, t.name.span, *first));
                } else {
                    tests.insert(t.name.value.clone(), t.name.span);
                }
            }
            ItemKind::Split(_) | ItemKind::Allocate(_) | ItemKind::Phase(_) => {}
        }
    }

    let header = match header {
        Some((h, _)) => h,
        None => {
            if !policy.items.is_empty() {
                diags.push(
                    Diagnostic::error("missing-header", Span::new(0, 0), "the policy has no `policy` header")
                        .help("start the file with `policy \"<name>\"` and indented `version`, `effective` and `currency` lines"),
                );
            }
            HeaderFacts::defaults(String::new())
        }
    };
    let calendar = calendar.map(|(c, _)| c).unwrap_or(CalendarFacts {
        fiscal_start: Month(1),
        assess: PeriodKind::Month,
        reviews: Vec::new(),
    });
    Model {
        header,
        calendar,
        sources,
        roster: roster.map(|(r, _)| r),
        symbols,
        metric_types: BTreeMap::new(),
        grades,
        measures,
    }
}

/// The span of an item's first line, without its comment: what points at a whole section.
fn first_line(item: &Item, text: &str) -> Span {
    let rest = text.get(item.span.start..item.span.end).unwrap_or("");
    let line = rest.lines().next().unwrap_or("");
    let code = line.split(" #").next().unwrap_or(line).trim_end();
    Span::new(item.span.start, item.span.start + code.len().max(1))
}

fn header_facts(h: &Header, diags: &mut Vec<Diagnostic>) -> HeaderFacts {
    let mut facts = HeaderFacts::defaults(h.name.value.clone());
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for line in &h.lines {
        let (what, span) = match line {
            HeaderLine::Version(s) => {
                facts.version = Some(s.value.clone());
                ("version", s.span)
            }
            HeaderLine::Effective(d) => {
                facts.effective = Some(d.value);
                ("effective", d.span)
            }
            HeaderLine::Currency(c) => {
                facts.currency = Some(c.text.clone());
                if !ISO_4217.split(' ').any(|code| code == c.text) {
                    let help = if c.text.eq_ignore_ascii_case("RMB") {
                        "the ISO 4217 code of the renminbi is `CNY`".to_string()
                    } else {
                        let upper = c.text.to_uppercase();
                        match ISO_4217.split(' ').find(|code| *code == upper) {
                            Some(code) => format!("write the code in capitals: `{code}`"),
                            None => "write the three-letter ISO 4217 code, e.g. `CNY`, `USD`, `EUR`".to_string(),
                        }
                    };
                    diags.push(
                        Diagnostic::error("bad-currency", c.span, format!("`{}` is not a currency code", c.text))
                            .label("not an ISO 4217 code")
                            .help(help),
                    );
                }
                ("currency", c.span)
            }
            HeaderLine::Rounding { mode, unit, span } => {
                facts.rounding = *mode;
                facts.rounding_unit = unit.value;
                let power_of_ten = unit.value > Decimal::ZERO && {
                    let n = unit.value.normalize();
                    n.mantissa() == 1
                };
                if !power_of_ten {
                    diags.push(
                        Diagnostic::error("bad-rounding", unit.span, format!("cannot round to `{}`", unit.text))
                            .label("not a power of ten")
                            .help("round to a power of ten such as `0.01`, `1` or `100`"),
                    );
                }
                ("rounding", *span)
            }
            HeaderLine::Approved { by, on } => {
                facts.approved = Some((by.value.clone(), on.value));
                ("approved by", by.span)
            }
            HeaderLine::MidPeriod { rule, span } => {
                facts.mid_period = Some(*rule);
                ("mid-period change", *span)
            }
        };
        if let Some(first) = seen.get(what) {
            diags.push(
                Diagnostic::error("duplicate", span, format!("the header gives `{what}` twice"))
                    .related(*first, "first given here")
                    .help(format!("keep one `{what}` line")),
            );
        } else {
            seen.insert(what, span);
        }
    }
    let name_span = h.name.span;
    for (what, example) in [
        ("version", "version \"2027.1\""),
        ("effective", "effective 2027-01-01"),
        ("currency", "currency CNY"),
    ] {
        if !seen.contains_key(what) {
            diags.push(
                Diagnostic::error(
                    "missing-header-line",
                    name_span,
                    format!("the policy header has no `{what}`"),
                )
                .label("in this policy")
                .help(format!("add an indented line `{example}` under the `policy` line")),
            );
        }
    }
    if let (Some(eff), Some((_, approved))) = (facts.effective, &facts.approved)
        && approved > &eff
    {
        let span = h.lines.iter().find_map(|l| match l {
            HeaderLine::Approved { on, .. } => Some(on.span),
            _ => None,
        });
        diags.push(
            Diagnostic::warning(
                "approved-after-effective",
                span.unwrap_or(name_span),
                "the policy takes effect before it was approved",
            )
            .label(format!("approved after {eff}"))
            .help("check the approval date and the effective date"),
        );
    }
    facts
}

fn calendar_facts(c: &Calendar, diags: &mut Vec<Diagnostic>) -> CalendarFacts {
    let mut facts = CalendarFacts {
        fiscal_start: Month(1),
        assess: PeriodKind::Month,
        reviews: Vec::new(),
    };
    for line in &c.lines {
        match line {
            CalendarLine::FiscalYearStarts { month, .. } => facts.fiscal_start = *month,
            CalendarLine::Assess { every, span } => {
                if *every == PeriodKind::Year {
                    diags.push(
                        Diagnostic::error("bad-calendar", *span, "the assessment period cannot be a year")
                            .help("assess `monthly` or `quarterly`, and review `yearly`"),
                    );
                }
                facts.assess = *every;
            }
            CalendarLine::Review { every, span } => {
                for kind in every {
                    if facts.reviews.contains(kind) {
                        diags.push(
                            Diagnostic::error("duplicate", *span, "a review period is listed twice")
                                .help("list each review period once"),
                        );
                    } else {
                        facts.reviews.push(*kind);
                    }
                }
            }
        }
    }
    for kind in &facts.reviews {
        if *kind <= facts.assess
            && let Some(span) = c.lines.iter().find_map(|l| match l {
                CalendarLine::Review { span, .. } => Some(*span),
                _ => None,
            })
        {
            diags.push(
                Diagnostic::error(
                    "bad-calendar",
                    span,
                    "a review period must be longer than the assessment period",
                )
                .help("assess monthly and review quarterly and yearly, for example"),
            );
        }
    }
    facts
}

fn source_info(s: &Source, item: usize, diags: &mut Vec<Diagnostic>) -> SourceInfo {
    let mut fields: BTreeMap<String, FieldInfo> = BTreeMap::new();
    let mut marks: BTreeMap<&'static str, Span> = BTreeMap::new();
    for f in &s.fields {
        if let Some(first) = fields.get(&f.name.text) {
            diags.push(duplicate("field", &f.name.text, f.name.span, first.span));
            continue;
        }
        let mut optional = false;
        for (m, span) in &f.mods {
            let (mark, roster_only, needs): (&'static str, Option<bool>, Option<FieldType>) = match m {
                FieldMod::Optional => {
                    optional = true;
                    continue;
                }
                FieldMod::Key => ("key", None, None),
                FieldMod::Salesperson => ("salesperson", Some(false), Some(FieldType::Text)),
                FieldMod::Dated => ("dated", Some(false), Some(FieldType::Date)),
                FieldMod::Id => ("id", Some(true), Some(FieldType::Text)),
                FieldMod::Hired => ("hired", Some(true), Some(FieldType::Date)),
                FieldMod::Left => ("left", Some(true), Some(FieldType::Date)),
                FieldMod::Original => ("original", Some(false), Some(FieldType::Date)),
            };
            if let Some(roster_only) = roster_only
                && roster_only != s.is_roster
            {
                let place = if roster_only {
                    "the roster"
                } else {
                    "a `source`, not the roster"
                };
                diags.push(
                        Diagnostic::error("bad-field", *span, format!("`{mark}` belongs in {place}"))
                            .label("not allowed here")
                            .help("the roster marks `id`, `hired` and `left`; a source marks `key`, `salesperson`, `dated` and `original`"),
                    );
                continue;
            }
            if let Some(ty) = needs
                && ty != f.ty
            {
                diags.push(
                    Diagnostic::error(
                        "type",
                        *span,
                        format!("a `{mark}` field must be of type {}", field_type_word(ty)),
                    )
                    .label(format!("`{}` is {}", f.name.text, field_type_word(f.ty)))
                    .help(format!("declare `{}` as {}", f.name.text, field_type_word(ty))),
                );
            }
            if let Some(first) = marks.get(mark) {
                diags.push(
                    Diagnostic::error(
                        "duplicate",
                        *span,
                        format!("two fields of `{}` are marked `{mark}`", s.name.text),
                    )
                    .related(*first, "first marked here")
                    .help(format!("mark one field `{mark}`")),
                );
            } else {
                marks.insert(mark, *span);
            }
        }
        fields.insert(
            f.name.text.clone(),
            FieldInfo {
                ty: f.ty,
                optional,
                span: f.name.span,
            },
        );
    }
    if s.is_roster && !marks.contains_key("id") {
        diags.push(
            Diagnostic::error(
                "missing-field",
                s.name.span,
                format!("the roster `{}` has no field marked `id`", s.name.text),
            )
            .label("no id field")
            .help("mark the salesperson's identifier, e.g. `rep_id text id`"),
        );
    }
    SourceInfo {
        is_roster: s.is_roster,
        item,
        span: s.name.span,
        fields,
    }
}

fn field_type_word(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "`text`",
        FieldType::Money => "`money`",
        FieldType::Number => "`number`",
        FieldType::Percent => "`percent`",
        FieldType::Date => "`date`",
    }
}
