//! Emitting lines with the comments and blank lines of the source around them.

use crate::syntax::ast::Span;
use crate::syntax::layout::Comment;

pub struct Printer<'a> {
    source: &'a str,
    /// Byte offset of the start of each source line.
    line_starts: Vec<usize>,
    comments: &'a [Comment],
    /// Which comments have been printed.
    used: Vec<bool>,
    out: String,
}

impl<'a> Printer<'a> {
    pub fn new(source: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Printer {
            source,
            line_starts,
            comments,
            used: vec![false; comments.len()],
            out: String::new(),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }

    fn is_blank(&self, line: usize) -> bool {
        let start = self.line_starts.get(line).copied().unwrap_or(self.source.len());
        let end = self.line_starts.get(line + 1).copied().unwrap_or(self.source.len());
        self.source[start..end].trim().is_empty()
    }

    /// A blank line before `line` if the source had one there and something precedes it.
    fn blank_before(&mut self, line: usize) {
        if !self.out.is_empty() && line > 0 && self.is_blank(line - 1) && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Comments not yet printed that stand before source line `line`, each on its own line.
    fn comments_before(&mut self, line: usize, indent: &str) {
        for i in 0..self.comments.len() {
            let c = &self.comments[i];
            if self.used[i] || c.line >= line {
                continue;
            }
            self.used[i] = true;
            self.blank_before(c.line);
            // A comment keeps whether it was indented; a trailing comment on a line no code was
            // printed for becomes an indented comment of its own.
            if !c.own_line || self.comment_indented(c) {
                self.out.push_str(indent);
            }
            self.out.push_str(&c.text);
            self.out.push('\n');
        }
    }

    fn comment_indented(&self, c: &Comment) -> bool {
        let start = self.line_starts.get(c.line).copied().unwrap_or(0);
        self.source[start..].starts_with([' ', '\t', '\u{3000}'])
    }

    /// Emits one line of code written for the source range `span`, with the comments that
    /// trailed those source lines.
    pub fn line(&mut self, indent: &str, text: &str, span: Span) {
        let first = self.line_of(span.start);
        let last = self.line_of(span.end.saturating_sub(1).max(span.start));
        self.comments_before(first, if indent.is_empty() { "  " } else { indent });
        self.blank_before(first);
        self.out.push_str(indent);
        self.out.push_str(text);
        let mut trailing = Vec::new();
        for (i, c) in self.comments.iter().enumerate() {
            if !self.used[i] && !c.own_line && (first..=last).contains(&c.line) {
                self.used[i] = true;
                trailing.push(c.text.as_str());
            }
        }
        if !trailing.is_empty() {
            self.out.push_str("  ");
            self.out.push_str(&trailing.join(" "));
        }
        let trimmed_len = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed_len);
        self.out.push('\n');
    }

    pub fn finish(mut self) -> String {
        self.comments_before(usize::MAX, "  ");
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.out
    }
}

/// The width of `s` in a terminal: CJK and full-width characters take two columns.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// `s` padded with spaces to `columns` display columns.
pub fn pad(s: &str, columns: usize) -> String {
    let mut out = s.to_string();
    for _ in width(s)..columns {
        out.push(' ');
    }
    out
}
