//! A cap or a minimum over a longer period than its commission's is tracked across the periods
//! it spans, and starts again with the next one: a quarterly cap and a quarterly minimum on a
//! monthly commission. Numbers by hand.

use crate::common;

use common::{rulebook, text};

const RULES: &str = "\
target company 1,200,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission c on revenue by attainment marginal monthly
  below 100%  10%
  above 100%  10%
  cap 5,000 quarterly
";

// 30,000 a month pays 3,000 before the cap.
const SALES: &str = "\
deal_id,rep,day,amount
D1,E1,2027-01-10,30000.00
D2,E1,2027-02-10,30000.00
D3,E1,2027-03-10,30000.00
D4,E1,2027-04-10,30000.00
D5,E1,2027-05-10,30000.00
";

fn workdir(name: &str, policy: &str) -> std::path::PathBuf {
    common::workdir(
        "caps",
        name,
        &[
            ("c.policy", policy),
            ("roster.csv", "rep_id\nE1\n"),
            ("sales.csv", SALES),
            ("run.yaml", common::RUN_YAML),
        ],
    )
}

/// The amounts `rulebook run --period 2027-Q1` pays, line by line.
fn q1_amounts(dir: &std::path::Path) -> Vec<String> {
    let out = rulebook(
        dir,
        &[
            "run", "c.policy", "--config", "run.yaml", "--period", "2027-Q1", "--out", "q1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let payouts = std::fs::read_to_string(dir.join("q1/payouts.csv")).expect("payouts");
    payouts
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).expect("amount").to_string())
        .collect()
}

/// What `rulebook explain` says of E1 in `period`.
fn explain(dir: &std::path::Path, period: &str) -> String {
    let out = rulebook(
        dir,
        &[
            "explain", "c.policy", "--config", "run.yaml", "--rep", "E1", "--period", period,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    text(&out)
}

#[test]
fn a_quarterly_cap_is_shared_by_the_months_of_the_quarter() {
    let dir = workdir("quarterly", &common::monthly_policy(RULES));
    let out = rulebook(
        &dir,
        &[
            "run", "c.policy", "--config", "run.yaml", "--period", "2027-05", "--out", "out",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // May is shown; the months before it are computed for the cap. Q2: April paid 3,000, so
    // May has 2,000 of the 5,000 left.
    let payouts = std::fs::read_to_string(dir.join("out/payouts.csv")).expect("payouts");
    assert_eq!(
        payouts,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
         E1,2027-05,commission,c,30000.00,marginal tiers,2000.00,1\n"
    );
    // Q1: January 3,000; February 3,000 capped at the 2,000 left; March nothing left.
    let amounts = q1_amounts(&dir);
    assert_eq!(amounts, ["3000.00", "2000.00", "0.00"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_shows_what_the_quarter_has_left() {
    let dir = workdir("explain", &common::monthly_policy(RULES));
    let said = explain(&dir, "2027-02");
    assert!(
        said.contains(
            "quarterly cap 5,000: paid so far this quarter 3000.00 (2027-01 3000.00), remains 2000.00: the cap bit: 3000.00 → 2000.00"
        ),
        "{said}"
    );
    assert!(said.contains("= 2000.00 (commission line of payouts.csv)"), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The policy with a quarterly minimum of 12,000 instead of the cap.
fn with_minimum() -> String {
    common::monthly_policy(&RULES.replace("cap 5,000 quarterly", "minimum 12,000 quarterly"))
}

#[test]
fn a_quarterly_minimum_is_made_good_in_the_last_month_of_the_quarter() {
    let policy = with_minimum();
    let dir = workdir("minimum", &policy);
    // January and February pay their 3,000 each; March its 3,000 topped up to what the
    // quarter lacks: 12,000 − 6,000 = 6,000. The quarter pays exactly the minimum.
    let amounts = q1_amounts(&dir);
    assert_eq!(amounts, ["3000.00", "3000.00", "6000.00"]);
    let said = explain(&dir, "2027-03");
    assert!(
        said.contains(
            "quarterly minimum 12,000: paid so far this quarter 6000.00 (2027-01 3000.00, 2027-02 3000.00), short by 6000.00: topped up: 3000.00 → 6000.00"
        ),
        "{said}"
    );
    assert!(said.contains("= 6000.00 (commission line of payouts.csv)"), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}
