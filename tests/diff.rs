//! The semantic diff (`rulebook diff`) and the policy history (`rulebook log`).
//!
//! Snapshots hold each amendment in `policies/history/` as the diff reports it; they were
//! read and checked against the amendment described at the top of each file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rulebook::audit::log::VersionInfo;
use rulebook::audit::{Change, ChangeKind, diff, report};
use rulebook::check::{Checked, check_source};
use rulebook::format::{FormatError, format_source};
use rulebook::syntax::keywords::Lang;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_rulebook");

fn history_dir() -> PathBuf {
    Path::new(ROOT).join("policies").join("history")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn checked(text: &str) -> Checked {
    let c = check_source(text);
    assert!(!c.has_errors(), "the policy has errors: {:?}", c.diagnostics);
    c
}

fn format(text: &str, lang: Option<Lang>) -> String {
    match format_source(text, lang) {
        Ok(out) => out,
        Err(FormatError::Invalid(d)) => panic!("does not parse: {}", d[0].message),
        Err(FormatError::Unsafe(why)) => panic!("formatter refused: {why}"),
    }
}

fn describe(old: &str, new: &str) -> Vec<String> {
    diff(&checked(old), &checked(new))
        .iter()
        .map(Change::describe)
        .collect()
}

fn policy_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [Path::new(ROOT).join("policies"), history_dir()] {
        for entry in std::fs::read_dir(&dir).expect("policy directory") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "policy") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn history_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(history_dir())
        .expect("policies/history")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    files.sort();
    files
}

// ---------- the history, amendment by amendment ----------

#[test]
fn each_history_version_against_its_predecessor() {
    let files = history_files();
    assert_eq!(files.len(), 6, "expected six versions: {files:?}");
    for pair in files.windows(2) {
        let (old_text, new_text) = (read(&pair[0]), read(&pair[1]));
        let (old, new) = (checked(&old_text), checked(&new_text));
        let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
        let changes = diff(&old, &new);
        let text = report::text(
            &VersionInfo::of(&name(&pair[0]), &old.model),
            &VersionInfo::of(&name(&pair[1]), &new.model),
            &changes,
            false,
        );
        let snapshot = format!(
            "history_{}_to_{}",
            name(&pair[0]).trim_end_matches(".policy").replace('.', "_"),
            name(&pair[1]).trim_end_matches(".policy").replace('.', "_")
        );
        insta::assert_snapshot!(snapshot, text);
    }
}

#[test]
fn the_first_history_version_is_the_seed_policy() {
    let seed = read(&Path::new(ROOT).join("policies/sales-strategy.en.policy"));
    let first = read(&history_dir().join("2027.1.policy"));
    assert_eq!(describe(&seed, &first), Vec::<String>::new());
}

// ---------- what never counts ----------

/// The same policy with its items in reverse order, indented by four spaces, with blank lines
/// and comments of its own.
fn rearranged(text: &str) -> String {
    let parsed = rulebook::syntax::parse(text);
    let mut items: Vec<String> = parsed
        .policy
        .items
        .iter()
        .map(|i| text[i.span.start..i.span.end].trim_end().replace("\n  ", "\n    "))
        .collect();
    items.reverse();
    let out = items.join("\n\n# a comment the diff must not see\n\n") + "\n";
    let again = rulebook::syntax::parse(&out);
    assert!(again.diagnostics.is_empty(), "the rearranged policy parses");
    assert_eq!(again.policy.items.len(), parsed.policy.items.len());
    assert_ne!(out, text);
    out
}

#[test]
fn broken_policies_never_make_the_diff_panic() {
    let seed = check_source(&read(&Path::new(ROOT).join("policies/sales-strategy.en.policy")));
    let info = VersionInfo::of("seed", &seed.model);
    for entry in std::fs::read_dir(Path::new(ROOT).join("tests/corpus")).expect("tests/corpus") {
        let path = entry.expect("entry").path();
        let broken = check_source(&read(&path));
        for (a, b) in [(&seed, &broken), (&broken, &seed), (&broken, &broken)] {
            let changes = diff(a, b);
            let _ = report::text(&info, &info, &changes, true);
            let _ = report::markdown(&info, &info, &changes);
            let _ = report::json(&info, &info, &changes);
        }
        assert!(diff(&broken, &broken).is_empty(), "{}", path.display());
    }
}

#[test]
fn layout_comments_order_and_keyword_language_never_count() {
    for path in policy_files() {
        let text = read(&path);
        let original = checked(&text);
        let variants = [
            ("Chinese keywords", format(&text, Some(Lang::Zh))),
            ("English keywords", format(&text, Some(Lang::En))),
            ("reformatted", format(&text, None)),
            ("rearranged", rearranged(&text)),
        ];
        for (what, variant) in variants {
            let other = check_source(&variant);
            let changes: Vec<String> = diff(&original, &other).iter().map(Change::describe).collect();
            assert!(changes.is_empty(), "{} ({what}): {changes:#?}", path.display());
            let back: Vec<String> = diff(&other, &original).iter().map(Change::describe).collect();
            assert!(back.is_empty(), "{} ({what}, reversed): {back:#?}", path.display());
        }
    }
}

#[test]
fn a_policy_written_in_chinese_numbers_reads_in_english() {
    let en = "policy \"p\"\n  version \"1\"\n  effective 2027-01-01\n  currency CNY\n\
              target company 120,000,000 yearly\n  revised 2027-07-01 to 126,000,000 because \"review\"\n";
    let zh = "政策 \"p\"\n  版本 \"1\"\n  生效 2027-01-01\n  币种 CNY\n\
              目标 company 1.2亿 每年\n  修订 2027-07-01 至 1.3亿 原因 \"review\"\n";
    assert_eq!(
        describe(en, zh),
        ["target company, revision 2027-07-01, amount: 126,000,000 → 130,000,000"]
    );
}

// ---------- individual changes, worked out by hand ----------

const BASE: &str = r#"policy "Plan"
  version "2027.1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01
  approved by "Board" on 2026-12-01

calendar
  fiscal year starts jan
  assess monthly
  review quarterly, yearly

source sales
  deal_id  text   key
  rep      text   salesperson
  closed   date   dated
  amount   money
  kind     text

roster reps
  rep_id  text  id
  region  text

target company 1,000,000 yearly
split company by region: east 40%, south 35%, west 25%

metric revenue = sum of sales.amount
metric attainment = revenue / target
metric late = count of sales where kind = "late"

grade A if attainment >= 110%, B if attainment >= 90%, otherwise C

commission c on revenue by attainment marginal monthly
  below 80%     2%
  80% to 100%   4%
  above 100%    6%
  cap 200,000 yearly

discipline
  notice  if late >= 1 in a month

test "t"
  given target 100,000 and revenue 100,000
  expect c = 3,600
"#;

fn amended(replacements: &[(&str, &str)]) -> String {
    let mut text = BASE.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    text
}

#[test]
fn a_rate_change() {
    let new = amended(&[
        ("80% to 100%   4%", "80% to 100%   5%"),
        ("expect c = 3,600", "expect c = 3,800"),
    ]);
    assert_eq!(
        describe(BASE, &new),
        [
            "commission c, tier 80% to 100%, rate: 4% → 5%",
            "test \"t\", expect: c = 3,600 → c = 3,800",
        ]
    );
    let changes = diff(&checked(BASE), &checked(&new));
    assert_eq!(
        changes[0],
        Change {
            item: "commission c".into(),
            what: "tier 80% to 100%, rate".into(),
            old: Some("4%".into()),
            new: Some("5%".into()),
            kind: ChangeKind::Changed,
            test: false,
        }
    );
    assert!(changes[1].test);
}

#[test]
fn a_split_change() {
    let new = amended(&[("east 40%, south 35%", "east 45%, south 30%")]);
    assert_eq!(
        describe(BASE, &new),
        [
            "split company by region, east: 40% → 45%",
            "split company by region, south: 35% → 30%"
        ]
    );
    // A new value and one fewer.
    let new = amended(&[("south 35%, west 25%", "south 35%, north 25%")]);
    assert_eq!(
        describe(BASE, &new),
        [
            "split company by region, north added: 25%",
            "split company by region, west removed: 25%",
        ]
    );
}

#[test]
fn a_new_measure_and_its_severity() {
    let new = amended(&[(
        "  notice  if late >= 1 in a month\n",
        "  notice  if late >= 1 in a month\n  warning  if late >= 2 in a month\n",
    )]);
    assert_eq!(
        describe(BASE, &new),
        ["discipline, measure warning added: if late >= 2 in a month; the most severe, after notice"]
    );
    let three = amended(&[(
        "  notice  if late >= 1 in a month\n",
        "  notice  if late >= 1 in a month\n  demerit  if late >= 3 for 2 months in a row\n",
    )]);
    let reordered = amended(&[(
        "  notice  if late >= 1 in a month\n",
        "  demerit  if late >= 3 for 2 months in a row\n  notice  if late >= 1 in a month\n",
    )]);
    assert_eq!(
        describe(&three, &reordered),
        ["discipline, order of severity: notice, demerit → demerit, notice"]
    );
    let window = amended(&[(
        "notice  if late >= 1 in a month",
        "notice  if late >= 1 for 2 months in a row",
    )]);
    assert_eq!(
        describe(BASE, &window),
        ["discipline, measure notice, window: in a month → for 2 months in a row"]
    );
}

#[test]
fn header_changes() {
    let new = amended(&[
        ("rounding half-up to 0.01", "rounding half-even to 0.01"),
        ("effective 2027-01-01", "effective 2027-07-01"),
        ("version \"2027.1\"", "version \"2027.2\""),
        ("on 2026-12-01", "on 2027-06-20"),
    ]);
    assert_eq!(
        describe(BASE, &new),
        [
            "policy, version: \"2027.1\" → \"2027.2\"",
            "policy, effective date: 2027-01-01 → 2027-07-01",
            "policy, rounding: half-up to 0.01 → half-even to 0.01",
            "policy, approval: \"Board\" on 2026-12-01 → \"Board\" on 2027-06-20",
        ]
    );
    // Writing out the default rounding is no change.
    let silent = amended(&[("  rounding half-up to 0.01\n", "")]);
    assert_eq!(describe(BASE, &silent), Vec::<String>::new());
}

#[test]
fn a_mid_period_rule_is_a_header_change() {
    let next = amended(&[(
        "  currency CNY\n",
        "  currency CNY\n  mid-period change from next period\n",
    )]);
    let prorated = amended(&[(
        "  currency CNY\n",
        "  currency CNY\n  mid-period change prorated by days\n",
    )]);
    // Without the line, a version taking effect inside an assessment period is an error.
    assert_eq!(
        describe(BASE, &prorated),
        ["policy, mid-period change: error → prorated by days"]
    );
    assert_eq!(
        describe(&next, &prorated),
        ["policy, mid-period change: from next period → prorated by days"]
    );
    assert_eq!(
        describe(&next, BASE),
        ["policy, mid-period change: from next period → error"]
    );
    let changes = diff(&checked(BASE), &checked(&next));
    assert_eq!(
        changes,
        [Change {
            item: "policy".into(),
            what: "mid-period change".into(),
            old: Some("error".into()),
            new: Some("from next period".into()),
            kind: ChangeKind::Changed,
            test: false,
        }]
    );
    // In Chinese it is the same rule.
    let zh = next.replace("mid-period change from next period", "期中变更 自下期起");
    assert_eq!(describe(&next, &zh), Vec::<String>::new());
}

#[test]
fn defaults_written_out_are_no_change() {
    let explicit = amended(&[("target company", "prorate none\ntarget company")]);
    assert_eq!(describe(BASE, &explicit), Vec::<String>::new());
    let calendar = amended(&[
        ("  fiscal year starts jan\n", ""),
        ("review quarterly, yearly", "review yearly, quarterly"),
    ]);
    assert_eq!(describe(BASE, &calendar), Vec::<String>::new());
    // Whether or not the new rule checks clean, the diff says what it means.
    let by_days = amended(&[("target company", "prorate by days employed\ntarget company")]);
    let changes = diff(&check_source(BASE), &check_source(&by_days));
    assert_eq!(
        changes.iter().map(Change::describe).collect::<Vec<_>>(),
        ["proration: none → by days employed"]
    );
    let fiscal = amended(&[("fiscal year starts jan", "fiscal year starts apr")]);
    assert_eq!(describe(BASE, &fiscal), ["calendar, fiscal year starts: jan → apr"]);
}

#[test]
fn target_tier_metric_grade_and_item_changes() {
    let new = amended(&[
        (
            "target company 1,000,000 yearly\n",
            "target company 1,000,000 yearly\n  revised 2027-07-01 to 1,200,000 because \"mid-year review\"\n",
        ),
        ("  above 100%    6%\n", "  100% to 150%  6%\n  above 150%    8%\n"),
        (
            "metric revenue = sum of sales.amount",
            "metric revenue = sum of sales.amount where kind = \"won\"",
        ),
        ("B if attainment >= 90%", "B if attainment >= 95%"),
        (
            "  cap 200,000 yearly\n",
            "  cap 250,000 yearly\n  minimum 1,000 monthly\n",
        ),
        (
            "metric late =",
            "metric wins = count of sales where kind = \"won\"\nmetric late =",
        ),
    ]);
    assert_eq!(
        describe(BASE, &new),
        [
            "target company, revision 2027-07-01 added: to 1,200,000 because \"mid-year review\"",
            "metric revenue, formula: sum of sales.amount → sum of sales.amount where kind = \"won\"",
            "metric wins added: count of sales where kind = \"won\"",
            "grade, level B: if attainment >= 90% → if attainment >= 95%",
            "commission c, tier above 100%, band: above 100% → 100% to 150%",
            "commission c, tier above 150% added: 8%",
            "commission c, yearly cap: 200,000 → 250,000",
            "commission c, monthly minimum added: 1,000",
        ]
    );
    let mode = amended(&[("marginal monthly", "retroactive monthly")]);
    assert_eq!(describe(BASE, &mode), ["commission c, mode: marginal → retroactive"]);
    // The commission's period left to the calendar is the same period written out.
    let implicit = amended(&[("marginal monthly", "marginal")]);
    assert_eq!(describe(BASE, &implicit), Vec::<String>::new());
}

#[test]
fn a_rate_written_as_a_fraction_is_an_amount_not_a_rate() {
    // `Num` equality looks at the value only; 4% and 0.04 pay very differently in a tier.
    let new = amended(&[("80% to 100%   4%", "80% to 100%   0.04")]);
    assert_eq!(describe(BASE, &new), ["commission c, tier 80% to 100%, pay: 4% → 0.04"]);
}

#[test]
fn removed_items_come_after_the_new_policys_items_and_tests_last() {
    let new = amended(&[
        (
            "metric late = count of sales where kind = \"late\"\n",
            "metric late = count of sales where kind = \"late\"\nmetric wins = count of sales\n",
        ),
        ("expect c = 3,600", "expect c = 3,700"),
        ("split company by region: east 40%, south 35%, west 25%\n", ""),
    ]);
    assert_eq!(
        describe(BASE, &new),
        [
            "metric wins added: count of sales",
            "split company by region removed: east 40%, south 35%, west 25%",
            "test \"t\", expect: c = 3,600 → c = 3,700",
        ]
    );
}

// ---------- the command line ----------

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(ROOT)
        .output()
        .expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("diff-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn exit_status_is_0_without_changes_1_with_changes_2_on_trouble() {
    let v1 = "policies/history/2027.1.policy";
    let v2 = "policies/history/2027.2.policy";
    let same = run(&["diff", v1, "policies/sales-strategy.en.policy"]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    assert!(String::from_utf8_lossy(&same.stdout).contains("no changes in meaning"));

    let changed = run(&["diff", v1, v2]);
    assert_eq!(changed.status.code(), Some(1), "{changed:?}");
    let stdout = String::from_utf8_lossy(&changed.stdout);
    assert!(stdout.contains("tier 80% to 100%, rate: 4% → 5%"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colour when stdout is not a terminal");

    let missing = run(&["diff", v1, "policies/history/no-such.policy"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));

    let dir = scratch("broken");
    let broken = dir.join("broken.policy");
    std::fs::write(
        &broken,
        read(&Path::new(ROOT).join(v1)).replace(
            "metric attainment = revenue / target",
            "metric attainment = revenu / target",
        ),
    )
    .unwrap();
    let bad = run(&["diff", v1, broken.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("revenu"),
        "the error is printed as check prints it: {stderr}"
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn json_output_has_stable_fields() {
    let out = run(&[
        "diff",
        "policies/history/2027.4.policy",
        "policies/history/2027.5.policy",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["old"]["version"], "2027.4");
    assert_eq!(doc["new"]["version"], "2027.5");
    assert_eq!(doc["new"]["effective"], "2027-07-01");
    assert_eq!(doc["new"]["approved"]["by"], "Sales Committee");
    assert_eq!(doc["new"]["approved"]["on"], "2027-06-24");
    let changes = doc["changes"].as_array().expect("changes");
    assert_eq!(doc["count"], changes.len());
    let east = changes
        .iter()
        .find(|c| c["item"] == "split company by region" && c["what"] == "east")
        .expect("the change of the east's share");
    assert_eq!(east["old"], "40%");
    assert_eq!(east["new"], "45%");
    assert_eq!(east["kind"], "changed");
    assert_eq!(east["test"], false);
    for c in changes {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["item", "kind", "new", "old", "test", "what"]);
    }
}

#[test]
fn markdown_output_is_a_report() {
    let out = run(&[
        "diff",
        "policies/history/2027.3.policy",
        "policies/history/2027.4.policy",
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("# Policy changes\n"), "{md}");
    assert!(md.contains("### discipline\n"), "{md}");
    assert!(
        md.contains(
            "| added | measure visit_notice |  | `if visits < 10 for 2 months in a row; between notice and warning` |"
        ),
        "{md}"
    );
}

#[test]
fn log_lists_the_history_in_date_order() {
    let out = run(&["log", "policies/history", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let versions = doc["versions"].as_array().expect("versions");
    let listed: Vec<(&str, &str, &str)> = versions
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap(),
                v["effective"].as_str().unwrap(),
                v["file"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("2027.1", "2027-01-01", "2027.1.policy"),
            ("2027.2", "2027-02-01", "2027.2.policy"),
            ("2027.3", "2027-04-01", "2027.3.policy"),
            ("2027.4", "2027-05-01", "2027.4.policy"),
            ("2027.5", "2027-07-01", "2027.5.policy"),
            ("2027.6", "2027-10-01", "2027.6.policy"),
        ]
    );
    assert!(versions[0]["changes"].is_null());
    assert_eq!(versions[1]["previous"], "2027.1");
    // The header's bookkeeping is left out of the changes: every entry shows it.
    let rounding = versions[5]["changes"].as_array().unwrap();
    assert_eq!(rounding.len(), 1);
    assert_eq!(rounding[0]["what"], "rounding");

    let text = run(&["log", "policies/history"]);
    assert_eq!(text.status.code(), Some(0));
    let text = String::from_utf8_lossy(&text.stdout);
    let mut at = 0;
    for v in ["2027.1", "2027.2", "2027.3", "2027.4", "2027.5", "2027.6"] {
        let found = text[at..]
            .find(&format!("{v}  effective"))
            .unwrap_or_else(|| panic!("{v} in order:\n{text}"));
        at += found + 1;
    }
    assert!(text.contains("approved by \"Sales Committee\" on 2027-06-24"), "{text}");
    assert!(text.contains("discipline, measure visit_notice added"), "{text}");
    assert!(text.contains("… and 1 more"), "{text}");
}

#[test]
fn log_shows_a_new_mid_period_rule() {
    let dir = scratch("log-mid-period");
    let v1 = read(&history_dir().join("2027.1.policy"));
    std::fs::write(dir.join("2027.1.policy"), &v1).unwrap();
    std::fs::write(
        dir.join("2027.2.policy"),
        v1.replace("version \"2027.1\"", "version \"2027.2\"").replace(
            "effective 2027-01-01",
            "effective 2027-02-15\n  mid-period change prorated by days",
        ),
    )
    .unwrap();
    let out = run(&["log", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2027.2  effective 2027-02-15"), "{text}");
    assert!(
        text.contains("1 change since 2027.1\n    policy, mid-period change: error → prorated by days"),
        "{text}"
    );
}

#[test]
fn log_refuses_two_versions_in_force_on_the_same_day() {
    let dir = scratch("same-date");
    let v2 = read(&history_dir().join("2027.2.policy"));
    std::fs::write(dir.join("a.policy"), &v2).unwrap();
    std::fs::write(
        dir.join("b.policy"),
        v2.replace("version \"2027.2\"", "version \"2027.2b\""),
    )
    .unwrap();
    std::fs::write(dir.join("c.policy"), read(&history_dir().join("2027.1.policy"))).unwrap();
    let out = run(&["log", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`a.policy` and `b.policy` both take effect on 2027-02-01"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let empty = scratch("empty");
    let out = run(&["log", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no `.policy` files"));
    let out = run(&["log", "policies/no-such-directory"]);
    assert_eq!(out.status.code(), Some(2));
}
