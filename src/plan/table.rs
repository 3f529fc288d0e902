//! Dense accumulators of the fast evaluator: one cell per aggregation, salesperson and fiscal
//! month (plus one for records without a date, which count in every period). Sums and counts
//! are integers — amounts in 10^-4 units — so adding a row is one integer addition; values the
//! fast form does not cover, distinct values and extremes live beside, keyed by cell. Periods
//! are unions of months, read off the table when the rules ask.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::cells::FIXED_SCALE;
use super::rowexpr::V;
use crate::eval::rules::{Value, compare};
use crate::syntax::ast::{AggFunc, BinaryOp};

/// The accumulators of one source's aggregations.
#[derive(Clone, Debug)]
pub struct MonthTable {
    /// Months of the run's window, plus the undated column.
    cols: usize,
    /// Per aggregation: its function and its first lane (an average takes two: sum, count).
    specs: Vec<(AggFunc, usize)>,
    lanes: usize,
    reps: usize,
    /// Laid out month by month, then salesperson by salesperson, then lane: a row's additions
    /// to its cell's lanes touch one or two cache lines, and as exports tend to come in date
    /// order, the months being read stay in the cache.
    cells: Vec<i64>,
    /// Amounts that are not plain, per cell.
    exact: BTreeMap<usize, Decimal>,
    distinct: BTreeMap<usize, BTreeSet<String>>,
    extreme: BTreeMap<usize, Value>,
}

/// A value that does not fit: arithmetic overflow.
#[derive(Debug)]
pub struct Overflow;

impl MonthTable {
    pub fn new(funcs: &[AggFunc], reps: usize, months: usize) -> MonthTable {
        let mut lanes = 0;
        let specs = funcs
            .iter()
            .map(|f| {
                let first = lanes;
                lanes += if *f == AggFunc::Average { 2 } else { 1 };
                (*f, first)
            })
            .collect();
        let cols = months + 1;
        MonthTable {
            cols,
            specs,
            lanes,
            reps,
            cells: vec![0; lanes * reps * cols],
            exact: BTreeMap::new(),
            distinct: BTreeMap::new(),
            extreme: BTreeMap::new(),
        }
    }

    /// The column of records without a date.
    pub fn undated(&self) -> usize {
        self.cols - 1
    }

    fn cell(&self, lane: usize, rep: usize, col: usize) -> usize {
        (col * self.reps + rep) * self.lanes + lane
    }

    /// Adds a plain amount to a cell; what would overflow the integer goes to the exact sum.
    #[inline]
    fn add_fixed(&mut self, cell: usize, f: i64) -> Result<(), Overflow> {
        match self.cells[cell].checked_add(f) {
            Some(v) => self.cells[cell] = v,
            None => {
                let e = self.exact.entry(cell).or_default();
                *e = e.checked_add(Decimal::new(f, FIXED_SCALE)).ok_or(Overflow)?;
            }
        }
        Ok(())
    }

    /// Adds one row's value to aggregation `spec` of `rep` in column `col`. An empty cell is
    /// skipped, as in SQL; so is a value the function cannot take (text in a sum), as the
    /// reference evaluator does.
    #[inline]
    pub fn add(&mut self, spec: usize, rep: usize, col: usize, v: V) -> Result<(), Overflow> {
        if v == V::Null {
            return Ok(());
        }
        let (func, lane) = self.specs[spec];
        let cell = self.cell(lane, rep, col);
        match func {
            AggFunc::Sum | AggFunc::Average => {
                match v {
                    V::Fixed(f) => self.add_fixed(cell, f)?,
                    V::Num(d) => {
                        let e = self.exact.entry(cell).or_default();
                        *e = e.checked_add(d).ok_or(Overflow)?;
                    }
                    _ => return Ok(()),
                }
                if func == AggFunc::Average {
                    let count = self.cell(lane + 1, rep, col);
                    self.cells[count] += 1;
                }
            }
            AggFunc::Count => self.cells[cell] += 1,
            AggFunc::CountDistinct => {
                if let Some(value) = v.to_value() {
                    let set = self.distinct.entry(cell).or_default();
                    let text = value.to_string();
                    if !set.contains(&text) {
                        set.insert(text);
                    }
                }
            }
            AggFunc::Min | AggFunc::Max => {
                if let Some(value) = v.to_value() {
                    let replace = self.extreme.get(&cell).is_none_or(|cur| {
                        if func == AggFunc::Min {
                            less(&value, cur)
                        } else {
                            less(cur, &value)
                        }
                    });
                    if replace {
                        self.extreme.insert(cell, value);
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds another table of the same shape into this one.
    pub fn merge(&mut self, other: MonthTable) -> Result<(), Overflow> {
        for (cell, b) in other.cells.into_iter().enumerate() {
            if b != 0 {
                self.add_fixed(cell, b)?;
            }
        }
        for (cell, d) in other.exact {
            let e = self.exact.entry(cell).or_default();
            *e = e.checked_add(d).ok_or(Overflow)?;
        }
        for (cell, set) in other.distinct {
            self.distinct.entry(cell).or_default().extend(set);
        }
        for (cell, v) in other.extreme {
            let func = self.func_of(cell);
            let replace = self.extreme.get(&cell).is_none_or(|cur| {
                if func == AggFunc::Min {
                    less(&v, cur)
                } else {
                    less(cur, &v)
                }
            });
            if replace {
                self.extreme.insert(cell, v);
            }
        }
        Ok(())
    }

    fn func_of(&self, cell: usize) -> AggFunc {
        let lane = cell % self.lanes.max(1);
        self.specs
            .iter()
            .rev()
            .find(|(_, first)| *first <= lane)
            .map_or(AggFunc::Sum, |(f, _)| *f)
    }

    /// The value of aggregation `spec` for `rep` over the months `cols` (and the undated
    /// records), as the reference evaluator's accumulator would give it.
    pub fn value(&self, spec: usize, rep: usize, cols: std::ops::Range<usize>) -> Result<Option<Value>, Overflow> {
        let (func, lane) = self.specs[spec];
        let columns = cols.chain(std::iter::once(self.undated()));
        let sum = |lane: usize| -> Result<Decimal, Overflow> {
            let mut fixed: i128 = 0;
            let mut exact = Decimal::ZERO;
            for col in columns.clone() {
                let cell = self.cell(lane, rep, col);
                fixed = fixed.checked_add(i128::from(self.cells[cell])).ok_or(Overflow)?;
                if let Some(d) = self.exact.get(&cell) {
                    exact = exact.checked_add(*d).ok_or(Overflow)?;
                }
            }
            Decimal::try_from_i128_with_scale(fixed, FIXED_SCALE)
                .map_err(|_| Overflow)?
                .checked_add(exact)
                .ok_or(Overflow)
        };
        let count = |lane: usize| -> i64 { columns.clone().map(|c| self.cells[self.cell(lane, rep, c)]).sum() };
        Ok(match func {
            AggFunc::Sum => Some(Value::Num(sum(lane)?)),
            AggFunc::Count => Some(Value::Num(Decimal::from(count(lane)))),
            AggFunc::Average => match count(lane + 1) {
                0 => None,
                n => sum(lane)?.checked_div(Decimal::from(n)).map(Value::Num),
            },
            AggFunc::CountDistinct => {
                let mut all: BTreeSet<&str> = BTreeSet::new();
                for col in columns {
                    if let Some(set) = self.distinct.get(&self.cell(lane, rep, col)) {
                        all.extend(set.iter().map(String::as_str));
                    }
                }
                Some(Value::Num(Decimal::from(all.len())))
            }
            AggFunc::Min | AggFunc::Max => {
                let mut best: Option<&Value> = None;
                for col in columns {
                    if let Some(v) = self.extreme.get(&self.cell(lane, rep, col)) {
                        let better = best.is_none_or(|b| if func == AggFunc::Min { less(v, b) } else { less(b, v) });
                        if better {
                            best = Some(v);
                        }
                    }
                }
                best.cloned()
            }
        })
    }
}

fn less(a: &Value, b: &Value) -> bool {
    compare(BinaryOp::Lt, a, b).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn months_add_up_into_periods() {
        let mut t = MonthTable::new(&[AggFunc::Sum, AggFunc::Average, AggFunc::Max], 2, 3);
        t.add(0, 1, 0, V::Fixed(1_234_500)).unwrap(); // 123.45 in January
        t.add(0, 1, 2, V::Num(dec!(0.001))).unwrap(); // in March, not a plain amount
        t.add(0, 1, t.undated(), V::Fixed(10_000)).unwrap(); // 1.00 undated: every period
        t.add(1, 0, 1, V::Fixed(20_000)).unwrap();
        t.add(1, 0, 1, V::Fixed(30_000)).unwrap();
        t.add(1, 0, 1, V::Null).unwrap();
        t.add(2, 0, 0, V::Fixed(5)).unwrap();
        t.add(2, 0, 2, V::Fixed(7)).unwrap();
        assert_eq!(t.value(0, 1, 0..3).unwrap(), Some(Value::Num(dec!(124.451))));
        assert_eq!(t.value(0, 1, 1..2).unwrap(), Some(Value::Num(dec!(1))));
        assert_eq!(t.value(1, 0, 0..3).unwrap(), Some(Value::Num(dec!(2.5))));
        assert_eq!(t.value(1, 1, 0..3).unwrap(), None);
        assert_eq!(t.value(2, 0, 0..1).unwrap(), Some(Value::Num(dec!(0.0005))));
        assert_eq!(t.value(2, 0, 0..3).unwrap(), Some(Value::Num(dec!(0.0007))));
        let mut u = MonthTable::new(&[AggFunc::Sum, AggFunc::Average, AggFunc::Max], 2, 3);
        u.add(2, 0, 1, V::Fixed(9)).unwrap();
        u.add(0, 1, 0, V::Fixed(10_000)).unwrap();
        t.merge(u).unwrap();
        assert_eq!(t.value(2, 0, 0..3).unwrap(), Some(Value::Num(dec!(0.0009))));
        assert_eq!(t.value(0, 1, 0..1).unwrap(), Some(Value::Num(dec!(125.45))));
    }
}
