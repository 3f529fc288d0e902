//! The formatter's layout, comment handling and translation, on small inputs written out in full.

use rulebook::format::{FormatError, format_source};
use rulebook::syntax::keywords::Lang;

fn fmt(text: &str, lang: Option<Lang>) -> String {
    match format_source(text, lang) {
        Ok(out) => out,
        Err(FormatError::Invalid(d)) => panic!("does not parse: {}", d[0].message),
        Err(FormatError::Unsafe(why)) => panic!("refused: {why}"),
    }
}

#[test]
fn canonical_layout_aligns_tables_and_normalises_spacing() {
    let messy = "\
commission   sales on revenue   by attainment  MARGINAL
    below 80%  2%
    80% to 100%        4%
    above 100%   6%
    cap 200,000   yearly



source sales
    rep text salesperson
    amount   money
";
    let canonical = "\
commission sales on revenue by attainment marginal
  below 80%    2%
  80% to 100%  4%
  above 100%   6%
  cap 200,000 yearly

source sales
  rep     text   salesperson
  amount  money
";
    assert_eq!(fmt(messy, None), canonical);
    assert_eq!(fmt(canonical, None), canonical);
}

#[test]
fn comments_stay_where_they_were() {
    let text = "\
# The company target (chapter 2 §1)
target company 120,000,000 yearly  # agreed in consultation
  # revised after the mid-year review
  revised 2027-07-01 to 126,000,000 because \"market\"

# indicators
metric revenue = sum of sales.amount  # closed deals only
";
    assert_eq!(fmt(text, None), text);
}

#[test]
fn translation_rewrites_keywords_and_keeps_names_numbers_and_strings() {
    let en = "\
metric 营收 = sum of sales.amount where sales.status = \"closed\"
bonus q 5,000 quarterly if attainment >= 100% and not (grade is A)

discipline
  warning  if late >= 2 in a month
  demerit  if attainment < 50% for 2 months in a row
";
    let zh = "\
指标 营收 = 合计 sales.amount 其中 sales.status = \"closed\"
奖金 q 5,000 每季 如果 attainment >= 100% 且 非 (等级 为 A)

纪律
  warning  如果 late >= 2 月内
  demerit  如果 attainment < 50% 连续 2 个月
";
    assert_eq!(fmt(en, Some(Lang::Zh)), zh);
    assert_eq!(fmt(zh, Some(Lang::En)), en);
}

#[test]
fn chinese_alignment_counts_wide_characters_twice() {
    let text = "数据源 销售\n  金额 金额型\n  归属销售员 文本型 归属人\n";
    let expected = "数据源 销售\n  金额        金额型\n  归属销售员  文本型  归属人\n";
    assert_eq!(fmt(text, None), expected);
}

#[test]
fn long_lists_wrap_six_entries_a_line() {
    let text = "phase company by month: jan 6%, feb 5%, mar 8%, apr 8%, may 8%, jun 9%, jul 8%, aug 8%, sep 9%, oct 9%, nov 10%, dec 12%\n";
    let expected = "\
phase company by month:
  jan 6%, feb 5%, mar 8%, apr 8%, may 8%, jun 9%,
  jul 8%, aug 8%, sep 9%, oct 9%, nov 10%, dec 12%
";
    assert_eq!(fmt(text, None), expected);
    assert_eq!(fmt(expected, None), expected);
}

#[test]
fn a_file_with_errors_is_not_formatted() {
    match format_source("metric x = \n", None) {
        Err(FormatError::Invalid(d)) => assert_eq!(d[0].message, "expected an expression, found the end of the line"),
        _ => panic!("a broken file must not be formatted"),
    }
}
