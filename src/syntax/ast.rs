//! The typed syntax tree. Every node carries its source span; spans compare equal to each
//! other, so `==` on two trees means "the same policy, ignoring layout, comments and keyword
//! language" — the comparison the formatter's safety check and the semantic diff rely on.

use jiff::civil::Date;
use rust_decimal::Decimal;

pub use super::keywords::Lang;

/// A byte range in the policy file. All spans are equal (see the module comment).
#[derive(Clone, Copy, Debug, Default, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name written in the policy, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A number as written (`120,000,000`, `1.2亿`, `6%`): its exact value and its spelling.
/// Equality looks at the value only, so `1.2亿` and `120,000,000` are the same number.
#[derive(Clone, Debug)]
pub struct Num {
    pub value: Decimal,
    pub text: String,
    pub span: Span,
}

impl Num {
    /// Whether it was written as a percentage (`4%`, `4％`): in a tier, a rate rather than a
    /// fixed amount.
    pub fn is_percent(&self) -> bool {
        self.text.ends_with('%') || self.text.ends_with('％')
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        self.value == other.value
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    Header(Header),
    Calendar(Calendar),
    Source(Source),
    Target(Target),
    Split(Split),
    Allocate(Allocate),
    Phase(Phase),
    Prorate(Prorate),
    Metric(Metric),
    Score(Score),
    Grade(Grade),
    Commission(Commission),
    Draw(Draw),
    Bonus(Bonus),
    Promotion(Promotion),
    Discipline(Discipline),
    Test(Test),
}

// ---------- header and calendar ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub name: Str,
    pub lines: Vec<HeaderLine>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DateLit {
    pub value: Date,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HeaderLine {
    Version(Str),
    Effective(DateLit),
    Currency(Name),
    Rounding { mode: RoundingMode, unit: Num, span: Span },
    Approved { by: Str, on: DateLit },
    MidPeriod { rule: MidPeriod, span: Span },
}

/// How a version that takes effect inside an assessment period treats that period
/// (`mid-period change …`). Without the line, such a version is refused by a history run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidPeriod {
    /// The period containing the effective date stays under the version before.
    FromNextPeriod,
    /// That period's payouts are both versions' weighted by the days each is in force.
    ProratedByDays,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundingMode {
    HalfUp,
    HalfEven,
    Down,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    pub lines: Vec<CalendarLine>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CalendarLine {
    FiscalYearStarts { month: Month, span: Span },
    Assess { every: PeriodKind, span: Span },
    Review { every: Vec<PeriodKind>, span: Span },
}

/// The length of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

/// A calendar month, 1 = January.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month(pub u8);

// ---------- sources ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// `roster` rather than `source`: the salespeople themselves.
    pub is_roster: bool,
    pub name: Name,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Name,
    pub ty: FieldType,
    pub mods: Vec<(FieldMod, Span)>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Money,
    Number,
    Percent,
    Date,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldMod {
    Key,
    Salesperson,
    Dated,
    Optional,
    Id,
    Hired,
    Left,
    /// On a source's date field: the date of the sale a return reverses.
    Original,
}

// ---------- targets ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: Name,
    pub amount: Num,
    pub per: PeriodKind,
    pub revisions: Vec<Revision>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub date: DateLit,
    pub amount: Num,
    pub reason: Str,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub parent: Name,
    pub by: Name,
    pub shares: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Allocate {
    pub parent: Name,
    pub by: Name,
    pub weights: Vec<Entry>,
}

/// `east 40%` in a split, `senior 1.5` in an allocation.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Name,
    pub amount: Num,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub target: Name,
    pub by: PeriodKind,
    pub shares: Vec<PhaseShare>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PhaseShare {
    /// A month (1–12) when phasing by month, a fiscal quarter (1–4) when by quarter.
    pub slot: PhaseSlot,
    pub share: Num,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseSlot {
    Month(Month),
    Quarter(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prorate {
    DaysEmployed,
    None,
}

// ---------- metrics and expressions ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: Name,
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// The source an aggregation's argument reads: `sales` in `count of sales` and in
    /// `sum of sales.amount * 2` (the first field of a source it names).
    pub fn aggregated_source(&self) -> Option<&str> {
        fn first_field(e: &Expr) -> Option<&str> {
            match &e.kind {
                ExprKind::Path(Path { first, second: Some(_) }) => Some(&first.text),
                ExprKind::Paren(x) | ExprKind::Unary(_, x) => first_field(x),
                ExprKind::Binary(_, l, r) => first_field(l).or_else(|| first_field(r)),
                _ => None,
            }
        }
        match &self.kind {
            ExprKind::Path(Path { first, second: None }) => Some(&first.text),
            _ => first_field(self),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(Num),
    Percent(Num),
    Text(String),
    Date(Date),
    /// A name, or `source.field`, or `roster.field`.
    Path(Path),
    Target,
    Score,
    Grade,
    GradeIs(Name),
    Aggregate {
        func: AggFunc,
        arg: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    AtLeast {
        count: u32,
        per: PeriodKind,
        cond: Box<Expr>,
    },
    Projected(Box<Expr>),
    Across {
        expr: Box<Expr>,
        by: Name,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub first: Name,
    pub second: Option<Name>,
}

impl Path {
    pub fn display(&self) -> String {
        match &self.second {
            Some(f) => format!("{}.{}", self.first.text, f.text),
            None => self.first.text.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    Sum,
    Count,
    CountDistinct,
    Average,
    Min,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

// ---------- scorecard and grades ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub indicators: Vec<Indicator>,
    pub gates: Vec<Gate>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Indicator {
    pub expr: Expr,
    pub weight: Num,
    pub cap: Option<Num>,
    pub floor: Option<Num>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub cond: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Grade {
    pub rules: Vec<GradeRule>,
    pub otherwise: Name,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GradeRule {
    pub grade: Name,
    pub cond: Expr,
    pub span: Span,
}

// ---------- incentives ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Commission {
    pub name: Name,
    pub base: Expr,
    /// What the tiers are measured on (`by attainment`); the base itself when absent.
    pub by: Option<Expr>,
    pub mode: TierMode,
    pub per: Option<PeriodKind>,
    pub tiers: Vec<Tier>,
    pub caps: Vec<Limit>,
    pub minimums: Vec<Limit>,
    pub gates: Vec<Gate>,
    pub year_to_date: Option<Span>,
    pub per_record: Option<Span>,
    pub claw_back_returns: Option<Span>,
    /// `claw back returns at the original rate`: a return of a sale of an earlier period is
    /// taken back at the rate that period paid.
    pub original_rate: Option<Span>,
}

impl Commission {
    /// Whether a period whose returns outweigh its sales pays a negative line.
    pub fn claws_back(&self) -> bool {
        self.claw_back_returns.is_some() || self.original_rate.is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierMode {
    Marginal,
    Retroactive,
    Interpolated,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    /// Inclusive lower bound; `None` for `below X`.
    pub from: Option<Num>,
    /// Exclusive upper bound; `None` for `above X`.
    pub to: Option<Num>,
    /// A percent is a rate on the base; a plain number is a fixed amount.
    pub pay: Num,
    /// For interpolated tiers: the rate reached at the upper bound.
    pub pay_to: Option<Num>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    pub amount: Num,
    pub per: PeriodKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Draw {
    pub name: Name,
    pub amount: Num,
    pub per: PeriodKind,
    pub against: Name,
    pub recoverable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bonus {
    pub spif: bool,
    pub name: Name,
    pub amount: Expr,
    pub per: PeriodKind,
    pub cond: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Promotion {
    pub name: Name,
    pub per: PeriodKind,
    pub cond: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Discipline {
    pub measures: Vec<Measure>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub name: Name,
    pub deduct: Option<Num>,
    pub cond: Expr,
    pub window: Window,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    /// The condition holds in one period of this length.
    In(PeriodKind, Span),
    /// The condition holds in `count` consecutive periods of this length.
    InARow { count: u32, per: PeriodKind, span: Span },
    /// The condition holds in at least `count` assessment periods within one period of this length.
    Times { count: u32, within: PeriodKind, span: Span },
}

// ---------- tests ----------

#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub name: Str,
    pub givens: Vec<Given>,
    pub expects: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Given {
    /// `None` for the built-in `target`.
    pub name: Option<Path>,
    pub value: Expr,
    pub span: Span,
}
