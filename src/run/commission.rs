//! One commission of one salesperson's period, as the run pays it: the period's amount (or the
//! year to date's true-up, or its records one by one), the caps and minimums over longer
//! periods, and the returns of earlier periods' sales taken back at their rates; and what it
//! paid, kept in the salesperson's balances for the periods after.

use rust_decimal::Decimal;

use super::{Balances, Place, limits};
use crate::eval::calendar::Period;
use crate::eval::rules::{EvalError, Rules, Value};
use crate::syntax::ast::*;

/// A payout line of a commission, without the salesperson and period.
pub(super) struct Line {
    pub component: &'static str,
    pub base: Option<Decimal>,
    pub rate: String,
    pub amount: Decimal,
}

/// What a commission paid in a period.
pub(super) struct Paid {
    pub lines: Vec<Line>,
    /// The amount, its clawbacks included: what a draw is set against.
    pub net: Decimal,
}

/// Pays commission `c` for the period of `place`; `rules` are the period's.
pub(super) fn pay<'s>(
    place: &'s Place<'s, 's>,
    rules: &mut Rules<'s>,
    c: &Commission,
    bal: &mut Balances,
) -> Result<Paid, EvalError> {
    let (state, rep, slot) = (place.state, place.rep, place.slot);
    let period = state.slots[slot].period;
    let overflow = |_| EvalError {
        message: "arithmetic overflow adding up what the commission paid".into(),
        span: c.name.span,
    };
    // Returns of earlier periods' sales are left out of the base, and taken back at the rate
    // those periods paid.
    let linked = state.linked_returns(rep, slot, c)?.filter(|l| !l.by_period.is_empty());
    let mut unlinked = match &linked {
        Some(l) => Some(state.without_linked(place, l)?),
        None => None,
    };
    let own = unlinked.as_mut().unwrap_or(rules);
    // An empty base is an empty cell (the commission then pays 0).
    let base = match own.value(&c.base)? {
        Some(Value::Num(d)) => Some(d),
        _ => None,
    };
    let paid = bal.paid.get(&c.name.text).map_or(&[][..], Vec::as_slice);
    let year = Period {
        fiscal_year: period.fiscal_year,
        kind: PeriodKind::Year,
        index: 1,
    };
    let (amount, how) = if c.year_to_date.is_some() {
        // Pay the year to date's commission less what the year has paid.
        let so_far = limits::paid_within(paid, year).map_err(overflow)?;
        let ytd = state
            .slots
            .iter()
            .position(|y| y.year_to_date && y.period == period)
            .ok_or_else(|| EvalError {
                message: "no year to date".into(),
                span: c.name.span,
            })?;
        let ytd_place = Place { state, rep, slot: ytd };
        let mut ytd_rules = state.rules(rep, ytd).with_world(&ytd_place);
        let total = ytd_rules.commission(c)?;
        (
            crate::money::sub(total, so_far).map_err(overflow)?,
            "year-to-date true-up",
        )
    } else if c.per_record.is_some() {
        (state.per_record(rep, slot, c, own)?, "")
    } else {
        (own.commission(c)?, "")
    };
    let (amount, _) = limits::apply_longer(c, period, &state.cal, paid, amount).map_err(overflow)?;
    let taken = match &linked {
        Some(l) => {
            let rated = bal.rated.get(&c.name.text).map_or(&[][..], Vec::as_slice);
            state.take_back(c, l, rated, rules)?
        }
        None => Vec::new(),
    };
    if c.original_rate.is_some() {
        let rated = (period, base.unwrap_or_default(), amount);
        super::update(&mut bal.rated, &c.name.text, |r| r.push(rated));
    }
    let net = taken
        .iter()
        .try_fold(amount, |sum, t| crate::money::add(sum, t.amount))
        .map_err(overflow)?;
    super::update(&mut bal.paid, &c.name.text, |p| p.push((period, net)));
    let mode = match c.mode {
        TierMode::Marginal => "marginal tiers",
        TierMode::Retroactive => "retroactive tiers",
        TierMode::Interpolated => "interpolated tiers",
    };
    let rate = if how.is_empty() {
        mode.to_string()
    } else {
        format!("{mode}, {how}")
    };
    let component = if amount < Decimal::ZERO {
        "clawback"
    } else {
        "commission"
    };
    let mut lines = vec![Line {
        component,
        base,
        rate,
        amount,
    }];
    lines.extend(taken.into_iter().map(|t| Line {
        component: "clawback",
        base: Some(t.returned),
        rate: t.rate,
        amount: t.amount,
    }));
    Ok(Paid { lines, net })
}
