//! The checker on small policies whose findings are worked out by hand.

use rulebook::check::{check_source, model::item_id};
use rulebook::diagnostic::{JsonDiagnostic, Severity, line_col};
use rulebook::syntax::ast::{PeriodKind, RoundingMode};
use rust_decimal_macros::dec;

const HEADER: &str = "\
policy \"t\"
  version \"1\"
  effective 2027-01-01
  currency CNY
roster reps
  rep_id  text  id
  region  text
target company 1,000,000 yearly
";

/// (code, line, column, message) of every diagnostic.
fn findings(text: &str) -> Vec<(&'static str, usize, usize, String)> {
    check_source(text)
        .diagnostics
        .iter()
        .map(|d| {
            let at = line_col(text, d.span.start);
            (d.code, at.line, at.column, d.message.clone())
        })
        .collect()
}

#[test]
fn shares_are_added_exactly() {
    let exact = format!("{HEADER}split company by region: east 33.33%, south 33.33%, west 33.34%\n");
    assert_eq!(findings(&exact), vec![]);
    let short = format!("{HEADER}split company by region: east 33.3%, south 33.3%, west 33.3%\n");
    let checked = check_source(&short);
    assert_eq!(checked.diagnostics.len(), 1);
    let d = &checked.diagnostics[0];
    assert_eq!(
        d.message,
        "the shares of `company` by `region` add up to 99.9%, not 100%"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("0.1% is missing; shares must add up to exactly 100%")
    );
    assert_eq!(
        line_col(&short, d.span.start),
        rulebook::diagnostic::LineCol { line: 9, column: 26 }
    );
}

#[test]
fn every_error_in_a_file_is_reported_at_once() {
    let text = format!(
        "{HEADER}\
metric a = sum of sales.amount where
split company by regon: east 100%
metrc b = 1
metric c = d
commission x on revenue by attainment marginal
  below 80%  2%
  90% to 100%  4%
"
    );
    let got = findings(&text);
    let codes: Vec<(&str, usize)> = got.iter().map(|f| (f.0, f.1)).collect();
    // Unknown names (`regon`, `d`) are held back: a broken item might have defined them. The
    // errors inside the items that could be read are all reported.
    assert_eq!(codes, vec![("syntax", 9), ("syntax", 11), ("tier-gap", 14)]);
    assert_eq!(got[1].3, "expected an item, found `metrc`");
}

#[test]
fn unknown_names_are_reported_once_every_item_parses() {
    let text = format!("{HEADER}metric revenue = 1\nmetric c = revenu * 2\n");
    let checked = check_source(&text);
    assert_eq!(checked.diagnostics.len(), 1);
    assert_eq!(checked.diagnostics[0].message, "unknown name `revenu`");
    assert_eq!(checked.diagnostics[0].help.as_deref(), Some("did you mean `revenue`?"));
}

#[test]
fn the_model_holds_the_header_and_calendar_facts() {
    let text = "\
policy \"Plan\"
  version \"2027.2\"
  effective 2027-04-01
  currency USD
  rounding half-even to 1
  approved by \"Board\" on 2027-03-15
calendar
  fiscal year starts apr
  assess monthly
  review quarterly, yearly
target company 5,000,000 yearly
metric r = 1
";
    let checked = check_source(text);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let m = &checked.model;
    assert_eq!(m.header.version.as_deref(), Some("2027.2"));
    assert_eq!(m.header.rounding, RoundingMode::HalfEven);
    assert_eq!(m.header.rounding_unit, dec!(1));
    assert_eq!(
        m.header.approved,
        Some(("Board".to_string(), jiff::civil::date(2027, 3, 15)))
    );
    assert_eq!(m.calendar.fiscal_start.0, 4);
    assert_eq!(m.calendar.reviews, vec![PeriodKind::Quarter, PeriodKind::Year]);
    let ids: Vec<String> = checked.parsed.policy.items.iter().map(item_id).collect();
    assert_eq!(ids, vec!["header", "calendar", "target:company", "metric:r"]);
}

#[test]
fn warnings_do_not_count_as_errors() {
    let text = format!(
        "{HEADER}source sales\n  rep  text  salesperson\n  amount  money\nmetric revenue = sum of sales.amount\ncommission c on revenue retroactive\n  below 100,000  2%\n  above 100,000  5%\n"
    );
    let checked = check_source(&text);
    assert!(!checked.has_errors());
    assert_eq!(checked.diagnostics.len(), 1);
    let d = &checked.diagnostics[0];
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.code, "cliff");
    // 100,000 × (5% − 2%) = 3,000.
    assert_eq!(
        d.label.as_deref(),
        Some("at 100,000 the whole base is paid 5% instead of 2%: one more unit of sales changes the payout by 3,000")
    );
}

#[test]
fn json_diagnostics_carry_line_and_column() {
    let text = format!("{HEADER}metric x = 5% + 1,000 * target\n");
    let checked = check_source(&text);
    assert_eq!(checked.diagnostics.len(), 1);
    let json = serde_json::to_value(JsonDiagnostic::new(&checked.diagnostics[0], "t.policy", &text)).unwrap();
    assert_eq!(json["code"], "type");
    assert_eq!(json["line"], 9);
    assert_eq!(json["column"], 12);
    assert_eq!(json["message"], "cannot add an amount of money to a percentage");
}
