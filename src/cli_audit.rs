//! `rulebook diff` and `rulebook log`: reading the versions, choosing the output format,
//! exit statuses. The comparison itself is `rulebook::audit`, which does no I/O.
//!
//! With `--config` and `--period`, `diff` also runs both versions on the same records and
//! reports the money impact (`rulebook::audit::impact`). The records are read once for both
//! versions when they declare their sources alike, and the lines are compared as they come.
//!
//! Exit statuses follow diff(1): 0 no change (or, for `log`, success), 1 changes, 2 trouble —
//! a file that cannot be read, a policy with errors (printed as `check` prints them),
//! versions that cannot be ordered, a run that fails.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;

use crate::cli::{Prepared, RunInput, load_checked, prepare_checked};
use std::sync::mpsc::{Receiver, SyncSender};

use rulebook::audit::impact::{self, Comparison, Impact, Setting, Side};
use rulebook::audit::log::{VersionInfo, history};
use rulebook::audit::{Change, diff as semantic_diff, report};
use rulebook::check::Checked;
use rulebook::run::{LineSink, PeriodLines, RunError};

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
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(cannot_report)
}

fn cannot_report(e: std::io::Error) -> u8 {
    eprintln!("error: cannot write the report: {e}");
    2
}

/// A policy read and checked; a policy with errors is trouble here (2), not a finding (1):
/// two versions can only be compared once both mean something.
fn load(file: &str) -> Option<Checked> {
    load_checked(file).ok().map(|(_, checked)| checked)
}

/// The records to run both versions on, for the money impact: `--config`, `--period`,
/// `--source`.
pub struct Records {
    pub config: String,
    pub period: String,
    pub sources: Vec<String>,
}

pub fn diff(old: &str, new: &str, format: ReportFormat, records: Option<&Records>) -> u8 {
    if old == "-" && new == "-" {
        eprintln!("error: only one of the two versions can be read from standard input");
        return 2;
    }
    // Both are loaded before giving up, so the errors of both are shown at once.
    let (o, n) = (load_checked(old).ok(), load_checked(new).ok());
    let (Some((old_text, o)), Some((new_text, n))) = (o, n) else {
        return 2;
    };
    let changes = semantic_diff(&o, &n);
    let (oi, ni) = (VersionInfo::of(old, &o.model), VersionInfo::of(new, &n.model));
    let impact = match records {
        Some(r) => match money_impact([(old, old_text, o), (new, new_text, n)], r, &changes) {
            Ok(impact) => Some(impact),
            Err(code) => return code,
        },
        None => None,
    };
    let text = match (format, &impact) {
        (ReportFormat::Text, None) => report::text(&oi, &ni, &changes, colour()),
        (ReportFormat::Text, Some(i)) => report::text(&oi, &ni, &changes, colour()) + "\n" + &impact::text(i, colour()),
        (ReportFormat::Markdown, None) => report::markdown(&oi, &ni, &changes),
        (ReportFormat::Markdown, Some(i)) => report::markdown(&oi, &ni, &changes) + &impact::markdown(i),
        (ReportFormat::Json, None) => report::json(&oi, &ni, &changes),
        // Written as it is made: for a year of thousands of salespeople it is some 90 MB.
        (ReportFormat::Json, Some(i)) => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let written = impact::write_json(&mut out, &oi, &ni, &changes, i).and_then(|()| out.flush());
            if let Err(e) = written {
                return cannot_report(e);
            }
            String::new()
        }
    };
    if let Err(code) = emit(&text) {
        return code;
    }

    let code = match &impact {
        // The same rules on the same records must give the same results: a difference here
        // means a change in meaning the diff did not see.
        Some(i) if changes.is_empty() && !i.is_zero() => {
            eprintln!(
                "error: the two versions have no difference in meaning, yet their results differ in {} salesperson-periods",
                i.changed_rows()
            );
            2
        }
        _ if changes.is_empty() => 0,
        _ => 1,
    };
    // The impact's rows are not freed one by one: the command ends here, and for a year of
    // 7,000 salespeople that took half a second on one core.
    std::mem::forget(impact);
    code
}

/// Runs both versions, as read and checked for the diff, on the same records and compares the
/// results.
fn money_impact(versions: [(&str, String, Checked); 2], records: &Records, changes: &[Change]) -> Result<Impact, u8> {
    let (old, new) = (versions[0].0, versions[1].0);
    // Both prepared at once (roster, configuration, target sheet); a failure of the old one is
    // reported before one of the new, as if they had been prepared in turn.
    let [po, pn] = <[_; 2]>::try_from(rulebook::eval::on_threads(versions, |(file, text, checked)| {
        let input = RunInput::new(
            file.to_string(),
            records.config.clone(),
            records.period.clone(),
            records.sources.clone(),
        );
        prepare_checked(&input, text, checked, false)
    }))
    .map_err(|_| 2u8)?;
    let (po, pn) = match (po, pn) {
        (Ok(po), Ok(pn)) => (po, pn),
        // Any failure to prepare a run (configuration, period, roster, targets) is trouble.
        (Err(failure), _) | (_, Err(failure)) => {
            eprintln!("{}", failure.message);
            return Err(2);
        }
    };
    // One reading of the records serves both versions when they read them alike.
    // The report compares scores, grades, payouts and measures, not each metric's value.
    let runs = [po.run(), pn.run()].map(|r| rulebook::run::Run {
        metric_values: false,
        ..r
    });
    // The versions run one after the other; their lines go, period by period, to a thread
    // that matches them, so the new version's lines are never all held.
    let (together, comparison) = rulebook::run::beside(
        move |lines: Receiver<(bool, PeriodLines)>| {
            let mut comparison = Comparison::new(changes, pn.cal);
            for (is_new, lines) in lines {
                if is_new {
                    comparison.new_lines(lines);
                } else {
                    comparison.old_lines(lines);
                }
            }
            comparison
        },
        |to_compare| {
            let [mut old_side, mut new_side] = [false, true].map(|is_new| Tagged {
                to: to_compare.clone(),
                is_new,
            });
            rulebook::run::run_together_into(&runs, &mut [&mut old_side, &mut new_side])
        },
    );
    let together = together.map_err(|failed| {
        let e = failed.error;
        match failed.run {
            Some(0) => eprintln!("error: running `{old}`: {e}"),
            Some(_) => eprintln!("error: running `{new}`: {e}"),
            None => eprintln!("error: reading the records: {e}"),
        }
        2u8
    })?;
    let read_once = together.read_once;
    let [ro, rn] = <[_; 2]>::try_from(together.outputs).map_err(|_| 2u8)?;
    let side = |p: &Prepared, out: &rulebook::run::RunOutput| Side {
        rounding_unit: p.checked.model.header.rounding_unit,
        rejected: (p.roster_rejects.len() + out.rejects.len()) as u64,
    };
    let setting = Setting {
        period: pn.cal.label(pn.period),
        config: records.config.clone(),
        sources: records.sources.clone(),
        read_once,
    };
    comparison.finish(&side(&po, &ro), &side(&pn, &rn), setting).map_err(|_| {
        eprintln!("error: the two versions' payouts add up to more than an exact decimal holds, so their totals and differences cannot be computed");
        2u8
    })
}

/// One version's lines, on their way to the comparison, marked with the version they are of.
struct Tagged {
    to: SyncSender<(bool, PeriodLines)>,
    is_new: bool,
}

impl LineSink for Tagged {
    fn take(&mut self, lines: PeriodLines) -> Result<(), RunError> {
        self.to
            .send((self.is_new, lines))
            .map_err(|_| RunError::Output("the comparison stopped taking lines".into()))
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
