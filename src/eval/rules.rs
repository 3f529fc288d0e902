//! Evaluating the rules of one salesperson in one period from the values of their metrics:
//! metric arithmetic, the scorecard and grade, commission tiers with gates, minimums and caps,
//! bonuses. This is the plain, obviously-correct evaluator; it is what `rulebook test` runs.
//!
//! A value may be **empty** — it has none, like SQL's NULL: an average, minimum or maximum of no
//! records, a division by zero, and whatever is computed from them. Empty is `None` in
//! `Option<Value>`, as in the row evaluator (`run::aggregate::row_value`). The rules, as
//! `docs/language.md` ("When a value is empty") states them: arithmetic with an empty operand is
//! empty; a comparison with one is false; `not` of empty is empty; `and` and `or` take empty as
//! false; an empty score indicator counts 0; an empty gate, bonus condition or grade condition
//! does not hold; a commission whose base or measure is empty, or a bonus whose amount is empty,
//! pays 0. Overflow is still an error.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::tiers::{self, Band, Pay};
use crate::check::Model;
use crate::money;
use crate::syntax::ast::*;

/// A value of the policy language. Amounts, numbers and percentages are all exact decimals
/// (a percentage is its fraction: 40% is 0.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Num(Decimal),
    Bool(bool),
    Text(String),
    Date(jiff::civil::Date),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Num(d) => write!(f, "{}", d.normalize()),
            Value::Bool(b) => write!(f, "{}", if *b { "true" } else { "false" }),
            Value::Text(s) => write!(f, "\"{s}\""),
            Value::Date(d) => write!(f, "{d}"),
        }
    }
}

/// Compares two values with a comparison operator; values of different kinds do not compare.
pub fn compare(op: BinaryOp, a: &Value, b: &Value) -> Result<bool, String> {
    let ord = match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => return Err(format!("cannot compare {a} with {b}")),
    };
    Ok(match op {
        BinaryOp::Eq => ord.is_eq(),
        BinaryOp::Ne => ord.is_ne(),
        BinaryOp::Lt => ord.is_lt(),
        BinaryOp::Le => ord.is_le(),
        BinaryOp::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

/// Why arithmetic gave no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithError {
    Overflow,
    DivisionByZero,
}

/// `a op b` for `+ - * /`, exact and checked.
pub fn arithmetic(op: BinaryOp, a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    let checked = |r: Result<Decimal, money::Overflow>| r.map_err(|_| ArithError::Overflow);
    match op {
        BinaryOp::Add => checked(money::add(a, b)),
        BinaryOp::Sub => checked(money::sub(a, b)),
        BinaryOp::Mul => checked(money::mul(a, b)),
        _ => money::div(a, b)
            .map_err(|_| ArithError::Overflow)?
            .ok_or(ArithError::DivisionByZero),
    }
}

/// Why a value could not be computed; `span` points at the expression in the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

fn err<T>(span: Span, message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError {
        message: message.into(),
        span,
    })
}

/// The error of [`Rules::expr`] and [`Rules::name`], which want a value, on an empty one.
fn empty(span: Span) -> EvalError {
    EvalError {
        message: EMPTY.into(),
        span,
    }
}

/// What [`Rules::expr`] and [`Rules::name`] say of an empty value.
const EMPTY: &str = "empty (no value)";

/// What one salesperson's rules may ask of the run: the values of aggregations over their
/// records, and results of other people (`across`) and of shorter periods (`at least`).
pub trait World {
    /// The value of the aggregation written at `span`, for this salesperson and period: `None`
    /// when it is empty (an average, minimum or maximum of no records); an error when the run
    /// does not know the aggregation.
    fn aggregate(&self, span: Span) -> Result<Option<Value>, EvalError>;
    /// The sum of `expr` over everyone who shares this salesperson's roster value of `by`;
    /// empty values are left out, as empty cells are from a `sum of`.
    fn across(&self, expr: &Expr, by: &str) -> Result<Decimal, EvalError>;
    /// In how many periods of length `per` inside this period `cond` holds.
    fn count_periods(&self, per: PeriodKind, cond: &Expr) -> Result<u32, EvalError>;
    /// Days in the period divided by the days with records so far, for `projected`.
    fn projection(&self) -> Decimal;
}

/// The names the rules look up, numbered once per policy, so that a value is kept and found by
/// its number rather than by comparing strings: every name the model defines, every item's
/// name, and the given ones (`revenue`, or two-part `reps.region`).
#[derive(Clone, Debug, Default)]
pub struct Names {
    ids: FxHashMap<String, usize>,
    /// Two-part names: first part → second part → number.
    paths: FxHashMap<String, FxHashMap<String, usize>>,
    /// Where each number's name is defined, as an index into the policy's items.
    defined: Vec<Option<usize>>,
}

impl Names {
    /// The names of `policy`, whose model is `model`, and the names in `given`.
    pub fn of<'g>(policy: &Policy, model: &Model, given: impl IntoIterator<Item = &'g str>) -> Names {
        let mut names = Names::default();
        for (name, symbol) in &model.symbols {
            let id = names.add(name);
            names.defined[id] = Some(symbol.item);
        }
        for (i, item) in policy.items.iter().enumerate() {
            if let Some(name) = computed_name(&item.kind) {
                let id = names.add(name);
                names.defined[id].get_or_insert(i);
            }
        }
        for name in given {
            names.add(name);
        }
        names
    }

    fn add(&mut self, name: &str) -> usize {
        let next = self.defined.len();
        let id = match name.split_once('.') {
            Some((first, second)) => *(self.paths.entry(first.to_string()).or_default())
                .entry(second.to_string())
                .or_insert(next),
            None => *self.ids.entry(name.to_string()).or_insert(next),
        };
        if id == next {
            self.defined.push(None);
        }
        id
    }

    /// The number of a one-part name.
    pub fn id(&self, name: &str) -> Option<usize> {
        self.ids.get(name).copied()
    }

    /// The number of a name as written: one part or two.
    fn path(&self, path: &Path) -> Option<usize> {
        match &path.second {
            None => self.id(&path.first.text),
            Some(second) => self.paths.get(&path.first.text)?.get(&second.text).copied(),
        }
    }

    /// Given values by number, in order of number; a name not among these is left out.
    pub fn number<'v>(&self, given: impl IntoIterator<Item = (&'v str, Value)>) -> Vec<(usize, Value)> {
        let mut out: Vec<(usize, Value)> = given
            .into_iter()
            .filter_map(|(name, value)| {
                let id = match name.split_once('.') {
                    Some((first, second)) => self.paths.get(first)?.get(second).copied(),
                    None => self.id(name),
                }?;
                Some((id, value))
            })
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }

    fn len(&self) -> usize {
        self.defined.len()
    }
}

/// The name an item gives the value it computes, if it computes one.
fn computed_name(kind: &ItemKind) -> Option<&str> {
    Some(match kind {
        ItemKind::Metric(m) => &m.name.text,
        ItemKind::Commission(c) => &c.name.text,
        ItemKind::Bonus(b) => &b.name.text,
        ItemKind::Promotion(p) => &p.name.text,
        ItemKind::Target(t) => &t.name.text,
        ItemKind::Draw(d) => &d.name.text,
        _ => return None,
    })
}

/// What is known of one name's value while the rules run.
#[derive(Clone, Debug)]
enum Known {
    NotYet,
    /// Being computed: asked for again, it depends on itself.
    Computing,
    /// Given from outside: the value is in [`Rules::given`].
    Given,
    /// Computed; `None` when it is empty.
    Is(Option<Value>),
}

/// The values known for one salesperson and period, and the policy to compute the rest from.
pub struct Rules<'a> {
    world: Option<&'a dyn World>,
    policy: &'a Policy,
    model: &'a Model,
    names: Cow<'a, Names>,
    /// Values given from outside (a test's `given`, or a salesperson's roster fields in a run),
    /// by number; borrowed in a run, where the same values serve every period.
    given: Cow<'a, [(usize, Value)]>,
    target: Option<Decimal>,
    /// Each name's value so far, by number.
    known: Vec<Known>,
    /// How many names are being computed, one inside another.
    depth: usize,
    /// The score and the grade once computed: every grade condition asks for the score, and
    /// every bonus or promotion on a grade for the grade.
    score: Option<Decimal>,
    grade: Option<&'a str>,
}

impl<'a> Rules<'a> {
    pub fn new(
        policy: &'a Policy,
        model: &'a Model,
        given: BTreeMap<String, Value>,
        target: Option<Decimal>,
    ) -> Rules<'a> {
        let names = Names::of(policy, model, given.keys().map(String::as_str));
        let given = names.number(given.iter().map(|(k, v)| (k.as_str(), v.clone())));
        Rules::with(policy, model, Cow::Owned(names), Cow::Owned(given), target)
    }

    /// As [`Rules::new`], with the names and the given values (numbered by `names`) borrowed.
    pub fn borrowing(
        policy: &'a Policy,
        model: &'a Model,
        names: &'a Names,
        given: &'a [(usize, Value)],
        target: Option<Decimal>,
    ) -> Rules<'a> {
        Rules::with(policy, model, Cow::Borrowed(names), Cow::Borrowed(given), target)
    }

    fn with(
        policy: &'a Policy,
        model: &'a Model,
        names: Cow<'a, Names>,
        given: Cow<'a, [(usize, Value)]>,
        target: Option<Decimal>,
    ) -> Rules<'a> {
        let mut known = vec![Known::NotYet; names.len()];
        for (id, _) in given.iter() {
            known[*id] = Known::Given;
        }
        Rules {
            world: None,
            policy,
            model,
            names,
            given,
            target,
            known,
            depth: 0,
            score: None,
            grade: None,
        }
    }

    /// Takes `name` to be `value`, as if computed: a `per record` commission measures the
    /// cumulative base this way. Values computed before are dropped, since they may depend on it;
    /// a given value stays as given.
    pub fn assume(&mut self, name: &str, value: Value) {
        for known in &mut self.known {
            if !matches!(known, Known::Given) {
                *known = Known::NotYet;
            }
        }
        (self.score, self.grade) = (None, None);
        if let Some(id) = self.names.id(name)
            && !matches!(self.known[id], Known::Given)
        {
            self.known[id] = Known::Is(Some(value));
        }
    }

    /// Answers aggregations, roll-ups and counts of periods from a run.
    pub fn with_world(mut self, world: &'a dyn World) -> Rules<'a> {
        self.world = Some(world);
        self
    }

    fn find<T>(&self, pick: impl Fn(&'a ItemKind) -> Option<&'a T>) -> Option<&'a T> {
        self.policy.items.iter().find_map(|i| pick(&i.kind))
    }

    /// The value of a name, which must not be empty (see [`Rules::name_value`]).
    pub fn name(&mut self, name: &str, span: Span) -> Result<Value, EvalError> {
        self.name_value(name, span)?.ok_or_else(|| empty(span))
    }

    /// The value of a name: given, or computed from its definition; `None` when it is empty.
    pub fn name_value(&mut self, name: &str, span: Span) -> Result<Option<Value>, EvalError> {
        match self.names.id(name) {
            Some(id) => self.value_of(id, name, span),
            None => err(span, format!("no value for `{name}`")),
        }
    }

    /// The value of name number `id`, which is `name`.
    fn value_of(&mut self, id: usize, name: &str, span: Span) -> Result<Option<Value>, EvalError> {
        match &self.known[id] {
            Known::Is(v) => return Ok(v.clone()),
            Known::Given => return Ok(self.given_value(id).cloned()),
            Known::Computing => return err(span, format!("`{name}` depends on itself")),
            Known::NotYet => {}
        }
        if self.depth >= crate::check::types::MAX_METRIC_DEPTH {
            return err(span, format!("`{name}` is built on too many levels of other names"));
        }
        self.known[id] = Known::Computing;
        self.depth += 1;
        let result = self.compute(id, name, span);
        self.depth -= 1;
        self.known[id] = match &result {
            Ok(value) => Known::Is(value.clone()),
            Err(_) => Known::NotYet,
        };
        result
    }

    fn given_value(&self, id: usize) -> Option<&Value> {
        self.given.iter().find(|(g, _)| *g == id).map(|(_, v)| v)
    }

    fn compute(&mut self, id: usize, name: &str, span: Span) -> Result<Option<Value>, EvalError> {
        let policy = self.policy;
        // The names know where each is defined; the scan is for a model of another text.
        let defined = self.names.defined[id].and_then(|i| policy.items.get(i));
        for item in defined.into_iter().chain(&policy.items) {
            match &item.kind {
                ItemKind::Metric(m) if m.name.text == name => return self.value(&m.expr),
                ItemKind::Commission(c) if c.name.text == name => {
                    return self.commission(c).map(|d| Some(Value::Num(d)));
                }
                ItemKind::Bonus(b) if b.name.text == name => return self.bonus(b).map(|d| Some(Value::Num(d))),
                ItemKind::Promotion(p) if p.name.text == name => return self.value(&p.cond),
                ItemKind::Target(t) if t.name.text == name => return Ok(Some(Value::Num(t.amount.value))),
                ItemKind::Draw(d) if d.name.text == name => return self.draw(d, span).map(|d| Some(Value::Num(d))),
                _ => {}
            }
        }
        err(span, format!("no value for `{name}`"))
    }

    /// A number, or `None` when `e` is empty.
    fn num(&mut self, e: &Expr) -> Result<Option<Decimal>, EvalError> {
        match self.value(e)? {
            None => Ok(None),
            Some(Value::Num(d)) => Ok(Some(d)),
            Some(other) => err(e.span, format!("expected a number, got {other}")),
        }
    }

    /// A condition, or `None` when `e` is empty.
    fn truth(&mut self, e: &Expr) -> Result<Option<bool>, EvalError> {
        match self.value(e)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => err(e.span, format!("expected a condition, got {other}")),
        }
    }

    /// Whether the condition `e` holds; an empty condition does not.
    pub fn holds(&mut self, e: &Expr) -> Result<bool, EvalError> {
        Ok(self.truth(e)? == Some(true))
    }

    /// The value of `e`, which must not be empty (see [`Rules::value`]).
    pub fn expr(&mut self, e: &Expr) -> Result<Value, EvalError> {
        self.value(e)?.ok_or_else(|| empty(e.span))
    }

    /// The value of `e`; `None` when it is empty.
    pub fn value(&mut self, e: &Expr) -> Result<Option<Value>, EvalError> {
        let overflow = |_| EvalError {
            message: "arithmetic overflow".into(),
            span: e.span,
        };
        Ok(match &e.kind {
            ExprKind::Number(n) | ExprKind::Percent(n) => Some(Value::Num(n.value)),
            ExprKind::Text(s) => Some(Value::Text(s.clone())),
            ExprKind::Date(d) => Some(Value::Date(*d)),
            ExprKind::Paren(inner) => self.value(inner)?,
            ExprKind::Path(p) if p.second.is_none() => self.name_value(&p.first.text, e.span)?,
            // A two-part name is a roster field: given, never computed.
            ExprKind::Path(p) => match self.names.path(p).and_then(|id| self.given_value(id)) {
                Some(v) => Some(v.clone()),
                None => return err(e.span, format!("no value for `{}`", p.display())),
            },
            ExprKind::Target => match self.target {
                Some(t) => Some(Value::Num(t)),
                None => return err(e.span, "no target is known here"),
            },
            ExprKind::Score => Some(Value::Num(self.score(e.span)?)),
            ExprKind::Grade => return err(e.span, "a grade is compared with `is`"),
            ExprKind::GradeIs(level) => Some(Value::Bool(self.grade_level(e.span)? == level.text)),
            ExprKind::Aggregate { .. } => match self.world {
                Some(w) => w.aggregate(e.span)?,
                None => {
                    return err(
                        e.span,
                        "this aggregation reads records; give the metric's value instead",
                    );
                }
            },
            ExprKind::Across { expr, by } => match self.world {
                Some(w) => Some(Value::Num(w.across(expr, &by.text)?)),
                None => {
                    return err(
                        e.span,
                        "a roll-up needs the results of other people; give its value instead",
                    );
                }
            },
            ExprKind::AtLeast { count, per, cond } => match self.world {
                Some(w) => Some(Value::Bool(w.count_periods(*per, cond)? >= *count)),
                None => {
                    return err(
                        e.span,
                        "this needs the results of other periods; give its value instead",
                    );
                }
            },
            ExprKind::Projected(inner) => match self.world {
                Some(w) => match self.num(inner)? {
                    Some(v) => Some(Value::Num(money::mul(v, w.projection()).map_err(overflow)?)),
                    None => None,
                },
                None => {
                    return err(
                        e.span,
                        "a projection needs the records of a run; give its value instead",
                    );
                }
            },
            ExprKind::Unary(UnaryOp::Not, inner) => self.truth(inner)?.map(|b| Value::Bool(!b)),
            ExprKind::Unary(UnaryOp::Neg, inner) => self.num(inner)?.map(|d| Value::Num(-d)),
            // Empty counts as false; the right side is not computed when the left decides.
            ExprKind::Binary(BinaryOp::And, l, r) => Some(Value::Bool(self.holds(l)? && self.holds(r)?)),
            ExprKind::Binary(BinaryOp::Or, l, r) => Some(Value::Bool(self.holds(l)? || self.holds(r)?)),
            ExprKind::Binary(op, l, r) if op.is_comparison() => {
                let (a, b) = (self.value(l)?, self.value(r)?);
                let (Some(a), Some(b)) = (a, b) else {
                    return Ok(Some(Value::Bool(false)));
                };
                Some(Value::Bool(
                    compare(*op, &a, &b).map_err(|message| EvalError { message, span: e.span })?,
                ))
            }
            ExprKind::Binary(op, l, r) => {
                let (a, b) = (self.num(l)?, self.num(r)?);
                let (Some(a), Some(b)) = (a, b) else {
                    return Ok(None);
                };
                match arithmetic(*op, a, b) {
                    Ok(d) => Some(Value::Num(d)),
                    Err(ArithError::DivisionByZero) => None,
                    Err(ArithError::Overflow) => return err(e.span, "arithmetic overflow"),
                }
            }
        })
    }

    /// Σ weight × indicator, each indicator held between its floor and cap; an empty indicator
    /// counts 0. Zero when a gate does not hold (an empty gate does not).
    pub fn score(&mut self, span: Span) -> Result<Decimal, EvalError> {
        if let Some(score) = self.score {
            return Ok(score);
        }
        let score = self.compute_score(span)?;
        self.score = Some(score);
        Ok(score)
    }

    fn compute_score(&mut self, span: Span) -> Result<Decimal, EvalError> {
        let Some(score) = self.find(|k| match k {
            ItemKind::Score(s) => Some(s),
            _ => None,
        }) else {
            return err(span, "the policy has no score");
        };
        for gate in &score.gates {
            if !self.holds(&gate.cond)? {
                return Ok(Decimal::ZERO);
            }
        }
        let mut total = Decimal::ZERO;
        for ind in &score.indicators {
            // No evidence for the indicator: it contributes nothing, whatever its floor.
            let Some(mut v) = self.num(&ind.expr)? else {
                continue;
            };
            if let Some(cap) = &ind.cap {
                v = v.min(cap.value);
            }
            if let Some(floor) = &ind.floor {
                v = v.max(floor.value);
            }
            let weighted = money::mul(v, ind.weight.value).map_err(|_| EvalError {
                message: "arithmetic overflow".into(),
                span: ind.span,
            })?;
            total = money::add(total, weighted).map_err(|_| EvalError {
                message: "arithmetic overflow".into(),
                span: ind.span,
            })?;
        }
        Ok(total)
    }

    /// The first grade whose condition holds (an empty one does not), else the `otherwise` grade.
    pub fn grade(&mut self, span: Span) -> Result<String, EvalError> {
        self.grade_level(span).map(str::to_string)
    }

    fn grade_level(&mut self, span: Span) -> Result<&'a str, EvalError> {
        if let Some(level) = self.grade {
            return Ok(level);
        }
        let Some(grade) = self.find(|k| match k {
            ItemKind::Grade(g) => Some(g),
            _ => None,
        }) else {
            return err(span, "the policy has no grades");
        };
        let mut level = grade.otherwise.text.as_str();
        for rule in &grade.rules {
            if self.holds(&rule.cond)? {
                level = &rule.grade.text;
                break;
            }
        }
        self.grade = Some(level);
        Ok(level)
    }

    pub fn round(&self, amount: Decimal, span: Span) -> Result<Decimal, EvalError> {
        money::round(amount, self.model.header.rounding, self.model.header.rounding_unit).map_err(|_| EvalError {
            message: "arithmetic overflow".into(),
            span,
        })
    }

    /// The commission of one period: tiers, then gates, minimum and cap, then rounding. A yearly
    /// cap applies as if nothing had been paid earlier in the year (a run tracks the rest).
    /// It pays 0, like a gate that does not hold, when its base or measure is empty.
    pub fn commission(&mut self, c: &Commission) -> Result<Decimal, EvalError> {
        if !self.gates_hold(c)? {
            return Ok(Decimal::ZERO);
        }
        let Some(base) = self.num(&c.base)? else {
            return Ok(Decimal::ZERO);
        };
        let measure = match &c.by {
            Some(by) => self.num(by)?,
            None => Some(base),
        };
        let Some(measure) = measure else {
            return Ok(Decimal::ZERO);
        };
        let bands = bands(c);
        let overflow = |_| EvalError {
            message: "arithmetic overflow".into(),
            span: c.name.span,
        };
        if base < Decimal::ZERO && c.claws_back() {
            // Net returns: clawed back at the rate of the band the measure falls in.
            let rate = bands
                .iter()
                .find(|b| b.to.is_none_or(|hi| measure < hi))
                .and_then(|b| match b.pay {
                    Pay::Rate(r) => Some(r),
                    Pay::Amount(_) => None,
                })
                .unwrap_or(Decimal::ZERO);
            let clawed = money::mul(base, rate).map_err(overflow)?;
            return self.round(clawed, c.name.span);
        }
        let paid = tiers::pay(c.mode, &bands, base, measure).map_err(overflow)?;
        self.settle(c, paid.amount)
    }

    /// Whether every gate of a commission holds (an empty gate does not).
    pub fn gates_hold(&mut self, c: &Commission) -> Result<bool, EvalError> {
        for gate in &c.gates {
            if !self.holds(&gate.cond)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A commission's tier payout for one period with its minimums and caps, rounded. A
    /// minimum over a longer period is made good over that period by the run, not in each of
    /// its periods; a longer cap is also a ceiling for one period.
    pub fn settle(&mut self, c: &Commission, mut amount: Decimal) -> Result<Decimal, EvalError> {
        let own = c.per.unwrap_or(self.model.calendar.assess);
        for m in c.minimums.iter().filter(|m| m.per == own) {
            amount = amount.max(m.amount.value);
        }
        for cap in &c.caps {
            amount = amount.min(cap.amount.value);
        }
        self.round(amount, c.name.span)
    }

    /// A draw in a period with no balance carried in: it tops the commission up to the draw.
    /// Recovering an advance from later periods needs a run over records.
    pub fn draw(&mut self, d: &Draw, span: Span) -> Result<Decimal, EvalError> {
        let commission = self.name_value(&d.against.text, span)?;
        let Some(Value::Num(earned)) = commission else {
            return err(span, "a draw is set against a commission");
        };
        let Some(short) = d.amount.value.checked_sub(earned) else {
            return err(span, "arithmetic overflow");
        };
        self.round(short.max(Decimal::ZERO), d.name.span)
    }

    /// A bonus of one period: 0 when its condition does not hold (an empty one does not) or its
    /// amount is empty.
    pub fn bonus(&mut self, b: &Bonus) -> Result<Decimal, EvalError> {
        if let Some(cond) = &b.cond
            && !self.holds(cond)?
        {
            return Ok(Decimal::ZERO);
        }
        let Some(amount) = self.num(&b.amount)? else {
            return Ok(Decimal::ZERO);
        };
        self.round(amount, b.name.span)
    }
}

/// A commission's tiers as bands for the tier arithmetic.
pub fn bands(c: &Commission) -> Vec<Band> {
    let pay = |n: &Num| {
        if n.is_percent() {
            Pay::Rate(n.value)
        } else {
            Pay::Amount(n.value)
        }
    };
    c.tiers
        .iter()
        .map(|t| Band {
            from: t.from.as_ref().map(|n| n.value),
            to: t.to.as_ref().map(|n| n.value),
            pay: pay(&t.pay),
            pay_to: t.pay_to.as_ref().map(pay),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Checked, check_source};
    use crate::diagnostic::Severity;
    use rust_decimal_macros::dec;

    const POLICY: &str = r#"policy "u"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly

source sales
  rep     text   salesperson
  day     date   dated
  amount  money

target company 1,200,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target
metric doubled = -attainment * 2
metric huge = revenue * 10,000,000,000,000,000,000,000,000

score
  attainment         weight 50%  floor 50%
  revenue / 100,000  weight 50%  cap 100%

grade A if attainment >= 100% or revenue >= 1,000,000, B if revenue >= 10,000, otherwise C

commission pay on revenue by attainment marginal
  below 100%  5%
  above 100%  10%

bonus flat 1,000 monthly if attainment < 1% or revenue >= 10,000
bonus share 1% * doubled * revenue monthly
"#;

    fn checked() -> Checked {
        let checked = check_source(POLICY);
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        checked
    }

    /// Rules with `revenue` given and a target of `target`.
    fn rules<'a>(c: &'a Checked, revenue: Decimal, target: Decimal) -> Rules<'a> {
        let given = BTreeMap::from([("revenue".to_string(), Value::Num(revenue))]);
        Rules::new(&c.parsed.policy, &c.model, given, Some(target))
    }

    fn item<T>(c: &Checked, pick: impl Fn(&ItemKind) -> Option<&T>) -> &T {
        c.parsed.policy.items.iter().find_map(|i| pick(&i.kind)).unwrap()
    }

    #[test]
    fn a_division_by_zero_is_empty_and_so_is_what_is_built_on_it() {
        let c = checked();
        let mut r = rules(&c, dec!(30000), dec!(0));
        assert_eq!(r.name_value("attainment", Span::default()), Ok(None));
        // Negation and arithmetic with an empty operand are empty.
        assert_eq!(r.name_value("doubled", Span::default()), Ok(None));
        // Asked for a value, an empty one is an error.
        assert_eq!(r.name("attainment", Span::default()).unwrap_err().message, EMPTY);
        let mut r = rules(&c, dec!(30000), dec!(100000));
        assert_eq!(
            r.name_value("doubled", Span::default()),
            Ok(Some(Value::Num(dec!(-0.6))))
        );
    }

    #[test]
    fn overflow_is_still_an_error() {
        let c = checked();
        let mut r = rules(&c, dec!(120000), dec!(100000));
        let e = r.name_value("huge", Span::default()).unwrap_err();
        assert_eq!(e.message, "arithmetic overflow");
    }

    #[test]
    fn comparisons_with_empty_are_false_and_and_or_take_empty_as_false() {
        let c = checked();
        let bonus = |name: &str| {
            item(&c, |k| {
                matches!(k, ItemKind::Bonus(b) if b.name.text == name).then_some(k)
            })
        };
        let (ItemKind::Bonus(flat), ItemKind::Bonus(share)) = (bonus("flat"), bonus("share")) else {
            unreachable!()
        };
        // `attainment < 1%` is false when attainment is empty; `revenue >= 10,000` decides.
        assert_eq!(rules(&c, dec!(5000), dec!(0)).bonus(flat), Ok(dec!(0)));
        assert_eq!(rules(&c, dec!(30000), dec!(0)).bonus(flat), Ok(dec!(1000)));
        // With a target, attainment 0.5% < 1% holds.
        assert_eq!(rules(&c, dec!(500), dec!(100000)).bonus(flat), Ok(dec!(1000)));
        // An empty amount pays 0; with a target, 1% × −(30,000 / 100,000 × 2) × 30,000 = −180.
        assert_eq!(rules(&c, dec!(30000), dec!(0)).bonus(share), Ok(dec!(0)));
        assert_eq!(rules(&c, dec!(30000), dec!(100000)).bonus(share), Ok(dec!(-180)));
        // Grade: `attainment >= 100%` is false, the `or` goes on; 30,000 >= 10,000 gives B.
        assert_eq!(rules(&c, dec!(30000), dec!(0)).grade(Span::default()), Ok("B".into()));
        assert_eq!(rules(&c, dec!(5000), dec!(0)).grade(Span::default()), Ok("C".into()));
    }

    #[test]
    fn an_empty_indicator_counts_zero_whatever_its_floor() {
        let c = checked();
        // Target 0: attainment is empty and adds nothing (not its 50% floor); 50% × 30% = 15%.
        assert_eq!(rules(&c, dec!(30000), dec!(0)).score(Span::default()), Ok(dec!(0.15)));
        // Target 100,000: attainment 30% is held at its floor: 50% × 50% + 50% × 30% = 40%.
        assert_eq!(
            rules(&c, dec!(30000), dec!(100000)).score(Span::default()),
            Ok(dec!(0.40))
        );
    }

    #[test]
    fn a_commission_with_an_empty_measure_pays_zero() {
        let c = checked();
        let ItemKind::Commission(pay) = item(&c, |k| matches!(k, ItemKind::Commission(_)).then_some(k)) else {
            unreachable!()
        };
        assert_eq!(rules(&c, dec!(30000), dec!(0)).commission(pay), Ok(dec!(0)));
        // 30,000 at 30% of a 100,000 target: 30,000 × 5% = 1,500.
        assert_eq!(rules(&c, dec!(30000), dec!(100000)).commission(pay), Ok(dec!(1500)));
    }

    #[test]
    fn given_values_win_over_definitions_and_assumptions() {
        let c = checked();
        let given = BTreeMap::from([
            ("revenue".to_string(), Value::Num(dec!(50000))),
            ("attainment".to_string(), Value::Num(dec!(0.25))),
            ("reps.region".to_string(), Value::Text("East".into())),
        ]);
        let mut r = Rules::new(&c.parsed.policy, &c.model, given, Some(dec!(100000)));
        // attainment is given as 25%, not computed as 50,000 / 100,000.
        assert_eq!(r.name("doubled", Span::default()), Ok(Value::Num(dec!(-0.50))));
        r.assume("attainment", Value::Num(dec!(3)));
        assert_eq!(r.name("doubled", Span::default()), Ok(Value::Num(dec!(-0.50))));
        let field = |name: &str| Expr {
            kind: ExprKind::Path(Path {
                first: Name {
                    text: "reps".into(),
                    span: Span::default(),
                },
                second: Some(Name {
                    text: name.into(),
                    span: Span::default(),
                }),
            }),
            span: Span::default(),
        };
        assert_eq!(r.value(&field("region")), Ok(Some(Value::Text("East".into()))));
        assert_eq!(r.value(&field("team")).unwrap_err().message, "no value for `reps.team`");
    }

    #[test]
    fn an_assumed_value_replaces_what_was_computed_from_it() {
        let c = checked();
        let mut r = rules(&c, dec!(50000), dec!(100000));
        assert_eq!(r.name("doubled", Span::default()), Ok(Value::Num(dec!(-1.0))));
        r.assume("attainment", Value::Num(dec!(2)));
        assert_eq!(r.name("doubled", Span::default()), Ok(Value::Num(dec!(-4))));
    }

    #[test]
    fn a_name_built_on_itself_is_an_error_not_a_hang() {
        let text = POLICY.replace(
            "metric doubled = -attainment * 2",
            "metric doubled = -looped * 2\nmetric looped = doubled + 1",
        );
        let c = check_source(&text);
        let mut r = Rules::new(&c.parsed.policy, &c.model, BTreeMap::new(), Some(dec!(1)));
        let e = r.name("doubled", Span::default()).unwrap_err();
        assert_eq!(e.message, "`doubled` depends on itself");
        // Asked again, it fails the same way: a failed name is not kept as computed.
        let e = r.name("looped", Span::default()).unwrap_err();
        assert_eq!(e.message, "`looped` depends on itself");
    }

    #[test]
    fn the_score_and_grade_kept_are_dropped_with_an_assumption() {
        let c = checked();
        let mut r = rules(&c, dec!(50000), dec!(100000));
        // attainment 50% (at its floor) × 50% + 50,000 / 100,000 × 50% = 0.25 + 0.25.
        assert_eq!(r.score(Span::default()), Ok(dec!(0.5)));
        assert_eq!(r.grade(Span::default()).as_deref(), Ok("B"));
        r.assume("attainment", Value::Num(dec!(2)));
        // 200% × 50% + 0.25; A, as attainment >= 100%.
        assert_eq!(r.score(Span::default()), Ok(dec!(1.25)));
        assert_eq!(r.grade(Span::default()).as_deref(), Ok("A"));
    }
}
