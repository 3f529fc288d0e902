//! `rulebook run`: a period into an output directory. Without `--paid` the lines are written
//! by a thread of their own as the rules make them, period by period, so they are never all
//! held at once; with `--paid` they are collected, since the periods already paid are
//! replaced by adjustments before anything is written.

use std::path::Path;

use rulebook::run::paid::{Paid, PaidFile};
use rulebook::run::write::{ManifestInfo, OutputWriter, RosterInput, Written};
use rulebook::run::{PeriodLines, Run, RunError, RunOutput};

use crate::cli::{Prepared, RunInput, prepare};

pub fn run(input: &RunInput, out_dir: &str) -> u8 {
    run_to(input, out_dir, true)
}

/// Runs a period into `out_dir` and returns the exit status; `report` prints the closing
/// summary (`verify` re-performs a run into a temporary directory and keeps quiet about it).
pub(crate) fn run_to(input: &RunInput, out_dir: &str, report: bool) -> u8 {
    if Path::new(&input.policy).is_dir() {
        return crate::cli_history::run_history(input, out_dir, report);
    }
    let p = match prepare(input, false) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut run = p.run();
    if report {
        let sources = p.bindings.iter().filter(|b| !b.is_roster);
        run.progress = rulebook::progress::Progress::on_stderr(sources.map(rulebook::run::file_size).sum());
    }
    let written = if input.paid.is_empty() {
        streamed(input, &p, &run, out_dir)
    } else {
        collected(input, &p, &run, out_dir)
    };
    run.progress.finish();
    match written {
        Ok(w) if report => {
            eprintln!(
                "{}: {} payout lines totalling {}, {} measures, {} rows rejected; written to {out_dir}",
                p.cal.label(p.period),
                w.payouts,
                w.payout_total,
                w.measures,
                w.rejects
            );
            0
        }
        Ok(_) => 0,
        Err(code) => code,
    }
}

/// The manifest's facts of a run of one policy file (a history's run changes the policy's).
pub(crate) fn manifest_info<'a>(input: &'a RunInput, p: &'a Prepared, paid: &'a [PaidFile]) -> ManifestInfo<'a> {
    ManifestInfo {
        policy_file: &input.policy,
        policy_sha256: rulebook::input::hash::sha256_hex(p.text.as_bytes()),
        version: p.checked.model.header.version.as_deref().unwrap_or(""),
        period: p.cal.label(p.period),
        rounding_unit: p.checked.model.header.rounding_unit,
        config_file: &input.config,
        config_sha256: p.config_sha256.clone(),
        period_given: &input.period,
        source_args: &input.sources,
        roster: Some(RosterInput {
            summary: &p.roster_summary,
            people: p.roster.len() as u64,
            rejected: p.roster_rejects.len() as u64,
        }),
        rulebook_version: env!("CARGO_PKG_VERSION"),
        versions: Vec::new(),
        paid_args: &input.paid,
        paid,
        format: input.format,
        prorated: Vec::new(),
    }
}

/// The run's lines written as the rules make them; the rejects and the manifest once it is done.
fn streamed(input: &RunInput, p: &Prepared, run: &Run, out_dir: &str) -> Result<Written, u8> {
    let info = manifest_info(input, p, &[]);
    let metric_names = rulebook::run::metric_names(run.policy);
    let writer =
        OutputWriter::create(Path::new(out_dir), &p.cal, &info, &metric_names).map_err(cannot_write(out_dir))?;
    let (result, writer) = rulebook::run::beside(
        move |periods: std::sync::mpsc::Receiver<PeriodLines>| {
            let mut writer = writer;
            for lines in periods {
                writer.lines(&lines)?;
            }
            Ok::<_, std::io::Error>(writer)
        },
        |mut to_writer| rulebook::run::run_into(run, &mut to_writer),
    );
    // A failed write is reported first: it is what stopped the run. Either way the writer is
    // dropped unfinished, and its temporary files with it.
    let writer = writer.map_err(cannot_write(out_dir))?;
    let output = result.map_err(failed)?;
    let rejects = [p.roster_rejects.as_slice(), &output.rejects].concat();
    writer.finish(&rejects, &output.sources).map_err(cannot_write(out_dir))
}

/// The run's lines collected, the periods already paid replaced by adjustments, then written.
fn collected(input: &RunInput, p: &Prepared, run: &Run, out_dir: &str) -> Result<Written, u8> {
    let mut output = rulebook::run::run(run).map_err(failed)?;
    output.rejects = [p.roster_rejects.as_slice(), &output.rejects].concat();
    let paid = correct(input, p, &mut output)?;
    let info = manifest_info(input, p, &paid);
    rulebook::run::write::write_outputs(Path::new(out_dir), &output, &p.cal, &info).map_err(cannot_write(out_dir))
}

/// Reports a run that failed; its exit status.
fn failed(e: RunError) -> u8 {
    eprintln!("error: {e}");
    eprintln!("nothing was written");
    status_of(&e)
}

/// The exit status of a run that failed: a file that cannot be read or written is trouble (2),
/// a policy that cannot be computed is 1.
pub(crate) fn status_of(e: &RunError) -> u8 {
    if matches!(e, RunError::Input(_) | RunError::Output(_)) {
        2
    } else {
        1
    }
}

fn cannot_write(out_dir: &str) -> impl Fn(std::io::Error) -> u8 + '_ {
    move |e| write_failed(out_dir, &e)
}

/// Reports outputs that could not be written; the exit status. Payouts too large to add up
/// are the policy's doing (1, as any overflow computing it); anything else is trouble (2).
pub(crate) fn write_failed(out_dir: &str, e: &std::io::Error) -> u8 {
    if e.get_ref()
        .is_some_and(|inner| inner.is::<rulebook::run::write::PayoutTotalOverflow>())
    {
        eprintln!("error: {e}");
        eprintln!("nothing was written");
        return 1;
    }
    eprintln!("error: cannot write to `{out_dir}`: {e}");
    2
}

/// With `--paid`: replaces the lines of the periods already paid by adjustment lines for what
/// changed since (see `run::paid`). Returns the paid runs read, for the manifest.
pub(crate) fn correct(input: &RunInput, p: &Prepared, output: &mut RunOutput) -> Result<Vec<PaidFile>, u8> {
    if input.paid.is_empty() {
        return Ok(Vec::new());
    }
    let computed: Vec<rulebook::eval::calendar::Period> =
        rulebook::run::slots(&p.checked.model, &p.cal, p.period, false)
            .iter()
            .map(|s| s.period)
            .collect();
    let dp = rulebook::money::decimals(p.checked.model.header.rounding_unit);
    let paid = Paid::read(&input.paid, &p.cal, &computed).map_err(|e| {
        eprintln!("error: --paid: {e}");
        eprintln!("nothing was written");
        2u8
    })?;
    paid.adjust(output, dp).map_err(|e| {
        eprintln!("error: --paid: {e}");
        eprintln!("nothing was written");
        1u8
    })?;
    Ok(paid.files)
}
