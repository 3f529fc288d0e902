//! Lowering pest's parse tree of one item into the typed syntax tree.
//!
//! The grammar guarantees the shape of the tree, but nothing here unwraps on it: a shape that
//! was not expected becomes an `internal-error` diagnostic, never a panic.

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

use super::ast::*;
use super::literals::{date_value, number_value, string_value};
use super::parser::Rule;
use crate::diagnostic::Diagnostic;

pub(super) type Lowered<T> = Result<T, Box<Diagnostic>>;

/// Lowers the parse tree of one item whose text starts at byte `offset` of the file.
pub(super) struct Lower {
    pub offset: usize,
}

impl Lower {
    pub fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.offset + s.start(), self.offset + s.end())
    }

    fn unexpected(&self, pair: &Pair<Rule>) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error(
                "internal-error",
                self.span(pair),
                format!("internal error: unexpected syntax `{:?}` here", pair.as_rule()),
            )
            .help("this is a defect in rulebook; please report it with the policy file"),
        )
    }

    fn next<'i>(&self, pairs: &mut Pairs<'i, Rule>, parent: &Pair<'i, Rule>) -> Lowered<Pair<'i, Rule>> {
        pairs.next().ok_or_else(|| self.unexpected(parent))
    }

    /// The next inner pair that is not a keyword.
    fn next_value<'i>(&self, pairs: &mut Pairs<'i, Rule>, parent: &Pair<'i, Rule>) -> Lowered<Pair<'i, Rule>> {
        loop {
            let p = self.next(pairs, parent)?;
            if !is_keyword(p.as_rule()) {
                return Ok(p);
            }
        }
    }

    pub fn item(&self, pair: Pair<Rule>) -> Lowered<Item> {
        let span = self.span(&pair);
        let inner = pair
            .clone()
            .into_inner()
            .find(|p| p.as_rule() != Rule::EOI)
            .ok_or_else(|| self.unexpected(&pair))?;
        let kind = match inner.as_rule() {
            Rule::header => ItemKind::Header(self.header(inner)?),
            Rule::calendar => ItemKind::Calendar(self.calendar(inner)?),
            Rule::source => ItemKind::Source(self.source(inner, false)?),
            Rule::roster => ItemKind::Source(self.source(inner, true)?),
            Rule::target => ItemKind::Target(self.target(inner)?),
            Rule::split => {
                let (parent, by, shares) = self.entries(inner)?;
                ItemKind::Split(Split { parent, by, shares })
            }
            Rule::allocate => {
                let (parent, by, weights) = self.entries(inner)?;
                ItemKind::Allocate(Allocate { parent, by, weights })
            }
            Rule::phase => ItemKind::Phase(self.phase(inner)?),
            Rule::prorate => ItemKind::Prorate(self.prorate(inner)),
            Rule::metric => ItemKind::Metric(self.metric(inner)?),
            Rule::score => ItemKind::Score(self.score(inner)?),
            Rule::grade => ItemKind::Grade(self.grade(inner)?),
            Rule::commission => ItemKind::Commission(self.commission(inner)?),
            Rule::draw => ItemKind::Draw(self.draw(inner)?),
            Rule::bonus => ItemKind::Bonus(self.bonus(inner)?),
            Rule::promotion => ItemKind::Promotion(self.promotion(inner)?),
            Rule::discipline => ItemKind::Discipline(self.discipline(inner)?),
            Rule::test => ItemKind::Test(self.test(inner)?),
            _ => return Err(self.unexpected(&inner)),
        };
        Ok(Item { kind, span })
    }

    // ---------- tokens ----------

    pub fn name(&self, pair: &Pair<Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn str(&self, pair: &Pair<Rule>) -> Str {
        Str {
            value: string_value(pair.as_str()),
            span: self.span(pair),
        }
    }

    pub fn num(&self, pair: &Pair<Rule>) -> Lowered<Num> {
        let text = pair.as_str().to_string();
        let value = number_value(&text).ok_or_else(|| {
            Box::new(
                Diagnostic::error(
                    "number-too-large",
                    self.span(pair),
                    format!("the number `{text}` is too large"),
                )
                .label("too large")
                .help("numbers may have at most 28 significant digits"),
            )
        })?;
        Ok(Num {
            value,
            text,
            span: self.span(pair),
        })
    }

    pub fn date(&self, pair: &Pair<Rule>) -> Lowered<DateLit> {
        let value = date_value(pair.as_str()).ok_or_else(|| {
            Box::new(
                Diagnostic::error(
                    "bad-date",
                    self.span(pair),
                    format!("`{}` is not a date", pair.as_str()),
                )
                .label("no such day")
                .help("write dates as YYYY-MM-DD with a real month and day, e.g. `2027-01-31`"),
            )
        })?;
        Ok(DateLit {
            value,
            span: self.span(pair),
        })
    }

    fn int(&self, pair: &Pair<Rule>) -> Lowered<u32> {
        pair.as_str().parse::<u32>().map_err(|_| {
            Box::new(
                Diagnostic::error(
                    "number-too-large",
                    self.span(pair),
                    format!("the count `{}` is too large", pair.as_str()),
                )
                .help("counts are whole numbers below 4,294,967,296"),
            )
        })
    }

    fn period(&self, pair: &Pair<Rule>) -> Lowered<PeriodKind> {
        let kw = pair.clone().into_inner().next().ok_or_else(|| self.unexpected(pair))?;
        Ok(match kw.as_rule() {
            Rule::K_MONTHLY | Rule::K_MONTH | Rule::K_MONTHS | Rule::K_MONTHS_IN_A_ROW | Rule::K_IN_A_MONTH => {
                PeriodKind::Month
            }
            Rule::K_QUARTERLY
            | Rule::K_QUARTER
            | Rule::K_QUARTERS
            | Rule::K_QUARTERS_IN_A_ROW
            | Rule::K_IN_A_QUARTER => PeriodKind::Quarter,
            Rule::K_YEARLY | Rule::K_IN_A_YEAR => PeriodKind::Year,
            _ => return Err(self.unexpected(&kw)),
        })
    }

    fn month(&self, pair: &Pair<Rule>) -> Lowered<Month> {
        let kw = pair.clone().into_inner().next().ok_or_else(|| self.unexpected(pair))?;
        let months = [
            Rule::K_JAN,
            Rule::K_FEB,
            Rule::K_MAR,
            Rule::K_APR,
            Rule::K_MAY,
            Rule::K_JUN,
            Rule::K_JUL,
            Rule::K_AUG,
            Rule::K_SEP,
            Rule::K_OCT,
            Rule::K_NOV,
            Rule::K_DEC,
        ];
        let index = months
            .iter()
            .position(|r| *r == kw.as_rule())
            .ok_or_else(|| self.unexpected(&kw))?;
        Ok(Month(index as u8 + 1))
    }

    fn path(&self, pair: &Pair<Rule>) -> Lowered<Path> {
        let mut inner = pair.clone().into_inner();
        let first = self.name(&self.next(&mut inner, pair)?);
        let second = inner.next().map(|p| self.name(&p));
        Ok(Path { first, second })
    }

    // ---------- items ----------

    fn header(&self, pair: Pair<Rule>) -> Lowered<Header> {
        let mut inner = pair.clone().into_inner();
        let name = self.str(&self.next_value(&mut inner, &pair)?);
        let mut lines = Vec::new();
        for line in inner {
            let span = self.span(&line);
            let mut parts = line.clone().into_inner();
            let value = self.next_value(&mut parts, &line)?;
            lines.push(match line.as_rule() {
                Rule::version_line => HeaderLine::Version(self.str(&value)),
                Rule::effective_line => HeaderLine::Effective(self.date(&value)?),
                Rule::currency_line => HeaderLine::Currency(self.name(&value)),
                Rule::rounding_line => {
                    let mode = match value.clone().into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::K_HALF_UP) => RoundingMode::HalfUp,
                        Some(Rule::K_HALF_EVEN) => RoundingMode::HalfEven,
                        Some(Rule::K_DOWN) => RoundingMode::Down,
                        _ => return Err(self.unexpected(&value)),
                    };
                    let unit = self.num(&self.next_value(&mut parts, &line)?)?;
                    HeaderLine::Rounding { mode, unit, span }
                }
                Rule::approved_line => {
                    let on = self.date(&self.next_value(&mut parts, &line)?)?;
                    HeaderLine::Approved {
                        by: self.str(&value),
                        on,
                    }
                }
                Rule::mid_period_line => {
                    let rule = match value.clone().into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::K_FROM_NEXT_PERIOD) => MidPeriod::FromNextPeriod,
                        Some(Rule::K_PRORATED_BY_DAYS) => MidPeriod::ProratedByDays,
                        _ => return Err(self.unexpected(&value)),
                    };
                    HeaderLine::MidPeriod { rule, span }
                }
                _ => return Err(self.unexpected(&line)),
            });
        }
        Ok(Header { name, lines })
    }

    fn calendar(&self, pair: Pair<Rule>) -> Lowered<Calendar> {
        let mut lines = Vec::new();
        for line in pair.into_inner().filter(|p| !is_keyword(p.as_rule())) {
            let span = self.span(&line);
            let values: Vec<Pair<Rule>> = line.clone().into_inner().filter(|p| !is_keyword(p.as_rule())).collect();
            let first = values.first().ok_or_else(|| self.unexpected(&line))?;
            lines.push(match line.as_rule() {
                Rule::fiscal_line => CalendarLine::FiscalYearStarts {
                    month: self.month(first)?,
                    span,
                },
                Rule::assess_line => CalendarLine::Assess {
                    every: self.period(first)?,
                    span,
                },
                Rule::review_line => CalendarLine::Review {
                    every: values.iter().map(|v| self.period(v)).collect::<Lowered<_>>()?,
                    span,
                },
                _ => return Err(self.unexpected(&line)),
            });
        }
        Ok(Calendar { lines })
    }

    fn source(&self, pair: Pair<Rule>, is_roster: bool) -> Lowered<Source> {
        let mut inner = pair.clone().into_inner();
        let name = self.name(&self.next_value(&mut inner, &pair)?);
        let mut fields = Vec::new();
        for line in inner {
            let span = self.span(&line);
            let mut parts = line.clone().into_inner();
            let fname = self.name(&self.next(&mut parts, &line)?);
            let ty_pair = self.next(&mut parts, &line)?;
            let ty = match ty_pair.clone().into_inner().next().map(|p| p.as_rule()) {
                Some(Rule::K_TEXT) => FieldType::Text,
                Some(Rule::K_MONEY) => FieldType::Money,
                Some(Rule::K_NUMBER) => FieldType::Number,
                Some(Rule::K_PERCENT) => FieldType::Percent,
                Some(Rule::K_DATE) => FieldType::Date,
                _ => return Err(self.unexpected(&ty_pair)),
            };
            let mut mods = Vec::new();
            for m in parts {
                let kind = match m.clone().into_inner().next().map(|p| p.as_rule()) {
                    Some(Rule::K_KEY) => FieldMod::Key,
                    Some(Rule::K_SALESPERSON) => FieldMod::Salesperson,
                    Some(Rule::K_DATED) => FieldMod::Dated,
                    Some(Rule::K_OPTIONAL) => FieldMod::Optional,
                    Some(Rule::K_ID) => FieldMod::Id,
                    Some(Rule::K_HIRED) => FieldMod::Hired,
                    Some(Rule::K_LEFT) => FieldMod::Left,
                    Some(Rule::K_ORIGINAL) => FieldMod::Original,
                    _ => return Err(self.unexpected(&m)),
                };
                mods.push((kind, self.span(&m)));
            }
            fields.push(Field {
                name: fname,
                ty,
                mods,
                span,
            });
        }
        Ok(Source {
            is_roster,
            name,
            fields,
        })
    }

    fn target(&self, pair: Pair<Rule>) -> Lowered<Target> {
        let mut inner = pair.clone().into_inner();
        let name = self.name(&self.next_value(&mut inner, &pair)?);
        let amount = self.num(&self.next_value(&mut inner, &pair)?)?;
        let per = self.period(&self.next_value(&mut inner, &pair)?)?;
        let mut revisions = Vec::new();
        for line in inner {
            let span = self.span(&line);
            let mut parts = line.clone().into_inner();
            let date = self.date(&self.next_value(&mut parts, &line)?)?;
            let amount = self.num(&self.next_value(&mut parts, &line)?)?;
            let reason = self.str(&self.next_value(&mut parts, &line)?);
            revisions.push(Revision {
                date,
                amount,
                reason,
                span,
            });
        }
        Ok(Target {
            name,
            amount,
            per,
            revisions,
        })
    }

    fn entries(&self, pair: Pair<Rule>) -> Lowered<(Name, Name, Vec<Entry>)> {
        let mut inner = pair.clone().into_inner();
        let parent = self.name(&self.next_value(&mut inner, &pair)?);
        let by = self.name(&self.next_value(&mut inner, &pair)?);
        let mut entries = Vec::new();
        for entry in inner {
            let span = self.span(&entry);
            let mut parts = entry.clone().into_inner();
            let key_pair = self.next(&mut parts, &entry)?;
            let key_inner = key_pair
                .clone()
                .into_inner()
                .next()
                .ok_or_else(|| self.unexpected(&key_pair))?;
            let key = match key_inner.as_rule() {
                Rule::string => Name {
                    text: string_value(key_inner.as_str()),
                    span: self.span(&key_inner),
                },
                _ => self.name(&key_inner),
            };
            let amount = self.num(&self.next(&mut parts, &entry)?)?;
            entries.push(Entry { key, amount, span });
        }
        Ok((parent, by, entries))
    }

    fn phase(&self, pair: Pair<Rule>) -> Lowered<Phase> {
        let mut inner = pair.clone().into_inner();
        let target = self.name(&self.next_value(&mut inner, &pair)?);
        let unit = self.next_value(&mut inner, &pair)?;
        let by = self.period(&unit)?;
        let mut shares = Vec::new();
        for entry in inner {
            let span = self.span(&entry);
            let mut parts = entry.clone().into_inner();
            let slot_pair = self.next(&mut parts, &entry)?;
            let slot = match slot_pair.as_rule() {
                Rule::month => PhaseSlot::Month(self.month(&slot_pair)?),
                Rule::quarter_name => {
                    let q = match slot_pair.clone().into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::K_Q1) => 1,
                        Some(Rule::K_Q2) => 2,
                        Some(Rule::K_Q3) => 3,
                        Some(Rule::K_Q4) => 4,
                        _ => return Err(self.unexpected(&slot_pair)),
                    };
                    PhaseSlot::Quarter(q)
                }
                _ => return Err(self.unexpected(&slot_pair)),
            };
            let share = self.num(&self.next(&mut parts, &entry)?)?;
            shares.push(PhaseShare { slot, share, span });
        }
        Ok(Phase { target, by, shares })
    }

    fn prorate(&self, pair: Pair<Rule>) -> Prorate {
        if pair.into_inner().any(|p| p.as_rule() == Rule::K_NO_PRORATION) {
            Prorate::None
        } else {
            Prorate::DaysEmployed
        }
    }

    fn metric(&self, pair: Pair<Rule>) -> Lowered<Metric> {
        let mut inner = pair.clone().into_inner();
        let name = self.name(&self.next_value(&mut inner, &pair)?);
        let expr = self.expr(self.next_value(&mut inner, &pair)?)?;
        Ok(Metric { name, expr })
    }

    fn gate(&self, line: Pair<Rule>) -> Lowered<Gate> {
        let span = self.span(&line);
        let mut parts = line.clone().into_inner();
        Ok(Gate {
            cond: self.expr(self.next_value(&mut parts, &line)?)?,
            span,
        })
    }

    fn score(&self, pair: Pair<Rule>) -> Lowered<Score> {
        let mut score = Score {
            indicators: Vec::new(),
            gates: Vec::new(),
        };
        for line in pair.into_inner().filter(|p| !is_keyword(p.as_rule())) {
            match line.as_rule() {
                Rule::gate_line => score.gates.push(self.gate(line)?),
                Rule::indicator_line => {
                    let span = self.span(&line);
                    let mut parts = line.clone().into_inner();
                    let expr = self.expr(self.next(&mut parts, &line)?)?;
                    let weight = self.num(&self.next_value(&mut parts, &line)?)?;
                    let mut indicator = Indicator {
                        expr,
                        weight,
                        cap: None,
                        floor: None,
                        span,
                    };
                    for clause in parts {
                        let mut c = clause.clone().into_inner();
                        let value = self.num(&self.next_value(&mut c, &clause)?)?;
                        match clause.as_rule() {
                            Rule::cap_clause => indicator.cap = Some(value),
                            Rule::floor_clause => indicator.floor = Some(value),
                            _ => return Err(self.unexpected(&clause)),
                        }
                    }
                    score.indicators.push(indicator);
                }
                _ => return Err(self.unexpected(&line)),
            }
        }
        Ok(score)
    }

    fn grade(&self, pair: Pair<Rule>) -> Lowered<Grade> {
        let mut rules = Vec::new();
        let mut otherwise = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::grade_rule => {
                    let span = self.span(&p);
                    let mut parts = p.clone().into_inner();
                    let grade = self.name(&self.next(&mut parts, &p)?);
                    let cond = self.expr(self.next_value(&mut parts, &p)?)?;
                    rules.push(GradeRule { grade, cond, span });
                }
                Rule::ident => otherwise = Some(self.name(&p)),
                _ => {}
            }
        }
        let otherwise = otherwise.ok_or_else(|| self.unexpected(&pair))?;
        Ok(Grade { rules, otherwise })
    }

    fn commission(&self, pair: Pair<Rule>) -> Lowered<Commission> {
        let mut inner = pair
            .clone()
            .into_inner()
            .filter(|p| !is_keyword(p.as_rule()))
            .peekable();
        let name = self.name(&inner.next().ok_or_else(|| self.unexpected(&pair))?);
        let base = self.expr(inner.next().ok_or_else(|| self.unexpected(&pair))?)?;
        let by = match inner.peek() {
            Some(p) if p.as_rule() == Rule::expr => {
                Some(self.expr(inner.next().ok_or_else(|| self.unexpected(&pair))?)?)
            }
            _ => None,
        };
        let mode_pair = inner.next().ok_or_else(|| self.unexpected(&pair))?;
        let mode = match mode_pair.clone().into_inner().next().map(|p| p.as_rule()) {
            Some(Rule::K_MARGINAL) => TierMode::Marginal,
            Some(Rule::K_RETROACTIVE) => TierMode::Retroactive,
            Some(Rule::K_INTERPOLATED) => TierMode::Interpolated,
            _ => return Err(self.unexpected(&mode_pair)),
        };
        let per = match inner.peek() {
            Some(p) if p.as_rule() == Rule::adverb => {
                Some(self.period(&inner.next().ok_or_else(|| self.unexpected(&pair))?)?)
            }
            _ => None,
        };
        let mut c = Commission {
            name,
            base,
            by,
            mode,
            per,
            tiers: Vec::new(),
            caps: Vec::new(),
            minimums: Vec::new(),
            gates: Vec::new(),
            year_to_date: None,
            per_record: None,
            claw_back_returns: None,
            original_rate: None,
        };
        for line in inner {
            let span = self.span(&line);
            match line.as_rule() {
                Rule::tier_line => c.tiers.push(self.tier(line)?),
                Rule::cap_line | Rule::minimum_line => {
                    let mut parts = line.clone().into_inner().filter(|p| !is_keyword(p.as_rule()));
                    let amount = self.num(&parts.next().ok_or_else(|| self.unexpected(&line))?)?;
                    let per = self.period(&parts.next().ok_or_else(|| self.unexpected(&line))?)?;
                    let limit = Limit { amount, per, span };
                    if line.as_rule() == Rule::cap_line {
                        c.caps.push(limit)
                    } else {
                        c.minimums.push(limit)
                    }
                }
                Rule::gate_line => c.gates.push(self.gate(line)?),
                Rule::ytd_line => c.year_to_date = Some(span),
                Rule::per_record_line => c.per_record = Some(span),
                Rule::clawback_line => match line.clone().into_inner().next().map(|p| p.as_rule()) {
                    Some(Rule::K_CLAW_BACK_AT_ORIGINAL_RATE) => c.original_rate = Some(span),
                    Some(Rule::K_CLAW_BACK_RETURNS) => c.claw_back_returns = Some(span),
                    _ => return Err(self.unexpected(&line)),
                },
                _ => return Err(self.unexpected(&line)),
            }
        }
        Ok(c)
    }

    fn tier(&self, line: Pair<Rule>) -> Lowered<Tier> {
        let span = self.span(&line);
        let mut parts = line.clone().into_inner();
        let range = self.next(&mut parts, &line)?;
        let bounds: Vec<Num> = range
            .clone()
            .into_inner()
            .filter(|p| p.as_rule() == Rule::bound)
            .map(|b| self.bound(&b))
            .collect::<Lowered<_>>()?;
        let (from, to) = match (range.as_rule(), bounds.as_slice()) {
            (Rule::tier_below, [hi]) => (None, Some(hi.clone())),
            (Rule::tier_between, [lo, hi]) => (Some(lo.clone()), Some(hi.clone())),
            (Rule::tier_above, [lo]) => (Some(lo.clone()), None),
            _ => return Err(self.unexpected(&range)),
        };
        let pay_pair = self.next(&mut parts, &line)?;
        let mut pays = pay_pair.clone().into_inner().filter(|p| p.as_rule() == Rule::bound);
        let pay = self.bound(&pays.next().ok_or_else(|| self.unexpected(&pay_pair))?)?;
        let pay_to = pays.next().map(|b| self.bound(&b)).transpose()?;
        Ok(Tier {
            from,
            to,
            pay,
            pay_to,
            span,
        })
    }

    fn bound(&self, pair: &Pair<Rule>) -> Lowered<Num> {
        let inner = pair.clone().into_inner().next().ok_or_else(|| self.unexpected(pair))?;
        self.num(&inner)
    }

    fn draw(&self, pair: Pair<Rule>) -> Lowered<Draw> {
        let mut inner = pair.clone().into_inner().filter(|p| !is_keyword(p.as_rule()));
        let mut take = || inner.next().ok_or_else(|| self.unexpected(&pair));
        let name = self.name(&take()?);
        let amount = self.num(&take()?)?;
        let per = self.period(&take()?)?;
        let against = self.name(&take()?);
        let recovery = take()?;
        let recoverable = recovery.into_inner().any(|p| p.as_rule() == Rule::K_RECOVERABLE);
        Ok(Draw {
            name,
            amount,
            per,
            against,
            recoverable,
        })
    }

    fn bonus(&self, pair: Pair<Rule>) -> Lowered<Bonus> {
        let spif = pair.clone().into_inner().any(|p| p.as_rule() == Rule::K_SPIF);
        let mut inner = pair.clone().into_inner().filter(|p| !is_keyword(p.as_rule()));
        let name = self.name(&inner.next().ok_or_else(|| self.unexpected(&pair))?);
        let amount = self.expr(inner.next().ok_or_else(|| self.unexpected(&pair))?)?;
        let per = self.period(&inner.next().ok_or_else(|| self.unexpected(&pair))?)?;
        let cond = inner.next().map(|p| self.expr(p)).transpose()?;
        Ok(Bonus {
            spif,
            name,
            amount,
            per,
            cond,
        })
    }

    fn promotion(&self, pair: Pair<Rule>) -> Lowered<Promotion> {
        let mut inner = pair.clone().into_inner().filter(|p| !is_keyword(p.as_rule()));
        let name = self.name(&inner.next().ok_or_else(|| self.unexpected(&pair))?);
        let per = self.period(&inner.next().ok_or_else(|| self.unexpected(&pair))?)?;
        let cond = self.expr(inner.next().ok_or_else(|| self.unexpected(&pair))?)?;
        Ok(Promotion { name, per, cond })
    }

    fn discipline(&self, pair: Pair<Rule>) -> Lowered<Discipline> {
        let mut measures = Vec::new();
        for line in pair.into_inner().filter(|p| p.as_rule() == Rule::measure_line) {
            let span = self.span(&line);
            let mut parts = line
                .clone()
                .into_inner()
                .filter(|p| !is_keyword(p.as_rule()))
                .peekable();
            let name = self.name(&parts.next().ok_or_else(|| self.unexpected(&line))?);
            let deduct = match parts.peek() {
                Some(p) if p.as_rule() == Rule::deduct_clause => {
                    let clause = parts.next().ok_or_else(|| self.unexpected(&line))?;
                    let mut c = clause.clone().into_inner();
                    Some(self.num(&self.next_value(&mut c, &clause)?)?)
                }
                _ => None,
            };
            let cond = self.expr(parts.next().ok_or_else(|| self.unexpected(&line))?)?;
            let w = parts.next().ok_or_else(|| self.unexpected(&line))?;
            let wspan = self.span(&w);
            let kws: Vec<Pair<Rule>> = w.clone().into_inner().collect();
            let window = match w.as_rule() {
                Rule::window_in => Window::In(self.period(&w)?, wspan),
                Rule::window_row | Rule::window_times => {
                    let count_pair = kws
                        .iter()
                        .find(|p| p.as_rule() == Rule::int)
                        .ok_or_else(|| self.unexpected(&w))?;
                    let count = self.int(count_pair)?;
                    let unit = kws.last().ok_or_else(|| self.unexpected(&w))?;
                    let per = match unit.as_rule() {
                        Rule::K_MONTHS_IN_A_ROW | Rule::K_IN_A_MONTH => PeriodKind::Month,
                        Rule::K_QUARTERS_IN_A_ROW | Rule::K_IN_A_QUARTER => PeriodKind::Quarter,
                        Rule::K_IN_A_YEAR => PeriodKind::Year,
                        _ => return Err(self.unexpected(unit)),
                    };
                    if w.as_rule() == Rule::window_row {
                        Window::InARow {
                            count,
                            per,
                            span: wspan,
                        }
                    } else {
                        Window::Times {
                            count,
                            within: per,
                            span: wspan,
                        }
                    }
                }
                _ => return Err(self.unexpected(&w)),
            };
            measures.push(Measure {
                name,
                deduct,
                cond,
                window,
                span,
            });
        }
        Ok(Discipline { measures })
    }

    fn test(&self, pair: Pair<Rule>) -> Lowered<Test> {
        let mut inner = pair.clone().into_inner();
        let name = self.str(&self.next_value(&mut inner, &pair)?);
        let mut test = Test {
            name,
            givens: Vec::new(),
            expects: Vec::new(),
        };
        for line in inner {
            match line.as_rule() {
                Rule::given_line => {
                    for g in line.into_inner().filter(|p| p.as_rule() == Rule::given) {
                        let span = self.span(&g);
                        let mut parts = g.clone().into_inner();
                        let name_pair = self.next(&mut parts, &g)?;
                        let target = name_pair
                            .clone()
                            .into_inner()
                            .next()
                            .ok_or_else(|| self.unexpected(&name_pair))?;
                        let name = match target.as_rule() {
                            Rule::K_TARGET => None,
                            _ => Some(self.path(&target)?),
                        };
                        let value = self.literal(self.next(&mut parts, &g)?)?;
                        test.givens.push(Given { name, value, span });
                    }
                }
                Rule::expect_line => {
                    let mut parts = line.clone().into_inner();
                    test.expects.push(self.expr(self.next_value(&mut parts, &line)?)?);
                }
                _ => return Err(self.unexpected(&line)),
            }
        }
        Ok(test)
    }

    // ---------- expressions ----------

    pub fn literal(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => ExprKind::Number(self.num(&pair)?),
            Rule::percent => ExprKind::Percent(self.num(&pair)?),
            Rule::date => ExprKind::Date(self.date(&pair)?.value),
            Rule::string => ExprKind::Text(string_value(pair.as_str())),
            _ => return Err(self.unexpected(&pair)),
        };
        Ok(Expr { kind, span })
    }

    pub fn expr(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        if pair.as_rule() != Rule::expr {
            return Err(self.unexpected(&pair));
        }
        pratt()
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Ok(Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let span = lhs.span.to(self.span(&op));
                let mut parts = op.clone().into_inner();
                let by = self.name(&self.next_value(&mut parts, &op)?);
                Ok(Expr {
                    kind: ExprKind::Across {
                        expr: Box::new(lhs),
                        by,
                    },
                    span,
                })
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    _ => return Err(self.unexpected(&op)),
                };
                Ok(Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                })
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, pair: Pair<Rule>) -> Lowered<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number | Rule::percent | Rule::date | Rule::string => return self.literal(pair),
            Rule::path => ExprKind::Path(self.path(&pair)?),
            Rule::target_ref => ExprKind::Target,
            Rule::score_ref => ExprKind::Score,
            Rule::grade_ref => ExprKind::Grade,
            Rule::grade_is => {
                let mut parts = pair.clone().into_inner();
                ExprKind::GradeIs(self.name(&self.next_value(&mut parts, &pair)?))
            }
            Rule::paren => {
                let mut parts = pair.clone().into_inner();
                ExprKind::Paren(Box::new(self.expr(self.next(&mut parts, &pair)?)?))
            }
            Rule::aggregate => {
                let mut parts = pair.clone().into_inner().filter(|p| !is_keyword(p.as_rule()));
                let func_pair = parts.next().ok_or_else(|| self.unexpected(&pair))?;
                let func = match func_pair.clone().into_inner().next().map(|p| p.as_rule()) {
                    Some(Rule::K_SUM_OF) => AggFunc::Sum,
                    Some(Rule::K_COUNT_OF) => AggFunc::Count,
                    Some(Rule::K_COUNT_DISTINCT_OF) => AggFunc::CountDistinct,
                    Some(Rule::K_AVERAGE_OF) => AggFunc::Average,
                    Some(Rule::K_MINIMUM_OF) => AggFunc::Min,
                    Some(Rule::K_MAXIMUM_OF) => AggFunc::Max,
                    _ => return Err(self.unexpected(&func_pair)),
                };
                let arg_pair = parts.next().ok_or_else(|| self.unexpected(&pair))?;
                let arg_inner = arg_pair
                    .clone()
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.unexpected(&arg_pair))?;
                let arg = self.primary(arg_inner)?;
                let filter = parts.next().map(|p| self.expr(p)).transpose()?;
                ExprKind::Aggregate {
                    func,
                    arg: Box::new(arg),
                    filter: filter.map(Box::new),
                }
            }
            Rule::at_least => {
                let mut parts = pair.clone().into_inner();
                let count_pair = parts
                    .find(|p| p.as_rule() == Rule::int)
                    .ok_or_else(|| self.unexpected(&pair))?;
                let count = self.int(&count_pair)?;
                let unit = self.next(&mut parts, &pair)?;
                let per = if unit.as_rule() == Rule::K_QUARTERS {
                    PeriodKind::Quarter
                } else {
                    PeriodKind::Month
                };
                let cond = self.expr(self.next_value(&mut parts, &pair)?)?;
                ExprKind::AtLeast {
                    count,
                    per,
                    cond: Box::new(cond),
                }
            }
            Rule::projected => {
                let mut parts = pair.clone().into_inner();
                let inner = self.next_value(&mut parts, &pair)?;
                ExprKind::Projected(Box::new(self.primary(inner)?))
            }
            _ => return Err(self.unexpected(&pair)),
        };
        Ok(Expr { kind, span })
    }
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
            .op(Op::postfix(Rule::across))
    })
}

/// Keyword tokens carry no information once the parse has succeeded.
pub(super) fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("K_")
}
