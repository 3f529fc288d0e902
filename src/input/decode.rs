//! Strict decoding of input files into UTF-8: UTF-8 with or without a byte order mark, or
//! GB18030 (of which GBK is a subset). Nothing is ever decoded lossily: a byte sequence that is
//! not valid in the file's encoding is an error carrying its byte offset in the file.
//!
//! [`DecodeReader`] decodes a stream block by block (64 KiB), so memory does not grow with the
//! file. With [`EncodingChoice::Auto`] the encoding is decided from the first block that holds a
//! non-ASCII byte (ASCII reads the same in both encodings): a UTF-8 byte order mark or valid UTF-8
//! means UTF-8, anything else GB18030. A later block that is not valid in the encoding decided
//! is an error that says so.

use std::fmt;
use std::io::{self, Read};

use serde::Deserialize;

/// The size of one block of input.
pub const BLOCK: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The encoding a run configuration asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum EncodingChoice {
    /// A byte order mark or valid UTF-8 means UTF-8; anything else must be GB18030.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// GB18030, which includes GBK and GB2312.
    #[serde(rename = "gb18030", alias = "gbk")]
    Gb18030,
}

impl EncodingChoice {
    pub fn name(self) -> &'static str {
        match self {
            EncodingChoice::Auto => "auto",
            EncodingChoice::Utf8 => "utf-8",
            EncodingChoice::Gb18030 => "gb18030",
        }
    }
}

/// The encoding a file was actually read in, as recorded in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8 { bom: bool },
    Gb18030,
}

impl Encoding {
    /// `utf-8`, `utf-8-bom` or `gb18030`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 { bom: false } => "utf-8",
            Encoding::Utf8 { bom: true } => "utf-8-bom",
            Encoding::Gb18030 => "gb18030",
        }
    }

    fn plain_name(self) -> &'static str {
        match self {
            Encoding::Utf8 { .. } => "UTF-8",
            Encoding::Gb18030 => "GB18030",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Bytes that are not valid in the file's encoding. Travels inside an `io::Error` of kind
/// `InvalidData`; [`DecodeError::from_io`] gets it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the file (counting a byte order mark) of the first malformed byte.
    pub offset: u64,
    /// The malformed bytes, when still at hand.
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    pub kind: DecodeErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The configuration named the encoding.
    Declared,
    /// `auto` found the file not to be UTF-8 (at `utf8_offset`) and then not GB18030 either.
    Neither { utf8_offset: u64 },
    /// `auto` chose UTF-8 from an earlier block that was valid UTF-8.
    DetectedEarlier,
    /// The configuration says GB18030 but the file starts with a UTF-8 byte order mark.
    BomContradicts,
}

impl DecodeError {
    /// The decoding error inside an `io::Error` produced by [`DecodeReader`], if it is one.
    pub fn from_io(err: &io::Error) -> Option<&DecodeError> {
        err.get_ref()?.downcast_ref::<DecodeError>()
    }

    fn hex(&self) -> String {
        let hex: Vec<String> = self.bytes.iter().map(|b| format!("{b:02X}")).collect();
        hex.join(" ")
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.bytes.is_empty() {
            format!("byte offset {}", self.offset)
        } else {
            format!("byte offset {} (bytes {})", self.offset, self.hex())
        };
        match &self.kind {
            DecodeErrorKind::Declared => write!(f, "not valid {} at {at}", self.encoding.plain_name()),
            DecodeErrorKind::Neither { utf8_offset } => write!(
                f,
                "neither UTF-8 nor GB18030: not valid UTF-8 at byte offset {utf8_offset}, and not valid GB18030 at {at}"
            ),
            DecodeErrorKind::DetectedEarlier => write!(
                f,
                "not valid {} at {at}, although the file read as {} before that; the file mixes encodings, \
                 or `encoding:` should name the file's encoding",
                self.encoding.plain_name(),
                self.encoding.plain_name()
            ),
            DecodeErrorKind::BomContradicts => write!(
                f,
                "the file starts with a UTF-8 byte order mark, but the configuration says `encoding: gb18030`"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A `Read` adapter that decodes `inner` strictly and yields UTF-8 bytes, without a byte order
/// mark. Memory stays at two blocks whatever the size of the input.
pub struct DecodeReader<R> {
    inner: R,
    choice: EncodingChoice,
    /// Decided once a byte order mark or a non-ASCII byte was seen (or the input ended).
    used: Option<Encoding>,
    decoder: encoding_rs::Decoder,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    output: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    /// Bytes of the input handed to the decoder so far.
    consumed: u64,
    eof: bool,
    done: bool,
    /// An error found after some output; reported once that output has been read.
    pending: Option<io::Error>,
    /// With `auto`, where the input stopped being valid UTF-8 before GB18030 was chosen.
    utf8_offset: Option<u64>,
    started: bool,
}

impl<R: Read> DecodeReader<R> {
    pub fn new(inner: R, choice: EncodingChoice) -> DecodeReader<R> {
        let decoder = match choice {
            EncodingChoice::Gb18030 => encoding_rs::GB18030.new_decoder_without_bom_handling(),
            _ => encoding_rs::UTF_8.new_decoder_without_bom_handling(),
        };
        DecodeReader {
            inner,
            choice,
            used: match choice {
                EncodingChoice::Gb18030 => Some(Encoding::Gb18030),
                _ => None,
            },
            decoder,
            input: vec![0; BLOCK].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            // GB18030 → UTF-8 at most doubles a block (two bytes become three, four stay four).
            output: vec![0; BLOCK * 2 + 16].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            consumed: 0,
            eof: false,
            done: false,
            pending: None,
            utf8_offset: None,
            started: false,
        }
    }

    /// The encoding the input is being read in: known once a byte order mark or a non-ASCII byte
    /// was read, or the input ended (pure ASCII counts as UTF-8).
    pub fn encoding(&self) -> Option<Encoding> {
        match self.used {
            Some(e) => Some(e),
            None if self.done => Some(Encoding::Utf8 { bom: false }),
            None => None,
        }
    }

    /// Bytes of the input decoded so far.
    pub fn bytes_decoded(&self) -> u64 {
        self.consumed
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads the next block: fills the buffer completely unless the input ends.
    fn fill(&mut self) -> io::Result<()> {
        self.in_start = 0;
        self.in_end = 0;
        while self.in_end < self.input.len() {
            match self.inner.read(&mut self.input[self.in_end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.in_end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// With `auto` or `utf-8`, looks at a fresh block: a byte order mark at the start of the
    /// file, or the first non-ASCII bytes, decide the encoding.
    fn decide(&mut self) -> io::Result<()> {
        let block = &self.input[self.in_start..self.in_end];
        if !self.started {
            self.started = true;
            if block.starts_with(UTF8_BOM) {
                if self.choice == EncodingChoice::Gb18030 {
                    return Err(invalid(DecodeError {
                        offset: 0,
                        bytes: UTF8_BOM.to_vec(),
                        encoding: Encoding::Gb18030,
                        kind: DecodeErrorKind::BomContradicts,
                    }));
                }
                self.in_start += UTF8_BOM.len();
                self.consumed += UTF8_BOM.len() as u64;
                self.used = Some(Encoding::Utf8 { bom: true });
                return Ok(());
            }
        }
        if self.used.is_some() || block.is_ascii() {
            return Ok(());
        }
        if self.choice == EncodingChoice::Utf8 {
            self.used = Some(Encoding::Utf8 { bom: false });
            return Ok(());
        }
        // `auto`, and the first block with a non-ASCII byte; everything before it was ASCII, so
        // the UTF-8 decoder used so far holds no partial sequence.
        match std::str::from_utf8(block) {
            Ok(_) => self.used = Some(Encoding::Utf8 { bom: false }),
            Err(e) if e.error_len().is_none() && !self.eof => self.used = Some(Encoding::Utf8 { bom: false }),
            Err(e) => {
                self.utf8_offset = Some(self.consumed + e.valid_up_to() as u64);
                self.used = Some(Encoding::Gb18030);
                self.decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
            }
        }
        Ok(())
    }

    fn malformed(&self, block_start: u64, block: &[u8], end_in_block: usize, bad: usize, after: usize) -> io::Error {
        // `end_in_block` bytes of `block` were consumed; the malformed sequence ends `after`
        // bytes before that and is `bad` bytes long (it may have begun in an earlier block).
        let end = block_start + end_in_block as u64 - after as u64;
        let offset = end.saturating_sub(bad as u64);
        let bytes = if offset >= block_start {
            let from = (offset - block_start) as usize;
            block[from..from + bad].to_vec()
        } else {
            Vec::new()
        };
        let encoding = self.used.unwrap_or(Encoding::Utf8 { bom: false });
        let kind = match (self.choice, self.utf8_offset) {
            (EncodingChoice::Auto, Some(utf8_offset)) => DecodeErrorKind::Neither { utf8_offset },
            (EncodingChoice::Auto, None) => DecodeErrorKind::DetectedEarlier,
            _ => DecodeErrorKind::Declared,
        };
        invalid(DecodeError {
            offset,
            bytes,
            encoding,
            kind,
        })
    }

    /// Decodes until some output is ready or the input is done.
    fn produce(&mut self) -> io::Result<()> {
        self.out_start = 0;
        self.out_end = 0;
        while self.out_end == 0 && !self.done {
            if self.in_start == self.in_end && !self.eof {
                self.fill()?;
                if self.choice != EncodingChoice::Gb18030 || !self.started {
                    self.decide()?;
                }
            }
            let block_start = self.consumed;
            let src = &self.input[self.in_start..self.in_end];
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.output, self.eof);
            self.out_end = written;
            match result {
                encoding_rs::DecoderResult::Malformed(bad, after) => {
                    let err = self.malformed(block_start, src, read, bad as usize, after as usize);
                    self.done = true;
                    // What decoded before the malformed bytes is delivered first.
                    if written == 0 {
                        return Err(err);
                    }
                    self.pending = Some(err);
                }
                encoding_rs::DecoderResult::InputEmpty if self.eof => self.done = true,
                encoding_rs::DecoderResult::InputEmpty | encoding_rs::DecoderResult::OutputFull => {}
            }
            self.in_start += read;
            self.consumed += read as u64;
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_start == self.out_end {
            if let Some(err) = self.pending.take() {
                return Err(err);
            }
            if self.done {
                return Ok(0);
            }
            self.produce()?;
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

fn invalid(err: DecodeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

/// Decodes a whole byte string strictly; for small inputs read at once (the configuration, a
/// YAML roster).
pub fn decode_all(bytes: &[u8], choice: EncodingChoice) -> Result<(String, Encoding), DecodeError> {
    let mut reader = DecodeReader::new(bytes, choice);
    let mut out = Vec::with_capacity(bytes.len());
    if let Err(e) = reader.read_to_end(&mut out) {
        return Err(DecodeError::from_io(&e).cloned().unwrap_or(DecodeError {
            offset: reader.bytes_decoded(),
            bytes: Vec::new(),
            encoding: Encoding::Utf8 { bom: false },
            kind: DecodeErrorKind::Declared,
        }));
    }
    let encoding = reader.encoding().unwrap_or(Encoding::Utf8 { bom: false });
    // The decoder only ever writes valid UTF-8.
    let text = String::from_utf8(out).map_err(|e| DecodeError {
        offset: e.utf8_error().valid_up_to() as u64,
        bytes: Vec::new(),
        encoding,
        kind: DecodeErrorKind::Declared,
    })?;
    Ok((text, encoding))
}
