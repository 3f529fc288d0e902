//! Finding records and fields in a block of CSV bytes. The common line — no quote character —
//! is split with SIMD-accelerated byte searches and no copying; a line with quotes is read by
//! a small state machine (RFC 4180: `""` inside a quoted field is one quote, and a quoted field
//! may span lines).

use memchr::{memchr, memchr_iter, memchr2};

/// One record found in a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordSpan {
    pub start: usize,
    /// Exclusive, without the line ending.
    pub end: usize,
    /// Where the next record starts.
    pub next: usize,
    /// Line endings inside and at the end of the record.
    pub newlines: u64,
    pub quoted: bool,
}

/// The record starting at `pos`; `None` when it does not end inside `buf` and more input may
/// follow (`eof` false). With `eof`, a last line without a line ending is a record.
pub fn next_record(buf: &[u8], pos: usize, eof: bool) -> Option<RecordSpan> {
    if pos >= buf.len() {
        return None;
    }
    let rest = &buf[pos..];
    // One search finds the line's end, or a quote before it.
    let (line_end, quoted) = match memchr2(b'\n', b'"', rest) {
        Some(i) if rest[i] == b'\n' => (Some(i), false),
        Some(_) => (memchr(b'\n', rest), true),
        None => (None, false),
    };
    if !quoted {
        return match line_end {
            Some(i) => Some(RecordSpan {
                start: pos,
                end: strip_cr(buf, pos, pos + i),
                next: pos + i + 1,
                newlines: 1,
                quoted: false,
            }),
            None if eof => Some(RecordSpan {
                start: pos,
                end: strip_cr(buf, pos, buf.len()),
                next: buf.len(),
                newlines: 0,
                quoted: false,
            }),
            None => None,
        };
    }
    // Quotes: the record ends at the first line ending outside a quoted field.
    let mut inside = false;
    let mut newlines = 0;
    for (i, &c) in rest.iter().enumerate() {
        match c {
            b'"' => inside = !inside,
            b'\n' => {
                newlines += 1;
                if !inside {
                    return Some(RecordSpan {
                        start: pos,
                        end: strip_cr(buf, pos, pos + i),
                        next: pos + i + 1,
                        newlines,
                        quoted: true,
                    });
                }
            }
            _ => {}
        }
    }
    eof.then(|| RecordSpan {
        start: pos,
        end: strip_cr(buf, pos, buf.len()),
        next: buf.len(),
        newlines,
        quoted: true,
    })
}

fn strip_cr(buf: &[u8], start: usize, end: usize) -> usize {
    if end > start && buf[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// Splits an unquoted record into `out` as byte ranges of `line`.
pub fn split_plain(line: &[u8], delimiter: u8, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut start = 0;
    for i in memchr_iter(delimiter, line) {
        out.push((start, i));
        start = i + 1;
    }
    out.push((start, line.len()));
}

/// Splits a record with quotes: the unquoted text of each field goes into `text`, one after
/// the other, and `out` gets each field's range in `text`.
pub fn split_quoted(line: &[u8], delimiter: u8, text: &mut Vec<u8>, out: &mut Vec<(usize, usize)>) {
    out.clear();
    text.clear();
    let mut start = 0;
    let mut i = 0;
    let mut at_field_start = true;
    let mut inside = false;
    while i < line.len() {
        let c = line[i];
        if inside {
            if c == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    text.push(b'"');
                    i += 1;
                } else {
                    inside = false;
                }
            } else {
                text.push(c);
            }
        } else if c == delimiter {
            out.push((start, text.len()));
            start = text.len();
            at_field_start = true;
            i += 1;
            continue;
        } else if c == b'"' && at_field_start {
            inside = true;
        } else {
            text.push(c);
        }
        at_field_start = false;
        i += 1;
    }
    out.push((start, text.len()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_line_endings() {
        let buf = b"a,b\r\nc,d\n\"x\ny\",z\nlast";
        let r1 = next_record(buf, 0, false).unwrap();
        assert_eq!(
            (&buf[r1.start..r1.end], r1.newlines, r1.quoted),
            (&b"a,b"[..], 1, false)
        );
        let r2 = next_record(buf, r1.next, false).unwrap();
        assert_eq!(&buf[r2.start..r2.end], b"c,d");
        let r3 = next_record(buf, r2.next, false).unwrap();
        assert_eq!(
            (&buf[r3.start..r3.end], r3.newlines, r3.quoted),
            (&b"\"x\ny\",z"[..], 2, true)
        );
        assert_eq!(next_record(buf, r3.next, false), None);
        let r4 = next_record(buf, r3.next, true).unwrap();
        assert_eq!((&buf[r4.start..r4.end], r4.newlines), (&b"last"[..], 0));
    }

    #[test]
    fn fields() {
        let mut out = Vec::new();
        split_plain(b"a,,b c,", b',', &mut out);
        assert_eq!(out, vec![(0, 1), (2, 2), (3, 6), (7, 7)]);
        let mut text = Vec::new();
        split_quoted(b"\"a,b\",\"say \"\"hi\"\"\",c\"d", b',', &mut text, &mut out);
        let cells: Vec<&[u8]> = out.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(cells, vec![&b"a,b"[..], b"say \"hi\"", b"c\"d"]);
    }
}
