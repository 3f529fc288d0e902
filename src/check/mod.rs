//! The check stage: syntax tree → checked model, with every error and warning at once.
//!
//! `names` collects definitions, `types` resolves and types expressions, `items` checks each
//! item's own rules (shares that add up, tiers without gaps, declared periods), `plans` warns
//! about plans that pay perversely. Checking never stops at the first error.

mod items;
pub mod model;
mod names;
mod plans;
pub mod types;

use crate::diagnostic::Diagnostic;
use crate::syntax::{self, Parsed};
pub use model::Model;

/// A checked policy: the syntax tree, the model built from it, and every diagnostic in file
/// order.
pub struct Checked {
    pub parsed: Parsed,
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

const HELD_BACK_WHEN_INCOMPLETE: &[&str] = &[
    "unknown-name",
    "undeclared-period",
    "missing-header",
    "missing-header-line",
    "empty-policy",
    "missing-field",
];

/// Parses and checks a policy's text.
pub fn check_source(text: &str) -> Checked {
    let parsed = syntax::parse(text);
    let mut diagnostics = parsed.diagnostics.clone();
    let complete = parsed.diagnostics.is_empty();
    let mut found = Vec::new();
    let model = Model::build(&parsed.policy, text, &mut found, complete, parsed.lang);
    // When an item could not be read, findings that may only come from its absence (a name it
    // defined, a period its calendar declared, the header it was) are held back.
    found.retain(|d| complete || !HELD_BACK_WHEN_INCOMPLETE.contains(&d.code));
    diagnostics.extend(found);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end, d.severity));
    // Spans compare equal by design, so duplicates are found by position and message.
    diagnostics.dedup_by(|a, b| a.span.start == b.span.start && a.span.end == b.span.end && a.message == b.message);
    Checked {
        parsed,
        model,
        diagnostics,
    }
}
