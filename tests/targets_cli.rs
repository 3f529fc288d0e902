//! `rulebook targets` end to end: a roster file, a run configuration, the sheet on stdout.

use std::path::PathBuf;
use std::process::Command;

fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-targets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const POLICY: &str = "\
policy \"t\"
  version \"1\"
  effective 2027-01-01
  currency CNY

roster reps
  rep_id  text  id
  region  text
  level   text
  hired   date  hired  optional

target company 1,200,000 yearly
split company by region: east 60%, west 40%
allocate region by level: senior 2, junior 1
phase company by quarter: q1 10%, q2 20%, q3 30%, q4 40%
prorate by days employed
";

#[test]
fn the_target_sheet_reconciles_and_rejects_a_duplicate_id() {
    let dir = workdir();
    std::fs::write(dir.join("t.policy"), POLICY).unwrap();
    std::fs::write(
        dir.join("roster.csv"),
        "rep_id,region,level,hired\nE1,east,senior,\nE2,east,junior,\nW1,west,senior,2027-03-11\nW1,west,senior,\n",
    )
    .unwrap();
    std::fs::write(dir.join("run.yaml"), "sources:\n  reps:\n    path: roster.csv\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(["targets", "t.policy", "--config", "run.yaml", "--period", "2027-Q1"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    // Q1 is 10% of 1,200,000 = 120,000, 40,000 a month; east 24,000 a month split 2:1.
    assert_eq!(lines[0], "salesperson,period,target,derivation");
    assert_eq!(
        lines[1],
        "E1,2027-01,16000.00,company 1200000 × phase 3.3333% × region east 60% × level senior weight 2 of 3"
    );
    assert!(lines.contains(&"E1,2027-Q1,48000.00,sum of the months"));
    assert!(lines.contains(&"E2,2027-Q1,24000.00,sum of the months"));
    // W1 joins on 11 March: 16,000 × 21/31 = 10,838.71; the west is empty before.
    assert!(lines.contains(&"W1,2027-Q1,10838.71,sum of the months"));
    assert!(lines.contains(&"(unassigned),2027-01,16000.00,no salesperson in region west"));
    assert!(lines.contains(&"(unassigned),2027-03,5161.29,proration of `W1` (21 of 31 days employed)"));
    // 48,000 + 24,000 + 10,838.71 = 82,838.71 assigned; 16,000 + 16,000 + 5,161.29 = 37,161.29 not.
    assert_eq!(
        lines.last(),
        Some(&"(company),2027-Q1,120000.00,assigned 82838.71 + unassigned 37161.29")
    );
    assert!(stderr.contains("duplicate id: `W1` is already on line 4"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
