//! Commission `per record`: each record of the base is paid at the tier reached by the measure
//! accumulated over the fiscal year up to and including that record, in date order (file order
//! within a day).
//!
//! The base must be a metric defined as a `sum of` records: the run keeps that aggregation's
//! records, and the measure at a cumulative amount `X` is the commission's `by` expression with
//! the base metric taken as `X`, in the year to date of the record's month (so `attainment =
//! revenue / target` is the year's revenue so far over the year-to-date target).
//!
//! - `marginal`: a record moving the cumulative base from `X₀` to `X₁` pays `P(X₁) − P(X₀)`,
//!   where `P` is the marginal tier payout of a cumulative base, both measured in the record's
//!   month: the record's slices, at the rates of the bands they fall in. A return walks back down
//!   the bands it came up.
//! - `retroactive` and `interpolated`: the record's amount at the rate the measure reaches with it
//!   (`X₁`); a return at the rate the measure falls back to.
//!
//! A period pays the sum over its records; gates, minimums, caps and rounding then apply to the
//! period's sum as to any commission.

use rust_decimal::Decimal;

use super::tiers::{self, Band};
use crate::money::Overflow;
use crate::syntax::ast::*;

/// The base metric of a `per record` commission and its `sum of` aggregation, or why it cannot
/// be paid per record.
pub fn base<'p>(policy: &'p Policy, c: &Commission) -> Result<(&'p str, &'p Expr), &'static str> {
    let ExprKind::Path(Path { first, second: None }) = &c.base.kind else {
        return Err("must be the name of a metric");
    };
    let metric = policy.items.iter().find_map(|i| match &i.kind {
        ItemKind::Metric(m) if m.name.text == first.text => Some(m),
        _ => None,
    });
    let Some(metric) = metric else {
        return Err("must be the name of a metric");
    };
    let mut e = &metric.expr;
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    match &e.kind {
        ExprKind::Aggregate { func: AggFunc::Sum, .. } => Ok((metric.name.text.as_str(), e)),
        _ => Err("must be a metric defined as a `sum of` records"),
    }
}

/// What one record pays, given the measure before and after it (`None` when empty: the record
/// then pays nothing, as an empty measure does for a period).
pub fn pay(
    mode: TierMode,
    bands: &[Band],
    amount: Decimal,
    before: (Decimal, Option<Decimal>),
    after: (Decimal, Option<Decimal>),
) -> Result<Decimal, Overflow> {
    match mode {
        TierMode::Marginal => {
            let at = |(base, measure): (Decimal, Option<Decimal>)| match measure {
                Some(m) => tiers::pay(mode, bands, base, m).map(|p| p.amount),
                None => Ok(Decimal::ZERO),
            };
            at(after)?.checked_sub(at(before)?).ok_or(Overflow)
        }
        TierMode::Retroactive | TierMode::Interpolated => {
            let Some(measure) = after.1 else {
                return Ok(Decimal::ZERO);
            };
            let paid = tiers::pay(mode, bands, amount.abs(), measure)?.amount;
            Ok(if amount < Decimal::ZERO { -paid } else { paid })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::tiers::Pay;
    use rust_decimal_macros::dec;

    /// below 100% 5%, above 100% 10%, measured on attainment with a target of 100,000.
    fn bands() -> Vec<Band> {
        vec![
            Band {
                from: None,
                to: Some(dec!(1)),
                pay: Pay::Rate(dec!(0.05)),
                pay_to: None,
            },
            Band {
                from: Some(dec!(1)),
                to: None,
                pay: Pay::Rate(dec!(0.10)),
                pay_to: None,
            },
        ]
    }

    fn at(x: Decimal) -> (Decimal, Option<Decimal>) {
        (x, Some(x / dec!(100000)))
    }

    #[test]
    fn a_record_crossing_a_band_is_paid_in_slices() {
        // 90,000 → 130,000: 10,000 × 5% + 30,000 × 10% = 3,500.
        let p = pay(
            TierMode::Marginal,
            &bands(),
            dec!(40000),
            at(dec!(90000)),
            at(dec!(130000)),
        )
        .unwrap();
        assert_eq!(p, dec!(3500));
        // A return of 50,000 back to 80,000: 30,000 × 10% + 20,000 × 5% = 4,000 taken back.
        let p = pay(
            TierMode::Marginal,
            &bands(),
            dec!(-50000),
            at(dec!(130000)),
            at(dec!(80000)),
        )
        .unwrap();
        assert_eq!(p, dec!(-4000));
    }

    #[test]
    fn retroactive_pays_the_record_at_the_rate_reached() {
        // The same record: the measure reaches 130%, the whole 40,000 at 10% = 4,000.
        let p = pay(
            TierMode::Retroactive,
            &bands(),
            dec!(40000),
            at(dec!(90000)),
            at(dec!(130000)),
        )
        .unwrap();
        assert_eq!(p, dec!(4000));
        // A return of 50,000 falls back to 80%: taken back at 5% = 2,500.
        let p = pay(
            TierMode::Retroactive,
            &bands(),
            dec!(-50000),
            at(dec!(130000)),
            at(dec!(80000)),
        )
        .unwrap();
        assert_eq!(p, dec!(-2500));
    }

    #[test]
    fn an_empty_measure_pays_nothing() {
        let p = pay(
            TierMode::Marginal,
            &bands(),
            dec!(10),
            (dec!(0), None),
            (dec!(10), None),
        )
        .unwrap();
        assert_eq!(p, dec!(0));
    }
}
