//! Printing expressions. Parentheses are part of the syntax tree, so the printer never has
//! to invent any: it writes back exactly the structure that was parsed.

use crate::syntax::ast::*;
use crate::syntax::keywords::{Kw, Lang};
use crate::syntax::literals::quote;

pub fn expr(e: &Expr, lang: Lang) -> String {
    let kw = |k: Kw| k.spelling(lang);
    match &e.kind {
        ExprKind::Number(n) | ExprKind::Percent(n) => n.text.clone(),
        ExprKind::Text(s) => quote(s),
        ExprKind::Date(d) => d.to_string(),
        ExprKind::Path(p) => p.display(),
        ExprKind::Target => kw(Kw::Target).into(),
        ExprKind::Score => kw(Kw::Score).into(),
        ExprKind::Grade => kw(Kw::Grade).into(),
        ExprKind::GradeIs(level) => format!("{} {} {}", kw(Kw::Grade), kw(Kw::Is), level.text),
        ExprKind::Aggregate { func, arg, filter } => {
            let f = match func {
                AggFunc::Sum => Kw::SumOf,
                AggFunc::Count => Kw::CountOf,
                AggFunc::CountDistinct => Kw::CountDistinctOf,
                AggFunc::Average => Kw::AverageOf,
                AggFunc::Min => Kw::MinimumOf,
                AggFunc::Max => Kw::MaximumOf,
            };
            let mut out = format!("{} {}", kw(f), expr(arg, lang));
            if let Some(filter) = filter {
                out.push_str(&format!(" {} {}", kw(Kw::Where), expr(filter, lang)));
            }
            out
        }
        ExprKind::AtLeast { count, per, cond } => {
            let unit = if *per == PeriodKind::Quarter {
                Kw::Quarters
            } else {
                Kw::Months
            };
            format!(
                "{} {count} {} {} {}",
                kw(Kw::AtLeast),
                kw(unit),
                kw(Kw::With),
                expr(cond, lang)
            )
        }
        ExprKind::Projected(inner) => format!("{} {}", kw(Kw::Projected), expr(inner, lang)),
        ExprKind::Across { expr: inner, by } => format!("{} {} {}", expr(inner, lang), kw(Kw::Across), by.text),
        ExprKind::Unary(UnaryOp::Not, inner) => format!("{} {}", kw(Kw::Not), expr(inner, lang)),
        ExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", expr(inner, lang)),
        ExprKind::Binary(op, l, r) => {
            let symbol = match op {
                BinaryOp::And => kw(Kw::And),
                BinaryOp::Or => kw(Kw::Or),
                other => other.symbol(),
            };
            format!("{} {symbol} {}", expr(l, lang), expr(r, lang))
        }
        ExprKind::Paren(inner) => format!("({})", expr(inner, lang)),
    }
}
