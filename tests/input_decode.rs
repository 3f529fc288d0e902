//! Strict decoding of UTF-8 (with or without BOM) and GB18030, block by block, with byte offsets
//! of malformed input; and SHA-256 of known inputs.

use std::io::{self, Read};

use rulebook::input::decode::{
    BLOCK, DecodeError, DecodeErrorKind, DecodeReader, Encoding, EncodingChoice, decode_all,
};
use rulebook::input::hash::{HashingReader, sha256_hex};

/// Hands out its bytes a few at a time, as a pipe might.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// Decodes through the streaming reader, reading into a small buffer.
fn stream(bytes: &[u8], choice: EncodingChoice, step: usize) -> Result<(String, Encoding), DecodeError> {
    let mut reader = DecodeReader::new(Trickle { bytes, step }, choice);
    let mut out = Vec::new();
    let mut buf = [0u8; 1000];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return Err(DecodeError::from_io(&e).expect("a decoding error").clone()),
        }
    }
    Ok((String::from_utf8(out).unwrap(), reader.encoding().unwrap()))
}

#[test]
fn utf8_with_and_without_bom() {
    let text = "销售员,金额\n张三,¥1,234.50\n";
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    assert_eq!(
        decode_all(&with_bom, EncodingChoice::Auto),
        Ok((text.to_string(), Encoding::Utf8 { bom: true }))
    );
    assert_eq!(
        decode_all(text.as_bytes(), EncodingChoice::Auto),
        Ok((text.to_string(), Encoding::Utf8 { bom: false }))
    );
    assert_eq!(
        decode_all(&with_bom, EncodingChoice::Utf8),
        Ok((text.to_string(), Encoding::Utf8 { bom: true }))
    );
    // Pure ASCII reads the same in both encodings and is recorded as UTF-8.
    assert_eq!(
        decode_all(b"a,b\n1,2\n", EncodingChoice::Auto),
        Ok(("a,b\n1,2\n".to_string(), Encoding::Utf8 { bom: false }))
    );
    assert_eq!(
        decode_all(b"", EncodingChoice::Auto),
        Ok((String::new(), Encoding::Utf8 { bom: false }))
    );
}

#[test]
fn gb18030_detected_and_declared() {
    let text = "销售员,金额,成交日期\n张三,¥1,234.50,2027年1月5日\n";
    let bytes = gb18030(text);
    // 销 is CF FA in GBK: not UTF-8.
    assert_eq!(&bytes[..2], &[0xCF, 0xFA]);
    assert!(std::str::from_utf8(&bytes).is_err());
    assert_eq!(
        decode_all(&bytes, EncodingChoice::Auto),
        Ok((text.to_string(), Encoding::Gb18030))
    );
    assert_eq!(
        decode_all(&bytes, EncodingChoice::Gb18030),
        Ok((text.to_string(), Encoding::Gb18030))
    );
    // A four-byte GB18030 sequence, outside GBK: U+1F600 is 94 39 FC 36.
    let four = gb18030("😀");
    assert_eq!(four, [0x94, 0x39, 0xFC, 0x36]);
    assert_eq!(decode_all(&four, EncodingChoice::Gb18030).unwrap().0, "😀");
}

#[test]
fn neither_utf8_nor_gb18030_is_an_error_with_offsets() {
    // "id\n", then 中 in GBK (D6 D0, not UTF-8 at offset 3), then FF (not GB18030 at offset 5).
    let bytes = b"id\n\xD6\xD0\xFF\n";
    let err = decode_all(bytes, EncodingChoice::Auto).unwrap_err();
    assert_eq!(err.offset, 5);
    assert_eq!(err.kind, DecodeErrorKind::Neither { utf8_offset: 3 });
    assert_eq!(
        err.to_string(),
        "neither UTF-8 nor GB18030: not valid UTF-8 at byte offset 3, and not valid GB18030 at byte offset 5 (bytes FF)"
    );
}

#[test]
fn declared_encoding_is_strict() {
    let bytes = b"id\n\xD6\xD0\n";
    let err = decode_all(bytes, EncodingChoice::Utf8).unwrap_err();
    assert_eq!(err.offset, 3);
    assert_eq!(err.to_string(), "not valid UTF-8 at byte offset 3 (bytes D6)");
    // A truncated GB18030 sequence at the end of the file.
    let err = decode_all(b"ab\x81", EncodingChoice::Gb18030).unwrap_err();
    assert_eq!(err.offset, 2);
    assert_eq!(err.to_string(), "not valid GB18030 at byte offset 2 (bytes 81)");
    // A UTF-8 byte order mark contradicts `gb18030`.
    let err = decode_all(b"\xEF\xBB\xBFid\n", EncodingChoice::Gb18030).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BomContradicts);
    assert_eq!(err.offset, 0);
}

#[test]
fn offsets_count_the_bom() {
    let err = decode_all(b"\xEF\xBB\xBFab\xFF", EncodingChoice::Auto).unwrap_err();
    assert_eq!(err.offset, 5);
    assert_eq!(err.kind, DecodeErrorKind::DetectedEarlier);
}

#[test]
fn characters_split_across_blocks_and_reads() {
    // Put a three-byte UTF-8 character and a two-byte GB18030 character across the 64 KiB
    // boundary, and read the input 7 bytes at a time.
    let mut text = "a".repeat(BLOCK - 1);
    text.push_str("金额\n");
    text.push_str(&"b".repeat(10));
    for step in [7, BLOCK, 3 * BLOCK] {
        assert_eq!(
            stream(text.as_bytes(), EncodingChoice::Auto, step).unwrap(),
            (text.clone(), Encoding::Utf8 { bom: false })
        );
        assert_eq!(
            stream(&gb18030(&text), EncodingChoice::Auto, step).unwrap(),
            (text.clone(), Encoding::Gb18030)
        );
    }
}

#[test]
fn auto_decides_at_the_first_non_ascii_block() {
    // Three blocks of ASCII, then GB18030: ASCII reads the same in both, so this is GB18030.
    let text = format!("{}\n张三\n", "x".repeat(3 * BLOCK));
    assert_eq!(
        stream(&gb18030(&text), EncodingChoice::Auto, 4096).unwrap(),
        (text.clone(), Encoding::Gb18030)
    );
    // UTF-8 in the first block, GB18030 bytes two blocks later: an error at their offset.
    let mut bytes = "张三\n".as_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 2 * BLOCK));
    let at = bytes.len() as u64;
    bytes.extend(gb18030("李四\n"));
    let err = stream(&bytes, EncodingChoice::Auto, 4096).unwrap_err();
    assert_eq!(err.offset, at);
    assert_eq!(err.kind, DecodeErrorKind::DetectedEarlier);
    assert!(
        err.to_string()
            .starts_with(&format!("not valid UTF-8 at byte offset {at} (bytes C0)"))
    );
}

#[test]
fn memory_does_not_grow_with_the_input() {
    // 64 MiB streamed through a reader whose buffers are fixed: only the count is kept.
    struct Zeros(u64);
    impl Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = (buf.len() as u64).min(self.0) as usize;
            buf[..n].fill(b'0');
            self.0 -= n as u64;
            Ok(n)
        }
    }
    let mut reader = DecodeReader::new(Zeros(64 << 20), EncodingChoice::Auto);
    let n = io::copy(&mut reader, &mut io::sink()).unwrap();
    assert_eq!(n, 64 << 20);
}

#[test]
fn sha256_of_known_inputs() {
    // FIPS 180-2 test vectors.
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // Hashing while reading a part, then finishing, covers the whole input.
    let mut reader = HashingReader::new(b"abc".as_slice());
    let mut first = [0u8; 1];
    reader.read_exact(&mut first).unwrap();
    assert_eq!(
        reader.finish().unwrap(),
        (
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string(),
            3
        )
    );
}
