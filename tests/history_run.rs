//! `rulebook run` over a policy history (`policies/history/`): each period is computed under the
//! version in force at its start, every line names it, and a version taking effect inside an
//! assessment period is refused unless it says how that period is treated (`mid-period change`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-history-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(policy: &Path, period: &str, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .arg("run")
        .arg(policy)
        .arg("--config")
        .arg(Path::new(ROOT).join("examples/run.yaml"))
        .args(["--period", period, "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// payouts.csv lines of `period`.
fn lines_of(dir: &Path, period: &str) -> Vec<String> {
    fs::read_to_string(dir.join("payouts.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.split(',').nth(1) == Some(period))
        .map(str::to_string)
        .collect()
}

#[test]
fn each_month_under_the_version_in_force_at_its_start() {
    let out = temp("q1");
    let history = Path::new(ROOT).join("policies/history");
    // 2027.1 takes effect on 2027-01-01, 2027.2 (a higher rate in the 80%–100% tier) on
    // 2027-02-01: January is paid under 2027.1, February and March under 2027.2, and the
    // first quarter's review under 2027.1, the version in force on 2027-01-01.
    let r = run(&history, "2027-Q1", &out.join("history"));
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let alone_1 = out.join("v1");
    let alone_2 = out.join("v2");
    assert!(
        run(&history.join("2027.1.policy"), "2027-Q1", &alone_1)
            .status
            .success()
    );
    assert!(
        run(&history.join("2027.2.policy"), "2027-Q1", &alone_2)
            .status
            .success()
    );
    let dir = out.join("history");
    for (period, alone, version) in [
        ("2027-01", &alone_1, "2027.1"),
        ("2027-02", &alone_2, "2027.2"),
        ("2027-03", &alone_2, "2027.2"),
        ("2027-Q1", &alone_1, "2027.1"),
    ] {
        let mine = lines_of(&dir, period);
        assert!(!mine.is_empty(), "{period}");
        assert!(
            mine.iter().all(|l| l.ends_with(&format!(",{version}"))),
            "{period}: {mine:?}"
        );
        assert_eq!(mine, lines_of(alone, period), "{period}");
    }
    // The rate change makes February differ between the two versions.
    assert_ne!(lines_of(&alone_1, "2027-02"), lines_of(&alone_2, "2027-02"));
    let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"versions\""), "{manifest}");
    assert!(manifest.contains("2027.1.policy") && manifest.contains("2027.2.policy"));
    assert!(
        !manifest.contains("2027.3.policy"),
        "only the versions applied are listed"
    );
    let _ = fs::remove_dir_all(&out);
}

fn copy_history(to: &Path) {
    for entry in fs::read_dir(Path::new(ROOT).join("policies/history")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn a_version_taking_effect_inside_a_month_is_refused() {
    let out = temp("inside");
    let history = out.join("history");
    fs::create_dir_all(&history).unwrap();
    copy_history(&history);
    let file = history.join("2027.2.policy");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("effective 2027-02-01", "effective 2027-02-15")).unwrap();
    let r = run(&history, "2027-Q1", &out.join("o"));
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("takes effect on 2027-02-15, inside the assessment period 2027-02"),
        "{err}"
    );
    assert!(err.contains("2027-02-01 or on 2027-03-01"), "{err}");
    assert!(!out.join("o").exists(), "nothing is written");
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn two_versions_on_the_same_day_are_refused() {
    let out = temp("same-day");
    let history = out.join("history");
    fs::create_dir_all(&history).unwrap();
    copy_history(&history);
    let file = history.join("2027.3.policy");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("effective 2027-04-01", "effective 2027-02-01")).unwrap();
    let r = run(&history, "2027-Q1", &out.join("o"));
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("both take effect on 2027-02-01"));
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn a_run_over_a_history_re_performs() {
    let out = temp("verify");
    let history = out.join("history");
    fs::create_dir_all(&history).unwrap();
    copy_history(&history);
    let r = run(&history, "2027-Q1", &out.join("run"));
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .arg("verify")
            .arg(out.join("run"))
            .output()
            .unwrap()
    };
    let v = verify();
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(text(&v).contains("verified: 5 files identical"), "{}", text(&v));
    // Each version applied is checked by its own hash: one changed is named.
    let v2 = history.join("2027.2.policy");
    let text2 = fs::read_to_string(&v2).unwrap();
    fs::write(&v2, format!("{text2}\n")).unwrap();
    let v = verify();
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("2027.2.policy` (a version of the policy)"),
        "{}",
        text(&v)
    );
}

// ---------- a version taking effect inside a month: `mid-period change` ----------

/// Version 2027.3 of a small plan: a commission of 3% (4% above 100,000 a month), a monthly
/// loyalty bonus of 310, and the headline rate as a metric, so that `scores.csv` shows which
/// version computed a month.
const OLD: &str = "\
policy \"plan\"
  version \"2027.3\"
  effective 2027-01-01
  currency CNY

calendar
  assess monthly
  review quarterly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money

roster reps
  rep_id  text  id

metric revenue = sum of sales.amount
metric headline_rate = 3%

commission c on revenue marginal
  below 100,000  3%
  above 100,000  4%

bonus loyalty 310 monthly
";

/// Version 2027.4, effective 2027-07-15 with `HOW` (a `mid-period change` line, or nothing):
/// 5% (6% above 100,000), a welcome bonus of 1,000 a month instead of the loyalty bonus, and
/// rounding down to the cent.
fn new_version(how: &str) -> String {
    OLD.replace("\"2027.3\"", "\"2027.4\"")
        .replace(
            "effective 2027-01-01\n",
            &format!("effective 2027-07-15\n  rounding down to 0.01\n{how}"),
        )
        .replace("  3%\n", "  5%\n")
        .replace("  4%\n", "  6%\n")
        .replace("headline_rate = 3%", "headline_rate = 5%")
        .replace("bonus loyalty 310 monthly", "bonus welcome 1,000 monthly")
}

/// Salesperson A sells 10,000 in June, 10,000 in July (4,000 before the 15th, 6,000 after:
/// proration is by days, not by when the deals were made) and 10,000 in August.
const SALES: &str = "\
deal_id,rep,day,amount
D1,A,2027-06-10,10000.00
D2,A,2027-07-05,4000.00
D3,A,2027-07-20,6000.00
D4,A,2027-08-03,10000.00
";

/// A directory holding the records, the run configuration and a history `h` of both versions.
fn small_history(name: &str, how: &str) -> PathBuf {
    let new = new_version(how);
    let dir = common::workdir(
        "history",
        name,
        &[
            ("sales.csv", SALES),
            ("roster.csv", "rep_id\nA\n"),
            (
                "run.yaml",
                "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n",
            ),
        ],
    );
    fs::create_dir_all(dir.join("h")).unwrap();
    fs::write(dir.join("h/2027.3.policy"), OLD).unwrap();
    fs::write(dir.join("h/2027.4.policy"), new).unwrap();
    dir
}

/// `rulebook run h` for the third quarter into `out`.
fn run_q3(dir: &Path) -> Output {
    common::rulebook(
        dir,
        &[
            "run", "h", "--config", "run.yaml", "--period", "2027-Q3", "--out", "out",
        ],
    )
}

#[test]
fn without_a_mid_period_rule_the_change_is_refused() {
    let dir = small_history("mid-none", "");
    let r = run_q3(&dir);
    assert_eq!(r.status.code(), Some(1), "{}", common::text(&r));
    let err = common::text(&r);
    assert!(
        err.contains("takes effect on 2027-07-15, inside the assessment period 2027-07 (2027-07-01 to 2027-07-31)"),
        "{err}"
    );
    assert!(
        err.contains("`mid-period change from next period` or `mid-period change prorated by days`"),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing is written");
}

#[test]
fn from_next_period_leaves_the_month_to_the_version_before() {
    let dir = small_history("mid-next", "  mid-period change from next period\n");
    let r = run_q3(&dir);
    assert!(r.status.success(), "{}", common::text(&r));
    // July under 2027.3: 10,000 × 3% = 300.00 and the loyalty bonus. August under 2027.4:
    // 10,000 × 5% = 500.00 and the welcome bonus; September, without sales, the welcome bonus
    // and a commission of 0. The third quarter's review starts on 2027-07-01: 2027.3.
    assert_eq!(
        fs::read_to_string(dir.join("out/payouts.csv")).unwrap(),
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
A,2027-07,commission,c,10000.00,marginal tiers,300.00,2027.3\n\
A,2027-07,bonus,loyalty,,,310.00,2027.3\n\
A,2027-08,commission,c,10000.00,marginal tiers,500.00,2027.4\n\
A,2027-08,bonus,welcome,,,1000.00,2027.4\n\
A,2027-09,commission,c,0.00,marginal tiers,0.00,2027.4\n\
A,2027-09,bonus,welcome,,,1000.00,2027.4\n"
    );
    let scores = fs::read_to_string(dir.join("out/scores.csv")).unwrap();
    assert!(scores.contains("A,2027-07,10000,0.03,,,2027.3\n"), "{scores}");
    assert!(scores.contains("A,2027-08,10000,0.05,,,2027.4\n"), "{scores}");
    assert!(scores.contains("A,2027-Q3,20000,0.03,,,2027.3\n"), "{scores}");
}

#[test]
fn prorated_by_days_weights_both_versions_by_the_days_each_is_in_force() {
    let dir = small_history("mid-prorated", "  mid-period change prorated by days\n");
    let r = run_q3(&dir);
    assert!(r.status.success(), "{}", common::text(&r));
    let payouts = fs::read_to_string(dir.join("out/payouts.csv")).unwrap();
    let lines: Vec<&str> = payouts.lines().collect();
    // July has 31 days: 2027.3 is in force on 14 (the 1st to the 14th), 2027.4 on 17.
    // Commission: 2027.3 pays 10,000 × 3% = 300.00, 2027.4 10,000 × 5% = 500.00;
    // (300 × 14 + 500 × 17) / 31 = 12,700 / 31 = 409.677…, rounded down (2027.4's
    // rounding; half-up would give 409.68) to 409.67.
    // Welcome bonus: only 2027.4 pays it, 1,000: (0 × 14 + 1,000 × 17) / 31 = 548.387… →
    // 548.38. Loyalty bonus: only 2027.3 pays it, 310: (310 × 14 + 0 × 17) / 31 = 140.00.
    let rate = "\"prorated: 14 days under 2027.3, 17 under 2027.4\"";
    let july: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("A,2027-07,"))
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    assert_eq!(
        july,
        [
            format!("A,2027-07,commission,c,10000.00,{rate},409.67"),
            format!("A,2027-07,bonus,welcome,,{rate},548.38"),
            format!("A,2027-07,bonus,loyalty,,{rate},140.00"),
        ]
    );
    // August is 2027.4's alone.
    assert!(
        lines.contains(&"A,2027-08,commission,c,10000.00,marginal tiers,500.00,2027.4"),
        "{payouts}"
    );
    // The month's scores are 2027.4's; the quarter is 2027.3's, in force when it starts.
    let scores = fs::read_to_string(dir.join("out/scores.csv")).unwrap();
    assert!(scores.contains("A,2027-07,10000,0.05,"), "{scores}");
    assert!(scores.contains("A,2027-Q3,20000,0.03,,,2027.3\n"), "{scores}");
    let manifest = fs::read_to_string(dir.join("out/manifest.json")).unwrap();
    assert!(
        manifest.contains("2027.3.policy") && manifest.contains("2027.4.policy"),
        "{manifest}"
    );

    // The run re-performs.
    let v = common::rulebook(&dir, &["verify", "out"]);
    assert_eq!(v.status.code(), Some(0), "{}", common::text(&v));
    assert!(
        common::text(&v).contains("verified: 5 files identical"),
        "{}",
        common::text(&v)
    );
}

/// The `policy_version` column is written by `run::write` as the version in force at the
/// start of the line's period (2027.3 for July); naming both versions on a prorated line, and
/// the new version on that month's scores, needs a change there.
#[test]
fn prorated_lines_name_both_versions() {
    let dir = small_history("mid-prorated-names", "  mid-period change prorated by days\n");
    let r = run_q3(&dir);
    assert!(r.status.success(), "{}", common::text(&r));
    let payouts = fs::read_to_string(dir.join("out/payouts.csv")).unwrap();
    assert!(
        payouts.contains(
            "A,2027-07,commission,c,10000.00,\"prorated: 14 days under 2027.3, 17 under 2027.4\",409.67,2027.3→2027.4\n"
        ),
        "{payouts}"
    );
    let scores = fs::read_to_string(dir.join("out/scores.csv")).unwrap();
    assert!(scores.contains("A,2027-07,10000,0.05,,,2027.4\n"), "{scores}");
}

#[test]
fn two_versions_taking_effect_inside_one_month_are_refused() {
    let how = "  mid-period change from next period\n";
    let dir = small_history("mid-two", how);
    let third = new_version(how)
        .replace("\"2027.4\"", "\"2027.5\"")
        .replace("effective 2027-07-15", "effective 2027-07-20");
    fs::write(dir.join("h/2027.5.policy"), third).unwrap();
    let r = run_q3(&dir);
    assert_eq!(r.status.code(), Some(1), "{}", common::text(&r));
    assert!(
        common::text(&r)
            .contains("`h/2027.4.policy` and `h/2027.5.policy` both take effect inside the assessment period 2027-07"),
        "{}",
        common::text(&r)
    );
    assert!(!dir.join("out").exists(), "nothing is written");
}
