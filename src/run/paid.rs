//! Retroactive corrections (`rulebook run --paid DIR`): the periods a previous run paid are
//! computed again from today's records, and instead of rewriting what was paid the run emits
//! `adjustment` lines for the difference. A paid period is never silently changed.
//!
//! What was paid for a (salesperson, period, item) is the sum of the lines of every paid run
//! given: the original lines and any adjustments an earlier correction already made. An
//! adjustment names the corrected component in its `rate` column (`correction of commission:
//! paid 1200.00, due 1000.00`), so a later correction reads it back as part of that component.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::manifest::{Manifest, ManifestError};
use super::{PayoutLine, RunOutput};
use crate::eval::calendar::{FiscalCalendar, Period};
use crate::input::hash::sha256_hex;

/// What previous runs paid.
#[derive(Debug, Default)]
pub struct Paid {
    /// Every period a paid run covered that this run computes.
    periods: BTreeSet<Period>,
    /// (period, salesperson, component, item) → amount paid.
    amounts: BTreeMap<Key, Decimal>,
    /// The `payouts.csv` of each paid run, for the manifest: path, SHA-256 and the run's period.
    pub files: Vec<PaidFile>,
}

/// As the manifest records it (`paid`), and reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PaidFile {
    pub file: String,
    pub sha256: String,
    pub period: String,
}

type Key = (Period, String, String, String);

#[derive(Deserialize)]
struct Line {
    salesperson: String,
    period: String,
    component: String,
    name: String,
    /// Empty in CSV, `null` in JSON, for a line without a rate.
    rate: Option<String>,
    amount: String,
}

/// The word an adjustment's `rate` starts with.
const CORRECTION: &str = "correction of ";

/// The component a line pays, as corrections are matched: a claw-back is a negative commission,
/// and an adjustment belongs to the component it corrects.
fn component(component: &str, rate: &str) -> String {
    match component {
        "clawback" => "commission".into(),
        "adjustment" => rate
            .strip_prefix(CORRECTION)
            .and_then(|r| r.split_once(':'))
            .map_or_else(|| "adjustment".into(), |(c, _)| c.to_string()),
        other => other.into(),
    }
}

impl Paid {
    /// Reads the runs in `dirs`. `computed` are the periods this run computes (the fiscal year
    /// to the end of its period): a paid period outside them cannot be corrected, which is an
    /// error rather than something left out.
    pub fn read(dirs: &[String], cal: &FiscalCalendar, computed: &[Period]) -> Result<Paid, String> {
        let mut paid = Paid::default();
        let mut first_paid_by: BTreeMap<Key, usize> = BTreeMap::new();
        for (i, dir) in dirs.iter().enumerate() {
            if dirs[..i].contains(dir) {
                return Err(format!("`{dir}` is given twice to `--paid`"));
            }
            for key in paid.read_one(dir, cal, computed)? {
                if let Some(&j) = first_paid_by.get(&key) {
                    return Err(format!(
                        "`{}` and `{dir}` both pay {} of `{}` to {} for {}: give each paid period once",
                        dirs[j],
                        key.2,
                        key.3,
                        key.1,
                        cal.label(key.0)
                    ));
                }
                first_paid_by.insert(key, i);
            }
        }
        // An adjustment corrects what a run paid: without that run, the correction alone would
        // be taken for all that was paid.
        if let Some((p, ..)) = paid.amounts.keys().find(|(p, ..)| !paid.periods.contains(p)) {
            return Err(format!(
                "the paid runs correct {} but none of them paid it: give `--paid` the run that paid {} as well",
                cal.label(*p),
                cal.label(*p)
            ));
        }
        Ok(paid)
    }

    /// Reads one paid run; returns the keys it paid original (not adjustment) lines for.
    fn read_one(&mut self, dir: &str, cal: &FiscalCalendar, computed: &[Period]) -> Result<Vec<Key>, String> {
        let path = |name: &str| Path::new(dir).join(name);
        let shown = |name: &str| path(name).display().to_string();
        let manifest = Manifest::read(Path::new(dir)).map_err(|e| match e {
            ManifestError::Read { .. } => format!("{e} (give `--paid` the directory of a run)"),
            ManifestError::Parse { .. } => e.to_string(),
        })?;
        // The run wrote its tables as CSV or as JSON (`--format`); its manifest says which.
        let name = if manifest.outputs.files.contains_key("payouts.json") {
            "payouts.json"
        } else {
            "payouts.csv"
        };
        let bytes = std::fs::read(path(name)).map_err(|e| format!("cannot read `{}`: {e}", shown(name)))?;
        let sha256 = sha256_hex(&bytes);
        match manifest.outputs.files.get(name) {
            Some(h) if h.sha256 == sha256 => {}
            _ => {
                return Err(format!(
                    "`{}` is not the file its run wrote (its SHA-256 differs from the manifest's): what was paid is not known",
                    shown(name)
                ));
            }
        }
        let span = cal.parse(&manifest.period)?;
        let (from, to) = (cal.start(span), cal.end(span));
        let covered: Vec<Period> = computed
            .iter()
            .copied()
            .filter(|p| cal.start(*p) >= from && cal.end(*p) <= to)
            .collect();
        if covered.is_empty() {
            let label = |p: Option<&Period>| p.map(|p| cal.label(*p)).unwrap_or_default();
            return Err(format!(
                "`{dir}` paid {}, which this run does not compute (it computes {} to {}): give `--paid` runs of this fiscal year up to the run's period",
                manifest.period,
                label(computed.first()),
                label(computed.last())
            ));
        }
        self.periods.extend(covered);

        let mut originals = Vec::new();
        let lines: Vec<Result<Line, String>> = if name == "payouts.json" {
            match serde_json::from_slice::<Vec<Line>>(&bytes) {
                Ok(lines) => lines.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e.to_string())],
            }
        } else {
            csv::Reader::from_reader(bytes.as_slice())
                .deserialize::<Line>()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect()
        };
        for (i, row) in lines.into_iter().enumerate() {
            // A CSV line number (after the header), or the JSON array's line (one object a line).
            let at = || format!("`{}`, line {}", shown(name), i + 2);
            let line = row.map_err(|e| format!("{}: {e}", at()))?;
            let rate = line.rate.unwrap_or_default();
            let period = cal.parse(&line.period).map_err(|e| format!("{}: {e}", at()))?;
            let amount: Decimal = line
                .amount
                .parse()
                .map_err(|_| format!("{}: `{}` is not an amount", at(), line.amount))?;
            if !(cal.start(period) >= from && cal.end(period) <= to || line.component == "adjustment") {
                return Err(format!(
                    "{}: a line of {} in a run of {}",
                    at(),
                    line.period,
                    manifest.period
                ));
            }
            let key = (period, line.salesperson, component(&line.component, &rate), line.name);
            if line.component != "adjustment" {
                originals.push(key.clone());
            }
            let total = self.amounts.entry(key).or_default();
            *total = total
                .checked_add(amount)
                .ok_or_else(|| format!("{}: overflow adding up what was paid", at()))?;
        }
        self.files.push(PaidFile {
            file: shown(name),
            sha256,
            period: manifest.period,
        });
        originals.sort();
        originals.dedup();
        Ok(originals)
    }

    /// Replaces the lines of paid periods in `out` by adjustment lines for what differs from
    /// what was paid, in the order period, salesperson, component, item. A correction of an
    /// earlier period is payable now, so every adjustment is written.
    /// `dp` is the number of decimals the policy's rounding unit has, for the amounts in words.
    pub fn adjust(&self, out: &mut RunOutput, dp: usize) -> Result<(), String> {
        let mut due: BTreeMap<Key, (Decimal, Option<Decimal>)> = BTreeMap::new();
        for line in out.earlier.iter().chain(&out.payouts) {
            if self.periods.contains(&line.period) {
                let key = (
                    line.period,
                    line.rep.clone(),
                    component(line.component, &line.rate),
                    line.name.clone(),
                );
                let (amount, base) = due.entry(key).or_default();
                *amount = amount
                    .checked_add(line.amount)
                    .ok_or("overflow adding up what is due")?;
                *base = base.or(line.base);
            }
        }
        out.payouts.retain(|l| !self.periods.contains(&l.period));
        let keys: BTreeSet<&Key> = due.keys().chain(self.amounts.keys()).collect();
        for key in keys {
            let (now, base) = due.get(key).copied().unwrap_or_default();
            let then = self.amounts.get(key).copied().unwrap_or_default();
            let delta = now.checked_sub(then).ok_or("overflow comparing with what was paid")?;
            if delta.is_zero() {
                continue;
            }
            let (period, rep, component, name) = key;
            out.payouts.push(PayoutLine {
                rep: rep.clone(),
                period: *period,
                component: "adjustment",
                name: name.clone(),
                base,
                rate: format!(
                    "{CORRECTION}{component}: paid {}, due {}",
                    crate::money::fixed(then, dp),
                    crate::money::fixed(now, dp)
                ),
                amount: delta,
            });
        }
        Ok(())
    }
}
