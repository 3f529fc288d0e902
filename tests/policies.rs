//! Every shipped policy checks clean, is in the canonical layout, formats idempotently, and
//! survives translation into the other keyword language and back unchanged.

use std::path::PathBuf;

use rulebook::check::check_source;
use rulebook::diagnostic::render;
use rulebook::format::{FormatError, format_source};
use rulebook::syntax::{self, keywords::Lang};

fn policy_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("policies/ exists") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "policy") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 5, "expected the shipped policies, found {files:?}");
    files
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).expect("policy is UTF-8")
}

fn format(text: &str, lang: Option<Lang>) -> String {
    match format_source(text, lang) {
        Ok(out) => out,
        Err(FormatError::Invalid(d)) => panic!("does not parse: {}", d[0].message),
        Err(FormatError::Unsafe(why)) => panic!("formatter refused: {why}"),
    }
}

#[test]
fn every_policy_checks_clean() {
    for path in policy_files() {
        let text = read(&path);
        let checked = check_source(&text);
        let name = path.display().to_string();
        let report: String = checked
            .diagnostics
            .iter()
            .map(|d| render(d, &name, &text, false))
            .collect();
        assert!(checked.diagnostics.is_empty(), "{name} has diagnostics:\n{report}");
    }
}

#[test]
fn every_policy_is_canonical_and_formatting_is_idempotent() {
    for path in policy_files() {
        let text = read(&path);
        let once = format(&text, None);
        assert_eq!(once, text, "{} is not in the canonical layout", path.display());
        assert_eq!(
            format(&once, None),
            once,
            "{}: formatting is not idempotent",
            path.display()
        );
    }
}

#[test]
fn translation_round_trips_and_keeps_the_model() {
    for path in policy_files() {
        let text = read(&path);
        let lang = syntax::detect_lang(&text);
        let other = if lang == Lang::En { Lang::Zh } else { Lang::En };
        let translated = format(&text, Some(other));
        assert_ne!(translated, text, "{}: translation changed nothing", path.display());
        let back = format(&translated, Some(lang));
        assert_eq!(
            back,
            text,
            "{}: translating there and back is not the identity",
            path.display()
        );
        let checked = check_source(&translated);
        assert!(
            checked.diagnostics.is_empty(),
            "{}: the translation does not check clean",
            path.display()
        );
        assert_eq!(
            checked.parsed.policy,
            syntax::parse(&text).policy,
            "{}: the translation has a different model",
            path.display()
        );
        assert_eq!(syntax::detect_lang(&translated), other);
    }
}

#[test]
fn the_tests_inside_every_policy_pass() {
    for path in policy_files() {
        let text = read(&path);
        let checked = check_source(&text);
        let outcomes = rulebook::eval::policy_tests::run_tests(&checked.parsed.policy, &checked.model);
        assert!(!outcomes.is_empty(), "{} has no tests", path.display());
        for o in outcomes {
            assert!(
                o.passed(),
                "{}: test `{}` failed: {:?}",
                path.display(),
                o.name,
                o.failures
            );
        }
    }
}

#[test]
fn a_failing_policy_test_says_what_each_side_was() {
    let text = "\
policy \"t\"
  version \"1\"
  effective 2027-01-01
  currency CNY
source sales
  rep     text   salesperson
  amount  money
metric revenue = sum of sales.amount
metric attainment = revenue / target
commission c on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
test \"wrong by hand\"
  given target 100,000 and revenue 110,000
  expect c = 6,000
";
    let checked = check_source(text);
    assert!(checked.diagnostics.is_empty());
    let outcomes = rulebook::eval::policy_tests::run_tests(&checked.parsed.policy, &checked.model);
    // 100,000 × 5% + 10,000 × 10% = 6,000: the test is right.
    assert!(outcomes[0].passed());
    let wrong = text.replace("expect c = 6,000", "expect c = 6,500");
    let checked = check_source(&wrong);
    let outcomes = rulebook::eval::policy_tests::run_tests(&checked.parsed.policy, &checked.model);
    assert_eq!(
        outcomes[0].failures[0].1,
        "expected `c = 6,500`, but the left side is 6000 and the right side is 6500"
    );
}
