//! A deal shared between two people, with separate credit for attainment and for payout, and
//! a duplicate record rejected. Numbers by hand.

use std::process::Command;

const POLICY: &str = "\
policy \"c\"
  version \"1\"
  effective 2027-01-01
  currency CNY

calendar
  assess monthly

source sales
  share_id     text     key
  deal_id      text
  rep          text     salesperson
  day          date     dated
  amount       money
  credit       percent
  payout_share percent

roster reps
  rep_id  text  id

target company 2,400,000 yearly

metric credited = sum of (sales.amount * sales.credit)
metric paid_on = sum of (sales.amount * sales.payout_share)
metric attainment = credited / target

commission c on paid_on by attainment marginal
  below 100%  5%
  above 100%  10%
  gate attainment >= 50%
";

#[test]
fn a_split_deal_is_credited_to_two_people() {
    let dir = std::env::temp_dir().join(format!("rulebook-credit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("c.policy"), POLICY).unwrap();
    std::fs::write(dir.join("roster.csv"), "rep_id\nA\nB\n").unwrap();
    // Deal D1 of 150,000: A gets 100% attainment credit and 60% of the payout, B 50% and 40%.
    std::fs::write(
        dir.join("sales.csv"),
        "share_id,deal_id,rep,day,amount,credit,payout_share\n\
S1,D1,A,2027-01-10,150000.00,100%,60%\n\
S2,D1,B,2027-01-10,150000.00,50%,40%\n\
S2,D1,B,2027-01-10,150000.00,50%,40%\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("run.yaml"),
        "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args([
            "run", "c.policy", "--config", "run.yaml", "--period", "2027-01", "--out", "out",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |f: &str| std::fs::read_to_string(dir.join("out").join(f)).unwrap();
    // Monthly target per person: 2,400,000 / 12 / 2 = 100,000.
    // A: credited 150,000 (150%), paid on 90,000: the base per point of attainment is
    //    90,000 / 1.5 = 60,000, so 60,000 × 5% + 30,000 × 10% = 6,000.
    // B: credited 75,000 (75%), paid on 60,000, all below 100%: 60,000 × 5% = 3,000.
    assert_eq!(
        read("payouts.csv"),
        "salesperson,period,component,name,base,rate,amount,policy_version\n\
A,2027-01,commission,c,90000.00,marginal tiers,6000.00,1\n\
B,2027-01,commission,c,60000.00,marginal tiers,3000.00,1\n"
    );
    assert_eq!(
        read("rejects.csv"),
        "file,line,column,field,value,reason\nsales.csv,4,1,share_id,S2,duplicate key: `S2` is already on line 3\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
