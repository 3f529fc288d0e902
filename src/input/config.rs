//! The run configuration: which file each source of the policy is read from, in which format
//! and encoding, under which column names, and which date and number notations its cells use.
//!
//! ```yaml
//! sources:
//!   sales:
//!     path: data/sales-2027.csv      # relative to this file's directory
//!     format: csv                    # csv | jsonl | yaml (the roster only); default from the extension
//!     encoding: auto                 # auto | utf-8 | gb18030
//!     columns: { amount: 金额, close_date: 成交日期 }
//!     dates: ["%Y-%m-%d", "%Y年%m月%d日"]
//!     numbers: { thousands: true, currency: true }
//! ```
//!
//! [`RunConfig::resolve`] checks the configuration against the policy's model and turns each
//! source into a [`SourceBinding`], the reader's whole instructions.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::decode::{EncodingChoice, decode_all};
use super::values::{DateFormats, NumberFormat};
use crate::check::model::Model;
use crate::suggest::did_you_mean;
use crate::syntax::ast::FieldType;

/// The run configuration as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub sources: BTreeMap<String, SourceConfig>,
    /// The configuration file, for messages.
    #[serde(skip)]
    file: PathBuf,
    /// Its text, to point messages at lines.
    #[serde(skip)]
    text: String,
}

/// How one source is read.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Relative paths are taken from the configuration file's directory when it is read.
    pub path: PathBuf,
    /// When absent, from the file's extension.
    #[serde(default)]
    pub format: Option<Format>,
    #[serde(default)]
    pub encoding: EncodingChoice,
    /// For CSV; a comma unless said (a tab for `.tsv` files).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Policy field → column header (or JSON / YAML key); a field not named here is read from
    /// the column of its own name.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// jiff `strptime` formats, tried in order; `%Y-%m-%d` when empty.
    #[serde(default)]
    pub dates: Vec<String>,
    #[serde(default)]
    pub numbers: NumberFormat,
}

impl SourceConfig {
    /// A source read from `path` with every default.
    pub fn for_path(path: impl Into<PathBuf>) -> SourceConfig {
        SourceConfig {
            path: path.into(),
            format: None,
            encoding: EncodingChoice::Auto,
            delimiter: None,
            columns: BTreeMap::new(),
            dates: Vec::new(),
            numbers: NumberFormat::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A YAML list of maps; the roster only, since it is read whole.
    Yaml,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Yaml => "yaml",
        }
    }

    fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Everything the reader needs to read one source, checked against the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceBinding {
    /// The source's name in the policy.
    pub name: String,
    pub is_roster: bool,
    pub path: PathBuf,
    pub format: Format,
    pub encoding: EncodingChoice,
    /// The CSV delimiter, one ASCII byte.
    pub delimiter: u8,
    /// The policy's fields in the order the policy declares them; rows are indexed the same way.
    pub fields: Vec<BoundField>,
    pub dates: DateFormats,
    pub numbers: NumberFormat,
}

/// One field of a source and the column it is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundField {
    pub name: String,
    /// The column header (or key) in the file.
    pub column: String,
    pub ty: FieldType,
    /// An empty cell, or a column missing from the file, reads as no value.
    pub optional: bool,
}

impl SourceBinding {
    /// The index of a field by its policy name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field whose total is the source's control total: the money field named `amount`
    /// (or `金额`), else the first money field declared; `None` when there is no money field.
    pub fn amount_field(&self) -> Option<usize> {
        let money = |f: &&BoundField| f.ty == FieldType::Money;
        self.fields
            .iter()
            .filter(money)
            .find(|f| f.name == "amount" || f.name == "金额")
            .or_else(|| self.fields.iter().find(money))
            .and_then(|f| self.field_index(&f.name))
    }
}

/// What is wrong with a run configuration: every problem found, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<ConfigProblem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// 1-based, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl ConfigError {
    fn one(file: &Path, line: Option<usize>, column: Option<usize>, message: String) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            problems: vec![ConfigProblem {
                line,
                column,
                message,
                help: None,
            }],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
                if let Some(column) = p.column {
                    write!(f, ":{column}")?;
                }
            }
            write!(f, ": {}", p.message)?;
            if let Some(help) = &p.help {
                write!(f, "\n  help: {help}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl RunConfig {
    /// Reads a run configuration file, in UTF-8 or GB18030 like the data.
    pub fn load(path: &Path) -> Result<RunConfig, ConfigError> {
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError::one(path, None, None, format!("cannot read the run configuration: {e}")))?;
        let (text, _) = decode_all(&bytes, EncodingChoice::Auto)
            .map_err(|e| ConfigError::one(path, None, None, format!("the run configuration is {e}")))?;
        RunConfig::from_yaml(&text, path)
    }

    /// Parses a run configuration; `file` names it in messages and relative paths are taken from
    /// its directory.
    pub fn from_yaml(text: &str, file: &Path) -> Result<RunConfig, ConfigError> {
        let mut config: RunConfig = yaml_serde::from_str(text).map_err(|e| {
            let (line, column, message) = yaml_error(&e);
            ConfigError::one(file, line, column, format!("invalid run configuration: {message}"))
        })?;
        let base = file.parent().unwrap_or(Path::new(""));
        for source in config.sources.values_mut() {
            if source.path.is_relative() {
                source.path = base.join(&source.path);
            }
        }
        config.file = file.to_path_buf();
        config.text = text.to_string();
        Ok(config)
    }

    /// The configuration file, as given to [`RunConfig::from_yaml`].
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Reads source `name` from `path` (the command line's `--source NAME=PATH`, relative to the
    /// working directory), adding the source with every default if the configuration lacks it.
    /// Whether the policy has such a source is checked by [`RunConfig::resolve`].
    pub fn override_path(&mut self, name: &str, path: impl Into<PathBuf>) {
        let path = path.into();
        match self.sources.get_mut(name) {
            Some(source) => source.path = path,
            None => {
                self.sources.insert(name.to_string(), SourceConfig::for_path(path));
            }
        }
    }

    fn at(&self, path: &[&str]) -> (Option<usize>, Option<usize>) {
        match locate(&self.text, path) {
            Some((line, column)) => (Some(line), Some(column)),
            None => (None, None),
        }
    }

    /// Checks the configuration against the policy: every source bound exists in the policy, every
    /// source of the policy is bound, `columns` names only fields of its source, and the formats,
    /// delimiters and date formats make sense. Reports every problem at once.
    pub fn resolve(&self, model: &Model) -> Result<Vec<SourceBinding>, ConfigError> {
        let mut problems = Vec::new();
        let mut problem = |at: (Option<usize>, Option<usize>), message: String, help: Option<String>| {
            problems.push(ConfigProblem {
                line: at.0,
                column: at.1,
                message,
                help,
            })
        };
        let policy_sources = || model.sources.keys().map(String::as_str);

        for name in self.sources.keys() {
            if !model.sources.contains_key(name) {
                let help = match did_you_mean(name, policy_sources()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the policy's sources are {}", list(policy_sources())),
                };
                problem(
                    self.at(&["sources", name]),
                    format!("the policy has no source `{name}`"),
                    Some(help),
                );
            }
        }

        let mut bindings = Vec::new();
        for (name, info) in &model.sources {
            let kind = if info.is_roster { "roster" } else { "source" };
            let Some(source) = self.sources.get(name) else {
                problem(
                    self.at(&["sources"]),
                    format!("the policy's {kind} `{name}` is not bound to a file"),
                    Some(format!(
                        "add `{name}:` with its `path:` under `sources:`, or pass `--source {name}=PATH`"
                    )),
                );
                continue;
            };
            let mut ok = true;

            let format = match source.format.or_else(|| Format::from_extension(&source.path)) {
                Some(Format::Yaml) if !info.is_roster => {
                    problem(
                        self.at(&["sources", name, "format"]).or(self.at(&["sources", name])),
                        format!("the source `{name}` cannot be read from YAML: only the roster can"),
                        Some("export the records as CSV or JSON Lines, which are read as a stream".into()),
                    );
                    ok = false;
                    Format::Yaml
                }
                Some(f) => f,
                None => {
                    problem(
                        self.at(&["sources", name, "path"]),
                        format!("cannot tell the format of `{}` from its name", source.path.display()),
                        Some("say `format: csv` or `format: jsonl`".into()),
                    );
                    ok = false;
                    Format::Csv
                }
            };

            let tsv = source.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
            let delimiter = match source.delimiter {
                None if tsv => b'\t',
                None => b',',
                Some(c) if c.is_ascii() && !matches!(c, '"' | '\n' | '\r') => c as u8,
                Some(c) => {
                    problem(
                        self.at(&["sources", name, "delimiter"]),
                        format!("`{}` cannot be a delimiter", c.escape_default()),
                        Some("a delimiter is one ASCII character other than a quote or a line break, e.g. `\",\"` or `\"\\t\"`".into()),
                    );
                    ok = false;
                    b','
                }
            };

            for (field, column) in &source.columns {
                if !info.fields.contains_key(field) {
                    let fields = || info.fields.keys().map(String::as_str);
                    let help = match did_you_mean(field, fields()) {
                        Some(f) => format!("did you mean `{f}`?"),
                        None => format!("the fields of `{name}` are {}", list(fields())),
                    };
                    problem(
                        self.at(&["sources", name, "columns", field]),
                        format!("the {kind} `{name}` has no field `{field}`"),
                        Some(help),
                    );
                    ok = false;
                } else if column.trim().is_empty() {
                    problem(
                        self.at(&["sources", name, "columns", field]),
                        format!("the column for `{name}.{field}` is empty"),
                        None,
                    );
                    ok = false;
                }
            }

            let dates = match DateFormats::new(&source.dates) {
                Ok(d) => d,
                Err(message) => {
                    problem(
                        self.at(&["sources", name, "dates"]),
                        message,
                        Some("dates use jiff's strptime directives, e.g. `%Y-%m-%d` or `%Y年%m月%d日`".into()),
                    );
                    ok = false;
                    DateFormats::iso()
                }
            };

            let mut fields: Vec<(usize, BoundField)> = info
                .fields
                .iter()
                .map(|(field, f)| {
                    (
                        f.span.start,
                        BoundField {
                            name: field.clone(),
                            column: source
                                .columns
                                .get(field)
                                .map_or(field.as_str(), |c| c.trim())
                                .to_string(),
                            ty: f.ty,
                            optional: f.optional,
                        },
                    )
                })
                .collect();
            fields.sort_by_key(|(start, f)| (*start, f.name.clone()));

            if ok {
                bindings.push(SourceBinding {
                    name: name.clone(),
                    is_roster: info.is_roster,
                    path: source.path.clone(),
                    format,
                    encoding: source.encoding,
                    delimiter,
                    fields: fields.into_iter().map(|(_, f)| f).collect(),
                    dates,
                    numbers: source.numbers,
                });
            }
        }

        if problems.is_empty() {
            Ok(bindings)
        } else {
            problems.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
            Err(ConfigError {
                file: self.file.clone(),
                problems,
            })
        }
    }
}

/// A YAML error's line, column and message, without the message's own copy of the location.
pub(crate) fn yaml_error(err: &yaml_serde::Error) -> (Option<usize>, Option<usize>, String) {
    let mut message = err.to_string();
    match err.location() {
        Some(at) => {
            let suffix = format!(" at line {} column {}", at.line(), at.column());
            if message.ends_with(&suffix) {
                message.truncate(message.len() - suffix.len());
            }
            (Some(at.line()), Some(at.column()), message)
        }
        None => (None, None, message),
    }
}

/// `NAME=PATH` from the command line's `--source`.
pub fn parse_source_arg(arg: &str) -> Result<(String, PathBuf), String> {
    match arg.split_once('=') {
        Some((name, path)) if !name.trim().is_empty() && !path.is_empty() => {
            Ok((name.trim().to_string(), PathBuf::from(path)))
        }
        _ => Err(format!("`{arg}` is not NAME=PATH")),
    }
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

trait OrAt {
    fn or(self, other: Self) -> Self;
}

impl OrAt for (Option<usize>, Option<usize>) {
    fn or(self, other: Self) -> Self {
        if self.0.is_some() { self } else { other }
    }
}

/// The line and column (1-based) of a key in block-style YAML, found by following `path` down
/// the indentation. A best effort for messages: `None` when the layout is not the plain one.
fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut parent_indent: Option<usize> = None;
    let mut found = None;
    for key in path {
        let mut hit = None;
        for (n, line) in lines.iter().enumerate().skip(from) {
            let body = line.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let indent = line.len() - body.len();
            if parent_indent.is_some_and(|p| indent <= p) {
                break;
            }
            if is_key(body, key) {
                hit = Some((n, indent));
                break;
            }
        }
        let (n, indent) = hit?;
        found = Some((n + 1, indent + 1));
        from = n + 1;
        parent_indent = Some(indent);
    }
    found
}

fn is_key(body: &str, key: &str) -> bool {
    let rest = if let Some(r) = body.strip_prefix(key) {
        r
    } else if let Some(r) = body
        .strip_prefix('"')
        .and_then(|b| b.strip_prefix(key))
        .and_then(|b| b.strip_prefix('"'))
    {
        r
    } else if let Some(r) = body
        .strip_prefix('\'')
        .and_then(|b| b.strip_prefix(key))
        .and_then(|b| b.strip_prefix('\''))
    {
        r
    } else {
        return false;
    };
    rest.trim_start().starts_with(':')
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_keys_by_indentation() {
        let text = "sources:\n  sales:\n    path: a.csv\n    columns:\n      amont: 金额\n  reps:\n    path: r.csv\n";
        assert_eq!(locate(text, &["sources", "sales"]), Some((2, 3)));
        assert_eq!(locate(text, &["sources", "sales", "columns", "amont"]), Some((5, 7)));
        assert_eq!(locate(text, &["sources", "reps", "columns"]), None);
        assert_eq!(locate(text, &["sources", "sales", "path"]), Some((3, 5)));
    }
}
