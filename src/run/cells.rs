//! A score line's metric values, kept as the text they are written as: one string and where
//! each cell ends. A run that collects its lines (with `--paid`, over a policy history) holds
//! every score line until it is written, and then this is most of its memory when the roster
//! is large (a `Vec<Option<Value>>` takes about three times as much).

use crate::eval::rules::Value;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells {
    text: String,
    ends: Vec<u32>,
}

impl Cells {
    pub fn with_capacity(cells: usize) -> Cells {
        Cells {
            text: String::new(),
            ends: Vec::with_capacity(cells),
        }
    }

    /// Adds a value as `scores.csv` writes it: a number to six decimals at most, an empty value
    /// as an empty cell.
    pub fn push(&mut self, value: &Option<Value>) {
        use std::fmt::Write as _;
        let _ = match value {
            Some(Value::Num(d)) => write!(self.text, "{}", d.round_dp(6).normalize()),
            Some(Value::Text(t)) => write!(self.text, "{t}"),
            Some(Value::Bool(b)) => write!(self.text, "{b}"),
            Some(Value::Date(d)) => write!(self.text, "{d}"),
            None => Ok(()),
        };
        // A score line's text is far below 4 GiB.
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// Trims the spare capacity: the line is complete.
    pub fn done(mut self) -> Cells {
        self.text.shrink_to_fit();
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let end = (end as usize).min(self.text.len());
            let cell = self.text.get(start..end).unwrap_or("");
            start = end;
            cell
        })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cells_are_written_as_scores_csv_writes_them() {
        let mut c = Cells::with_capacity(5);
        c.push(&Some(Value::Num(dec!(1.23456789))));
        c.push(&None);
        c.push(&Some(Value::Text("东区".into())));
        c.push(&Some(Value::Bool(true)));
        c.push(&Some(Value::Num(dec!(120000.00))));
        let c = c.done();
        assert_eq!(c.iter().collect::<Vec<_>>(), ["1.234568", "", "东区", "true", "120000"]);
        assert_eq!(c.len(), 5);
    }
}
