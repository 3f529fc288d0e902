//! The check stage: syntax tree → checked model, with every error and warning at once.
//!
//! `names` collects definitions, `types` resolves and types expressions, `items` checks each
//! item's own rules (shares that add up, tiers without gaps, declared periods), `plans` warns
//! about plans that pay perversely. Checking never stops at the first error.

mod items;
pub mod model;
mod names;
mod plans;
mod types;

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

/// Parses and checks a policy's text.
pub fn check_source(text: &str) -> Checked {
    let parsed = syntax::parse(text);
    let mut diagnostics = parsed.diagnostics.clone();
    let model = Model::build(&parsed.policy, text, &mut diagnostics, parsed.diagnostics.is_empty());
    diagnostics.sort_by_key(|d| (d.span.start, d.severity));
    diagnostics.dedup();
    Checked {
        parsed,
        model,
        diagnostics,
    }
}
