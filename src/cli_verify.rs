//! `rulebook verify DIR`: re-performs a past run from its manifest and compares the outputs.
//!
//! First every file the run read (the policy, the run configuration, the roster and the sources)
//! must still have the SHA-256 the manifest records; a file that changed or went missing is named
//! and nothing is re-run, since a different input would explain any difference. Then the run is
//! made again with the same arguments into a temporary directory, and every file it writes is
//! compared byte for byte with DIR's, showing the lines that differ.
//!
//! Relative paths in the manifest are as given on the command line of the run, so they are taken
//! from the current directory, or from `--root`. Exit codes: 0 every output identical, 1 an input
//! changed or an output differs, 2 no usable manifest or I/O trouble.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use rulebook::input::hash::{sha256_file, sha256_hex};
use rulebook::run::manifest::{Manifest, ManifestError};

use crate::cli::RunInput;
use crate::cli_run::run_to;

/// Differing lines shown per file; the rest are counted.
const MAX_SHOWN: usize = 20;

/// A directory that is removed when dropped, whatever way `verify` returns.
struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory under `base`, named after this process so concurrent verifications
    /// do not collide.
    fn new(base: &Path) -> std::io::Result<TempDir> {
        for n in 0..1000u32 {
            let path = base.join(format!("rulebook-verify-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            ErrorKind::AlreadyExists,
            format!("no free name for a temporary directory in `{}`", base.display()),
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn verify(dir: &str, root: Option<&str>) -> u8 {
    // DIR is taken from the current directory, before `--root` changes it.
    let out_dir = match std::path::absolute(dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot resolve `{dir}`: {e}");
            return 2;
        }
    };
    if !out_dir.is_dir() {
        eprintln!("error: `{dir}` is not a directory");
        return 2;
    }
    let manifest = match read_manifest(dir) {
        Ok(m) => m,
        Err(msg) => {
            eprintln!("{msg}");
            return 2;
        }
    };
    if manifest.policy.file == "-" {
        eprintln!("error: the run read its policy from standard input, so it cannot be read again");
        return 2;
    }
    let tmp_base = match std::path::absolute(std::env::temp_dir()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot find the temporary directory: {e}");
            return 2;
        }
    };
    if let Some(root) = root {
        // The run's relative paths are replayed verbatim (they appear in rejects.csv and the
        // manifest, which must come out the same), so the working directory itself becomes the
        // root rather than the paths being rewritten. `verify` is single-threaded.
        if let Err(e) = std::env::set_current_dir(root) {
            eprintln!("error: cannot use `{root}` as the root: {e}");
            return 2;
        }
    }
    let here = env!("CARGO_PKG_VERSION");
    if manifest.rulebook != here {
        eprintln!(
            "note: the run was made by rulebook {}, this is rulebook {here}: differences may come from the change of version",
            manifest.rulebook
        );
    }

    match check_inputs(&manifest, root.is_some()) {
        0 => {}
        code => return code,
    }

    let tmp = match TempDir::new(&tmp_base) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot make a temporary directory: {e}");
            return 2;
        }
    };
    let Some(tmp_str) = tmp.0.to_str() else {
        eprintln!(
            "error: the temporary directory `{}` is not a UTF-8 path",
            tmp.0.display()
        );
        return 2;
    };
    let mut input = RunInput::new(
        manifest.policy.file.clone(),
        manifest.config.file.clone(),
        manifest.arguments.period.clone(),
        manifest.arguments.sources.clone(),
    );
    input.paid = manifest.arguments.paid.clone();
    input.format = match manifest.arguments.format.as_deref() {
        None | Some("csv") => rulebook::run::table_out::Format::Csv,
        Some("json") => rulebook::run::table_out::Format::Json,
        Some(other) => {
            eprintln!("error: the run wrote its tables as `{other}`, a format this rulebook does not know");
            return 2;
        }
    };
    let code = run_to(&input, tmp_str, false);
    if code != 0 {
        eprintln!("error: the run could not be re-performed (exit {code})");
        return code;
    }
    compare_outputs(&manifest, &out_dir, &tmp.0)
}

/// The run's manifest, or the error to print, with help for what `verify` needs.
fn read_manifest(dir: &str) -> Result<Manifest, String> {
    Manifest::read(Path::new(dir)).map_err(|e| match e {
        ManifestError::Read { file, error } if error.kind() == ErrorKind::NotFound => format!(
            "error: `{file}` does not exist\n  help: give the directory a `rulebook run --out` wrote to"
        ),
        ManifestError::Read { .. } => format!("error: {e}"),
        ManifestError::Parse { file, error } => {
            let help = if error.is_data() {
                "\n  help: a manifest written before rulebook recorded the run configuration and the outputs' hashes cannot be re-performed; run the period again"
            } else {
                ""
            };
            format!("error: `{file}` is not a manifest rulebook can re-perform: {error}{help}")
        }
    })
}

/// Checks that every file the run read still has its recorded SHA-256, naming each one that does
/// not. Returns 0 when all match, 1 when one changed or is missing, 2 when one cannot be read.
fn check_inputs(manifest: &Manifest, rooted: bool) -> u8 {
    let mut files: Vec<(String, &str, &str)> = Vec::new();
    if manifest.policy.versions.is_empty() {
        files.push(("the policy".into(), &manifest.policy.file, &manifest.policy.sha256));
    }
    for v in &manifest.policy.versions {
        files.push(("a version of the policy".into(), &v.file, &v.sha256));
    }
    files.push((
        "the run configuration".into(),
        &manifest.config.file,
        &manifest.config.sha256,
    ));
    for input in &manifest.inputs {
        files.push((format!("source `{}`", input.source), &input.file, &input.sha256));
    }
    for paid in &manifest.paid {
        files.push(("what was paid (`--paid`)".into(), &paid.file, &paid.sha256));
    }
    // A file read twice (the same path bound to two sources) is checked and named once.
    let mut seen = BTreeSet::new();
    files.retain(|(_, file, _)| seen.insert(*file));

    let (mut changed, mut missing, mut unreadable) = (0usize, 0usize, 0usize);
    for (what, file, recorded) in &files {
        match sha256_file(Path::new(file)) {
            Ok(now) if now == *recorded => {}
            Ok(now) => {
                changed += 1;
                println!("changed since the run: `{file}` ({what}): its SHA-256 is now {now}, the run read {recorded}");
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                missing += 1;
                println!("changed since the run: `{file}` ({what}) is missing");
            }
            Err(e) => {
                unreadable += 1;
                eprintln!("error: cannot read `{file}` ({what}): {e}");
            }
        }
    }
    if missing > 0 && !rooted {
        eprintln!(
            "  help: relative paths are taken from the current directory: run `rulebook verify` from the directory the run was made from, or give `--root DIR`"
        );
    }
    let bad = changed + missing + unreadable;
    if bad == 0 {
        return 0;
    }
    println!(
        "{bad} of {} input file(s) changed since the run or cannot be read: the run was not re-performed",
        files.len()
    );
    if unreadable > 0 { 2 } else { 1 }
}

/// Compares every file the re-run wrote into `fresh` with the one in `out_dir`.
fn compare_outputs(manifest: &Manifest, out_dir: &Path, fresh: &Path) -> u8 {
    let names = match output_names(fresh) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: cannot list the re-performed run's files: {e}");
            return 2;
        }
    };
    let (mut identical, mut different) = (0usize, 0usize);
    for name in &names {
        let again = match std::fs::read(fresh.join(name)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read the re-performed `{name}`: {e}");
                return 2;
            }
        };
        let recorded = match std::fs::read(out_dir.join(name)) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                different += 1;
                println!("{name}: missing from `{}`", out_dir.display());
                continue;
            }
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", out_dir.join(name).display());
                return 2;
            }
        };
        if recorded == again {
            identical += 1;
            continue;
        }
        different += 1;
        // Says whether the file was edited after the run or the run now computes otherwise.
        let hash_note = match manifest.outputs.files.get(name) {
            Some(r) if r.sha256 != sha256_hex(&recorded) => {
                "; its SHA-256 is not the one the manifest records, so it was changed after the run"
            }
            Some(_) => "; it still has the SHA-256 the manifest records, so the run now computes otherwise",
            None => "",
        };
        print_line_differences(name, &recorded, &again, hash_note);
    }
    if different == 0 {
        println!("verified: {identical} files identical");
        0
    } else {
        println!(
            "{different} of {} file(s) differ from the re-performed run",
            names.len()
        );
        1
    }
}

/// The files a run wrote, in name order; the hidden temporary files of an atomic write are not
/// outputs.
fn output_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str()
            && !name.starts_with('.')
            && entry.file_type()?.is_file()
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Prints the lines that differ, line by line at the same line number: the outputs are
/// deterministic and in a fixed order, so a change shows where it happened. Lines keep their
/// terminator while compared, so a missing final newline is a difference too.
fn print_line_differences(name: &str, recorded: &[u8], again: &[u8], note: &str) {
    let a: Vec<&[u8]> = recorded.split_inclusive(|b| *b == b'\n').collect();
    let b: Vec<&[u8]> = again.split_inclusive(|b| *b == b'\n').collect();
    let differing: Vec<usize> = (0..a.len().max(b.len())).filter(|&i| a.get(i) != b.get(i)).collect();
    println!(
        "{name}: {} line(s) differ from the re-performed run{note}",
        differing.len()
    );
    for &i in differing.iter().take(MAX_SHOWN) {
        println!("  line {}:", i + 1);
        println!("    recorded:     {}", show(a.get(i).copied()));
        println!("    re-performed: {}", show(b.get(i).copied()));
    }
    if differing.len() > MAX_SHOWN {
        println!("  … and {} more", differing.len() - MAX_SHOWN);
    }
}

/// A line for the terminal: without its terminator, invalid UTF-8 replaced (for display only).
fn show(line: Option<&[u8]>) -> String {
    let Some(line) = line else {
        return "(no such line)".into();
    };
    let (body, newline) = match line.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (line, false),
    };
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let text = String::from_utf8_lossy(body);
    if newline {
        text.into_owned()
    } else {
        format!("{text} (no newline at end of file)")
    }
}
