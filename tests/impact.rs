//! The money impact of a policy change: `rulebook diff OLD NEW --config … --period …`, through
//! the binary, on the shipped example data (`examples/run.yaml`) and the policy history
//! (`policies/history/`).
//!
//! The expected differences are derived by hand, from first principles, never copied from the
//! program's output: every commission is recomputed from its base (the `base` column of the old
//! version's own `payouts.csv`) and the salesperson's monthly target (`rulebook targets`), with
//! the tiers each version writes, and rounded as each version rounds. The recomputation must
//! give the old run's amounts exactly before it is trusted to predict the new ones. The literal
//! totals were computed the same way, independently, by a short script over the same two CSV
//! files (Python's `decimal`, not this code), and the tests recompute them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::Value;

use crate::common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_rulebook");
const CONFIG: &str = "examples/run.yaml";

fn version(v: &str) -> String {
    format!("policies/history/{v}.policy")
}

/// Runs the binary in the project's directory, so that paths read as the docs write them.
fn rulebook(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("run rulebook")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// `rulebook diff OLD NEW --config examples/run.yaml --period P [--format F]`: output, status.
fn diff(old: &str, new: &str, period: &str, format: &str) -> (String, i32) {
    let out = rulebook(&[
        "diff",
        &version(old),
        &version(new),
        "--config",
        CONFIG,
        "--period",
        period,
        "--format",
        format,
    ]);
    let code = out.status.code().expect("exit status");
    assert!(
        code == 0 || code == 1,
        "diff {old} {new} failed ({code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout(&out), code)
}

fn diff_json(old: &str, new: &str, period: &str) -> (Value, i32) {
    let (text, code) = diff(old, new, period, "json");
    (serde_json::from_str(&text).expect("JSON"), code)
}

/// The JSON diff of a shipped version against a policy file elsewhere: the report and status.
fn diff_json_file(old: &str, new: &Path, period: &str) -> (Value, Option<i32>) {
    let out = rulebook(&[
        "diff",
        &version(old),
        new.to_str().expect("path"),
        "--config",
        CONFIG,
        "--period",
        period,
        "--format",
        "json",
    ]);
    let json = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|_| panic!("JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (json, out.status.code())
}

fn csv_rows(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let head: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            head.iter().cloned().zip(r.iter().map(String::from)).collect()
        })
        .collect()
}

fn dec_of(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("`{s}`: {e}"))
}

/// Each salesperson's monthly target under a version: (salesperson, month) → target.
fn targets(v: &str, period: &str) -> BTreeMap<(String, String), Decimal> {
    let out = rulebook(&["targets", &version(v), "--config", CONFIG, "--period", period]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    csv_rows(&out.stdout)
        .into_iter()
        .filter(|r| r["salesperson"].starts_with('R') && r["period"].len() == 7 && !r["period"].contains('Q'))
        .map(|r| ((r["salesperson"].clone(), r["period"].clone()), dec_of(&r["target"])))
        .collect()
}

/// Runs a version on its own (`rulebook run`) and returns its output directory.
fn run(v: &str, period: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-impact-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = rulebook(&[
        "run",
        &version(v),
        "--config",
        CONFIG,
        "--period",
        period,
        "--out",
        dir.to_str().expect("path"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn read_csv(dir: &Path, file: &str) -> Vec<BTreeMap<String, String>> {
    csv_rows(&std::fs::read(dir.join(file)).expect("output file"))
}

/// The marginal commission of the seed policy's `sales_commission` on `base` against `target`:
/// bands of attainment below 80%, 80%–100%, 100%–150%, 150%–200%, above 200% of target, so the
/// slices of revenue [0, 0.8 T), [0.8 T, T), [T, 1.5 T), [1.5 T, 2 T), [2 T, ∞), each at its rate.
/// (A version without a band above 200% pays its top rate there: give it twice.) Unrounded.
fn marginal(base: Decimal, target: Decimal, rates: [Decimal; 5]) -> Decimal {
    let bounds = [
        dec!(0),
        dec!(0.8) * target,
        target,
        dec!(1.5) * target,
        dec!(2) * target,
    ];
    let mut amount = Decimal::ZERO;
    for (i, rate) in rates.iter().enumerate() {
        let lo = bounds[i];
        let hi = bounds.get(i + 1).copied();
        if base > lo {
            let top = hi.map_or(base, |hi| base.min(hi));
            amount += (top - lo) * rate;
        }
    }
    amount
}

fn half_up(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn half_even(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

fn money(d: Decimal) -> String {
    format!("{d:.2}")
}

/// The impact's line of a salesperson and period.
fn line<'a>(json: &'a Value, rep: &str, period: &str) -> &'a Value {
    json["impact"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["salesperson"] == rep && l["period"] == period)
        .unwrap_or_else(|| panic!("no line for {rep} {period}"))
}

/// The payout of a salesperson and period under a component and name.
fn payout<'a>(json: &'a Value, rep: &str, period: &str, component: &str, name: &str) -> &'a Value {
    line(json, rep, period)["payouts"]
        .as_array()
        .expect("payouts")
        .iter()
        .find(|p| p["component"] == component && p["name"] == name)
        .unwrap_or_else(|| panic!("no {component} {name} for {rep} {period}"))
}

fn component<'a>(json: &'a Value, component: &str, name: &str) -> &'a Value {
    json["impact"]["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["component"] == component && c["name"] == name)
        .unwrap_or_else(|| panic!("no total for {component} {name}"))
}

/// The largest movers as the hand derivation ranks them: by the size of the difference, then
/// by id; nobody without a difference; ten at most.
fn expected_movers(by_rep: &BTreeMap<String, Decimal>) -> Vec<(String, String)> {
    let mut movers: Vec<(&String, &Decimal)> = by_rep.iter().filter(|(_, d)| !d.is_zero()).collect();
    movers.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0)));
    movers
        .into_iter()
        .take(10)
        .map(|(rep, d)| (rep.clone(), money(*d)))
        .collect()
}

fn movers(json: &Value) -> Vec<(String, String)> {
    json["impact"]["movers"]
        .as_array()
        .expect("movers")
        .iter()
        .map(|m| {
            (
                m["salesperson"].as_str().expect("id").to_string(),
                m["difference"].as_str().expect("amount").to_string(),
            )
        })
        .collect()
}

/// Every payout the old run made, added up: the impact's old total must be it.
fn paid(payouts: &[BTreeMap<String, String>]) -> Decimal {
    payouts.iter().map(|p| dec_of(&p["amount"])).sum()
}

/// Checks a change of tier rates over a quarter's monthly commissions, line by line, and
/// returns the expected total difference.
struct TierCheck {
    old: &'static str,
    new: &'static str,
    old_rates: [Decimal; 5],
    new_rates: [Decimal; 5],
    /// The slice of revenue whose rate changed, and by how much the rate changed.
    slice: fn(Decimal, Decimal) -> Decimal,
    rate_difference: Decimal,
}

impl TierCheck {
    fn check(&self, period: &str) -> (Value, Decimal, Vec<(String, String)>) {
        let targets = targets(self.old, period);
        assert_eq!(
            targets,
            self::targets(self.new, period),
            "both versions give the same targets"
        );
        let dir = run(self.old, period, &format!("{}-{}", self.old, self.new));
        let payouts = read_csv(&dir, "payouts.csv");
        let (json, code) = diff_json(self.old, self.new, period);
        assert_eq!(code, 1, "the versions differ in meaning");

        let mut total = Decimal::ZERO;
        let mut changed = Vec::new();
        let mut by_rep: BTreeMap<String, Decimal> = BTreeMap::new();
        for p in payouts.iter().filter(|p| p["component"] == "commission") {
            let (rep, month) = (p["salesperson"].as_str(), p["period"].as_str());
            let base = dec_of(&p["base"]);
            let target = targets[&(rep.to_string(), month.to_string())];
            let old = half_up(marginal(base, target, self.old_rates));
            // The derivation starts where the old run is: the same amount from the same base.
            assert_eq!(old, dec_of(&p["amount"]), "{rep} {month}: old commission by hand");
            let new = half_up(marginal(base, target, self.new_rates));
            // new − old = the slice × the rate difference, up to the rounding of each amount.
            let by_slice = (self.slice)(base, target) * self.rate_difference;
            assert!(
                (new - old - by_slice).abs() <= dec!(0.01),
                "{rep} {month}: {new} − {old} is not {by_slice}"
            );
            let got = payout(&json, rep, month, "commission", "sales_commission");
            assert_eq!(got["old"], money(old), "{rep} {month}");
            assert_eq!(got["new"], money(new), "{rep} {month}");
            assert_eq!(got["difference"], money(new - old), "{rep} {month}");
            if new == old {
                assert_eq!(got["cause"], Value::Null, "{rep} {month}");
            } else {
                assert_eq!(got["cause"], "commission sales_commission", "{rep} {month}");
                changed.push((rep.to_string(), month.to_string()));
            }
            total += new - old;
            *by_rep.entry(rep.to_string()).or_default() += new - old;
        }
        // Nothing but the commission moves: every other payout line is the same.
        for l in json["impact"]["lines"].as_array().expect("lines") {
            for p in l["payouts"].as_array().expect("payouts") {
                if p["component"] != "commission" {
                    assert_eq!(p["difference"], "0.00", "{l}");
                }
            }
        }
        assert_eq!(json["impact"]["total"]["old"], money(paid(&payouts)));
        assert_eq!(json["impact"]["total"]["difference"], money(total));
        assert_eq!(
            component(&json, "commission", "sales_commission")["difference"],
            money(total)
        );
        assert_eq!(movers(&json), expected_movers(&by_rep));
        let _ = std::fs::remove_dir_all(&dir);
        (json, total, changed)
    }
}

// ---------- hand-checked impacts ----------

/// 2027.2 raises the rate between 80% and 100% of target from 4% to 5%. Each month's
/// commission rises by 1% of the slice of revenue between 80% and 100% of the month's target,
/// `min(max(revenue − 0.8 T, 0), 0.2 T)`: nothing below 80%, 0.2 T × 1% = 0.2% of the target at
/// or above 100% (R00001 in January: target 270,000, revenue 341,242.27 → 54,000 × 1% = 540.00).
/// Over 2027-Q1, 46 of the 82 monthly commissions change (the others stay below 80%); the
/// differences of the rounded amounts add up to 22,512.88.
#[test]
fn rate_change_2027_1_to_2027_2_adds_one_percent_of_the_slice_between_80_and_100_percent() {
    let check = TierCheck {
        old: "2027.1",
        new: "2027.2",
        old_rates: [dec!(0.02), dec!(0.04), dec!(0.06), dec!(0.08), dec!(0.08)],
        new_rates: [dec!(0.02), dec!(0.05), dec!(0.06), dec!(0.08), dec!(0.08)],
        slice: |base, target| (base - dec!(0.8) * target).max(Decimal::ZERO).min(dec!(0.2) * target),
        rate_difference: dec!(0.01),
    };
    let (json, total, changed) = check.check("2027-Q1");
    assert_eq!(total, dec!(22512.88));
    assert_eq!(changed.len(), 46);
    let first = payout(&json, "R00001", "2027-01", "commission", "sales_commission");
    assert_eq!(
        (first["old"].as_str(), first["new"].as_str()),
        (Some("10754.54"), Some("11294.54"))
    );
    assert_eq!(json["impact"]["total"]["old"], "711586.42");
    assert_eq!(json["impact"]["total"]["new"], "734099.30");
}

/// 2027.3 adds a top tier: 10% instead of 8% above 200% of target. Only months with revenue
/// above twice the target move, by 2% of the revenue above 2 T: R00021 in February (target
/// 214,285.71, revenue 921,594.99 → 2% × 493,023.57 = 9,860.47, 9,860.48 after rounding each
/// amount) and R00011 in March (target 367,659.58, revenue 802,985.38 → 2% × 67,666.22 =
/// 1,353.32): 11,213.80 in all.
#[test]
fn new_top_tier_2027_2_to_2027_3_adds_two_percent_above_twice_the_target() {
    let check = TierCheck {
        old: "2027.2",
        new: "2027.3",
        old_rates: [dec!(0.02), dec!(0.05), dec!(0.06), dec!(0.08), dec!(0.08)],
        new_rates: [dec!(0.02), dec!(0.05), dec!(0.06), dec!(0.08), dec!(0.10)],
        slice: |base, target| (base - dec!(2) * target).max(Decimal::ZERO),
        rate_difference: dec!(0.02),
    };
    let (json, total, mut changed) = check.check("2027-Q1");
    changed.sort();
    assert_eq!(total, dec!(11213.80));
    assert_eq!(
        changed,
        [
            ("R00011".to_string(), "2027-03".to_string()),
            ("R00021".to_string(), "2027-02".to_string())
        ]
    );
    assert_eq!(
        movers(&json),
        [
            ("R00021".to_string(), "9860.48".to_string()),
            ("R00011".to_string(), "1353.32".to_string())
        ]
    );
    assert_eq!(json["impact"]["lines_changed"], 2);
}

/// 2027.6 rounds half-even instead of half-up. Only an amount exactly halfway between two
/// cents can move, and only down, by one cent, when the cent below is even. Over fiscal 2027,
/// recomputing every commission (with the yearly cap of 200,000: a month pays at most what the
/// year has left) and every launch incentive (3% of the quarter's launch revenue, from the old
/// run's scores.csv) finds three exact halves: R00018 in July (2% × 65,214.25 = 1,304.285 →
/// 1,304.28), R00012 in December (2% × 443,170.25 = 8,863.405 → 8,863.40) and R00021 in October
/// (1,244.175, whose cent below is odd: 1,244.18 either way). Bonuses and deductions are whole
/// amounts, which no rounding moves. In all −0.02, attributed to the rounding.
#[test]
fn rounding_2027_5_to_2027_6_moves_exact_halves_with_an_even_cent_down() {
    let rates = [dec!(0.02), dec!(0.05), dec!(0.06), dec!(0.08), dec!(0.10)];
    let cap = dec!(200000);
    let targets = targets("2027.5", "2027");
    assert_eq!(
        targets,
        self::targets("2027.6", "2027"),
        "both versions give the same targets"
    );
    let dir = run("2027.5", "2027", "rounding");
    let payouts = read_csv(&dir, "payouts.csv");
    let scores: BTreeMap<(String, String), BTreeMap<String, String>> = read_csv(&dir, "scores.csv")
        .into_iter()
        .map(|s| ((s["salesperson"].clone(), s["period"].clone()), s))
        .collect();
    let (json, code) = diff_json("2027.5", "2027.6", "2027");
    assert_eq!(code, 1);

    // Commissions month by month (months are labelled so that they sort in order), each paying
    // at most what is left of the yearly cap under its own version's rounding.
    let mut commissions: Vec<&BTreeMap<String, String>> =
        payouts.iter().filter(|p| p["component"] == "commission").collect();
    commissions.sort_by(|a, b| (&a["salesperson"], &a["period"]).cmp(&(&b["salesperson"], &b["period"])));
    let mut so_far: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    let mut expected: Vec<(String, String, Decimal, Decimal)> = Vec::new();
    let mut capped = 0;
    for p in commissions {
        let (rep, month) = (p["salesperson"].as_str(), p["period"].as_str());
        let x = marginal(
            dec_of(&p["base"]),
            targets[&(rep.to_string(), month.to_string())],
            rates,
        );
        let (paid_up, paid_even) = so_far.entry(rep).or_default();
        let up = half_up(x).min(cap - *paid_up);
        let even = half_even(x).min(cap - *paid_even);
        if up < half_up(x) {
            capped += 1;
        }
        *paid_up += up;
        *paid_even += even;
        assert_eq!(up, dec_of(&p["amount"]), "{rep} {month}: old commission by hand");
        expected.push((rep.to_string(), month.to_string(), up, even));
    }
    assert!(capped > 0, "the yearly cap is part of the derivation");
    for p in payouts.iter().filter(|p| p["component"] == "spif") {
        let key = (p["salesperson"].clone(), p["period"].clone());
        let x = dec!(0.03) * dec_of(&scores[&key]["launch_revenue"]);
        assert_eq!(
            half_up(x),
            dec_of(&p["amount"]),
            "{key:?}: old launch incentive by hand"
        );
        expected.push((key.0, key.1, half_up(x), half_even(x)));
    }
    for p in payouts
        .iter()
        .filter(|p| !matches!(p["component"].as_str(), "commission" | "spif"))
    {
        let amount = dec_of(&p["amount"]);
        assert_eq!(amount, amount.trunc(), "{p:?}: a whole amount");
    }

    let moved: Vec<(String, String, Decimal)> = expected
        .iter()
        .filter(|(_, _, up, even)| up != even)
        .map(|(rep, period, up, even)| (rep.clone(), period.clone(), even - up))
        .collect();
    assert_eq!(
        moved,
        [
            ("R00012".to_string(), "2027-12".to_string(), dec!(-0.01)),
            ("R00018".to_string(), "2027-07".to_string(), dec!(-0.01))
        ]
    );
    let total: Decimal = moved.iter().map(|m| m.2).sum();
    assert_eq!(total, dec!(-0.02));

    assert_eq!(json["impact"]["total"]["old"], money(paid(&payouts)));
    assert_eq!(json["impact"]["total"]["difference"], money(total));
    assert_eq!(json["impact"]["lines_changed"], 2);
    for (rep, period, difference) in &moved {
        let p = payout(&json, rep, period, "commission", "sales_commission");
        assert_eq!(p["difference"], money(*difference));
        assert_eq!(p["cause"], "policy, rounding");
    }
    assert_eq!(
        movers(&json),
        [
            ("R00012".to_string(), "-0.01".to_string()),
            ("R00018".to_string(), "-0.01".to_string())
        ],
        "ties by id"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------- one reading of the records ----------

/// Versions that declare their sources alike share one reading of the records; a version
/// whose sources differ (here an extra optional field no file has) is read on its own, and the
/// impact is the same: the rate change's +22,512.88 of Q1 either way.
#[test]
fn the_records_are_read_once_when_the_versions_read_them_alike() {
    let (json, _) = diff_json("2027.1", "2027.2", "2027-Q1");
    assert_eq!(json["impact"]["read_once"], true);
    let (text, _) = diff("2027.1", "2027.2", "2027-Q1", "text");
    assert!(text.contains("records read once for both versions;"), "{text}");

    let dir = std::env::temp_dir().join(format!("rulebook-impact-read-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = std::fs::read_to_string(Path::new(ROOT).join(version("2027.2"))).expect("policy");
    let edited = text.replace(
        "  eval_score     number  optional\n",
        "  eval_score     number  optional\n  note           text    optional\n",
    );
    assert_ne!(edited, text);
    let path = dir.join("2027.2-note.policy");
    std::fs::write(&path, edited).expect("write");
    let (apart, code) = diff_json_file("2027.1", &path, "2027-Q1");
    assert_eq!(code, Some(1));
    assert_eq!(apart["impact"]["read_once"], false);
    assert_eq!(apart["impact"]["total"]["difference"], "22512.88");
    assert_eq!(apart["impact"]["lines"], json["impact"]["lines"]);
    assert_eq!(apart["impact"]["components"], json["impact"]["components"]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------- no change, no impact ----------

#[test]
fn a_version_against_itself_has_no_impact_and_exits_0() {
    for format in ["text", "markdown", "json"] {
        let (_, code) = diff("2027.3", "2027.3", "2027-Q1", format);
        assert_eq!(code, 0, "{format}");
    }
    let (json, _) = diff_json("2027.3", "2027.3", "2027-Q1");
    let impact = &json["impact"];
    assert_eq!(json["count"], 0);
    assert_eq!(impact["lines_changed"], 0);
    assert_eq!(impact["total"]["difference"], "0.00");
    assert_eq!(impact["total"]["old"], impact["total"]["new"]);
    assert_eq!(impact["movers"], Value::Array(Vec::new()));
    let lines = impact["lines"].as_array().expect("lines");
    // 2027-Q1: 27 people in January and February, 28 in March (R00027 joins) and the quarter.
    assert_eq!(lines.len(), 27 + 27 + 28 + 28);
    for l in lines {
        assert_eq!(l["changed"], false, "{l}");
        assert_eq!(l["score"]["old"], l["score"]["new"], "{l}");
        assert_eq!(l["grade"]["old"], l["grade"]["new"], "{l}");
        assert_eq!(l["total"]["difference"], "0.00", "{l}");
        for p in l["payouts"].as_array().expect("payouts") {
            assert_eq!(p["difference"], "0.00", "{l}");
            assert_eq!(p["cause"], Value::Null, "{l}");
        }
        for m in l["measures"].as_array().expect("measures") {
            assert_eq!((&m["old"], &m["new"]), (&Value::Bool(true), &Value::Bool(true)), "{l}");
        }
    }
    for c in impact["components"].as_array().expect("components") {
        assert_eq!(c["difference"], "0.00", "{c}");
    }
    let (text, _) = diff("2027.3", "2027.3", "2027-Q1", "text");
    assert!(text.contains("no changes in meaning"), "{text}");
    assert!(text.contains("largest movers: none"), "{text}");
    assert!(text.contains("none of 110 salesperson-periods changed"), "{text}");
}

/// Changes only to tests and the header's bookkeeping are changes (exit 1), but move no money.
#[test]
fn changes_that_cannot_move_money_have_no_impact() {
    let dir = std::env::temp_dir().join(format!("rulebook-impact-tests-only-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = std::fs::read_to_string(Path::new(ROOT).join(version("2027.2"))).expect("policy");
    let edited = text
        .replace("version \"2027.2\"", "version \"2027.2a\"")
        .replace("expect launch_spif = 6,000", "expect launch_spif = 6000");
    let edited = edited.replace(
        "test \"launch incentive\"",
        "test \"no launch incentive below three deals\"\n  given launch_revenue 200,000 and launch_deals 2\n  expect launch_spif = 0\n\ntest \"launch incentive\"",
    );
    let path = dir.join("2027.2a.policy");
    std::fs::write(&path, edited).expect("write");
    let (json, code) = diff_json_file("2027.2", &path, "2027-Q1");
    assert_eq!(code, Some(1));
    assert_eq!(json["count"], 2, "{json}");
    assert_eq!(json["impact"]["lines_changed"], 0);
    assert_eq!(json["impact"]["total"]["difference"], "0.00");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------- attribution ----------

/// 2027.5 revises the target and the regional split: two items, neither named like a payout,
/// so every difference they make is "several changes".
#[test]
fn differences_from_several_changes_are_not_attributed_to_one() {
    let (json, code) = diff_json("2027.4", "2027.5", "2027-Q1");
    assert_eq!(code, 1);
    let mut differences = 0;
    for l in json["impact"]["lines"].as_array().expect("lines") {
        for p in l["payouts"].as_array().expect("payouts") {
            if p["difference"] == "0.00" {
                assert_eq!(p["cause"], Value::Null, "{l}");
            } else {
                differences += 1;
                assert_eq!(p["cause"], "several changes", "{l}");
            }
        }
    }
    assert!(differences > 0);
    assert_eq!(
        component(&json, "commission", "sales_commission")["cause"],
        "several changes"
    );
}

/// 2027.4 adds the measure `visit_notice`: salespeople who now get it are attributed to it.
#[test]
fn a_new_measure_is_attributed_to_the_discipline() {
    let (json, code) = diff_json("2027.3", "2027.4", "2027-Q2");
    assert_eq!(code, 1);
    let mut taken = Vec::new();
    for l in json["impact"]["lines"].as_array().expect("lines") {
        for m in l["measures"].as_array().expect("measures") {
            if m["old"] != m["new"] {
                assert_eq!(m["measure"], "visit_notice", "{l}");
                assert_eq!((&m["old"], &m["new"]), (&Value::Bool(false), &Value::Bool(true)));
                assert_eq!(m["cause"], "discipline, measure visit_notice");
                assert_eq!(l["changed"], true);
                taken.push(l["salesperson"].as_str().expect("id").to_string());
            } else {
                assert_eq!(m["cause"], Value::Null);
            }
        }
    }
    assert!(!taken.is_empty());
    // A notice costs nothing.
    assert_eq!(json["impact"]["total"]["difference"], "0.00");
    assert_eq!(json["impact"]["movers"], Value::Array(Vec::new()));
}

// ---------- formats ----------

#[test]
fn the_json_has_stable_fields() {
    let (json, _) = diff_json("2027.3", "2027.4", "2027-Q2");
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |k: &[&str]| -> Vec<String> {
        let mut k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&json), sorted(&["old", "new", "count", "changes", "impact"]));
    let impact = &json["impact"];
    assert_eq!(
        keys(impact),
        sorted(&[
            "period",
            "config",
            "sources",
            "read_once",
            "decimals",
            "rejected_rows",
            "lines_changed",
            "total",
            "components",
            "movers",
            "lines",
        ])
    );
    assert_eq!(impact["period"], "2027-Q2");
    assert_eq!(impact["config"], CONFIG);
    assert_eq!(impact["decimals"], 2);
    assert_eq!(keys(&impact["rejected_rows"]), sorted(&["old", "new"]));
    assert_eq!(keys(&impact["total"]), sorted(&["old", "new", "difference"]));
    let amounts = sorted(&["component", "name", "old", "new", "difference", "cause"]);
    for c in impact["components"].as_array().expect("components") {
        assert_eq!(keys(c), amounts);
    }
    let lines = impact["lines"].as_array().expect("lines");
    for l in lines {
        assert_eq!(
            keys(l),
            sorted(&[
                "salesperson",
                "period",
                "changed",
                "score",
                "grade",
                "total",
                "payouts",
                "measures"
            ])
        );
        assert_eq!(keys(&l["score"]), sorted(&["old", "new", "difference"]));
        assert_eq!(keys(&l["grade"]), sorted(&["old", "new"]));
        for p in l["payouts"].as_array().expect("payouts") {
            assert_eq!(keys(p), amounts);
        }
        for m in l["measures"].as_array().expect("measures") {
            assert_eq!(keys(m), sorted(&["measure", "old", "new", "cause"]));
        }
    }
    // By salesperson, then period: the months, then the quarter.
    let order: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["salesperson"].as_str().unwrap().into(),
                l["period"].as_str().unwrap().into(),
            )
        })
        .collect();
    let r1: Vec<&str> = order
        .iter()
        .filter(|(r, _)| r == "R00001")
        .map(|(_, p)| p.as_str())
        .collect();
    assert_eq!(r1, ["2027-04", "2027-05", "2027-06", "2027-Q2"]);
    let reps: Vec<&str> = order.iter().map(|(r, _)| r.as_str()).collect();
    assert!(reps.windows(2).all(|w| w[0] <= w[1]), "by salesperson");

    let (json, _) = diff_json("2027.1", "2027.2", "2027-Q1");
    for m in json["impact"]["movers"].as_array().expect("movers") {
        assert_eq!(keys(m), sorted(&["salesperson", "old", "new", "difference"]));
    }
}

#[test]
fn the_same_inputs_give_the_same_report() {
    for format in ["text", "markdown", "json"] {
        let first = diff("2027.4", "2027.5", "2027-Q1", format);
        let second = diff("2027.4", "2027.5", "2027-Q1", format);
        assert_eq!(first, second, "{format}");
    }
}

#[test]
fn markdown_renders_tables() {
    let (md, code) = diff("2027.1", "2027.2", "2027-Q1", "markdown");
    assert_eq!(code, 1);
    assert!(md.starts_with("# Policy changes\n"), "the diff's report comes first");
    for expected in [
        "\n## Money impact\n",
        "run configuration `examples/run.yaml`",
        "\n### Totals\n\n| component | name | old | new | difference | cause |\n|---|---|---:|---:|---:|---|\n",
        "| commission | sales_commission | 679086.42 | 701599.30 | +22512.88 | commission sales_commission |\n",
        "| total |  | 711586.42 | 734099.30 | +22512.88 |  |\n",
        "\n### Largest movers\n\n| salesperson | old | new | difference |\n|---|---:|---:|---:|\n",
        "\n### By salesperson and period\n\n46 of 110 salesperson-periods changed.\n",
        "\n### Payout lines that changed\n\n| salesperson | period | component | name | old | new | difference | cause |\n",
        "| R00001 | 2027-01 | commission | sales_commission | 10754.54 | 11294.54 | +540.00 | commission sales_commission |\n",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    // Every row of a table has as many cells as its header (`\|` is a bar inside a cell).
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    let mut header: Option<usize> = None;
    for l in md.lines() {
        if l.starts_with('|') {
            let n = *header.get_or_insert(cells(l));
            assert_eq!(cells(l), n, "{l}");
        } else {
            header = None;
        }
    }
}

/// The text report of the new top tier, read and checked against the derivation of
/// `new_top_tier_2027_2_to_2027_3_adds_two_percent_above_twice_the_target`.
#[test]
fn text_report_of_the_new_top_tier() {
    let (text, code) = diff("2027.2", "2027.3", "2027-Q1", "text");
    assert_eq!(code, 1);
    insta::assert_snapshot!(text);
}

// ---------- trouble ----------

#[test]
fn trouble_exits_2() {
    let p1 = version("2027.1");
    let p2 = version("2027.2");
    // --config without --period, and the other way round.
    assert_eq!(rulebook(&["diff", &p1, &p2, "--config", CONFIG]).status.code(), Some(2));
    assert_eq!(
        rulebook(&["diff", &p1, &p2, "--period", "2027-Q1"]).status.code(),
        Some(2)
    );
    // A configuration that cannot be read, a period that is not one, a source that is missing.
    let args = |extra: &[&str]| {
        let mut a = vec!["diff", p1.as_str(), p2.as_str()];
        a.extend_from_slice(extra);
        rulebook(&a)
    };
    for extra in [
        &["--config", "examples/none.yaml", "--period", "2027-Q1"][..],
        &["--config", CONFIG, "--period", "2027-Q9"],
        &[
            "--config",
            CONFIG,
            "--period",
            "2027-Q1",
            "--source",
            "sales=examples/none.csv",
        ],
    ] {
        let out = args(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(out.stdout.is_empty(), "{extra:?}: nothing is reported");
    }
}

/// A version read from standard input is run as it was read for the diff: the report is the
/// one its file gives, but for the name the old version goes by.
#[test]
fn a_version_from_standard_input_is_run_too() {
    let (p1, p2) = (version("2027.1"), version("2027.2"));
    let from_file = rulebook(&["diff", &p1, &p2, "--config", CONFIG, "--period", "2027-Q1"]);
    let from_stdin = Command::new(BIN)
        .args(["diff", "-", &p2, "--config", CONFIG, "--period", "2027-Q1"])
        .current_dir(ROOT)
        .stdin(std::fs::File::open(Path::new(ROOT).join(&p1)).expect("policy"))
        .output()
        .expect("run");
    assert_eq!(from_stdin.status.code(), Some(1));
    let (file, stdin) = (stdout(&from_file), stdout(&from_stdin));
    assert!(stdin.starts_with("- (version \"2027.1\""), "{stdin}");
    assert!(stdin.contains("money impact"), "{stdin}");
    // The first line names the old version; the rest is the same to the byte.
    let rest = |report: &str| report.split_once('\n').map(|(_, rest)| rest.to_string());
    assert_eq!(rest(&stdin), rest(&file));
}

#[test]
fn without_config_the_diff_is_unchanged() {
    let out = rulebook(&["diff", &version("2027.1"), &version("2027.2"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert!(json.get("impact").is_none());
    let text = stdout(&rulebook(&["diff", &version("2027.1"), &version("2027.2")]));
    assert!(!text.contains("money impact"));
}

/// A version and its translation into Chinese keywords are the same policy: no change in
/// meaning, and the same results to the cent.
#[test]
fn a_version_and_its_translation_have_no_impact() {
    use std::io::Write;
    let mut fmt = Command::new(BIN)
        .args(["fmt", "--lang", "zh", "-"])
        .current_dir(ROOT)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("fmt");
    let text = std::fs::read(Path::new(ROOT).join(version("2027.2"))).expect("policy");
    fmt.stdin.take().expect("stdin").write_all(&text).expect("write");
    let out = fmt.wait_with_output().expect("fmt output");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let zh = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(zh != String::from_utf8_lossy(&text), "translated");
    let dir = std::env::temp_dir().join(format!("rulebook-impact-zh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("2027.2.zh.policy");
    std::fs::write(&path, zh).expect("write");
    let out = rulebook(&[
        "diff",
        &version("2027.2"),
        path.to_str().expect("path"),
        "--config",
        CONFIG,
        "--period",
        "2027-Q2",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["impact"]["lines_changed"], 0);
    assert_eq!(json["impact"]["total"]["difference"], "0.00");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn payouts_too_large_to_total_exactly_are_an_error_not_a_panic() {
    // A monthly bonus of 7 × 10^27, then 7.1 × 10^27: a month's payouts and their difference
    // fit an exact decimal (at most about 7.9 × 10^28), a year's total (8.4 × 10^28) does not.
    let policy = |version: &str, bonus: &str| {
        common::monthly_policy(&format!(
            "metric revenue = sum of sales.amount\n\nbonus b {bonus} monthly if revenue >= 1\n"
        ))
        .replace("version \"1\"", &format!("version \"{version}\""))
    };
    let sales: String = (1..=12).map(|m| format!("D{m},E1,2027-{m:02}-05,100.00\n")).collect();
    let dir = common::workdir(
        "impact",
        "too-large",
        &[
            ("old.policy", &policy("1", "7,000,000,000,000,000,000,000,000,000")),
            ("new.policy", &policy("2", "7,100,000,000,000,000,000,000,000,000")),
            ("roster.csv", "rep_id\nE1\n"),
            ("sales.csv", &format!("deal_id,rep,day,amount\n{sales}")),
            ("run.yaml", common::RUN_YAML),
        ],
    );
    let diff = |period: &str| {
        common::rulebook(
            &dir,
            &[
                "diff",
                "old.policy",
                "new.policy",
                "--config",
                "run.yaml",
                "--period",
                period,
            ],
        )
    };
    let year = diff("2027");
    let said = common::text(&year);
    assert_eq!(year.status.code(), Some(2), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(
        said.contains("error: the two versions' payouts add up to more than an exact decimal holds"),
        "{said}"
    );
    // One month fits: the report shows the difference, 10^26, and says the versions differ.
    let month = diff("2027-01");
    let said = common::text(&month);
    assert_eq!(month.status.code(), Some(1), "{said}");
    assert!(said.contains("+100000000000000000000000000.00"), "{said}");
}
