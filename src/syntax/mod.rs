//! The syntax stage: text → items → pest parse tree → typed syntax tree (`ast`).
//!
//! Parsing never fails as a whole and never panics: it returns the items it could read and a
//! diagnostic for each it could not.

pub mod ast;
mod errors;
pub mod keywords;
pub mod layout;
pub mod literals;
mod lower;
mod parser;

use pest::Parser;

use crate::diagnostic::Diagnostic;
use ast::{Policy, Span};
use keywords::Lang;
use parser::{PolicyParser, Rule};

/// The result of parsing a file: every item that could be read, and what went wrong.
#[derive(Debug)]
pub struct Parsed {
    pub policy: Policy,
    pub lang: Lang,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a whole policy file.
pub fn parse(text: &str) -> Parsed {
    let lang = detect_lang(text);
    let mut diagnostics = Vec::new();
    let mut items = Vec::new();
    if text.len() > layout::MAX_FILE_BYTES {
        diagnostics.push(
            Diagnostic::error(
                "file-too-large",
                Span::new(0, 0),
                format!("the policy file is too large ({} bytes)", text.len()),
            )
            .help(format!(
                "a policy file may have at most {} bytes; split the policy or remove generated content",
                layout::MAX_FILE_BYTES
            )),
        );
        return Parsed {
            policy: Policy { items },
            lang,
            diagnostics,
        };
    }
    let (chunks, layout_diags) = layout::split_items(text);
    diagnostics.extend(layout_diags);
    for chunk in chunks {
        let source = &text[chunk.start..chunk.end];
        let (depth, at) = layout::nesting_depth(source);
        if depth > layout::MAX_NESTING {
            diagnostics.push(
                Diagnostic::error(
                    "too-deep",
                    Span::new(chunk.start + at, chunk.start + at + 1),
                    format!("parentheses are nested {depth} deep"),
                )
                .label("too deeply nested")
                .help(format!(
                    "at most {} levels of parentheses are allowed; name parts of the expression as metrics",
                    layout::MAX_NESTING
                )),
            );
            continue;
        }
        match PolicyParser::parse(Rule::item, source) {
            Ok(mut pairs) => {
                let operators = pairs.clone().flatten().filter(|p| is_operator(p.as_rule())).count();
                if operators > layout::MAX_OPERATORS {
                    diagnostics.push(
                        Diagnostic::error(
                            "too-long",
                            Span::new(chunk.start, chunk.start + source.find('\n').unwrap_or(source.len())),
                            format!("this item has {operators} operators"),
                        )
                        .label("too long an expression")
                        .help(format!(
                            "at most {} operators are allowed in one item; name parts of the expression as metrics",
                            layout::MAX_OPERATORS
                        )),
                    );
                    continue;
                }
                let lower = lower::Lower { offset: chunk.start };
                match pairs.next() {
                    Some(pair) => match lower.item(pair) {
                        Ok(item) => items.push(item),
                        Err(d) => diagnostics.push(*d),
                    },
                    None => diagnostics.push(Diagnostic::error(
                        "internal-error",
                        chunk,
                        "internal error: empty parse",
                    )),
                }
            }
            Err(err) => diagnostics.push(errors::syntax_error(err, source, chunk.start, lang)),
        }
    }
    Parsed {
        policy: Policy { items },
        lang,
        diagnostics,
    }
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_or
            | Rule::op_and
            | Rule::op_not
            | Rule::op_neg
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_le
            | Rule::op_ge
            | Rule::op_lt
            | Rule::op_gt
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::across
            | Rule::aggregate
            | Rule::at_least
            | Rule::projected
    )
}

/// The keyword language of a file: that of its first item's first word.
pub fn detect_lang(text: &str) -> Lang {
    let first = text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.chars().next());
    match first {
        Some(c) if !c.is_ascii() => Lang::Zh,
        _ => Lang::En,
    }
}
