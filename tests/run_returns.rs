//! `claw back returns at the original rate`: a return linked to the sale it reverses (the
//! field marked `original`) is left out of the base of its own month and taken back at the
//! rate the sale's month paid. Numbers worked out by hand; both evaluators agree.

use crate::common;

use common::{rulebook, text};

/// The returns' policy: sales carry the date of the sale a return reverses (`sold_on`).
fn policy() -> String {
    common::monthly_policy_with(
        "  sold_on  date   optional original\n",
        "\
target company 1,200,000 yearly

metric revenue = sum of sales.amount
metric attainment = revenue / target

commission c on revenue by attainment marginal monthly
  below 100%  4%
  above 100%  6%
  claw back returns at the original rate
",
    )
}

// The monthly target is 100,000.
const SALES: &str = "\
deal_id,rep,day,amount,sold_on
D1,E1,2027-01-10,120000.00,
D2,E1,2027-02-10,50000.00,
R1,E1,2027-02-20,-30000.00,2027-01-10
R2,E1,2027-02-25,-5000.00,2027-02-10
R3,E1,2027-03-05,-10000.00,2026-12-15
D3,E1,2027-03-10,20000.00,
R4,E1,2027-03-20,-9000.00,2027-02-10
";

fn workdir(name: &str, policy: &str) -> std::path::PathBuf {
    common::workdir(
        "returns",
        name,
        &[
            ("r.policy", policy),
            ("roster.csv", "rep_id\nE1\n"),
            ("sales.csv", SALES),
            ("run.yaml", common::RUN_YAML),
        ],
    )
}

fn payouts(dir: &std::path::Path, engine: &str) -> String {
    let out_dir = format!("out-{engine}");
    let out = rulebook(
        dir,
        &[
            "run", "r.policy", "--config", "run.yaml", "--period", "2027-Q1", "--engine", engine, "--out", &out_dir,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::read_to_string(dir.join(out_dir).join("payouts.csv")).expect("payouts")
}

#[test]
fn a_return_is_taken_back_at_the_rate_its_sale_was_paid() {
    let dir = workdir("linked", &policy());
    // January: 120,000 of 100,000 → 100,000 × 4% + 20,000 × 6% = 5,200 (4.3333…% of the base).
    // February: 50,000 − 5,000 (R2, a return of a February sale, stays) = 45,000; R1 returns
    //   30,000 of a January sale: out of February's base, taken back at January's rate:
    //   45,000 × 4% = 1,800, and −30,000 × 5,200 / 120,000 = −1,300.
    // March: 20,000 − 10,000 (R3, a sale of the year before, whose rate the run does not
    //   know, stays) = 10,000 → 400; R4 returns 9,000 of a February sale, at February's
    //   1,800 / 45,000 = 4%: −360.
    let expected = "\
salesperson,period,component,name,base,rate,amount,policy_version
E1,2027-01,commission,c,120000.00,marginal tiers,5200.00,1
E1,2027-02,commission,c,45000.00,marginal tiers,1800.00,1
E1,2027-02,clawback,c,-30000.00,\"returns of sales of 2027-01, at the 4.3333% 2027-01 paid\",-1300.00,1
E1,2027-03,commission,c,10000.00,marginal tiers,400.00,1
E1,2027-03,clawback,c,-9000.00,\"returns of sales of 2027-02, at the 4% 2027-02 paid\",-360.00,1
";
    assert_eq!(payouts(&dir, "fast"), expected);
    assert_eq!(payouts(&dir, "reference"), expected);

    let out = rulebook(
        &dir,
        &[
            "explain", "r.policy", "--config", "run.yaml", "--rep", "E1", "--period", "2027-02",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(
            "returns of earlier periods' sales, -30000.00 in all, are left out of the base: revenue less them"
        ),
        "{said}"
    );
    assert!(said.contains("= 1800.00 (commission line of payouts.csv)"), "{said}");
    assert!(
        said.contains("returns of sales of 2027-01, at the 4.3333% 2027-01 paid: -30000.00 → -1300.00 (clawback line of payouts.csv)"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without the link, the same returns reduce the base of the month they are dated in.
#[test]
fn without_the_link_a_return_reduces_its_own_month() {
    let unlinked = policy().replace("claw back returns at the original rate", "claw back returns");
    let dir = workdir("unlinked", &unlinked);
    // February: 50,000 − 30,000 − 5,000 = 15,000 → 600. March: 20,000 − 10,000 − 9,000 =
    // 1,000 → 40.
    let got = payouts(&dir, "fast");
    let amounts: Vec<&str> = got
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').nth(1).expect("amount"))
        .collect();
    assert_eq!(amounts, ["5200.00", "600.00", "40.00"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_link_needs_a_field_marked_original() {
    let unmarked = policy().replace("  sold_on  date   optional original\n", "");
    let dir = workdir("unmarked", &unmarked);
    let out = rulebook(&dir, &["check", "r.policy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("source `sales` has no field marked `original`"), "{said}");
    let combined = policy().replace(
        "claw back returns at the original rate",
        "claw back returns at the original rate\n  year to date",
    );
    let dir = workdir("with-ytd", &combined);
    let out = rulebook(&dir, &["check", "r.policy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("`year to date` and `claw back returns at the original rate` cannot be combined"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Chinese spellings, and a translation that means the same.
#[test]
fn the_chinese_policy_says_the_same() {
    let dir = workdir("zh", &policy());
    let zh = rulebook(&dir, &["fmt", "--lang", "zh", "r.policy"]);
    assert_eq!(zh.status.code(), Some(0), "{}", text(&zh));
    let translated = std::fs::read_to_string(dir.join("r.policy")).expect("policy");
    assert!(translated.contains("sold_on  日期型  可选  原单日期"), "{translated}");
    assert!(translated.contains("按原费率追回退货"), "{translated}");
    std::fs::write(dir.join("en.policy"), policy()).expect("en");
    let diff = rulebook(&dir, &["diff", "en.policy", "r.policy"]);
    assert_eq!(diff.status.code(), Some(0), "{}", text(&diff));
    let _ = std::fs::remove_dir_all(&dir);
}
