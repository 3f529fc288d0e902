//! Finding records and fields in a block of CSV bytes. The common line — no quote character —
//! is found and split in one scan, eight bytes at a time (SWAR: a word's delimiters, line
//! endings and quotes found with a few integer operations, no per-field search to start); a line
//! with quotes is read by a small state machine (RFC 4180: `""` inside a quoted field is one
//! quote, and a quoted field may span lines).

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
/// follow (`eof` false). With `eof`, a last line without a line ending is a record. A quote
/// opens a quoted field only at the start of a field (after `delimiter` or at the record's
/// start); anywhere else it is a character of the field, as the reference reader takes it.
pub fn next_record(buf: &[u8], pos: usize, eof: bool, delimiter: u8) -> Option<RecordSpan> {
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
    let (mut inside, mut at_field_start) = (false, true);
    let mut newlines = 0;
    let mut i = 0;
    while i < rest.len() {
        let c = rest[i];
        if c == b'\n' {
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
        if inside {
            if c == b'"' {
                // `""` is a quote inside the field; a quote alone closes it.
                if rest.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    inside = false;
                }
            }
            at_field_start = false;
        } else if c == b'"' && at_field_start {
            inside = true;
            at_field_start = false;
        } else {
            at_field_start = c == delimiter;
        }
        i += 1;
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

/// What [`split_record`] found at a position.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// A record without quotes; its fields' ranges, relative to its start, are in `out`.
    Plain(RecordSpan),
    /// The record has a quote character: read it with [`next_record`] and [`split_quoted`].
    Quoted,
    /// The record does not end inside the buffer, and more input may follow.
    More,
}

/// Which of 16 bytes are the delimiter (first mask) and which a line ending or a quote (second
/// mask): bit `k` is byte `k`. SSE2, which every x86-64 processor has, compares the 16 at once.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
fn sse2_masks(chunk: &[u8; 16], delimiter: u8) -> (u32, u32) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8};
    let half = |i: usize| i64::from_le_bytes(std::array::from_fn(|k| chunk[i + k]));
    let v = _mm_set_epi64x(half(8), half(0));
    let is = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
    let delimiters = _mm_movemask_epi8(is(delimiter)) as u32;
    let special = _mm_movemask_epi8(_mm_or_si128(is(b'\n'), is(b'"'))) as u32;
    (delimiters, special)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn masks(chunk: &[u8; 16], delimiter: u8) -> (u32, u32) {
    // SAFETY: the function needs SSE2, which this build targets (the `cfg` above): every
    // x86-64 processor has it.
    unsafe { sse2_masks(chunk, delimiter) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
fn masks(chunk: &[u8; 16], delimiter: u8) -> (u32, u32) {
    swar_masks(chunk, delimiter)
}

/// As the SSE2 masks, eight bytes at a time in plain integers, for other processors.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline]
fn swar_masks(chunk: &[u8; 16], delimiter: u8) -> (u32, u32) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The high bit of each byte of `x` that is zero, and no other bit: the low seven bits are
    // added apart from the high one, so no carry crosses a byte.
    let zero_bytes = |x: u64| !(((x & LOW7) + LOW7) | x | LOW7);
    // One bit per byte: the high bits gathered into the top byte by a multiplication.
    let gather = |hits: u64| ((hits >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
    let (d, nl, q) = (
        ONES * u64::from(delimiter),
        ONES * u64::from(b'\n'),
        ONES * u64::from(b'"'),
    );
    let mut out = (0u32, 0u32);
    for (i, word) in chunk.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(std::array::from_fn(|k| word[k]));
        out.0 |= gather(zero_bytes(x ^ d)) << (8 * i);
        out.1 |= gather(zero_bytes(x ^ nl) | zero_bytes(x ^ q)) << (8 * i);
    }
    out
}

/// Finds the record starting at `pos` and, when it has no quote, the ranges of its fields
/// (what [`next_record`] and [`split_plain`] give, in one pass over its bytes).
#[inline]
pub fn split_record(buf: &[u8], pos: usize, delimiter: u8, eof: bool, out: &mut Vec<(usize, usize)>) -> Scan {
    out.clear();
    let mut field = pos;
    let mut i = pos;
    // One byte at `j`: a field ends, the record ends, or quotes send it to the full reader.
    macro_rules! byte {
        ($j:expr) => {{
            let j = $j;
            let c = buf[j];
            if c == b'\n' {
                let end = strip_cr(buf, field, j);
                out.push((field - pos, end - pos));
                return Scan::Plain(RecordSpan {
                    start: pos,
                    end,
                    next: j + 1,
                    newlines: 1,
                    quoted: false,
                });
            } else if c == b'"' {
                return Scan::Quoted;
            } else if c == delimiter {
                out.push((field - pos, j - pos));
                field = j + 1;
            }
        }};
    }
    while let Some(chunk) = buf.get(i..i + 16).and_then(|c| <&[u8; 16]>::try_from(c).ok()) {
        let (mut delimiters, special) = masks(chunk, delimiter);
        // A line ending or a quote is rare (once a record): the delimiters before it are
        // fields, and the byte itself decides the rest.
        if special != 0 {
            delimiters &= (1u32 << special.trailing_zeros()) - 1;
        }
        while delimiters != 0 {
            let j = i + delimiters.trailing_zeros() as usize;
            out.push((field - pos, j - pos));
            field = j + 1;
            delimiters &= delimiters - 1;
        }
        if special != 0 {
            // Always returns: the byte is a line ending or a quote.
            byte!(i + special.trailing_zeros() as usize);
        }
        i += 16;
    }
    for j in i..buf.len() {
        byte!(j);
    }
    if !eof || pos >= buf.len() {
        return Scan::More;
    }
    let end = strip_cr(buf, field, buf.len());
    out.push((field - pos, end - pos));
    Scan::Plain(RecordSpan {
        start: pos,
        end,
        next: buf.len(),
        newlines: 0,
        quoted: false,
    })
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
        let r1 = next_record(buf, 0, false, b',').unwrap();
        assert_eq!(
            (&buf[r1.start..r1.end], r1.newlines, r1.quoted),
            (&b"a,b"[..], 1, false)
        );
        let r2 = next_record(buf, r1.next, false, b',').unwrap();
        assert_eq!(&buf[r2.start..r2.end], b"c,d");
        let r3 = next_record(buf, r2.next, false, b',').unwrap();
        assert_eq!(
            (&buf[r3.start..r3.end], r3.newlines, r3.quoted),
            (&b"\"x\ny\",z"[..], 2, true)
        );
        assert_eq!(next_record(buf, r3.next, false, b','), None);
        let r4 = next_record(buf, r3.next, true, b',').unwrap();
        assert_eq!((&buf[r4.start..r4.end], r4.newlines), (&b"last"[..], 0));
    }

    /// A quote opens a quoted field only at a field's start: one inside an unquoted field is
    /// a character of it, and does not carry the record on to the next line.
    #[test]
    fn a_quote_inside_an_unquoted_field_is_a_character() {
        let buf = b"a,Ene\"gy,5\nb,\"x\ny\",z\nc,\"p\"\"q\",\"\"\n";
        let r1 = next_record(buf, 0, false, b',').unwrap();
        assert_eq!((r1.end, r1.next, r1.newlines), (10, 11, 1));
        let (mut text, mut out) = (Vec::new(), Vec::new());
        split_quoted(&buf[r1.start..r1.end], b',', &mut text, &mut out);
        let fields = |text: &[u8], out: &[(usize, usize)]| -> Vec<String> {
            out.iter()
                .map(|&(s, e)| String::from_utf8_lossy(&text[s..e]).into_owned())
                .collect()
        };
        assert_eq!(fields(&text, &out), ["a", "Ene\"gy", "5"]);
        // A quoted field across a line ending, then `""` inside a quoted field and an empty one.
        let r2 = next_record(buf, r1.next, false, b',').unwrap();
        assert_eq!((r2.start, r2.end, r2.newlines), (11, 20, 2));
        let r3 = next_record(buf, r2.next, false, b',').unwrap();
        split_quoted(&buf[r3.start..r3.end], b',', &mut text, &mut out);
        assert_eq!(fields(&text, &out), ["c", "p\"q", ""]);
        assert_eq!(r3.next, buf.len());
        // With `;` as the delimiter, a quote after a comma is inside a field.
        let r = next_record(b"a;b,\"c\nd\n", 0, false, b';').unwrap();
        assert_eq!((r.end, r.newlines), (6, 1));
    }

    /// `split_record` agrees with `next_record` + `split_plain` wherever a record ends, for
    /// fields of every length across the eight-byte words, CRLF, a last line without an
    /// ending, and quotes anywhere.
    #[test]
    fn one_pass_split_matches_the_two_step_one() {
        let samples: &[&[u8]] = &[
            b"a,b\r\nc,d\n",
            b"deal,R00001,2027-01-05,1200.00,closed\nnext",
            b",,,\n",
            b"\n",
            b"\r\n",
            b"abcdefghijklmnopqrstuvwxyz,0123456789abcdef,x\n",
            b"a,b\"c,d\n",
            b"12345678,\"q\",z\n",
            b"no ending,at all",
            b"\xe4\xb8\xad,\xe6\x96\x87\n",
        ];
        let mut out = Vec::new();
        let mut expected = Vec::new();
        for sample in samples {
            for eof in [false, true] {
                for pos in 0..sample.len() {
                    let got = split_record(sample, pos, b',', eof, &mut out);
                    match next_record(sample, pos, eof, b',') {
                        // A quote sends the record to the full reader, which decides.
                        _ if got == Scan::Quoted => {
                            assert!(sample[pos..].contains(&b'"'), "{sample:?} at {pos}")
                        }
                        None => assert_eq!(got, Scan::More, "{sample:?} at {pos}"),
                        Some(rec) if rec.quoted => panic!("{sample:?} at {pos}: quotes not seen"),
                        Some(rec) => {
                            assert_eq!(got, Scan::Plain(rec), "{sample:?} at {pos}");
                            split_plain(&sample[rec.start..rec.end], b',', &mut expected);
                            assert_eq!(out, expected, "{sample:?} at {pos}");
                        }
                    }
                }
            }
        }
        // Semicolons and tabs as delimiters.
        assert!(matches!(
            split_record(b"a;b\tc\n", 0, b';', false, &mut out),
            Scan::Plain(_)
        ));
        assert_eq!(out, vec![(0, 1), (2, 5)]);
        split_record(b"a;b\tc\n", 0, b'\t', false, &mut out);
        assert_eq!(out, vec![(0, 3), (4, 5)]);
    }

    /// Both ways of finding delimiters, line endings and quotes agree with a byte-by-byte look.
    #[test]
    fn masks_mark_the_bytes_that_matter() {
        let mut chunk = [b'x'; 16];
        for seed in 0u32..4000 {
            // Every byte one of a few, the high ones included.
            for (k, b) in chunk.iter_mut().enumerate() {
                let pick = seed.wrapping_mul(2_654_435_761).rotate_left(k as u32 * 2) % 7;
                *b = [b',', b'\n', b'"', b';', b'a', 0x80, 0xff][pick as usize];
            }
            for delimiter in [b',', b';', b'\t'] {
                let mut expected = (0u32, 0u32);
                for (k, &b) in chunk.iter().enumerate() {
                    expected.0 |= u32::from(b == delimiter) << k;
                    expected.1 |= u32::from(b == b'\n' || b == b'"') << k;
                }
                assert_eq!(masks(&chunk, delimiter), expected, "{chunk:?}");
                assert_eq!(swar_masks(&chunk, delimiter), expected, "{chunk:?}");
            }
        }
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
