//! The diff and the log as text (optionally coloured), Markdown and JSON. Rendering only:
//! the caller decides where the output goes.

use super::log::{Entry, VersionInfo};
use super::{Change, ChangeKind};

/// A line longer than this shows a change's old and new values on lines of their own.
const WIDE: usize = 100;
/// How many changes a log entry lists before "… and N more".
const LOG_SHOWN: usize = 3;

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

struct Paint(bool);

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

fn kind_colour(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => GREEN,
        ChangeKind::Removed => RED,
        ChangeKind::Changed => YELLOW,
    }
}

/// `2027.2.policy (version "2027.2", effective 2027-02-01)`
fn identity(v: &VersionInfo) -> String {
    let mut facts = Vec::new();
    if let Some(version) = &v.version {
        facts.push(format!("version {}", crate::syntax::literals::quote(version)));
    }
    if let Some(date) = v.effective {
        facts.push(format!("effective {date}"));
    }
    if facts.is_empty() {
        v.file.clone()
    } else {
        format!("{} ({})", v.file, facts.join(", "))
    }
}

/// `7 changes (5 to the rules, 2 to tests)`
pub fn count(changes: &[Change]) -> String {
    let tests = changes.iter().filter(|c| c.test).count();
    let rules = changes.len() - tests;
    let plural = |n: usize| if n == 1 { "change" } else { "changes" };
    match (rules, tests) {
        (0, 0) => "no changes in meaning".into(),
        (_, 0) => format!("{rules} {}", plural(rules)),
        (0, _) => format!("{tests} {} to tests", plural(tests)),
        _ => format!(
            "{} {} ({rules} to the rules, {tests} to tests)",
            rules + tests,
            plural(rules + tests)
        ),
    }
}

/// The diff as text: the two versions, then each item's changes under its name.
pub fn text(old: &VersionInfo, new: &VersionInfo, changes: &[Change], color: bool) -> String {
    let p = Paint(color);
    let mut out = format!("{}\n  → {}\n", identity(old), identity(new));
    let mut current: Option<&str> = None;
    for c in changes {
        if current != Some(c.item.as_str()) {
            out.push('\n');
            out.push_str(&p.paint(BOLD, &c.item));
            out.push('\n');
            current = Some(&c.item);
        }
        out.push_str(&p.paint(kind_colour(c.kind), &detail_lines(c)));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&count(changes));
    out.push('\n');
    out
}

/// A change under its item's heading, indented; a long change of value shows the old and
/// the new value on lines of their own, so they can be read one above the other.
fn detail_lines(c: &Change) -> String {
    let line = format!("  {}", c.detail());
    if c.kind != ChangeKind::Changed || line.chars().count() <= WIDE {
        return line;
    }
    let head = if c.what.is_empty() {
        "changed".to_string()
    } else {
        c.what.clone()
    };
    format!(
        "  {head}:\n      was: {}\n      now: {}",
        c.old.as_deref().unwrap_or("none"),
        c.new.as_deref().unwrap_or("none")
    )
}

/// A Markdown table cell: a code span with `|` escaped (GitHub tables split on it even
/// inside code), or plain text when the value itself holds a backtick.
fn cell(v: Option<&str>) -> String {
    match v {
        None => String::new(),
        Some(v) if v.contains('`') => v.replace('|', "\\|").replace('<', "&lt;"),
        Some(v) => format!("`{}`", v.replace('|', "\\|")),
    }
}

fn kind_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

/// The diff as a Markdown report: the two versions side by side, then a table per item.
pub fn markdown(old: &VersionInfo, new: &VersionInfo, changes: &[Change]) -> String {
    let mut out = String::from("# Policy changes\n\n| | old | new |\n|---|---|---|\n");
    let row = |label: &str, o: Option<String>, n: Option<String>| {
        format!("| {label} | {} | {} |\n", cell(o.as_deref()), cell(n.as_deref()))
    };
    out.push_str(&row("file", Some(old.file.clone()), Some(new.file.clone())));
    out.push_str(&row("policy", Some(old.name.clone()), Some(new.name.clone())));
    out.push_str(&row("version", old.version.clone(), new.version.clone()));
    let date = |v: &VersionInfo| v.effective.map(|d| d.to_string());
    out.push_str(&row("effective", date(old), date(new)));
    let approval = |v: &VersionInfo| v.approved.as_ref().map(|a| format!("{} on {}", a.by, a.on));
    out.push_str(&row("approved by", approval(old), approval(new)));
    out.push_str(&format!("\n{}.\n", capitalise(&count(changes))));

    let mut section: Option<bool> = None;
    let mut current: Option<&str> = None;
    for c in changes {
        if section != Some(c.test) {
            out.push_str(if c.test {
                "\n## Changes to tests\n"
            } else {
                "\n## Changes to the rules\n"
            });
            section = Some(c.test);
            current = None;
        }
        if current != Some(c.item.as_str()) {
            out.push_str(&format!(
                "\n### {}\n\n| change | part | old | new |\n|---|---|---|---|\n",
                c.item.replace('|', "\\|")
            ));
            current = Some(&c.item);
        }
        let part = if c.what.is_empty() {
            "the whole item".to_string()
        } else {
            c.what.replace('|', "\\|").replace('<', "&lt;")
        };
        out.push_str(&format!(
            "| {} | {part} | {} | {} |\n",
            kind_word(c.kind),
            cell(c.old.as_deref()),
            cell(c.new.as_deref())
        ));
    }
    out
}

/// `s` with its first letter in upper case, to start a sentence.
pub(super) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The diff as JSON: `{ "old": …, "new": …, "count": n, "changes": [ … ] }`, each change with
/// `item`, `what`, `old`, `new`, `kind` (`added`, `removed`, `changed`) and `test`.
pub fn json(old: &VersionInfo, new: &VersionInfo, changes: &[Change]) -> String {
    // A struct rather than `json!`, so the fields keep this order in the output.
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        old: &'a VersionInfo,
        new: &'a VersionInfo,
        count: usize,
        changes: &'a [Change],
    }
    let doc = Doc {
        old,
        new,
        count: changes.len(),
        changes,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A log entry's changes in a few lines: the count, then the first few.
fn summary_lines(e: &Entry) -> Vec<String> {
    let Some(changes) = &e.changes else {
        return vec!["the first version".into()];
    };
    let previous = e.previous.as_deref().unwrap_or("the version before");
    let mut lines = vec![format!("{} since {previous}", count(changes))];
    lines.extend(changes.iter().take(LOG_SHOWN).map(Change::describe));
    if changes.len() > LOG_SHOWN {
        lines.push(format!("… and {} more", changes.len() - LOG_SHOWN));
    }
    lines
}

fn approval_line(v: &VersionInfo) -> String {
    match &v.approved {
        Some(a) => format!("approved by {} on {}", crate::syntax::literals::quote(&a.by), a.on),
        None => "no approval recorded".into(),
    }
}

/// The log as text: one block per version, oldest first.
pub fn log_text(entries: &[Entry], color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let date = e.info.effective.map(|d| d.to_string()).unwrap_or_default();
        out.push_str(&p.paint(BOLD, &e.info.title()));
        out.push_str(&format!("  effective {date}  {}\n", p.paint(DIM, &e.info.file)));
        out.push_str(&format!("  {}\n", approval_line(&e.info)));
        for (j, line) in summary_lines(e).into_iter().enumerate() {
            let indent = if j == 0 { "  " } else { "    " };
            out.push_str(&format!("{indent}{line}\n"));
        }
    }
    out
}

pub fn log_markdown(entries: &[Entry]) -> String {
    let mut out = String::from(
        "# Policy history\n\n| version | effective | approved by | file | changes |\n|---|---|---|---|---|\n",
    );
    for e in entries {
        let approved = e.info.approved.as_ref().map(|a| format!("{} on {}", a.by, a.on));
        let changes: Vec<String> = summary_lines(e)
            .iter()
            .map(|l| l.replace('|', "\\|").replace('<', "&lt;"))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            e.info.title().replace('|', "\\|"),
            e.info.effective.map(|d| d.to_string()).unwrap_or_default(),
            approved.unwrap_or_default().replace('|', "\\|"),
            cell(Some(&e.info.file)),
            changes.join("<br>")
        ));
    }
    out
}

/// The log as JSON: `{ "versions": [ … ] }`, each with `file`, `name`, `version`, `effective`,
/// `approved` (`by`, `on`), `previous` and `changes` (`null` for the first version).
pub fn log_json(entries: &[Entry]) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        versions: &'a [Entry],
    }
    serde_json::to_string_pretty(&Doc { versions: entries }).unwrap_or_default() + "\n"
}
