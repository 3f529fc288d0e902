//! `rulebook run` over a policy history (`policies/history/`): each period is computed under the
//! version in force at its start, every line names it, and a version taking effect inside an
//! assessment period is refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-history-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(policy: &Path, period: &str, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .arg("run")
        .arg(policy)
        .arg("--config")
        .arg(Path::new(ROOT).join("examples/run.yaml"))
        .args(["--period", period, "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// payouts.csv lines of `period`.
fn lines_of(dir: &Path, period: &str) -> Vec<String> {
    fs::read_to_string(dir.join("payouts.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.split(',').nth(1) == Some(period))
        .map(str::to_string)
        .collect()
}

#[test]
fn each_month_under_the_version_in_force_at_its_start() {
    let out = temp("q1");
    let history = Path::new(ROOT).join("policies/history");
    // 2027.1 takes effect on 2027-01-01, 2027.2 (a higher rate in the 80%–100% tier) on
    // 2027-02-01: January is paid under 2027.1, February and March under 2027.2, and the
    // first quarter's review under 2027.1, the version in force on 2027-01-01.
    let r = run(&history, "2027-Q1", &out.join("history"));
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let alone_1 = out.join("v1");
    let alone_2 = out.join("v2");
    assert!(
        run(&history.join("2027.1.policy"), "2027-Q1", &alone_1)
            .status
            .success()
    );
    assert!(
        run(&history.join("2027.2.policy"), "2027-Q1", &alone_2)
            .status
            .success()
    );
    let dir = out.join("history");
    for (period, alone, version) in [
        ("2027-01", &alone_1, "2027.1"),
        ("2027-02", &alone_2, "2027.2"),
        ("2027-03", &alone_2, "2027.2"),
        ("2027-Q1", &alone_1, "2027.1"),
    ] {
        let mine = lines_of(&dir, period);
        assert!(!mine.is_empty(), "{period}");
        assert!(
            mine.iter().all(|l| l.ends_with(&format!(",{version}"))),
            "{period}: {mine:?}"
        );
        assert_eq!(mine, lines_of(alone, period), "{period}");
    }
    // The rate change makes February differ between the two versions.
    assert_ne!(lines_of(&alone_1, "2027-02"), lines_of(&alone_2, "2027-02"));
    let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"versions\""), "{manifest}");
    assert!(manifest.contains("2027.1.policy") && manifest.contains("2027.2.policy"));
    assert!(
        !manifest.contains("2027.3.policy"),
        "only the versions applied are listed"
    );
    let _ = fs::remove_dir_all(&out);
}

fn copy_history(to: &Path) {
    for entry in fs::read_dir(Path::new(ROOT).join("policies/history")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn a_version_taking_effect_inside_a_month_is_refused() {
    let out = temp("inside");
    let history = out.join("history");
    fs::create_dir_all(&history).unwrap();
    copy_history(&history);
    let file = history.join("2027.2.policy");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("effective 2027-02-01", "effective 2027-02-15")).unwrap();
    let r = run(&history, "2027-Q1", &out.join("o"));
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("takes effect on 2027-02-15, inside the assessment period 2027-02"),
        "{err}"
    );
    assert!(err.contains("2027-02-01 or on 2027-03-01"), "{err}");
    assert!(!out.join("o").exists(), "nothing is written");
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn two_versions_on_the_same_day_are_refused() {
    let out = temp("same-day");
    let history = out.join("history");
    fs::create_dir_all(&history).unwrap();
    copy_history(&history);
    let file = history.join("2027.3.policy");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("effective 2027-04-01", "effective 2027-02-01")).unwrap();
    let r = run(&history, "2027-Q1", &out.join("o"));
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("both take effect on 2027-02-01"));
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn a_run_over_a_history_re_performs() {
    let out = temp("verify");
    let history = out.join("history");
    fs::create_dir_all(&history).unwrap();
    copy_history(&history);
    let r = run(&history, "2027-Q1", &out.join("run"));
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .arg("verify")
            .arg(out.join("run"))
            .output()
            .unwrap()
    };
    let v = verify();
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(text(&v).contains("verified: 5 files identical"), "{}", text(&v));
    // Each version applied is checked by its own hash: one changed is named.
    let v2 = history.join("2027.2.policy");
    let text2 = fs::read_to_string(&v2).unwrap();
    fs::write(&v2, format!("{text2}\n")).unwrap();
    let v = verify();
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("2027.2.policy` (a version of the policy)"),
        "{}",
        text(&v)
    );
}
