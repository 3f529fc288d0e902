//! One output table written as CSV or JSON, so every output file has the same columns in either
//! format.
//!
//! JSON is an array with one object per line, its keys the CSV header in the same order and its
//! values the CSV cells as strings (money stays exact: never a floating-point number); an empty
//! cell is `null`.

use std::io;

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

pub struct TableWriter {
    header: Vec<String>,
    csv: Option<csv::Writer<Vec<u8>>>,
    json: Vec<u8>,
    rows: usize,
}

impl TableWriter {
    pub fn new<S: AsRef<str>>(format: Format, header: &[S]) -> io::Result<TableWriter> {
        let csv = match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(header.iter().map(AsRef::as_ref))?;
                Some(w)
            }
            Format::Json => None,
        };
        Ok(TableWriter {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            csv,
            json: b"[".to_vec(),
            rows: 0,
        })
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> io::Result<()> {
        if let Some(w) = &mut self.csv {
            return Ok(w.write_record(cells.iter().map(AsRef::as_ref))?);
        }
        self.json
            .extend_from_slice(if self.rows == 0 { b"\n{" } else { b",\n{" });
        for (i, (key, cell)) in self.header.iter().zip(cells).enumerate() {
            if i > 0 {
                self.json.push(b',');
            }
            serde_json::to_writer(&mut self.json, key)?;
            self.json.push(b':');
            match cell.as_ref() {
                "" => self.json.extend_from_slice(b"null"),
                text => serde_json::to_writer(&mut self.json, text)?,
            }
        }
        self.json.push(b'}');
        self.rows += 1;
        Ok(())
    }

    pub fn finish(self) -> io::Result<Vec<u8>> {
        match self.csv {
            Some(w) => w.into_inner().map_err(|e| e.into_error()),
            None => {
                let mut out = self.json;
                out.extend_from_slice(if self.rows == 0 { b"]\n" } else { b"\n]\n" });
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_csv_columns_in_order_with_empty_cells_null() {
        let mut t = TableWriter::new(Format::Json, &["salesperson", "base", "rate"]).unwrap();
        t.row(&["E1", "", "marginal \"tiers\""]).unwrap();
        t.row(&["W1", "10.00", "x"]).unwrap();
        assert_eq!(
            String::from_utf8(t.finish().unwrap()).unwrap(),
            "[\n{\"salesperson\":\"E1\",\"base\":null,\"rate\":\"marginal \\\"tiers\\\"\"},\n{\"salesperson\":\"W1\",\"base\":\"10.00\",\"rate\":\"x\"}\n]\n"
        );
        let empty = TableWriter::new(Format::Json, &["a"]).unwrap();
        assert_eq!(empty.finish().unwrap(), b"[]\n");
        let mut c = TableWriter::new(Format::Csv, &["a", "b"]).unwrap();
        c.row(&["1", ""]).unwrap();
        assert_eq!(c.finish().unwrap(), b"a,b\n1,\n");
    }
}
