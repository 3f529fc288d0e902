//! Commission `per record` (docs/language.md, "Per record"): each record paid at the tier the
//! year's running attainment reaches with it. Every number is worked out by hand.

use crate::common;

use std::path::PathBuf;

use common::{rulebook, text};

const POLICY: &str = r#"policy "r"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money
  status   text

roster reps
  rep_id  text  id
  region  text

target company 600,000 yearly

metric revenue = sum of sales.amount where status = "closed"
metric attainment = revenue / target

commission marginal_pay on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
  per record
  claw back returns

commission retro_pay on revenue by attainment retroactive
  below 100%  5%
  above 100%  10%
  per record
"#;

/// E1 carries the whole target: 50,000 a month, so 50,000 × the months so far to date.
const ROSTER: &str = "rep_id,region\nE1,east\n";

const SALES: &str = "deal_id,rep,day,amount,status
D1,E1,2027-01-10,30000.00,closed
D2,E1,2027-01-20,40000.00,closed
D9,E1,2027-01-25,99000.00,open
D3,E1,2027-02-05,45000.00,closed
D3-R,E1,2027-02-20,-25000.00,closed
D4,E1,2027-03-03,10000.00,closed
D4-R,E1,2027-04-02,-30000.00,closed
";

fn workdir(name: &str) -> PathBuf {
    common::workdir(
        "per-record",
        name,
        &[
            ("r.policy", POLICY),
            ("roster.csv", ROSTER),
            ("sales.csv", SALES),
            (
                "run.yaml",
                "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n",
            ),
        ],
    )
}

const HEADER: &str = "salesperson,period,component,name,base,rate,amount,policy_version\n";

fn payouts(dir: &std::path::Path, period: &str, engine: &str) -> String {
    let out = format!("{period}-{engine}");
    let o = rulebook(
        dir,
        &[
            "run", "r.policy", "--config", "run.yaml", "--period", period, "--engine", engine, "--out", &out,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::read_to_string(dir.join(out).join("payouts.csv")).unwrap()
}

#[test]
fn each_record_is_paid_at_the_running_attainment() {
    let dir = workdir("quarter");
    // Marginal, P(X) the tier payout of a year-to-date revenue X against the year-to-date target
    // of the record's month:
    //   Jan 10  +30,000 → 30,000 of 50,000 (60%):  30,000 × 5%                        =  1,500
    //   Jan 20  +40,000 → 70,000 (140%): P(70,000) − P(30,000) = 50,000 × 5% + 20,000 × 10%
    //           − 1,500 = 4,500 − 1,500                                                 =  3,000
    //   (D9 is open: not revenue.)                                            January  =  4,500
    //   Feb 5   +45,000 → 115,000 of 100,000 (115%): P(115,000) − P(70,000)
    //           = (100,000 × 5% + 15,000 × 10%) − 70,000 × 5% = 6,500 − 3,500          =  3,000
    //   Feb 20  −25,000 → 90,000 (90%): P(90,000) − P(115,000) = 4,500 − 6,500         = −2,000
    //                                                                         February =  1,000
    //   Mar 3   +10,000 → 100,000 of 150,000: P(100,000) − P(90,000) = 5,000 − 4,500   =    500
    // Retroactive, each record at the rate its running attainment reaches:
    //   Jan: 30,000 × 5% + 40,000 × 10% (140%) = 1,500 + 4,000                          =  5,500
    //   Feb: 45,000 × 10% (115%) − 25,000 × 5% (back to 90%) = 4,500 − 1,250           =  3,250
    //   Mar: 10,000 × 5% (66.7%)                                                        =    500
    // (Paid month by month on the month's revenue alone, February would pay 20,000 × 5% = 1,000
    // marginal: the running attainment is what differs.)
    let expected = format!(
        "{HEADER}\
E1,2027-01,commission,marginal_pay,70000.00,marginal tiers,4500.00,1\n\
E1,2027-01,commission,retro_pay,70000.00,retroactive tiers,5500.00,1\n\
E1,2027-02,commission,marginal_pay,20000.00,marginal tiers,1000.00,1\n\
E1,2027-02,commission,retro_pay,20000.00,retroactive tiers,3250.00,1\n\
E1,2027-03,commission,marginal_pay,10000.00,marginal tiers,500.00,1\n\
E1,2027-03,commission,retro_pay,10000.00,retroactive tiers,500.00,1\n"
    );
    assert_eq!(payouts(&dir, "2027-Q1", "fast"), expected);
    assert_eq!(payouts(&dir, "2027-Q1", "reference"), expected);
}

#[test]
fn a_month_of_returns_is_clawed_back_only_when_the_policy_says_so() {
    let dir = workdir("april");
    // Apr 2 −30,000 → 70,000 of 200,000 (35%): P(70,000) − P(100,000) = 3,500 − 5,000 = −1,500.
    // marginal_pay claws back returns: a claw-back line of −1,500. retro_pay does not: the
    // month's −30,000 × 5% = −1,500 is not taken back, it pays 0.
    let expected = format!(
        "{HEADER}\
E1,2027-04,clawback,marginal_pay,-30000.00,marginal tiers,-1500.00,1\n\
E1,2027-04,commission,retro_pay,-30000.00,retroactive tiers,0.00,1\n"
    );
    assert_eq!(payouts(&dir, "2027-04", "fast"), expected);
    assert_eq!(payouts(&dir, "2027-04", "reference"), expected);
}

#[test]
fn a_base_that_is_not_a_sum_of_records_is_an_error() {
    let bad = POLICY
        .replace(
            "commission marginal_pay on revenue",
            "commission marginal_pay on revenue * 2",
        )
        .replace(
            "commission retro_pay on revenue by attainment retroactive\n  below 100%  5%",
            "commission retro_pay on revenue by attainment retroactive\n  below 100%  500",
        );
    let dir = common::workdir("per-record", "check", &[("bad.policy", &bad)]);
    let o = rulebook(&dir, &["check", "bad.policy"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("the base of a `per record` commission must be the name of a metric"),
        "{t}"
    );
    assert!(
        t.contains("a `per record` commission pays each record at a rate, not a fixed amount"),
        "{t}"
    );
}
