//! Diagnostics: errors and warnings about a policy file, with their location, a label for the
//! underlined source, and a hint. Rendered for people through miette, for machines as JSON.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;
use std::fmt;

use crate::syntax::ast::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a policy file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable identifier such as `unknown-name`, for tooling and documentation.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// What the underline says.
    pub label: Option<String>,
    pub help: Option<String>,
    /// Other places involved, e.g. the first definition of a duplicate.
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

pub fn line_col(text: &str, offset: usize) -> LineCol {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    LineCol {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A diagnostic bound to its file, ready to render.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    text_len: usize,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let clamp = |s: Span| {
            let start = s.start.min(self.text_len);
            let end = s.end.clamp(start, self.text_len);
            (start, end - start)
        };
        let (start, len) = clamp(self.diag.span);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            self.diag.label.clone(),
            (start, len),
        )];
        for (span, label) in &self.diag.related {
            labels.push(LabeledSpan::new_with_span(Some(label.clone()), clamp(*span)));
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// Renders a diagnostic as people read it: the message, `file:line:col`, the source line with
/// the span underlined and labelled, and the hint. `color` adds terminal colours.
pub fn render(diag: &Diagnostic, file: &str, text: &str, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let report = Report {
        diag,
        source: NamedSource::new(file, text.to_string()).with_language("policy"),
        text_len: text.len(),
    };
    let mut out = String::new();
    let at = line_col(text, diag.span.start);
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{file}:{}:{}: {}\n", at.line, at.column, diag.message);
    }
    // miette counts columns in bytes; people (and the JSON output) count characters.
    let offset = floor_char_boundary(text, diag.span.start.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let byte_column = offset - line_start + 1;
    if byte_column != at.column {
        out = out.replacen(
            &format!("[{file}:{}:{byte_column}]", at.line),
            &format!("[{file}:{}:{}]", at.line, at.column),
            1,
        );
    }
    out
}

/// The machine-readable form of a diagnostic (`check --format json`).
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub file: &'a str,
    pub severity: Severity,
    pub code: &'a str,
    pub message: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub label: Option<&'a str>,
    pub help: Option<&'a str>,
}

impl<'a> JsonDiagnostic<'a> {
    pub fn new(diag: &'a Diagnostic, file: &'a str, text: &str) -> JsonDiagnostic<'a> {
        let start = line_col(text, diag.span.start);
        let end = line_col(text, diag.span.end);
        JsonDiagnostic {
            file,
            severity: diag.severity,
            code: diag.code,
            message: &diag.message,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            label: diag.label.as_deref(),
            help: diag.help.as_deref(),
        }
    }
}
