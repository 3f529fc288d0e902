//! The run configuration: parsing with clear errors, and resolving against a policy's model.

use std::path::{Path, PathBuf};

use rulebook::check::check_source;
use rulebook::check::model::Model;
use rulebook::input::config::{ConfigError, Format, RunConfig, parse_source_arg};
use rulebook::input::decode::EncodingChoice;
use rulebook::syntax::ast::FieldType;

use crate::common::INPUT_POLICY as POLICY;

fn model() -> Model {
    let checked = check_source(POLICY);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    checked.model
}

fn config(text: &str) -> Result<RunConfig, ConfigError> {
    RunConfig::from_yaml(text, Path::new("runs/2027-01/run.yaml"))
}

/// Line, column, message and help of a problem.
type Seen<'a> = (Option<usize>, Option<usize>, &'a str, Option<&'a str>);

fn problems(err: &ConfigError) -> Vec<Seen<'_>> {
    err.problems
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str(), p.help.as_deref()))
        .collect()
}

const GOOD: &str = r#"
sources:
  sales:
    path: data/sales-2027.csv
    encoding: gb18030
    delimiter: ";"
    columns:
      amount: 金额
      close_date: 成交日期
    dates: ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
    numbers:
      thousands: true
      currency: true
  reps:
    path: /srv/hr/reps.yaml
"#;

#[test]
fn a_good_configuration_resolves() {
    let bindings = config(GOOD).unwrap().resolve(&model()).unwrap();
    assert_eq!(bindings.len(), 2);
    let reps = &bindings[0];
    assert_eq!(reps.name, "reps");
    assert!(reps.is_roster);
    assert_eq!(reps.path, PathBuf::from("/srv/hr/reps.yaml"));
    assert_eq!(reps.format, Format::Yaml);
    assert_eq!(reps.encoding, EncodingChoice::Auto);

    let sales = &bindings[1];
    assert_eq!(sales.path, PathBuf::from("runs/2027-01/data/sales-2027.csv"));
    assert_eq!(sales.format, Format::Csv);
    assert_eq!(sales.encoding, EncodingChoice::Gb18030);
    assert_eq!(sales.delimiter, b';');
    assert!(sales.numbers.thousands && sales.numbers.currency);
    assert!(!sales.numbers.fullwidth && !sales.numbers.accounting_negative);
    assert_eq!(sales.dates.formats().len(), 3);
    // The fields in the order the policy declares them, with their columns.
    let fields: Vec<(&str, &str, FieldType, bool)> = sales
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.column.as_str(), f.ty, f.optional))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("deal_id", "deal_id", FieldType::Text, false),
            ("rep", "rep", FieldType::Text, false),
            ("close_date", "成交日期", FieldType::Date, false),
            ("amount", "金额", FieldType::Money, false),
            ("region", "region", FieldType::Text, false),
            ("discount", "discount", FieldType::Percent, true),
            ("satisfaction", "satisfaction", FieldType::Number, true),
        ]
    );
    assert_eq!(sales.amount_field(), Some(3));
    assert_eq!(reps.amount_field(), None);
}

#[test]
fn unknown_source_and_field_are_errors_with_suggestions() {
    let text = "\
sources:
  salse:
    path: sales.csv
  reps:
    path: reps.csv
    columns:
      hire_dat: 入职日期
      nickname: 昵称
";
    let err = config(text).unwrap().resolve(&model()).unwrap_err();
    // Every problem at once, in the order of the file.
    assert_eq!(
        problems(&err),
        vec![
            (
                Some(1),
                Some(1),
                "the policy's source `sales` is not bound to a file",
                Some("add `sales:` with its `path:` under `sources:`, or pass `--source sales=PATH`")
            ),
            (
                Some(2),
                Some(3),
                "the policy has no source `salse`",
                Some("did you mean `sales`?")
            ),
            (
                Some(7),
                Some(7),
                "the roster `reps` has no field `hire_dat`",
                Some("did you mean `hire_date`?")
            ),
            (
                Some(8),
                Some(7),
                "the roster `reps` has no field `nickname`",
                Some("the fields of `reps` are `hire_date`, `leave_date`, `name`, `rep_id`")
            ),
        ]
    );
    assert_eq!(
        err.to_string().lines().take(2).collect::<Vec<_>>(),
        vec![
            "runs/2027-01/run.yaml:1:1: the policy's source `sales` is not bound to a file",
            "  help: add `sales:` with its `path:` under `sources:`, or pass `--source sales=PATH`",
        ]
    );
}

#[test]
fn yaml_errors_give_line_and_column() {
    // A key the configuration does not know.
    let err = config("sources:\n  sales:\n    path: s.csv\n    encodng: auto\n").unwrap_err();
    assert_eq!(err.problems.len(), 1);
    let p = &err.problems[0];
    assert_eq!((p.line, p.column), (Some(4), Some(5)));
    assert!(
        p.message
            .starts_with("invalid run configuration: sources.sales: unknown field `encodng`, expected one of"),
        "{}",
        p.message
    );
    assert!(
        err.to_string()
            .starts_with("runs/2027-01/run.yaml:4:5: invalid run configuration")
    );

    // A value that is not one of the choices.
    let err = config("sources:\n  sales:\n    path: s.csv\n    encoding: latin1\n").unwrap_err();
    let p = &err.problems[0];
    assert_eq!(p.line, Some(4));
    assert!(
        p.message
            .contains("unknown variant `latin1`, expected one of `auto`, `utf-8`, `utf8`, `gb18030`, `gbk`"),
        "{}",
        p.message
    );

    // A value of the wrong shape.
    let err = config("sources:\n  sales:\n    path: [s.csv\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "runs/2027-01/run.yaml:3:11: invalid run configuration: sources.sales.path: invalid type: sequence, \
         expected path string"
    );

    // Broken YAML.
    let err = config("sources:\n  sales:\n    path: \"s.csv\n  reps: {\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "runs/2027-01/run.yaml:5:1: invalid run configuration: found unexpected end of stream at line 5 column 1, \
         while scanning a quoted scalar at line 3 column 11"
    );

    // An unknown number notation.
    let err = config("sources:\n  sales:\n    path: s.csv\n    numbers:\n      percent: true\n").unwrap_err();
    assert_eq!(err.problems[0].line, Some(5));
    assert!(err.problems[0].message.contains("unknown field `percent`"));
}

#[test]
fn formats_delimiters_and_dates_are_checked() {
    let text = r#"
sources:
  sales:
    path: sales.yaml
    delimiter: "\n"
    dates: ["%Y-%m"]
  reps:
    path: reps.xlsx
"#;
    let err = config(text).unwrap().resolve(&model()).unwrap_err();
    let messages: Vec<&str> = err.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "the source `sales` cannot be read from YAML: only the roster can",
            "`\\n` cannot be a delimiter",
            "the date format `%Y-%m` does not give a whole date: it needs a year (`%Y`), a month (`%m`) and a day (`%d`)",
            "cannot tell the format of `runs/2027-01/reps.xlsx` from its name",
        ]
    );
    assert_eq!(
        err.problems[3].help.as_deref(),
        Some("say `format: csv` or `format: jsonl`")
    );
}

#[test]
fn defaults_and_extensions() {
    let text = "sources:\n  sales:\n    path: s.jsonl\n  reps:\n    path: r.tsv\n";
    let bindings = RunConfig::from_yaml(text, Path::new("run.yaml"))
        .unwrap()
        .resolve(&model())
        .unwrap();
    assert_eq!(bindings[0].format, Format::Csv);
    assert_eq!(bindings[0].delimiter, b'\t');
    assert_eq!(bindings[0].path, PathBuf::from("r.tsv"));
    assert_eq!(bindings[1].format, Format::Jsonl);
    assert_eq!(bindings[1].encoding, EncodingChoice::Auto);
    assert_eq!(bindings[1].dates.formats(), ["%Y-%m-%d"]);
    assert_eq!(bindings[1].fields[3].column, "amount");
}

#[test]
fn command_line_overrides_a_path() {
    let mut config = config(GOOD).unwrap();
    let (name, path) = parse_source_arg("sales=/tmp/other.csv").unwrap();
    config.override_path(&name, path);
    let bindings = config.resolve(&model()).unwrap();
    assert_eq!(bindings[1].path, PathBuf::from("/tmp/other.csv"));
    // The rest of the source's configuration stays.
    assert_eq!(bindings[1].fields[3].column, "金额");

    // A source the configuration lacks is added with the defaults.
    let mut config = RunConfig::from_yaml("sources:\n  sales:\n    path: s.csv\n", Path::new("run.yaml")).unwrap();
    assert!(config.resolve(&model()).is_err());
    config.override_path("reps", "hr/reps.csv");
    let bindings = config.resolve(&model()).unwrap();
    assert_eq!(bindings[0].path, PathBuf::from("hr/reps.csv"));

    // An override for a source the policy lacks is caught by resolve.
    config.override_path("sale", "x.csv");
    let err = config.resolve(&model()).unwrap_err();
    assert_eq!(err.problems[0].message, "the policy has no source `sale`");
    assert_eq!(err.problems[0].help.as_deref(), Some("did you mean `sales`?"));

    assert!(parse_source_arg("sales").is_err());
    assert!(parse_source_arg("=x.csv").is_err());
}

#[test]
fn a_configuration_file_in_gb18030_loads() {
    let dir = std::env::temp_dir().join(format!("rulebook-input-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = "sources:\n  sales:\n    path: 销售.csv\n    columns: {amount: 金额}\n  reps:\n    path: reps.csv\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let path = dir.join("run.yaml");
    std::fs::write(&path, &bytes).unwrap();
    let bindings = RunConfig::load(&path).unwrap().resolve(&model()).unwrap();
    assert_eq!(bindings[1].path, dir.join("销售.csv"));
    assert_eq!(bindings[1].fields[3].column, "金额");

    // 9 + 9 + 10 bytes before the FF.
    std::fs::write(&path, b"sources:\n  sales:\n    path: \xFF\n").unwrap();
    let err = RunConfig::load(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the run configuration is neither UTF-8 nor GB18030: not valid UTF-8 at byte offset 28, \
             and not valid GB18030 at byte offset 28 (bytes FF)",
            path.display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}
