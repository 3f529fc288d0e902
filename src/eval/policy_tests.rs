//! Running the `test` blocks written inside a policy.

use std::collections::BTreeMap;

use super::rules::{Rules, Value};
use crate::check::Model;
use crate::syntax::ast::*;

/// The outcome of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    pub name: String,
    pub span: Span,
    /// Empty when the test passed; otherwise why each failing `expect` failed.
    pub failures: Vec<(Span, String)>,
}

impl TestOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test of a checked policy, in the order written.
pub fn run_tests(policy: &Policy, model: &Model) -> Vec<TestOutcome> {
    let mut outcomes = Vec::new();
    for item in &policy.items {
        let ItemKind::Test(test) = &item.kind else { continue };
        let mut given = BTreeMap::new();
        let mut target = None;
        for g in &test.givens {
            let value = match &g.value.kind {
                ExprKind::Number(n) | ExprKind::Percent(n) => Value::Num(n.value),
                ExprKind::Text(s) => Value::Text(s.clone()),
                ExprKind::Date(d) => Value::Date(*d),
                _ => continue,
            };
            match &g.name {
                None => {
                    if let Value::Num(d) = value {
                        target = Some(d);
                    }
                }
                Some(path) => {
                    given.insert(path.display(), value);
                }
            }
        }
        let mut failures = Vec::new();
        for expect in &test.expects {
            let mut rules = Rules::new(policy, model, given.clone(), target);
            match rules.value(expect) {
                Ok(Some(Value::Bool(true))) => {}
                Ok(_) => failures.push((expect.span, explain(&mut rules, expect))),
                Err(e) => failures.push((e.span, e.message)),
            }
        }
        outcomes.push(TestOutcome {
            name: test.name.value.clone(),
            span: test.name.span,
            failures,
        });
    }
    outcomes
}

/// For a failed `a = b`, both sides' values.
fn explain(rules: &mut Rules, expect: &Expr) -> String {
    let shown = crate::format::expr::expr(expect, Lang::En);
    if let ExprKind::Binary(op, l, r) = &expect.kind
        && op.is_comparison()
        && let (Ok(a), Ok(b)) = (rules.value(l), rules.value(r))
    {
        let side = |v: Option<Value>| v.map_or_else(|| "empty".to_string(), |v| v.to_string());
        return format!(
            "expected `{shown}`, but the left side is {} and the right side is {}",
            side(a),
            side(b)
        );
    }
    format!("expected `{shown}` to hold, and it does not")
}
