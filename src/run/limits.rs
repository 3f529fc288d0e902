//! Caps and minimums over a longer period than their commission's — `cap 5,000 quarterly` or
//! `minimum 30,000 yearly` on a monthly commission — tracked across the periods they span. A
//! cap leaves each period what its longer period has not yet paid; a minimum tops up the last
//! period of its longer period to the minimum, less what the earlier ones paid. Limits of the
//! commission's own period are applied by `Rules::settle`.

use rust_decimal::Decimal;

use crate::eval::calendar::{FiscalCalendar, Period};
use crate::money::{self, Overflow};
use crate::syntax::ast::*;

/// A longer limit as it applied to one period's amount.
pub(super) struct Applied<'c> {
    pub limit: &'c Limit,
    pub minimum: bool,
    /// What the commission paid in the earlier periods of the limit's period.
    pub so_far: Decimal,
    /// The amount before and after the limit.
    pub from: Decimal,
    pub to: Decimal,
}

/// What the periods of `paid` within `outer` paid.
pub(super) fn paid_within(paid: &[(Period, Decimal)], outer: Period) -> Result<Decimal, Overflow> {
    paid.iter()
        .filter(|(p, _)| outer.contains(*p))
        .try_fold(Decimal::ZERO, |sum, (_, amount)| money::add(sum, *amount))
}

/// `amount`, what commission `c` pays for `period` by itself, under the limits over longer
/// periods, given what it `paid` in the earlier periods of the year; with each limit that
/// applied (minimums first, as `settle` applies them).
pub(super) fn apply_longer<'c>(
    c: &'c Commission,
    period: Period,
    cal: &FiscalCalendar,
    paid: &[(Period, Decimal)],
    mut amount: Decimal,
) -> Result<(Decimal, Vec<Applied<'c>>), Overflow> {
    let mut applied = Vec::new();
    let minimums = c.minimums.iter().map(|m| (m, true));
    let caps = c.caps.iter().map(|m| (m, false));
    for (limit, minimum) in minimums.chain(caps).filter(|(l, _)| l.per > period.kind) {
        let outer = period.within(limit.per);
        // A minimum is made good once its period is over: in its last period.
        if minimum && cal.end(outer) != cal.end(period) {
            continue;
        }
        let so_far = paid_within(paid, outer)?;
        let left = money::sub(limit.amount.value, so_far)?;
        let to = if minimum {
            amount.max(left)
        } else {
            amount.min(left.max(Decimal::ZERO))
        };
        applied.push(Applied {
            limit,
            minimum,
            so_far,
            from: amount,
            to,
        });
        amount = to;
    }
    Ok((amount, applied))
}
