//! The fast evaluator and the reference evaluator agree: on the example data for a month, a
//! quarter and a year from the English and the Chinese seed policy (the Chinese policy reading
//! the GB18030 export with Chinese headers), on generated data, and on files made to stress the
//! fast reader — quoted fields across lines, CRLF line endings, a byte order mark, duplicate keys
//! in different blocks, notations the fast cell parser leaves to the full one. "Agree" means
//! every output file is byte for byte the same. The seed policy's month, quarter and year also
//! pay the same amounts to the same people from both languages.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const OUTPUTS: [&str; 5] = [
    "scores.csv",
    "payouts.csv",
    "measures.csv",
    "rejects.csv",
    "manifest.json",
];

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-engines-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `rulebook run` with `engine`; returns the output directory, or what the run said when
/// it failed.
fn run(
    policy: &Path,
    config: &Path,
    period: &str,
    engine: &str,
    out: &Path,
    extra: &[&str],
) -> Result<PathBuf, String> {
    let dir = out.join(format!("{engine}-{period}"));
    let output = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .arg("run")
        .arg(policy)
        .arg("--config")
        .arg(config)
        .args(["--period", period, "--engine", engine, "--out"])
        .arg(&dir)
        .args(extra)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(dir)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Both evaluators on the same inputs; every output byte-identical, and the fast run's
/// directory. Either failing fails the test.
fn agree(policy: &Path, config: &Path, period: &str, out: &Path, extra: &[&str]) -> PathBuf {
    agree_or_fail_alike(policy, config, period, out, extra).unwrap_or_else(|e| panic!("{period}: both failed: {e}"))
}

/// Both evaluators on the same inputs: every output byte-identical (the fast run's directory),
/// or the same error from both (its message). Neither may panic.
fn agree_or_fail_alike(
    policy: &Path,
    config: &Path,
    period: &str,
    out: &Path,
    extra: &[&str],
) -> Result<PathBuf, String> {
    let fast = run(policy, config, period, "fast", out, extra);
    let reference = run(policy, config, period, "reference", out, extra);
    let (fast, reference) = match (fast, reference) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), Err(b)) if a == b && !a.contains("panicked") => return Err(a),
        (a, b) => panic!("{period} in {}: fast {a:?}, reference {b:?}", out.display()),
    };
    for name in OUTPUTS {
        let a = fs::read_to_string(fast.join(name)).unwrap();
        let b = fs::read_to_string(reference.join(name)).unwrap();
        if a != b {
            let first = a
                .lines()
                .zip(b.lines())
                .enumerate()
                .find(|(_, (x, y))| x != y)
                .map(|(i, (x, y))| format!("line {}: fast `{x}`, reference `{y}`", i + 1));
            panic!("{period} in {}: {name} differs: {first:?}", out.display());
        }
    }
    Ok(fast)
}

/// (salesperson, period, amount) of every payout line, sorted.
fn payouts(dir: &Path) -> Vec<(String, String, String)> {
    let text = fs::read_to_string(dir.join("payouts.csv")).unwrap();
    let mut out: Vec<(String, String, String)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[0].to_string(), cells[1].to_string(), cells[6].to_string())
        })
        .collect();
    out.sort();
    out
}

fn total(payouts: &[(String, String, String)]) -> rust_decimal::Decimal {
    payouts
        .iter()
        .map(|p| p.2.parse::<rust_decimal::Decimal>().unwrap())
        .sum()
}

#[test]
fn the_seed_policy_on_the_examples_in_both_languages_and_both_evaluators() {
    let out = temp("seed");
    let root = Path::new(ROOT);
    let (en, zh) = (
        root.join("policies/sales-strategy.en.policy"),
        root.join("policies/sales-strategy.zh.policy"),
    );
    let (en_config, zh_config) = (root.join("examples/run.yaml"), root.join("examples/run.zh.yaml"));
    // Worked out once and checked against both languages and both evaluators: the totals of
    // the example data (examples/README.md).
    for (period, lines, amount) in [
        ("2027-03", 28, "295015.16"),
        ("2027-Q1", 108, "711586.42"),
        ("2027", 505, "4286658.68"),
    ] {
        let en_dir = agree(&en, &en_config, period, &out.join("en"), &[]);
        let zh_dir = agree(&zh, &zh_config, period, &out.join("zh"), &[]);
        let (a, b) = (payouts(&en_dir), payouts(&zh_dir));
        assert_eq!(a.len(), lines, "{period}");
        assert_eq!(total(&a).to_string(), amount, "{period}");
        // The Chinese policy names its components in Chinese; the people, periods and amounts
        // are the same.
        assert_eq!(a, b, "{period}: the two languages pay differently");
    }
    let _ = fs::remove_dir_all(&out);
}

/// `rulebook generate ARGS` into `out/data`, with the examples' run configuration.
fn generated(out: &Path, args: &[&str]) -> PathBuf {
    let data = out.join("data");
    let status = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .arg("generate")
        .args(args)
        .arg("--out")
        .arg(&data)
        .status()
        .unwrap();
    assert!(status.success());
    fs::copy(Path::new(ROOT).join("examples/run.yaml"), data.join("run.yaml")).unwrap();
    data
}

#[test]
fn generated_data_with_bad_rows() {
    let out = temp("generated");
    let data = generated(&out, &["--seed", "7", "--reps", "40", "--rows", "20000", "--bad-rows"]);
    let policy = Path::new(ROOT).join("policies/sales-strategy.en.policy");
    for period in ["2027-05", "2027-Q3", "2027-12", "2027"] {
        agree(&policy, &data.join("run.yaml"), period, &out, &[]);
    }
    let _ = fs::remove_dir_all(&out);
}

/// Reading and the rules split across threads give the same bytes as one thread: 600
/// salespeople make three chunks of the roster for the rules, and the file several blocks.
#[test]
fn outputs_do_not_depend_on_the_number_of_threads() {
    let out = temp("threads");
    let data = generated(&out, &["--seed", "11", "--reps", "600", "--rows", "30000"]);
    let policy = Path::new(ROOT).join("policies/sales-strategy.en.policy");
    let run_with = |threads: &str| {
        let dir = out.join(format!("threads-{threads}"));
        let output = Command::new(env!("CARGO_BIN_EXE_rulebook"))
            .env("RULEBOOK_THREADS", threads)
            .arg("run")
            .arg(&policy)
            .arg("--config")
            .arg(data.join("run.yaml"))
            .args(["--period", "2027", "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        dir
    };
    let (one, three) = (run_with("1"), run_with("3"));
    for name in OUTPUTS {
        let (a, b) = (fs::read(one.join(name)).unwrap(), fs::read(three.join(name)).unwrap());
        assert!(a == b, "{name} differs between one thread and three");
    }
    assert!(payouts(&one).len() > 1_000, "a year of 600 salespeople pays many lines");
    let _ = fs::remove_dir_all(&out);
}

const PLAIN: &str = r#"policy "p"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts apr
  assess monthly
  review quarterly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money
  status   text
  note     text   optional

roster reps
  rep_id  text   id
  region  text
  quota   money

metric revenue = sum of sales.amount where status = "closed" and amount > -1000
metric biggest = maximum of sales.amount where status != "open"
metric average_deal = average of sales.amount
metric deals = count of sales where day >= 2027-05-15 or reps.region = "west"
metric kinds = count distinct of sales.status
metric attainment = revenue / reps.quota

commission c on revenue by attainment marginal monthly
  below 100%  5%
  above 100%  8%
"#;

const CONFIG: &str = "sources:
  sales:
    path: sales.csv
    numbers:
      thousands: true
      currency: true
      accounting_negative: true
  reps:
    path: roster.csv
";

/// Writes a sales file of `rows` rows with the awkward cases spread through it.
fn awkward_sales(rows: usize, crlf: bool, bom: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut s = String::new();
    if bom {
        s.push('\u{FEFF}');
    }
    s.push_str(&format!("deal_id,rep,day,amount,status,note{nl}"));
    for i in 0..rows {
        let rep = ["R001", "R002", "R003"][i % 3];
        let month = 4 + (i % 9);
        let day = 1 + (i % 28);
        let amount = match i % 11 {
            0 => format!("\"¥{},{:03}.50\"", 1 + i % 9, i % 1000),
            1 => format!("({}.25)", i % 500),
            2 => format!("-{}.5", i % 2000),
            _ => format!("{}.{:02}", 100 + i % 7000, i % 100),
        };
        let status = ["closed", "open", "closed", "cancelled"][i % 4];
        let note = match i % 13 {
            0 => "\"two\nlines, quoted\"".to_string(),
            1 => "skip".to_string(),
            2 => "\"say \"\"hi\"\"\"".to_string(),
            _ => String::new(),
        };
        // Duplicate keys far apart, an unknown salesperson, a bad date, a short line, a blank line.
        let id = if i % 997 == 500 {
            format!("D{:06}", i - 400)
        } else {
            format!("D{i:06}")
        };
        match i % 1009 {
            7 => s.push_str(&format!("{id},X999,2027-05-01,10.00,closed,{nl}")),
            8 => s.push_str(&format!("{id},{rep},2027-02-30,10.00,closed,{nl}")),
            9 => s.push_str(&format!("{id},{rep},2027-05-01{nl}")),
            10 => s.push_str(&format!(",,,,,{nl}")),
            11 => s.push_str(&format!("{id},{rep},2028-05-01,10.00,closed,{nl}")),
            _ => s.push_str(&format!(
                "{id},{rep},2027-{month:02}-{day:02},{amount},{status},{note}{nl}"
            )),
        }
    }
    s
}

/// A scratch directory with the plain plan, its run configuration and a roster of three; the
/// sales file is the test's.
fn plain_case(name: &str) -> PathBuf {
    let out = temp(name);
    fs::write(out.join("p.policy"), PLAIN).unwrap();
    fs::write(out.join("run.yaml"), CONFIG).unwrap();
    fs::write(
        out.join("roster.csv"),
        "rep_id,region,quota\nR001,east,20000\nR002,west,15000.50\nR003,east,30000\n",
    )
    .unwrap();
    out
}

fn awkward_case(name: &str, rows: usize, crlf: bool, bom: bool) {
    let out = plain_case(name);
    fs::write(out.join("sales.csv"), awkward_sales(rows, crlf, bom)).unwrap();
    for period in ["2027-05", "2027-Q2", "2027"] {
        let dir = agree(&out.join("p.policy"), &out.join("run.yaml"), period, &out, &[]);
        let rejects = fs::read_to_string(dir.join("rejects.csv")).unwrap();
        assert!(rejects.contains("duplicate key"), "{name}: {rejects}");
        assert!(rejects.contains("unknown salesperson"), "{name}");
        assert!(rejects.contains("no such day"), "{name}");
        assert!(rejects.contains("cut short"), "{name}");
    }
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn awkward_files_small() {
    awkward_case("small-lf", 3000, false, false);
    awkward_case("small-crlf-bom", 3000, true, true);
}

#[test]
fn awkward_files_across_many_blocks() {
    // Over 4 MiB, so the fast evaluator splits the file between workers; a duplicate key whose
    // first occurrence is in another block must still be rejected, and named.
    awkward_case("large", 120_000, false, false);
}

#[test]
fn mutated_files_are_read_alike_by_both_evaluators() {
    // Bytes inserted, deleted and replaced at random (a fixed sequence), mostly the ones CSV
    // gives meaning to: delimiters, quotes, carriage returns and line feeds, digits, signs, and
    // bytes that are not UTF-8. Found this way: a carriage return alone ends a record for the
    // reference reader, and a quote inside an unquoted field is a character of it.
    let out = plain_case("mutated");
    let original = awkward_sales(300, false, false).into_bytes();
    let alphabet = b",\"\r\n0123456789.-eE +D\xc3\xa9\x00\xff";
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    // Two cases written out, then the random ones.
    let lone_cr = String::from_utf8(original.clone())
        .unwrap()
        .replacen("skip", "sk\rip", 1);
    let stray_quote = String::from_utf8(original.clone())
        .unwrap()
        .replacen("closed,skip", "clo\"sed,skip", 1);
    assert!(lone_cr.contains("sk\rip") && stray_quote.contains("clo\"sed,skip"));
    let mut cases = vec![lone_cr.into_bytes(), stray_quote.into_bytes()];
    for _ in 0..60 {
        let mut data = original.clone();
        for _ in 0..1 + next(6) {
            let at = next(data.len());
            let byte = alphabet[next(alphabet.len())];
            match next(3) {
                0 => data.insert(at, byte),
                1 => {
                    data.remove(at);
                }
                _ => data[at] = byte,
            }
        }
        cases.push(data);
    }
    for (i, data) in cases.iter().enumerate() {
        fs::write(out.join("sales.csv"), data).unwrap();
        let (policy, config) = (out.join("p.policy"), out.join("run.yaml"));
        let _ = agree_or_fail_alike(&policy, &config, "2027", &out.join(format!("case-{i}")), &[]);
    }
    let _ = fs::remove_dir_all(&out);
}
