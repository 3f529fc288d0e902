//! Reading sources end to end: run configuration → bindings → typed rows and rejections, with
//! values worked out by hand.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::date;
use rulebook::check::check_source;
use rulebook::input::config::{RunConfig, SourceBinding};
use rulebook::input::decode::Encoding;
use rulebook::input::hash::sha256_hex;
use rulebook::input::reader::{InputError, Record, Rejection, SourceReader, SourceSummary, Value};
use rust_decimal_macros::dec;

use crate::common::INPUT_POLICY as POLICY;

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulebook-input-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the files and the configuration, and resolves it against the test policy.
fn bind(dir: &Path, config: &str, files: &[(&str, &[u8])]) -> Vec<SourceBinding> {
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes).unwrap();
    }
    let path = dir.join("run.yaml");
    fs::write(&path, config).unwrap();
    let checked = check_source(POLICY);
    assert!(!checked.has_errors());
    RunConfig::load(&path).unwrap().resolve(&checked.model).unwrap()
}

fn binding<'a>(bindings: &'a [SourceBinding], name: &str) -> &'a SourceBinding {
    bindings.iter().find(|b| b.name == name).unwrap()
}

/// What a record became, with a row's values as text.
#[derive(Debug, PartialEq)]
enum Got {
    Row(Vec<Option<String>>),
    Rejected(Rejection),
}

impl Got {
    fn rejection(&self) -> &Rejection {
        match self {
            Got::Rejected(r) => r,
            Got::Row(values) => panic!("a row, not a rejection: {values:?}"),
        }
    }
}

/// Each record, and the summary.
fn read_all(binding: &SourceBinding) -> (Vec<Got>, SourceSummary) {
    let mut reader = SourceReader::open(binding).unwrap();
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        records.push(match record {
            Record::Row(row) => Got::Row((0..row.len()).map(|i| row.get(i).map(|v| v.to_string())).collect()),
            Record::Rejected(r) => Got::Rejected(r),
        });
    }
    (records, reader.finish().unwrap())
}

fn row(values: &[&str]) -> Got {
    Got::Row(
        values
            .iter()
            .map(|v| if v.is_empty() { None } else { Some(v.to_string()) })
            .collect(),
    )
}

const SALES_CONFIG: &str = r#"
sources:
  sales:
    path: sales.csv
    columns:
      deal_id: 合同编号
      rep: 销售员
      close_date: 成交日期
      amount: 金额
      region: 区域
      discount: 折扣
    dates: ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
    numbers:
      thousands: true
      currency: true
      fullwidth: true
      accounting_negative: true
  reps:
    path: reps.yaml
"#;

const SALES: &str = "\
合同编号,销售员,成交日期,金额,区域,折扣
D1,张三,2027年1月5日,\"¥1,234.50\",华东,12.5%
D2,李四,2027/1/6,\"(1,234.00)\",华南,
D3,王五,2027-01-07,\"１，２３４．５０\",华北,0.1
D4, 赵六 ,２０２７年１２月３１日,-20元,华东,
";

#[test]
fn utf8_bom_and_gb18030_give_identical_rows() {
    let expected = vec![
        // deal_id, rep, close_date, amount, region, discount, satisfaction (no column: optional)
        row(&["D1", "张三", "2027-01-05", "1234.50", "华东", "0.125", ""]),
        row(&["D2", "李四", "2027-01-06", "-1234.00", "华南", "", ""]),
        row(&["D3", "王五", "2027-01-07", "1234.50", "华北", "0.1", ""]),
        row(&["D4", "赵六", "2027-12-31", "-20", "华东", "", ""]),
    ];

    let utf8 = [b"\xEF\xBB\xBF".as_slice(), SALES.as_bytes()].concat();
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(SALES);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err());

    for (bytes, encoding) in [
        (utf8, Encoding::Utf8 { bom: true }),
        (gbk.into_owned(), Encoding::Gb18030),
    ] {
        let dir = scratch(encoding.name());
        let bindings = bind(&dir, SALES_CONFIG, &[("sales.csv", &bytes)]);
        let sales = binding(&bindings, "sales");
        let (records, summary) = read_all(sales);
        assert_eq!(records, expected, "{encoding}");
        assert_eq!(summary.encoding, encoding);
        assert_eq!(summary.rows_read, 4);
        assert_eq!(summary.rows_rejected, 0);
        assert_eq!(summary.bytes, bytes.len() as u64);
        assert_eq!(summary.sha256, sha256_hex(&bytes));
        assert_eq!(summary.file, dir.join("sales.csv"));
        fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn typed_values_are_exact() {
    let dir = scratch("typed");
    let bindings = bind(&dir, SALES_CONFIG, &[("sales.csv", SALES.as_bytes())]);
    let sales = binding(&bindings, "sales");
    let mut reader = SourceReader::open(sales).unwrap();
    let Some(Record::Row(row)) = reader.next_record().unwrap() else {
        panic!("a row")
    };
    assert_eq!((row.record(), row.line()), (1, 2));
    assert_eq!(row.get(0), Some(Value::Text("D1")));
    assert_eq!(row.get(2), Some(Value::Date(date(2027, 1, 5))));
    assert_eq!(row.get(3), Some(Value::Money(dec!(1234.50))));
    assert_eq!(row.decimal(3).unwrap().scale(), 2);
    assert_eq!(row.get(5), Some(Value::Percent(dec!(0.125))));
    assert_eq!(row.get(6), None);
    assert_eq!(row.text(1), Some("张三"));
    assert_eq!(row.date(2), Some(date(2027, 1, 5)));
    let Some(Record::Row(row)) = reader.next_record().unwrap() else {
        panic!("a row")
    };
    assert_eq!((row.record(), row.line()), (2, 3));
    assert_eq!(row.decimal(3), Some(dec!(-1234.00)));
    assert_eq!(sales.amount_field(), Some(3));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_cells_are_rejected_with_file_line_column_and_reason() {
    let data = "\
合同编号,销售员,成交日期,金额,区域,折扣
D1,张三,2027-01-05,\"1,2,3\",华东,
D2,,2027-01-05,5,华东,
D3,王五,2027-01-05,5
D4,王五,2027-02-30,5,华东,
D5,王五,2027-01-05,\"¥5\",\"华东
分部\",7%
,,,,,
D6,王五,2027-01-05,(5),华东,
D7,王五,2027-01-05,5,华东,3%,extra
";
    let config = SALES_CONFIG
        .replace("      currency: true\n", "")
        .replace("      accounting_negative: true\n", "");
    let dir = scratch("rejections");
    let bindings = bind(&dir, &config, &[("sales.csv", data.as_bytes())]);
    let (records, summary) = read_all(binding(&bindings, "sales"));
    let file = dir.join("sales.csv");
    let reject =
        |record, line, column: Option<usize>, header: Option<&str>, field: Option<&str>, value: &str, reason: &str| {
            Got::Rejected(Rejection {
                file: file.clone(),
                record,
                line,
                column,
                header: header.map(String::from),
                field: field.map(String::from),
                value: value.into(),
                reason: reason.into(),
            })
        };
    assert_eq!(
        records,
        vec![
            reject(
                1,
                2,
                Some(4),
                Some("金额"),
                Some("amount"),
                "1,2,3",
                "`1,2,3` is not an amount: misplaced thousands separator"
            ),
            reject(
                2,
                3,
                Some(2),
                Some("销售员"),
                Some("rep"),
                "",
                "`rep` is empty, and the field is not optional"
            ),
            reject(
                3,
                4,
                None,
                None,
                None,
                "D3,王五,2027-01-05,5",
                "the line has 4 fields where the header has 6; it may be cut short"
            ),
            reject(
                4,
                5,
                Some(3),
                Some("成交日期"),
                Some("close_date"),
                "2027-02-30",
                "`2027-02-30` is not a date: there is no such day"
            ),
            reject(
                5,
                6,
                Some(4),
                Some("金额"),
                Some("amount"),
                "¥5",
                "`¥5` is not an amount: it has the currency `¥`, and currency symbols are not declared \
                 (`numbers: currency: true` in the run configuration)"
            ),
            // The quoted cell of D5 spans two lines, and the line of empty cells is no record.
            reject(
                6,
                9,
                Some(4),
                Some("金额"),
                Some("amount"),
                "(5)",
                "`(5)` is not an amount: parentheses for a negative amount are not declared \
                 (`numbers: accounting_negative: true` in the run configuration)"
            ),
            reject(
                7,
                10,
                None,
                None,
                None,
                "D7,王五,2027-01-05,5,华东,3%,extra",
                "the line has 7 fields where the header has 6"
            ),
        ]
    );
    assert_eq!(
        (summary.rows_read, summary.rows_rejected, summary.rows_accepted()),
        (7, 7, 0)
    );
    let first = records[0].rejection();
    assert_eq!(
        first.to_string(),
        format!(
            "{}:2:4: column `金额` (field `amount`): `1,2,3` is not an amount: misplaced thousands separator",
            file.display()
        )
    );
    fs::remove_dir_all(dir).unwrap();
}

fn open_error(dir: &Path, config: &str, files: &[(&str, &[u8])], source: &str) -> InputError {
    let bindings = bind(dir, config, files);
    match SourceReader::open(binding(&bindings, source)) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn a_missing_column_is_an_error_before_any_row() {
    let dir = scratch("missing-column");
    let data = "合同编号,销售员,成交日期,金额元,区域\nD1,张三,2027-01-05,5,华东\n";
    let err = open_error(&dir, SALES_CONFIG, &[("sales.csv", data.as_bytes())], "sales");
    assert_eq!(err.file, dir.join("sales.csv"));
    assert_eq!(err.line, Some(1));
    assert_eq!(err.message, "the header has no column `金额` (for the field `amount`)");
    assert_eq!(
        err.help.as_deref(),
        Some("`金额`: did you mean `金额元`?; name a field's column under `columns:` in the run configuration")
    );
    // `折扣` is missing too, but `discount` is optional.

    let data = "deal_id,rep\nD1,张三\n";
    let config = "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: reps.yaml\n";
    let err = open_error(&dir, config, &[("sales.csv", data.as_bytes())], "sales");
    assert_eq!(
        err.message,
        "the header has no columns `close_date`, `amount`, `region`"
    );
    assert_eq!(
        err.help.as_deref(),
        Some("the columns are `deal_id`, `rep`; name a field's column under `columns:` in the run configuration")
    );

    let err = open_error(&dir, config, &[("sales.csv", b"")], "sales");
    assert_eq!(err.message, "the file is empty: it has no header line");

    let err = open_error(
        &dir,
        "sources:\n  sales:\n    path: nowhere.csv\n  reps:\n    path: reps.yaml\n",
        &[],
        "sales",
    );
    assert!(
        err.message.starts_with("cannot open the file of `sales`: "),
        "{}",
        err.message
    );
    fs::remove_dir_all(dir).unwrap();
}

/// Reads the source until it fails; returns the error and the rows read before it.
fn read_error(dir: &Path, config: &str, files: &[(&str, &[u8])], source: &str) -> (InputError, u64) {
    let bindings = bind(dir, config, files);
    let mut reader = SourceReader::open(binding(&bindings, source)).unwrap();
    loop {
        match reader.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("expected an error"),
            Err(e) => return (e, reader.rows_read()),
        }
    }
}

#[test]
fn a_file_neither_utf8_nor_gb18030_is_an_error_with_its_byte_offset() {
    let dir = scratch("bad-bytes");
    let config = "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: reps.yaml\n";
    // The header is 37 bytes; then `D1,` and a byte FF, which neither encoding has.
    let mut data = b"deal_id,rep,close_date,amount,region\nD1,".to_vec();
    assert_eq!(data.len(), 40);
    data.extend_from_slice(b"\xFF,2027-01-05,5,x\n");
    let (err, rows) = read_error(&dir, config, &[("sales.csv", &data)], "sales");
    assert_eq!(rows, 0);
    assert_eq!(err.offset, Some(40));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: neither UTF-8 nor GB18030: not valid UTF-8 at byte offset 40, and not valid GB18030 at byte offset 40 (bytes FF)",
            dir.join("sales.csv").display()
        )
    );

    // Declared UTF-8, but GBK bytes (张 is D5 C5) in the second row.
    let config = config.replace("path: sales.csv", "path: sales.csv\n    encoding: utf-8");
    let mut data = b"deal_id,rep,close_date,amount,region\nD1,R,2027-01-05,5,x\nD2,".to_vec();
    let at = data.len() as u64;
    data.extend_from_slice(b"\xD5\xC5,2027-01-05,5,x\n");
    let (err, rows) = read_error(&dir, &config, &[("sales.csv", &data)], "sales");
    // The row before the bad bytes was read.
    assert_eq!(rows, 1);
    assert_eq!(err.offset, Some(at));
    assert_eq!(err.message, format!("not valid UTF-8 at byte offset {at} (bytes D5)"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn json_lines() {
    let data = r#"{"deal_id": "D1", "rep": "张三", "close_date": "2027-01-05", "金额": 1234.50, "region": "华东", "discount": 0.125}
{"deal_id": "D2", "rep": "李\u56db", "close_date": "2027-01-06", "金额": "-20", "region": "华南", "discount": null, "note": [1, {"a": 2}]}

{"deal_id": "D3", "rep": "王五", "close_date": "2027-01-07", "region": "华北"}
{"deal_id": "D4", "rep": "王五", "close_date": "2027-01-07", "金额": 1e3, "region": "华北"}
not json
{"deal_id": 5, "rep": "王五", "close_date": "2027-01-07", "金额": 7, "region": ["x"]}
"#;
    let config =
        "sources:\n  sales:\n    path: sales.jsonl\n    columns: {amount: 金额}\n  reps:\n    path: reps.yaml\n";
    let dir = scratch("jsonl");
    let bindings = bind(&dir, config, &[("sales.jsonl", data.as_bytes())]);
    let (records, summary) = read_all(binding(&bindings, "sales"));
    let file = dir.join("sales.jsonl");
    assert_eq!(records.len(), 6);
    assert_eq!(
        records[0],
        row(&["D1", "张三", "2027-01-05", "1234.50", "华东", "0.125", ""])
    );
    assert_eq!(records[1], row(&["D2", "李四", "2027-01-06", "-20", "华南", "", ""]));
    type Seen<'a> = (u64, u64, Option<usize>, Option<&'a str>, &'a str, &'a str);
    let rejections: Vec<Seen> = records[2..]
        .iter()
        .map(|r| {
            let r = r.rejection();
            assert_eq!(r.file, file);
            (
                r.record,
                r.line,
                r.column,
                r.header.as_deref(),
                r.value.as_str(),
                r.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rejections,
        vec![
            (
                3,
                4,
                None,
                Some("金额"),
                "",
                "the record has no `金额`, and the field is not optional"
            ),
            (
                4,
                5,
                Some(66),
                Some("金额"),
                "1e3",
                "`1e3` is not an amount: exponent notation is not accepted"
            ),
            (
                5,
                6,
                Some(2),
                None,
                "not json",
                "the line is not a JSON object: expected ident"
            ),
            (
                6,
                7,
                Some(76),
                Some("region"),
                "[\"x\"]",
                "`[\"x\"]` is a list or an object, not a single value"
            ),
        ]
    );
    assert_eq!((summary.rows_read, summary.rows_rejected), (6, 4));
    assert_eq!(summary.sha256, sha256_hex(data.as_bytes()));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn yaml_roster() {
    let data = "\
- rep_id: R1
  name: 张三
  hire_date: 2027-01-05
- rep_id: R2
  name: 李四
  hire_date: 2027-02-30
  leave_date: ~
- {rep_id: R3, name: 王五, hire_date: 2026-12-01, leave_date: 2027-06-30}
- rep_id: R4
  hire_date: 2027-03-01
";
    let config = "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: reps.yaml\n";
    let dir = scratch("yaml");
    let bindings = bind(&dir, config, &[("reps.yaml", data.as_bytes())]);
    let (records, summary) = read_all(binding(&bindings, "reps"));
    assert_eq!(records[0], row(&["R1", "张三", "2027-01-05", ""]));
    let r = records[1].rejection();
    assert_eq!(
        (r.line, r.field.as_deref(), r.reason.as_str()),
        (4, Some("hire_date"), "`2027-02-30` is not a date: there is no such day")
    );
    assert_eq!(records[2], row(&["R3", "王五", "2026-12-01", "2027-06-30"]));
    let r = records[3].rejection();
    assert_eq!(
        (r.line, r.field.as_deref(), r.reason.as_str()),
        (
            9,
            Some("name"),
            "the record has no `name`, and the field is not optional"
        )
    );
    assert_eq!(summary.encoding, Encoding::Utf8 { bom: false });
    assert_eq!((summary.rows_read, summary.rows_rejected), (4, 2));

    fs::write(dir.join("reps.yaml"), "rep_id: R1\n").unwrap();
    let err = match SourceReader::open(binding(&bindings, "reps")) {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    };
    assert_eq!(err.line, Some(1));
    assert!(
        err.message
            .starts_with("not a YAML roster: invalid type: map, expected a sequence"),
        "{}",
        err.message
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_hash_covers_the_whole_file_even_when_reading_stops_early() {
    // 18 bytes; SHA-256 computed once by `sha256sum`.
    let data = b"rep_id,name\nR1,Li\n";
    let dir = scratch("hash");
    let config =
        "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: reps.csv\n    columns: {hire_date: name}\n";
    let bindings = bind(&dir, config, &[("reps.csv", data)]);
    let reader = SourceReader::open(binding(&bindings, "reps")).unwrap();
    let summary = reader.finish().unwrap();
    assert_eq!(summary.bytes, 18);
    assert_eq!(
        summary.sha256,
        "183dde310ccc90f871314ecefa8f3bd5585671cdc6f77911ea3577ec67499be2"
    );
    assert_eq!(summary.rows_read, 0);
    fs::remove_dir_all(dir).unwrap();
}
