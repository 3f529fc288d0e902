//! The fiscal calendar: months, quarters and years of a fiscal year that starts in any month,
//! and the days a salesperson was employed in a period (for proration).
//!
//! A fiscal year is named by the calendar year it starts in: with a fiscal year starting in
//! April, fiscal 2027 runs from 2027-04-01 to 2028-03-31, and its first quarter is April to June.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::syntax::ast::PeriodKind;

/// A month, quarter or year of the fiscal calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub fiscal_year: i16,
    pub kind: PeriodKind,
    /// 1–12 for a month (its place in the fiscal year), 1–4 for a quarter, 1 for the year.
    pub index: u8,
}

impl Period {
    /// The months of the fiscal year it spans, first and last (1–12).
    fn months(self) -> (u8, u8) {
        match self.kind {
            PeriodKind::Month => (self.index, self.index),
            PeriodKind::Quarter => (self.index * 3 - 2, self.index * 3),
            PeriodKind::Year => (1, 12),
        }
    }

    /// Whether `inner` lies within this period, worked out from their fiscal months alone
    /// (a run asks it for every salesperson, period and limit).
    pub fn contains(self, inner: Period) -> bool {
        let ((first, last), (from, to)) = (self.months(), inner.months());
        self.fiscal_year == inner.fiscal_year && first <= from && to <= last
    }

    /// The period of `kind` this one lies in (itself when it is of that kind); for a longer
    /// `kind` only.
    pub fn within(self, kind: PeriodKind) -> Period {
        let (first, _) = self.months();
        let index = match kind {
            PeriodKind::Month => first,
            PeriodKind::Quarter => (first - 1) / 3 + 1,
            PeriodKind::Year => 1,
        };
        Period { kind, index, ..self }
    }
}

/// The months from the month of `from` to the month of `to` (0 in the same month, negative
/// when `to` is earlier): the column of a month in tables that start with `from`'s month.
pub fn months_between(from: (i32, u8), to: (i32, u8)) -> i32 {
    (to.0 - from.0) * 12 + i32::from(to.1) - i32::from(from.1)
}

/// The (year, month) of a date, for [`months_between`].
pub fn year_month(d: Date) -> (i32, u8) {
    (i32::from(d.year()), d.month() as u8)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiscalCalendar {
    /// The month the fiscal year starts in, 1–12.
    pub start_month: u8,
}

impl FiscalCalendar {
    pub fn new(start_month: u8) -> FiscalCalendar {
        FiscalCalendar {
            start_month: start_month.clamp(1, 12),
        }
    }

    /// The period of `kind` that contains `date`.
    pub fn period_of(&self, date: Date, kind: PeriodKind) -> Period {
        let month = date.month() as u8;
        let (fiscal_year, offset) = if month >= self.start_month {
            (date.year(), month - self.start_month)
        } else {
            (date.year() - 1, month + 12 - self.start_month)
        };
        let index = match kind {
            PeriodKind::Month => offset + 1,
            PeriodKind::Quarter => offset / 3 + 1,
            PeriodKind::Year => 1,
        };
        Period {
            fiscal_year,
            kind,
            index,
        }
    }

    /// The first day of a period.
    pub fn start(&self, p: Period) -> Date {
        let offset = match p.kind {
            PeriodKind::Month => i32::from(p.index) - 1,
            PeriodKind::Quarter => (i32::from(p.index) - 1) * 3,
            PeriodKind::Year => 0,
        };
        let first = Date::new(p.fiscal_year, self.start_month as i8, 1).unwrap_or(Date::MIN);
        first.checked_add(offset.months()).unwrap_or(Date::MAX)
    }

    /// The last day of a period (inclusive).
    pub fn end(&self, p: Period) -> Date {
        let months: i32 = match p.kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
        };
        let next = self.start(p).checked_add(months.months()).unwrap_or(Date::MAX);
        next.yesterday().unwrap_or(next)
    }

    /// The number of days in a period.
    pub fn days(&self, p: Period) -> i32 {
        days_between(self.start(p), self.end(p)) + 1
    }

    /// The periods of `kind` inside `p`, in order (the months of a quarter, say).
    pub fn within(&self, p: Period, kind: PeriodKind) -> Vec<Period> {
        let (first, last) = (self.period_of(self.start(p), kind), self.period_of(self.end(p), kind));
        (first.index..=last.index)
            .map(|index| Period {
                fiscal_year: p.fiscal_year,
                kind,
                index,
            })
            .collect()
    }

    /// Days from `hired` to `left` (both inclusive; `None` for no limit) that fall in `p`.
    pub fn days_employed(&self, p: Period, hired: Option<Date>, left: Option<Date>) -> i32 {
        let from = hired.map_or(self.start(p), |h| h.max(self.start(p)));
        let to = left.map_or(self.end(p), |l| l.min(self.end(p)));
        if to < from { 0 } else { days_between(from, to) + 1 }
    }

    /// Reads `2027-03` (a calendar month), `2027-Q1` (a fiscal quarter) or `2027` (a fiscal year).
    pub fn parse(&self, text: &str) -> Result<Period, String> {
        let bad = || format!("`{text}` is not a period; write a month `2027-03`, a quarter `2027-Q1` or a year `2027`");
        let (year, rest) = match text.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (text, None),
        };
        let year: i16 = year.parse().map_err(|_| bad())?;
        if !(1000..=9999).contains(&year) {
            return Err(bad());
        }
        match rest {
            None => Ok(Period {
                fiscal_year: year,
                kind: PeriodKind::Year,
                index: 1,
            }),
            Some(q) if q.starts_with(['Q', 'q']) => match q[1..].parse::<u8>() {
                Ok(i @ 1..=4) => Ok(Period {
                    fiscal_year: year,
                    kind: PeriodKind::Quarter,
                    index: i,
                }),
                _ => Err(bad()),
            },
            Some(m) => match m.parse::<i8>() {
                Ok(month @ 1..=12) if m.len() == 2 => {
                    let date = Date::new(year, month, 1).map_err(|_| bad())?;
                    Ok(self.period_of(date, PeriodKind::Month))
                }
                _ => Err(bad()),
            },
        }
    }

    /// How a period is written: `2027-03`, `2027-Q1`, `2027`.
    pub fn label(&self, p: Period) -> String {
        match p.kind {
            PeriodKind::Month => {
                let start = self.start(p);
                format!("{:04}-{:02}", start.year(), start.month())
            }
            PeriodKind::Quarter => format!("{}-Q{}", p.fiscal_year, p.index),
            PeriodKind::Year => format!("{}", p.fiscal_year),
        }
    }
}

fn days_between(a: Date, b: Date) -> i32 {
    a.until(b).map(|span| span.get_days()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn months_between_counts_calendar_months_across_years() {
        assert_eq!(months_between((2027, 4), (2027, 4)), 0);
        assert_eq!(months_between((2027, 4), (2028, 3)), 11);
        assert_eq!(months_between((2027, 12), (2028, 1)), 1);
        assert_eq!(months_between((2028, 1), (2027, 12)), -1);
        assert_eq!(year_month(date(2027, 2, 28)), (2027, 2));
    }

    #[test]
    fn fiscal_year_starting_in_april() {
        let cal = FiscalCalendar::new(4);
        let feb = cal.period_of(date(2028, 2, 10), PeriodKind::Month);
        assert_eq!(
            feb,
            Period {
                fiscal_year: 2027,
                kind: PeriodKind::Month,
                index: 11
            }
        );
        assert_eq!(cal.label(feb), "2028-02");
        let q1 = cal.parse("2027-Q1").unwrap();
        assert_eq!((cal.start(q1), cal.end(q1)), (date(2027, 4, 1), date(2027, 6, 30)));
        let year = cal.parse("2027").unwrap();
        assert_eq!((cal.start(year), cal.end(year)), (date(2027, 4, 1), date(2028, 3, 31)));
        assert_eq!(cal.days(year), 366); // includes 2028-02-29
        let months: Vec<String> = cal
            .within(cal.parse("2027-Q4").unwrap(), PeriodKind::Month)
            .into_iter()
            .map(|m| cal.label(m))
            .collect();
        assert_eq!(months, vec!["2028-01", "2028-02", "2028-03"]);
    }

    #[test]
    fn calendar_year() {
        let cal = FiscalCalendar::new(1);
        let march = cal.parse("2027-03").unwrap();
        assert_eq!(
            march,
            Period {
                fiscal_year: 2027,
                kind: PeriodKind::Month,
                index: 3
            }
        );
        assert_eq!(cal.days(march), 31);
        assert_eq!(cal.days(cal.parse("2027-02").unwrap()), 28);
        assert_eq!(cal.period_of(date(2027, 8, 31), PeriodKind::Quarter).index, 3);
    }

    #[test]
    fn days_employed_for_proration() {
        let cal = FiscalCalendar::new(1);
        let march = cal.parse("2027-03").unwrap();
        // Hired on the 16th: the 16th to the 31st, 16 days of 31.
        assert_eq!(cal.days_employed(march, Some(date(2027, 3, 16)), None), 16);
        // Left on the 10th: 10 days.
        assert_eq!(cal.days_employed(march, None, Some(date(2027, 3, 10))), 10);
        assert_eq!(cal.days_employed(march, Some(date(2027, 4, 1)), None), 0);
        assert_eq!(cal.days_employed(march, Some(date(2026, 1, 1)), None), 31);
    }

    #[test]
    fn bad_periods_are_refused() {
        let cal = FiscalCalendar::new(1);
        for bad in ["2027-13", "2027-Q5", "27", "2027-3", "March"] {
            assert!(cal.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containment_and_enclosing_periods_agree_with_the_dates() {
        for start_month in [1, 4, 7, 12] {
            let cal = FiscalCalendar::new(start_month);
            let mut all = Vec::new();
            for fiscal_year in [2026, 2027] {
                for (kind, count) in [(PeriodKind::Month, 12), (PeriodKind::Quarter, 4), (PeriodKind::Year, 1)] {
                    all.extend((1..=count).map(|index| Period {
                        fiscal_year,
                        kind,
                        index,
                    }));
                }
            }
            for &outer in &all {
                for &inner in &all {
                    let by_dates = cal.start(inner) >= cal.start(outer) && cal.end(inner) <= cal.end(outer);
                    assert_eq!(
                        outer.contains(inner),
                        by_dates,
                        "{outer:?} {inner:?} from month {start_month}"
                    );
                    if inner.kind <= outer.kind {
                        let by_date = cal.period_of(cal.start(inner), outer.kind);
                        assert_eq!(inner.within(outer.kind), by_date, "{inner:?} in a {:?}", outer.kind);
                    }
                }
            }
        }
    }
}
