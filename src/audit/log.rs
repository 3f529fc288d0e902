//! The history of a policy: its versions in the order they take effect, each with what
//! changed from the one before.

use std::cmp::Ordering;
use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

use super::{Change, diff};
use crate::check::Checked;
use crate::check::model::Model;

/// Who a version is, as its header says.
#[derive(Clone, Debug, Serialize)]
pub struct VersionInfo {
    pub file: String,
    pub name: String,
    pub version: Option<String>,
    #[serde(serialize_with = "opt_date")]
    pub effective: Option<Date>,
    pub approved: Option<Approval>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Approval {
    pub by: String,
    #[serde(serialize_with = "date")]
    pub on: Date,
}

/// Dates in JSON as `YYYY-MM-DD` strings.
fn date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

fn opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

impl VersionInfo {
    pub fn of(file: &str, model: &Model) -> VersionInfo {
        let h = &model.header;
        VersionInfo {
            file: file.to_string(),
            name: h.name.clone(),
            version: h.version.clone(),
            effective: h.effective,
            approved: h.approved.as_ref().map(|(by, on)| Approval {
                by: by.clone(),
                on: *on,
            }),
        }
    }

    /// `"2027.2"`, or the file name when the header has no version.
    pub fn title(&self) -> String {
        self.version.clone().unwrap_or_else(|| self.file.clone())
    }
}

/// One version in the history.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub info: VersionInfo,
    /// The version before it (its title), if any.
    pub previous: Option<String>,
    /// What changed from the version before; `None` for the first. The header's
    /// bookkeeping — version, effective date, approval — is left out: every entry shows it.
    pub changes: Option<Vec<Change>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogError {
    /// Two versions take effect on the same day, so which one is in force is undecided.
    SameDate { date: Date, first: String, second: String },
    /// A version without an effective date cannot be placed (only a policy with errors).
    NoDate { file: String },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::SameDate { date, first, second } => write!(
                f,
                "`{first}` and `{second}` both take effect on {date}: which version is in force on that day is undecided"
            ),
            LogError::NoDate { file } => write!(f, "`{file}` has no effective date"),
        }
    }
}

/// Whether a change is the header's bookkeeping, which differs between any two versions.
pub fn is_bookkeeping(c: &Change) -> bool {
    c.item == "policy" && matches!(c.what.as_str(), "version" | "effective date" | "approval")
}

/// Orders the versions by effective date (then version, then file name) and diffs each
/// against the one before. Every problem is reported, not only the first.
pub fn history(versions: Vec<(String, Checked)>) -> Result<Vec<Entry>, Vec<LogError>> {
    let mut errors = Vec::new();
    let mut dated = Vec::with_capacity(versions.len());
    for (file, checked) in versions {
        let info = VersionInfo::of(&file, &checked.model);
        match info.effective {
            Some(date) => dated.push((date, info, checked)),
            None => errors.push(LogError::NoDate { file }),
        }
    }
    dated.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| {
                natural(
                    a.1.version.as_deref().unwrap_or(""),
                    b.1.version.as_deref().unwrap_or(""),
                )
            })
            .then_with(|| a.1.file.cmp(&b.1.file))
    });
    for pair in dated.windows(2) {
        if pair[0].0 == pair[1].0 {
            errors.push(LogError::SameDate {
                date: pair[0].0,
                first: pair[0].1.file.clone(),
                second: pair[1].1.file.clone(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(dated.len());
    for (i, (_, info, checked)) in dated.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| dated.get(j));
        entries.push(Entry {
            info: info.clone(),
            previous: before.map(|(_, b, _)| b.title()),
            changes: before.map(|(_, _, b)| {
                let mut changes = diff(b, checked);
                changes.retain(|c| !is_bookkeeping(c));
                changes
            }),
        });
    }
    Ok(entries)
}

/// Compares versions the way people number them: `2027.10` after `2027.9`.
pub fn natural(a: &str, b: &str) -> Ordering {
    chunks(a).cmp(&chunks(b))
}

/// Runs of digits (compared as numbers: by length once leading zeros are gone, then by
/// digits) and runs of other characters.
fn chunks(s: &str) -> Vec<(u8, usize, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let digit = c.is_ascii_digit();
        let end = rest
            .char_indices()
            .find(|(_, ch)| ch.is_ascii_digit() != digit)
            .map_or(rest.len(), |(i, _)| i);
        let run = &rest[..end];
        if digit {
            let trimmed = run.trim_start_matches('0');
            out.push((0, trimmed.len(), trimmed.to_string()));
        } else {
            out.push((1, 0, run.to_string()));
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(natural("2027.9", "2027.10"), Ordering::Less);
        assert_eq!(natural("2027.2", "2027.2"), Ordering::Equal);
        assert_eq!(natural("FY2027.1", "FY2027.01"), Ordering::Equal);
        assert_eq!(natural("2027.1", "2027.1a"), Ordering::Less);
        assert_eq!(natural("", "1"), Ordering::Less);
    }
}
