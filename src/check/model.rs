//! The checked model: the facts the evaluator and the semantic diff need, resolved once.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::keywords::Lang;

/// The type of a value in the policy language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Money,
    Number,
    Percent,
    /// An unadorned number literal: it takes the type of what it meets (`revenue >= 100,000`).
    Scalar,
    Bool,
    Text,
    Date,
    /// Already reported; suppresses follow-on errors.
    Error,
}

impl Type {
    pub fn describe(self) -> &'static str {
        match self {
            Type::Money => "an amount of money",
            Type::Number => "a number",
            Type::Percent => "a percentage",
            Type::Scalar => "a number",
            Type::Bool => "a condition",
            Type::Text => "a text",
            Type::Date => "a date",
            Type::Error => "an invalid value",
        }
    }
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Type::Money | Type::Number | Type::Percent | Type::Scalar | Type::Error
        )
    }
    pub fn of_field(ty: FieldType) -> Type {
        match ty {
            FieldType::Text => Type::Text,
            FieldType::Money => Type::Money,
            FieldType::Number => Type::Number,
            FieldType::Percent => Type::Percent,
            FieldType::Date => Type::Date,
        }
    }
}

/// What a name in the value namespace stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Target,
    Metric,
    Commission,
    Draw,
    Bonus,
    Promotion,
}

impl SymbolKind {
    pub fn describe(self) -> &'static str {
        match self {
            SymbolKind::Target => "target",
            SymbolKind::Metric => "metric",
            SymbolKind::Commission => "commission",
            SymbolKind::Draw => "draw",
            SymbolKind::Bonus => "bonus",
            SymbolKind::Promotion => "promotion",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Symbol {
    pub kind: SymbolKind,
    /// Index of the defining item in `Policy::items`.
    pub item: usize,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct SourceInfo {
    pub is_roster: bool,
    pub item: usize,
    pub span: Span,
    pub fields: BTreeMap<String, FieldInfo>,
}

#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub ty: FieldType,
    pub optional: bool,
    pub span: Span,
}

/// The header's facts, with the language's defaults where the policy is silent.
#[derive(Clone, Debug)]
pub struct HeaderFacts {
    pub name: String,
    pub version: Option<String>,
    pub effective: Option<Date>,
    pub currency: Option<String>,
    pub rounding: RoundingMode,
    pub rounding_unit: Decimal,
    pub approved: Option<(String, Date)>,
    /// `mid-period change …`; `None` when the header is silent: taking effect inside an
    /// assessment period is then an error.
    pub mid_period: Option<MidPeriod>,
}

impl HeaderFacts {
    /// A header that says nothing but its name: rounding half-up to the cent.
    pub fn defaults(name: String) -> HeaderFacts {
        HeaderFacts {
            name,
            version: None,
            effective: None,
            currency: None,
            rounding: RoundingMode::HalfUp,
            rounding_unit: Decimal::new(1, 2),
            approved: None,
            mid_period: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct CalendarFacts {
    /// The month the fiscal year starts in (1–12); January when the policy is silent.
    pub fiscal_start: Month,
    /// The assessment period; a month when the policy is silent.
    pub assess: PeriodKind,
    pub reviews: Vec<PeriodKind>,
}

impl CalendarFacts {
    /// Whether results are computed for periods of this length.
    pub fn has(&self, kind: PeriodKind) -> bool {
        self.assess == kind || self.reviews.contains(&kind)
    }
}

/// The checked model of one policy.
#[derive(Clone, Debug)]
pub struct Model {
    pub header: HeaderFacts,
    pub calendar: CalendarFacts,
    pub sources: BTreeMap<String, SourceInfo>,
    pub roster: Option<String>,
    pub symbols: BTreeMap<String, Symbol>,
    pub metric_types: BTreeMap<String, Type>,
    /// Grade levels, best first, the `otherwise` level last.
    pub grades: Vec<String>,
    /// Disciplinary measures, in rising severity (the order written).
    pub measures: Vec<String>,
}

impl Model {
    /// Builds the model of `policy`, pushing every problem found onto `diags`. `complete` says
    /// whether every item parsed: when some did not, "unknown name" errors are held back,
    /// since the definition may be in the broken item.
    pub fn build(policy: &Policy, text: &str, diags: &mut Vec<Diagnostic>, complete: bool, lang: Lang) -> Model {
        let mut model = super::names::collect(policy, text, diags);
        let mut cx = super::types::Typer::new(&model, policy, text, complete, lang);
        let metric_types = cx.type_metrics();
        super::items::check_items(policy, &mut cx, diags);
        diags.append(&mut cx.diags);
        model.metric_types = metric_types;
        super::plans::warn(policy, &model, diags);
        model
    }
}

/// A stable identity for an item, independent of layout and keyword language, so two
/// versions of a policy can be compared item by item.
pub fn item_id(item: &Item) -> String {
    match &item.kind {
        ItemKind::Header(_) => "header".into(),
        ItemKind::Calendar(_) => "calendar".into(),
        ItemKind::Source(s) => format!("{}:{}", if s.is_roster { "roster" } else { "source" }, s.name.text),
        ItemKind::Target(t) => format!("target:{}", t.name.text),
        ItemKind::Split(s) => format!("split:{}/{}", s.parent.text, s.by.text),
        ItemKind::Allocate(a) => format!("allocate:{}/{}", a.parent.text, a.by.text),
        ItemKind::Phase(p) => format!("phase:{}", p.target.text),
        ItemKind::Prorate(_) => "prorate".into(),
        ItemKind::Metric(m) => format!("metric:{}", m.name.text),
        ItemKind::Score(_) => "score".into(),
        ItemKind::Grade(_) => "grade".into(),
        ItemKind::Commission(c) => format!("commission:{}", c.name.text),
        ItemKind::Draw(d) => format!("draw:{}", d.name.text),
        ItemKind::Bonus(b) => format!("bonus:{}", b.name.text),
        ItemKind::Promotion(p) => format!("promotion:{}", p.name.text),
        ItemKind::Discipline(_) => "discipline".into(),
        ItemKind::Test(t) => format!("test:{}", t.name.value),
    }
}
