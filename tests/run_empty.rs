//! Empty values in a run (docs/language.md, 4.8 "When a value is empty"): an average or maximum of
//! no records and a division by zero have no value; the run goes on, shows them as empty cells, and
//! applies the documented rules. Every number is worked out by hand.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{rulebook, text};

const POLICY: &str = r#"policy "e"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly

source sales
  deal_id       text    key
  rep           text    salesperson
  day           date    dated
  amount        money
  status        text
  satisfaction  number  optional

roster reps
  rep_id  text  id
  region  text

target company 2,400,000 yearly
split company by region: east 50%, west 50%

metric revenue = sum of sales.amount where status = "closed"
metric attainment = revenue / target
metric csat = average of sales.satisfaction where status = "closed"
metric pipeline = sum of sales.amount where status = "open"
metric biggest = maximum of sales.amount where status = "closed"

score
  attainment         weight 60%  cap 150%
  csat / 5           weight 20%  cap 100%  floor 50%
  pipeline / target  weight 20%  cap 100%

grade A if score >= 100%, B if score >= 60%, otherwise C

commission sales_commission on revenue by attainment marginal
  below 100%  5%
  above 100%  10%

commission deal_commission on biggest marginal
  below 50,000  1%
  above 50,000  2%

bonus on_target 500 monthly if attainment >= 100%
spif big_deal 1% * biggest monthly

discipline
  warning  if attainment < 50% in a month

# 100,000 × 5% + 20,000 × 10% = 7,000; score 60% × 120% + 20% × 4.5 / 5 + 20% × 100% = 110%
test "given values decide"
  given target 100,000 and revenue 120,000 and csat 4.5 and pipeline 100,000
  expect sales_commission = 7,000
  expect score = 110%

# 30,000 / 0 is empty: the commission measured by it pays 0, the score counts it 0 and so does
# pipeline / target (0 / 0): 20% × 3 / 5 = 12%. A comparison with an empty value is false.
test "a target of 0 leaves attainment empty"
  given target 0 and revenue 30,000 and csat 3 and pipeline 0
  expect sales_commission = 0
  expect score = 12%
  expect not (attainment >= 0%)
"#;

/// E1 in the east and W1 in the west each carry 2,400,000 × 50% / 12 = 100,000 a month; the split
/// has no share for the north, so N1's target is 0.
const ROSTER: &str = "rep_id,region
E1,east
W1,west
N1,north
";

/// W1 has no closed deal (only open ones); D5 has no satisfaction.
const SALES: &str = "deal_id,rep,day,amount,status,satisfaction
D1,E1,2027-01-05,80000.00,closed,4
D2,E1,2027-01-12,40000.00,closed,5
D3,E1,2027-01-20,100000.00,open,
D4,W1,2027-01-08,30000.00,open,3
D5,W1,2027-01-15,20000.00,open,
D6,N1,2027-01-09,30000.00,closed,3
";

fn workdir(name: &str, policy: &str) -> PathBuf {
    let run_yaml = "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n";
    common::workdir(
        "run-empty",
        name,
        &[
            ("r.policy", policy),
            ("roster.csv", ROSTER),
            ("sales.csv", SALES),
            ("run.yaml", run_yaml),
        ],
    )
}

fn run(dir: &Path, engine: &str, out: &str) -> Output {
    rulebook(
        dir,
        &[
            "run", "r.policy", "--config", "run.yaml", "--period", "2027-01", "--engine", engine, "--out", out,
        ],
    )
}

#[test]
fn empty_values_are_empty_cells_and_the_run_goes_on() {
    let dir = workdir("run", POLICY);
    for engine in ["fast", "reference"] {
        let out = run(&dir, engine, engine);
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", text(&out));
    }
    let read = |engine: &str, f: &str| std::fs::read_to_string(dir.join(engine).join(f)).unwrap();
    // E1: revenue 80,000 + 40,000 = 120,000, attainment 120%, csat (4 + 5) / 2 = 4.5, pipeline
    //   100,000, biggest 80,000. Score 60% × 120% + 20% × 90% + 20% × 100% = 72% + 18% + 20% = 110%: A.
    // W1 has no closed deal: revenue 0 (a sum of no records), attainment 0 / 100,000 = 0, csat and
    //   biggest empty (an average and a maximum of no records), pipeline 30,000 + 20,000 = 50,000.
    //   Score 60% × 0 + 0 (csat empty: no evidence, its floor of 50% does not apply)
    //   + 20% × 50,000 / 100,000 = 10%: C.
    // N1's target is 0: attainment 30,000 / 0 and pipeline / target = 0 / 0 are empty; csat 3.
    //   Score 0 + 20% × 3 / 5 + 0 = 12%: C.
    assert_eq!(
        read("fast", "scores.csv"),
        "salesperson,period,revenue,attainment,csat,pipeline,biggest,score,grade,policy_version\n\
E1,2027-01,120000,1.2,4.5,100000,80000,1.1,A,1\n\
W1,2027-01,0,0,,50000,,0.1,C,1\n\
N1,2027-01,30000,,3,0,30000,0.12,C,1\n"
    );
    // sales_commission: E1 100,000 × 5% + 20,000 × 10% = 7,000; W1 earns nothing on a base of 0;
    //   N1's measure (attainment) is empty, so it pays 0 on a base of 30,000.
    // deal_commission on biggest: E1 50,000 × 1% + 30,000 × 2% = 1,100; W1's base is empty: an
    //   empty base cell and 0; N1 30,000 × 1% = 300.
    // on_target: E1 only (120% >= 100%); N1's empty attainment >= 100% is false.
    // big_deal, 1% of biggest: E1 800, N1 300; W1's amount is empty: it pays 0, no line.
    assert_eq!(
        read("fast", "payouts.csv"),
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-01,commission,sales_commission,120000.00,marginal tiers,7000.00,1\n\
E1,2027-01,commission,deal_commission,80000.00,marginal tiers,1100.00,1\n\
E1,2027-01,bonus,on_target,,,500.00,1\n\
E1,2027-01,spif,big_deal,,,800.00,1\n\
W1,2027-01,commission,sales_commission,0.00,marginal tiers,0.00,1\n\
W1,2027-01,commission,deal_commission,,marginal tiers,0.00,1\n\
N1,2027-01,commission,sales_commission,30000.00,marginal tiers,0.00,1\n\
N1,2027-01,commission,deal_commission,30000.00,marginal tiers,300.00,1\n\
N1,2027-01,spif,big_deal,,,300.00,1\n"
    );
    // W1's attainment of 0 is below 50%; N1's empty attainment < 50% is false.
    assert_eq!(
        read("fast", "measures.csv"),
        "salesperson,period,measure,evidence,policy_version\nW1,2027-01,warning,attainment < 50%,1\n"
    );
    for f in ["scores.csv", "payouts.csv", "measures.csv", "rejects.csv"] {
        assert_eq!(read("fast", f), read("reference", f), "{f}: the two evaluators differ");
    }
}

#[test]
fn tests_in_a_policy_still_give_values() {
    let dir = workdir("tests", POLICY);
    let out = rulebook(&dir, &["test", "r.policy"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("2 passed, 0 failed"), "{}", text(&out));

    // A test reads no records: an aggregation it needs must still be given.
    let missing = format!(
        "{POLICY}
test \"csat is not given\"
  given target 100,000 and revenue 120,000 and pipeline 100,000
  expect score = 110%
"
    );
    let dir = workdir("tests-missing", &missing);
    let out = rulebook(&dir, &["test", "r.policy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("this aggregation reads records; give the metric's value instead"),
        "{}",
        text(&out)
    );
}

#[test]
fn any_other_error_in_a_metric_fails_the_run_and_names_it() {
    // 120,000 × 10^25 does not fit an exact decimal: an overflow is an error, not an empty value.
    let policy = POLICY.replace(
        "metric biggest",
        "metric boom = revenue * 10,000,000,000,000,000,000,000,000\nmetric biggest",
    );
    let dir = workdir("overflow", &policy);
    for engine in ["fast", "reference"] {
        let out = run(&dir, engine, engine);
        assert_eq!(out.status.code(), Some(1), "{engine}: {}", text(&out));
        assert!(
            text(&out).contains("salesperson `E1`, period 2027-01: metric `boom`: arithmetic overflow"),
            "{engine}: {}",
            text(&out)
        );
        assert!(
            !dir.join(engine).join("scores.csv").exists(),
            "{engine}: nothing is written"
        );
    }
}
