//! The fast evaluator's pass over one CSV source. The file is cut into blocks at line
//! boundaries; two workers take blocks in turn and read each row straight from the bytes (no
//! copy, no allocation) into their own [`MonthTable`], while a third thread hashes the file.
//! Block results are merged in file order, so rejects, line numbers and totals are those of a
//! single reader. What the fast path does not take on — JSON Lines, GB18030, a quoted field that
//! spans lines where a block starts — is handed back to the reference reader (`Outcome::NotFast`)
//! or read again in one ordered pass; duplicate keys are confirmed in one ordered pass too.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rust_decimal::Decimal;

use super::SourcePlan;
use super::cells::{CellFault, Day, FIXED_SCALE};
use super::keys::{IdIndex, KeySet};
use super::rowexpr::{NoRoster, RosterView, V};
use super::scan::{Scan, next_record, split_plain, split_quoted, split_record};
use super::table::MonthTable;
use crate::eval::targets::RosterEntry;
use crate::input::config::Format;
use crate::input::decode::{Encoding, EncodingChoice};
use crate::input::reader::{InputError, Rejection, SourceReader, SourceSummary};
use crate::progress::Progress;
use crate::run::reasons;

/// Bytes per block of work.
const BLOCK: u64 = 4 << 20;
/// Bytes read at a time past a block's end to finish its last record.
const TAIL: usize = 64 << 10;

/// What the fast pass made of a source.
pub struct FastSource {
    pub table: MonthTable,
    pub rejects: Vec<Rejection>,
    pub summary: SourceSummary,
    pub used: u64,
    pub amount_read: Decimal,
    pub amount_credited: Decimal,
    pub amount_rejected: Decimal,
    /// Rows dated after the run's period, and their amount: left to a later run.
    pub later: u64,
    pub amount_later: Decimal,
    pub last_day: Option<Day>,
}

pub enum Outcome {
    Done(Box<FastSource>),
    /// The reference reader must read this source.
    NotFast,
}

impl RosterView for RosterEntry {
    fn text(&self, field: &str) -> Option<&str> {
        self.attrs.get(field).map(String::as_str)
    }

    fn amount(&self, field: &str) -> Option<Decimal> {
        self.amounts.get(field).copied()
    }
}

/// Reads `plan`'s source with `threads` workers.
pub fn read_fast(
    plan: &SourcePlan,
    reps: &IdIndex,
    roster: &[RosterEntry],
    threads: usize,
    progress: &Progress,
) -> Result<Outcome, InputError> {
    let binding = plan.binding;
    if binding.format != Format::Csv || binding.encoding == EncodingChoice::Gb18030 {
        return Ok(Outcome::NotFast);
    }
    // The reference reader checks the header and gives its errors; the fast path trusts it.
    drop(SourceReader::open(binding)?);
    let file = File::open(&binding.path).map_err(|e| io_error(plan, &e))?;
    let len = file.metadata().map_err(|e| io_error(plan, &e))?.len();
    let Some(header) = Header::read(&file, len, binding.delimiter, plan)? else {
        return Ok(Outcome::NotFast);
    };
    let shared = Shared {
        plan,
        reps,
        roster,
        header: &header,
        file: &file,
        len,
        progress,
    };
    let blocks: Vec<(u64, u64)> = (0..)
        .map(|i| header.data_start + i * BLOCK)
        .take_while(|s| *s < len)
        .map(|s| (s, (s + BLOCK).min(len)))
        .collect();
    let (hash, parallel) = std::thread::scope(|scope| {
        let hasher = scope.spawn(|| crate::input::hash::sha256_file(&binding.path));
        let parallel = run_workers(&shared, &blocks, threads.max(1), false);
        (hasher.join(), parallel)
    });
    let sha256 = match hash {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return Err(io_error(plan, &e)),
        Err(_) => return Err(message(plan, "the hashing thread failed")),
    };
    let mut done = match parallel {
        Pass::Done(done) if done.keys_clean() => done,
        Pass::NotFast => return Ok(Outcome::NotFast),
        // A quoted field across lines, or keys to check in file order: one ordered pass.
        _ => match run_workers(&shared, &[(header.data_start, len)], 1, true) {
            Pass::Done(done) => done,
            Pass::NotFast | Pass::Quoted => return Ok(Outcome::NotFast),
        },
    };
    if let Some(fatal) = done.fatal.take() {
        return Err(fatal);
    }
    if !done.duplicates.is_empty() {
        name_first_lines(&shared, &mut done)?;
    }
    let encoding = Encoding::Utf8 { bom: header.bom };
    let summary = SourceSummary {
        source: binding.name.clone(),
        file: binding.path.clone(),
        format: binding.format,
        encoding,
        sha256,
        bytes: len,
        rows_read: done.records,
        rows_rejected: done.reader_rejects,
    };
    Ok(Outcome::Done(Box::new(FastSource {
        table: done.table,
        rejects: done.rejects,
        summary,
        used: done.used,
        amount_read: done.read.value(plan)?,
        amount_credited: done.credited.value(plan)?,
        amount_rejected: done.rejected.value(plan)?,
        later: done.later,
        amount_later: done.later_amount.value(plan)?,
        last_day: done.last_day,
    })))
}

fn io_error(plan: &SourcePlan, e: &std::io::Error) -> InputError {
    message(plan, &format!("cannot read the file of `{}`: {e}", plan.binding.name))
}

fn message(plan: &SourcePlan, text: &str) -> InputError {
    InputError {
        file: plan.binding.path.clone(),
        line: None,
        column: None,
        offset: None,
        message: text.to_string(),
        help: None,
    }
}

/// The cells of a record, unquoted when it has quotes (into `text`).
fn cells<'b>(
    raw: &'b [u8],
    quoted: bool,
    delimiter: u8,
    text: &'b mut Vec<u8>,
    ranges: &mut Vec<(usize, usize)>,
) -> Vec<&'b [u8]> {
    if quoted {
        split_quoted(raw, delimiter, text, ranges);
        ranges.iter().map(|&(s, e)| &text[s..e]).collect()
    } else {
        split_plain(raw, delimiter, ranges);
        ranges.iter().map(|&(s, e)| &raw[s..e]).collect()
    }
}

/// The header line: where the data starts, and each field's column.
struct Header {
    bom: bool,
    data_start: u64,
    /// Line endings up to the first data record.
    lines: u64,
    headers: Vec<String>,
    width: usize,
    columns: Vec<Option<usize>>,
}

impl Header {
    fn read(file: &File, len: u64, delimiter: u8, plan: &SourcePlan) -> Result<Option<Header>, InputError> {
        let mut buf = vec![0u8; (len.min(1 << 20)) as usize];
        file.read_exact_at(&mut buf, 0).map_err(|e| io_error(plan, &e))?;
        let bom = buf.starts_with(b"\xEF\xBB\xBF");
        let start = if bom { 3 } else { 0 };
        let Some(rec) = next_record(&buf, start, buf.len() as u64 == len, delimiter) else {
            return Ok(None);
        };
        // A header with a carriage return alone in it is two lines to the reference reader.
        if lone_carriage_return(&buf[rec.start..rec.next.min(buf.len())]) {
            return Ok(None);
        }
        let (mut ranges, mut text) = (Vec::new(), Vec::new());
        let mut headers = Vec::new();
        for (i, c) in cells(&buf[rec.start..rec.end], rec.quoted, delimiter, &mut text, &mut ranges)
            .iter()
            .enumerate()
        {
            let Ok(h) = std::str::from_utf8(c) else {
                return Ok(None);
            };
            let h = h.trim();
            let h = if i == 0 {
                h.trim_start_matches('\u{FEFF}').trim()
            } else {
                h
            };
            headers.push(h.to_string());
        }
        if headers.iter().all(String::is_empty) {
            return Ok(None);
        }
        let columns = plan
            .binding
            .fields
            .iter()
            .map(|f| headers.iter().position(|h| *h == f.column))
            .collect();
        Ok(Some(Header {
            bom,
            data_start: rec.next as u64,
            lines: rec.newlines,
            width: headers.len(),
            headers,
            columns,
        }))
    }
}

struct Shared<'s, 'p> {
    plan: &'s SourcePlan<'p>,
    reps: &'s IdIndex,
    roster: &'s [RosterEntry],
    header: &'s Header,
    file: &'s File,
    len: u64,
    progress: &'s Progress,
}

enum Pass {
    Done(Box<Merged>),
    /// A quoted field where the pass could not take it (a block may start inside it).
    Quoted,
    /// Bytes the fast reader leaves to the reference reader: text that is not UTF-8, or a
    /// carriage return alone (a line ending to the reference reader, as to the csv crate).
    NotFast,
}

/// An exact running total: plain amounts as integers, the rest as decimals.
#[derive(Default, Clone, Copy)]
struct Amount {
    fixed: i128,
    exact: Decimal,
    overflow: bool,
}

impl Amount {
    /// Adds an amount; false when the total overflows (it is then kept as overflowed). Plain
    /// amounts cannot overflow: an `i128` holds more than 2^64 of the largest.
    #[must_use]
    fn add(&mut self, v: V) -> bool {
        match v {
            V::Fixed(f) => self.fixed += i128::from(f),
            V::Num(d) => match self.exact.checked_add(d) {
                Some(s) => self.exact = s,
                None => self.overflow = true,
            },
            _ => {}
        }
        !self.overflow
    }

    /// Adds another worker's total; an overflow here has no line and is reported by `value`.
    fn merge(&mut self, o: Amount) {
        self.fixed += o.fixed;
        let _ = self.add(V::Num(o.exact));
        self.overflow |= o.overflow;
    }

    fn value(&self, plan: &SourcePlan) -> Result<Decimal, InputError> {
        Decimal::try_from_i128_with_scale(self.fixed, FIXED_SCALE)
            .ok()
            .and_then(|f| f.checked_add(self.exact))
            .filter(|_| !self.overflow)
            .ok_or_else(|| message(plan, reasons::TOTALS_OVERFLOW))
    }
}

/// A block's counts, to turn its relative line and record numbers into the file's.
#[derive(Clone, Copy, Default)]
struct BlockStat {
    index: usize,
    newlines: u64,
    records: u64,
}

/// What one worker gathered; merged in block order.
struct Work {
    table: MonthTable,
    keys: KeySet,
    /// (block, rejection with numbers relative to the block).
    rejects: Vec<(usize, Rejection)>,
    /// Rejections for a duplicate key, by index in `rejects`, with the key.
    duplicates: Vec<(usize, String)>,
    reader_rejects: u64,
    used: u64,
    read: Amount,
    credited: Amount,
    rejected: Amount,
    later: u64,
    later_amount: Amount,
    last_day: Option<Day>,
    blocks: Vec<BlockStat>,
    /// The first error that stops the run: (block, relative line, message).
    fatal: Option<(usize, u64, String)>,
}

struct Merged {
    table: MonthTable,
    rejects: Vec<Rejection>,
    /// Duplicate-key rejections (index in `rejects`), whose first line is still to be named.
    duplicates: Vec<(usize, String)>,
    reader_rejects: u64,
    records: u64,
    used: u64,
    read: Amount,
    credited: Amount,
    rejected: Amount,
    later: u64,
    later_amount: Amount,
    last_day: Option<Day>,
    fatal: Option<InputError>,
    /// Whether the workers' key sets were disjoint (else a key may repeat across blocks).
    disjoint: bool,
}

impl Merged {
    fn keys_clean(&self) -> bool {
        self.disjoint && self.duplicates.is_empty()
    }
}

fn run_workers(shared: &Shared, blocks: &[(u64, u64)], threads: usize, ordered: bool) -> Pass {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Vec<Result<Work, Pass>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(blocks.len()).max(1))
            .map(|_| scope.spawn(|| worker(shared, blocks, &next, &stop, ordered)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Pass::Quoted)))
            .collect()
    });
    let mut works = Vec::new();
    for r in results {
        match r {
            Ok(w) => works.push(w),
            Err(pass) => return pass,
        }
    }
    merge(shared, works)
}

fn merge(shared: &Shared, works: Vec<Work>) -> Pass {
    let plan = shared.plan;
    let mut disjoint = true;
    for (i, a) in works.iter().enumerate() {
        for b in &works[i + 1..] {
            disjoint &= !a.keys.overlaps(&b.keys);
        }
    }
    // Where each block starts, in lines and records.
    let mut stats: Vec<BlockStat> = works.iter().flat_map(|w| w.blocks.iter().copied()).collect();
    stats.sort_by_key(|s| s.index);
    let mut base: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    let (mut line, mut record) = (shared.header.lines + 1, 0u64);
    for s in &stats {
        base.insert(s.index, (line, record));
        line += s.newlines;
        record += s.records;
    }
    let mut table: Option<MonthTable> = None;
    let mut rejects: Vec<(usize, Rejection, Option<String>)> = Vec::new();
    let mut fatal: Option<(usize, u64, String)> = None;
    let mut m = Merged {
        table: MonthTable::new(&[], 0, 0),
        rejects: Vec::new(),
        duplicates: Vec::new(),
        reader_rejects: 0,
        records: record,
        used: 0,
        read: Amount::default(),
        credited: Amount::default(),
        rejected: Amount::default(),
        later: 0,
        later_amount: Amount::default(),
        last_day: None,
        fatal: None,
        disjoint,
    };
    for w in works {
        // Each rejection with the repeated key it is for, if any.
        let mut keys: BTreeMap<usize, String> = w.duplicates.into_iter().collect();
        rejects.extend(
            w.rejects
                .into_iter()
                .enumerate()
                .map(|(i, (block, r))| (block, r, keys.remove(&i))),
        );
        m.reader_rejects += w.reader_rejects;
        m.used += w.used;
        m.read.merge(w.read);
        m.credited.merge(w.credited);
        m.rejected.merge(w.rejected);
        m.later += w.later;
        m.later_amount.merge(w.later_amount);
        m.last_day = m.last_day.max(w.last_day);
        if let Some(f) = w.fatal
            && fatal.as_ref().is_none_or(|g| (f.0, f.1) < (g.0, g.1))
        {
            fatal = Some(f);
        }
        match &mut table {
            None => table = Some(w.table),
            Some(t) => {
                if t.merge(w.table).is_err() {
                    m.fatal = Some(message(plan, "arithmetic overflow"));
                }
            }
        }
    }
    m.table = table.unwrap_or_else(|| MonthTable::new(&[], 0, 0));
    if let Some((block, rel, why)) = fatal {
        let line = base.get(&block).map_or(0, |b| b.0) + rel;
        m.fatal = Some(InputError {
            line: Some(line),
            ..message(plan, &why)
        });
    }
    // File order: by block (a stable sort keeps each block's own order), numbers made the file's.
    rejects.sort_by_key(|(block, _, _)| *block);
    for (block, mut r, key) in rejects {
        let (l, rec) = base.get(&block).copied().unwrap_or_default();
        r.line += l;
        r.record += rec;
        if let Some(key) = key {
            m.duplicates.push((m.rejects.len(), key));
        }
        m.rejects.push(r);
    }
    Pass::Done(Box::new(m))
}

fn worker(
    shared: &Shared,
    blocks: &[(u64, u64)],
    next: &AtomicUsize,
    stop: &AtomicBool,
    ordered: bool,
) -> Result<Work, Pass> {
    let plan = shared.plan;
    let funcs: Vec<_> = plan.specs.iter().map(|s| s.func).collect();
    let mut w = Work {
        table: MonthTable::new(&funcs, shared.roster.len(), plan.months),
        keys: KeySet::default(),
        rejects: Vec::new(),
        duplicates: Vec::new(),
        reader_rejects: 0,
        used: 0,
        read: Amount::default(),
        credited: Amount::default(),
        rejected: Amount::default(),
        later: 0,
        later_amount: Amount::default(),
        last_day: None,
        blocks: Vec::new(),
        fatal: None,
    };
    let mut reader = BlockReader {
        buf: Vec::with_capacity(BLOCK as usize + TAIL),
        ranges: Vec::new(),
        text: Vec::new(),
        cells: Vec::new(),
    };
    while !stop.load(Ordering::Relaxed) && w.fatal.is_none() {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(start, end)) = blocks.get(index) else {
            break;
        };
        match reader.block(shared, &mut w, index, start, end, ordered) {
            Ok(stat) => {
                w.blocks.push(stat);
                shared.progress.advance(end - start);
            }
            Err(pass) => {
                stop.store(true, Ordering::Relaxed);
                return Err(pass);
            }
        }
    }
    Ok(w)
}

/// A worker's reusable buffers.
struct BlockReader {
    buf: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    text: Vec<u8>,
    cells: Vec<V<'static>>,
}

/// Reuses a vector's allocation for values of another lifetime (an in-place collect).
fn recycle<T, U>(v: Vec<T>) -> Vec<U> {
    v.into_iter().filter_map(|_| None).collect()
}

/// What the records in a worker's buffer left to do.
enum Step {
    /// The block's records are all read.
    Done,
    /// A record goes on past the buffer: read more.
    More,
}

impl BlockReader {
    /// Reads the records that start in `[start, end)`.
    fn block(
        &mut self,
        shared: &Shared,
        w: &mut Work,
        index: usize,
        start: u64,
        end: u64,
        ordered: bool,
    ) -> Result<BlockStat, Pass> {
        let mut stat = BlockStat {
            index,
            ..BlockStat::default()
        };
        // The buffer holds the file's bytes from `origin`; a block that does not start the data
        // starts after the first line ending at or after its start.
        let first = start > shared.header.data_start;
        let mut origin = if first { start - 1 } else { start };
        self.buf.clear();
        let mut pos = 0usize;
        let mut eof = false;
        let mut aligned = !first;
        loop {
            if !aligned {
                match memchr::memchr(b'\n', &self.buf[pos..]) {
                    Some(i) => {
                        pos += i + 1;
                        aligned = true;
                    }
                    None if eof => return Ok(stat),
                    None => pos = self.buf.len(),
                }
            }
            if aligned {
                let span = Span { origin, end, eof };
                match self.records(shared, w, &mut stat, &mut pos, span, ordered)? {
                    Step::Done => return Ok(stat),
                    Step::More => {}
                }
            }
            // More input: keep what is unread, then read up to the block's end (or a tail).
            self.buf.drain(..pos);
            origin += pos as u64;
            pos = 0;
            let have = origin + self.buf.len() as u64;
            if have >= shared.len {
                eof = true;
                continue;
            }
            let want = if have < end {
                ((end - have) as usize).min(BLOCK as usize)
            } else {
                TAIL
            };
            let want = want.min((shared.len - have) as usize);
            let old = self.buf.len();
            self.buf.resize(old + want, 0);
            if shared.file.read_exact_at(&mut self.buf[old..], have).is_err() {
                self.buf.truncate(old);
                eof = true;
            }
        }
    }

    /// Reads the records in the buffer from `pos` (at a record's start) on. The bytes are
    /// checked to be UTF-8 once for the whole buffer, not record by record.
    fn records(
        &mut self,
        shared: &Shared,
        w: &mut Work,
        stat: &mut BlockStat,
        pos: &mut usize,
        span: Span,
        ordered: bool,
    ) -> Result<Step, Pass> {
        let BlockReader {
            buf,
            ranges,
            text: unquoted,
            cells,
        } = self;
        let rest = &buf[*pos..];
        // The valid prefix; a sequence cut at the buffer's end is completed by the next read.
        let (text, cut) = match std::str::from_utf8(rest) {
            Ok(t) => (t, false),
            Err(e) if e.error_len().is_none() && !span.eof => {
                (std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(), true)
            }
            Err(e) => (std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(), false),
        };
        let whole = text.len() == rest.len();
        // Whether `text` ends the file: its last line may then lack a line ending.
        let last = span.eof && whole;
        let bytes = text.as_bytes();
        if lone_carriage_return(bytes) {
            return Err(Pass::NotFast);
        }
        let delimiter = shared.plan.binding.delimiter;
        let mut at = 0usize;
        let step = loop {
            if span.origin + (*pos + at) as u64 >= span.end || (last && at >= bytes.len()) {
                break Step::Done;
            }
            let (rec, line) = match split_record(bytes, at, delimiter, last, ranges) {
                // Records start and end at ASCII bytes, so always on character boundaries.
                Scan::Plain(rec) => (rec, text.get(rec.start..rec.end).ok_or(Pass::NotFast)?),
                Scan::Quoted => match next_record(bytes, at, last, delimiter) {
                    Some(_) if !ordered => return Err(Pass::Quoted),
                    Some(rec) => {
                        split_quoted(&bytes[rec.start..rec.end], delimiter, unquoted, ranges);
                        (rec, std::str::from_utf8(unquoted).map_err(|_| Pass::NotFast)?)
                    }
                    None => break Step::More,
                },
                Scan::More => break Step::More,
            };
            record(shared, w, line, ranges, cells, stat)?;
            stat.newlines += rec.newlines;
            at = rec.next;
        };
        *pos += at;
        // More input cannot help bytes that are not UTF-8.
        match step {
            Step::More if !whole && !cut => Err(Pass::NotFast),
            step => Ok(step),
        }
    }
}

/// Whether `bytes` have a carriage return that is not followed by a line feed. The reference
/// reader ends a record there (old Mac line endings); the fast reader would read it as part of
/// a field. One at the very end is left to the next read, or ends the file, which both readers
/// take alike. CRLF files find one per line, and each is one comparison.
fn lone_carriage_return(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1).is_some_and(|&next| next != b'\n'))
}

/// Where a worker's buffer is in the file.
#[derive(Clone, Copy)]
struct Span {
    /// The file offset of the buffer's first byte.
    origin: u64,
    /// The offset the block ends at: records starting there are the next block's.
    end: u64,
    /// The buffer reaches the end of the file.
    eof: bool,
}

/// One record, split into fields (`ranges` in `line`).
fn record(
    shared: &Shared,
    w: &mut Work,
    line: &str,
    ranges: &[(usize, usize)],
    cells: &mut Vec<V<'static>>,
    stat: &mut BlockStat,
) -> Result<(), Pass> {
    // A line of empty cells (`,,,` from a spreadsheet) carries nothing: it is not a record.
    let blank = |&(s, e): &(usize, usize)| {
        line.as_bytes()
            .get(s..e)
            .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
    };
    if ranges.iter().all(blank) {
        return Ok(());
    }
    stat.records += 1;
    let at = Position {
        block: stat.index,
        line: stat.newlines,
        record: stat.records,
    };
    let mut row_cells: Vec<V> = recycle(std::mem::take(cells));
    let done = row(shared, w, Fields { line, ranges }, &mut row_cells, at);
    *cells = recycle(row_cells);
    done
}

/// A record's fields: ranges of its line. Cut at ASCII delimiters in checked UTF-8, they are
/// always on character boundaries; a field that were not would leave the source to the
/// reference reader, as text that is not UTF-8 does.
#[derive(Clone, Copy)]
struct Fields<'r> {
    line: &'r str,
    ranges: &'r [(usize, usize)],
}

impl<'r> Fields<'r> {
    fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Field `i`, below [`Fields::len`].
    #[inline]
    fn get(&self, i: usize) -> Result<&'r str, Pass> {
        let (s, e) = self.ranges.get(i).copied().unwrap_or_default();
        self.line.get(s..e).ok_or(Pass::NotFast)
    }

    /// The fields as the line has them, for a rejection.
    fn joined(&self) -> Result<String, Pass> {
        let fields: Vec<&str> = (0..self.len()).map(|i| self.get(i)).collect::<Result<_, _>>()?;
        Ok(fields.join(","))
    }
}

/// Where a record is, relative to its block.
#[derive(Clone, Copy)]
struct Position {
    block: usize,
    /// Line endings in the block before the record.
    line: u64,
    /// Records in the block up to and including this one.
    record: u64,
}

/// One record: checked cell by cell as the reference reader does, then filtered and added as
/// the reference evaluator does, in the same order and with the same reasons.
fn row<'r>(
    shared: &'r Shared,
    w: &mut Work,
    fields: Fields<'r>,
    cells: &mut Vec<V<'r>>,
    at: Position,
) -> Result<(), Pass> {
    let plan = shared.plan;
    let binding = plan.binding;
    let header = shared.header;
    let reject =
        |column: Option<usize>, header_name: Option<String>, field: Option<String>, value: String, reason: String| {
            Rejection {
                file: binding.path.clone(),
                record: at.record,
                line: at.line,
                column,
                header: header_name,
                field,
                value,
                reason,
            }
        };
    if fields.len() != header.width {
        let width = header.width;
        let reason = if fields.len() < width {
            format!(
                "the line has {} fields where the header has {width}; it may be cut short",
                fields.len()
            )
        } else {
            format!("the line has {} fields where the header has {width}", fields.len())
        };
        w.rejects
            .push((at.block, reject(None, None, None, fields.joined()?, reason)));
        w.reader_rejects += 1;
        return Ok(());
    }
    cells.clear();
    for (i, column) in header.columns.iter().enumerate() {
        let Some(column) = *column else {
            cells.push(V::Null);
            continue;
        };
        let raw = fields.get(column)?;
        // The fast form pushed apart from the general one keeps the value in registers.
        if let Some(v) = plan.readers[i].fast(raw) {
            cells.push(v);
            continue;
        }
        match plan.readers[i].read_any(raw, &binding.dates, &binding.numbers) {
            Ok(v) => cells.push(v),
            Err(fault) => {
                let reason = match fault {
                    CellFault::Empty(r) | CellFault::Invalid(r) => r,
                };
                w.rejects.push((
                    at.block,
                    reject(
                        Some(column + 1),
                        Some(header.headers[column].clone()),
                        Some(binding.fields[i].name.clone()),
                        raw.trim().to_string(),
                        reason,
                    ),
                ));
                w.reader_rejects += 1;
                return Ok(());
            }
        }
    }
    let amount = plan.amount_field.map_or(V::Null, |i| cells[i]);
    // A control total that overflows stops the run at this row, as the reference reader does.
    let overflow = |w: &mut Work| fail(w, at, reasons::TOTALS_OVERFLOW.into());
    if !w.read.add(amount) {
        return overflow(w);
    }
    // Rejections name the file's column of the field, as the reference evaluator's do.
    let refuse = |w: &mut Work, field: usize, value: String, reason: String| {
        let r = reject(
            header.columns[field].map(|c| c + 1),
            Some(binding.fields[field].column.clone()),
            Some(binding.fields[field].name.clone()),
            value,
            reason,
        );
        w.rejects.push((at.block, r));
        if w.rejected.add(amount) { Ok(()) } else { overflow(w) }
    };
    if let Some(k) = plan.key_field
        && let V::Text(key) = cells[k]
        && !w.keys.insert(key.as_bytes())
    {
        w.duplicates.push((w.rejects.len(), key.to_string()));
        return refuse(w, k, key.to_string(), String::new());
    }
    let rep = match plan.rep_field.map(|i| (i, cells[i])) {
        Some((i, V::Text(id))) => match shared.reps.get(id.as_bytes()) {
            Some(r) => Some(r),
            None => {
                return refuse(w, i, id.to_string(), reasons::unknown_salesperson(id));
            }
        },
        _ => None,
    };
    let date = match plan.date_field.map(|i| cells[i]) {
        Some(V::Date(d)) => Some(d),
        _ => None,
    };
    if let Some(d) = date
        && d > plan.window.1
    {
        // A later period's record: counted, not rejected (next month's run uses it).
        w.later += 1;
        return if w.later_amount.add(amount) {
            Ok(())
        } else {
            overflow(w)
        };
    }
    if let (Some(d), Some(i)) = (date, plan.date_field)
        && d < plan.window.0
    {
        let shown = d.to_date().map(|d| d.to_string()).unwrap_or_default();
        return refuse(w, i, shown, plan.before.clone());
    }
    w.used += 1;
    if !w.credited.add(amount) {
        return overflow(w);
    }
    if let Some(d) = date {
        w.last_day = w.last_day.max(Some(d));
    }
    let col = date.map_or(w.table.undated(), |d| plan.column(d));
    // A record without a salesperson (market data) counts for everyone.
    let credited = match rep {
        Some(r) => r..r + 1,
        None => 0..shared.roster.len(),
    };
    for (s, spec) in plan.specs.iter().enumerate() {
        let once = if spec.per_rep {
            None
        } else {
            match eval_spec(spec, cells, &NoRoster) {
                Ok(v) => Some(v),
                Err(why) => return fail(w, at, why),
            }
        };
        for r in credited.clone() {
            let value = match once {
                Some(v) => v,
                None => match eval_spec(spec, cells, &shared.roster[r]) {
                    Ok(v) => v,
                    Err(why) => return fail(w, at, why),
                },
            };
            let Some(value) = value else { continue };
            if w.table.add(s, r, col, value).is_err() {
                return fail(w, at, "arithmetic overflow".into());
            }
        }
    }
    Ok(())
}

/// The value a row adds to an aggregation, or `None` when its filter drops it.
fn eval_spec<'r>(
    spec: &'r super::CompiledSpec,
    cells: &[V<'r>],
    roster: &'r dyn RosterView,
) -> Result<Option<V<'r>>, String> {
    if let Some(f) = &spec.filter
        && !f.keeps(cells, roster)?
    {
        return Ok(None);
    }
    match &spec.arg {
        Some(a) => a.eval(cells, roster).map(Some),
        None => Ok(Some(V::Bool(true))),
    }
}

/// Keeps the first failure to evaluate a record; the worker stops after its block.
fn fail(w: &mut Work, at: Position, why: String) -> Result<(), Pass> {
    if w.fatal.is_none() {
        w.fatal = Some((at.block, at.line, why));
    }
    Ok(())
}

/// Names the line each duplicated key was first seen on: one more ordered pass, over the keys
/// of the records the reader accepted, for the few keys that repeat.
fn name_first_lines(shared: &Shared, done: &mut Merged) -> Result<(), InputError> {
    use std::io::{BufRead, Seek, SeekFrom};
    let plan = shared.plan;
    let header = shared.header;
    let Some(k) = plan.key_field else { return Ok(()) };
    let mut wanted: BTreeMap<&str, Option<u64>> = done.duplicates.iter().map(|(_, key)| (key.as_str(), None)).collect();
    let mut file = File::open(&plan.binding.path).map_err(|e| io_error(plan, &e))?;
    file.seek(SeekFrom::Start(header.data_start))
        .map_err(|e| io_error(plan, &e))?;
    let mut input = std::io::BufReader::with_capacity(1 << 20, file);
    let (mut bytes, mut ranges, mut text) = (Vec::new(), Vec::new(), Vec::new());
    let mut line = header.lines + 1;
    let delimiter = plan.binding.delimiter;
    loop {
        // One record: lines until one ends outside a quoted field.
        bytes.clear();
        loop {
            let n = input.read_until(b'\n', &mut bytes).map_err(|e| io_error(plan, &e))?;
            if n == 0 || next_record(&bytes, 0, false, delimiter).is_some() {
                break;
            }
        }
        let Some(rec) = next_record(&bytes, 0, true, delimiter) else {
            break;
        };
        let fields = cells(
            &bytes[rec.start..rec.end],
            rec.quoted,
            delimiter,
            &mut text,
            &mut ranges,
        );
        let valid = fields.len() == header.width
            && header.columns.iter().enumerate().all(|(i, c)| match c {
                Some(c) => std::str::from_utf8(fields[*c]).is_ok_and(|t| {
                    plan.readers[i]
                        .read(t, &plan.binding.dates, &plan.binding.numbers)
                        .is_ok()
                }),
                None => true,
            });
        if valid
            && let Some(c) = header.columns[k]
            && let Ok(key) = std::str::from_utf8(fields[c])
            && let Some(first) = wanted.get_mut(key.trim())
            && first.is_none()
        {
            *first = Some(line);
        }
        line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
    }
    for (i, key) in &done.duplicates {
        let first = wanted.get(key.as_str()).copied().flatten().unwrap_or(0);
        done.rejects[*i].reason = reasons::duplicate_key(key, first);
    }
    Ok(())
}
