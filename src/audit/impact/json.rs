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

/// [`json`] written straight to `out`, followed by a newline.
pub fn write_json(
    mut out: impl std::io::Write,
    old: &VersionInfo,
    new: &VersionInfo,
    changes: &[Change],
    impact: &Impact,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        old: &'a VersionInfo,
        new: &'a VersionInfo,
        count: usize,
        changes: &'a [Change],
        impact: ImpactJson<'a>,
    }
    let doc = Doc {
        old,
        new,
        count: changes.len(),
        changes,
        impact: impact_json(impact),
    };
    serde_json::to_writer_pretty(&mut out, &doc)?;
    out.write_all(b"\n")
}
