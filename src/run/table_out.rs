//! One output table written as CSV or JSON, so every output file has the same columns in either
//! format.
//!
//! JSON is an array with one object per line, its keys the CSV header in the same order and its
//! values the CSV cells as strings (money stays exact: never a floating-point number); an empty
//! cell is `null`.

use std::io::{self, Write};

/// The format of a run's output tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Csv,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// The name written to the manifest's arguments.
    pub fn name(self) -> &'static str {
        self.extension()
    }
}

/// A table written as it is filled, to any writer (a file while a run writes its outputs).
pub struct TableWriter<W: Write> {
    header: Vec<String>,
    out: Out<W>,
    rows: usize,
}

enum Out<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(W),
}

impl<W: Write> TableWriter<W> {
    pub fn new<S: AsRef<str>>(format: Format, header: &[S], mut to: W) -> io::Result<TableWriter<W>> {
        let out = match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(to);
                w.write_record(header.iter().map(AsRef::as_ref))?;
                Out::Csv(Box::new(w))
            }
            Format::Json => {
                to.write_all(b"[")?;
                Out::Json(to)
            }
        };
        Ok(TableWriter {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            out,
            rows: 0,
        })
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> io::Result<()> {
        let json = match &mut self.out {
            Out::Csv(w) => return Ok(w.write_record(cells.iter().map(AsRef::as_ref))?),
            Out::Json(w) => w,
        };
        json.write_all(if self.rows == 0 { b"\n{" } else { b",\n{" })?;
        for (i, (key, cell)) in self.header.iter().zip(cells).enumerate() {
            if i > 0 {
                json.write_all(b",")?;
            }
            serde_json::to_writer(&mut *json, key)?;
            json.write_all(b":")?;
            match cell.as_ref() {
                "" => json.write_all(b"null")?,
                text => serde_json::to_writer(&mut *json, text)?,
            }
        }
        json.write_all(b"}")?;
        self.rows += 1;
        Ok(())
    }

    /// Ends the table and gives the writer back.
    pub fn finish(self) -> io::Result<W> {
        match self.out {
            Out::Csv(w) => w.into_inner().map_err(|e| e.into_error()),
            Out::Json(mut w) => {
                w.write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
                Ok(w)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_csv_columns_in_order_with_empty_cells_null() {
        let mut t = TableWriter::new(Format::Json, &["salesperson", "base", "rate"], Vec::new()).unwrap();
        t.row(&["E1", "", "marginal \"tiers\""]).unwrap();
        t.row(&["W1", "10.00", "x"]).unwrap();
        assert_eq!(
            String::from_utf8(t.finish().unwrap()).unwrap(),
            "[\n{\"salesperson\":\"E1\",\"base\":null,\"rate\":\"marginal \\\"tiers\\\"\"},\n{\"salesperson\":\"W1\",\"base\":\"10.00\",\"rate\":\"x\"}\n]\n"
        );
        let empty = TableWriter::new(Format::Json, &["a"], Vec::new()).unwrap();
        assert_eq!(empty.finish().unwrap(), b"[]\n");
        let mut c = TableWriter::new(Format::Csv, &["a", "b"], Vec::new()).unwrap();
        c.row(&["1", ""]).unwrap();
        assert_eq!(c.finish().unwrap(), b"a,b\n1,\n");
    }
}
