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

/// The run configuration most command-line tests use: `sales.csv` and `roster.csv`.
pub const RUN_YAML: &str = "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n";

/// A monthly policy with the usual sales source (deal_id key, rep, day, amount) and a roster
/// `reps` of `rep_id`s, followed by `rules`.
pub fn monthly_policy(rules: &str) -> String {
    monthly_policy_with("", rules)
}

/// [`monthly_policy`] with more fields declared in the sales source (whole lines).
pub fn monthly_policy_with(sales_fields: &str, rules: &str) -> String {
    format!(
        "\
policy \"t\"
  version \"1\"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money
{sales_fields}
roster reps
  rep_id  text  id

{rules}"
    )
}

/// The policy the input tests read sources against: a sales source with every kind of field
/// (optional ones among them) and a roster with hire and leave dates.
pub const INPUT_POLICY: &str = "\
policy \"Input test\"
  version \"1\"
  effective 2027-01-01
  currency CNY

source sales
  deal_id       text     key
  rep           text     salesperson
  close_date    date     dated
  amount        money
  region        text
  discount      percent  optional
  satisfaction  number   optional

roster reps
  rep_id      text  id
  name        text
  hire_date   date  hired
  leave_date  date  left  optional

target company 1,000,000 yearly
";
