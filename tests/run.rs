//! `rulebook run` end to end on a small period whose every number is worked out by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

const POLICY: &str = r#"policy "r"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly
  review quarterly, yearly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money
  status   text

roster reps
  rep_id  text  id
  region  text

target company 1,200,000 yearly
split company by region: east 50%, west 50%

metric revenue = sum of sales.amount where sales.status = "closed"
metric attainment = revenue / target

commission sales_commission on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
  cap 6,000 yearly

bonus q 1,000 quarterly if attainment >= 100%

discipline
  warning  if attainment < 50% for 2 months in a row
"#;

const ROSTER: &str = "rep_id,region
E1,east
W1,west
";

const SALES: &str = "deal_id,rep,day,amount,status
D1,E1,2027-01-10,60000.00,closed
D2,E1,2027-01-11,10000.00,open
D3,E1,2027-02-10,40000.00,closed
D4,E1,2027-03-10,55000.00,closed
D5,E1,2027-03-20,-5000.00,closed
D6,W1,2027-01-05,20000.00,closed
D7,W1,2027-02-05,20000.00,closed
D8,W1,2027-03-05,30000.00,closed
D9,X9,2027-03-05,1000.00,closed
D10,E1,2027-04-02,1000.00,closed
";

fn workdir(name: &str) -> PathBuf {
    common::workdir(
        "run",
        name,
        &[
            ("r.policy", POLICY),
            ("roster.csv", ROSTER),
            ("sales.csv", SALES),
            ("run.yaml", common::RUN_YAML),
        ],
    )
}

fn run(dir: &Path, out: &str) -> std::process::Output {
    run_policy(dir, "r.policy", out)
}

/// `rulebook run` of `policy` (a file or a directory of versions) for the first quarter.
fn run_policy(dir: &Path, policy: &str, out: &str) -> std::process::Output {
    common::rulebook(
        dir,
        &[
            "run", policy, "--config", "run.yaml", "--period", "2027-Q1", "--out", out,
        ],
    )
}

#[test]
fn a_quarter_run_pays_what_was_worked_out_by_hand() {
    let dir = workdir("q1");
    let out = run(&dir, "out");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Standard error is a pipe here: the summary only, no progress bar and no escape codes;
    // standard output carries nothing.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("2027-Q1: ") && stderr.lines().count() == 1 && !stderr.contains('\u{1b}'),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let read = |f: &str| std::fs::read_to_string(dir.join("out").join(f)).unwrap();
    // Monthly target: 1,200,000 / 12 = 100,000, half each to east (E1) and west (W1).
    // E1 January: 60,000 at 120% → 50,000 × 5% + 10,000 × 10% = 3,500 (the open deal is not counted).
    // E1 February: 40,000 at 80% → 2,000. E1 March: 55,000 − 5,000 returned = 50,000 at 100% →
    // 2,500, but the yearly cap of 6,000 leaves 6,000 − 5,500 = 500.
    // W1: 20,000 → 1,000; 20,000 → 1,000; 30,000 → 1,500.
    // Q1 bonus: E1 150,000 of 150,000 = 100% → 1,000; W1 70,000 → none.
    assert_eq!(
        read("payouts.csv"),
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-01,commission,sales_commission,60000.00,marginal tiers,3500.00,1\n\
W1,2027-01,commission,sales_commission,20000.00,marginal tiers,1000.00,1\n\
E1,2027-02,commission,sales_commission,40000.00,marginal tiers,2000.00,1\n\
W1,2027-02,commission,sales_commission,20000.00,marginal tiers,1000.00,1\n\
E1,2027-03,commission,sales_commission,50000.00,marginal tiers,500.00,1\n\
W1,2027-03,commission,sales_commission,30000.00,marginal tiers,1500.00,1\n\
E1,2027-Q1,bonus,q,,,1000.00,1\n"
    );
    // W1 is under 50% in January and February: a warning in February.
    assert_eq!(
        read("measures.csv"),
        "salesperson,period,measure,evidence,policy_version\nW1,2027-02,warning,attainment < 50%,1\n"
    );
    assert_eq!(
        read("rejects.csv"),
        "file,line,column,field,value,reason\n\
sales.csv,10,2,rep,X9,unknown salesperson `X9`: not on the roster\n"
    );
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    let sales = &manifest["inputs"][0];
    // 10 rows = 8 used + 1 rejected (X9) + 1 dated after the quarter (D10, April: left to a
    // later run, not rejected); 232,000 read = 230,000 credited + 1,000 rejected + 1,000 after.
    assert_eq!(
        (
            sales["rows_read"].as_u64(),
            sales["rows_used"].as_u64(),
            sales["rows_rejected"].as_u64(),
            sales["rows_after_period"].as_u64()
        ),
        (Some(10), Some(8), Some(1), Some(1))
    );
    assert_eq!(sales["amount_read"], "232000.00");
    assert_eq!(sales["amount_credited"], "230000.00");
    assert_eq!(sales["amount_rejected"], "1000.00");
    assert_eq!(sales["amount_after_period"], "1000.00");
    assert_eq!(manifest["outputs"]["payout_total"], "10500.00");
    assert!(read("scores.csv").contains("W1,2027-Q1,70000,0.466667,,,1\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_runs_are_byte_identical() {
    let dir = workdir("twice");
    assert_eq!(run(&dir, "a").status.code(), Some(0));
    assert_eq!(run(&dir, "b").status.code(), Some(0));
    for f in [
        "scores.csv",
        "payouts.csv",
        "measures.csv",
        "rejects.csv",
        "manifest.json",
    ] {
        let a = std::fs::read(dir.join("a").join(f)).unwrap();
        let b = std::fs::read(dir.join("b").join(f)).unwrap();
        assert_eq!(a, b, "{f} differs between two runs");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_file_writes_no_output() {
    let dir = workdir("malformed");
    std::fs::write(
        dir.join("sales.csv"),
        "deal_id,rep,day,status\nD1,E1,2027-01-10,closed\n",
    )
    .unwrap();
    let out = run(&dir, "out");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("amount"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join("out").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_shows_the_derivation_and_the_rows_counted() {
    let dir = workdir("explain");
    let out = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args([
            "explain", "r.policy", "--config", "run.yaml", "--rep", "E1", "--period", "2027-03",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "2027-03 50000 = company 1200000 × phase 8.3333% × region east 50% × salesperson E1 weight 1 of 1"
        ),
        "{text}"
    );
    // March: D4 (55,000) and the return D5 (−5,000), lines 5 and 6 of the file.
    assert!(text.contains("metric revenue = sum of sales.amount where sales.status = \"closed\"   [r.policy:26]\n  = 50000\n  2 row(s) of sales.csv: line(s) 5, 6\n"), "{text}");
    assert!(text.contains("  below 100%: 50000 × 5% = 2500\n"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file of a directory with its bytes, by name.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_run_that_fails_after_writing_some_periods_leaves_the_outputs_as_they_were() {
    let dir = workdir("midway");
    assert_eq!(run(&dir, "out").status.code(), Some(0));
    let before = files(&dir.join("out"));
    // A metric that overflows on March's sales alone: January's and February's lines are
    // already on their way to the files when the rules stop.
    std::fs::write(
        dir.join("r.policy"),
        POLICY.replace(
            "metric attainment",
            "metric huge = revenue * 1,000,000,000,000,000,000\nmetric attainment",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("sales.csv"),
        SALES.replace("D4,E1,2027-03-10,55000.00", "D4,E1,2027-03-10,99000000000.00"),
    )
    .unwrap();
    let out = run(&dir, "out");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("salesperson `E1`, period 2027-03: metric `huge`: arithmetic overflow"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    // The same files with the same bytes, and no temporary file left beside them.
    assert_eq!(files(&dir.join("out")), before);
    // A directory made for the run is not left behind either.
    assert_eq!(run(&dir, "fresh").status.code(), Some(1));
    assert!(!dir.join("fresh").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lines_written_as_they_are_made_are_those_of_a_run_that_holds_them() {
    // A policy directory is run with every line held (to put each period under its version);
    // a policy file has its lines written as the rules make them.
    let dir = workdir("streamed");
    std::fs::create_dir_all(dir.join("history")).unwrap();
    std::fs::write(dir.join("history").join("r.policy"), POLICY).unwrap();
    assert_eq!(run(&dir, "streamed").status.code(), Some(0));
    let held = run_policy(&dir, "history", "held");
    assert_eq!(held.status.code(), Some(0), "{}", String::from_utf8_lossy(&held.stderr));
    for f in ["scores.csv", "payouts.csv", "measures.csv", "rejects.csv"] {
        let streamed = std::fs::read_to_string(dir.join("streamed").join(f)).unwrap();
        let held = std::fs::read_to_string(dir.join("held").join(f)).unwrap();
        assert_eq!(streamed, held, "{f}");
        // Three months and the quarter for two salespeople, at least.
        assert!(f != "scores.csv" || streamed.lines().count() == 1 + 4 * 2, "{streamed}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn payouts_too_large_to_add_up_are_the_policys_error() {
    // A monthly bonus of 7 × 10^27: each line fits an exact amount, twelve of them (8.4 × 10^28)
    // do not. The policy is at fault, not the output directory: exit 1, and nothing written.
    let policy = common::monthly_policy(
        "metric revenue = sum of sales.amount\n\nbonus b 7,000,000,000,000,000,000,000,000,000 monthly if revenue >= 1\n",
    );
    let sales: String = (1..=12).map(|m| format!("D{m},E1,2027-{m:02}-05,100.00\n")).collect();
    let dir = common::workdir(
        "run",
        "too-large",
        &[
            ("p.policy", &policy),
            ("roster.csv", "rep_id\nE1\n"),
            ("sales.csv", &format!("deal_id,rep,day,amount\n{sales}")),
            ("run.yaml", common::RUN_YAML),
        ],
    );
    let o = common::rulebook(
        &dir,
        &[
            "run", "p.policy", "--config", "run.yaml", "--period", "2027", "--out", "out",
        ],
    );
    let said = common::text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(
        said.contains("error: the payout lines add up to more than an exact amount holds"),
        "{said}"
    );
    assert!(!dir.join("out").exists(), "{said}");
    // One month fits.
    let o = common::rulebook(
        &dir,
        &[
            "run", "p.policy", "--config", "run.yaml", "--period", "2027-01", "--out", "jan",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::text(&o));
}
