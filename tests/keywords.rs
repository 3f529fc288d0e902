//! The generated keyword grammar matches the keyword table, and every keyword's spellings are
//! distinct words that the formatter can print and the parser read back.

use rulebook::syntax::keywords::{Kw, Lang, keywords_grammar};

#[test]
fn keywords_grammar_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/keywords.pest");
    let expected = keywords_grammar();
    if std::env::var_os("UPDATE_GRAMMAR").is_some() {
        std::fs::write(path, &expected).expect("write grammar/keywords.pest");
    }
    let actual = std::fs::read_to_string(path).expect("grammar/keywords.pest exists");
    assert_eq!(
        actual, expected,
        "grammar/keywords.pest is stale: run `UPDATE_GRAMMAR=1 cargo test keywords_grammar_is_current`"
    );
}

#[test]
fn every_keyword_has_two_spellings() {
    for kw in Kw::ALL {
        let (en, zh) = (kw.spelling(Lang::En), kw.spelling(Lang::Zh));
        assert!(en.is_ascii() && !en.is_empty(), "{kw:?}: English spelling `{en}`");
        assert!(!zh.is_ascii(), "{kw:?}: Chinese spelling `{zh}` is not Chinese");
    }
    assert_eq!(Kw::Commission.spelling(Lang::Zh), "提成");
    assert_eq!(Kw::FiscalYearStarts.spelling(Lang::En), "fiscal year starts");
    assert_eq!(Kw::YearToDate.rule_name(), "K_YEAR_TO_DATE");
}
