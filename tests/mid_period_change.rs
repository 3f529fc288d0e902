//! The header line `mid-period change …`: read in both languages, checked once per header,
//! laid out by the formatter and translated there and back.

use rulebook::check::check_source;
use rulebook::format::{FormatError, format_source};
use rulebook::syntax::ast::MidPeriod;
use rulebook::syntax::keywords::Lang;

const EN: &str = "\
policy \"Plan\"
  version \"2027.4\"
  effective 2027-07-15
  currency CNY
  mid-period change prorated by days
";

const ZH: &str = "\
政策 \"Plan\"
  版本 \"2027.4\"
  生效 2027-07-15
  币种 CNY
  期中变更 按天折算
";

fn fmt(text: &str, lang: Option<Lang>) -> String {
    match format_source(text, lang) {
        Ok(out) => out,
        Err(FormatError::Invalid(d)) => panic!("does not parse: {}", d[0].message),
        Err(FormatError::Unsafe(why)) => panic!("refused: {why}"),
    }
}

#[test]
fn the_rule_is_read_in_either_language() {
    for (text, rule) in [
        (EN, MidPeriod::ProratedByDays),
        (ZH, MidPeriod::ProratedByDays),
        (
            &EN.replace("prorated by days", "from next period"),
            MidPeriod::FromNextPeriod,
        ),
        (&ZH.replace("按天折算", "自下期起"), MidPeriod::FromNextPeriod),
        // English keywords are case-insensitive and their words may be spaced out.
        (
            &EN.replace(
                "mid-period change prorated by days",
                "Mid-Period  Change  Prorated By Days",
            ),
            MidPeriod::ProratedByDays,
        ),
    ] {
        let checked = check_source(text);
        assert!(checked.diagnostics.is_empty(), "{text}: {:?}", checked.diagnostics);
        assert_eq!(checked.model.header.mid_period, Some(rule), "{text}");
    }
    let silent = check_source(&EN.replace("  mid-period change prorated by days\n", ""));
    assert_eq!(silent.model.header.mid_period, None);
}

#[test]
fn the_formatter_prints_and_translates_it() {
    assert_eq!(fmt(EN, None), EN);
    assert_eq!(fmt(ZH, None), ZH);
    assert_eq!(fmt(EN, Some(Lang::Zh)), ZH);
    assert_eq!(fmt(ZH, Some(Lang::En)), EN);
    let next = EN.replace("prorated by days", "from next period");
    assert_eq!(fmt(&next, Some(Lang::Zh)), ZH.replace("按天折算", "自下期起"));
    assert_eq!(fmt(&fmt(&next, Some(Lang::Zh)), Some(Lang::En)), next);
}

#[test]
fn the_rule_is_given_once() {
    let twice = format!("{EN}  mid-period change from next period\n");
    let checked = check_source(&twice);
    assert_eq!(checked.diagnostics.len(), 1, "{:?}", checked.diagnostics);
    let d = &checked.diagnostics[0];
    assert_eq!(d.code, "duplicate");
    assert_eq!(d.message, "the header gives `mid-period change` twice");
    assert_eq!(d.help.as_deref(), Some("keep one `mid-period change` line"));
    // The second line is underlined; the first is pointed at.
    assert_eq!(&twice[d.span.start..d.span.end], "mid-period change from next period");
    assert_eq!(d.related.len(), 1);
}

#[test]
fn a_rule_without_its_treatment_is_a_syntax_error() {
    let checked = check_source(&EN.replace(" prorated by days", ""));
    assert_eq!(checked.diagnostics.len(), 1);
    assert_eq!(
        checked.diagnostics[0].message,
        "expected `from next period` or `prorated by days`, found the end of the line"
    );
    let checked = check_source(&EN.replace("prorated by days", "prorated"));
    assert_eq!(
        checked.diagnostics[0].message,
        "expected `from next period` or `prorated by days`, found `prorated`"
    );
}
