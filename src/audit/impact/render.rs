//! The impact as text and as Markdown: one walk over the sections both show ([`sections`]),
//! each format ([`Format`]) saying how its heading, a section's title and note, and a table look.

use rust_decimal::Decimal;

use super::{Amounts, Cause, Impact, Setting};
use crate::audit::report::capitalise;

/// The impact as text, to follow the diff's text.
pub fn text(impact: &Impact, color: bool) -> String {
    render(impact, &Text { color })
}

/// The impact as Markdown, to follow the diff's report: a section of tables.
pub fn markdown(impact: &Impact) -> String {
    render(impact, &Markdown)
}

fn render(impact: &Impact, format: &impl Format) -> String {
    let mut out = format.heading(&impact.setting, &reading(impact));
    for Section { title, note, table } in sections(impact) {
        let has_rows = !table.rows.is_empty();
        if note.is_none() && !has_rows {
            continue;
        }
        out.push_str(&format.title(title, note.as_ref()));
        if has_rows {
            out.push_str(&format.table(&table));
        }
    }
    out
}

/// What a format makes of the parts of the report.
trait Format {
    /// The report's heading: the period, the records run on and how they were read (`reading`).
    fn heading(&self, setting: &Setting, reading: &str) -> String;
    /// A section's title, and its note if it has one.
    fn title(&self, title: &str, note: Option<&Note>) -> String;
    /// A section's table, which has rows.
    fn table(&self, table: &Table) -> String;
}

/// A section of the report.
struct Section {
    /// In lower case, as a phrase (`largest movers`).
    title: &'static str,
    /// What the section says before its table, if anything.
    note: Option<Note>,
    /// Not shown when it has no rows; the whole section is not, either, unless it has a note.
    table: Table,
}

/// What a section says, in lower case, as a phrase: `2 of 110 salesperson-periods changed`.
struct Note {
    said: String,
    /// Said after it where there is room (in Markdown, not in the text's title line).
    detail: Option<&'static str>,
}

/// The sections every format shows, in order: totals, largest movers, the salesperson-periods
/// that changed, the payout lines and the measures that changed.
fn sections(impact: &Impact) -> [Section; 5] {
    let dp = impact.decimals;
    let amounts = |a: &Amounts| [money(a.old, dp), money(a.new, dp), signed(a.difference(), dp)];

    let mut totals = Table::new(&[
        ("component", false),
        ("name", false),
        ("old", true),
        ("new", true),
        ("difference", true),
        ("cause", false),
    ]);
    for c in &impact.components {
        totals.push(
            [c.component.clone(), c.name.clone()],
            amounts(&c.amounts),
            [cause_cell(&c.cause)],
        );
    }
    totals.push(
        ["total".to_string(), String::new()],
        amounts(&impact.total()),
        [String::new()],
    );

    let mut movers = Table::new(&[
        ("salesperson", false),
        ("old", true),
        ("new", true),
        ("difference", true),
    ]);
    for m in &impact.movers {
        movers.push([m.rep.clone()], amounts(&m.amounts), []);
    }

    let mut rows = Table::new(&[
        ("salesperson", false),
        ("period", false),
        ("score old", true),
        ("score new", true),
        ("score difference", true),
        ("grade old", false),
        ("grade new", false),
        ("paid old", true),
        ("paid new", true),
        ("difference", true),
    ]);
    let mut payouts = Table::new(&[
        ("salesperson", false),
        ("period", false),
        ("component", false),
        ("name", false),
        ("old", true),
        ("new", true),
        ("difference", true),
        ("cause", false),
    ]);
    let mut measures = Table::new(&[
        ("salesperson", false),
        ("period", false),
        ("measure", false),
        ("old", false),
        ("new", false),
        ("cause", false),
    ]);
    for r in impact.rows.iter().filter(|r| r.changed()) {
        rows.push(
            [
                r.rep.clone(),
                r.label.clone(),
                r.score.0.map(score).unwrap_or_default(),
                r.score.1.map(score).unwrap_or_default(),
                r.score_difference().map(signed_score).unwrap_or_default(),
                r.grade.0.clone().unwrap_or_default(),
                r.grade.1.clone().unwrap_or_default(),
            ],
            amounts(&r.total()),
            [],
        );
        for p in r.payouts.iter().filter(|p| p.changed()) {
            payouts.push(
                [r.rep.clone(), r.label.clone(), p.component.clone(), p.name.clone()],
                amounts(&p.amounts),
                [cause_cell(&p.cause)],
            );
        }
        for m in r.measures.iter().filter(|m| m.changed()) {
            measures.rows.push(vec![
                r.rep.clone(),
                r.label.clone(),
                m.measure.clone(),
                yes(m.old),
                yes(m.new),
                cause_cell(&m.cause),
            ]);
        }
    }

    let nobody = movers.rows.is_empty().then_some(Note {
        said: "none".into(),
        detail: Some("nobody's payouts changed"),
    });
    let changed = Note {
        said: changed_count(impact),
        detail: None,
    };
    let section = |title, note, table| Section { title, note, table };
    [
        section("totals", None, totals),
        section("largest movers", nobody, movers),
        section("by salesperson and period", Some(changed), rows),
        section("payout lines that changed", None, payouts),
        section("measures that changed", None, measures),
    ]
}

/// `46 of 110 salesperson-periods changed`
fn changed_count(impact: &Impact) -> String {
    let n = impact.rows.len();
    match impact.changed_rows() {
        0 => format!(
            "none of {n} salesperson-periods changed: every score, grade, payout and measure is the same under both versions"
        ),
        c => format!("{c} of {n} salesperson-periods changed"),
    }
}

/// How the records were read, and how many rows were rejected.
fn reading(impact: &Impact) -> String {
    let (o, n) = impact.rejected;
    let reading = if impact.setting.read_once {
        "records read once for both versions"
    } else {
        "records read once for each version, which declare their sources differently"
    };
    if o == n {
        format!("{reading}; rows rejected while reading: {o} under each version")
    } else {
        format!("{reading}; rows rejected while reading: {o} under the old version, {n} under the new one")
    }
}

// ---------- the formats ----------

/// Aligned plain text, its titles in bold on a terminal (`color`).
struct Text {
    color: bool,
}

impl Text {
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Format for Text {
    /// `money impact, 2027-Q1, on the records of examples/run.yaml (with sales=other.csv)`, the
    /// reading below it.
    fn heading(&self, s: &Setting, reading: &str) -> String {
        let mut records = format!("{}, on the records of {}", s.period, s.config);
        if !s.sources.is_empty() {
            records.push_str(&format!(" (with {})", s.sources.join(", ")));
        }
        format!("{}\n  {reading}\n", self.bold(&format!("money impact, {records}")))
    }

    /// After a blank line, the title and its note on one line (`largest movers: none`).
    fn title(&self, title: &str, note: Option<&Note>) -> String {
        match note {
            Some(note) => format!("\n{}: {}\n", self.bold(title), note.said),
            None => format!("\n{}\n", self.bold(title)),
        }
    }

    /// Indented, its columns aligned, no space at the ends of lines.
    fn table(&self, table: &Table) -> String {
        let width = |i: usize| {
            table
                .rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(table.head[i].chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..table.head.len()).map(width).collect();
        let line = |cells: Vec<&str>| {
            let mut out = String::from("  ");
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                let pad = " ".repeat(widths[i].saturating_sub(cell.chars().count()));
                if table.right[i] {
                    out.push_str(&pad);
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&pad);
                }
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
            out
        };
        let mut out = line(table.head.clone());
        for r in &table.rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }
}

/// A Markdown section (`## Money impact`), each section of the report a `###` one.
struct Markdown;

impl Format for Markdown {
    /// `Both versions run on the same records: period `2027-Q1`, run configuration …`, the
    /// reading a sentence after it.
    fn heading(&self, s: &Setting, reading: &str) -> String {
        let code = |s: &str| format!("`{}`", s.replace('`', "'"));
        let mut out = format!(
            "\n## Money impact\n\nBoth versions run on the same records: period {}, run configuration {}",
            code(&s.period),
            code(&s.config)
        );
        if !s.sources.is_empty() {
            let sources: Vec<String> = s.sources.iter().map(|s| code(s)).collect();
            out.push_str(&format!(", sources {}", sources.join(", ")));
        }
        out.push_str(&format!(". {}.\n", capitalise(reading)));
        out
    }

    /// The title as a heading, the note as a sentence with its detail (`None: nobody's payouts
    /// changed.`). Every block of a section (title, note, table) comes after a blank line.
    fn title(&self, title: &str, note: Option<&Note>) -> String {
        let mut out = format!("\n### {}\n", capitalise(title));
        if let Some(note) = note {
            out.push('\n');
            out.push_str(&capitalise(&note.said));
            if let Some(detail) = note.detail {
                out.push_str(&format!(": {detail}"));
            }
            out.push_str(".\n");
        }
        out
    }

    /// Numbers aligned right; `|` and `<` in cells escaped.
    fn table(&self, table: &Table) -> String {
        let esc = |s: &str| s.replace('|', "\\|").replace('<', "&lt;");
        let mut out = format!("\n| {} |\n", table.head.join(" | "));
        out.push('|');
        for right in &table.right {
            out.push_str(if *right { "---:|" } else { "---|" });
        }
        out.push('\n');
        for r in &table.rows {
            let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

// ---------- tables and cells ----------

/// A table's head and rows, which each format lays out its own way.
struct Table {
    head: Vec<&'static str>,
    /// Right-aligned columns (numbers).
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(head: &[(&'static str, bool)]) -> Table {
        Table {
            head: head.iter().map(|(h, _)| *h).collect(),
            right: head.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row: the cells before its three amounts (old, new, difference), the amounts, the
    /// cells after them.
    fn push<const B: usize, const A: usize>(&mut self, before: [String; B], amounts: [String; 3], after: [String; A]) {
        self.rows.push(before.into_iter().chain(amounts).chain(after).collect());
    }
}

fn cause_cell(c: &Option<Cause>) -> String {
    c.as_ref().map(|c| c.text().to_string()).unwrap_or_default()
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

// ---------- values, as every format prints them ----------

/// Money as the runs print it (`src/run/write.rs`): plain, with the unit's decimals.
pub(super) fn money(d: Decimal, dp: u32) -> String {
    // A zero difference is `0.00`, never `-0.00`.
    let d = if d.is_zero() { Decimal::ZERO } else { d };
    crate::money::fixed(d, dp as usize)
}

/// A difference with its sign: `+540.00`, `-0.01`, `0.00`.
fn signed(d: Decimal, dp: u32) -> String {
    plus(d, money(d, dp))
}

/// A score as `scores.csv` prints it: six decimals at most (`normalize` makes `-0` `0`).
pub(super) fn score(d: Decimal) -> String {
    crate::run::cells::number(d)
}

/// A score difference with its sign: `+0.05`, `-0.2`, `0`.
fn signed_score(d: Decimal) -> String {
    plus(d.round_dp(6), score(d))
}

/// `printed` with a `+` before it when `d` is positive.
fn plus(d: Decimal, printed: String) -> String {
    if d > Decimal::ZERO {
        format!("+{printed}")
    } else {
        printed
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Component, MeasureChange, Mover, PayoutChange, Row};
    use super::*;
    use crate::eval::calendar::Period;
    use crate::syntax::ast::PeriodKind;

    /// One salesperson-period whose commission and a measure changed, read twice; not the
    /// shipped data, which has neither a source override nor reading differences.
    fn impact() -> Impact {
        let amounts = Amounts {
            old: Decimal::new(100, 2),
            new: Decimal::new(250, 2),
        };
        let cause = Some(Cause::Item("commission c|<".into()));
        Impact {
            setting: Setting {
                period: "2027-Q1".into(),
                config: "run`s.yaml".into(),
                sources: vec!["sales=s.csv".into(), "reps=r.csv".into()],
                read_once: false,
            },
            decimals: 2,
            rejected: (3, 5),
            rows: vec![Row {
                rep: "R|1".into(),
                period: Period {
                    fiscal_year: 2027,
                    kind: PeriodKind::Month,
                    index: 1,
                },
                label: "2027-01".into(),
                score: (Some(Decimal::new(1234567, 6)), None),
                grade: (Some("A".into()), Some("A".into())),
                payouts: vec![PayoutChange {
                    component: "commission".into(),
                    name: "c|<".into(),
                    amounts,
                    cause: cause.clone(),
                }],
                measures: vec![MeasureChange {
                    measure: "notice".into(),
                    old: true,
                    new: false,
                    cause: Some(Cause::Several),
                }],
            }],
            components: vec![Component {
                component: "commission".into(),
                name: "c|<".into(),
                amounts,
                cause,
            }],
            movers: vec![Mover {
                rep: "R|1".into(),
                amounts,
            }],
        }
    }

    #[test]
    fn text_in_colour() {
        let expected = "\
\x1b[1mmoney impact, 2027-Q1, on the records of run`s.yaml (with sales=s.csv, reps=r.csv)\x1b[0m
  records read once for each version, which declare their sources differently; rows rejected while reading: 3 under the old version, 5 under the new one

\x1b[1mtotals\x1b[0m
  component   name   old   new  difference  cause
  commission  c|<   1.00  2.50       +1.50  commission c|<
  total             1.00  2.50       +1.50

\x1b[1mlargest movers\x1b[0m
  salesperson   old   new  difference
  R|1          1.00  2.50       +1.50

\x1b[1mby salesperson and period\x1b[0m: 1 of 1 salesperson-periods changed
  salesperson  period   score old  score new  score difference  grade old  grade new  paid old  paid new  difference
  R|1          2027-01   1.234567                               A          A              1.00      2.50       +1.50

\x1b[1mpayout lines that changed\x1b[0m
  salesperson  period   component   name   old   new  difference  cause
  R|1          2027-01  commission  c|<   1.00  2.50       +1.50  commission c|<

\x1b[1mmeasures that changed\x1b[0m
  salesperson  period   measure  old  new  cause
  R|1          2027-01  notice   yes  no   several changes
";
        assert_eq!(text(&impact(), true), expected);
        assert_eq!(
            text(&impact(), false),
            expected.replace("\x1b[1m", "").replace("\x1b[0m", "")
        );
    }

    #[test]
    fn markdown_escapes_and_notes() {
        let expected = "
## Money impact

Both versions run on the same records: period `2027-Q1`, run configuration `run's.yaml`, sources `sales=s.csv`, `reps=r.csv`. Records read once for each version, which declare their sources differently; rows rejected while reading: 3 under the old version, 5 under the new one.

### Totals

| component | name | old | new | difference | cause |
|---|---|---:|---:|---:|---|
| commission | c\\|&lt; | 1.00 | 2.50 | +1.50 | commission c\\|&lt; |
| total |  | 1.00 | 2.50 | +1.50 |  |

### Largest movers

| salesperson | old | new | difference |
|---|---:|---:|---:|
| R\\|1 | 1.00 | 2.50 | +1.50 |

### By salesperson and period

1 of 1 salesperson-periods changed.

| salesperson | period | score old | score new | score difference | grade old | grade new | paid old | paid new | difference |
|---|---|---:|---:|---:|---|---|---:|---:|---:|
| R\\|1 | 2027-01 | 1.234567 |  |  | A | A | 1.00 | 2.50 | +1.50 |

### Payout lines that changed

| salesperson | period | component | name | old | new | difference | cause |
|---|---|---|---|---:|---:|---:|---|
| R\\|1 | 2027-01 | commission | c\\|&lt; | 1.00 | 2.50 | +1.50 | commission c\\|&lt; |

### Measures that changed

| salesperson | period | measure | old | new | cause |
|---|---|---|---|---|---|
| R\\|1 | 2027-01 | notice | yes | no | several changes |
";
        assert_eq!(markdown(&impact()), expected);
    }

    #[test]
    fn without_movers_or_changes() {
        let mut none = impact();
        none.rows.clear();
        none.movers.clear();
        let text = text(&none, false);
        assert!(
            text.contains(
                "\nlargest movers: none\n\nby salesperson and period: none of 0 salesperson-periods changed: "
            )
        );
        assert!(!text.contains("payout lines") && !text.contains("measures"));
        let md = markdown(&none);
        assert!(md.contains(
            "\n### Largest movers\n\nNone: nobody's payouts changed.\n\n### By salesperson and period\n\nNone of 0 "
        ));
        assert!(md.ends_with("is the same under both versions.\n"));
    }

    #[test]
    fn values() {
        assert_eq!(money(Decimal::ZERO - Decimal::ZERO, 2), "0.00");
        assert_eq!(signed(Decimal::from(-30), 2), "-30.00");
        assert_eq!(signed(Decimal::new(5401, 1), 2), "+540.10");
        assert_eq!(signed_score(Decimal::new(-2, 1)), "-0.2");
        assert_eq!(signed_score(Decimal::new(1, 8)), "0");
        assert_eq!(signed_score(Decimal::new(-1, 8)), "0");
        assert_eq!(signed_score(Decimal::new(5, 2)), "+0.05");
    }
}
