//! Turning pest's parse errors into diagnostics in plain words: what was expected, named as a
//! person would (`a percentage like 40%`), never as a grammar rule.

use pest::error::{ErrorVariant, InputLocation};

use super::keywords::{Kw, Lang};
use super::parser::Rule;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::Span;

/// Item keywords, in the order they are suggested.
const ITEM_KEYWORDS: &[Kw] = &[
    Kw::Policy,
    Kw::Calendar,
    Kw::Source,
    Kw::Roster,
    Kw::Target,
    Kw::Split,
    Kw::Allocate,
    Kw::Phase,
    Kw::Prorate,
    Kw::Metric,
    Kw::Score,
    Kw::Grade,
    Kw::Commission,
    Kw::Draw,
    Kw::Bonus,
    Kw::Spif,
    Kw::Promotion,
    Kw::Discipline,
    Kw::Test,
];

pub(super) fn syntax_error(err: pest::error::Error<Rule>, chunk: &str, offset: usize, lang: Lang) -> Diagnostic {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = pos.min(chunk.len());
    let found = found_at(chunk, pos);
    let span = Span::new(
        offset + pos,
        offset + pos + found.len().max(1).min(chunk.len().saturating_sub(pos).max(1)),
    );

    if let Some(open) = unterminated_string(chunk, pos) {
        return Diagnostic::error(
            "unterminated-string",
            Span::new(offset + open, offset + line_end(chunk, open)),
            "this string is not closed",
        )
        .label("string starts here")
        .help("close the string with `\"` on the same line");
    }

    let positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { message } => {
            return Diagnostic::error("syntax", span, message.clone());
        }
    };
    let mut expected: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !expected.contains(&s) {
            expected.push(s);
        }
    };
    // Only the first word of an item is an item keyword; `target`, `score` and `grade` also
    // start expressions.
    let before: String = chunk[..pos]
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect();
    let at_item_start = before.trim().is_empty() && positives.iter().any(|r| is_item_rule(*r));
    // Where an expression may start, say so instead of listing every way one can.
    let expression_expected = positives
        .iter()
        .any(|r| matches!(r, Rule::paren | Rule::agg_func | Rule::expr));
    let positives: Vec<Rule> = if expression_expected {
        let mut kept: Vec<Rule> = positives.iter().copied().filter(|r| !starts_expression(*r)).collect();
        kept.insert(0, Rule::expr);
        kept
    } else {
        positives
    };
    for rule in &positives {
        push(describe(*rule, lang));
    }
    if at_item_start {
        let names: Vec<String> = ITEM_KEYWORDS
            .iter()
            .map(|k| format!("`{}`", k.spelling(lang)))
            .collect();
        let spellings: Vec<&str> = ITEM_KEYWORDS.iter().map(|k| k.spelling(lang)).collect();
        let help = match crate::suggest::did_you_mean(found, spellings.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("an item starts with one of {}", join_or(&names)),
        };
        return Diagnostic::error(
            "syntax",
            span,
            format!("expected an item, found {}", describe_found(found)),
        )
        .label("not an item")
        .help(help);
    }
    let message = format!("expected {}, found {}", join_or(&expected), describe_found(found));
    let mut diag = Diagnostic::error("syntax", span, message).label("unexpected here");
    let keywords: Vec<&str> = positives
        .iter()
        .flat_map(|r| rule_kws(*r))
        .map(|k| k.spelling(lang))
        .collect();
    if let Some(best) = crate::suggest::did_you_mean(found, keywords.iter().copied()) {
        diag = diag.help(format!("did you mean `{best}`?"));
    } else if let Some(hint) = hint(&positives, found) {
        diag = diag.help(hint);
    }
    diag
}

fn starts_expression(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::K_TARGET
            | Rule::K_NOT
            | Rule::K_PROJECTED
            | Rule::K_AT_LEAST
            | Rule::K_SCORE
            | Rule::K_GRADE
            | Rule::ident
            | Rule::path
            | Rule::number
            | Rule::percent
            | Rule::date
            | Rule::string
            | Rule::op_neg
            | Rule::paren
            | Rule::agg_func
            | Rule::expr
    )
}

fn is_item_rule(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::item
            | Rule::header
            | Rule::calendar
            | Rule::source
            | Rule::roster
            | Rule::target
            | Rule::split
            | Rule::allocate
            | Rule::phase
            | Rule::prorate
            | Rule::metric
            | Rule::score
            | Rule::grade
            | Rule::commission
            | Rule::draw
            | Rule::bonus
            | Rule::promotion
            | Rule::discipline
            | Rule::test
    ) || rule_kw(rule).is_some_and(|k| ITEM_KEYWORDS.contains(&k))
}

fn rule_kw(rule: Rule) -> Option<Kw> {
    let name = format!("{rule:?}");
    Kw::ALL.iter().copied().find(|k| k.rule_name() == name)
}

/// The keywords a rule is a choice of: one for a keyword, the modes of a header line.
fn rule_kws(rule: Rule) -> Vec<Kw> {
    match rule {
        Rule::rounding_mode => vec![Kw::HalfUp, Kw::HalfEven, Kw::Down],
        Rule::mid_period_mode => vec![Kw::FromNextPeriod, Kw::ProratedByDays],
        _ => rule_kw(rule).into_iter().collect(),
    }
}

fn describe(rule: Rule, lang: Lang) -> String {
    let kws = rule_kws(rule);
    if !kws.is_empty() {
        let names: Vec<String> = kws.iter().map(|k| format!("`{}`", k.spelling(lang))).collect();
        return join_or(&names);
    }
    match rule {
        Rule::ident => "a name",
        Rule::path => "a name",
        Rule::number | Rule::digits => "a number",
        Rule::int => "a whole number",
        Rule::percent => "a percentage like `40%`",
        Rule::date => "a date like `2027-01-01`",
        Rule::string => "a text in double quotes",
        Rule::value => "a name or a text in double quotes",
        Rule::expr => "an expression",
        Rule::adverb => "a period (`monthly`, `quarterly` or `yearly`)",
        Rule::month => "a month",
        Rule::EOI => "the end of the item",
        Rule::op_or | Rule::op_and => "`and` or `or`",
        Rule::op_eq | Rule::op_ne | Rule::op_lt | Rule::op_le | Rule::op_gt | Rule::op_ge => "a comparison",
        Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div => "an operator",
        Rule::bound => "a percentage or an amount",
        _ => "something else",
    }
    .to_string()
}

fn hint(positives: &[Rule], found: &str) -> Option<String> {
    if positives.contains(&Rule::percent)
        && !found.is_empty()
        && found.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return Some(format!(
            "write a share as a percentage, e.g. `{}%`",
            found.trim_end_matches(|c: char| !c.is_ascii_digit())
        ));
    }
    if positives.contains(&Rule::date) {
        return Some("write dates as YYYY-MM-DD, e.g. `2027-01-01`".into());
    }
    if positives.contains(&Rule::string) {
        return Some("put the text in double quotes, e.g. `\"Sales Committee\"`".into());
    }
    if positives.contains(&Rule::EOI) {
        return Some("each line of an item holds one clause; an indented line continues the item above it".into());
    }
    if positives.contains(&Rule::K_WEIGHT) {
        return Some("each scorecard line is `<indicator> weight <percentage>`".into());
    }
    None
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => "something else".into(),
        [one] => one.clone(),
        _ => {
            if items.len() > 8 {
                return format!("{}, …", items[..8].join(", "));
            }
            match items.split_last() {
                Some((last, rest)) => format!("{} or {}", rest.join(", "), last),
                None => String::new(),
            }
        }
    }
}

/// The token at `pos`: a word, a symbol, or nothing at the end of a line.
fn found_at(chunk: &str, pos: usize) -> &str {
    let rest = &chunk[pos..];
    let end = rest
        .char_indices()
        .find(|(i, c)| c.is_whitespace() || (*i > 0 && matches!(c, ',' | '，' | ':' | '：' | '(' | ')')))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

fn describe_found(found: &str) -> String {
    if found.is_empty() {
        "the end of the line".into()
    } else {
        format!("`{found}`")
    }
}

fn line_end(chunk: &str, from: usize) -> usize {
    chunk[from..].find('\n').map_or(chunk.len(), |i| from + i)
}

/// Where an unclosed `"` opens on the line of `pos`, if there is one.
fn unterminated_string(chunk: &str, pos: usize) -> Option<usize> {
    let line_start = chunk[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &chunk[line_start..line_end(chunk, line_start)];
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (open, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(_), '"') => open = None,
            (None, '"') => open = Some(i),
            (None, '#') => break,
            _ => {}
        }
    }
    open.map(|i| line_start + i)
}
