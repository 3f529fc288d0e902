//! Writing a run's outputs: `scores.csv`, `payouts.csv`, `measures.csv`, `rejects.csv` and
//! `manifest.json`, each through a temporary file renamed into place, and only once the whole
//! run has succeeded. The lines may be written as the rules make them, so that they are never
//! all held at once. The same inputs give byte-identical files.
//!
//! The manifest is enough to re-perform the run (`rulebook verify`): it records the command
//! line's arguments as given, the SHA-256 of every file read (policy, run configuration, roster,
//! sources) and of every output written. Paths are kept as given, never made absolute, and there
//! is no timestamp, so the same run on another machine gives the same manifest.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::json;

use super::table_out::{Format, TableWriter};
use super::{MeasureLine, PayoutLine, PeriodLines, RunOutput, ScoreLine, SourceTotals};
use crate::eval::calendar::{FiscalCalendar, Period};
use crate::input::hash::HashingWriter;
use crate::input::reader::{Rejection, SourceSummary};

/// What the manifest records besides the outputs.
pub struct ManifestInfo<'a> {
    pub policy_file: &'a str,
    pub policy_sha256: String,
    /// The policy's own `version`.
    pub version: &'a str,
    /// The period's label, as the outputs spell it.
    pub period: String,
    pub rounding_unit: Decimal,
    /// The run configuration file as given on the command line, and its SHA-256.
    pub config_file: &'a str,
    pub config_sha256: String,
    /// The period as given on the command line (`--period`).
    pub period_given: &'a str,
    /// Every `--source NAME=PATH` as given, in order.
    pub source_args: &'a [String],
    /// The roster, which is read before the run and so is not among `RunOutput::sources`.
    pub roster: Option<RosterInput<'a>>,
    /// The version of rulebook that made the run (`CARGO_PKG_VERSION`).
    pub rulebook_version: &'a str,
    /// With a policy history: the versions applied, oldest first; each output line names the
    /// one in force at the start of its period. Empty for a single policy file.
    pub versions: Vec<VersionInForce>,
    /// With `--paid`: each paid run's directory as given, and the payouts file read from it.
    pub paid_args: &'a [String],
    pub paid: &'a [super::paid::PaidFile],
    /// `--format`: the output tables as CSV (the default) or JSON.
    pub format: Format,
    /// With a policy history: each period prorated between two versions (`mid-period change
    /// prorated by days`), with the old and the new version. Its payout lines name both
    /// (`old→new`), its scores and measures the new one.
    pub prorated: Vec<(Period, String, String)>,
}

/// One version of a policy history, as applied by a run.
#[derive(Clone, Debug)]
pub struct VersionInForce {
    pub version: String,
    pub effective: jiff::civil::Date,
    pub file: String,
    pub sha256: String,
}

impl ManifestInfo<'_> {
    /// The version an output line of `period` names.
    fn version_of(&self, cal: &FiscalCalendar, period: Period) -> &str {
        if let Some((_, _, new)) = self.prorated.iter().find(|(p, ..)| *p == period) {
            return new;
        }
        if self.versions.is_empty() {
            return self.version;
        }
        let start = cal.start(period);
        self.versions
            .iter()
            .rev()
            .find(|v| v.effective <= start)
            .map_or(self.version, |v| v.version.as_str())
    }

    /// The version a payout line of `period` names: both, for a prorated period.
    fn payout_version_of(&self, cal: &FiscalCalendar, period: Period) -> std::borrow::Cow<'_, str> {
        match self.prorated.iter().find(|(p, ..)| *p == period) {
            Some((_, old, new)) => format!("{old}→{new}").into(),
            None => self.version_of(cal, period).into(),
        }
    }
}

/// The roster file as read: its summary, the salespeople taken from it and the rows rejected
/// (by the reader or as duplicate ids).
pub struct RosterInput<'a> {
    pub summary: &'a SourceSummary,
    pub people: u64,
    pub rejected: u64,
}

/// An output file being written: a temporary file beside its final name, hashed as it is
/// written.
type OutFile = HashingWriter<BufWriter<File>>;

/// The temporary files of one writing of the outputs, renamed into place only once every one
/// of them is complete; removed when dropped before that, whatever failed, and the directory
/// too when it was made for them.
struct Staged {
    dir: PathBuf,
    made_dir: bool,
    names: Vec<String>,
    committed: bool,
}

impl Staged {
    fn tmp(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.tmp"))
    }

    fn create(&mut self, name: String) -> std::io::Result<OutFile> {
        let file = File::create(self.tmp(&name))?;
        self.names.push(name);
        Ok(HashingWriter::new(BufWriter::with_capacity(1 << 16, file)))
    }

    /// Flushes a complete file to disk: its SHA-256 and length.
    fn close(file: OutFile) -> std::io::Result<(String, u64)> {
        let (sha256, bytes, buffered) = file.finish();
        buffered.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok((sha256, bytes))
    }

    fn commit(mut self) -> std::io::Result<()> {
        for name in &self.names {
            std::fs::rename(self.tmp(name), self.dir.join(name))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            for name in &self.names {
                let _ = std::fs::remove_file(self.tmp(name));
            }
            if self.made_dir {
                let _ = std::fs::remove_dir(&self.dir);
            }
        }
    }
}

/// What was written, for the closing summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub payouts: usize,
    pub payout_total: Decimal,
    pub measures: usize,
    pub rejects: usize,
}

/// The outputs of a run being written into a directory: the score, payout and measure lines
/// streamed into temporary files as they come, then the rejects and the manifest with every
/// file's hash, then all renamed into place. Dropped before [`OutputWriter::finish`], or when
/// anything fails, it removes its temporary files and leaves the files already there as they
/// were.
/// The payout lines add up to more than an exact decimal holds: the policy's amounts, not the
/// files, are at fault. Carried inside the writer's `io::Error` so the caller can tell.
#[derive(Debug)]
pub struct PayoutTotalOverflow;

impl std::fmt::Display for PayoutTotalOverflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the payout lines add up to more than an exact amount holds (arithmetic overflow)")
    }
}

impl std::error::Error for PayoutTotalOverflow {}

pub struct OutputWriter<'i> {
    staged: Staged,
    cal: &'i FiscalCalendar,
    info: &'i ManifestInfo<'i>,
    /// Decimal places of money, from the rounding unit.
    dp: usize,
    scores: TableWriter<OutFile>,
    payouts: TableWriter<OutFile>,
    measures: TableWriter<OutFile>,
    counts: (usize, usize, usize),
    payout_total: Decimal,
    /// The last period's label: lines come period by period.
    label: (Option<Period>, String),
    /// A payout line's base and amount as written, kept to be written into again.
    money: (String, String),
}

impl<'i> OutputWriter<'i> {
    /// Starts the outputs in `dir`; `metric_names` are the columns of the scores.
    pub fn create(
        dir: &Path,
        cal: &'i FiscalCalendar,
        info: &'i ManifestInfo<'i>,
        metric_names: &[String],
    ) -> std::io::Result<OutputWriter<'i>> {
        let made_dir = !dir.exists();
        std::fs::create_dir_all(dir)?;
        let mut staged = Staged {
            dir: dir.to_path_buf(),
            made_dir,
            names: Vec::new(),
            committed: false,
        };
        let ext = info.format.extension();
        let mut header = vec!["salesperson", "period"];
        header.extend(metric_names.iter().map(String::as_str));
        header.extend(["score", "grade", "policy_version"]);
        let scores = TableWriter::new(info.format, &header, staged.create(format!("scores.{ext}"))?)?;
        let payouts = TableWriter::new(
            info.format,
            &[
                "salesperson",
                "period",
                "component",
                "name",
                "base",
                "rate",
                "amount",
                "policy_version",
            ],
            staged.create(format!("payouts.{ext}"))?,
        )?;
        let measures = TableWriter::new(
            info.format,
            &["salesperson", "period", "measure", "evidence", "policy_version"],
            staged.create(format!("measures.{ext}"))?,
        )?;
        Ok(OutputWriter {
            staged,
            cal,
            info,
            dp: crate::money::decimals(info.rounding_unit),
            scores,
            payouts,
            measures,
            counts: (0, 0, 0),
            payout_total: Decimal::ZERO,
            label: (None, String::new()),
            money: (String::new(), String::new()),
        })
    }

    /// Makes `self.label` the label of `period`, worked out once for its lines.
    fn label(&mut self, period: Period) {
        if self.label.0 != Some(period) {
            self.label = (Some(period), self.cal.label(period));
        }
    }

    /// Writes one period's lines (the earlier periods' lines are not written).
    pub fn lines(&mut self, lines: &PeriodLines) -> std::io::Result<()> {
        lines.scores.iter().try_for_each(|s| self.score(s))?;
        lines.payouts.iter().try_for_each(|p| self.payout(p))?;
        lines.measures.iter().try_for_each(|m| self.measure(m))
    }

    pub fn score(&mut self, s: &ScoreLine) -> std::io::Result<()> {
        self.label(s.period);
        self.counts.0 += 1;
        let score = (s.score).map(super::cells::number).unwrap_or_default();
        let mut row = Vec::with_capacity(s.metrics.len() + 5);
        row.extend([s.rep.as_str(), &self.label.1]);
        row.extend(s.metrics.iter());
        row.extend([&score, s.grade.as_deref().unwrap_or_default()]);
        row.push(self.info.version_of(self.cal, s.period));
        self.scores.row(&row)
    }

    pub fn payout(&mut self, p: &PayoutLine) -> std::io::Result<()> {
        self.payout_total =
            crate::money::add(self.payout_total, p.amount).map_err(|_| std::io::Error::other(PayoutTotalOverflow))?;
        self.counts.1 += 1;
        self.label(p.period);
        let (base, amount) = &mut self.money;
        base.clear();
        if let Some(b) = p.base {
            crate::money::write_fixed(base, b, self.dp);
        }
        amount.clear();
        crate::money::write_fixed(amount, p.amount, self.dp);
        self.payouts.row(&[
            p.rep.as_str(),
            &self.label.1,
            p.component,
            &p.name,
            base,
            &p.rate,
            amount,
            &self.info.payout_version_of(self.cal, p.period),
        ])
    }

    pub fn measure(&mut self, m: &MeasureLine) -> std::io::Result<()> {
        self.counts.2 += 1;
        self.label(m.period);
        self.measures.row(&[
            m.rep.as_str(),
            &self.label.1,
            &m.measure,
            &m.evidence,
            self.info.version_of(self.cal, m.period),
        ])
    }

    /// Writes the rejects and the manifest (with the sources' control totals), and renames
    /// every file into place.
    pub fn finish(mut self, rejects: &[Rejection], sources: &[SourceTotals]) -> std::io::Result<Written> {
        let info = self.info;
        let ext = info.format.extension();
        let mut rejects_table = TableWriter::new(
            info.format,
            &["file", "line", "column", "field", "value", "reason"],
            self.staged.create(format!("rejects.{ext}"))?,
        )?;
        for r in rejects {
            rejects_table.row(&[
                r.file.display().to_string(),
                r.line.to_string(),
                r.column.map(|c| c.to_string()).unwrap_or_default(),
                r.field.clone().unwrap_or_default(),
                r.value.clone(),
                r.reason.clone(),
            ])?;
        }
        let dp = self.dp;
        let money = |d: Decimal| crate::money::fixed(d, dp);
        let mut inputs: Vec<serde_json::Value> = sources
            .iter()
            .map(|s| {
                json!({
                    "source": s.summary.source,
                    "file": s.summary.file.display().to_string(),
                    "sha256": s.summary.sha256,
                    "encoding": s.summary.encoding.name(),
                    "rows_read": s.summary.rows_read,
                    "rows_used": s.rows_used,
                    "rows_rejected": s.rows_rejected(),
                    "rows_after_period": s.rows_later,
                    "amount_read": money(s.amount_read),
                    "amount_credited": money(s.amount_credited),
                    "amount_rejected": money(s.amount_rejected),
                    "amount_after_period": money(s.amount_later),
                })
            })
            .collect();
        // The roster is listed after the sources (whose order the run fixes), unless a source of
        // the same name is already there.
        if let Some(roster) = &info.roster
            && !sources.iter().any(|s| s.summary.source == roster.summary.source)
        {
            inputs.push(json!({
                "source": roster.summary.source,
                "roster": true,
                "file": roster.summary.file.display().to_string(),
                "sha256": roster.summary.sha256,
                "encoding": roster.summary.encoding.name(),
                "rows_read": roster.summary.rows_read,
                "rows_used": roster.people,
                "rows_rejected": roster.rejected,
            }));
        }

        // Hashed from the very bytes written. The manifest cannot hold its own hash.
        let mut hashes = serde_json::Map::new();
        for (name, table) in [
            ("scores", self.scores),
            ("payouts", self.payouts),
            ("measures", self.measures),
            ("rejects", rejects_table),
        ] {
            let (sha256, bytes) = Staged::close(table.finish()?)?;
            hashes.insert(format!("{name}.{ext}"), json!({ "sha256": sha256, "bytes": bytes }));
        }
        let mut policy = json!({ "file": info.policy_file, "sha256": info.policy_sha256, "version": info.version });
        if !info.versions.is_empty() {
            policy["versions"] = info
                .versions
                .iter()
                .map(|v| json!({ "version": v.version, "effective": v.effective.to_string(), "file": v.file, "sha256": v.sha256 }))
                .collect();
        }
        let mut arguments = json!({ "period": info.period_given, "sources": info.source_args });
        if !info.paid_args.is_empty() {
            arguments["paid"] = json!(info.paid_args);
        }
        if info.format != Format::Csv {
            arguments["format"] = json!(info.format.name());
        }
        let (scores, payouts, measures) = self.counts;
        let mut manifest = json!({
            "rulebook": info.rulebook_version,
            "arguments": arguments,
            "policy": policy,
            "config": { "file": info.config_file, "sha256": info.config_sha256 },
            "period": info.period,
            "inputs": inputs,
            "outputs": {
                "scores": scores,
                "payouts": payouts,
                "payout_total": money(self.payout_total),
                "measures": measures,
                "rejects": rejects.len(),
                "files": hashes,
            },
        });
        if !info.paid.is_empty() {
            manifest["paid"] = info
                .paid
                .iter()
                .map(|p| json!({ "file": p.file, "sha256": p.sha256, "period": p.period }))
                .collect();
        }
        let manifest = serde_json::to_string_pretty(&manifest).map_err(std::io::Error::other)?;
        let mut file = self.staged.create("manifest.json".to_string())?;
        file.write_all(format!("{manifest}\n").as_bytes())?;
        Staged::close(file)?;
        self.staged.commit()?;
        Ok(Written {
            payouts,
            payout_total: self.payout_total,
            measures,
            rejects: rejects.len(),
        })
    }
}

/// Writes the outputs of a run, its lines all held in `out`, into `dir` (see [`OutputWriter`]).
pub fn write_outputs(
    dir: &Path,
    out: &RunOutput,
    cal: &FiscalCalendar,
    info: &ManifestInfo,
) -> std::io::Result<Written> {
    let mut writer = OutputWriter::create(dir, cal, info, &out.metric_names)?;
    out.scores.iter().try_for_each(|s| writer.score(s))?;
    out.payouts.iter().try_for_each(|p| writer.payout(p))?;
    out.measures.iter().try_for_each(|m| writer.measure(m))?;
    writer.finish(&out.rejects, &out.sources)
}
