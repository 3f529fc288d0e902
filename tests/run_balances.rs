//! Balances a run carries across months: a year-to-date true-up that claws a return back, and a
//! recoverable draw advanced in one month and recovered over the next two. Numbers by hand.

use std::path::PathBuf;
use std::process::Command;

const POLICY: &str = "\
policy \"b\"
  version \"2027.1\"
  effective 2027-01-01
  currency CNY

calendar
  assess monthly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money

roster reps
  rep_id  text  id

target company 1,200,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission ytd on revenue by attainment marginal
  below 100%  5%
  above 100%  10%
  year to date

draw advance 3,000 monthly against ytd recoverable
";

const SALES: &str = "\
deal_id,rep,day,amount
D1,E1,2027-01-15,20000.00
D2,E1,2027-02-15,80000.00
D3,E1,2027-03-15,80000.00
D4,E1,2027-04-15,-40000.00
";

fn run(name: &str, period: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("rulebook-balances-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.policy"), POLICY).unwrap();
    std::fs::write(dir.join("roster.csv"), "rep_id\nE1\n").unwrap();
    std::fs::write(dir.join("sales.csv"), SALES).unwrap();
    std::fs::write(
        dir.join("run.yaml"),
        "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args([
            "run", "b.policy", "--config", "run.yaml", "--period", period, "--out", "out",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let payouts = std::fs::read_to_string(dir.join("out/payouts.csv")).unwrap();
    (dir, payouts)
}

#[test]
fn true_up_and_a_draw_recovered_over_two_months() {
    // The monthly target is 100,000. Year to date:
    // Jan 20,000 of 100,000 (20%) → 1,000; the draw tops up 2,000, to be recovered.
    // Feb 100,000 of 200,000 (50%) → 5,000, less 1,000 paid = 4,000; 1,000 above the draw
    //     recovers 1,000 of the advance.
    // Mar 180,000 of 300,000 (60%) → 9,000, less 5,000 paid = 4,000; the last 1,000 recovered.
    let (dir, payouts) = run("q1", "2027-Q1");
    assert_eq!(
        payouts,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-01,commission,ytd,20000.00,\"marginal tiers, year-to-date true-up\",1000.00,2027.1\n\
E1,2027-01,draw,advance,1000.00,top-up to the draw,2000.00,2027.1\n\
E1,2027-02,commission,ytd,80000.00,\"marginal tiers, year-to-date true-up\",4000.00,2027.1\n\
E1,2027-02,draw,advance,4000.00,recovery of earlier advances,-1000.00,2027.1\n\
E1,2027-03,commission,ytd,80000.00,\"marginal tiers, year-to-date true-up\",4000.00,2027.1\n\
E1,2027-03,draw,advance,4000.00,recovery of earlier advances,-1000.00,2027.1\n"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_return_in_a_later_month_is_clawed_back_at_the_original_rate() {
    // April alone: the year to date is recomputed from January. 140,000 of 400,000 (35%) →
    // 7,000, but 9,000 was paid: 2,000 is clawed back, which is the 40,000 return at the 5%
    // it was paid at. The draw then guarantees 3,000 for April: 3,000 − (−2,000) = 5,000.
    let (dir, payouts) = run("apr", "2027-04");
    assert_eq!(
        payouts,
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
E1,2027-04,clawback,ytd,-40000.00,\"marginal tiers, year-to-date true-up\",-2000.00,2027.1\n\
E1,2027-04,draw,advance,-2000.00,top-up to the draw,5000.00,2027.1\n"
    );
    let _ = std::fs::remove_dir_all(dir);
}
