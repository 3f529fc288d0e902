//! `claw back returns at the original rate`: a return linked to the sale it reverses (by the
//! source's field marked `original`, the date of that sale) is left out of the base of the
//! period it is dated in, and taken back at the rate the sale's own period paid: the
//! commission that period paid over its base. The run groups a period's linked returns by the
//! period of their sales; this module says which field links them and what a group takes back.

use rust_decimal::Decimal;

use crate::money::{self, Overflow};
use crate::syntax::ast::*;

/// What links a commission's returns to their sales: the base metric's name and its `sum of`
/// aggregation, and the name of the field marked `original` of the source it sums.
pub struct Link<'p> {
    pub metric: &'p str,
    pub aggregation: &'p Expr,
    pub source: &'p str,
    pub field: &'p str,
}

/// The link of commission `c`, or why it has none.
pub fn link<'p>(policy: &'p Policy, c: &Commission) -> Result<Link<'p>, String> {
    let (metric, aggregation) = super::per_record::base(policy, c)
        .map_err(|why| format!("the base of a commission taking returns back at the original rate {why}"))?;
    let ExprKind::Aggregate { arg, .. } = &aggregation.kind else {
        return Err("the base must be a metric defined as a `sum of` records".into());
    };
    let source = arg.aggregated_source().ok_or("the base's `sum of` names no source")?;
    let declared = policy.items.iter().find_map(|i| match &i.kind {
        ItemKind::Source(s) if s.name.text == source => Some(s),
        _ => None,
    });
    let declared = declared.ok_or_else(|| format!("no source `{source}`"))?;
    let field = declared
        .fields
        .iter()
        .find(|f| f.mods.iter().any(|(m, _)| *m == FieldMod::Original))
        .ok_or_else(|| {
            format!("source `{source}` has no field marked `original` (the date of the sale a return reverses)")
        })?;
    Ok(Link {
        metric,
        aggregation,
        source,
        field: &field.name.text,
    })
}

/// What returns adding up to `returned` (negative) take back when their sales' period paid
/// `paid` on a base of `base`: `returned × paid / base`, unrounded; nothing when that period
/// had no positive base (it paid no rate).
pub fn take_back(returned: Decimal, paid: Decimal, base: Decimal) -> Result<Decimal, Overflow> {
    if base <= Decimal::ZERO {
        return Ok(Decimal::ZERO);
    }
    let share = money::mul(returned, paid)?;
    Ok(money::div(share, base)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_return_is_taken_back_at_the_rate_its_period_paid() {
        // January paid 5,200 on 120,000 (4⅓%): a return of 30,000 takes back 1,300.
        assert_eq!(take_back(dec!(-30000), dec!(5200), dec!(120000)).unwrap(), dec!(-1300));
        // A period with no positive base paid no rate.
        assert_eq!(take_back(dec!(-30000), dec!(0), dec!(0)).unwrap(), dec!(0));
        assert_eq!(take_back(dec!(-30000), dec!(0), dec!(-10)).unwrap(), dec!(0));
    }
}
