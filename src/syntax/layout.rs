//! Layout: cutting a file into items and finding its comments, before any parsing.
//!
//! An item starts at a line that begins in the first column; indented lines, blank lines and
//! comment lines continue it. Parsing each item on its own is what lets one broken item leave
//! the others intact, so every error in a file is reported at once.

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::Span;

/// The largest policy file accepted. Real policies are a few kilobytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// The deepest nesting of parentheses accepted in one item.
pub const MAX_NESTING: usize = 64;
/// The most operators accepted in one item; with the nesting limit this bounds the depth of
/// every expression tree, so no later stage can exhaust the stack.
pub const MAX_OPERATORS: usize = 256;

/// A comment and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// 0-based line index.
    pub line: usize,
    /// The text from `#` to the end of the line, trailing spaces removed.
    pub text: String,
    /// Alone on its line, rather than after code.
    pub own_line: bool,
}

/// Byte ranges of the items of `text`, and diagnostics for lines that belong to no item.
pub fn split_items(text: &str) -> (Vec<Span>, Vec<Diagnostic>) {
    let mut items = Vec::new();
    let mut diags = Vec::new();
    let mut current: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start_matches([' ', '\t', '\u{3000}']);
        let starts_item = !content.is_empty() && trimmed.len() == content.len() && !trimmed.starts_with('#');
        if starts_item {
            if let Some(start) = current {
                items.push(Span::new(start, offset));
            }
            current = Some(offset);
        } else if current.is_none() && !trimmed.is_empty() && !trimmed.starts_with('#') {
            let start = offset + (content.len() - trimmed.len());
            diags.push(
                Diagnostic::error(
                    "stray-indent",
                    Span::new(start, offset + content.len()),
                    "this line is indented but belongs to no item",
                )
                .label("indented line")
                .help("an item starts in the first column; lines that continue it are indented below it"),
            );
        }
        offset += line.len();
    }
    if let Some(start) = current {
        items.push(Span::new(start, text.len()));
    }
    (items, diags)
}

/// Every comment in `text`. A `#` inside a string is not a comment.
pub fn comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if let Some(at) = comment_start(line) {
            out.push(Comment {
                line: index,
                text: line[at..].trim_end().to_string(),
                own_line: line[..at].trim().is_empty(),
            });
        }
    }
    out
}

fn comment_start(line: &str) -> Option<usize> {
    let mut in_ascii = false;
    let mut in_curly = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if in_ascii {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_ascii = false,
                _ => {}
            }
        } else if in_curly {
            if c == '”' {
                in_curly = false;
            }
        } else {
            match c {
                '"' => in_ascii = true,
                '“' => in_curly = true,
                '#' => return Some(i),
                _ => {}
            }
        }
    }
    None
}

/// The deepest parenthesis nesting in `text`, outside strings and comments; checked before
/// parsing so that no input can exhaust the stack.
pub fn nesting_depth(text: &str) -> (usize, usize) {
    let mut depth = 0usize;
    let mut deepest = (0, 0);
    for (line_start, line) in line_offsets(text) {
        let code_end = comment_start(line).unwrap_or(line.len());
        let mut in_string = false;
        for (i, c) in line[..code_end].char_indices() {
            match c {
                '"' | '“' | '”' => in_string = !in_string,
                '(' if !in_string => {
                    depth += 1;
                    if depth > deepest.0 {
                        deepest = (depth, line_start + i);
                    }
                }
                ')' if !in_string => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

fn line_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_start_in_the_first_column() {
        let text = "# preamble\npolicy \"x\"\n  version \"1\"\n\n# about calendar\ncalendar\n  assess monthly\n";
        let (items, diags) = split_items(text);
        assert!(diags.is_empty());
        assert_eq!(items.len(), 2);
        assert_eq!(
            &text[items[0].start..items[0].end],
            "policy \"x\"\n  version \"1\"\n\n# about calendar\n"
        );
        assert_eq!(&text[items[1].start..items[1].end], "calendar\n  assess monthly\n");
    }

    #[test]
    fn indented_line_before_any_item_is_reported() {
        let (items, diags) = split_items("  version \"1\"\npolicy \"x\"\n");
        assert_eq!(items.len(), 1);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].span, Span::new(2, 13));
        assert_eq!((diags[0].span.start, diags[0].span.end), (2, 13));
    }

    #[test]
    fn hash_in_string_is_not_a_comment() {
        let c = comments("policy \"No. #1\"  # the first\n  # own line\n");
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            Comment {
                line: 0,
                text: "# the first".into(),
                own_line: false
            }
        );
        assert_eq!(
            c[1],
            Comment {
                line: 1,
                text: "# own line".into(),
                own_line: true
            }
        );
    }

    #[test]
    fn nesting_depth_ignores_strings() {
        assert_eq!(nesting_depth("a = ((b)) \"(((\" # (((").0, 2);
    }
}
