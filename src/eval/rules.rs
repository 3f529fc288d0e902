//! Evaluating the rules of one salesperson in one period from the values of their metrics:
//! metric arithmetic, the scorecard and grade, commission tiers with gates, minimums and caps,
//! bonuses. This is the plain, obviously-correct evaluator; it is what `rulebook test` runs.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;

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

/// What one salesperson's rules may ask of the run: the values of aggregations over their
/// records, and results of other people (`across`) and of shorter periods (`at least`).
pub trait World {
    /// The value of the aggregation written at `span`, for this salesperson and period.
    fn aggregate(&self, span: Span) -> Option<Value>;
    /// The sum of `expr` over everyone who shares this salesperson's roster value of `by`.
    fn across(&self, expr: &Expr, by: &str) -> Result<Decimal, EvalError>;
    /// In how many periods of length `per` inside this period `cond` holds.
    fn count_periods(&self, per: PeriodKind, cond: &Expr) -> Result<u32, EvalError>;
    /// Days in the period divided by the days with records so far, for `projected`.
    fn projection(&self) -> Decimal;
}

/// The values known for one salesperson and period, and the policy to compute the rest from.
pub struct Rules<'a> {
    world: Option<&'a dyn World>,
    policy: &'a Policy,
    model: &'a Model,
    /// Values given from outside (a test's `given`, or a salesperson's roster fields in a run);
    /// borrowed in a run, where the same values serve every period.
    given: Cow<'a, BTreeMap<String, Value>>,
    target: Option<Decimal>,
    computed: BTreeMap<String, Value>,
    /// Names being computed, to stop on cycles the checker would have reported.
    active: Vec<String>,
}

impl<'a> Rules<'a> {
    pub fn new(
        policy: &'a Policy,
        model: &'a Model,
        given: BTreeMap<String, Value>,
        target: Option<Decimal>,
    ) -> Rules<'a> {
        Rules {
            world: None,
            policy,
            model,
            given: Cow::Owned(given),
            target,
            computed: BTreeMap::new(),
            active: Vec::new(),
        }
    }

    /// As [`Rules::new`], with the given values borrowed.
    pub fn borrowing(
        policy: &'a Policy,
        model: &'a Model,
        given: &'a BTreeMap<String, Value>,
        target: Option<Decimal>,
    ) -> Rules<'a> {
        Rules {
            given: Cow::Borrowed(given),
            ..Rules::new(policy, model, BTreeMap::new(), target)
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

    /// The value of a name: given, or computed from its definition.
    pub fn name(&mut self, name: &str, span: Span) -> Result<Value, EvalError> {
        if let Some(v) = self.given.get(name).or_else(|| self.computed.get(name)) {
            return Ok(v.clone());
        }
        if self.active.iter().any(|n| n == name) {
            return err(span, format!("`{name}` depends on itself"));
        }
        if self.active.len() >= crate::check::types::MAX_METRIC_DEPTH {
            return err(span, format!("`{name}` is built on too many levels of other names"));
        }
        self.active.push(name.to_string());
        let result = self.compute(name, span);
        self.active.pop();
        let value = result?;
        self.computed.insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn compute(&mut self, name: &str, span: Span) -> Result<Value, EvalError> {
        let policy = self.policy;
        for item in &policy.items {
            match &item.kind {
                ItemKind::Metric(m) if m.name.text == name => return self.expr(&m.expr),
                ItemKind::Commission(c) if c.name.text == name => return self.commission(c).map(Value::Num),
                ItemKind::Bonus(b) if b.name.text == name => return self.bonus(b).map(Value::Num),
                ItemKind::Promotion(p) if p.name.text == name => return self.expr(&p.cond),
                ItemKind::Target(t) if t.name.text == name => return Ok(Value::Num(t.amount.value)),
                ItemKind::Draw(d) if d.name.text == name => return self.draw(d, span).map(Value::Num),
                _ => {}
            }
        }
        err(span, format!("no value for `{name}`"))
    }

    fn num(&mut self, e: &Expr) -> Result<Decimal, EvalError> {
        match self.expr(e)? {
            Value::Num(d) => Ok(d),
            other => err(e.span, format!("expected a number, got {other}")),
        }
    }

    fn truth(&mut self, e: &Expr) -> Result<bool, EvalError> {
        match self.expr(e)? {
            Value::Bool(b) => Ok(b),
            other => err(e.span, format!("expected a condition, got {other}")),
        }
    }

    pub fn expr(&mut self, e: &Expr) -> Result<Value, EvalError> {
        let overflow = |_| EvalError {
            message: "arithmetic overflow".into(),
            span: e.span,
        };
        Ok(match &e.kind {
            ExprKind::Number(n) | ExprKind::Percent(n) => Value::Num(n.value),
            ExprKind::Text(s) => Value::Text(s.clone()),
            ExprKind::Date(d) => Value::Date(*d),
            ExprKind::Paren(inner) => self.expr(inner)?,
            ExprKind::Path(p) if p.second.is_none() => self.name(&p.first.text, e.span)?,
            ExprKind::Path(p) => match self.given.get(&p.display()) {
                Some(v) => v.clone(),
                None => return err(e.span, format!("no value for `{}`", p.display())),
            },
            ExprKind::Target => match self.target {
                Some(t) => Value::Num(t),
                None => return err(e.span, "no target is known here"),
            },
            ExprKind::Score => Value::Num(self.score(e.span)?),
            ExprKind::Grade => return err(e.span, "a grade is compared with `is`"),
            ExprKind::GradeIs(level) => Value::Bool(self.grade(e.span)? == level.text),
            ExprKind::Aggregate { .. } => match self.world.and_then(|w| w.aggregate(e.span)) {
                Some(v) => v,
                None => {
                    return err(
                        e.span,
                        "this aggregation reads records; give the metric's value instead",
                    );
                }
            },
            ExprKind::Across { expr, by } => match self.world {
                Some(w) => Value::Num(w.across(expr, &by.text)?),
                None => {
                    return err(
                        e.span,
                        "a roll-up needs the results of other people; give its value instead",
                    );
                }
            },
            ExprKind::AtLeast { count, per, cond } => match self.world {
                Some(w) => Value::Bool(w.count_periods(*per, cond)? >= *count),
                None => {
                    return err(
                        e.span,
                        "this needs the results of other periods; give its value instead",
                    );
                }
            },
            ExprKind::Projected(inner) => match self.world {
                Some(w) => {
                    let v = self.num(inner)?;
                    Value::Num(money::mul(v, w.projection()).map_err(overflow)?)
                }
                None => {
                    return err(
                        e.span,
                        "a projection needs the records of a run; give its value instead",
                    );
                }
            },
            ExprKind::Unary(UnaryOp::Not, inner) => Value::Bool(!self.truth(inner)?),
            ExprKind::Unary(UnaryOp::Neg, inner) => Value::Num(-self.num(inner)?),
            ExprKind::Binary(BinaryOp::And, l, r) => Value::Bool(self.truth(l)? && self.truth(r)?),
            ExprKind::Binary(BinaryOp::Or, l, r) => Value::Bool(self.truth(l)? || self.truth(r)?),
            ExprKind::Binary(op, l, r) if op.is_comparison() => {
                let (a, b) = (self.expr(l)?, self.expr(r)?);
                Value::Bool(compare(*op, &a, &b).map_err(|message| EvalError { message, span: e.span })?)
            }
            ExprKind::Binary(op, l, r) => {
                let (a, b) = (self.num(l)?, self.num(r)?);
                Value::Num(arithmetic(*op, a, b).map_err(|why| {
                    let message = match why {
                        ArithError::DivisionByZero => {
                            format!("division by zero in `{}`", crate::format::expr::expr(e, Lang::En))
                        }
                        ArithError::Overflow => "arithmetic overflow".into(),
                    };
                    EvalError { message, span: e.span }
                })?)
            }
        })
    }

    /// Σ weight × indicator, each indicator held between its floor and cap; zero when a gate fails.
    pub fn score(&mut self, span: Span) -> Result<Decimal, EvalError> {
        let Some(score) = self.find(|k| match k {
            ItemKind::Score(s) => Some(s),
            _ => None,
        }) else {
            return err(span, "the policy has no score");
        };
        for gate in &score.gates {
            if !self.truth(&gate.cond)? {
                return Ok(Decimal::ZERO);
            }
        }
        let mut total = Decimal::ZERO;
        for ind in &score.indicators {
            let mut v = self.num(&ind.expr)?;
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

    /// The first grade whose condition holds, else the `otherwise` grade.
    pub fn grade(&mut self, span: Span) -> Result<String, EvalError> {
        let Some(grade) = self.find(|k| match k {
            ItemKind::Grade(g) => Some(g),
            _ => None,
        }) else {
            return err(span, "the policy has no grades");
        };
        for rule in &grade.rules {
            if self.truth(&rule.cond)? {
                return Ok(rule.grade.text.clone());
            }
        }
        Ok(grade.otherwise.text.clone())
    }

    fn round(&self, amount: Decimal, span: Span) -> Result<Decimal, EvalError> {
        money::round(amount, self.model.header.rounding, self.model.header.rounding_unit).map_err(|_| EvalError {
            message: "arithmetic overflow".into(),
            span,
        })
    }

    /// The commission of one period: tiers, then gates, minimum and cap, then rounding. A yearly
    /// cap applies as if nothing had been paid earlier in the year (a run tracks the rest).
    pub fn commission(&mut self, c: &Commission) -> Result<Decimal, EvalError> {
        for gate in &c.gates {
            if !self.truth(&gate.cond)? {
                return Ok(Decimal::ZERO);
            }
        }
        let base = self.num(&c.base)?;
        let measure = match &c.by {
            Some(by) => self.num(by)?,
            None => base,
        };
        let bands = bands(c);
        let overflow = |_| EvalError {
            message: "arithmetic overflow".into(),
            span: c.name.span,
        };
        if base < Decimal::ZERO && c.claw_back_returns.is_some() {
            // Net returns in a period with no history: clawed back at the rate of the band the
            // measure falls in. A run over records claws each return back at its sale's rate.
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
        let mut amount = paid.amount;
        for m in &c.minimums {
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
        let commission = self.name(&d.against.text, span)?;
        let Value::Num(earned) = commission else {
            return err(span, "a draw is set against a commission");
        };
        let topped = (d.amount.value - earned).max(Decimal::ZERO);
        self.round(topped, d.name.span)
    }

    pub fn bonus(&mut self, b: &Bonus) -> Result<Decimal, EvalError> {
        if let Some(cond) = &b.cond
            && !self.truth(cond)?
        {
            return Ok(Decimal::ZERO);
        }
        let amount = self.num(&b.amount)?;
        self.round(amount, b.name.span)
    }
}

/// A commission's tiers as bands for the tier arithmetic.
pub fn bands(c: &Commission) -> Vec<Band> {
    let pay = |n: &Num| {
        if n.text.ends_with('%') || n.text.ends_with('％') {
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
