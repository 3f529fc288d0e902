//! Resolving names in expressions and typing them: money, numbers, percentages, conditions,
//! texts and dates, with the errors a person can act on ("cannot add a percentage to an
//! amount of money"). Also finds cyclic metric definitions.

use std::collections::BTreeMap;

use super::model::*;
use crate::diagnostic::Diagnostic;
use crate::suggest::did_you_mean;
use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, Lang};

/// How many metrics deep a definition may go (`a = b + 1`, `b = c + 1`, …).
pub const MAX_METRIC_DEPTH: usize = 100;

/// Where an expression is evaluated.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'s> {
    /// Once per salesperson and period: metrics, conditions, amounts.
    Rep,
    /// Once per record of a source, inside an aggregation.
    Row(&'s str),
}

enum State {
    Visiting,
    Done(Type),
}

pub struct Typer<'a> {
    pub model: &'a Model,
    pub text: &'a str,
    complete: bool,
    metrics: BTreeMap<&'a str, &'a Metric>,
    state: BTreeMap<String, State>,
    stack: Vec<String>,
    pub diags: Vec<Diagnostic>,
    pub has_score: bool,
    /// "No score section" is said once, not at every use.
    reported_no_score: bool,
    pub lang: Lang,
}

impl<'a> Typer<'a> {
    pub fn new(model: &'a Model, policy: &'a Policy, text: &'a str, complete: bool, lang: Lang) -> Typer<'a> {
        let mut metrics = BTreeMap::new();
        let mut has_score = false;
        for item in &policy.items {
            match &item.kind {
                ItemKind::Metric(m) => {
                    metrics.entry(m.name.text.as_str()).or_insert(m);
                }
                ItemKind::Score(_) => has_score = true,
                _ => {}
            }
        }
        Typer {
            model,
            text,
            complete,
            metrics,
            state: BTreeMap::new(),
            stack: Vec::new(),
            diags: Vec::new(),
            has_score,
            reported_no_score: false,
            lang,
        }
    }

    /// A keyword in the language of the file, for hints.
    pub fn kw(&self, k: Kw) -> &'static str {
        k.spelling(self.lang)
    }

    pub fn src(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or("").trim()
    }

    /// Types every metric, in name order.
    pub fn type_metrics(&mut self) -> BTreeMap<String, Type> {
        let names: Vec<&str> = self.metrics.keys().copied().collect();
        names
            .into_iter()
            .map(|n| (n.to_string(), self.metric(n, None)))
            .collect()
    }

    fn metric(&mut self, name: &str, used_at: Option<Span>) -> Type {
        match self.state.get(name) {
            Some(State::Done(t)) => return *t,
            Some(State::Visiting) => {
                let start = self.stack.iter().position(|n| n == name).unwrap_or(0);
                let mut cycle: Vec<String> = self.stack[start..].iter().map(|n| format!("`{n}`")).collect();
                cycle.push(format!("`{name}`"));
                let span = used_at.unwrap_or_default();
                self.diags.push(
                    Diagnostic::error(
                        "cycle",
                        span,
                        format!("metric `{name}` depends on itself: {}", cycle.join(" → ")),
                    )
                    .label("used here")
                    .help("a metric cannot be computed from itself; compute one of them from the records instead"),
                );
                return Type::Error;
            }
            None => {}
        }
        let Some(metric) = self.metrics.get(name).copied() else {
            return Type::Error;
        };
        if self.stack.len() >= MAX_METRIC_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    "too-deep",
                    used_at.unwrap_or(metric.name.span),
                    format!("metric `{name}` is built on more than {MAX_METRIC_DEPTH} levels of other metrics"),
                )
                .label("too deep")
                .help("compute intermediate metrics from the records instead of from each other"),
            );
            return Type::Error;
        }
        self.state.insert(name.to_string(), State::Visiting);
        self.stack.push(name.to_string());
        let ty = self.expr(&metric.expr, Scope::Rep);
        self.stack.pop();
        if ty == Type::Bool {
            self.diags.push(
                Diagnostic::error(
                    "type",
                    metric.expr.span,
                    format!("metric `{name}` is a condition, not a value"),
                )
                .label("a condition")
                .help("a metric computes an amount, a number or a percentage; use conditions in `if` and `where`"),
            );
        }
        let ty = if ty == Type::Scalar { Type::Number } else { ty };
        self.state.insert(name.to_string(), State::Done(ty));
        ty
    }

    /// Types `e` and requires a condition.
    pub fn condition(&mut self, e: &Expr, scope: Scope) -> Type {
        let ty = self.expr(e, scope);
        if !matches!(ty, Type::Bool | Type::Error) {
            self.diags.push(
                Diagnostic::error("type", e.span, format!("expected a condition, found {}", ty.describe()))
                    .label(format!("this is {}", ty.describe()))
                    .help(format!(
                        "compare it with something, e.g. `{} >= 100%`",
                        self.src(e.span)
                    )),
            );
            return Type::Error;
        }
        ty
    }

    /// Types `e` and requires a number, an amount or a percentage.
    pub fn numeric(&mut self, e: &Expr, scope: Scope, what: &str) -> Type {
        let ty = self.expr(e, scope);
        if !ty.is_numeric() {
            self.diags.push(
                Diagnostic::error(
                    "type",
                    e.span,
                    format!(
                        "{what} must be a number, an amount or a percentage, not {}",
                        ty.describe()
                    ),
                )
                .label(format!("this is {}", ty.describe()))
                .help("use a metric or an arithmetic expression here"),
            );
            return Type::Error;
        }
        ty
    }

    pub fn expr(&mut self, e: &Expr, scope: Scope) -> Type {
        match &e.kind {
            ExprKind::Number(_) => Type::Scalar,
            ExprKind::Percent(_) => Type::Percent,
            ExprKind::Text(_) => Type::Text,
            ExprKind::Date(_) => Type::Date,
            ExprKind::Paren(inner) => self.expr(inner, scope),
            ExprKind::Path(p) => self.path(p, e.span, scope),
            ExprKind::Target => self.rep_only(e, scope, Type::Money),
            ExprKind::Score => {
                if !self.has_score {
                    if std::mem::replace(&mut self.reported_no_score, true) {
                        return Type::Error;
                    }
                    self.diags.push(
                        Diagnostic::error("unknown-name", e.span, "the policy has no `score` section")
                            .label("no score to refer to")
                            .help("add a `score` section with weighted indicators"),
                    );
                    return Type::Error;
                }
                self.rep_only(e, scope, Type::Percent)
            }
            ExprKind::Grade => {
                self.diags.push(
                    Diagnostic::error("type", e.span, "a grade is compared with `is`")
                        .label("a grade")
                        .help("write `grade is A`"),
                );
                Type::Error
            }
            ExprKind::GradeIs(level) => {
                if self.model.grades.is_empty() {
                    self.diags.push(
                        Diagnostic::error("unknown-name", e.span, "the policy has no `grade` section")
                            .help("add a `grade` section, e.g. `grade A if score >= 110%, otherwise B`"),
                    );
                } else if !self.model.grades.contains(&level.text) {
                    let mut d =
                        Diagnostic::error("unknown-name", level.span, format!("unknown grade `{}`", level.text))
                            .label("not a grade");
                    d = d.help(
                        match did_you_mean(&level.text, self.model.grades.iter().map(String::as_str)) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("the grades are {}", list(&self.model.grades)),
                        },
                    );
                    self.diags.push(d);
                }
                self.rep_only(e, scope, Type::Bool)
            }
            ExprKind::Aggregate { func, arg, filter } => self.aggregate(e, *func, arg, filter.as_deref(), scope),
            ExprKind::AtLeast { per, cond, .. } => {
                self.period_declared(*per, e.span);
                self.condition(cond, scope);
                self.rep_only(e, scope, Type::Bool)
            }
            ExprKind::Projected(inner) => {
                let ty = self.numeric(inner, scope, "a projection");
                self.rep_only(e, scope, ty)
            }
            ExprKind::Across { expr, by } => {
                let ty = self.numeric(expr, scope, "a roll-up");
                self.roster_field(by);
                self.rep_only(e, scope, ty)
            }
            ExprKind::Unary(UnaryOp::Not, inner) => {
                self.condition(inner, scope);
                Type::Bool
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => self.numeric(inner, scope, "a negated value"),
            ExprKind::Binary(op, l, r) => self.binary(e, *op, l, r, scope),
        }
    }

    fn rep_only(&mut self, e: &Expr, scope: Scope, ty: Type) -> Type {
        if let Scope::Row(source) = scope {
            self.diags.push(
                Diagnostic::error(
                    "scope",
                    e.span,
                    format!(
                        "`{}` is a result per salesperson and cannot be used on the rows of `{source}`",
                        self.src(e.span)
                    ),
                )
                .label("not a field of a row")
                .help("a `where` filter can use the fields of the rows it filters, the roster's fields and constants"),
            );
            return Type::Error;
        }
        ty
    }

    pub fn period_declared(&mut self, per: PeriodKind, span: Span) {
        if !self.model.calendar.has(per) {
            let (noun, adverb) = match per {
                PeriodKind::Month => ("month", Kw::Monthly),
                PeriodKind::Quarter => ("quarter", Kw::Quarterly),
                PeriodKind::Year => ("year", Kw::Yearly),
            };
            let (review, adverb, calendar) = (self.kw(Kw::Review), self.kw(adverb), self.kw(Kw::Calendar));
            self.diags.push(
                Diagnostic::error("undeclared-period", span, format!("the calendar has no {noun} periods"))
                    .label(format!("refers to a {noun}"))
                    .help(format!(
                        "add `{review} {adverb}` to the `{calendar}` section, or use a period it declares"
                    )),
            );
        }
    }

    fn roster_field(&mut self, name: &Name) -> Type {
        let Some(roster) = self.model.roster.as_ref().and_then(|r| self.model.sources.get(r)) else {
            self.diags.push(
                Diagnostic::error(
                    "unknown-name",
                    name.span,
                    format!("there is no roster to find `{}` in", name.text),
                )
                .help("declare the salespeople with a `roster` section"),
            );
            return Type::Error;
        };
        match roster.fields.get(&name.text) {
            Some(f) => Type::of_field(f.ty),
            None => {
                let roster_name = self.model.roster.clone().unwrap_or_default();
                self.unknown(
                    name,
                    "field of the roster",
                    roster.fields.keys().map(String::as_str),
                    &format!("the roster `{roster_name}`"),
                );
                Type::Error
            }
        }
    }

    fn unknown<'n>(
        &mut self,
        name: &Name,
        what: &str,
        candidates: impl IntoIterator<Item = &'n str> + Clone,
        place: &str,
    ) {
        let help = match did_you_mean(&name.text, candidates.clone()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                let all: Vec<String> = candidates.into_iter().map(str::to_string).collect();
                if all.is_empty() {
                    format!("define it in {place}")
                } else {
                    format!("{place} has {}", list(&all))
                }
            }
        };
        self.diags.push(
            Diagnostic::error("unknown-name", name.span, format!("unknown {what} `{}`", name.text))
                .label("not defined")
                .help(help),
        );
    }

    fn path(&mut self, p: &Path, span: Span, scope: Scope) -> Type {
        let model = self.model;
        if let Some(field) = &p.second {
            let Some(source) = model.sources.get(&p.first.text) else {
                let names: Vec<&str> = model.sources.keys().map(String::as_str).collect();
                self.unknown(&p.first, "source", names, "the policy");
                return Type::Error;
            };
            let fty = match source.fields.get(&field.text) {
                Some(f) => Type::of_field(f.ty),
                None => {
                    let names: Vec<&str> = source.fields.keys().map(String::as_str).collect();
                    self.unknown(
                        field,
                        &format!("field of `{}`", p.first.text),
                        names,
                        &format!("`{}`", p.first.text),
                    );
                    return Type::Error;
                }
            };
            if source.is_roster {
                return fty;
            }
            return match scope {
                Scope::Row(current) if current == p.first.text => fty,
                Scope::Row(current) => {
                    self.diags.push(
                        Diagnostic::error(
                            "scope",
                            span,
                            format!(
                                "an aggregation over `{current}` cannot read fields of `{}`",
                                p.first.text
                            ),
                        )
                        .label(format!("a field of `{}`", p.first.text))
                        .help(format!(
                            "aggregate `{}` separately and combine the two metrics",
                            p.first.text
                        )),
                    );
                    Type::Error
                }
                Scope::Rep => {
                    self.diags.push(
                        Diagnostic::error(
                            "scope",
                            span,
                            format!("a field of `{}` can only be used inside an aggregation", p.first.text),
                        )
                        .label("one value per record")
                        .help(format!(
                            "aggregate it, e.g. `{} {}`",
                            self.kw(Kw::SumOf),
                            p.display()
                        )),
                    );
                    Type::Error
                }
            };
        }
        let name = &p.first;
        if let Scope::Row(current) = scope {
            if let Some(f) = model.sources.get(current).and_then(|s| s.fields.get(&name.text)) {
                return Type::of_field(f.ty);
            }
            if model.symbols.contains_key(&name.text) {
                return self.rep_only(
                    &Expr {
                        kind: ExprKind::Path(p.clone()),
                        span,
                    },
                    scope,
                    Type::Error,
                );
            }
            let names: Vec<&str> = model
                .sources
                .get(current)
                .map(|s| s.fields.keys().map(String::as_str).collect())
                .unwrap_or_default();
            self.unknown(name, &format!("field of `{current}`"), names, &format!("`{current}`"));
            return Type::Error;
        }
        match model.symbols.get(&name.text) {
            Some(sym) => match sym.kind {
                SymbolKind::Metric => self.metric(&name.text, Some(name.span)),
                SymbolKind::Target | SymbolKind::Commission | SymbolKind::Draw | SymbolKind::Bonus => Type::Money,
                SymbolKind::Promotion => Type::Bool,
            },
            None if model.sources.contains_key(&name.text) => {
                self.diags.push(
                    Diagnostic::error(
                        "type",
                        span,
                        format!("`{}` is a source of records, not a value", name.text),
                    )
                    .label("a set of records")
                    .help(format!("aggregate it, e.g. `{} {}`", self.kw(Kw::CountOf), name.text)),
                );
                Type::Error
            }
            None => {
                if self.complete {
                    let names: Vec<&str> = model.symbols.keys().map(String::as_str).collect();
                    self.unknown(name, "name", names, "the policy");
                }
                Type::Error
            }
        }
    }

    fn aggregate(&mut self, e: &Expr, func: AggFunc, arg: &Expr, filter: Option<&Expr>, scope: Scope) -> Type {
        if let Scope::Row(_) = scope {
            self.diags.push(
                Diagnostic::error("scope", e.span, "aggregations cannot be nested")
                    .label("inside another aggregation")
                    .help("aggregate each source in a metric of its own, then combine the metrics with arithmetic"),
            );
            return Type::Error;
        }
        let model = self.model;
        // `count of sales` counts records; otherwise the source is the one the argument names.
        let whole_source = match &arg.kind {
            ExprKind::Path(Path { first, second: None }) if model.sources.contains_key(&first.text) => {
                Some(first.text.clone())
            }
            _ => None,
        };
        let source = match whole_source.clone().or_else(|| first_source(arg)) {
            Some(s) if model.sources.contains_key(&s) => s,
            Some(_) => {
                // Unknown source: typing the argument reports it.
                self.expr(arg, Scope::Rep);
                return Type::Error;
            }
            None => {
                self.diags.push(
                    Diagnostic::error("type", arg.span, "an aggregation needs the field of a source")
                        .label("no source named")
                        .help("name the source and field, e.g. `sum of sales.amount`"),
                );
                return Type::Error;
            }
        };
        if let Some(f) = filter {
            self.condition(f, Scope::Row(&source));
        }
        if whole_source.is_some() {
            if func != AggFunc::Count {
                self.diags.push(
                    Diagnostic::error(
                        "type",
                        arg.span,
                        format!("`{source}` is a whole source; this aggregation needs one of its fields"),
                    )
                    .label("a source, not a field")
                    .help(format!("name a field, e.g. `{source}.amount`")),
                );
                return Type::Error;
            }
            return Type::Number;
        }
        let ty = self.expr(arg, Scope::Row(&source));
        match func {
            AggFunc::Count | AggFunc::CountDistinct => Type::Number,
            AggFunc::Sum | AggFunc::Average => {
                if !ty.is_numeric() {
                    self.diags.push(
                        Diagnostic::error("type", arg.span, format!("cannot add up {}", ty.describe()))
                            .label(format!("this is {}", ty.describe()))
                            .help("sum or average an amount, a number or a percentage; count texts with `count distinct of`"),
                    );
                    return Type::Error;
                }
                if ty == Type::Scalar { Type::Number } else { ty }
            }
            AggFunc::Min | AggFunc::Max => {
                if !(ty.is_numeric() || ty == Type::Date) {
                    self.diags.push(
                        Diagnostic::error(
                            "type",
                            arg.span,
                            format!("cannot take the least or greatest of {}", ty.describe()),
                        )
                        .label(format!("this is {}", ty.describe()))
                        .help("use `minimum of` and `maximum of` on amounts, numbers, percentages or dates"),
                    );
                    return Type::Error;
                }
                ty
            }
        }
    }

    fn binary(&mut self, e: &Expr, op: BinaryOp, l: &Expr, r: &Expr, scope: Scope) -> Type {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            self.condition(l, scope);
            self.condition(r, scope);
            return Type::Bool;
        }
        if let Some((grade, other)) = match (&l.kind, &r.kind) {
            (ExprKind::Grade, _) => Some((l, r)),
            (_, ExprKind::Grade) => Some((r, l)),
            _ => None,
        } {
            let level = self.src(other.span).to_string();
            self.diags.push(
                Diagnostic::error("type", grade.span.to(other.span), "a grade is compared with `is`")
                    .label("not a comparison of grades")
                    .help(format!("write `grade is {level}`")),
            );
            return Type::Bool;
        }
        let lt = self.expr(l, scope);
        let rt = self.expr(r, scope);
        if lt == Type::Error || rt == Type::Error {
            return if op.is_comparison() { Type::Bool } else { Type::Error };
        }
        let result = if op.is_comparison() {
            comparable(op, lt, rt).then_some(Type::Bool)
        } else {
            arithmetic(op, lt, rt)
        };
        match result {
            Some(t) => t,
            None => {
                let (ls, rs) = (self.src(l.span).to_string(), self.src(r.span).to_string());
                let message = match op {
                    BinaryOp::Add => format!("cannot add {} to {}", rt.describe(), lt.describe()),
                    BinaryOp::Sub => format!("cannot subtract {} from {}", rt.describe(), lt.describe()),
                    BinaryOp::Mul => format!("cannot multiply {} by {}", lt.describe(), rt.describe()),
                    BinaryOp::Div => format!("cannot divide {} by {}", lt.describe(), rt.describe()),
                    _ => format!("cannot compare {} with {}", lt.describe(), rt.describe()),
                };
                self.diags.push(
                    Diagnostic::error("type", e.span, message)
                        .label(format!("`{ls}` is {}, `{rs}` is {}", lt.describe(), rt.describe()))
                        .help(type_hint(op, lt, rt)),
                );
                if op.is_comparison() { Type::Bool } else { Type::Error }
            }
        }
    }
}

fn type_hint(op: BinaryOp, l: Type, r: Type) -> String {
    match (op, l, r) {
        (BinaryOp::Add | BinaryOp::Sub, Type::Money, Type::Percent)
        | (BinaryOp::Add | BinaryOp::Sub, Type::Percent, Type::Money) => {
            "to apply a percentage to an amount, multiply: `revenue * 5%`".into()
        }
        (BinaryOp::Mul, Type::Money, Type::Money) => {
            "divide two amounts to get a ratio, e.g. `revenue / target`".into()
        }
        _ if op.is_comparison() => {
            "compare values of the same kind: amounts with amounts, percentages with percentages, dates with dates"
                .into()
        }
        _ => "both sides must be values of compatible kinds".into(),
    }
}

/// The source of the first `source.field` in an expression.
fn first_source(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Path(Path { first, second: Some(_) }) => Some(first.text.clone()),
        ExprKind::Paren(x) | ExprKind::Unary(_, x) | ExprKind::Projected(x) => first_source(x),
        ExprKind::Binary(_, l, r) => first_source(l).or_else(|| first_source(r)),
        _ => None,
    }
}

fn comparable(op: BinaryOp, l: Type, r: Type) -> bool {
    let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
    match (l, r) {
        (Type::Text, Type::Text) | (Type::Bool, Type::Bool) => !ordered,
        (Type::Date, Type::Date) => true,
        (Type::Money, Type::Money) => true,
        (Type::Scalar, x) | (x, Type::Scalar) => x.is_numeric(),
        (Type::Number | Type::Percent, Type::Number | Type::Percent) => true,
        _ => false,
    }
}

fn arithmetic(op: BinaryOp, l: Type, r: Type) -> Option<Type> {
    use Type::*;
    match op {
        BinaryOp::Add | BinaryOp::Sub => match (l, r) {
            _ if !l.is_numeric() || !r.is_numeric() => None,
            (a, b) if a == b => Some(a),
            (Scalar, x) | (x, Scalar) => Some(x),
            (Number, Percent) | (Percent, Number) => Some(Number),
            _ => None,
        },
        BinaryOp::Mul => match (l, r) {
            _ if !l.is_numeric() || !r.is_numeric() => None,
            (Money, Money) => None,
            (Money, _) | (_, Money) => Some(Money),
            // A plain number times a count or a rate stays a plain number: `300 * new_customers`
            // and `80,000 * 2%` may be amounts.
            (Scalar, _) | (_, Scalar) => Some(Scalar),
            (Percent, Percent) => Some(Percent),
            _ => Some(Number),
        },
        BinaryOp::Div => match (l, r) {
            _ if !l.is_numeric() || !r.is_numeric() => None,
            (Money, Money) => Some(Percent),
            (Money, _) => Some(Money),
            (_, Money) => None,
            (x, Scalar) => Some(x),
            (Number, Number) | (Percent, Percent) => Some(Percent),
            (Scalar, x) => Some(x),
            (Percent, Number) => Some(Percent),
            (Number, Percent) => Some(Number),
            _ => None,
        },
        _ => None,
    }
}

pub fn list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().take(8).map(|s| format!("`{s}`")).collect();
    let more = if items.len() > 8 {
        format!(" and {} more", items.len() - 8)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}
