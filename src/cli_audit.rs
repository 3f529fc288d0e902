//! `rulebook diff` and `rulebook log`: reading the versions, choosing the output format,
//! exit statuses. The comparison itself is `rulebook::audit`, which does no I/O.
//!
//! Exit statuses follow diff(1): 0 no change (or, for `log`, success), 1 changes, 2 trouble —
//! a file that cannot be read, a policy with errors (printed as `check` prints them),
//! versions that cannot be ordered.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;

use crate::cli::load_checked;
use rulebook::audit::log::{VersionInfo, history};
use rulebook::audit::{diff as semantic_diff, report};
use rulebook::check::Checked;

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// Plain text, coloured when standard output is a terminal
    Text,
    /// A Markdown report: a table per changed item (diff) or of the versions (log)
    Markdown,
    /// JSON with stable field names
    Json,
}

/// Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes the report; a closed pipe or a full disk is trouble, not a panic.
fn emit(text: &str) -> Result<(), u8> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| {
        eprintln!("error: cannot write the report: {e}");
        2
    })
}

/// A policy read and checked; a policy with errors is trouble here (2), not a finding (1):
/// two versions can only be compared once both mean something.
fn load(file: &str) -> Option<Checked> {
    load_checked(file).ok().map(|(_, checked)| checked)
}

pub fn diff(old: &str, new: &str, format: ReportFormat) -> u8 {
    if old == "-" && new == "-" {
        eprintln!("error: only one of the two versions can be read from standard input");
        return 2;
    }
    // Both are loaded before giving up, so the errors of both are shown at once.
    let (o, n) = (load(old), load(new));
    let (Some(o), Some(n)) = (o, n) else {
        return 2;
    };
    let changes = semantic_diff(&o, &n);
    let (oi, ni) = (VersionInfo::of(old, &o.model), VersionInfo::of(new, &n.model));
    let text = match format {
        ReportFormat::Text => report::text(&oi, &ni, &changes, colour()),
        ReportFormat::Markdown => report::markdown(&oi, &ni, &changes),
        ReportFormat::Json => report::json(&oi, &ni, &changes),
    };
    match emit(&text) {
        Ok(()) if changes.is_empty() => 0,
        Ok(()) => 1,
        Err(code) => code,
    }
}

pub fn log(dir: &str, format: ReportFormat) -> u8 {
    let files = match policy_files(Path::new(dir)) {
        Ok(files) if files.is_empty() => {
            eprintln!("error: `{dir}` holds no `.policy` files");
            return 2;
        }
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: cannot read the directory `{dir}`: {e}");
            return 2;
        }
    };
    let mut versions = Vec::with_capacity(files.len());
    let mut trouble = false;
    for (name, path) in files {
        match load(&path) {
            Some(checked) => versions.push((name, checked)),
            None => trouble = true,
        }
    }
    if trouble {
        return 2;
    }
    let entries = match history(versions) {
        Ok(entries) => entries,
        Err(errors) => {
            for e in errors {
                eprintln!("error: in `{dir}`, {e}");
            }
            return 2;
        }
    };
    let text = match format {
        ReportFormat::Text => report::log_text(&entries, colour()),
        ReportFormat::Markdown => report::log_markdown(&entries),
        ReportFormat::Json => report::log_json(&entries),
    };
    match emit(&text) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// The `.policy` files directly in `dir` (not in subdirectories), as (file name, path), by
/// name so that messages come in a stable order.
fn policy_files(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "policy") {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            files.push((name, path.to_string_lossy().into_owned()));
        }
    }
    files.sort();
    Ok(files)
}
