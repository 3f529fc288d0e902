//! The corpus of broken policies. Every file in `tests/corpus` is a small, complete policy with
//! exactly one mistake; `.zh.policy` files are written with Chinese keywords and names. For each
//! file (in name order) the checker's diagnostics are rendered as a person sees them and kept as
//! a snapshot in `tests/snapshots/`, so a change in any message, underline or hint shows up in
//! review. Files whose name contains `warn` hold a plan that is valid but pays perversely: they
//! must give warnings and no error. Every other file must give exactly one error.
//!
//! Regenerate the snapshots with `INSTA_UPDATE=always cargo test --test corpus` and read them.

use std::fs;
use std::path::{Path, PathBuf};

use rulebook::check::check_source;
use rulebook::diagnostic::{Severity, render};

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_gives_its_one_diagnostic() {
    let files = corpus_files();
    assert!(files.len() >= 48, "the corpus has only {} files", files.len());
    let mut problems = Vec::new();
    for path in &files {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("corpus file names are UTF-8");
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {file_name}: {e}"));
        let checked = check_source(&text);
        let output: String = checked
            .diagnostics
            .iter()
            .map(|d| render(d, file_name, &text, false))
            .collect();

        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
        if checked.diagnostics.is_empty() {
            problems.push(format!("{file_name}: no diagnostic at all"));
        } else if file_name.contains("warn") {
            if errors != 0 || warnings == 0 {
                problems.push(format!(
                    "{file_name}: expected warnings and no error, got {errors} error(s) and {warnings} warning(s): {codes:?}"
                ));
            }
        } else if errors != 1 {
            problems.push(format!(
                "{file_name}: expected exactly one error, got {errors}: {codes:?}"
            ));
        }

        let name = file_name.strip_suffix(".policy").unwrap_or(file_name);
        insta::assert_snapshot!(name, output);
    }
    assert!(
        problems.is_empty(),
        "corpus files with the wrong diagnostics:\n{}",
        problems.join("\n")
    );
}

#[test]
fn corpus_covers_both_languages() {
    let files = corpus_files();
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .collect();
    let zh = names.iter().filter(|n| n.ends_with(".zh.policy")).count();
    assert!(zh >= 16, "only {zh} Chinese corpus files");
    for name in &names {
        let (number, rest) = name.split_once('-').unwrap_or(("", ""));
        assert!(
            number.len() == 2 && number.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty(),
            "`{name}` is not named `NN-short-description.policy`"
        );
    }
    let mut numbers: Vec<&str> = names.iter().map(|n| &n[..2]).collect();
    numbers.dedup();
    assert_eq!(numbers.len(), names.len(), "two corpus files share a number");
    // A Chinese file is written with Chinese keywords: the checker sees it as Chinese.
    for path in &files {
        let text = fs::read_to_string(path).expect("readable corpus file");
        let is_zh = path.to_string_lossy().ends_with(".zh.policy");
        let lang = rulebook::syntax::detect_lang(&text);
        assert_eq!(
            lang == rulebook::syntax::keywords::Lang::Zh,
            is_zh,
            "{}: keyword language does not match the file name",
            path.display()
        );
    }
}
