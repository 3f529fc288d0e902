//! Retroactive corrections: `rulebook run --paid DIR` computes the periods a previous run paid
//! again and writes adjustment lines for what changed, never rewriting a paid line. Every number
//! is worked out by hand.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{rulebook, text};

const POLICY: &str = r#"policy "p"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly
  review quarterly

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

metric revenue = sum of sales.amount where status = "closed"
metric attainment = revenue / target

commission sales_commission on revenue by attainment marginal
  below 100%  5%
  above 100%  10%

bonus on_target 1,000 quarterly if attainment >= 100%
"#;

/// Each carries 1,200,000 × 50% / 12 = 50,000 a month, 150,000 a quarter.
const ROSTER: &str = "rep_id,region\nE1,east\nW1,west\n";

/// The first quarter as it was paid.
const Q1_SALES: &str = "deal_id,rep,day,amount,status
D1,E1,2027-01-12,30000.00,closed
D2,W1,2027-01-20,50000.00,closed
D3,W1,2027-02-15,50000.00,closed
D4,W1,2027-03-10,60000.00,closed
";

/// April's export: the same rows, a return of 20,000 against D4 dated in March that reached the
/// CRM after the quarter was paid, and April's deals.
const APRIL_SALES: &str = "deal_id,rep,day,amount,status
D1,E1,2027-01-12,30000.00,closed
D2,W1,2027-01-20,50000.00,closed
D3,W1,2027-02-15,50000.00,closed
D4,W1,2027-03-10,60000.00,closed
D4-R,W1,2027-03-28,-20000.00,closed
D5,E1,2027-04-08,55000.00,closed
D6,W1,2027-04-10,10000.00,closed
";

const HEADER: &str = "salesperson,period,component,name,base,rate,amount,policy_version\n";

const RUN_YAML: &str = "sources:\n  sales:\n    path: q1.csv\n  reps:\n    path: roster.csv\n";

fn workdir(name: &str) -> PathBuf {
    common::workdir(
        "paid",
        name,
        &[
            ("p.policy", POLICY),
            ("roster.csv", ROSTER),
            ("q1.csv", Q1_SALES),
            ("april.csv", APRIL_SALES),
            ("run.yaml", RUN_YAML),
        ],
    )
}

fn run(dir: &Path, period: &str, sales: &str, out: &str, paid: &[&str]) -> Output {
    let source = format!("sales={sales}");
    let mut args = vec![
        "run", "p.policy", "--config", "run.yaml", "--period", period, "--source", &source, "--out", out,
    ];
    for p in paid {
        args.extend(["--paid", p]);
    }
    rulebook(dir, &args)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// The first quarter, paid: January E1 30,000 × 5% = 1,500, W1 50,000 × 5% = 2,500 (exactly
/// 100%: nothing above); February W1 2,500; March W1 50,000 × 5% + 10,000 × 10% = 3,500. W1's
/// quarter is 160,000 ≥ 150,000: the bonus of 1,000.
fn pay_the_first_quarter(dir: &Path) {
    let o = run(dir, "2027-Q1", "q1.csv", "q1", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        read(&dir.join("q1"), "payouts.csv"),
        format!(
            "{HEADER}\
E1,2027-01,commission,sales_commission,30000.00,marginal tiers,1500.00,1\n\
W1,2027-01,commission,sales_commission,50000.00,marginal tiers,2500.00,1\n\
E1,2027-02,commission,sales_commission,0.00,marginal tiers,0.00,1\n\
W1,2027-02,commission,sales_commission,50000.00,marginal tiers,2500.00,1\n\
E1,2027-03,commission,sales_commission,0.00,marginal tiers,0.00,1\n\
W1,2027-03,commission,sales_commission,60000.00,marginal tiers,3500.00,1\n\
W1,2027-Q1,bonus,on_target,,,1000.00,1\n"
        )
    );
}

#[test]
fn a_late_return_into_a_paid_month_gives_adjustment_lines() {
    let dir = workdir("late-return");
    pay_the_first_quarter(&dir);

    let o = run(&dir, "2027-04", "april.csv", "april", &["q1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // April: E1 55,000 → 50,000 × 5% + 5,000 × 10% = 3,000; W1 10,000 × 5% = 500.
    // March again: W1 60,000 − 20,000 = 40,000 → 40,000 × 5% = 2,000, paid 3,500: −1,500.
    // The quarter again: W1 50,000 + 50,000 + 40,000 = 140,000 < 150,000: no bonus, paid 1,000:
    // −1,000. January, February and E1's March are unchanged: no line.
    assert_eq!(
        read(&dir.join("april"), "payouts.csv"),
        format!(
            "{HEADER}\
E1,2027-04,commission,sales_commission,55000.00,marginal tiers,3000.00,1\n\
W1,2027-04,commission,sales_commission,10000.00,marginal tiers,500.00,1\n\
W1,2027-03,adjustment,sales_commission,40000.00,\"correction of commission: paid 3500.00, due 2000.00\",-1500.00,1\n\
W1,2027-Q1,adjustment,on_target,,\"correction of bonus: paid 1000.00, due 0.00\",-1000.00,1\n"
        )
    );
    let manifest = read(&dir.join("april"), "manifest.json");
    assert!(manifest.contains("\"paid\": [\n      \"q1\"\n    ]"), "{manifest}");
    assert!(manifest.contains("\"file\": \"q1/payouts.csv\""), "{manifest}");

    // May, with both earlier runs paid: the quarter's corrections were paid in April, so nothing
    // is corrected again; May has no deals.
    let o = run(&dir, "2027-05", "april.csv", "may", &["q1", "april"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        read(&dir.join("may"), "payouts.csv"),
        format!(
            "{HEADER}\
E1,2027-05,commission,sales_commission,0.00,marginal tiers,0.00,1\n\
W1,2027-05,commission,sales_commission,0.00,marginal tiers,0.00,1\n"
        )
    );

    // A correction run re-performs like any other.
    let o = rulebook(&dir, &["verify", "april"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("verified: 5 files identical"), "{}", text(&o));
}

#[test]
fn the_paid_period_itself_run_again_shows_only_the_corrections() {
    let dir = workdir("again");
    pay_the_first_quarter(&dir);
    // Unchanged records: nothing to correct, not a line.
    let o = run(&dir, "2027-Q1", "q1.csv", "same", &["q1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(read(&dir.join("same"), "payouts.csv"), HEADER);
    // The late return: the March and quarter corrections, and no line of April (not run).
    let o = run(&dir, "2027-Q1", "april.csv", "again", &["q1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        read(&dir.join("again"), "payouts.csv"),
        format!(
            "{HEADER}\
W1,2027-03,adjustment,sales_commission,40000.00,\"correction of commission: paid 3500.00, due 2000.00\",-1500.00,1\n\
W1,2027-Q1,adjustment,on_target,,\"correction of bonus: paid 1000.00, due 0.00\",-1000.00,1\n"
        )
    );
}

#[test]
fn what_cannot_be_corrected_is_an_error_and_nothing_is_written() {
    let dir = workdir("errors");
    pay_the_first_quarter(&dir);
    let refused = |paid: &[&str], period: &str, expect: &str| {
        let o = run(&dir, period, "april.csv", "out", paid);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(expect), "{}", text(&o));
        assert!(!dir.join("out").exists(), "{}", text(&o));
    };
    // A paid run after the run's own period cannot be recomputed by it.
    let o = run(&dir, "2027-04", "april.csv", "april", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    refused(&["april"], "2027-03", "paid 2027-04, which this run does not compute");
    refused(&["q1", "q1"], "2027-04", "`q1` is given twice");
    refused(&["nowhere"], "2027-04", "give `--paid` the directory of a run");
    // What was paid must be what the paid run wrote.
    let payouts = dir.join("q1/payouts.csv");
    let mut edited = read(&dir.join("q1"), "payouts.csv");
    edited = edited.replace("3500.00", "3400.00");
    std::fs::write(&payouts, edited).unwrap();
    refused(&["q1"], "2027-04", "is not the file its run wrote");
}

#[test]
fn tables_in_json_carry_the_same_lines_and_serve_as_what_was_paid() {
    let dir = workdir("json");
    let o = rulebook(
        &dir,
        &[
            "run", "p.policy", "--config", "run.yaml", "--period", "2027-Q1", "--format", "json", "--out", "q1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!dir.join("q1/payouts.csv").exists());
    let payouts = read(&dir.join("q1"), "payouts.json");
    // The CSV's columns in the same order, money as exact strings, an empty cell null.
    assert!(payouts.starts_with(
        "[\n{\"salesperson\":\"E1\",\"period\":\"2027-01\",\"component\":\"commission\",\"name\":\"sales_commission\",\"base\":\"30000.00\",\"rate\":\"marginal tiers\",\"amount\":\"1500.00\",\"policy_version\":\"1\"},\n"
    ), "{payouts}");
    assert!(payouts.ends_with(
        "{\"salesperson\":\"W1\",\"period\":\"2027-Q1\",\"component\":\"bonus\",\"name\":\"on_target\",\"base\":null,\"rate\":null,\"amount\":\"1000.00\",\"policy_version\":\"1\"}\n]\n"
    ), "{payouts}");
    assert_eq!(read(&dir.join("q1"), "rejects.json"), "[]\n");
    let manifest = read(&dir.join("q1"), "manifest.json");
    assert!(manifest.contains("\"format\": \"json\""), "{manifest}");

    // The same correction as from the CSV run.
    let o = run(&dir, "2027-04", "april.csv", "april", &["q1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let april = read(&dir.join("april"), "payouts.csv");
    assert!(
        april.ends_with(
            "W1,2027-03,adjustment,sales_commission,40000.00,\"correction of commission: paid 3500.00, due 2000.00\",-1500.00,1\n\
W1,2027-Q1,adjustment,on_target,,\"correction of bonus: paid 1000.00, due 0.00\",-1000.00,1\n"
        ),
        "{april}"
    );
    let o = rulebook(&dir, &["verify", "q1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("verified: 5 files identical"), "{}", text(&o));
}
