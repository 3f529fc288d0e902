//! `rulebook verify` re-performs a run from its manifest: on a copy of the example data set, a
//! run verifies; a changed input, a changed policy or an edited output is named; a directory
//! without a manifest is an error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rulebook::input::hash::sha256_file;

const POLICY: &str = "policies/sales-strategy.en.policy";
const PERIOD: &str = "2027-Q1";

/// A copy of `examples/` and the seed policy in a fresh directory, laid out as in the
/// repository, so the run's relative paths are the README's.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-verify-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.join("examples")).unwrap();
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    for entry in std::fs::read_dir(repo.join("examples")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.join("examples").join(entry.file_name())).unwrap();
        }
    }
    std::fs::copy(repo.join(POLICY), dir.join(POLICY)).unwrap();
    // verify's own temporary directory goes here (TMPDIR), so the tests can see it is removed.
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    dir
}

fn rulebook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(args)
        .current_dir(dir)
        .env("TMPDIR", dir.join("tmp"))
        .output()
        .unwrap()
}

fn run(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec![
        "run",
        POLICY,
        "--config",
        "examples/run.yaml",
        "--period",
        PERIOD,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    let o = rulebook(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Standard output and standard error together, for messages whichever stream they are on.
fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Changes the digit before the decimal point of the first amount on line `line` (1-based) of
/// `path`: one byte, the rest of the file untouched. Returns the line before and after.
fn change_one_digit(path: &Path, line: usize) -> (String, String) {
    let mut bytes = std::fs::read(path).unwrap();
    let start: usize = bytes
        .split_inclusive(|b| *b == b'\n')
        .take(line - 1)
        .map(<[u8]>::len)
        .sum();
    let end = start + bytes[start..].iter().position(|b| *b == b'\n').unwrap();
    let before = String::from_utf8(bytes[start..end].to_vec()).unwrap();
    let dot = start
        + bytes[start..end]
            .windows(2)
            .position(|w| w[0].is_ascii_digit() && w[1] == b'.')
            .unwrap();
    bytes[dot] = if bytes[dot] == b'7' { b'8' } else { b'7' };
    let after = String::from_utf8(bytes[start..end].to_vec()).unwrap();
    std::fs::write(path, bytes).unwrap();
    (before, after)
}

fn assert_tmp_is_empty(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir.join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "verify left {left:?} behind");
}

#[test]
fn a_run_verifies_and_the_temporary_directory_is_removed() {
    let dir = workdir("ok");
    run(&dir, "out", &[]);
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("verified: 5 files identical"), "{}", text(&o));
    assert_tmp_is_empty(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_with_source_overrides_verifies_from_another_directory_with_root() {
    let dir = workdir("root");
    std::fs::copy(dir.join("examples/sales.csv"), dir.join("sales-copy.csv")).unwrap();
    run(&dir, "out", &["--source", "sales=sales-copy.csv"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["arguments"]["sources"],
        serde_json::json!(["sales=sales-copy.csv"])
    );
    assert!(
        manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["source"] == "sales" && i["file"] == "sales-copy.csv")
    );
    // From elsewhere the relative paths are not found, unless --root says where they are.
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("tmp")).unwrap();
    let o = rulebook(&elsewhere, &["verify", "../out"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--root"), "{}", text(&o));
    let o = rulebook(&elsewhere, &["verify", "../out", "--root", ".."]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("verified: 5 files identical"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_changed_byte_of_an_input_names_that_file() {
    let dir = workdir("input");
    run(&dir, "out", &[]);
    change_one_digit(&dir.join("examples/sales.csv"), 3);
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("changed since the run: `examples/sales.csv`"), "{t}");
    assert_eq!(t.matches("changed since the run:").count(), 1, "{t}");
    assert!(t.contains("not re-performed"), "{t}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_changed_or_missing_policy_is_named() {
    let dir = workdir("policy");
    run(&dir, "out", &[]);
    let policy = dir.join(POLICY);
    let mut text_of_policy = std::fs::read(&policy).unwrap();
    text_of_policy.push(b'\n');
    std::fs::write(&policy, &text_of_policy).unwrap();
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!("changed since the run: `{POLICY}` (the policy)")),
        "{t}"
    );
    assert_eq!(t.matches("changed since the run:").count(), 1, "{t}");

    std::fs::remove_file(&policy).unwrap();
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("`{POLICY}` (the policy) is missing")),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_edited_output_shows_the_differing_line() {
    let dir = workdir("output");
    run(&dir, "out", &[]);
    let (before, after) = change_one_digit(&dir.join("out/payouts.csv"), 4);
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("payouts.csv: 1 line(s) differ"), "{t}");
    assert!(t.contains("changed after the run"), "{t}");
    assert!(
        t.contains(&format!(
            "  line 4:\n    recorded:     {after}\n    re-performed: {before}\n"
        )),
        "{t}"
    );
    assert!(t.contains("1 of 5 file(s) differ"), "{t}");
    assert_tmp_is_empty(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_or_malformed_manifest_is_exit_2() {
    let dir = workdir("manifest");
    run(&dir, "out", &[]);
    std::fs::write(dir.join("out/manifest.json"), "{\"policy\": ").unwrap();
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not a manifest"), "{}", text(&o));
    std::fs::remove_file(dir.join("out/manifest.json")).unwrap();
    let o = rulebook(&dir, &["verify", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("manifest.json` does not exist"), "{}", text(&o));
    let o = rulebook(&dir, &["verify", "no-such-dir"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_manifest_records_config_roster_arguments_and_output_hashes() {
    let dir = workdir("fields");
    run(&dir, "out", &[]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/manifest.json")).unwrap()).unwrap();
    let hash = |p: &str| sha256_file(&dir.join(p)).unwrap();
    assert_eq!(manifest["rulebook"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["arguments"]["period"], PERIOD);
    assert_eq!(manifest["arguments"]["sources"], serde_json::json!([]));
    assert_eq!(manifest["policy"]["file"], POLICY);
    assert_eq!(manifest["policy"]["sha256"], hash(POLICY).as_str());
    assert_eq!(manifest["config"]["file"], "examples/run.yaml");
    assert_eq!(manifest["config"]["sha256"], hash("examples/run.yaml").as_str());
    let inputs = manifest["inputs"].as_array().unwrap();
    let roster = inputs
        .iter()
        .find(|i| i["roster"] == true)
        .expect("the roster is listed");
    assert_eq!(roster["file"], "examples/roster.csv");
    assert_eq!(roster["sha256"], hash("examples/roster.csv").as_str());
    assert_eq!(roster["rows_used"], 30);
    for input in inputs {
        let file = input["file"].as_str().unwrap();
        assert_eq!(input["sha256"], hash(file).as_str(), "{file}");
    }
    for f in ["scores.csv", "payouts.csv", "measures.csv", "rejects.csv"] {
        let recorded = &manifest["outputs"]["files"][f];
        assert_eq!(recorded["sha256"], hash(&format!("out/{f}")).as_str(), "{f}");
        assert_eq!(
            recorded["bytes"].as_u64(),
            Some(std::fs::metadata(dir.join("out").join(f)).unwrap().len())
        );
    }
    // Paths as given, never absolute: the manifest must not depend on where the run was made.
    let text = std::fs::read_to_string(dir.join("out/manifest.json")).unwrap();
    assert!(!text.contains(dir.to_str().unwrap()), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_runs_give_byte_identical_manifests() {
    let dir = workdir("twice");
    run(&dir, "a", &[]);
    run(&dir, "b", &[]);
    let a = std::fs::read(dir.join("a/manifest.json")).unwrap();
    let b = std::fs::read(dir.join("b/manifest.json")).unwrap();
    assert!(a == b, "the manifests differ between two runs");
    let _ = std::fs::remove_dir_all(&dir);
}
