//! Row expressions compiled for the fast evaluator: names resolved to field and roster
//! indexes once, constants converted once, and the common cases — comparing a text field with a
//! constant, amounts as scaled integers, dates as packed integers — evaluated without building a
//! `Value`. Anything else goes through the reference evaluator's own operations
//! (`run::aggregate::binary`), so both evaluators give the same answer and the same error.

use rust_decimal::Decimal;

use super::cells::{Day, FIXED_SCALE};
use crate::eval::rules::Value;
use crate::run::aggregate::binary;
use crate::syntax::ast::*;

/// A value during the evaluation of one row; text borrows from the row or the roster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum V<'r> {
    /// An empty optional cell.
    Null,
    /// An amount as an integer of 10^-FIXED_SCALE units.
    Fixed(i64),
    Num(Decimal),
    Text(&'r str),
    Date(Day),
    Bool(bool),
}

impl V<'_> {
    pub fn decimal(self) -> Option<Decimal> {
        match self {
            V::Fixed(f) => Some(Decimal::new(f, FIXED_SCALE)),
            V::Num(d) => Some(d),
            _ => None,
        }
    }

    /// The reference evaluator's value; `None` for an empty cell.
    pub fn to_value(self) -> Option<Value> {
        Some(match self {
            V::Null => return None,
            V::Fixed(_) | V::Num(_) => Value::Num(self.decimal()?),
            V::Text(t) => Value::Text(t.to_string()),
            V::Date(d) => Value::Date(d.to_date()?),
            V::Bool(b) => Value::Bool(b),
        })
    }
}

/// A constant of the policy.
#[derive(Clone, Debug)]
pub enum Const {
    Fixed(i64),
    Num(Decimal),
    Text(Box<str>),
    Date(Day),
}

/// A compiled row expression.
#[derive(Clone, Debug)]
pub enum RowExpr {
    Field(usize),
    /// A roster field of the salesperson the row is credited to (by field name).
    Roster(Box<str>),
    Const(Const),
    Not(Box<RowExpr>),
    Neg(Box<RowExpr>),
    Binary(BinaryOp, Box<RowExpr>, Box<RowExpr>),
    /// `field = "text"` (or `!=`), the most common filter, without the general machinery.
    FieldIsText {
        field: usize,
        text: Box<str>,
        equal: bool,
    },
    /// An expression the reference evaluator refuses on a row; the message is its error.
    Refused(String),
}

/// What a row expression reads besides the row: the roster of the salesperson credited.
pub trait RosterView {
    fn text(&self, field: &str) -> Option<&str>;
    fn amount(&self, field: &str) -> Option<Decimal>;
}

/// The roster of a row credited to nobody (or a row that reads none).
pub struct NoRoster;

impl RosterView for NoRoster {
    fn text(&self, _: &str) -> Option<&str> {
        None
    }

    fn amount(&self, _: &str) -> Option<Decimal> {
        None
    }
}

impl RowExpr {
    /// Compiles `e` for rows of the source whose field names are `fields`; `roster` is the
    /// policy's roster source and `source` the name of the one being read.
    pub fn compile(e: &Expr, fields: &[String], roster: Option<&str>, source: &str) -> RowExpr {
        let rec = |x: &Expr| Box::new(RowExpr::compile(x, fields, roster, source));
        match &e.kind {
            ExprKind::Number(n) | ExprKind::Percent(n) => RowExpr::Const(fixed_or_num(n.value)),
            ExprKind::Text(s) => RowExpr::Const(Const::Text(s.as_str().into())),
            ExprKind::Date(d) => RowExpr::Const(Const::Date(Day::from_date(*d))),
            ExprKind::Paren(x) => RowExpr::compile(x, fields, roster, source),
            ExprKind::Path(p) => {
                let (first, field) = match &p.second {
                    Some(f) => (Some(p.first.text.as_str()), f.text.as_str()),
                    None => (None, p.first.text.as_str()),
                };
                if first.is_some() && first == roster && first != Some(source) {
                    return RowExpr::Roster(field.into());
                }
                match fields.iter().position(|f| f == field) {
                    Some(i) => RowExpr::Field(i),
                    None => RowExpr::Refused(format!("no field `{field}` in `{source}`")),
                }
            }
            ExprKind::Unary(UnaryOp::Not, x) => RowExpr::Not(rec(x)),
            ExprKind::Unary(UnaryOp::Neg, x) => RowExpr::Neg(rec(x)),
            ExprKind::Binary(op, l, r) => match (op, *rec(l), *rec(r)) {
                (BinaryOp::Eq | BinaryOp::Ne, RowExpr::Field(field), RowExpr::Const(Const::Text(text))) => {
                    RowExpr::FieldIsText {
                        field,
                        text,
                        equal: *op == BinaryOp::Eq,
                    }
                }
                (op, a, b) => RowExpr::Binary(*op, Box::new(a), Box::new(b)),
            },
            _ => RowExpr::Refused("this cannot be computed on a single record".into()),
        }
    }

    /// Whether the expression reads the roster (and so must be evaluated per salesperson).
    pub fn reads_roster(&self) -> bool {
        match self {
            RowExpr::Roster(_) => true,
            RowExpr::Not(x) | RowExpr::Neg(x) => x.reads_roster(),
            RowExpr::Binary(_, l, r) => l.reads_roster() || r.reads_roster(),
            _ => false,
        }
    }

    /// Evaluates the expression on one row (`cells`, by field index).
    pub fn eval<'r>(&'r self, cells: &[V<'r>], roster: &'r dyn RosterView) -> Result<V<'r>, String> {
        Ok(match self {
            RowExpr::Field(i) => cells[*i],
            RowExpr::FieldIsText { field, text, equal } => match cells[*field] {
                V::Text(t) => V::Bool(super::keys::same(t.as_bytes(), text.as_bytes()) == *equal),
                // A comparison with an empty cell is false.
                V::Null => V::Bool(false),
                other => {
                    let op = if *equal { BinaryOp::Eq } else { BinaryOp::Ne };
                    slow_binary(op, other, V::Text(text))?
                }
            },
            RowExpr::Roster(f) => match (roster.text(f), roster.amount(f)) {
                (Some(t), _) => V::Text(t),
                (None, Some(d)) => V::Num(d),
                (None, None) => V::Null,
            },
            RowExpr::Const(c) => match c {
                Const::Fixed(f) => V::Fixed(*f),
                Const::Num(d) => V::Num(*d),
                Const::Text(t) => V::Text(t),
                Const::Date(d) => V::Date(*d),
            },
            RowExpr::Not(x) => match x.eval(cells, roster)? {
                V::Bool(b) => V::Bool(!b),
                _ => V::Null,
            },
            RowExpr::Neg(x) => match x.eval(cells, roster)? {
                V::Fixed(f) if f != i64::MIN => V::Fixed(-f),
                v => match v.decimal() {
                    Some(d) => V::Num(-d),
                    None => V::Null,
                },
            },
            RowExpr::Binary(op, l, r) => {
                let a = l.eval(cells, roster)?;
                if let (BinaryOp::And, V::Bool(false)) | (BinaryOp::Or, V::Bool(true)) = (op, a) {
                    return Ok(a);
                }
                let b = r.eval(cells, roster)?;
                if a == V::Null || b == V::Null {
                    // A comparison with an empty cell is false; arithmetic with one is empty.
                    return Ok(if op.is_comparison() { V::Bool(false) } else { V::Null });
                }
                fast_binary(*op, a, b).unwrap_or_else(|| slow_binary(*op, a, b))?
            }
            RowExpr::Refused(why) => return Err(why.clone()),
        })
    }
}

/// A filter: its expression, and the same as the conjunction of its tests in order
/// (`a and b and c`), each a common test read straight off the cells where it is one.
#[derive(Clone, Debug)]
pub struct Filter {
    pub expr: RowExpr,
    tests: Vec<Test>,
}

#[derive(Clone, Debug)]
enum Test {
    /// `field = "text"` (or `!=`).
    TextIs {
        field: usize,
        text: Box<str>,
        equal: bool,
    },
    /// A field compared with a plain amount or a date.
    Compare {
        field: usize,
        op: BinaryOp,
        value: Const,
    },
    Other(RowExpr),
}

impl Filter {
    pub fn new(expr: RowExpr) -> Filter {
        let mut tests = Vec::new();
        conjuncts(&expr, &mut tests);
        Filter { expr, tests }
    }

    /// Whether the row passes. Conjuncts are tested in order and the first false one decides,
    /// as the expression's own evaluation does; a test that gives anything but true or false
    /// (an empty cell in arithmetic, an error) leaves the answer to the whole expression.
    #[inline]
    pub fn keeps<'r>(&'r self, cells: &[V<'r>], roster: &'r dyn RosterView) -> Result<bool, String> {
        for t in &self.tests {
            match t.test(cells, roster) {
                Some(true) => {}
                Some(false) => return Ok(false),
                None => return Ok(self.expr.eval(cells, roster)? == V::Bool(true)),
            }
        }
        Ok(true)
    }
}

fn conjuncts(e: &RowExpr, out: &mut Vec<Test>) {
    match e {
        RowExpr::Binary(BinaryOp::And, l, r) => {
            conjuncts(l, out);
            conjuncts(r, out);
        }
        RowExpr::FieldIsText { field, text, equal } => out.push(Test::TextIs {
            field: *field,
            text: text.clone(),
            equal: *equal,
        }),
        RowExpr::Binary(op, l, r) if op.is_comparison() => match (&**l, &**r) {
            (RowExpr::Field(field), RowExpr::Const(value @ (Const::Fixed(_) | Const::Date(_)))) => {
                out.push(Test::Compare {
                    field: *field,
                    op: *op,
                    value: value.clone(),
                })
            }
            _ => out.push(Test::Other(e.clone())),
        },
        _ => out.push(Test::Other(e.clone())),
    }
}

impl Test {
    /// True or false as the expression would give it; `None` when it would give anything else.
    #[inline]
    fn test<'r>(&'r self, cells: &[V<'r>], roster: &'r dyn RosterView) -> Option<bool> {
        match self {
            Test::TextIs { field, text, equal } => match cells[*field] {
                V::Text(t) => Some(super::keys::same(t.as_bytes(), text.as_bytes()) == *equal),
                // A comparison with an empty cell is false.
                V::Null => Some(false),
                _ => None,
            },
            Test::Compare { field, op, value } => {
                let ord = match (cells[*field], value) {
                    (V::Fixed(x), Const::Fixed(y)) => x.cmp(y),
                    (V::Date(x), Const::Date(y)) => x.cmp(y),
                    (V::Null, _) => return Some(false),
                    _ => return None,
                };
                holds(*op, ord)
            }
            Test::Other(e) => match e.eval(cells, roster) {
                Ok(V::Bool(b)) => Some(b),
                _ => None,
            },
        }
    }
}

/// The cases worth a fast path; `None` for everything else.
fn fast_binary<'r>(op: BinaryOp, a: V<'r>, b: V<'r>) -> Option<Result<V<'r>, String>> {
    let ord = match (a, b) {
        (V::Fixed(x), V::Fixed(y)) => x.cmp(&y),
        (V::Text(x), V::Text(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(&y),
        (V::Bool(x), V::Bool(y)) => match op {
            BinaryOp::And => return Some(Ok(V::Bool(x && y))),
            BinaryOp::Or => return Some(Ok(V::Bool(x || y))),
            _ => x.cmp(&y),
        },
        _ => return None,
    };
    holds(op, ord).map(|b| Ok(V::Bool(b)))
}

/// Whether a comparison holds for two values ordered `ord`; `None` for any other operator.
#[inline]
fn holds(op: BinaryOp, ord: std::cmp::Ordering) -> Option<bool> {
    Some(match op {
        BinaryOp::Eq => ord.is_eq(),
        BinaryOp::Ne => ord.is_ne(),
        BinaryOp::Lt => ord.is_lt(),
        BinaryOp::Le => ord.is_le(),
        BinaryOp::Gt => ord.is_gt(),
        BinaryOp::Ge => ord.is_ge(),
        _ => return None,
    })
}

fn slow_binary<'r>(op: BinaryOp, a: V<'r>, b: V<'r>) -> Result<V<'r>, String> {
    let (Some(x), Some(y)) = (a.to_value(), b.to_value()) else {
        return Ok(V::Null);
    };
    Ok(match binary(op, x, y)? {
        Value::Num(d) => V::Num(d),
        Value::Bool(b) => V::Bool(b),
        // Arithmetic gives numbers and comparisons truths; text and dates only pass through.
        other => return Err(format!("cannot compute {other} on a record")),
    })
}

/// A constant as a scaled integer when it is one exactly.
fn fixed_or_num(d: Decimal) -> Const {
    let mut scaled = d;
    scaled.rescale(FIXED_SCALE);
    match i64::try_from(scaled.mantissa()) {
        Ok(m) if scaled == d => Const::Fixed(m),
        _ => Const::Num(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// The conjunction of tests answers as the expression does, on every kind of cell.
    #[test]
    fn filter_tests_agree_with_the_expression() {
        let and = |l: RowExpr, r: RowExpr| RowExpr::Binary(BinaryOp::And, Box::new(l), Box::new(r));
        let cmp =
            |op, field, c: Const| RowExpr::Binary(op, Box::new(RowExpr::Field(field)), Box::new(RowExpr::Const(c)));
        let is = |field, text: &str| RowExpr::FieldIsText {
            field,
            text: text.into(),
            equal: true,
        };
        let day = Day::new(2027, 4, 1);
        let filters = [
            is(0, "closed"),
            and(is(0, "closed"), cmp(BinaryOp::Gt, 1, Const::Fixed(30_000))),
            and(
                and(is(0, "closed"), cmp(BinaryOp::Ge, 2, Const::Date(day))),
                is(3, "yes"),
            ),
            and(cmp(BinaryOp::Lt, 1, Const::Num(dec!(3.5))), is(0, "closed")),
            // Arithmetic with an empty cell is empty, not false: the expression decides.
            and(
                RowExpr::Binary(BinaryOp::Add, Box::new(RowExpr::Field(1)), Box::new(RowExpr::Field(1))),
                is(0, "closed"),
            ),
            and(is(0, "open"), RowExpr::Refused("no field `x` in `s`".into())),
            and(is(0, "closed"), RowExpr::Refused("no field `x` in `s`".into())),
        ];
        let rows = [
            [V::Text("closed"), V::Fixed(40_000), V::Date(day), V::Text("yes")],
            [
                V::Text("closed"),
                V::Fixed(20_000),
                V::Date(Day::new(2027, 3, 31)),
                V::Null,
            ],
            [V::Text("open"), V::Null, V::Null, V::Text("no")],
            [V::Null, V::Num(dec!(4.00001)), V::Date(day), V::Text("yes")],
            [V::Text("closed"), V::Null, V::Date(day), V::Text("yes")],
        ];
        for (f, expr) in filters.into_iter().enumerate() {
            let filter = Filter::new(expr.clone());
            for (r, row) in rows.iter().enumerate() {
                let expected = expr.eval(row, &NoRoster).map(|v| v == V::Bool(true));
                assert_eq!(filter.keeps(row, &NoRoster), expected, "filter {f}, row {r}");
            }
        }
    }
}
