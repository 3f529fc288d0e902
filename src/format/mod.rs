//! The formatter: syntax tree → canonical text, in either keyword language.
//!
//! One canonical layout: items start in column 1, their lines are indented by two spaces,
//! tables (fields, tiers, scorecard lines, measures) are aligned, at most one blank line
//! separates things, comments stay where they were. The formatter re-parses what it wrote
//! and refuses to hand it back if the syntax tree or the comments changed.

pub(crate) mod expr;
mod items;
mod printer;

use crate::diagnostic::Diagnostic;
use crate::syntax::{self, keywords::Lang, layout};

pub enum FormatError {
    /// The text does not parse; these are the reasons.
    Invalid(Vec<Diagnostic>),
    /// Formatting would have changed the policy's meaning or lost a comment (a defect).
    Unsafe(String),
}

/// Formats a policy's text; `lang` rewrites the keywords into that language.
pub fn format_source(text: &str, lang: Option<Lang>) -> Result<String, FormatError> {
    let parsed = syntax::parse(text);
    if !parsed.diagnostics.is_empty() {
        return Err(FormatError::Invalid(parsed.diagnostics));
    }
    let lang = lang.unwrap_or(parsed.lang);
    let comments = layout::comments(text);
    let out = items::print_policy(&parsed.policy, text, &comments, lang);

    let again = syntax::parse(&out);
    if !again.diagnostics.is_empty() {
        return Err(FormatError::Unsafe(format!(
            "the formatted text does not parse ({})",
            again.diagnostics[0].message
        )));
    }
    if again.policy != parsed.policy {
        return Err(FormatError::Unsafe("formatting would change the policy".into()));
    }
    let texts = |cs: &[layout::Comment]| cs.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    if texts(&layout::comments(&out)) != texts(&comments) {
        return Err(FormatError::Unsafe("formatting would lose or move a comment".into()));
    }
    Ok(out)
}
