//! The money impact of a policy change: two runs of the same records, one under each version,
//! compared salesperson by salesperson and period by period (`rulebook diff OLD NEW --config …
//! --period …`).
//!
//! Runs are matched on what their output lines say: scores and grades by salesperson and period,
//! payouts by salesperson, period, component and name (a line only one version pays is 0 in the
//! other), measures by salesperson, period and measure. Each difference is attributed, where it
//! can be, to the change that caused it (see [`Cause`]). Amounts are compared exactly, as the
//! runs rounded them line by line; nothing is rounded here.
//!
//! Like the rest of `audit`, no I/O: the caller runs the two versions and prints the strings.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::Change;
use super::log::{VersionInfo, is_bookkeeping};
use crate::eval::calendar::{FiscalCalendar, Period};
use crate::run::RunOutput;

/// How many salespeople the largest movers list.
pub const MOVERS: usize = 10;

/// One version's run, as the comparison sees it.
pub struct Side<'a> {
    pub output: &'a RunOutput,
    pub cal: FiscalCalendar,
    /// The version's rounding unit: amounts are printed with as many decimals.
    pub rounding_unit: Decimal,
    /// Rows rejected while reading, the roster's included.
    pub rejected: u64,
}

/// What both runs were given, for the report's heading.
#[derive(Clone, Debug, Default)]
pub struct Setting {
    /// The period's label (`2027-Q1`).
    pub period: String,
    /// The run configuration file, as given.
    pub config: String,
    /// Every `--source NAME=PATH`, as given.
    pub sources: Vec<String>,
    /// The records were read once for both versions (they declare their sources alike), not
    /// once for each.
    pub read_once: bool,
}

/// An amount under each version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Amounts {
    pub old: Decimal,
    pub new: Decimal,
}

impl Amounts {
    /// New less old.
    pub fn difference(&self) -> Decimal {
        self.new - self.old
    }

    fn add(&mut self, other: Amounts) {
        self.old += other.old;
        self.new += other.new;
    }
}

/// Why an amount or a measure differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A changed item: the payout or measure is named like it (`commission sales_commission`,
    /// `discipline, measure deduction`), or it is the one item of the rules that changed
    /// (`policy, rounding` when the rounding is the whole change).
    Item(String),
    /// Several items of the rules changed and none is named like the line.
    Several,
    /// No change to the rules explains it: only tests or the header's bookkeeping changed.
    Unattributed,
}

impl Cause {
    pub fn text(&self) -> &str {
        match self {
            Cause::Item(item) => item,
            Cause::Several => "several changes",
            Cause::Unattributed => "unattributed",
        }
    }
}

/// One payout line of a salesperson and period, under each version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutChange {
    /// `commission`, `clawback`, `bonus`, `spif`, `draw` or `deduction`.
    pub component: String,
    pub name: String,
    pub amounts: Amounts,
    /// Why it differs; `None` when it does not.
    pub cause: Option<Cause>,
}

/// One measure of a salesperson and period, and under which versions it is taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureChange {
    pub measure: String,
    pub old: bool,
    pub new: bool,
    /// Why only one version takes it; `None` when both or neither do.
    pub cause: Option<Cause>,
}

/// A salesperson in a period, under each version: a line of `scores.csv` and what it was paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub rep: String,
    pub period: Period,
    /// The period's label, in the new version's calendar.
    pub label: String,
    pub score: (Option<Decimal>, Option<Decimal>),
    pub grade: (Option<String>, Option<String>),
    /// In the order the new version pays them, then those only the old one pays.
    pub payouts: Vec<PayoutChange>,
    /// In the order the new version takes them, then those only the old one takes.
    pub measures: Vec<MeasureChange>,
}

impl Row {
    /// The payouts of the salesperson and period, added up.
    pub fn total(&self) -> Amounts {
        let mut total = Amounts::default();
        for p in &self.payouts {
            total.add(p.amounts);
        }
        total
    }

    /// The score difference, when both versions have a score.
    pub fn score_difference(&self) -> Option<Decimal> {
        Some(self.score.1? - self.score.0?)
    }

    /// Whether anything differs: score, grade, a payout or a measure.
    pub fn changed(&self) -> bool {
        self.score.0 != self.score.1
            || self.grade.0 != self.grade.1
            || self.payouts.iter().any(|p| !p.amounts.difference().is_zero())
            || self.measures.iter().any(|m| m.old != m.new)
    }
}

/// A component and name over every salesperson and period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub component: String,
    pub name: String,
    pub amounts: Amounts,
    /// Why its lines differ; `None` when none does (its total may still be unchanged when
    /// differences offset each other: then the cause is given all the same).
    pub cause: Option<Cause>,
}

/// A salesperson's payouts over every period of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mover {
    pub rep: String,
    pub amounts: Amounts,
}

/// The money impact of a change.
#[derive(Clone, Debug)]
pub struct Impact {
    pub setting: Setting,
    /// Decimals amounts are printed with: the finer of the two rounding units'.
    pub decimals: u32,
    /// Rows rejected while reading, under each version.
    pub rejected: (u64, u64),
    /// Every salesperson and period either run has, by salesperson id, then period (months,
    /// then quarters, then the year).
    pub rows: Vec<Row>,
    /// Totals per component and name: commission, clawback, draw, bonus, spif, deduction (any
    /// other after them), each by name.
    pub components: Vec<Component>,
    /// The salespeople whose payouts changed most (at most [`MOVERS`]): by the size of the
    /// difference, largest first, then by id. Nobody whose payouts did not change.
    pub movers: Vec<Mover>,
}

impl Impact {
    /// Every payout of the run, added up.
    pub fn total(&self) -> Amounts {
        let mut total = Amounts::default();
        for c in &self.components {
            total.add(c.amounts);
        }
        total
    }

    /// How many salesperson-periods differ in anything.
    pub fn changed_rows(&self) -> usize {
        self.rows.iter().filter(|r| r.changed()).count()
    }

    /// Whether anything at all differs.
    pub fn is_zero(&self) -> bool {
        self.changed_rows() == 0
    }
}

/// Attributes differences to the changes of the rules (tests and the header's bookkeeping —
/// version, effective date, approval — cannot move money).
struct Attribution<'c> {
    rules: Vec<&'c Change>,
}

impl Attribution<'_> {
    /// The unit a change is attributed to: its item, or for the discipline the measure.
    fn unit(c: &Change) -> String {
        match measure_of(c) {
            Some(m) => format!("{}, measure {m}", c.item),
            None => c.item.clone(),
        }
    }

    /// The cause of a difference in a payout or measure named `name`.
    fn cause(&self, name: &str) -> Cause {
        // A line named like a changed item: that item's change.
        let mut named: Vec<String> = Vec::new();
        for c in &self.rules {
            let hit = match measure_of(c) {
                Some(m) => m == name,
                None => {
                    c.item == name
                        || c.item
                            .split_once(' ')
                            .is_some_and(|(kind, n)| n == name && INCENTIVES.contains(&kind))
                }
            };
            let unit = Self::unit(c);
            if hit && !named.contains(&unit) {
                named.push(unit);
            }
        }
        if !named.is_empty() {
            return Cause::Item(named.join("; "));
        }
        // Otherwise the one item of the rules that changed, if there is one.
        let mut units: Vec<(String, Vec<&Change>)> = Vec::new();
        for c in &self.rules {
            let unit = Self::unit(c);
            match units.iter_mut().find(|(u, _)| *u == unit) {
                Some((_, list)) => list.push(c),
                None => units.push((unit, vec![c])),
            }
        }
        match units.as_slice() {
            [] => Cause::Unattributed,
            [(unit, list)] => match list.as_slice() {
                // One change of one part: name the part too (`policy, rounding`).
                [c] if !c.what.is_empty() && measure_of(c).is_none() => Cause::Item(format!("{}, {}", c.item, c.what)),
                _ => Cause::Item(unit.clone()),
            },
            _ => Cause::Several,
        }
    }
}

/// Where a component comes among the totals: what is earned first, then what is taken back.
fn rank(component: &str) -> usize {
    ["commission", "clawback", "draw", "bonus", "spif", "deduction"]
        .iter()
        .position(|c| *c == component)
        .unwrap_or(usize::MAX)
}

/// The kinds of item a payout line can be named after (`commission sales_commission`).
const INCENTIVES: [&str; 5] = ["commission", "bonus", "spif", "draw", "promotion"];

/// The measure a change to the discipline is about: `measure warning, condition` → `warning`.
fn measure_of(c: &Change) -> Option<&str> {
    if c.item != "discipline" {
        return None;
    }
    let rest = c.what.strip_prefix("measure ")?;
    Some(rest.split_once(',').map_or(rest, |(name, _)| name))
}

/// Compares the two runs. `changes` is the semantic diff of the two versions, for attribution.
pub fn compare(old: &Side, new: &Side, changes: &[Change], setting: Setting) -> Impact {
    let attribution = Attribution {
        rules: changes.iter().filter(|c| !c.test && !is_bookkeeping(c)).collect(),
    };
    let mut rows: BTreeMap<(String, Period), Row> = BTreeMap::new();
    fn row<'r>(
        rows: &'r mut BTreeMap<(String, Period), Row>,
        cal: &FiscalCalendar,
        rep: &str,
        period: Period,
    ) -> &'r mut Row {
        rows.entry((rep.to_string(), period)).or_insert_with(|| Row {
            rep: rep.to_string(),
            period,
            label: cal.label(period),
            score: (None, None),
            grade: (None, None),
            payouts: Vec::new(),
            measures: Vec::new(),
        })
    }
    // The new version first, so that lines come in its order; then the old one.
    for (is_new, side) in [(true, new), (false, old)] {
        for s in &side.output.scores {
            let r = row(&mut rows, &new.cal, &s.rep, s.period);
            if is_new {
                r.score.1 = s.score;
                r.grade.1.clone_from(&s.grade);
            } else {
                r.score.0 = s.score;
                r.grade.0.clone_from(&s.grade);
            }
        }
        for p in &side.output.payouts {
            let r = row(&mut rows, &new.cal, &p.rep, p.period);
            let i = match r
                .payouts
                .iter()
                .position(|x| x.component == p.component && x.name == p.name)
            {
                Some(i) => i,
                None => {
                    r.payouts.push(PayoutChange {
                        component: p.component.to_string(),
                        name: p.name.clone(),
                        amounts: Amounts::default(),
                        cause: None,
                    });
                    r.payouts.len() - 1
                }
            };
            let a = &mut r.payouts[i].amounts;
            if is_new {
                a.new += p.amount;
            } else {
                a.old += p.amount;
            }
        }
        for m in &side.output.measures {
            let r = row(&mut rows, &new.cal, &m.rep, m.period);
            let i = match r.measures.iter().position(|x| x.measure == m.measure) {
                Some(i) => i,
                None => {
                    r.measures.push(MeasureChange {
                        measure: m.measure.clone(),
                        old: false,
                        new: false,
                        cause: None,
                    });
                    r.measures.len() - 1
                }
            };
            if is_new {
                r.measures[i].new = true;
            } else {
                r.measures[i].old = true;
            }
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    for r in &mut rows {
        for p in &mut r.payouts {
            if !p.amounts.difference().is_zero() {
                p.cause = Some(attribution.cause(&p.name));
            }
        }
        for m in &mut r.measures {
            if m.old != m.new {
                m.cause = Some(attribution.cause(&m.measure));
            }
        }
    }

    // Totals per component and name: commissions, draws, bonuses, deductions, each by name.
    let mut components: Vec<Component> = Vec::new();
    for line in new.output.payouts.iter().chain(&old.output.payouts) {
        if !components
            .iter()
            .any(|c| c.component == line.component && c.name == line.name)
        {
            components.push(Component {
                component: line.component.to_string(),
                name: line.name.clone(),
                amounts: Amounts::default(),
                cause: None,
            });
        }
    }
    components
        .sort_by(|a, b| (rank(&a.component), &a.component, &a.name).cmp(&(rank(&b.component), &b.component, &b.name)));
    let mut by_rep: BTreeMap<&str, Amounts> = BTreeMap::new();
    for r in &rows {
        for p in &r.payouts {
            if let Some(c) = components
                .iter_mut()
                .find(|c| c.component == p.component && c.name == p.name)
            {
                c.amounts.add(p.amounts);
                if c.cause.is_none() {
                    c.cause.clone_from(&p.cause);
                }
            }
            by_rep.entry(&r.rep).or_default().add(p.amounts);
        }
    }
    let mut movers: Vec<Mover> = by_rep
        .into_iter()
        .filter(|(_, a)| !a.difference().is_zero())
        .map(|(rep, amounts)| Mover {
            rep: rep.to_string(),
            amounts,
        })
        .collect();
    // Largest difference first whatever its sign; ties by id (already in id order: stable sort).
    movers.sort_by_key(|m| std::cmp::Reverse(m.amounts.difference().abs()));
    movers.truncate(MOVERS);

    let scale = |unit: Decimal| crate::money::decimals(unit) as u32;
    Impact {
        setting,
        decimals: scale(old.rounding_unit).max(scale(new.rounding_unit)),
        rejected: (old.rejected, new.rejected),
        rows,
        components,
        movers,
    }
}

// ---------- rendering ----------

/// Money as the runs print it (`src/run/write.rs`): plain, with the unit's decimals.
fn money(d: Decimal, dp: u32) -> String {
    // A zero difference is `0.00`, never `-0.00`.
    let d = if d.is_zero() { Decimal::ZERO } else { d };
    format!("{d:.*}", dp as usize)
}

/// A difference with its sign: `+540.00`, `-0.01`, `0.00`.
fn signed(d: Decimal, dp: u32) -> String {
    if d > Decimal::ZERO {
        format!("+{}", money(d, dp))
    } else {
        money(d, dp)
    }
}

/// A score as `scores.csv` prints it: six decimals at most.
fn score(d: Decimal) -> String {
    d.round_dp(6).normalize().to_string()
}

fn signed_score(d: Decimal) -> String {
    let d = d.round_dp(6).normalize();
    if d > Decimal::ZERO {
        format!("+{d}")
    } else if d.is_zero() {
        "0".into()
    } else {
        d.to_string()
    }
}

/// A table, rendered as aligned text or as Markdown.
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

    fn text(&self, indent: &str) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(self.head[i].chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.head.len()).map(width).collect();
        let line = |cells: Vec<&str>| {
            let mut out = String::from(indent);
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                let pad = widths[i].saturating_sub(cell.chars().count());
                if self.right[i] {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                }
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
            out
        };
        let mut out = line(self.head.clone());
        for r in &self.rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }

    fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|").replace('<', "&lt;");
        let mut out = format!("| {} |\n", self.head.join(" | "));
        out.push('|');
        for right in &self.right {
            out.push_str(if *right { "---:|" } else { "---|" });
        }
        out.push('\n');
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

fn cause_cell(c: &Option<Cause>) -> String {
    c.as_ref().map(|c| c.text().to_string()).unwrap_or_default()
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// The tables every format shows: totals, largest movers, the salesperson-periods that
/// changed, the payout lines and the measures that changed.
struct Tables {
    totals: Table,
    movers: Table,
    rows: Table,
    payouts: Table,
    measures: Table,
}

fn tables(impact: &Impact) -> Tables {
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
        let mut row = vec![c.component.clone(), c.name.clone()];
        row.extend(amounts(&c.amounts));
        row.push(cause_cell(&c.cause));
        totals.rows.push(row);
    }
    let mut row = vec!["total".to_string(), String::new()];
    row.extend(amounts(&impact.total()));
    row.push(String::new());
    totals.rows.push(row);

    let mut movers = Table::new(&[
        ("salesperson", false),
        ("old", true),
        ("new", true),
        ("difference", true),
    ]);
    for m in &impact.movers {
        let mut row = vec![m.rep.clone()];
        row.extend(amounts(&m.amounts));
        movers.rows.push(row);
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
        let mut row = vec![
            r.rep.clone(),
            r.label.clone(),
            r.score.0.map(score).unwrap_or_default(),
            r.score.1.map(score).unwrap_or_default(),
            r.score_difference().map(signed_score).unwrap_or_default(),
            r.grade.0.clone().unwrap_or_default(),
            r.grade.1.clone().unwrap_or_default(),
        ];
        row.extend(amounts(&r.total()));
        rows.rows.push(row);
        for p in r.payouts.iter().filter(|p| !p.amounts.difference().is_zero()) {
            let mut row = vec![r.rep.clone(), r.label.clone(), p.component.clone(), p.name.clone()];
            row.extend(amounts(&p.amounts));
            row.push(cause_cell(&p.cause));
            payouts.rows.push(row);
        }
        for m in r.measures.iter().filter(|m| m.old != m.new) {
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
    Tables {
        totals,
        movers,
        rows,
        payouts,
        measures,
    }
}

/// `2027-Q1, on the records of examples/run.yaml (with sales=other.csv)`
fn records(s: &Setting) -> String {
    let mut out = format!("{}, on the records of {}", s.period, s.config);
    if !s.sources.is_empty() {
        out.push_str(&format!(" (with {})", s.sources.join(", ")));
    }
    out
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

fn rejected(impact: &Impact) -> String {
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

/// The impact as text, to follow the diff's text.
pub fn text(impact: &Impact, color: bool) -> String {
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let t = tables(impact);
    let mut out = format!("{}\n", bold(&format!("money impact, {}", records(&impact.setting))));
    out.push_str(&format!("  {}\n", rejected(impact)));
    out.push_str(&format!("\n{}\n", bold("totals")));
    out.push_str(&t.totals.text("  "));
    out.push('\n');
    if t.movers.rows.is_empty() {
        out.push_str(&format!("{}: none\n", bold("largest movers")));
    } else {
        out.push_str(&format!("{}\n", bold("largest movers")));
        out.push_str(&t.movers.text("  "));
    }
    out.push_str(&format!(
        "\n{}: {}\n",
        bold("by salesperson and period"),
        changed_count(impact)
    ));
    if !t.rows.rows.is_empty() {
        out.push_str(&t.rows.text("  "));
    }
    if !t.payouts.rows.is_empty() {
        out.push_str(&format!("\n{}\n", bold("payout lines that changed")));
        out.push_str(&t.payouts.text("  "));
    }
    if !t.measures.rows.is_empty() {
        out.push_str(&format!("\n{}\n", bold("measures that changed")));
        out.push_str(&t.measures.text("  "));
    }
    out
}

/// The impact as Markdown, to follow the diff's report: a section of tables.
pub fn markdown(impact: &Impact) -> String {
    let t = tables(impact);
    let code = |s: &str| format!("`{}`", s.replace('`', "'"));
    let setting = &impact.setting;
    let mut out = format!(
        "\n## Money impact\n\nBoth versions run on the same records: period {}, run configuration {}",
        code(&setting.period),
        code(&setting.config)
    );
    if !setting.sources.is_empty() {
        let sources: Vec<String> = setting.sources.iter().map(|s| code(s)).collect();
        out.push_str(&format!(", sources {}", sources.join(", ")));
    }
    out.push_str(&format!(". {}.\n", capitalise(&rejected(impact))));
    out.push_str("\n### Totals\n\n");
    out.push_str(&t.totals.markdown());
    out.push_str("\n### Largest movers\n\n");
    if t.movers.rows.is_empty() {
        out.push_str("None: nobody's payouts changed.\n");
    } else {
        out.push_str(&t.movers.markdown());
    }
    out.push_str(&format!(
        "\n### By salesperson and period\n\n{}.\n",
        capitalise(&changed_count(impact))
    ));
    if !t.rows.rows.is_empty() {
        out.push('\n');
        out.push_str(&t.rows.markdown());
    }
    if !t.payouts.rows.is_empty() {
        out.push_str("\n### Payout lines that changed\n\n");
        out.push_str(&t.payouts.markdown());
    }
    if !t.measures.rows.is_empty() {
        out.push_str("\n### Measures that changed\n\n");
        out.push_str(&t.measures.markdown());
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------- JSON ----------

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
    lines: Vec<LineJson<'a>>,
}

fn impact_json(impact: &Impact) -> ImpactJson<'_> {
    let dp = impact.decimals;
    fn cause_ref(c: &Option<Cause>) -> Option<&str> {
        c.as_ref().map(Cause::text)
    }
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
            .map(|c| ComponentJson {
                component: &c.component,
                name: &c.name,
                amounts: AmountsJson::of(&c.amounts, dp),
                cause: cause_ref(&c.cause),
            })
            .collect(),
        movers: impact
            .movers
            .iter()
            .map(|m| MoverJson {
                salesperson: &m.rep,
                amounts: AmountsJson::of(&m.amounts, dp),
            })
            .collect(),
        lines: impact
            .rows
            .iter()
            .map(|r| LineJson {
                salesperson: &r.rep,
                period: &r.label,
                changed: r.changed(),
                score: ScoreJson {
                    old: r.score.0.map(score),
                    new: r.score.1.map(score),
                    difference: r
                        .score_difference()
                        .map(|d| score(if d.is_zero() { Decimal::ZERO } else { d })),
                },
                grade: GradeJson {
                    old: r.grade.0.as_deref(),
                    new: r.grade.1.as_deref(),
                },
                total: AmountsJson::of(&r.total(), dp),
                payouts: r
                    .payouts
                    .iter()
                    .map(|p| ComponentJson {
                        component: &p.component,
                        name: &p.name,
                        amounts: AmountsJson::of(&p.amounts, dp),
                        cause: cause_ref(&p.cause),
                    })
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
            })
            .collect(),
    }
}

/// The diff and its impact as one JSON object: the diff's fields (`old`, `new`, `count`,
/// `changes`, as `report::json` writes them) and `impact`.
pub fn json(old: &VersionInfo, new: &VersionInfo, changes: &[Change], impact: &Impact) -> String {
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
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::ChangeKind;
    use crate::run::{MeasureLine, PayoutLine};
    use crate::syntax::ast::PeriodKind;

    fn change(item: &str, what: &str, test: bool) -> Change {
        Change {
            item: item.into(),
            what: what.into(),
            old: Some("a".into()),
            new: Some("b".into()),
            kind: ChangeKind::Changed,
            test,
        }
    }

    fn month(index: u8) -> Period {
        Period {
            fiscal_year: 2027,
            kind: PeriodKind::Month,
            index,
        }
    }

    fn pay(rep: &str, index: u8, component: &'static str, name: &str, amount: Decimal) -> PayoutLine {
        PayoutLine {
            rep: rep.into(),
            period: month(index),
            component,
            name: name.into(),
            base: None,
            rate: String::new(),
            amount,
        }
    }

    fn cause(changes: &[Change], name: &str) -> Cause {
        Attribution {
            rules: changes.iter().filter(|c| !c.test && !is_bookkeeping(c)).collect(),
        }
        .cause(name)
    }

    #[test]
    fn a_line_named_like_a_changed_item_is_its_change() {
        let changes = [
            change("commission sales_commission", "tier 80% to 100%, rate", false),
            change("split company by region", "east", false),
            change("discipline", "measure deduction, deduction", false),
        ];
        assert_eq!(
            cause(&changes, "sales_commission"),
            Cause::Item("commission sales_commission".into())
        );
        assert_eq!(
            cause(&changes, "deduction"),
            Cause::Item("discipline, measure deduction".into())
        );
        assert_eq!(cause(&changes, "team_bonus"), Cause::Several);
    }

    #[test]
    fn the_one_change_to_the_rules_explains_everything_else() {
        let changes = [
            change("policy", "version", false),
            change("policy", "rounding", false),
            change("test \"x\"", "expect", true),
        ];
        assert_eq!(cause(&changes, "team_bonus"), Cause::Item("policy, rounding".into()));
        let two_parts = [
            change("split company by region", "east", false),
            change("split company by region", "south", false),
        ];
        assert_eq!(
            cause(&two_parts, "team_bonus"),
            Cause::Item("split company by region".into())
        );
    }

    #[test]
    fn without_a_change_to_the_rules_nothing_is_attributed() {
        let changes = [
            change("policy", "approval", false),
            change("test \"x\"", "expect", true),
        ];
        assert_eq!(cause(&changes, "sales_commission"), Cause::Unattributed);
        assert_eq!(cause(&[], "sales_commission"), Cause::Unattributed);
    }

    #[test]
    fn movers_by_size_then_id_and_lines_by_id_then_period() {
        let old = RunOutput {
            payouts: vec![
                pay("B", 1, "commission", "c", dec(100)),
                pay("A", 1, "commission", "c", dec(100)),
                pay("C", 1, "commission", "c", dec(100)),
                pay("C", 2, "bonus", "b", dec(50)),
            ],
            measures: vec![MeasureLine {
                rep: "A".into(),
                period: month(2),
                measure: "notice".into(),
                evidence: String::new(),
            }],
            ..RunOutput::default()
        };
        let new = RunOutput {
            payouts: vec![
                pay("B", 1, "commission", "c", dec(90)),
                pay("A", 1, "commission", "c", dec(110)),
                pay("C", 1, "commission", "c", dec(100)),
                pay("C", 1, "bonus", "b", dec(20)),
            ],
            ..RunOutput::default()
        };
        let side = |output| Side {
            output,
            cal: FiscalCalendar::new(1),
            rounding_unit: Decimal::new(1, 2),
            rejected: 0,
        };
        let changes = [change("commission c", "rate", false)];
        let impact = compare(&side(&old), &side(&new), &changes, Setting::default());
        let movers: Vec<(&str, Decimal)> = impact
            .movers
            .iter()
            .map(|m| (m.rep.as_str(), m.amounts.difference()))
            .collect();
        // C: +20 in January, −50 in February; A and B tie at 10, A first.
        assert_eq!(movers, [("C", dec(-30)), ("A", dec(10)), ("B", dec(-10))]);
        let rows: Vec<(&str, u8)> = impact.rows.iter().map(|r| (r.rep.as_str(), r.period.index)).collect();
        assert_eq!(rows, [("A", 1), ("A", 2), ("B", 1), ("C", 1), ("C", 2)]);
        assert_eq!(
            impact.total(),
            Amounts {
                old: dec(350),
                new: dec(320)
            }
        );
        assert_eq!(impact.changed_rows(), 5);
        // The bonus is not named like the changed commission, which is the only change.
        let c1 = &impact.rows[3];
        assert_eq!(c1.payouts[1].cause, Some(Cause::Item("commission c, rate".into())));
        let a2 = &impact.rows[1];
        assert_eq!(
            a2.measures,
            [MeasureChange {
                measure: "notice".into(),
                old: true,
                new: false,
                cause: Some(Cause::Item("commission c, rate".into())),
            }]
        );
        let names: Vec<&str> = impact.components.iter().map(|c| c.component.as_str()).collect();
        assert_eq!(names, ["commission", "bonus"]);
        assert_eq!(money(Decimal::ZERO - Decimal::ZERO, 2), "0.00");
        assert_eq!(signed(dec(-30), 2), "-30.00");
    }

    fn dec(n: i64) -> Decimal {
        Decimal::from(n)
    }
}
