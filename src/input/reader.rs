//! The streaming reader of one source: the file's bytes are hashed, decoded and split into
//! records, and each record becomes either a typed [`Row`] or a [`Rejection`] saying which cell
//! was wrong and why. A problem with the file as a whole (it cannot be opened or decoded, its
//! header lacks a column) is an [`InputError`] instead, and no rows are read after it.
//!
//! CSV and JSON Lines are read as a stream: the record buffer and the row are reused, so reading
//! does not allocate per row once the buffers have grown to the widest row (a rejection
//! allocates). A YAML roster is read whole.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::config::{BoundField, Format, SourceBinding};
use super::decode::{DecodeError, DecodeReader, Encoding};
use super::hash::HashingReader;
use super::values::{self, DateFormats, NumberFormat, NumberKind};
use crate::suggest::did_you_mean;
use crate::syntax::ast::FieldType;

/// A problem with an input file as a whole; reading stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    /// 1-based, when the problem is at a line.
    pub line: Option<u64>,
    pub column: Option<usize>,
    /// For bytes that are not valid in the file's encoding: their offset in the file.
    pub offset: Option<u64>,
    pub message: String,
    pub help: Option<String>,
}

impl InputError {
    fn new(file: &Path, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            offset: None,
            message: message.into(),
            help: None,
        }
    }

    fn io(file: &Path, err: &io::Error) -> InputError {
        match DecodeError::from_io(err) {
            Some(d) => InputError {
                offset: Some(d.offset),
                ..InputError::new(file, d.to_string())
            },
            None => InputError::new(file, format!("cannot read the file: {err}")),
        }
    }

    fn csv(file: &Path, err: csv::Error) -> InputError {
        if let csv::ErrorKind::Io(e) = err.kind() {
            return InputError::io(file, e);
        }
        InputError {
            line: err.position().map(|p| p.line()),
            ..InputError::new(file, format!("cannot read the CSV: {err}"))
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// An input record that was not used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub file: PathBuf,
    /// The record's number in the file, 1-based (the header does not count).
    pub record: u64,
    /// The line the record starts on, 1-based; 0 when not known (a YAML roster in flow style).
    pub line: u64,
    /// The column: in CSV the cell's position in the header, 1-based; in JSON Lines the
    /// character where the value starts; `None` when the whole record is at fault.
    pub column: Option<usize>,
    /// The column header (or key) the cell is under.
    pub header: Option<String>,
    /// The policy field the cell was read for.
    pub field: Option<String>,
    /// The cell as written (the whole record when no one cell is at fault).
    pub value: String,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": ")?;
        match (&self.header, &self.field) {
            (Some(h), Some(field)) if h != field => write!(f, "column `{h}` (field `{field}`): ")?,
            (Some(h), _) => write!(f, "column `{h}`: ")?,
            _ => {}
        }
        f.write_str(&self.reason)
    }
}

/// A typed value of one cell, borrowed from the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    Money(Decimal),
    Number(Decimal),
    /// As a fraction: 12.5% is 0.125.
    Percent(Decimal),
    Date(Date),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) => f.write_str(t),
            Value::Money(d) | Value::Number(d) | Value::Percent(d) => write!(f, "{d}"),
            Value::Date(d) => write!(f, "{d}"),
        }
    }
}

#[derive(Clone, Debug)]
struct Cell {
    present: bool,
    text: String,
    decimal: Decimal,
    date: Date,
}

/// One record read into typed values, one per field of the binding, in the binding's order.
/// The reader reuses it for the next record.
#[derive(Clone, Debug)]
pub struct Row {
    record: u64,
    line: u64,
    types: Vec<FieldType>,
    cells: Vec<Cell>,
}

impl Row {
    fn new(fields: &[BoundField]) -> Row {
        Row {
            record: 0,
            line: 0,
            types: fields.iter().map(|f| f.ty).collect(),
            cells: fields
                .iter()
                .map(|_| Cell {
                    present: false,
                    text: String::new(),
                    decimal: Decimal::ZERO,
                    date: Date::default(),
                })
                .collect(),
        }
    }

    /// The record's number in the file, 1-based.
    pub fn record(&self) -> u64 {
        self.record
    }

    /// The line the record starts on, 1-based (0 when not known).
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The value of field `i`; `None` for an optional field left empty.
    pub fn get(&self, i: usize) -> Option<Value<'_>> {
        let cell = self.cells.get(i)?;
        if !cell.present {
            return None;
        }
        Some(match self.types[i] {
            FieldType::Text => Value::Text(&cell.text),
            FieldType::Money => Value::Money(cell.decimal),
            FieldType::Number => Value::Number(cell.decimal),
            FieldType::Percent => Value::Percent(cell.decimal),
            FieldType::Date => Value::Date(cell.date),
        })
    }

    /// The text of a text field.
    pub fn text(&self, i: usize) -> Option<&str> {
        match self.get(i)? {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value of a money, number or percent field.
    pub fn decimal(&self, i: usize) -> Option<Decimal> {
        match self.get(i)? {
            Value::Money(d) | Value::Number(d) | Value::Percent(d) => Some(d),
            _ => None,
        }
    }

    /// The value of a date field.
    pub fn date(&self, i: usize) -> Option<Date> {
        match self.get(i)? {
            Value::Date(d) => Some(d),
            _ => None,
        }
    }
}

/// What one record became.
#[derive(Debug)]
pub enum Record<'a> {
    Row(&'a Row),
    Rejected(Rejection),
}

/// What the manifest records about one input file, once it has been read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSummary {
    pub source: String,
    pub file: PathBuf,
    pub format: Format,
    pub encoding: Encoding,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub bytes: u64,
    /// Records read (blank lines do not count), accepted or rejected.
    pub rows_read: u64,
    pub rows_rejected: u64,
}

impl SourceSummary {
    pub fn rows_accepted(&self) -> u64 {
        self.rows_read - self.rows_rejected
    }
}

/// How the cells of a source are read.
struct Schema {
    file: PathBuf,
    fields: Vec<BoundField>,
    dates: DateFormats,
    numbers: NumberFormat,
}

/// Why a cell gave no row.
enum CellFault {
    /// No value in a field that is not optional.
    Empty,
    /// The key is absent from a JSON or YAML record.
    NoKey,
    Invalid(String),
}

impl Schema {
    /// Reads `raw` (`None`: no value) into `cell` as a value of field `i`.
    fn fill(&self, i: usize, raw: Option<&str>, cell: &mut Cell) -> Result<(), CellFault> {
        let field = &self.fields[i];
        let text = raw.map(values::parse_text).unwrap_or("");
        if text.is_empty() {
            cell.present = false;
            return if field.optional { Ok(()) } else { Err(CellFault::Empty) };
        }
        let invalid = |e: values::ValueError| CellFault::Invalid(e.reason);
        match field.ty {
            FieldType::Text => {
                cell.text.clear();
                cell.text.push_str(text);
            }
            FieldType::Money => {
                cell.decimal = values::parse_decimal(text, &self.numbers, NumberKind::Money).map_err(invalid)?
            }
            FieldType::Number => {
                cell.decimal = values::parse_decimal(text, &self.numbers, NumberKind::Number).map_err(invalid)?
            }
            FieldType::Percent => {
                cell.decimal = values::parse_decimal(text, &self.numbers, NumberKind::Percent).map_err(invalid)?
            }
            FieldType::Date => cell.date = self.dates.parse(text, self.numbers.fullwidth).map_err(invalid)?,
        }
        cell.present = true;
        Ok(())
    }

    fn reject(
        &self,
        record: u64,
        line: u64,
        column: Option<usize>,
        i: usize,
        raw: &str,
        fault: CellFault,
    ) -> Rejection {
        let field = &self.fields[i];
        let reason = match fault {
            CellFault::Empty => format!("`{}` is empty, and the field is not optional", field.name),
            CellFault::NoKey => format!("the record has no `{}`, and the field is not optional", field.column),
            CellFault::Invalid(reason) => reason,
        };
        Rejection {
            file: self.file.clone(),
            record,
            line,
            column,
            header: Some(field.column.clone()),
            field: Some(field.name.clone()),
            value: raw.trim().to_string(),
            reason,
        }
    }

    fn reject_record(&self, record: u64, line: u64, column: Option<usize>, value: String, reason: String) -> Rejection {
        Rejection {
            file: self.file.clone(),
            record,
            line,
            column,
            header: None,
            field: None,
            value,
            reason,
        }
    }
}

type Input<R> = DecodeReader<HashingReader<R>>;

struct CsvState<R: Read> {
    reader: csv::Reader<NewlineTap<Input<R>>>,
    /// Line endings read but not yet passed by a record, shared with the tap.
    newlines: Rc<RefCell<NewlineQueue>>,
    record: csv::ByteRecord,
    headers: Vec<String>,
    /// For each field, the index of its column; `None` for an optional field the file lacks.
    columns: Vec<Option<usize>>,
}

struct JsonlState<R: Read> {
    reader: BufReader<Input<R>>,
    line: String,
    line_no: u64,
    /// The distinct keys the fields are read from.
    keys: Vec<String>,
    /// For each field, the index of its key in `keys`.
    field_key: Vec<usize>,
    /// For each key, the byte range of its raw JSON value in `line`.
    found: Vec<Option<(usize, usize)>>,
    /// A string value with escapes, unescaped.
    scratch: String,
}

struct YamlState {
    entries: std::vec::IntoIter<(u64, BTreeMap<String, Option<String>>)>,
    encoding: Encoding,
    sha256: String,
    bytes: u64,
}

enum Inner<R: Read> {
    Csv(CsvState<R>),
    Jsonl(JsonlState<R>),
    Yaml(YamlState),
}

/// Reads one source record by record. See the module documentation.
pub struct SourceReader<R: Read = File> {
    source: String,
    format: Format,
    schema: Schema,
    inner: Inner<R>,
    row: Row,
    rows_read: u64,
    rows_rejected: u64,
}

impl SourceReader<File> {
    /// Opens the binding's file; for CSV, reads and checks the header.
    pub fn open(binding: &SourceBinding) -> Result<SourceReader<File>, InputError> {
        let file = File::open(&binding.path).map_err(|e| {
            InputError::new(
                &binding.path,
                format!("cannot open the file of `{}`: {e}", binding.name),
            )
        })?;
        SourceReader::from_reader(binding, &binding.path, file)
    }
}

impl<R: Read> SourceReader<R> {
    /// Reads the binding's source from `input`; `file` names it in messages.
    pub fn from_reader(binding: &SourceBinding, file: &Path, input: R) -> Result<SourceReader<R>, InputError> {
        let schema = Schema {
            file: file.to_path_buf(),
            fields: binding.fields.clone(),
            dates: binding.dates.clone(),
            numbers: binding.numbers,
        };
        let decoded = DecodeReader::new(HashingReader::new(input), binding.encoding);
        let inner = match binding.format {
            Format::Csv => Inner::Csv(open_csv(&schema, binding.delimiter, decoded)?),
            Format::Jsonl => Inner::Jsonl(open_jsonl(&schema, decoded)),
            Format::Yaml => Inner::Yaml(open_yaml(&schema, decoded)?),
        };
        Ok(SourceReader {
            source: binding.name.clone(),
            format: binding.format,
            row: Row::new(&schema.fields),
            schema,
            inner,
            rows_read: 0,
            rows_rejected: 0,
        })
    }

    /// The fields of a row, in order.
    pub fn fields(&self) -> &[BoundField] {
        &self.schema.fields
    }

    /// The file's column a field is read from, 1-based, for a rejection naming it: in CSV its
    /// position in the header; `None` in JSON Lines and YAML, where the key names it.
    pub fn column_of(&self, field: usize) -> Option<usize> {
        match &self.inner {
            Inner::Csv(state) => state.columns.get(field).copied().flatten().map(|c| c + 1),
            _ => None,
        }
    }

    /// Records read so far, accepted or rejected.
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    pub fn rows_rejected(&self) -> u64 {
        self.rows_rejected
    }

    /// The next record as a row or a rejection; `None` at the end of the file. An error ends
    /// the reading.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, InputError> {
        let record = self.rows_read + 1;
        let outcome = match &mut self.inner {
            Inner::Csv(state) => next_csv(state, &self.schema, record, &mut self.row)?,
            Inner::Jsonl(state) => next_jsonl(state, &self.schema, record, &mut self.row)?,
            Inner::Yaml(state) => next_yaml(state, &self.schema, record, &mut self.row),
        };
        match outcome {
            None => Ok(None),
            Some(Ok(())) => {
                self.rows_read += 1;
                self.row.record = record;
                Ok(Some(Record::Row(&self.row)))
            }
            Some(Err(rejection)) => {
                self.rows_read += 1;
                self.rows_rejected += 1;
                Ok(Some(Record::Rejected(rejection)))
            }
        }
    }

    /// Ends the reading: hashes what is left of the file (so the hash always covers all of it)
    /// and returns what the manifest records. The counts are those of the records read so far.
    pub fn finish(self) -> Result<SourceSummary, InputError> {
        let file = self.schema.file;
        let (encoding, sha256, bytes) = match self.inner {
            Inner::Csv(state) => finish_input(&file, state.reader.into_inner().inner)?,
            Inner::Jsonl(state) => finish_input(&file, state.reader.into_inner())?,
            Inner::Yaml(state) => (state.encoding, state.sha256, state.bytes),
        };
        Ok(SourceSummary {
            source: self.source,
            file,
            format: self.format,
            encoding,
            sha256,
            bytes,
            rows_read: self.rows_read,
            rows_rejected: self.rows_rejected,
        })
    }
}

fn finish_input<R: Read>(file: &Path, decoded: Input<R>) -> Result<(Encoding, String, u64), InputError> {
    let encoding = decoded.encoding().unwrap_or(Encoding::Utf8 { bom: false });
    let (sha256, bytes) = decoded.into_inner().finish().map_err(|e| InputError::io(file, &e))?;
    Ok((encoding, sha256, bytes))
}

fn list(names: &[String]) -> String {
    let names: Vec<String> = names
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| format!("`{n}`"))
        .collect();
    names.join(", ")
}

// ---------- CSV ----------

/// A cell's text. The decoder yields only UTF-8 and the delimiter is ASCII, so every cell is
/// UTF-8; were one not, it would read as empty rather than be altered.
fn cell_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

/// The line endings of the decoded text, by offset, as the CSV reader reads ahead; a record's
/// line is counted from them rather than taken from the CSV reader, whose count drifts on CRLF
/// files with line breaks inside quoted fields. Holds only what the reader has buffered ahead.
#[derive(Default)]
struct NewlineQueue {
    /// Offsets of line endings not yet passed.
    ahead: VecDeque<u64>,
    /// Line endings passed.
    passed: u64,
    /// Bytes read so far.
    offset: u64,
}

impl NewlineQueue {
    /// The line a record starting at byte `offset` is on, 1-based.
    fn line_at(&mut self, offset: u64) -> u64 {
        // `<=`: the CSV reader may place a record at the line ending before it (CRLF files).
        while self.ahead.front().is_some_and(|n| *n <= offset) {
            self.ahead.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

struct NewlineTap<R> {
    inner: R,
    queue: Rc<RefCell<NewlineQueue>>,
}

impl<R: Read> Read for NewlineTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut q = self.queue.borrow_mut();
        let base = q.offset;
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            q.ahead.push_back(base + i as u64);
        }
        q.offset += n as u64;
        Ok(n)
    }
}

fn open_csv<R: Read>(schema: &Schema, delimiter: u8, decoded: Input<R>) -> Result<CsvState<R>, InputError> {
    let file = &schema.file;
    let newlines = Rc::new(RefCell::new(NewlineQueue::default()));
    let decoded = NewlineTap {
        inner: decoded,
        queue: Rc::clone(&newlines),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(decoded);
    let mut record = csv::ByteRecord::new();
    if !reader
        .read_byte_record(&mut record)
        .map_err(|e| InputError::csv(file, e))?
    {
        return Err(InputError::new(file, "the file is empty: it has no header line"));
    }
    let header_line = record.position().map_or(1, |p| p.line());
    let headers: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // A second byte order mark, left by a tool that added one to a file that had one.
            let h = cell_str(h).trim();
            if i == 0 {
                h.trim_start_matches('\u{FEFF}').trim()
            } else {
                h
            }
            .to_string()
        })
        .collect();

    let mut columns = Vec::with_capacity(schema.fields.len());
    let mut missing = Vec::new();
    let mut problems = Vec::new();
    for field in &schema.fields {
        let mut at = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| **h == field.column)
            .map(|(i, _)| i);
        let first = at.next();
        if let (Some(a), Some(b)) = (first, at.next()) {
            problems.push(format!(
                "the column `{}` appears twice in the header (columns {} and {})",
                field.column,
                a + 1,
                b + 1
            ));
        }
        if first.is_none() && !field.optional {
            missing.push(field);
        }
        columns.push(first);
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|f| {
                if f.column == f.name {
                    format!("`{}`", f.column)
                } else {
                    format!("`{}` (for the field `{}`)", f.column, f.name)
                }
            })
            .collect();
        let message = if names.len() == 1 {
            format!("the header has no column {}", names[0])
        } else {
            format!("the header has no columns {}", names.join(", "))
        };
        let mut helps: Vec<String> = missing
            .iter()
            .filter_map(|f| {
                did_you_mean(&f.column, headers.iter().map(String::as_str))
                    .map(|h| format!("`{}`: did you mean `{h}`?", f.column))
            })
            .collect();
        if helps.is_empty() {
            helps.push(format!("the columns are {}", list(&headers)));
        }
        helps.push("name a field's column under `columns:` in the run configuration".into());
        return Err(InputError {
            line: Some(header_line),
            help: Some(helps.join("; ")),
            ..InputError::new(file, message)
        });
    }
    if !problems.is_empty() {
        return Err(InputError {
            line: Some(header_line),
            ..InputError::new(file, problems.join("; "))
        });
    }
    Ok(CsvState {
        reader,
        newlines,
        record,
        headers,
        columns,
    })
}

fn next_csv<R: Read>(
    state: &mut CsvState<R>,
    schema: &Schema,
    record_no: u64,
    row: &mut Row,
) -> Result<Option<Result<(), Rejection>>, InputError> {
    let record = &mut state.record;
    loop {
        if !state
            .reader
            .read_byte_record(record)
            .map_err(|e| InputError::csv(&schema.file, e))?
        {
            return Ok(None);
        }
        // A line of empty cells (`,,,` from a spreadsheet) carries nothing: it is not a record.
        if !record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            break;
        }
    }
    let line = record
        .position()
        .map_or(0, |p| state.newlines.borrow_mut().line_at(p.byte()));
    row.line = line;
    let width = state.headers.len();
    if record.len() != width {
        let cells: Vec<&str> = record.iter().map(cell_str).collect();
        let reason = if record.len() < width {
            format!(
                "the line has {} fields where the header has {width}; it may be cut short",
                record.len()
            )
        } else {
            format!("the line has {} fields where the header has {width}", record.len())
        };
        return Ok(Some(Err(schema.reject_record(
            record_no,
            line,
            None,
            cells.join(","),
            reason,
        ))));
    }
    for (i, column) in state.columns.iter().enumerate() {
        let Some(column) = *column else {
            row.cells[i].present = false;
            continue;
        };
        let raw = cell_str(&record[column]);
        if let Err(fault) = schema.fill(i, Some(raw), &mut row.cells[i]) {
            let mut rejection = schema.reject(record_no, line, Some(column + 1), i, raw, fault);
            rejection.header = Some(state.headers[column].clone());
            return Ok(Some(Err(rejection)));
        }
    }
    Ok(Some(Ok(())))
}

// ---------- JSON Lines ----------

fn open_jsonl<R: Read>(schema: &Schema, decoded: Input<R>) -> JsonlState<R> {
    let mut keys: Vec<String> = Vec::new();
    let mut field_key = Vec::new();
    for field in &schema.fields {
        match keys.iter().position(|k| *k == field.column) {
            Some(k) => field_key.push(k),
            None => {
                field_key.push(keys.len());
                keys.push(field.column.clone());
            }
        }
    }
    JsonlState {
        reader: BufReader::with_capacity(64 * 1024, decoded),
        line: String::new(),
        line_no: 0,
        found: vec![None; keys.len()],
        keys,
        field_key,
        scratch: String::new(),
    }
}

/// Finds the raw values of the wanted keys in one JSON object, without allocating.
struct ObjectSeed<'a> {
    keys: &'a [String],
    found: &'a mut [Option<(usize, usize)>],
    base: usize,
}

struct KeySeed<'a>(&'a [String]);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| k == v))
    }
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed(self.keys))? {
            match key {
                Some(k) => {
                    let raw: &'de RawValue = map.next_value()?;
                    let start = raw.get().as_ptr() as usize - self.base;
                    self.found[k] = Some((start, start + raw.get().len()));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

fn json_message(err: &serde_json::Error) -> String {
    let mut message = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    if message.ends_with(&suffix) {
        message.truncate(message.len() - suffix.len());
    }
    message
}

fn next_jsonl<R: Read>(
    state: &mut JsonlState<R>,
    schema: &Schema,
    record_no: u64,
    row: &mut Row,
) -> Result<Option<Result<(), Rejection>>, InputError> {
    loop {
        state.line.clear();
        let n = state
            .reader
            .read_line(&mut state.line)
            .map_err(|e| InputError::io(&schema.file, &e))?;
        if n == 0 {
            return Ok(None);
        }
        state.line_no += 1;
        if !state.line.trim().is_empty() {
            break;
        }
    }
    let line_no = state.line_no;
    row.line = line_no;
    let line = state.line.trim_end_matches(['\n', '\r']);
    state.found.fill(None);
    let seed = ObjectSeed {
        keys: &state.keys,
        found: &mut state.found,
        base: line.as_ptr() as usize,
    };
    let mut de = serde_json::Deserializer::from_str(line);
    if let Err(e) = seed.deserialize(&mut de).and_then(|()| de.end()) {
        let reason = format!("the line is not a JSON object: {}", json_message(&e));
        return Ok(Some(Err(schema.reject_record(
            record_no,
            line_no,
            Some(e.column()),
            line.to_string(),
            reason,
        ))));
    }
    for i in 0..schema.fields.len() {
        let k = state.field_key[i];
        let Some((start, end)) = state.found[k] else {
            row.cells[i].present = false;
            if schema.fields[i].optional {
                continue;
            }
            return Ok(Some(Err(schema.reject(
                record_no,
                line_no,
                None,
                i,
                "",
                CellFault::NoKey,
            ))));
        };
        let raw = &line[start..end];
        let column = line[..start].chars().count() + 1;
        let value: Option<&str> = match raw.as_bytes()[0] {
            b'n' => None,
            b'"' if !raw.contains('\\') => Some(&raw[1..raw.len() - 1]),
            b'"' => match serde_json::from_str::<String>(raw) {
                Ok(s) => {
                    state.scratch = s;
                    Some(&state.scratch)
                }
                Err(e) => {
                    let fault = CellFault::Invalid(format!("`{raw}` is not a JSON string: {}", json_message(&e)));
                    return Ok(Some(Err(schema.reject(
                        record_no,
                        line_no,
                        Some(column),
                        i,
                        raw,
                        fault,
                    ))));
                }
            },
            b'[' | b'{' => {
                let fault = CellFault::Invalid(format!("`{raw}` is a list or an object, not a single value"));
                return Ok(Some(Err(schema.reject(
                    record_no,
                    line_no,
                    Some(column),
                    i,
                    raw,
                    fault,
                ))));
            }
            // Numbers, `true` and `false` as written; a number's digits are read exactly.
            _ => Some(raw),
        };
        if let Err(fault) = schema.fill(i, value, &mut row.cells[i]) {
            return Ok(Some(Err(schema.reject(
                record_no,
                line_no,
                Some(column),
                i,
                value.unwrap_or(""),
                fault,
            ))));
        }
    }
    Ok(Some(Ok(())))
}

// ---------- YAML roster ----------

fn open_yaml<R: Read>(schema: &Schema, mut decoded: Input<R>) -> Result<YamlState, InputError> {
    let file = &schema.file;
    let mut text = String::new();
    decoded
        .read_to_string(&mut text)
        .map_err(|e| InputError::io(file, &e))?;
    let (encoding, sha256, bytes) = finish_input(file, decoded)?;
    let entries: Vec<BTreeMap<String, Option<String>>> = if text.trim().is_empty() {
        Vec::new()
    } else {
        yaml_serde::from_str(&text).map_err(|e| {
            let (line, column, message) = super::config::yaml_error(&e);
            InputError {
                line: line.map(|l| l as u64),
                column,
                help: Some("a YAML roster is a list of maps of plain values, one map per person".into()),
                ..InputError::new(file, format!("not a YAML roster: {message}"))
            }
        })?
    };
    let lines = entry_lines(&text, entries.len());
    let entries: Vec<(u64, BTreeMap<String, Option<String>>)> = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| (lines.as_ref().map_or(0, |l| l[i]), e))
        .collect();
    Ok(YamlState {
        entries: entries.into_iter(),
        encoding,
        sha256,
        bytes,
    })
}

/// The line of each entry of a block-style YAML list: the lines that start with `-` at the
/// list's indentation. `None` when they do not add up to `count` (a flow-style list).
fn entry_lines(text: &str, count: usize) -> Option<Vec<u64>> {
    let items: Vec<(usize, u64)> = text
        .lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let body = line.trim_start();
            (body == "-" || body.starts_with("- ")).then(|| (line.len() - body.len(), n as u64 + 1))
        })
        .collect();
    let indent = items.iter().map(|(i, _)| *i).min()?;
    let lines: Vec<u64> = items.iter().filter(|(i, _)| *i == indent).map(|(_, n)| *n).collect();
    (lines.len() == count).then_some(lines)
}

fn next_yaml(state: &mut YamlState, schema: &Schema, record_no: u64, row: &mut Row) -> Option<Result<(), Rejection>> {
    let (line, entry) = state.entries.next()?;
    row.line = line;
    for (i, field) in schema.fields.iter().enumerate() {
        let fault = match entry.get(&field.column) {
            None if !field.optional => Some(CellFault::NoKey),
            None => {
                row.cells[i].present = false;
                None
            }
            Some(value) => schema.fill(i, value.as_deref(), &mut row.cells[i]).err(),
        };
        if let Some(fault) = fault {
            let raw = entry.get(&field.column).cloned().flatten().unwrap_or_default();
            return Some(Err(schema.reject(record_no, line, None, i, &raw, fault)));
        }
    }
    Some(Ok(()))
}
