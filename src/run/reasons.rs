//! Why the run refuses a record the reader accepted, in the words `rejects.csv` gives: one
//! place for both evaluators, which must give the same reasons.

/// A key already seen on an earlier line.
pub fn duplicate_key(key: &str, first_line: u64) -> String {
    format!("duplicate key: `{key}` is already on line {first_line}")
}

/// A salesperson the roster does not list.
pub fn unknown_salesperson(id: &str) -> String {
    format!("unknown salesperson `{id}`: not on the roster")
}

/// A record dated before the fiscal year the run's period is in.
pub fn before_year(fiscal_year: i16, period_label: &str) -> String {
    format!("before fiscal year {fiscal_year}, which the period {period_label} is in")
}

/// Why a run stops when a source's amounts add up to more than an exact decimal holds.
pub const TOTALS_OVERFLOW: &str = "arithmetic overflow in the control totals";
