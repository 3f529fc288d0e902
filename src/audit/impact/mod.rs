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
//! Like the rest of `audit`, no I/O: the caller runs the two versions, gives their lines to a
//! [`Comparison`] as they come, and prints what `render` (text, Markdown) and `json` make of
//! the [`Impact`].

mod compare;
mod json;
mod render;

use rust_decimal::Decimal;

use super::Change;
use super::log::is_bookkeeping;
use crate::eval::calendar::Period;

pub use compare::Comparison;
pub use json::{json, write_json};
pub use render::{markdown, text};

/// How many salespeople the largest movers list.
pub const MOVERS: usize = 10;

/// One version's run, as the comparison's totals see it (its lines go to a [`Comparison`]).
pub struct Side {
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

impl std::iter::Sum for Amounts {
    fn sum<I: Iterator<Item = Amounts>>(iter: I) -> Amounts {
        let mut total = Amounts::default();
        for a in iter {
            total.add(a);
        }
        total
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

impl PayoutChange {
    /// Whether the versions pay different amounts.
    pub fn changed(&self) -> bool {
        !self.amounts.difference().is_zero()
    }
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

impl MeasureChange {
    /// Whether only one version takes it.
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
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
        self.payouts.iter().map(|p| p.amounts).sum()
    }

    /// The score difference, when both versions have a score.
    pub fn score_difference(&self) -> Option<Decimal> {
        Some(self.score.1? - self.score.0?)
    }

    /// Whether anything differs: score, grade, a payout or a measure.
    pub fn changed(&self) -> bool {
        self.score.0 != self.score.1
            || self.grade.0 != self.grade.1
            || self.payouts.iter().any(PayoutChange::changed)
            || self.measures.iter().any(MeasureChange::changed)
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
        self.components.iter().map(|c| c.amounts).sum()
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

impl<'c> Attribution<'c> {
    fn new(changes: &'c [Change]) -> Self {
        Attribution {
            rules: changes.iter().filter(|c| !c.test && !is_bookkeeping(c)).collect(),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::ChangeKind;
    use crate::eval::calendar::FiscalCalendar;
    use crate::run::{MeasureLine, PayoutLine, PeriodLines};
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
        Attribution::new(changes).cause(name)
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
        let old = PeriodLines {
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
            ..PeriodLines::default()
        };
        let new = PeriodLines {
            payouts: vec![
                pay("B", 1, "commission", "c", dec(90)),
                pay("A", 1, "commission", "c", dec(110)),
                pay("C", 1, "commission", "c", dec(100)),
                pay("C", 1, "bonus", "b", dec(20)),
            ],
            ..PeriodLines::default()
        };
        let changes = [change("commission c", "rate", false)];
        let impact = compare(old, vec![new], &changes);
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
    }

    /// Lines given period by period, a period in several chunks (as a run gives them), match as
    /// when they are given all at once; a row's payouts come in the new version's order, then
    /// those only the old version pays.
    #[test]
    fn lines_given_as_they_come_match_as_lines_given_at_once() {
        let old = || PeriodLines {
            payouts: vec![
                pay("A", 1, "bonus", "b", dec(5)),
                pay("A", 1, "commission", "c", dec(100)),
                pay("B", 1, "commission", "c", dec(70)),
                pay("A", 2, "commission", "c", dec(40)),
                pay("D", 3, "commission", "c", dec(9)),
            ],
            ..PeriodLines::default()
        };
        let new = [
            vec![
                pay("A", 1, "commission", "c", dec(120)),
                pay("A", 1, "spif", "s", dec(3)),
            ],
            vec![
                pay("B", 1, "commission", "c", dec(70)),
                pay("C", 1, "commission", "c", dec(1)),
            ],
            vec![pay("A", 2, "commission", "c", dec(45))],
        ];
        let chunks: Vec<PeriodLines> = new
            .iter()
            .map(|p| PeriodLines {
                payouts: p.clone(),
                ..PeriodLines::default()
            })
            .collect();
        let all = PeriodLines {
            payouts: new.concat(),
            ..PeriodLines::default()
        };
        let changes = [change("commission c", "rate", false)];
        let streamed = compare(old(), chunks, &changes);
        let at_once = compare(old(), vec![all], &changes);
        assert_eq!(streamed.rows, at_once.rows);
        assert_eq!(streamed.components, at_once.components);
        let a1: Vec<(&str, Decimal, Decimal)> = streamed.rows[0]
            .payouts
            .iter()
            .map(|p| (p.name.as_str(), p.amounts.old, p.amounts.new))
            .collect();
        assert_eq!(
            a1,
            [("c", dec(100), dec(120)), ("s", dec(0), dec(3)), ("b", dec(5), dec(0))]
        );
        let rows: Vec<(&str, u8)> = streamed.rows.iter().map(|r| (r.rep.as_str(), r.period.index)).collect();
        assert_eq!(rows, [("A", 1), ("A", 2), ("B", 1), ("C", 1), ("D", 3)]);
        assert_eq!(
            streamed.total(),
            Amounts {
                old: dec(224),
                new: dec(239)
            }
        );
    }

    /// The impact of `old`'s lines against `new`'s, given in the chunks `new` holds.
    fn compare(old: PeriodLines, new: Vec<PeriodLines>, changes: &[Change]) -> Impact {
        let side = Side {
            rounding_unit: Decimal::new(1, 2),
            rejected: 0,
        };
        let mut c = Comparison::new(changes, FiscalCalendar::new(1));
        c.old_lines(old);
        for lines in new {
            c.new_lines(lines);
        }
        c.finish(&side, &side, Setting::default()).unwrap()
    }

    fn dec(n: i64) -> Decimal {
        Decimal::from(n)
    }
}
