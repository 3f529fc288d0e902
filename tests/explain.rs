//! `rulebook explain` against `rulebook run`: every amount explain prints for a salesperson and
//! period is the line the run writes, with how it was derived. Numbers worked out by hand.

use crate::common;

use std::path::{Path, PathBuf};

use common::{rulebook, text};

const RUN_YAML: &str = "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n";

const HEADER: &str = "\
policy \"x\"
  version \"1\"
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

roster reps
  rep_id  text  id
  region  text
";

fn workdir(name: &str, rules: &str, roster: &str, sales: &str) -> PathBuf {
    let policy = format!("{HEADER}\n{rules}");
    common::workdir(
        "explain",
        name,
        &[
            ("x.policy", &policy),
            ("roster.csv", roster),
            ("sales.csv", sales),
            ("run.yaml", RUN_YAML),
        ],
    )
}

/// The `file:line` explain names for the policy line starting with `start`.
fn at(rules: &str, start: &str) -> String {
    let policy = format!("{HEADER}\n{rules}");
    let line = policy.lines().position(|l| l.starts_with(start)).expect("the line") + 1;
    format!("x.policy:{line}")
}

fn payouts(dir: &Path, period: &str) -> String {
    let out = format!("out-{period}");
    let o = rulebook(
        dir,
        &[
            "run", "x.policy", "--config", "run.yaml", "--period", period, "--out", &out,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::read_to_string(dir.join(out).join("payouts.csv")).unwrap()
}

fn explain(dir: &Path, rep: &str, period: &str) -> String {
    let o = rulebook(
        dir,
        &[
            "explain", "x.policy", "--config", "run.yaml", "--rep", rep, "--period", period,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// Lines of text, each ending with a newline (a string continued with `\` would lose their
/// indentation).
fn block(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Every line of `rep` in `period` in payouts.csv is explained with its amount, and listed.
fn each_amount_is_explained(payouts: &str, explained: &str, rep: &str, period: &str) {
    let mut seen = 0;
    for line in payouts.lines().skip(1) {
        let head: Vec<&str> = line.splitn(5, ',').collect();
        // The amount is the last column but one; `rate` before it may be quoted with commas.
        let amount = line.rsplit(',').nth(1).unwrap();
        if head[0] != rep || head[1] != period {
            continue;
        }
        seen += 1;
        let (component, name) = (head[2], head[3]);
        assert!(
            explained.contains(&format!("  = {amount} ({component} line of payouts.csv)\n")),
            "{component} {name} {amount} not explained:\n{explained}"
        );
        assert!(
            explained.contains(&format!("\n  {component} {name} {amount}\n")),
            "{component} {name} {amount} not listed:\n{explained}"
        );
    }
    assert!(seen > 0, "no line of {rep} in {period}:\n{payouts}");
}

const CAPPED: &str = "\
target company 1,200,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission sales on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
  cap 6,000 yearly
";

#[test]
fn a_yearly_cap_reached_in_march() {
    let sales = "deal_id,rep,day,amount\n\
D1,E1,2027-01-10,60000.00\n\
D2,E1,2027-02-10,50000.00\n\
D3,E1,2027-03-10,40000.00\n";
    let dir = workdir("cap", CAPPED, "rep_id,region\nE1,east\n", sales);
    // Monthly target 100,000. Jan 60,000 (60%) × 5% = 3,000; Feb 50,000 × 5% = 2,500: 5,500
    // paid. Mar 40,000 × 5% = 2,000, but the yearly cap of 6,000 leaves 500.
    let paid = payouts(&dir, "2027-03");
    assert_eq!(
        paid,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-03,commission,sales,40000.00,marginal tiers,500.00,1\n"
    );
    let e = explain(&dir, "E1", "2027-03");
    let section = block(&[
        &format!("\ncommission sales   [{}]", at(CAPPED, "commission sales")),
        "  base revenue = 40000, measure attainment = 0.4",
        "  below 100%: 40000 × 5% = 2000",
        "  tiers pay 2000",
        "  commission of the period 2000.00",
        "  yearly cap 6,000: paid so far this fiscal year 5500.00 (2027-01 3000.00, 2027-02 2500.00), remains 500.00: the cap bit: 2000.00 → 500.00",
        "  = 500.00 (commission line of payouts.csv)",
    ]);
    assert!(e.contains(&section), "{e}");
    // The old text recomputed the month alone.
    assert!(!e.contains("for this period alone"), "{e}");
    each_amount_is_explained(&paid, &e, "E1", "2027-03");
    let _ = std::fs::remove_dir_all(&dir);
}

const TRUE_UP: &str = "\
target company 1,200,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission ytd on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
  year to date

draw advance 3,000 monthly against ytd recoverable
";

const TRUE_UP_SALES: &str = "deal_id,rep,day,amount\n\
D1,E1,2027-01-15,20000.00\n\
D2,E1,2027-02-15,80000.00\n\
D3,E1,2027-03-15,80000.00\n\
D4,E1,2027-04-15,-40000.00\n";

#[test]
fn a_true_up_month_with_a_return() {
    let dir = workdir("true-up", TRUE_UP, "rep_id,region\nE1,east\n", TRUE_UP_SALES);
    // Monthly target 100,000; year to date Jan 1,000, Feb 5,000, Mar 9,000 (see the draw test):
    // 9,000 paid by April. April's year to date: 140,000 of 400,000 (35%) × 5% = 7,000, less
    // 9,000 paid = −2,000 clawed back. The draw tops April up to 3,000: 3,000 − (−2,000) = 5,000.
    let paid = payouts(&dir, "2027-04");
    assert_eq!(
        paid,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-04,clawback,ytd,-40000.00,\"marginal tiers, year-to-date true-up\",-2000.00,1\n\
E1,2027-04,draw,advance,-2000.00,top-up to the draw,5000.00,1\n"
    );
    let e = explain(&dir, "E1", "2027-04");
    let section = block(&[
        &format!("\ncommission ytd   [{}]", at(TRUE_UP, "commission ytd")),
        "  this period: base revenue = -40000",
        "  year to date, 2027-01-01 to 2027-04-30:",
        "  base revenue = 140000, measure attainment = 0.35",
        "  below 100%: 140000 × 5% = 7000",
        "  tiers pay 7000",
        "  year-to-date commission 7000.00",
        "  less paid so far this fiscal year 9000.00 (2027-01 1000.00, 2027-02 4000.00, 2027-03 4000.00)",
        "  = -2000.00 (clawback line of payouts.csv)",
    ]);
    assert!(e.contains(&section), "{e}");
    // The advances were all recovered by March: nothing outstanding before April.
    assert!(
        e.contains(
            "  balance outstanding 0.00 before this period \
(2027-01 2000.00, 2027-02 -1000.00, 2027-03 -1000.00), 5000.00 after\n"
        ),
        "{e}"
    );
    each_amount_is_explained(&paid, &e, "E1", "2027-04");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recoverable_draw_advanced_then_recovered() {
    let dir = workdir("draw", TRUE_UP, "rep_id,region\nE1,east\n", TRUE_UP_SALES);
    // January: 20,000 of 100,000 → 1,000 earned; the draw of 3,000 advances 2,000.
    let jan = payouts(&dir, "2027-01");
    let e = explain(&dir, "E1", "2027-01");
    let section = block(&[
        &format!(
            "\ndraw advance 3,000 monthly against ytd recoverable   [{}]",
            at(TRUE_UP, "draw advance")
        ),
        "  ytd earned 1000.00 this period",
        "  below the draw: tops up 3,000 − 1000.00",
        "  balance outstanding 0.00 before this period (no earlier period), 2000.00 after",
        "  = 2000.00 (draw line of payouts.csv)",
    ]);
    assert!(e.contains(&section), "{e}");
    each_amount_is_explained(&jan, &e, "E1", "2027-01");
    // February: year to date 100,000 of 200,000 → 5,000, less 1,000 paid = 4,000; 1,000 above
    // the draw recovers 1,000 of the 2,000 outstanding.
    let feb = payouts(&dir, "2027-02");
    assert!(
        feb.ends_with(
            "E1,2027-02,commission,ytd,80000.00,\"marginal tiers, year-to-date true-up\",4000.00,1\n\
E1,2027-02,draw,advance,4000.00,recovery of earlier advances,-1000.00,1\n"
        ),
        "{feb}"
    );
    let e = explain(&dir, "E1", "2027-02");
    assert!(
        e.contains(&block(&[
            "  ytd earned 4000.00 this period",
            "  above the draw by 1000.00: recovered from the balance outstanding",
            "  balance outstanding 2000.00 before this period (2027-01 2000.00), 1000.00 after",
            "  = -1000.00 (draw line of payouts.csv)",
        ])),
        "{e}"
    );
    assert!(
        e.contains("  less paid so far this fiscal year 1000.00 (2027-01 1000.00)\n  = 4000.00"),
        "{e}"
    );
    each_amount_is_explained(&feb, &e, "E1", "2027-02");
    let _ = std::fs::remove_dir_all(&dir);
}

const PER_RECORD: &str = "\
target company 600,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission marginal_pay on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
  per record

commission retro_pay on revenue by attainment retroactive
  below 100%  5%
  above 100%  10%
  per record
";

#[test]
fn a_per_record_commission_lists_its_records() {
    let sales = "deal_id,rep,day,amount\n\
D1,E1,2027-01-10,30000.00\n\
D2,E1,2027-01-20,40000.00\n\
D3,E1,2027-02-05,45000.00\n\
D3-R,E1,2027-02-20,-25000.00\n";
    let dir = workdir("per-record", PER_RECORD, "rep_id,region\nE1,east\n", sales);
    // Monthly target 50,000; February's year to date is 100,000. The year so far is 70,000
    // after January. Marginal, each record P(after) − P(before), both at February's target:
    //   Feb 5  +45,000: 70,000 (70%) → 115,000 (115%): 6,500 − 3,500 =  3,000
    //   Feb 20 −25,000: 115,000 → 90,000 (90%):        4,500 − 6,500 = −2,000   total 1,000
    // Retroactive, each record at the rate the measure reaches with it:
    //   45,000 × 10% = 4,500; −25,000 × 5% = −1,250                             total 3,250
    let paid = payouts(&dir, "2027-02");
    assert_eq!(
        paid,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-02,commission,marginal_pay,20000.00,marginal tiers,1000.00,1\n\
E1,2027-02,commission,retro_pay,20000.00,retroactive tiers,3250.00,1\n"
    );
    let e = explain(&dir, "E1", "2027-02");
    let marginal = block(&[
        &format!(
            "\ncommission marginal_pay   [{}]",
            at(PER_RECORD, "commission marginal_pay")
        ),
        "  base revenue = 20000 this period",
        "  per record: 2 record(s) of sales.csv, each paid at the tier the year's running attainment reaches:",
        "    2027-02-05 line 4: 45000, year so far 70000 → 115000, attainment 0.7 → 1.15: pays 3000",
        "    2027-02-20 line 5: -25000, year so far 115000 → 90000, attainment 1.15 → 0.9: pays -2000",
        "  records pay 1000",
        "  = 1000.00 (commission line of payouts.csv)",
    ]);
    assert!(e.contains(&marginal), "{e}");
    assert!(
        e.contains(&block(&[
            "    2027-02-05 line 4: 45000, year so far 70000 → 115000, attainment 0.7 → 1.15: pays 4500",
            "    2027-02-20 line 5: -25000, year so far 115000 → 90000, attainment 1.15 → 0.9: pays -1250",
            "  records pay 3250",
            "  = 3250.00 (commission line of payouts.csv)",
        ])),
        "{e}"
    );
    each_amount_is_explained(&paid, &e, "E1", "2027-02");
    let _ = std::fs::remove_dir_all(&dir);
}

const MEASURES: &str = "\
target company 1,200,000 yearly
split company by region: east 50%, west 50%

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission sales on revenue by attainment marginal
  below 100%  5%
  above 100%  10%

spif launch 2% * revenue monthly if revenue >= 12,000

promotion star monthly if attainment >= 120%

discipline
  warning deduct 500 if attainment < 50% for 2 months in a row
";

#[test]
fn a_disciplinary_deduction_and_a_promotion() {
    let sales = "deal_id,rep,day,amount\n\
D1,E1,2027-01-10,10000.00\n\
D2,E1,2027-02-10,15000.00\n\
D3,W1,2027-01-10,60000.00\n\
D4,W1,2027-02-10,65000.00\n";
    let dir = workdir("measures", MEASURES, "rep_id,region\nE1,east\nW1,west\n", sales);
    // Monthly target 50,000 each. E1: January 10,000 (20%), February 15,000 (30%): under 50%
    // two months in a row, a warning in February and a deduction of 500. February pays
    // 15,000 × 5% = 750 and the spif 2% × 15,000 = 300 (15,000 ≥ 12,000).
    // W1 February: 65,000 (130%) → 50,000 × 5% + 15,000 × 10% = 4,000, spif 1,300, and a
    // candidate for promotion.
    let paid = payouts(&dir, "2027-02");
    assert_eq!(
        paid,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-02,commission,sales,15000.00,marginal tiers,750.00,1\n\
E1,2027-02,spif,launch,,,300.00,1\n\
E1,2027-02,deduction,warning,,,-500.00,1\n\
W1,2027-02,commission,sales,65000.00,marginal tiers,4000.00,1\n\
W1,2027-02,spif,launch,,,1300.00,1\n"
    );
    let e = explain(&dir, "E1", "2027-02");
    let discipline = block(&[
        &format!(
            "\ndiscipline warning deduct 500 if attainment < 50% for 2 months in a row   [{}]",
            at(MEASURES, "  warning")
        ),
        "  2027-01: attainment = 0.2 → holds",
        "  2027-02: attainment = 0.3 → holds",
        "  triggered: in measures.csv with evidence \"attainment < 50%\"",
        "  = -500.00 (deduction line of payouts.csv)",
    ]);
    assert!(e.contains(&discipline), "{e}");
    let spif = block(&[
        &format!(
            "\nspif launch 2% * revenue monthly if revenue >= 12,000   [{}]",
            at(MEASURES, "spif launch")
        ),
        "  revenue = 15000 → holds",
        "  2% * revenue = 300",
        "  = 300.00 (spif line of payouts.csv)",
    ]);
    assert!(e.contains(&spif), "{e}");
    assert!(
        e.contains("  attainment = 0.3 → does not hold\n  not triggered\n"),
        "{e}"
    );
    assert!(e.contains("\n  total 550.00\n"), "{e}");
    each_amount_is_explained(&paid, &e, "E1", "2027-02");

    let e = explain(&dir, "W1", "2027-02");
    assert!(
        e.contains(&block(&[
            &format!(
                "\npromotion star monthly if attainment >= 120%   [{}]",
                at(MEASURES, "promotion star")
            ),
            "  attainment = 1.3 → holds",
            "  triggered: in measures.csv with evidence \"attainment >= 120%\"",
        ])),
        "{e}"
    );
    assert!(e.contains("  2027-01: attainment = 1.2 → does not hold\n"), "{e}");
    assert!(e.contains("  not triggered\n  = 0: no line in payouts.csv\n"), "{e}");
    each_amount_is_explained(&paid, &e, "W1", "2027-02");
    let _ = std::fs::remove_dir_all(&dir);
}
