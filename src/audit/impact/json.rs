//! The impact as JSON, in the diff's object (`docs/auditing.md`, "Money impact").

use serde::Serialize;

use super::render::{money, score};
use super::{Amounts, Cause, Impact};
use crate::audit::Change;
use crate::audit::log::VersionInfo;

#[derive(Serialize)]
struct AmountsJson {
    old: String,
    new: String,
    difference: String,
}

impl AmountsJson {
    fn of(a: &Amounts, dp: u32) -> AmountsJson {
        AmountsJson {
            old: money(a.old, dp),
            new: money(a.new, dp),
            difference: money(a.difference(), dp),
        }
    }
}

#[derive(Serialize)]
struct ComponentJson<'a> {
    component: &'a str,
    name: &'a str,
    #[serde(flatten)]
    amounts: AmountsJson,
    cause: Option<&'a str>,
}

impl<'a> ComponentJson<'a> {
    fn of(component: &'a str, name: &'a str, amounts: &Amounts, cause: &'a Option<Cause>, dp: u32) -> Self {
        ComponentJson {
            component,
            name,
            amounts: AmountsJson::of(amounts, dp),
            cause: cause_ref(cause),
        }
    }
}

fn cause_ref(c: &Option<Cause>) -> Option<&str> {
    c.as_ref().map(Cause::text)
}

#[derive(Serialize)]
struct MoverJson<'a> {
    salesperson: &'a str,
    #[serde(flatten)]
    amounts: AmountsJson,
}

#[derive(Serialize)]
struct ScoreJson {
    old: Option<String>,
    new: Option<String>,
    difference: Option<String>,
}

#[derive(Serialize)]
struct GradeJson<'a> {
    old: Option<&'a str>,
    new: Option<&'a str>,
}

#[derive(Serialize)]
struct MeasureJson<'a> {
    measure: &'a str,
    old: bool,
    new: bool,
    cause: Option<&'a str>,
}

#[derive(Serialize)]
struct LineJson<'a> {
    salesperson: &'a str,
    period: &'a str,
    changed: bool,
    score: ScoreJson,
    grade: GradeJson<'a>,
    total: AmountsJson,
    payouts: Vec<ComponentJson<'a>>,
    measures: Vec<MeasureJson<'a>>,
}

#[derive(Serialize)]
struct Rejected {
    old: u64,
    new: u64,
}

#[derive(Serialize)]
struct ImpactJson<'a> {
    period: &'a str,
    config: &'a str,
    sources: &'a [String],
    read_once: bool,
    decimals: u32,
    rejected_rows: Rejected,
    lines_changed: usize,
    total: AmountsJson,
    components: Vec<ComponentJson<'a>>,
    movers: Vec<MoverJson<'a>>,
    lines: Lines<'a>,
}

fn impact_json(impact: &Impact) -> ImpactJson<'_> {
    let dp = impact.decimals;
    ImpactJson {
        period: &impact.setting.period,
        config: &impact.setting.config,
        sources: &impact.setting.sources,
        read_once: impact.setting.read_once,
        decimals: dp,
        rejected_rows: Rejected {
            old: impact.rejected.0,
            new: impact.rejected.1,
        },
        lines_changed: impact.changed_rows(),
        total: AmountsJson::of(&impact.total(), dp),
        components: impact
            .components
            .iter()
            .map(|c| ComponentJson::of(&c.component, &c.name, &c.amounts, &c.cause, dp))
            .collect(),
        movers: impact
            .movers
            .iter()
            .map(|m| MoverJson {
                salesperson: &m.rep,
                amounts: AmountsJson::of(&m.amounts, dp),
            })
            .collect(),
        lines: Lines { rows: &impact.rows, dp },
    }
}

/// The rows of an impact, each made into its JSON as it is written: a year of thousands of
/// salespeople is some hundred thousand of them.
struct Lines<'a> {
    rows: &'a [super::Row],
    dp: u32,
}

impl Serialize for Lines<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.rows.iter().map(|r| line_json(r, self.dp)))
    }
}

/// How many rows each thread renders at a time: enough to keep the threads busy, few enough
/// that the rendered text held at once stays small.
const ROWS_AT_A_TIME: usize = 2048;

/// Writes the rows as the pretty-printer would write the `lines` array at `indent` spaces — the
/// opening bracket is already written — rendered on every core a batch at a time and written
/// in order. A year of thousands of salespeople is some 90 MB of them.
fn write_lines(out: &mut impl std::io::Write, rows: &[super::Row], dp: u32, indent: usize) -> std::io::Result<()> {
    if rows.is_empty() {
        return out.write_all(b"]");
    }
    let inner: Vec<u8> = std::iter::once(b'\n')
        .chain(std::iter::repeat_n(b' ', indent + 2))
        .collect();
    let threads = crate::eval::threads();
    let mut first = true;
    for batch in rows.chunks(ROWS_AT_A_TIME * threads) {
        let parts = batch.chunks(ROWS_AT_A_TIME.min(batch.len().div_ceil(threads)));
        let rendered = crate::eval::on_threads(parts, |part| -> std::io::Result<Vec<u8>> {
            let mut text = Vec::new();
            let mut row = Vec::new();
            for r in part {
                row.clear();
                serde_json::to_writer_pretty(&mut row, &line_json(r, dp))?;
                // Each row at the array's depth: its lines indented as the array's elements.
                text.extend_from_slice(&inner);
                for (i, line) in row.split(|&b| b == b'\n').enumerate() {
                    if i > 0 {
                        text.extend_from_slice(&inner);
                    }
                    text.extend_from_slice(line);
                }
                text.push(b',');
            }
            Ok(text)
        });
        for text in rendered {
            let text = text?;
            // Rows are separated by commas; the first has none before it, so each row's comma
            // is written with the next one's text.
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(text.strip_suffix(b",").unwrap_or(&text))?;
        }
    }
    out.write_all(&inner[..inner.len() - 2])?;
    out.write_all(b"]")
}

fn line_json(r: &super::Row, dp: u32) -> LineJson<'_> {
    LineJson {
        salesperson: &r.rep,
        period: &r.label,
        changed: r.changed(),
        score: ScoreJson {
            old: r.score.0.map(score),
            new: r.score.1.map(score),
            difference: r.score_difference().map(score),
        },
        grade: GradeJson {
            old: r.grade.0.as_deref(),
            new: r.grade.1.as_deref(),
        },
        total: AmountsJson::of(&r.total(), dp),
        payouts: r
            .payouts
            .iter()
            .map(|p| ComponentJson::of(&p.component, &p.name, &p.amounts, &p.cause, dp))
            .collect(),
        measures: r
            .measures
            .iter()
            .map(|m| MeasureJson {
                measure: &m.measure,
                old: m.old,
                new: m.new,
                cause: cause_ref(&m.cause),
            })
            .collect(),
    }
}

/// The diff and its impact as one JSON object: the diff's fields (`old`, `new`, `count`,
/// `changes`, as `report::json` writes them) and `impact`.
pub fn json(old: &VersionInfo, new: &VersionInfo, changes: &[Change], impact: &Impact) -> String {
    let mut out = Vec::new();
    // Writing into memory fails only on a value serde cannot write, and these have none.
    let _ = write_json(&mut out, old, new, changes, impact);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json`] written straight to `out`, followed by a newline. The rows, most of it, are
/// rendered on every core (see [`write_lines`]); the rest is written by serde as it stands.
pub fn write_json(
    mut out: impl std::io::Write,
    old: &VersionInfo,
    new: &VersionInfo,
    changes: &[Change],
    impact: &Impact,
) -> std::io::Result<()> {
    let mut doc = doc(old, new, changes, impact);
    doc.impact.lines.rows = &[];
    let mut head = Vec::new();
    serde_json::to_writer_pretty(&mut head, &doc)?;
    // The rows go where the empty `lines` array is: the last field of the last object, so its
    // last occurrence (inside a string its quotes would be escaped).
    const MARKER: &[u8] = b"\"lines\": []";
    let Some(at) = head.windows(MARKER.len()).rposition(|w| w == MARKER) else {
        return write_json_serially(out, &self::doc(old, new, changes, impact));
    };
    let indent = head[..at].iter().rev().take_while(|&&b| b == b' ').count();
    let (before, after) = (&head[..at + MARKER.len() - 1], &head[at + MARKER.len()..]);
    out.write_all(before)?;
    write_lines(&mut out, &impact.rows, impact.decimals, indent)?;
    out.write_all(after)?;
    out.write_all(b"\n")
}

/// The document of [`json`]: the diff's fields and the impact.
#[derive(Serialize)]
struct Doc<'a> {
    old: &'a VersionInfo,
    new: &'a VersionInfo,
    count: usize,
    changes: &'a [Change],
    impact: ImpactJson<'a>,
}

fn doc<'a>(old: &'a VersionInfo, new: &'a VersionInfo, changes: &'a [Change], impact: &'a Impact) -> Doc<'a> {
    Doc {
        old,
        new,
        count: changes.len(),
        changes,
        impact: impact_json(impact),
    }
}

/// A document written by serde alone, row after row on one core.
fn write_json_serially(mut out: impl std::io::Write, doc: &Doc) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, doc)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::impact::{MeasureChange, PayoutChange, Row, Setting};
    use crate::eval::calendar::Period;
    use crate::syntax::ast::PeriodKind;
    use rust_decimal::Decimal;

    fn version(file: &str) -> VersionInfo {
        VersionInfo {
            file: file.into(),
            name: "p \"quoted\"".into(),
            version: Some("1".into()),
            effective: None,
            approved: None,
        }
    }

    fn row(i: usize) -> Row {
        Row {
            rep: format!("R{i:05}"),
            period: Period {
                fiscal_year: 2027,
                kind: PeriodKind::Month,
                index: (i % 12) as u8 + 1,
            },
            label: format!("2027-{:02}", i % 12 + 1),
            score: (Some(Decimal::new(i as i64, 3)), None),
            grade: (Some("A\nB".into()), None),
            payouts: (0..i % 3)
                .map(|k| PayoutChange {
                    component: "commission".into(),
                    name: format!("c{k}"),
                    amounts: Amounts {
                        old: Decimal::new(i as i64 * 100 + k as i64, 2),
                        new: Decimal::new(i as i64 * 101, 2),
                    },
                    cause: None,
                })
                .collect(),
            measures: (0..i % 2)
                .map(|_| MeasureChange {
                    measure: "warning".into(),
                    old: true,
                    new: false,
                    cause: None,
                })
                .collect(),
        }
    }

    /// The rows rendered on several cores, in batches, give the bytes serde gives writing the
    /// whole document itself: with no rows, a few, and more than a batch of every thread.
    #[test]
    fn rows_rendered_apart_are_the_document_serde_writes() {
        for rows in [0, 1, 7, ROWS_AT_A_TIME * crate::eval::threads() + 3] {
            let impact = Impact {
                setting: Setting::default(),
                decimals: 2,
                rejected: (0, 0),
                rows: (0..rows).map(row).collect(),
                components: Vec::new(),
                movers: Vec::new(),
            };
            let (old, new) = (version("a.policy"), version("b.policy"));
            let mut apart = Vec::new();
            write_json(&mut apart, &old, &new, &[], &impact).unwrap();
            let mut serially = Vec::new();
            write_json_serially(&mut serially, &doc(&old, &new, &[], &impact)).unwrap();
            assert_eq!(
                String::from_utf8(apart).unwrap(),
                String::from_utf8(serially).unwrap(),
                "{rows} rows"
            );
        }
    }
}
