//! What the command-line tests share: a scratch directory holding the files a test writes, the
//! binary run in it, and its output as text.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for test `name` of file `prefix`, holding `files` (name, contents).
pub fn workdir(prefix: &str, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("a test file");
    }
    dir
}

/// Runs `rulebook ARGS` in `dir`.
pub fn rulebook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the rulebook binary")
}

/// Standard output and standard error together, for messages whichever stream they are on.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
