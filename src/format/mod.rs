//! The formatter: syntax tree → canonical text.

use crate::diagnostic::Diagnostic;
use crate::syntax::keywords::Lang;

pub enum FormatError {
    Invalid(Vec<Diagnostic>),
    Unsafe(String),
}

pub fn format_source(text: &str, _lang: Option<Lang>) -> Result<String, FormatError> {
    Ok(text.to_string())
}
