//! The data set generator (`rulebook generate`) and the example data set it made (`examples/`):
//! determinism, the declared columns, the run configurations against the seed policies, every
//! file read without a rejected row but the deliberate ones, and the GB18030 Chinese export
//! giving the same amounts as the UTF-8 one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use rulebook::check::{Checked, check_source};
use rulebook::generate::{Options, generate};
use rulebook::input::config::{RunConfig, SourceBinding};
use rulebook::input::decode::decode_all;
use rulebook::input::reader::{Record, Rejection, SourceReader};
use rulebook::syntax::ast::ItemKind;
use rust_decimal::Decimal;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The options `examples/` was generated with (see examples/README.md).
fn example_options() -> Options {
    Options {
        seed: 2027,
        reps: 30,
        rows: 3000,
        year: 2027,
        plain: false,
        chinese: true,
        bad_rows: true,
    }
}

/// The files `rulebook generate --chinese` writes.
const FILES: [&str; 11] = [
    "roster.csv",
    "sales.csv",
    "activities.csv",
    "payments.csv",
    "market.csv",
    "run.yaml",
    "roster-cn.csv",
    "sales-cn.csv",
    "activities-cn.csv",
    "market-cn.csv",
    "run.zh.yaml",
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-generate-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn examples() -> PathBuf {
    Path::new(ROOT).join("examples")
}

fn policy(name: &str) -> Checked {
    let text = fs::read_to_string(Path::new(ROOT).join("policies").join(name)).unwrap();
    let checked = check_source(&text);
    assert!(!checked.has_errors(), "{name} has errors");
    checked
}

fn bindings(config: &Path, checked: &Checked) -> Vec<SourceBinding> {
    let config = RunConfig::load(config).unwrap_or_else(|e| panic!("{e}"));
    config.resolve(&checked.model).unwrap_or_else(|e| panic!("{e}"))
}

/// The English policy with `dir/run.yaml`, the Chinese one with `dir/run.zh.yaml`.
fn both(dir: &Path) -> Vec<(Checked, Vec<SourceBinding>)> {
    let en = policy("sales-strategy.en.policy");
    let zh = policy("sales-strategy.zh.policy");
    let en_bindings = bindings(&dir.join("run.yaml"), &en);
    let zh_bindings = bindings(&dir.join("run.zh.yaml"), &zh);
    vec![(en, en_bindings), (zh, zh_bindings)]
}

/// One text cell per field of every row read, and the rejections.
struct Read {
    rows: Vec<Vec<Option<String>>>,
    amounts: Vec<Option<Decimal>>,
    rejected: Vec<Rejection>,
}

fn read(binding: &SourceBinding) -> Read {
    let mut reader = SourceReader::open(binding).unwrap_or_else(|e| panic!("{e}"));
    let amount = binding.amount_field();
    let mut out = Read {
        rows: Vec::new(),
        amounts: Vec::new(),
        rejected: Vec::new(),
    };
    while let Some(record) = reader.next_record().unwrap_or_else(|e| panic!("{e}")) {
        match record {
            Record::Row(row) => {
                out.rows
                    .push((0..row.len()).map(|i| row.get(i).map(|v| v.to_string())).collect());
                out.amounts.push(amount.and_then(|i| row.decimal(i)));
            }
            Record::Rejected(r) => out.rejected.push(r),
        }
    }
    let summary = reader.finish().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.rows_rejected as usize, out.rejected.len());
    out
}

/// The header line of a file, decoded, as cells.
fn header(binding: &SourceBinding) -> Vec<String> {
    let bytes = fs::read(&binding.path).unwrap();
    let (text, _) = decode_all(&bytes, binding.encoding).unwrap();
    let first = text.lines().next().unwrap_or("");
    first.split(',').map(|c| c.trim().to_string()).collect()
}

fn field<'a>(binding: &SourceBinding, row: &'a [Option<String>], name: &str) -> Option<&'a str> {
    row[binding.field_index(name).unwrap()].as_deref()
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let small = Options {
        seed: 11,
        reps: 12,
        rows: 600,
        chinese: true,
        bad_rows: true,
        ..Options::default()
    };
    let (a, b, c) = (scratch("same-a"), scratch("same-b"), scratch("other"));
    generate(&a, &small).unwrap();
    generate(&b, &small).unwrap();
    generate(
        &c,
        &Options {
            seed: 12,
            ..small.clone()
        },
    )
    .unwrap();
    for name in FILES {
        let (x, y, z) = (
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
            fs::read(c.join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between two runs with the same seed");
        if name.ends_with(".csv") {
            assert!(x != z, "{name} is the same with another seed");
        }
    }

    let plain = Options {
        seed: 5,
        reps: 40,
        rows: 2000,
        plain: true,
        ..Options::default()
    };
    let (p, q, r) = (scratch("plain-a"), scratch("plain-b"), scratch("plain-c"));
    generate(&p, &plain).unwrap();
    generate(&q, &plain).unwrap();
    generate(
        &r,
        &Options {
            seed: 6,
            ..plain.clone()
        },
    )
    .unwrap();
    for name in ["sales.csv", "roster.csv"] {
        let x = fs::read(p.join(name)).unwrap();
        assert!(
            x == fs::read(q.join(name)).unwrap(),
            "plain {name} is not deterministic"
        );
        assert!(x != fs::read(r.join(name)).unwrap(), "plain {name} ignores the seed");
    }
    for dir in [a, b, c, p, q, r] {
        let _ = fs::remove_dir_all(dir);
    }
}

#[test]
fn options_that_make_no_sense_are_refused() {
    let dir = scratch("refused");
    for opts in [
        Options {
            reps: 0,
            ..Options::default()
        },
        Options {
            plain: true,
            chinese: true,
            ..Options::default()
        },
        Options {
            year: 99_999,
            ..Options::default()
        },
    ] {
        let err = generate(&dir, &opts).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{opts:?}");
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn every_file_has_exactly_the_columns_its_source_declares() {
    let dir = scratch("columns");
    let opts = Options {
        seed: 3,
        reps: 9,
        rows: 500,
        chinese: true,
        ..Options::default()
    };
    generate(&dir, &opts).unwrap();
    for (_, bindings) in both(&dir) {
        assert_eq!(bindings.len(), 5);
        for b in &bindings {
            let columns: Vec<String> = b.fields.iter().map(|f| f.column.clone()).collect();
            let header = header(b);
            if b.name == "销售" {
                // The Chinese export has its own order.
                let a: BTreeSet<&String> = header.iter().collect();
                assert_eq!(a, columns.iter().collect(), "{}", b.path.display());
                assert_eq!(a.len(), header.len());
            } else {
                assert_eq!(header, columns, "{}", b.path.display());
            }
            let read = read(b);
            assert!(!read.rows.is_empty(), "{} has no rows", b.path.display());
            assert!(read.rejected.is_empty(), "{:?}", read.rejected);
        }
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn the_plain_benchmark_format() {
    let dir = scratch("plain");
    let opts = Options {
        seed: 99,
        reps: 120,
        rows: 20_000,
        plain: true,
        ..Options::default()
    };
    let written = generate(&dir, &opts).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|w| w.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["roster.csv", "sales.csv"]);

    let roster = fs::read_to_string(dir.join("roster.csv")).unwrap();
    let mut lines = roster.lines();
    assert_eq!(lines.next(), Some("rep_id,team,region,level,hire_date,monthly_quota"));
    let mut reps = BTreeSet::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 6, "{line}");
        assert!(is_id(cells[0], 'R', 5), "{line}");
        assert!(["east", "south", "west"].contains(&cells[2]), "{line}");
        assert!(["senior", "mid", "junior"].contains(&cells[3]), "{line}");
        assert!(is_date(cells[4]), "{line}");
        assert!(is_amount(cells[5]) && !cells[5].starts_with('-'), "{line}");
        reps.insert(cells[0].to_string());
    }
    assert_eq!(reps.len(), 120);

    let sales = fs::read_to_string(dir.join("sales.csv")).unwrap();
    let mut lines = sales.lines();
    assert_eq!(
        lines.next(),
        Some("deal_id,rep_id,region,channel,product,close_date,amount,status,csat")
    );
    let (mut rows, mut negative) = (0, 0);
    let mut ids = BTreeSet::new();
    let mut statuses = BTreeMap::new();
    let mut last_date = String::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 9, "{line}");
        assert!(is_id(cells[0], 'D', 10), "{line}");
        assert!(ids.insert(cells[0].to_string()), "repeated deal id: {line}");
        assert!(reps.contains(cells[1]), "{line}");
        assert!(is_date(cells[5]) && cells[5].starts_with("2027-"), "{line}");
        assert!(cells[5] >= last_date.as_str(), "not in order of date: {line}");
        last_date = cells[5].to_string();
        assert!(is_amount(cells[6]), "{line}");
        assert!(matches!(cells[8], "" | "1" | "2" | "3" | "4" | "5"), "{line}");
        *statuses.entry(cells[7].to_string()).or_insert(0) += 1;
        negative += usize::from(cells[6].starts_with('-'));
        rows += 1;
    }
    assert_eq!(rows, 20_000);
    // About 2% are returns.
    assert!((300..=500).contains(&negative), "{negative} negative rows");
    assert_eq!(
        statuses.keys().map(String::as_str).collect::<Vec<_>>(),
        ["cancelled", "closed", "open"]
    );
    let _ = fs::remove_dir_all(dir);
}

fn is_id(s: &str, letter: char, digits: usize) -> bool {
    s.len() == digits + 1 && s.starts_with(letter) && s[1..].bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    jiff::civil::Date::strptime("%Y-%m-%d", s).is_ok() && s.len() == 10
}

/// `-1234.50`: two decimals, no separators.
fn is_amount(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    match s.split_once('.') {
        Some((whole, cents)) => {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && cents.len() == 2
                && cents.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

#[test]
fn the_examples_are_what_the_documented_command_generates() {
    let dir = scratch("examples");
    let written = generate(&dir, &example_options()).unwrap();
    assert_eq!(written.len(), FILES.len());
    for name in FILES {
        let fresh = fs::read(dir.join(name)).unwrap();
        let shipped = fs::read(examples().join(name)).unwrap_or_default();
        assert!(
            fresh == shipped,
            "examples/{name} is not what `{} --out examples` writes; regenerate the examples",
            example_options().command_line()
        );
    }
    let _ = fs::remove_dir_all(dir);

    let total: u64 = fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total < 2 * 1024 * 1024, "examples/ is {total} bytes");
}

#[test]
fn the_roster_uses_exactly_the_keys_of_the_splits_and_allocations() {
    for (checked, bindings) in both(&examples()) {
        let roster = bindings.iter().find(|b| b.is_roster).unwrap();
        let read = read(roster);
        assert!(read.rejected.is_empty());
        for item in &checked.parsed.policy.items {
            let (by, keys) = match &item.kind {
                ItemKind::Split(s) => (&s.by.text, &s.shares),
                ItemKind::Allocate(a) => (&a.by.text, &a.weights),
                _ => continue,
            };
            let keys: BTreeSet<&str> = keys.iter().map(|e| e.key.text.as_str()).collect();
            let values: BTreeSet<&str> = read.rows.iter().filter_map(|r| field(roster, r, by)).collect();
            assert_eq!(values, keys, "`{by}` in {}", roster.path.display());
        }
        // A few join and a few leave during the year.
        let hired = roster
            .fields
            .iter()
            .position(|f| f.name == "hire_date" || f.name == "入职日期");
        let left = roster
            .fields
            .iter()
            .position(|f| f.name == "leave_date" || f.name == "离职日期");
        let joiners = read
            .rows
            .iter()
            .filter(|r| r[hired.unwrap()].as_deref().is_some_and(|d| d.starts_with("2027-")))
            .count();
        let leavers = read.rows.iter().filter(|r| r[left.unwrap()].is_some()).count();
        assert!((1..=5).contains(&joiners) && (1..=5).contains(&leavers));
    }
}

/// The deliberate bad rows of `examples/sales.csv` and `examples/sales-cn.csv`, as documented in
/// examples/README.md: the record (the line is one more, after the header), the field and the
/// start of the reason of each the reader rejects.
const REJECTED: [(u64, &str, &str); 3] = [
    (501, "amount", "is not an amount: "),
    (1002, "close_date", "is not a date: there is no such day"),
    (1503, "rep", "is empty, and the field is not optional"),
];
const UNKNOWN_REP: &str = "R00031";

#[test]
fn every_example_file_reads_without_rejects_but_the_deliberate_ones() {
    for (checked, bindings) in both(&examples()) {
        let roster_binding = bindings.iter().find(|b| b.is_roster).unwrap();
        let roster: BTreeSet<String> = read(roster_binding)
            .rows
            .iter()
            .map(|r| r[0].clone().unwrap())
            .collect();
        assert_eq!(roster.len(), 30);
        for b in &bindings {
            let read = read(b);
            let file = b.path.file_name().unwrap().to_string_lossy().into_owned();
            let is_sales = checked.model.sources[&b.name]
                .fields
                .keys()
                .any(|f| f == "satisfaction" || f == "满意度");
            if !is_sales {
                assert!(read.rejected.is_empty(), "{file}: {:?}", read.rejected);
                assert!(!read.rows.is_empty(), "{file}");
                continue;
            }
            let got: Vec<(u64, String)> = read
                .rejected
                .iter()
                .map(|r| (r.record, r.field.clone().unwrap_or_default()))
                .collect();
            if file == "sales.csv" {
                // Lines are compared in the LF file only: the csv crate counts the lines of a
                // CRLF file one short (BurntSushi/rust-csv#395).
                let lines: Vec<u64> = read.rejected.iter().map(|r| r.line).collect();
                assert_eq!(lines, REJECTED.map(|r| r.0 + 1), "{file}");
            }
            let en_field = |name: &str| {
                let i = ["deal_id", "rep", "close_date", "amount"]
                    .iter()
                    .position(|f| *f == name)
                    .unwrap();
                b.fields[i].name.clone()
            };
            let want: Vec<(u64, String)> = REJECTED.iter().map(|(l, f, _)| (*l, en_field(f))).collect();
            assert_eq!(got, want, "{file}");
            for (r, (_, _, reason)) in read.rejected.iter().zip(REJECTED) {
                assert!(r.reason.contains(reason), "{file}: {r}");
            }
            assert_eq!(read.rows.len(), 3002, "{file}");

            // Accepted by the reader, for the run to reject: a salesperson not on the roster, a
            // row exported twice.
            let rep = b
                .fields
                .iter()
                .position(|f| f.name == "rep" || f.name == "销售员")
                .unwrap();
            let strangers: Vec<&str> = read
                .rows
                .iter()
                .filter_map(|r| r[rep].as_deref())
                .filter(|r| !roster.contains(*r))
                .collect();
            assert_eq!(strangers, [UNKNOWN_REP], "{file}");
            let mut seen = BTreeSet::new();
            let repeated: Vec<&str> = read
                .rows
                .iter()
                .filter_map(|r| r[0].as_deref())
                .filter(|id| !seen.insert(*id))
                .collect();
            assert_eq!(repeated.len(), 1, "{file}: {repeated:?}");
        }
    }
}

#[test]
fn the_gb18030_chinese_export_has_the_same_amounts_as_the_utf8_sales() {
    let runs = both(&examples());
    let sales = |i: usize, name: &str| runs[i].1.iter().find(|b| b.name == name).unwrap().clone();
    let (en, zh) = (sales(0, "sales"), sales(1, "销售"));
    assert_eq!(zh.encoding, rulebook::input::decode::EncodingChoice::Gb18030);
    let bytes = fs::read(&zh.path).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "sales-cn.csv should not be UTF-8");
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));

    let (a, b) = (read(&en), read(&zh));
    assert_eq!(a.rows.len(), b.rows.len());
    let total = |r: &Read| r.amounts.iter().map(|a| a.unwrap()).sum::<Decimal>();
    assert_eq!(total(&a), total(&b));
    assert_ne!(total(&a), Decimal::ZERO);
    let negative = a.amounts.iter().filter(|a| a.unwrap().is_sign_negative()).count();
    assert!((40..=100).contains(&negative), "{negative} returns");

    // Row by row: the same deal, person, day and amount; the values translated.
    let statuses = BTreeMap::from([("closed", "已成交"), ("open", "进行中"), ("cancelled", "已取消")]);
    let mut closed = (Decimal::ZERO, Decimal::ZERO);
    for (i, (x, y)) in a.rows.iter().zip(&b.rows).enumerate() {
        assert_eq!(field(&en, x, "deal_id"), field(&zh, y, "合同编号"));
        assert_eq!(field(&en, x, "rep"), field(&zh, y, "销售员"));
        assert_eq!(field(&en, x, "close_date"), field(&zh, y, "成交日期"));
        assert_eq!(a.amounts[i], b.amounts[i]);
        assert_eq!(field(&en, x, "satisfaction"), field(&zh, y, "满意度"));
        let status = field(&en, x, "status").unwrap();
        assert_eq!(statuses.get(status).copied(), field(&zh, y, "状态"));
        if status == "closed" {
            closed.0 += a.amounts[i].unwrap();
            closed.1 += b.amounts[i].unwrap();
        }
    }
    assert_eq!(closed.0, closed.1);
}

#[test]
fn the_command_line() {
    let dir = scratch("cli");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(["generate", "--out"])
        .arg(&dir)
        .args(["--seed", "4", "--reps", "6", "--rows", "120", "--chinese"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("sales.csv (120 rows)"), "{stderr}");
    for name in FILES {
        assert!(dir.join(name).is_file(), "{name}");
    }
    let same = scratch("cli-lib");
    generate(
        &same,
        &Options {
            seed: 4,
            reps: 6,
            rows: 120,
            chinese: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(fs::read(dir.join("sales-cn.csv")).unwrap() == fs::read(same.join("sales-cn.csv")).unwrap());

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .args(["generate", "--out"])
        .arg(&dir)
        .args(["--plain", "--chinese"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    for d in [dir, same] {
        let _ = fs::remove_dir_all(d);
    }
}
