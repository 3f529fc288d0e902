//! `rulebook run HISTORY-DIR`: a run over a directory of policy versions. Each period is
//! computed under the version in force at its start; every output line names that version, and
//! the manifest lists each version applied with its file and SHA-256.
//!
//! Each version needed is run over the whole window (the fiscal year to the end of the period,
//! as any run is, so yearly caps and years to date see the earlier months), and the lines of the
//! periods it governs are kept. The balances a version carries into its first period are thus
//! those its own rules give the earlier months.

use std::collections::BTreeMap;
use std::path::Path;

use rulebook::eval::calendar::{FiscalCalendar, Period};
use rulebook::input::hash::sha256_hex;
use rulebook::run::write::{ManifestInfo, RosterInput, VersionInForce, write_outputs};
use rulebook::syntax::ast::PeriodKind;

use crate::cli::{RunInput, load_checked, prepare};

struct Version {
    file: String,
    text: String,
    version: String,
    effective: jiff::civil::Date,
    fiscal_start: u8,
    assess: PeriodKind,
}

/// Reads the versions in `dir`, oldest first; prints what is wrong and gives the exit status.
fn read_versions(dir: &str) -> Result<Vec<Version>, u8> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        eprintln!("error: cannot read the policy history `{dir}`: {e}");
        2u8
    })?;
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    if files.is_empty() {
        eprintln!("error: `{dir}` holds no `.policy` files");
        return Err(2);
    }
    let mut versions = Vec::new();
    for file in files {
        let (text, checked) = load_checked(&file)?;
        let header = &checked.model.header;
        let (Some(version), Some(effective)) = (header.version.clone(), header.effective) else {
            eprintln!("error: `{file}`: a version in a policy history needs `version` and `effective` in its header");
            return Err(1);
        };
        versions.push(Version {
            file,
            text,
            version,
            effective,
            fiscal_start: checked.model.calendar.fiscal_start.0,
            assess: checked.model.calendar.assess,
        });
    }
    versions.sort_by_key(|v| v.effective);
    for pair in versions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.effective == b.effective {
            eprintln!(
                "error: `{}` and `{}` both take effect on {}: which one is in force is not defined",
                a.file, b.file, a.effective
            );
            return Err(1);
        }
        if (a.fiscal_start, a.assess) != (b.fiscal_start, b.assess) {
            eprintln!(
                "error: `{}` and `{}` have different calendars; a history shares one fiscal year and assessment period",
                a.file, b.file
            );
            return Err(1);
        }
    }
    Ok(versions)
}

/// The assessment period that contains `day`.
fn containing(cal: &FiscalCalendar, kind: PeriodKind, day: jiff::civil::Date) -> Option<Period> {
    let year = day.year();
    (year - 1..=year + 1)
        .flat_map(|y| {
            cal.within(
                Period {
                    fiscal_year: y,
                    kind: PeriodKind::Year,
                    index: 1,
                },
                kind,
            )
        })
        .find(|p| cal.start(*p) <= day && day <= cal.end(*p))
}

pub(crate) fn run_history(input: &RunInput, out_dir: &str, report: bool) -> u8 {
    let versions = match read_versions(&input.policy) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let cal = FiscalCalendar::new(versions[0].fiscal_start);
    let assess = versions[0].assess;
    let period = match cal.parse(&input.period) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("error: {msg}");
            return 2;
        }
    };
    // A version takes effect at the start of an assessment period, or the period would be
    // assessed under two rule sets.
    for v in &versions[1..] {
        if let Some(p) = containing(&cal, assess, v.effective)
            && cal.start(p) != v.effective
        {
            eprintln!(
                "error: `{}` takes effect on {}, inside the assessment period {} ({} to {})\n  help: make it take effect on {} or on {}",
                v.file,
                v.effective,
                cal.label(p),
                cal.start(p),
                cal.end(p),
                cal.start(p),
                cal.end(p).tomorrow().map(|d| d.to_string()).unwrap_or_default()
            );
            return 1;
        }
    }
    let year = Period {
        fiscal_year: period.fiscal_year,
        kind: PeriodKind::Year,
        index: 1,
    };
    let in_force = |day: jiff::civil::Date| versions.iter().rposition(|v| v.effective <= day);
    let window_start = cal.start(year);
    if in_force(window_start).is_none() {
        eprintln!(
            "error: no version of `{}` is in force on {window_start}, where the fiscal year of {} starts (the first takes effect on {})",
            input.policy,
            cal.label(period),
            versions[0].effective
        );
        return 1;
    }
    // The versions that govern a period of the window, and which periods each governs.
    let governs = |p: Period| in_force(cal.start(p));
    let mut needed: Vec<usize> = [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year]
        .into_iter()
        .flat_map(|k| cal.within(year, k))
        .filter(|p| cal.end(*p) <= cal.end(period))
        .filter_map(governs)
        .collect();
    needed.sort();
    needed.dedup();

    let mut merged = rulebook::run::RunOutput::default();
    let mut last = None;
    for &i in &needed {
        let v = &versions[i];
        let mut one = input.clone();
        one.policy = v.file.clone();
        let p = match prepare(&one) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let mut output = match rulebook::run::run(&p.run()) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: `{}`: {e}", v.file);
                eprintln!("nothing was written");
                return if matches!(e, rulebook::run::RunError::Input(_)) {
                    2
                } else {
                    1
                };
            }
        };
        let mine = |q: Period| governs(q) == Some(i);
        merged.scores.extend(output.scores.drain(..).filter(|l| mine(l.period)));
        merged
            .payouts
            .extend(output.payouts.drain(..).filter(|l| mine(l.period)));
        merged
            .measures
            .extend(output.measures.drain(..).filter(|l| mine(l.period)));
        merged
            .earlier
            .extend(output.earlier.drain(..).filter(|l| mine(l.period)));
        if merged.metric_names.is_empty() {
            merged.metric_names = output.metric_names.clone();
        } else if merged.metric_names != output.metric_names {
            eprintln!(
                "error: `{}` defines other metrics than the version before it; scores.csv needs one set of columns for the whole run",
                v.file
            );
            return 1;
        }
        last = Some((p, output));
    }
    let Some((p, output)) = last else {
        eprintln!("error: no version applies to {}", cal.label(period));
        return 1;
    };
    // Lines in the order a single run writes them: by kind of period, then date, then as run.
    let order = |q: &Period| (q.kind, cal.start(*q));
    merged.scores.sort_by_key(|l| order(&l.period));
    merged.payouts.sort_by_key(|l| order(&l.period));
    merged.measures.sort_by_key(|l| order(&l.period));
    // The records are the same for every version: the rejects and totals of the last run.
    let mut rejects = p.roster_rejects.clone();
    rejects.extend(output.rejects);
    merged.rejects = rejects;
    merged.sources = output.sources;

    let applied: Vec<VersionInForce> = needed
        .iter()
        .map(|&i| VersionInForce {
            version: versions[i].version.clone(),
            effective: versions[i].effective,
            file: versions[i].file.clone(),
            sha256: sha256_hex(versions[i].text.as_bytes()),
        })
        .collect();
    let paid = match crate::cli::correct(input, &p, &mut merged) {
        Ok(paid) => paid,
        Err(code) => return code,
    };
    let combined: String = applied.iter().map(|v| format!("{} {}\n", v.sha256, v.file)).collect();
    let by_version: BTreeMap<&str, &str> = applied.iter().map(|v| (v.version.as_str(), v.file.as_str())).collect();
    let info = ManifestInfo {
        policy_file: &input.policy,
        policy_sha256: sha256_hex(combined.as_bytes()),
        version: applied.last().map_or("", |v| v.version.as_str()),
        period: cal.label(period),
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
        versions: applied.clone(),
        paid_args: &input.paid,
        paid: &paid,
        format: input.format,
    };
    if let Err(e) = write_outputs(Path::new(out_dir), &merged, &cal, &info) {
        eprintln!("error: cannot write to `{out_dir}`: {e}");
        return 2;
    }
    if report {
        let total: rust_decimal::Decimal = merged.payouts.iter().map(|l| l.amount).sum();
        let used: Vec<String> = by_version.iter().map(|(v, f)| format!("{v} ({f})")).collect();
        eprintln!(
            "{}: {} payout lines totalling {total} under {}; written to {out_dir}",
            cal.label(period),
            merged.payouts.len(),
            used.join(", ")
        );
    }
    0
}
