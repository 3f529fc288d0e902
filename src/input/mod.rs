//! The input layer: the run configuration ([`config`]), strict decoding of UTF-8 and GB18030
//! ([`decode`]), exact cell values ([`values`]), file hashes ([`hash`]) and the streaming reader
//! of one source ([`reader`]). The payroll run reads each source once through it.

pub mod config;
pub mod decode;
pub mod hash;
pub mod reader;
pub mod roster;
pub mod values;

pub use config::{BoundField, ConfigError, Format, RunConfig, SourceBinding, SourceConfig};
pub use decode::{DecodeError, DecodeReader, Encoding, EncodingChoice};
pub use reader::{InputError, Record, Rejection, Row, SourceReader, SourceSummary, Value};
pub use values::{DateFormats, NumberFormat};
