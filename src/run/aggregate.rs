//! The aggregations a policy computes over records, and their per-row evaluation: every
//! `sum of … where …` node of the policy becomes a spec; each row of its source is filtered and
//! added into the accumulator of its salesperson and of each period it falls in.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::eval::rules::{ArithError, Value, arithmetic, compare};
use crate::eval::targets::RosterEntry;
use crate::input::config::SourceBinding;
use crate::input::reader::{Row, Value as Cell};
use crate::money;
use crate::syntax::ast::*;

/// One aggregation written in the policy.
#[derive(Clone)]
pub struct Spec<'p> {
    /// Where it is written; identifies it.
    pub span: Span,
    pub source: String,
    pub func: AggFunc,
    /// `None` for `count of source`.
    pub arg: Option<&'p Expr>,
    pub filter: Option<&'p Expr>,
}

/// Every aggregation node in the policy, in the order written.
pub fn specs(policy: &Policy) -> Vec<Spec<'_>> {
    let mut out = Vec::new();
    for item in &policy.items {
        for e in item_exprs(&item.kind) {
            collect(e, &mut out);
        }
    }
    out
}

/// Adds `specs` to `all`, sharing each with an aggregation already there that computes the same
/// (the same sum written twice, or in two versions of a policy): it is then read once. Returns
/// where each of `specs`, by where it is written, is in `all`.
pub fn share<'p>(all: &mut Vec<Spec<'p>>, specs: Vec<Spec<'p>>) -> BTreeMap<(usize, usize), usize> {
    let mut at = BTreeMap::new();
    for spec in specs {
        // Expressions compare by meaning: spans do not count.
        let same = all.iter().position(|s| {
            s.source == spec.source && s.func == spec.func && s.arg == spec.arg && s.filter == spec.filter
        });
        let index = same.unwrap_or_else(|| {
            all.push(spec.clone());
            all.len() - 1
        });
        at.insert((spec.span.start, spec.span.end), index);
    }
    at
}

fn item_exprs(kind: &ItemKind) -> Vec<&Expr> {
    match kind {
        ItemKind::Metric(m) => vec![&m.expr],
        ItemKind::Score(s) => s
            .indicators
            .iter()
            .map(|i| &i.expr)
            .chain(s.gates.iter().map(|g| &g.cond))
            .collect(),
        ItemKind::Grade(g) => g.rules.iter().map(|r| &r.cond).collect(),
        ItemKind::Commission(c) => std::iter::once(&c.base)
            .chain(c.by.iter())
            .chain(c.gates.iter().map(|g| &g.cond))
            .collect(),
        ItemKind::Bonus(b) => std::iter::once(&b.amount).chain(b.cond.iter()).collect(),
        ItemKind::Promotion(p) => vec![&p.cond],
        ItemKind::Discipline(d) => d.measures.iter().map(|m| &m.cond).collect(),
        _ => Vec::new(),
    }
}

fn collect<'p>(e: &'p Expr, out: &mut Vec<Spec<'p>>) {
    match &e.kind {
        ExprKind::Aggregate { func, arg, filter } => {
            let source = arg.aggregated_source().unwrap_or_default().to_string();
            // `count of sales` counts records: there is no argument to evaluate.
            let arg = match &arg.kind {
                ExprKind::Path(Path { second: None, .. }) => None,
                _ => Some(arg.as_ref()),
            };
            out.push(Spec {
                span: e.span,
                source,
                func: *func,
                arg,
                filter: filter.as_deref(),
            });
        }
        ExprKind::Paren(x) | ExprKind::Unary(_, x) | ExprKind::Projected(x) => collect(x, out),
        ExprKind::Across { expr, .. } => collect(expr, out),
        ExprKind::AtLeast { cond, .. } => collect(cond, out),
        ExprKind::Binary(_, l, r) => {
            collect(l, out);
            collect(r, out);
        }
        _ => {}
    }
}

/// A running aggregate.
#[derive(Clone, Debug)]
pub enum Acc {
    Sum(Decimal),
    Count(u64),
    Distinct(BTreeSet<String>),
    Average(Decimal, u64),
    Min(Option<Value>),
    Max(Option<Value>),
}

impl Acc {
    pub fn new(func: AggFunc) -> Acc {
        match func {
            AggFunc::Sum => Acc::Sum(Decimal::ZERO),
            AggFunc::Count => Acc::Count(0),
            AggFunc::CountDistinct => Acc::Distinct(BTreeSet::new()),
            AggFunc::Average => Acc::Average(Decimal::ZERO, 0),
            AggFunc::Min => Acc::Min(None),
            AggFunc::Max => Acc::Max(None),
        }
    }

    /// Adds one row's value; `None` (an empty optional cell) is skipped, as in SQL.
    pub fn add(&mut self, v: Option<&Value>) -> Result<(), money::Overflow> {
        let Some(v) = v else {
            return Ok(());
        };
        match (self, v) {
            (Acc::Sum(s), Value::Num(d)) => *s = money::add(*s, *d)?,
            (Acc::Count(n), _) => *n += 1,
            (Acc::Distinct(set), v) => {
                set.insert(v.to_string());
            }
            (Acc::Average(s, n), Value::Num(d)) => {
                *s = money::add(*s, *d)?;
                *n += 1;
            }
            (Acc::Min(m), v) if m.as_ref().is_none_or(|cur| less(v, cur)) => {
                *m = Some(v.clone());
            }
            (Acc::Max(m), v) if m.as_ref().is_none_or(|cur| less(cur, v)) => {
                *m = Some(v.clone());
            }
            _ => {}
        }
        Ok(())
    }

    /// The aggregate's value; an average or extreme of no rows has none.
    pub fn value(&self) -> Option<Value> {
        match self {
            Acc::Sum(s) => Some(Value::Num(*s)),
            Acc::Count(n) => Some(Value::Num(Decimal::from(*n))),
            Acc::Distinct(set) => Some(Value::Num(Decimal::from(set.len()))),
            Acc::Average(_, 0) => None,
            Acc::Average(s, n) => s.checked_div(Decimal::from(*n)).map(Value::Num),
            Acc::Min(m) | Acc::Max(m) => m.clone(),
        }
    }
}

fn less(a: &Value, b: &Value) -> bool {
    compare(BinaryOp::Lt, a, b).unwrap_or(false)
}

/// Evaluates an expression on one row of `binding`'s source, for the salesperson `rep`.
/// `None` is an empty optional cell.
pub fn row_value(
    e: &Expr,
    row: &Row,
    binding: &SourceBinding,
    roster_name: Option<&str>,
    rep: &RosterEntry,
) -> Result<Option<Value>, String> {
    Ok(match &e.kind {
        ExprKind::Number(n) | ExprKind::Percent(n) => Some(Value::Num(n.value)),
        ExprKind::Text(s) => Some(Value::Text(s.clone())),
        ExprKind::Date(d) => Some(Value::Date(*d)),
        ExprKind::Paren(x) => row_value(x, row, binding, roster_name, rep)?,
        ExprKind::Path(p) => {
            let (source, field) = match &p.second {
                Some(f) => (Some(p.first.text.as_str()), f.text.as_str()),
                None => (None, p.first.text.as_str()),
            };
            if source.is_some() && source == roster_name && source != Some(binding.name.as_str()) {
                return Ok(rep
                    .attrs
                    .get(field)
                    .map(|t| Value::Text(t.clone()))
                    .or_else(|| rep.amounts.get(field).map(|d| Value::Num(*d))));
            }
            let Some(i) = binding.field_index(field) else {
                return Err(format!("no field `{field}` in `{}`", binding.name));
            };
            row.get(i).map(|c| match c {
                Cell::Text(t) => Value::Text(t.to_string()),
                Cell::Money(d) | Cell::Number(d) | Cell::Percent(d) => Value::Num(d),
                Cell::Date(d) => Value::Date(d),
            })
        }
        ExprKind::Unary(UnaryOp::Not, x) => match row_value(x, row, binding, roster_name, rep)? {
            Some(Value::Bool(b)) => Some(Value::Bool(!b)),
            _ => None,
        },
        ExprKind::Unary(UnaryOp::Neg, x) => match row_value(x, row, binding, roster_name, rep)? {
            Some(Value::Num(d)) => Some(Value::Num(-d)),
            _ => None,
        },
        ExprKind::Binary(op, l, r) => {
            let a = row_value(l, row, binding, roster_name, rep)?;
            if let (BinaryOp::And, Some(Value::Bool(false))) | (BinaryOp::Or, Some(Value::Bool(true))) = (op, &a) {
                return Ok(a);
            }
            let b = row_value(r, row, binding, roster_name, rep)?;
            let (Some(a), Some(b)) = (a, b) else {
                // A comparison with an empty cell is false; arithmetic with one is empty.
                return Ok(if op.is_comparison() {
                    Some(Value::Bool(false))
                } else {
                    None
                });
            };
            Some(binary(*op, a, b)?)
        }
        _ => return Err("this cannot be computed on a single record".into()),
    })
}

/// `a op b` on two values of a record, as both evaluators compute it.
pub(crate) fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value, String> {
    Ok(match (op, a, b) {
        (BinaryOp::And, Value::Bool(x), Value::Bool(y)) => Value::Bool(x && y),
        (BinaryOp::Or, Value::Bool(x), Value::Bool(y)) => Value::Bool(x || y),
        (op, a, b) if op.is_comparison() => Value::Bool(compare(op, &a, &b)?),
        (op, Value::Num(x), Value::Num(y)) => Value::Num(arithmetic(op, x, y).map_err(|why| match why {
            ArithError::DivisionByZero => "division by zero".to_string(),
            ArithError::Overflow => "arithmetic overflow".to_string(),
        })?),
        (_, a, b) => return Err(format!("cannot combine {a} and {b}")),
    })
}
