//! `rulebook run HISTORY-DIR`: a run over a directory of policy versions. Each period is
//! computed under the version in force at its start; every output line names that version, and
//! the manifest lists each version applied with its file and SHA-256.
//!
//! Each version needed is run over the whole window (the fiscal year to the end of the period,
//! as any run is, so yearly caps and years to date see the earlier months), and the lines of the
//! periods it governs are kept. The balances a version carries into its first period are thus
//! those its own rules give the earlier months.
//!
//! A version taking effect inside an assessment period is refused unless its header says how
//! to treat that period (`mid-period change …`): `from next period` leaves the period to the
//! version before; `prorated by days` pays each of its payout lines as both versions' amounts
//! weighted by the days each is in force, the period's scores and measures being the new one's.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use rust_decimal::Decimal;

use rulebook::eval::calendar::{FiscalCalendar, Period};
use rulebook::input::hash::sha256_hex;
use rulebook::money::{self, Overflow};
use rulebook::run::PayoutLine;
use rulebook::run::write::{ManifestInfo, VersionInForce, write_outputs};
use rulebook::run::{LineSink, PeriodLines, RunError};
use rulebook::syntax::ast::{MidPeriod, PeriodKind, RoundingMode};

use crate::cli::{RunInput, load_checked, prepare};

struct Version {
    file: String,
    text: String,
    version: String,
    effective: jiff::civil::Date,
    fiscal_start: u8,
    assess: PeriodKind,
    mid_period: Option<MidPeriod>,
    rounding: (RoundingMode, Decimal),
}

/// An assessment period prorated between the version in force at its start (`old`) and the
/// one taking effect inside it (`new`), with the days each is in force.
struct Blend {
    period: Period,
    old: usize,
    new: usize,
    days_old: i32,
    days_new: i32,
}

/// A prorated period's payout lines under each version, kept aside until both have run.
#[derive(Default)]
struct Sides {
    old: Vec<PayoutLine>,
    new: Vec<PayoutLine>,
}

/// One version's lines as its rules make them, keeping only what the history takes from it:
/// the periods it governs, and its side of each prorated period.
struct Kept<'h> {
    version: usize,
    /// The version that governs a period, and the prorated period (index into `blends`) it is.
    governs: &'h (dyn Fn(Period) -> Option<usize> + Sync),
    blend_of: &'h (dyn Fn(Period) -> Option<usize> + Sync),
    blends: &'h [Blend],
    lines: rulebook::run::RunOutput,
    /// Its payout lines of each prorated period, of the run's own periods and of earlier ones.
    aside: Vec<Sides>,
    aside_earlier: Vec<Sides>,
}

impl LineSink for Kept<'_> {
    fn take(&mut self, lines: PeriodLines) -> Result<(), RunError> {
        let (version, governs) = (self.version, self.governs);
        let mine = |q: Period| governs(q) == Some(version);
        (self.lines.scores).extend(lines.scores.into_iter().filter(|l| mine(l.period)));
        (self.lines.measures).extend(lines.measures.into_iter().filter(|l| mine(l.period)));
        for (lines, kept, aside) in [
            (lines.payouts, &mut self.lines.payouts, &mut self.aside),
            (lines.earlier, &mut self.lines.earlier, &mut self.aside_earlier),
        ] {
            for line in lines {
                match (self.blend_of)(line.period) {
                    Some(b) if self.blends[b].old == version => aside[b].old.push(line),
                    Some(b) if self.blends[b].new == version => aside[b].new.push(line),
                    Some(_) => {}
                    None if mine(line.period) => kept.push(line),
                    None => {}
                }
            }
        }
        Ok(())
    }
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
            mid_period: header.mid_period,
            rounding: (header.rounding, header.rounding_unit),
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

/// Where a version takes effect inside an assessment period, what its header says to do: an
/// error without `mid-period change`, or the periods to prorate. Two versions taking effect in
/// one period are an error: a period is assessed under at most two.
fn blends(versions: &[Version], cal: &FiscalCalendar, assess: PeriodKind) -> Result<Vec<Blend>, String> {
    let mut out = Vec::new();
    for (new, v) in versions.iter().enumerate().skip(1) {
        let p = cal.period_of(v.effective, assess);
        let (start, end) = (cal.start(p), cal.end(p));
        if start == v.effective {
            continue;
        }
        let next = end.tomorrow().map(|d| d.to_string()).unwrap_or_default();
        let old = new - 1;
        if versions[old].effective > start {
            return Err(format!(
                "`{}` and `{}` both take effect inside the assessment period {} ({start} to {end}); a period is assessed under at most two versions\n  help: make one of them take effect on {start} or on {next}",
                versions[old].file,
                v.file,
                cal.label(p)
            ));
        }
        match v.mid_period {
            None => {
                return Err(format!(
                    "`{}` takes effect on {}, inside the assessment period {} ({start} to {end})\n  help: make it take effect on {start} or on {next}, or say in its header how that period is treated: `mid-period change from next period` or `mid-period change prorated by days`",
                    v.file,
                    v.effective,
                    cal.label(p)
                ));
            }
            Some(MidPeriod::FromNextPeriod) => {}
            Some(MidPeriod::ProratedByDays) => {
                // The days from the effective date to the period's end.
                let days_new = cal.days_employed(p, Some(v.effective), None);
                out.push(Blend {
                    period: p,
                    old,
                    new,
                    days_old: cal.days(p) - days_new,
                    days_new,
                });
            }
        }
    }
    Ok(out)
}

/// The payout lines of a prorated period: each line, matched by salesperson, component and
/// name (0 under a version that does not pay it), pays old × days under the old version /
/// days of the period + new × days under the new one / days, rounded once as the new version
/// rounds. Lines come in the new version's order; a line only the old one pays comes before
/// the line that followed it there.
fn prorate(sides: &Sides, b: &Blend, versions: &[Version]) -> Result<Vec<PayoutLine>, Overflow> {
    let (old, new) = (&sides.old, &sides.new);
    let key = |l: &PayoutLine| (l.rep.clone(), l.component, l.name.clone());
    let mut unmatched: BTreeMap<_, VecDeque<usize>> = BTreeMap::new();
    for (j, o) in old.iter().enumerate() {
        unmatched.entry(key(o)).or_default().push_back(j);
    }
    let partners: Vec<Option<usize>> = new
        .iter()
        .map(|n| unmatched.get_mut(&key(n)).and_then(VecDeque::pop_front))
        .collect();
    let mut matched = vec![false; old.len()];
    for &j in partners.iter().flatten() {
        matched[j] = true;
    }
    let rate = format!(
        "prorated: {} days under {}, {} under {}",
        b.days_old, versions[b.old].version, b.days_new, versions[b.new].version
    );
    let (mode, unit) = versions[b.new].rounding;
    // `n` is the new version's line, or the old one's paying 0 when only the old one pays it.
    let blend = |paid_old: Decimal, n: &PayoutLine| -> Result<PayoutLine, Overflow> {
        let weighted = money::add(
            money::mul(paid_old, b.days_old.into())?,
            money::mul(n.amount, b.days_new.into())?,
        )?;
        let exact = money::div(weighted, (b.days_old + b.days_new).into())?.unwrap_or_default();
        Ok(PayoutLine {
            rate: rate.clone(),
            amount: money::round(exact, mode, unit)?,
            ..n.clone()
        })
    };
    let old_only = |o: &PayoutLine| {
        let unpaid = PayoutLine {
            amount: Decimal::ZERO,
            ..o.clone()
        };
        blend(o.amount, &unpaid)
    };
    let mut out = Vec::with_capacity(new.len());
    let mut next_old = 0;
    for (n, &partner) in new.iter().zip(&partners) {
        if let Some(j) = partner {
            while next_old < j {
                if !matched[next_old] {
                    out.push(old_only(&old[next_old])?);
                }
                next_old += 1;
            }
        }
        out.push(blend(partner.map_or(Decimal::ZERO, |j| old[j].amount), n)?);
    }
    for (o, _) in old.iter().zip(&matched).skip(next_old).filter(|(_, m)| !**m) {
        out.push(old_only(o)?);
    }
    Ok(out)
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
    let blends = match blends(&versions, &cal, assess) {
        Ok(b) => b,
        Err(msg) => {
            eprintln!("error: {msg}");
            return 1;
        }
    };
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
    // The versions that govern a period of the window, and which periods each governs: the
    // one in force at its start, but the new one for a prorated period (its scores and
    // measures; its payouts are both versions'). Months are left out when the assessment
    // period is a quarter: no line is written for them.
    let blend_of = |p: Period| blends.iter().position(|b| b.period == p);
    let governs = |p: Period| match blend_of(p) {
        Some(b) => Some(blends[b].new),
        None => in_force(cal.start(p)),
    };
    let periods: Vec<Period> = [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year]
        .into_iter()
        .filter(|k| *k >= assess)
        .flat_map(|k| cal.within(year, k))
        .filter(|p| cal.end(*p) <= cal.end(period))
        .collect();
    let mut needed: Vec<usize> = periods.iter().filter_map(|p| governs(*p)).collect();
    needed.extend(periods.iter().filter_map(|p| blend_of(*p)).map(|b| blends[b].old));
    needed.sort();
    needed.dedup();
    // Every version needed is run over one reading of the records, each keeping only its
    // periods' lines as its rules make them.
    let mut prepared = Vec::with_capacity(needed.len());
    for &i in &needed {
        let mut one = input.clone();
        one.policy = versions[i].file.clone();
        match prepare(&one, false) {
            Ok(p) => prepared.push(p),
            Err(code) => return code,
        }
    }
    let runs: Vec<rulebook::run::Run> = prepared.iter().map(|p| p.run()).collect();
    let (governs, blend_of) = (&governs, &blend_of);
    let mut kept: Vec<Kept> = (needed.iter())
        .map(|&version| Kept {
            version,
            governs,
            blend_of,
            blends: &blends,
            lines: rulebook::run::RunOutput::default(),
            aside: blends.iter().map(|_| Sides::default()).collect(),
            aside_earlier: blends.iter().map(|_| Sides::default()).collect(),
        })
        .collect();
    let mut sinks: Vec<&mut (dyn LineSink + Send)> = kept.iter_mut().map(|k| k as _).collect();
    let together = match rulebook::run::run_together_into(&runs, &mut sinks) {
        Ok(t) => t,
        Err(failed) => {
            let e = failed.error;
            match failed.run {
                Some(k) => eprintln!("error: `{}`: {e}", versions[needed[k]].file),
                None => eprintln!("error: reading the records: {e}"),
            }
            eprintln!("nothing was written");
            return crate::cli_run::status_of(&e);
        }
    };
    // Each prorated period's payout lines, of the run's own periods and of earlier ones.
    let mut aside: Vec<Sides> = blends.iter().map(|_| Sides::default()).collect();
    let mut aside_earlier: Vec<Sides> = blends.iter().map(|_| Sides::default()).collect();
    let mut merged = rulebook::run::RunOutput::default();
    for (k, output) in kept.into_iter().zip(&together.outputs) {
        merged.scores.extend(k.lines.scores);
        merged.measures.extend(k.lines.measures);
        merged.payouts.extend(k.lines.payouts);
        merged.earlier.extend(k.lines.earlier);
        for (to, from) in [(&mut aside, k.aside), (&mut aside_earlier, k.aside_earlier)] {
            for (to, from) in to.iter_mut().zip(from) {
                to.old.extend(from.old);
                to.new.extend(from.new);
            }
        }
        if merged.metric_names.is_empty() {
            merged.metric_names = output.metric_names.clone();
        } else if merged.metric_names != output.metric_names {
            eprintln!(
                "error: `{}` defines other metrics than the version before it; scores.csv needs one set of columns for the whole run",
                versions[k.version].file
            );
            return 1;
        }
    }
    drop(runs);
    let (Some(p), Some(output)) = (prepared.pop(), together.outputs.into_iter().last()) else {
        eprintln!("error: no version applies to {}", cal.label(period));
        return 1;
    };
    for (b, (payouts, earlier)) in blends.iter().zip(aside.iter().zip(&aside_earlier)) {
        let prorated = prorate(payouts, b, &versions).and_then(|p| Ok((p, prorate(earlier, b, &versions)?)));
        match prorated {
            Ok((p, e)) => {
                merged.payouts.extend(p);
                merged.earlier.extend(e);
            }
            Err(e) => {
                eprintln!(
                    "error: prorating {} between `{}` and `{}`: {e}",
                    cal.label(b.period),
                    versions[b.old].file,
                    versions[b.new].file
                );
                eprintln!("nothing was written");
                return 1;
            }
        }
    }
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
    let paid = match crate::cli_run::correct(input, &p, &mut merged) {
        Ok(paid) => paid,
        Err(code) => return code,
    };
    let combined: String = applied.iter().map(|v| format!("{} {}\n", v.sha256, v.file)).collect();
    let by_version: BTreeMap<&str, &str> = applied.iter().map(|v| (v.version.as_str(), v.file.as_str())).collect();
    let info = ManifestInfo {
        policy_sha256: sha256_hex(combined.as_bytes()),
        version: applied.last().map_or("", |v| v.version.as_str()),
        period: cal.label(period),
        versions: applied.clone(),
        prorated: blends
            .iter()
            .map(|b| {
                (
                    b.period,
                    versions[b.old].version.clone(),
                    versions[b.new].version.clone(),
                )
            })
            .collect(),
        ..crate::cli_run::manifest_info(input, &p, &paid)
    };
    if let Err(e) = write_outputs(Path::new(out_dir), &merged, &cal, &info) {
        return crate::cli_run::write_failed(out_dir, &e);
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
