//! The target sheet on a small company, with every number worked out by hand.

use std::collections::BTreeMap;

use jiff::civil::date;
use rulebook::check::check_source;
use rulebook::eval::calendar::FiscalCalendar;
use rulebook::eval::targets::{RosterEntry, Step, target_amounts, target_sheet};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const POLICY: &str = "\
policy \"t\"
  version \"1\"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

roster reps
  rep_id  text  id
  region  text
  level   text
  hired   date  hired  optional
  left    date  left   optional

target company 1,200,000 yearly
  revised 2027-07-01 to 2,400,000 because \"doubled\"

split company by region: east 60%, west 40%
allocate region by level: senior 2, junior 1
phase company by quarter: q1 10%, q2 20%, q3 30%, q4 40%
prorate by days employed
";

fn rep(id: &str, region: &str, level: &str, hired: Option<jiff::civil::Date>) -> RosterEntry {
    let attrs = BTreeMap::from([
        ("region".to_string(), region.to_string()),
        ("level".to_string(), level.to_string()),
    ]);
    RosterEntry {
        id: id.into(),
        attrs,
        amounts: BTreeMap::new(),
        hired,
        left: None,
    }
}

#[test]
fn targets_split_allocate_phase_and_prorate_exactly() {
    let checked = check_source(POLICY);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let roster = vec![
        rep("E1", "east", "senior", None),
        rep("E2", "east", "junior", None),
        rep("W1", "west", "senior", Some(date(2027, 3, 11))),
    ];
    let sheet = target_sheet(&checked.parsed.policy, &checked.model, &roster, 2027).unwrap();
    let cal = FiscalCalendar::new(1);
    let jan = cal.parse("2027-01").unwrap();
    // January: 1,200,000 × 10% / 3 = 40,000. East 60% = 24,000: E1 (senior, 2 of 3) 16,000,
    // E2 8,000. West 40% = 16,000 has nobody in January (W1 joins in March).
    let line = |rep: &str, m| {
        sheet
            .lines
            .iter()
            .find(|l| l.rep == rep && l.month == m)
            .map(|l| l.amount)
    };
    assert_eq!(line("E1", jan), Some(dec!(16000)));
    assert_eq!(line("E2", jan), Some(dec!(8000)));
    assert_eq!(line("W1", jan), None);
    let jan_unassigned: Vec<_> = sheet.unassigned.iter().filter(|u| u.month == jan).collect();
    assert_eq!(jan_unassigned.len(), 1);
    assert_eq!(jan_unassigned[0].amount, dec!(16000));
    assert_eq!(jan_unassigned[0].reason, "no salesperson in region west");
    // March: W1 alone in the west carries 16,000, prorated 21/31 (hired the 11th):
    // 16,000 × 21 / 31 = 10,838.709… → 10,838.71; the remaining 5,161.29 is unassigned.
    let mar = cal.parse("2027-03").unwrap();
    assert_eq!(line("W1", mar), Some(dec!(10838.71)));
    let w1 = sheet.lines.iter().find(|l| l.rep == "W1" && l.month == mar).unwrap();
    assert_eq!(
        w1.steps.last(),
        Some(&Step::Prorate {
            days: 21,
            of_days: 31,
            amount: dec!(10838.71)
        })
    );
    // July: the revised 2,400,000 × 30% / 3 = 240,000; east 144,000 → E1 96,000.
    let jul = cal.parse("2027-07").unwrap();
    assert_eq!(line("E1", jul), Some(dec!(96000)));
    // Every month reconciles: lines plus unassigned equal the month's company target.
    for (month, amount) in &sheet.months {
        let assigned: Decimal = sheet.lines.iter().filter(|l| l.month == *month).map(|l| l.amount).sum();
        let left: Decimal = sheet
            .unassigned
            .iter()
            .filter(|u| u.month == *month)
            .map(|u| u.amount)
            .sum();
        assert_eq!(assigned + left, *amount, "{month:?}");
    }
    // The year: 6 months of 1,200,000 phasing (10% + 20% = 30% → 360,000) and 6 months of the
    // revised 2,400,000 (30% + 40% = 70% → 1,680,000) = 2,040,000.
    let year: Decimal = sheet.months.iter().map(|(_, a)| *a).sum();
    assert_eq!(year, dec!(2040000));
    // E1's first quarter: 3 × 16,000 = 48,000.
    assert_eq!(sheet.target(&cal, "E1", cal.parse("2027-Q1").unwrap()), dec!(48000));
}

#[test]
fn parts_are_exact_to_the_cent_with_awkward_weights() {
    let policy = POLICY
        .replace("1,200,000", "1,000,000.01")
        .replace("  revised 2027-07-01 to 2,400,000 because \"doubled\"\n", "")
        .replace("senior 2, junior 1", "senior 1.5, junior 0.7");
    let checked = check_source(&policy);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let roster = vec![
        rep("E1", "east", "senior", None),
        rep("E2", "east", "junior", None),
        rep("E3", "east", "junior", None),
        rep("W1", "west", "senior", None),
    ];
    let sheet = target_sheet(&checked.parsed.policy, &checked.model, &roster, 2027).unwrap();
    assert!(sheet.unassigned.is_empty());
    for (month, amount) in &sheet.months {
        let assigned: Decimal = sheet.lines.iter().filter(|l| l.month == *month).map(|l| l.amount).sum();
        assert_eq!(assigned, *amount);
        for l in sheet.lines.iter().filter(|l| l.month == *month) {
            assert_eq!(l.amount, l.amount.round_dp(2), "{} is not whole cents", l.amount);
        }
    }
    // 100,000,001 cents over month weights 1,1,1,2,2,2,3,3,3,4,4,4 (sum 30): the floors add up
    // to 99,999,996, and the 5 cents left go to the largest remainders: 22/30 for each month of
    // q2, then 14/30 for October and November (the earlier of the equal q4 months).
    let got: Vec<Decimal> = sheet.months.iter().map(|(_, a)| *a).collect();
    assert_eq!(got[0], dec!(33333.33));
    assert_eq!(got[3], dec!(66666.67));
    assert_eq!(got[6], dec!(100000.00));
    assert_eq!(
        (got[9], got[10], got[11]),
        (dec!(133333.34), dec!(133333.34), dec!(133333.33))
    );
    assert_eq!(got.iter().sum::<Decimal>(), dec!(1000000.01));
}

#[test]
fn the_amounts_alone_are_the_sheet_without_its_derivations() {
    let checked = check_source(POLICY);
    let roster = vec![
        rep("E1", "east", "senior", None),
        rep("E2", "east", "junior", None),
        rep("W1", "west", "senior", Some(date(2027, 3, 11))),
    ];
    let (policy, model) = (&checked.parsed.policy, &checked.model);
    let full = target_sheet(policy, model, &roster, 2027).unwrap();
    let amounts = target_amounts(policy, model, &roster, 2027).unwrap();
    // W1's March line is derived in five steps: in force, phase, split, allocate, prorate.
    let cal = FiscalCalendar::new(1);
    let mar = cal.parse("2027-03").unwrap();
    let w1 = |sheet: &rulebook::eval::targets::TargetSheet| {
        (sheet.lines.iter())
            .find(|l| l.rep == "W1" && l.month == mar)
            .map(|l| (l.amount, l.steps.len()))
    };
    assert_eq!(w1(&full), Some((dec!(10838.71), 5)));
    assert_eq!(w1(&amounts), Some((dec!(10838.71), 0)));
    let lines = |sheet: &rulebook::eval::targets::TargetSheet| -> Vec<_> {
        sheet.lines.iter().map(|l| (l.rep.clone(), l.month, l.amount)).collect()
    };
    assert_eq!(lines(&full), lines(&amounts));
    // The unassigned amounts keep their reasons, which name the split they fell in.
    assert_eq!(full.unassigned, amounts.unassigned);
    assert!(
        amounts
            .unassigned
            .iter()
            .any(|u| u.reason == "no salesperson in region west")
    );
    assert_eq!(full.months, amounts.months);
}

/// A roster large enough for the months to be divided on several threads gives the sheet in
/// the same order and to the same cent: 1,200 salespeople, east and west alike.
#[test]
fn a_large_roster_is_divided_month_by_month_in_order() {
    let checked = check_source(POLICY);
    let (policy, model) = (&checked.parsed.policy, &checked.model);
    let roster: Vec<RosterEntry> = (0..1200)
        .map(|i| {
            let region = if i % 2 == 0 { "east" } else { "west" };
            let level = if i % 3 == 0 { "senior" } else { "junior" };
            rep(&format!("R{i:04}"), region, level, None)
        })
        .collect();
    let sheet = target_amounts(policy, model, &roster, 2027).unwrap();
    assert_eq!(sheet.lines.len(), 1200 * 12);
    // By salesperson, then month.
    assert!(
        sheet
            .lines
            .windows(2)
            .all(|w| (&w[0].rep, w[0].month) < (&w[1].rep, w[1].month))
    );
    let months: Vec<u8> = sheet.months.iter().map(|(m, _)| m.index).collect();
    assert_eq!(months, (1..=12).collect::<Vec<u8>>());
    // January: 1,200,000 × 10% / 3 = 40,000.00; east 60% = 24,000.00 over 600 people, 200
    // seniors weighing 2 and 400 juniors weighing 1: 24,000 / 800 = 30.00 a weight.
    let cal = FiscalCalendar::new(1);
    let jan = cal.parse("2027-01").unwrap();
    let of = |rep: &str| {
        sheet
            .lines
            .iter()
            .find(|l| l.rep == rep && l.month == jan)
            .unwrap()
            .amount
    };
    assert_eq!(of("R0000"), dec!(60.00));
    assert_eq!(of("R0002"), dec!(30.00));
    // West: 16,000.00 over 200 seniors (R0003, R0009, …) and 400 juniors: 20.00 a weight.
    assert_eq!(of("R0003"), dec!(40.00));
    assert_eq!(of("R0001"), dec!(20.00));
    // The months add up to the year's target as revised in July: the first half's 10% + 20% of
    // 1,200,000 and the second half's 30% + 40% of 2,400,000, 360,000 + 1,680,000.
    let total: Decimal = sheet.lines.iter().map(|l| l.amount).sum();
    assert_eq!(total, dec!(2_040_000));
    assert!(sheet.unassigned.is_empty());
}

#[test]
fn weights_too_large_to_add_up_are_an_error_not_a_panic() {
    // Eight seniors of weight 10^28 − 1 in one region: their sum does not fit an exact decimal.
    let policy = POLICY.replace(
        "senior 2, junior 1",
        "senior 9,999,999,999,999,999,999,999,999,999, junior 1",
    );
    let checked = check_source(&policy);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let roster: Vec<RosterEntry> = (1..=8).map(|i| rep(&format!("E{i}"), "east", "senior", None)).collect();
    let error = target_sheet(&checked.parsed.policy, &checked.model, &roster, 2027).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the weights of the allocation by level add up to more than an exact number holds"
    );
}
