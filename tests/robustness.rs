//! No input makes the parser or the checker panic or hang, and every bad input gets a
//! diagnostic: empty and comment-only files, binary junk, NUL characters, huge files, deep
//! nesting, an unterminated string at the very end, many items, and thousands of random
//! mutations of a valid policy. Also the `rulebook` binary's exit codes and JSON output.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rulebook::check::{Checked, check_source};
use rulebook::diagnostic::{JsonDiagnostic, render};

/// A valid English policy (the project's sample).
const SAMPLE: &str = r#"# Sales strategy
policy "Sales Strategy Management 2027"
  version "2027.1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01
  approved by "Sales Committee" on 2026-12-15

calendar
  fiscal year starts jan
  assess monthly
  review quarterly, yearly

source sales
  deal_id       text    key
  rep           text    salesperson
  close_date    date    dated
  amount        money
  status        text
  satisfaction  number  optional

roster reps
  rep_id  text id
  region  text
  channel text
  level   text
  hired_on date hired

target company 120,000,000 yearly
  revised 2027-07-01 to 126,000,000 because "mid-year market review"

split company by region: east 40%, south 35%, west 25%
split region by channel: direct 70%, partner 30%
allocate channel by level: senior 1.5, mid 1, junior 0.7
phase company by month: jan 6%, feb 5%, mar 8%, apr 8%, may 8%, jun 9%,
  jul 8%, aug 8%, sep 9%, oct 9%, nov 10%, dec 12%
prorate by days employed

metric revenue = sum of sales.amount where sales.status = "closed"
metric attainment = revenue / target
metric csat = average of sales.satisfaction

score
  attainment  weight 80%  cap 150%
  csat / 5    weight 20%
  gate attainment >= 50%

grade A if score >= 110%, B if score >= 90%, C if score >= 70%, otherwise D

commission sales on revenue by attainment marginal
  below 80%      2%
  80% to 100%    4%
  100% to 150%   6%
  above 150%     8%
  cap 200,000 yearly

bonus quarter_bonus 5,000 quarterly if attainment >= 100%
promotion senior yearly if grade is A and at least 3 quarters with attainment >= 100%

discipline
  warning           if revenue < 1 in a month
  demerit           if attainment < 50% for 2 months in a row
  dismissal_review  deduct 500 if attainment < 50% for 3 months in a row

test "a rep at 120% of target"
  given target 100,000 and revenue 120,000
  expect sales = 1,600 + 800 + 1,200
"#;

/// Generous: the slowest case here takes a few seconds in a debug build.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// Checks `text` on another thread and fails if that takes longer than `TIME_LIMIT` (a hang)
/// or panics. Every diagnostic is also rendered, for people and as JSON, which must not panic
/// either.
fn check(text: String) -> Checked {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let checked = check_source(&text);
        for d in &checked.diagnostics {
            let shown = render(d, "input.policy", &text, false);
            assert!(!shown.is_empty(), "empty rendering of {d:?}");
            let json = JsonDiagnostic::new(d, "input.policy", &text);
            assert!(json.line >= 1 && json.column >= 1);
        }
        // A send error means the test already gave up waiting.
        let _ = tx.send(());
        checked
    });
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(()) => worker.join().expect("the checker panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(_) => unreachable!("the worker finished without reporting"),
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("checking did not finish within {TIME_LIMIT:?}"),
    }
}

fn codes(checked: &Checked) -> Vec<&'static str> {
    checked.diagnostics.iter().map(|d| d.code).collect()
}

fn assert_reports(checked: &Checked, code: &str) {
    assert!(
        codes(checked).contains(&code),
        "expected a `{code}` diagnostic, got {:?}",
        codes(checked)
    );
}

/// xorshift64: a tiny deterministic generator, so every run tests the same inputs.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn the_sample_is_valid() {
    let checked = check(SAMPLE.to_string());
    assert!(!checked.has_errors(), "{:?}", codes(&checked));
}

#[test]
fn empty_file() {
    let checked = check(String::new());
    assert_reports(&checked, "empty-policy");
}

#[test]
fn blank_and_comment_only_files() {
    for text in [
        "\n\n\n",
        "   \n\t\n",
        "# just a comment\n",
        "# a policy to be written\n\n# by the sales committee\n   # indented comment\n",
        "# no final newline",
    ] {
        let checked = check(text.to_string());
        assert_reports(&checked, "empty-policy");
    }
}

#[test]
fn binary_junk() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for size in [1, 2, 7, 64, 512, 4096, 65_536] {
        for _ in 0..8 {
            let bytes: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let checked = check(text);
            assert!(!checked.diagnostics.is_empty(), "no diagnostic for {size} random bytes");
        }
    }
}

#[test]
fn junk_made_of_policy_characters() {
    // Random text over the characters policies are made of reaches deeper into the grammar
    // than random bytes.
    let alphabet: Vec<char> = "policy metric = sum of sales.amount where if and or not ( ) \" “ ” # % ％ , ， : ： \n\n  \t 0123456789 - . 政策 指标 合计 其中 万 亿 revenue target score grade is at least"
        .chars()
        .collect();
    let mut rng = XorShift(42);
    for _ in 0..300 {
        let len = 1 + rng.below(400);
        let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
        let checked = check(text.clone());
        if text.trim_start_matches(|c: char| c.is_whitespace()).is_empty() {
            continue;
        }
        assert!(!checked.diagnostics.is_empty(), "no diagnostic for {text:?}");
    }
}

#[test]
fn nul_characters() {
    let cases = [
        "\0".to_string(),
        "\0\0\0\n\0\n".to_string(),
        "policy \"Sales\0 2027\"\n  version \"1\"\n".to_string(),
        SAMPLE.replacen("metric revenue", "metric rev\0enue", 1),
        SAMPLE.replacen("\ncalendar", "\n\0calendar", 1),
        format!("{SAMPLE}\0"),
    ];
    for text in cases {
        let checked = check(text.clone());
        assert!(!checked.diagnostics.is_empty(), "no diagnostic for {text:?}");
        assert!(
            checked.has_errors(),
            "a NUL character is not valid policy text: {text:?}"
        );
    }
}

#[test]
fn ten_megabyte_file() {
    let line = "metric revenue_copy = sum of sales.amount where sales.status = \"closed\"\n";
    let mut text = String::with_capacity(10 * 1024 * 1024 + line.len());
    text.push_str(&SAMPLE[..SAMPLE.find("\nmetric ").expect("the sample has metrics") + 1]);
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(line);
    }
    let started = Instant::now();
    let checked = check(text);
    assert_reports(&checked, "file-too-large");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn parentheses_nested_a_thousand_deep() {
    let deep = format!("{}revenue{}", "(".repeat(1000), ")".repeat(1000));
    let text = format!("{SAMPLE}\nmetric deep = {deep}\n");
    let checked = check(text);
    assert_reports(&checked, "too-deep");

    // Unbalanced: opened and never closed.
    let text = format!("{SAMPLE}\nmetric deep = {}revenue\n", "(".repeat(1000));
    let checked = check(text);
    assert_reports(&checked, "too-deep");
}

#[test]
fn unterminated_string_at_end_of_file() {
    for tail in ["test \"a rep at 90", "test \"", "test “年中", "  expect sales = \"1"] {
        let text = format!("{SAMPLE}\n{tail}");
        assert!(!text.ends_with('\n'));
        let checked = check(text.clone());
        assert!(checked.has_errors(), "no error for a file ending in {tail:?}");
        if tail.contains('"') {
            assert_reports(&checked, "unterminated-string");
        }
    }
}

#[test]
fn five_thousand_items() {
    let mut text = String::from(&SAMPLE[..SAMPLE.find("\ntarget ").expect("the sample has a target") + 1]);
    text.push_str("target company 120,000,000 yearly\n");
    let mut items = 5; // policy, calendar, source, roster, target
    let mut i = 0;
    while items < 5000 {
        text.push_str(&format!(
            "metric closed_{i} = sum of sales.amount where sales.status = \"closed\" and sales.amount > {i}\n"
        ));
        items += 1;
        if items < 5000 {
            text.push_str(&format!("bonus kicker_{i} 100 monthly if closed_{i} >= {}\n", i * 1000));
            items += 1;
        }
        i += 1;
    }
    let started = Instant::now();
    let checked = check(text);
    let elapsed = started.elapsed();
    eprintln!("5,000 items checked in {elapsed:?}");
    assert_eq!(checked.parsed.policy.items.len(), 5000);
    assert!(
        !checked.has_errors(),
        "{:?}",
        &codes(&checked)[..codes(&checked).len().min(10)]
    );
}

/// Deletes, duplicates or swaps a random character.
fn mutate(chars: &mut Vec<char>, rng: &mut XorShift) {
    if chars.is_empty() {
        chars.push('x');
        return;
    }
    let at = rng.below(chars.len());
    match rng.below(3) {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        _ => {
            let other = rng.below(chars.len());
            chars.swap(at, other);
        }
    }
}

#[test]
fn random_mutations_of_the_sample() {
    let original: Vec<char> = SAMPLE.chars().collect();
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    let mutants: Vec<String> = (0..2000)
        .map(|_| {
            let mut chars = original.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut chars, &mut rng);
            }
            chars.into_iter().collect()
        })
        .collect();
    // Checked on several threads at once: a debug build takes a while per check.
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get()).min(8);
    let broken: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = mutants
            .chunks(mutants.len().div_ceil(workers))
            .map(|chunk| scope.spawn(move || chunk.iter().filter(|t| check((*t).clone()).has_errors()).count()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a mutation panicked the checker"))
            .sum()
    });
    // Most small changes break something; this guards against a checker that quietly stops
    // reporting.
    assert!(broken > 1000, "only {broken} of 2,000 mutations gave an error");
}

#[test]
fn a_policy_worn_down_by_two_thousand_mutations() {
    let mut chars: Vec<char> = SAMPLE.chars().collect();
    let mut rng = XorShift(7);
    for step in 0..2000 {
        mutate(&mut chars, &mut rng);
        if step % 4 == 0 {
            check(chars.iter().collect());
        }
    }
}

// ---------- deep structures that must not overflow the stack ----------
//
// Run in a child process: a stack overflow aborts the whole process, which would take the
// test harness down with it. All three inputs are well under the file size limit.

fn no_crash_on(name: &str, text: &str) {
    let path = temp_file(name, text.as_bytes());
    let out = rulebook(&["check", path.to_str().expect("UTF-8 temp path")]);
    let _ = std::fs::remove_file(&path);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "`rulebook check` crashed on {name} ({} bytes): {:?}\n{}",
        text.len(),
        out.status,
        String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
    );
}

#[test]

fn a_chain_of_five_thousand_metrics() {
    let mut text = SAMPLE.to_string();
    text.push_str("metric step_0 = revenue\n");
    for i in 1..5000 {
        text.push_str(&format!("metric step_{i} = step_{} + revenue\n", i - 1));
    }
    no_crash_on("metric-chain", &text);
}

#[test]

fn a_sum_of_twenty_thousand_terms() {
    let text = format!("{SAMPLE}\nmetric big = revenue{}\n", " + revenue".repeat(20_000));
    no_crash_on("long-sum", &text);
}

#[test]

fn twenty_thousand_prefix_operators() {
    let text = format!("{SAMPLE}\nmetric negated = {}revenue\n", "- ".repeat(20_000));
    no_crash_on("prefix-minus", &text);
    let text = format!(
        "{SAMPLE}\nbonus b 1 monthly if {}attainment >= 1\n",
        "not ".repeat(20_000)
    );
    no_crash_on("prefix-not", &text);
}

// ---------- the command line ----------

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let unique = format!(
        "rulebook-robustness-{}-{}-{}-{name}.policy",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let path = std::env::temp_dir().join(unique);
    std::fs::write(&path, bytes).expect("write a temporary file");
    path
}

fn rulebook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(args)
        .output()
        .expect("run the rulebook binary")
}

/// Runs `rulebook` on a temporary file holding `bytes`, then removes the file.
fn rulebook_on(name: &str, bytes: &[u8], args: &[&str]) -> Output {
    let path = temp_file(name, bytes);
    let mut all: Vec<&str> = args.to_vec();
    all.push(path.to_str().expect("UTF-8 temp path"));
    let out = rulebook(&all);
    let _ = std::fs::remove_file(&path);
    out
}

fn broken_sample() -> String {
    SAMPLE.replacen("metric attainment", "metrc attainment", 1)
}

#[test]
fn check_exits_0_on_a_clean_policy() {
    let out = rulebook_on("clean", SAMPLE.as_bytes(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_exits_1_on_a_broken_policy() {
    let out = rulebook_on("broken", broken_sample().as_bytes(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean `metric`?"), "{stderr}");
}

#[test]
fn check_exits_2_on_a_missing_file() {
    let missing = std::env::temp_dir().join(format!("rulebook-robustness-{}-missing.policy", std::process::id()));
    let out = rulebook(&["check", missing.to_str().expect("UTF-8 temp path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn check_exits_2_on_a_file_that_is_not_utf8() {
    let mut bytes = SAMPLE.as_bytes().to_vec();
    bytes.extend_from_slice(b"\nmetric bad = \xFF\xFE revenue\n");
    let out = rulebook_on("latin1", &bytes, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
}

#[test]
fn check_json_gives_line_and_column() {
    let out = rulebook_on("json", broken_sample().as_bytes(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --format json prints JSON");
    assert_eq!(doc["errors"], 1);
    let diags = doc["diagnostics"].as_array().expect("a list of diagnostics");
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    let line = SAMPLE
        .lines()
        .position(|l| l.starts_with("metric attainment"))
        .expect("in the sample")
        + 1;
    assert_eq!(d["line"], line as u64);
    assert_eq!(d["column"], 1);
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "syntax");
    assert!(d["message"].as_str().is_some_and(|m| m.contains("metrc")));
}

#[test]
fn check_json_columns_count_characters() {
    // In Chinese text a character is three bytes; the column must count characters.
    let text = "政策 \"销售政策\"\n  版本 \"1\"\n  生效 2027-01-01\n  币种 CNY\n\n指标 营收 = 合计 订单.金额\n";
    let out = rulebook_on("json-zh", text.as_bytes(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --format json prints JSON");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "unknown-name", "{doc}");
    assert_eq!(d["line"], 6);
    // `指标 营收 = 合计 ` is 11 characters (29 bytes); `订单` starts at column 12.
    assert_eq!(d["column"], 12, "{doc}");
    assert_eq!(d["end_column"], 14, "{doc}");
}

#[test]
fn check_json_on_a_clean_policy() {
    let out = rulebook_on("json-clean", SAMPLE.as_bytes(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --format json prints JSON");
    assert_eq!(doc["errors"], 0);
    assert!(doc["diagnostics"].as_array().is_some());
}

#[test]
fn fmt_check_exits_1_on_a_non_canonical_file() {
    // The sample's columns are not aligned the way the formatter aligns them.
    let out = rulebook_on("not-canonical", SAMPLE.as_bytes(), &["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));

    let badly_spaced = SAMPLE.replacen("metric revenue = sum of", "metric   revenue =  sum  of", 1);
    let out = rulebook_on("badly-spaced", badly_spaced.as_bytes(), &["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fmt_check_exits_0_on_a_canonical_file_and_changes_nothing() {
    let canonical = rulebook::format::format_source(SAMPLE, None).unwrap_or_else(|_| panic!("the sample formats"));
    let path = temp_file("canonical", canonical.as_bytes());
    let out = rulebook(&["fmt", "--check", path.to_str().expect("UTF-8 temp path")]);
    let after = std::fs::read_to_string(&path).expect("still there");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(after, canonical);
}

#[test]
fn numbers_at_the_limit_wherever_the_checker_computes_with_them() {
    // The largest number a policy may write has 28 digits; the checker's warnings multiply and
    // add such numbers, and must say what they can without an amount that does not fit.
    let huge = "9,999,999,999,999,999,999,999,999,999";
    let tiers = "commission sales on revenue by attainment marginal
  below 80%      2%
  80% to 100%    4%
  100% to 150%   6%
  above 150%     8%
  cap 200,000 yearly";
    // A cliff at a boundary far beyond any example base.
    let cliff = SAMPLE.replace(
        tiers,
        &format!("commission sales on revenue by attainment retroactive\n  below {huge}%  2%\n  above {huge}%  8%"),
    );
    let checked = check(cliff);
    assert_reports(&checked, "cliff");
    let cliff = checked.diagnostics.iter().find(|d| d.code == "cliff").unwrap();
    assert_eq!(
        cliff.label.as_deref(),
        Some(format!("when `attainment` reaches {huge}% the whole base is paid 8% instead of 2%").as_str())
    );
    // Tiers on the amount itself, under a cap: what they pay at the start of a tier overflows.
    let capped = SAMPLE.replace(
        tiers,
        &format!("commission sales on revenue retroactive\n  below {huge}  {huge}\n  above {huge}  {huge}%\n  cap 200,000 yearly"),
    );
    check(capped);
    // Eight shares of a 28-digit percentage: their sum is far more than any percentage written.
    let regions: Vec<String> = (1..=8).map(|i| format!("r{i} {huge}%")).collect();
    let split = SAMPLE.replace(
        "split company by region: east 40%, south 35%, west 25%",
        &format!("split company by region: {}", regions.join(", ")),
    );
    let checked = check(split);
    assert_reports(&checked, "shares-sum");
    let sum = checked.diagnostics.iter().find(|d| d.code == "shares-sum").unwrap();
    assert_eq!(
        sum.message,
        "the shares of `company` by `region` add up to far more than 100%, not 100%"
    );
}

/// Where each number of `text` is: the byte ranges of its digits, commas and decimal point.
fn number_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A number starts at a digit that does not continue a name (`r1`, `2027-01-01` is
        // skipped as a whole since dates hold dashes).
        let starts =
            bytes[i].is_ascii_digit() && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b',' || bytes[j] == b'.') {
            j += 1;
        }
        // Trailing punctuation belongs to the sentence, and dates and versions are not amounts.
        while j > i && matches!(bytes[j - 1], b',' | b'.') {
            j -= 1;
        }
        let is_date = bytes.get(j) == Some(&b'-');
        if !is_date {
            out.push((i, j));
        }
        i = j.max(i + 1);
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
            i += 1;
        }
    }
    out
}

/// Each number of `text` in turn becomes the largest a policy may write (28 digits), the
/// smallest non-zero one, or zero; the checker's warnings and the policy's own test blocks compute
/// with it. Errors and failing tests are expected; a panic is not. Gives how many variants.
fn every_number_at_the_limit(name: &str, text: &str) -> usize {
    let ranges = number_ranges(text);
    assert!(ranges.len() >= 50, "{name}: {} numbers found", ranges.len());
    let mut variants = 0;
    for &(start, end) in &ranges {
        for replacement in [
            "9,999,999,999,999,999,999,999,999,999",
            "0.0000000000000000000000000001",
            "0",
        ] {
            let variant = format!("{}{replacement}{}", &text[..start], &text[end..]);
            let checked = check(variant);
            if !checked.has_errors() {
                let outcomes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    rulebook::eval::policy_tests::run_tests(&checked.parsed.policy, &checked.model)
                }));
                assert!(
                    outcomes.is_ok(),
                    "{name}: the test blocks panicked with {replacement} at byte {start}"
                );
            }
            variants += 1;
        }
    }
    variants
}

#[test]
fn every_number_at_the_limit_is_checked_and_tested_without_a_panic() {
    let retroactive = SAMPLE.replace("by attainment marginal", "by attainment retroactive");
    assert_ne!(retroactive, SAMPLE);
    let shipped = |file: &str| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("policies")
                .join(file),
        )
        .expect("a shipped policy")
    };
    let mut variants = 0;
    for (name, text) in [
        ("the sample", SAMPLE.to_string()),
        ("the sample with retroactive tiers", retroactive),
        ("draws-and-clawbacks.policy", shipped("draws-and-clawbacks.policy")),
        ("manager-overlay.policy", shipped("manager-overlay.policy")),
    ] {
        variants += every_number_at_the_limit(name, &text);
    }
    assert!(variants > 600, "{variants} variants");
}
