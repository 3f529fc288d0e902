//! Commission tiers: marginal, retroactive and interpolated payouts, exactly, with the slices
//! that explain them.
//!
//! Bands are half-open, `[from, to)`, in the units of the measure (`by attainment`: a ratio;
//! otherwise the base amount itself). When the measure is not the base, each unit of measure
//! is worth `base / measure` of base: with revenue 120,000 at attainment 120%, one percentage
//! point of attainment is 1,000 of revenue, so the band 80%–100% is a slice of 20,000.

use rust_decimal::Decimal;

use crate::money::{self, Overflow};
use crate::syntax::ast::TierMode;

/// What a band pays: a rate on the base, or a fixed amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pay {
    Rate(Decimal),
    Amount(Decimal),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub from: Option<Decimal>,
    pub to: Option<Decimal>,
    pub pay: Pay,
    /// Interpolated tiers: what is paid at the upper bound.
    pub pay_to: Option<Pay>,
}

/// One band's part of a payout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    pub band: usize,
    /// The part of the base paid in this band (the whole base for retroactive tiers).
    pub base: Decimal,
    /// The rate applied, if a rate was.
    pub rate: Option<Decimal>,
    pub amount: Decimal,
}

/// The unrounded payout and its slices.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TierPayout {
    pub amount: Decimal,
    pub slices: Vec<Slice>,
}

/// Pays `base` under `bands`, measured by `measure` (pass the base itself when the tiers are on
/// the base). A base or measure at or below zero earns nothing.
pub fn pay(mode: TierMode, bands: &[Band], base: Decimal, measure: Decimal) -> Result<TierPayout, Overflow> {
    if base <= Decimal::ZERO || measure <= Decimal::ZERO {
        return Ok(TierPayout::default());
    }
    // The base per unit of the measure: for `on revenue by attainment`, the target. The
    // measure (revenue / target) is itself a rounded quotient, so dividing back gives the target
    // only to 28 digits (19911.4999…9 for 19911.50), which can move a half cent; to 12 decimal
    // places it is exact for any amount of money, and off by at most 10^-12 per unit otherwise.
    let per_unit = money::div(base, measure)?.unwrap_or(Decimal::ZERO).round_dp(12);
    match mode {
        TierMode::Marginal => marginal(bands, base, measure, per_unit),
        TierMode::Retroactive => {
            let Some((index, band)) = reached(bands, measure) else {
                return Ok(TierPayout::default());
            };
            let slice = match band.pay {
                Pay::Rate(rate) => Slice {
                    band: index,
                    base,
                    rate: Some(rate),
                    amount: money::mul(base, rate)?,
                },
                Pay::Amount(amount) => Slice {
                    band: index,
                    base,
                    rate: None,
                    amount,
                },
            };
            Ok(TierPayout {
                amount: slice.amount,
                slices: vec![slice],
            })
        }
        TierMode::Interpolated => {
            let Some((index, band)) = reached(bands, measure) else {
                return Ok(TierPayout::default());
            };
            let slice = match (band.pay, band.pay_to, band.from, band.to) {
                (Pay::Rate(r0), Some(Pay::Rate(r1)), Some(lo), Some(hi)) if hi > lo => {
                    let progress = money::div(money::sub(measure, lo)?, money::sub(hi, lo)?)?.unwrap_or(Decimal::ZERO);
                    let rate = money::add(r0, money::mul(money::sub(r1, r0)?, progress)?)?;
                    Slice {
                        band: index,
                        base,
                        rate: Some(rate),
                        amount: money::mul(base, rate)?,
                    }
                }
                (Pay::Amount(a0), Some(Pay::Amount(a1)), Some(lo), Some(hi)) if hi > lo => {
                    let progress = money::div(money::sub(measure, lo)?, money::sub(hi, lo)?)?.unwrap_or(Decimal::ZERO);
                    let amount = money::add(a0, money::mul(money::sub(a1, a0)?, progress)?)?;
                    Slice {
                        band: index,
                        base,
                        rate: None,
                        amount,
                    }
                }
                (Pay::Rate(rate), _, _, _) => Slice {
                    band: index,
                    base,
                    rate: Some(rate),
                    amount: money::mul(base, rate)?,
                },
                (Pay::Amount(amount), _, _, _) => Slice {
                    band: index,
                    base,
                    rate: None,
                    amount,
                },
            };
            Ok(TierPayout {
                amount: slice.amount,
                slices: vec![slice],
            })
        }
    }
}

/// The band that contains `measure`.
fn reached(bands: &[Band], measure: Decimal) -> Option<(usize, &Band)> {
    bands
        .iter()
        .enumerate()
        .find(|(_, b)| b.from.is_none_or(|lo| measure >= lo) && b.to.is_none_or(|hi| measure < hi))
}

fn marginal(bands: &[Band], base: Decimal, measure: Decimal, per_unit: Decimal) -> Result<TierPayout, Overflow> {
    let mut out = TierPayout::default();
    // Where a point of the measure falls in the base: the measure itself is the whole base, so
    // the slices add up to the base exactly.
    let at = |x: Decimal| -> Result<Decimal, Overflow> {
        if x >= measure {
            Ok(base)
        } else {
            money::mul(x, per_unit)
        }
    };
    for (index, band) in bands.iter().enumerate() {
        let lo = band.from.unwrap_or(Decimal::ZERO).max(Decimal::ZERO);
        if measure < lo {
            continue;
        }
        let hi = band.to.map_or(measure, |hi| hi.min(measure));
        if hi <= lo && band.pay_is_rate() {
            continue;
        }
        let slice_base = money::sub(at(hi)?, at(lo)?)?.max(Decimal::ZERO);
        let slice = match band.pay {
            Pay::Rate(rate) => Slice {
                band: index,
                base: slice_base,
                rate: Some(rate),
                amount: money::mul(slice_base, rate)?,
            },
            // A fixed amount is earned once the band is entered.
            Pay::Amount(amount) => Slice {
                band: index,
                base: slice_base,
                rate: None,
                amount,
            },
        };
        out.amount = money::add(out.amount, slice.amount)?;
        out.slices.push(slice);
    }
    Ok(out)
}

impl Band {
    fn pay_is_rate(&self) -> bool {
        matches!(self.pay, Pay::Rate(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn band(from: Option<Decimal>, to: Option<Decimal>, rate: Decimal) -> Band {
        Band {
            from,
            to,
            pay: Pay::Rate(rate),
            pay_to: None,
        }
    }

    fn bands() -> Vec<Band> {
        vec![
            band(None, Some(dec!(0.8)), dec!(0.02)),
            band(Some(dec!(0.8)), Some(dec!(1.0)), dec!(0.04)),
            band(Some(dec!(1.0)), None, dec!(0.06)),
        ]
    }

    #[test]
    fn marginal_slices_are_exact_when_the_measure_is_a_rounded_quotient() {
        // Quota 19,911.50, revenue 96,947.30: attainment 96,947.30 / 19,911.50 has no exact
        // decimal. Bands 2% below 80%, 4% to 100%, 6% to 150%, 8% above:
        // 15,929.20×2% + 3,982.30×4% + 9,955.75×6% + 67,080.05×8%
        // = 318.584 + 159.292 + 597.345 + 5,366.404 = 6,441.625 — a half cent, which must round
        // up, so the sum must not come out as 6,441.62499….
        let bands = vec![
            band(None, Some(dec!(0.8)), dec!(0.02)),
            band(Some(dec!(0.8)), Some(dec!(1.0)), dec!(0.04)),
            band(Some(dec!(1.0)), Some(dec!(1.5)), dec!(0.06)),
            band(Some(dec!(1.5)), None, dec!(0.08)),
        ];
        let (revenue, quota) = (dec!(96947.30), dec!(19911.50));
        let attainment = money::div(revenue, quota).unwrap().unwrap();
        let p = pay(TierMode::Marginal, &bands, revenue, attainment).unwrap();
        assert_eq!(p.amount, dec!(6441.625));
        let slices: Vec<Decimal> = p.slices.iter().map(|s| s.base).collect();
        assert_eq!(slices, vec![dec!(15929.2), dec!(3982.3), dec!(9955.75), dec!(67080.05)]);
    }

    #[test]
    fn marginal_pays_each_slice_at_its_rate() {
        // Target 100,000, revenue 120,000: 80,000×2% + 20,000×4% + 20,000×6% = 3,600.
        let p = pay(TierMode::Marginal, &bands(), dec!(120000), dec!(1.2)).unwrap();
        assert_eq!(p.amount, dec!(3600));
        let parts: Vec<(Decimal, Decimal)> = p.slices.iter().map(|s| (s.base, s.amount)).collect();
        assert_eq!(
            parts,
            vec![
                (dec!(80000), dec!(1600)),
                (dec!(20000), dec!(800)),
                (dec!(20000), dec!(1200))
            ]
        );
    }

    #[test]
    fn retroactive_pays_the_whole_base_at_the_band_reached() {
        // The same case pays 120,000×6% = 7,200.
        assert_eq!(
            pay(TierMode::Retroactive, &bands(), dec!(120000), dec!(1.2))
                .unwrap()
                .amount,
            dec!(7200)
        );
        // Exactly on a boundary belongs to the band above: 100,000×6%.
        assert_eq!(
            pay(TierMode::Retroactive, &bands(), dec!(100000), dec!(1.0))
                .unwrap()
                .amount,
            dec!(6000)
        );
        // Just below it: 99,999×4% = 3,999.96.
        assert_eq!(
            pay(TierMode::Retroactive, &bands(), dec!(99999), dec!(0.99999))
                .unwrap()
                .amount,
            dec!(3999.96)
        );
    }

    #[test]
    fn interpolated_rate_rises_linearly_within_a_band() {
        let b = vec![
            Band {
                from: None,
                to: Some(dec!(0.8)),
                pay: Pay::Rate(dec!(0.02)),
                pay_to: None,
            },
            Band {
                from: Some(dec!(0.8)),
                to: Some(dec!(1.2)),
                pay: Pay::Rate(dec!(0.04)),
                pay_to: Some(Pay::Rate(dec!(0.08))),
            },
        ];
        // At 100% the rate is halfway from 4% to 8%: 6% of 100,000 = 6,000.
        assert_eq!(
            pay(TierMode::Interpolated, &b, dec!(100000), dec!(1.0)).unwrap().amount,
            dec!(6000)
        );
        // At 110%: 7% of 110,000 = 7,700.
        assert_eq!(
            pay(TierMode::Interpolated, &b, dec!(110000), dec!(1.1)).unwrap().amount,
            dec!(7700)
        );
        // Past the last band: nothing is defined there, so nothing is paid.
        assert_eq!(
            pay(TierMode::Interpolated, &b, dec!(130000), dec!(1.3)).unwrap().amount,
            dec!(0)
        );
    }

    #[test]
    fn bands_on_the_base_amount() {
        let b = vec![
            Band {
                from: None,
                to: Some(dec!(50000)),
                pay: Pay::Rate(dec!(0.05)),
                pay_to: None,
            },
            Band {
                from: Some(dec!(50000)),
                to: None,
                pay: Pay::Rate(dec!(0.10)),
                pay_to: None,
            },
        ];
        // 50,000×5% + 25,000×10% = 5,000.
        assert_eq!(
            pay(TierMode::Marginal, &b, dec!(75000), dec!(75000)).unwrap().amount,
            dec!(5000)
        );
    }

    #[test]
    fn fixed_amounts_and_nothing_for_negative_revenue() {
        let b = vec![
            Band {
                from: Some(dec!(1.0)),
                to: Some(dec!(1.5)),
                pay: Pay::Amount(dec!(1000)),
                pay_to: None,
            },
            Band {
                from: Some(dec!(1.5)),
                to: None,
                pay: Pay::Amount(dec!(2500)),
                pay_to: None,
            },
        ];
        assert_eq!(
            pay(TierMode::Retroactive, &b, dec!(90000), dec!(0.9)).unwrap().amount,
            dec!(0)
        );
        assert_eq!(
            pay(TierMode::Retroactive, &b, dec!(160000), dec!(1.6)).unwrap().amount,
            dec!(2500)
        );
        assert_eq!(
            pay(TierMode::Marginal, &b, dec!(160000), dec!(1.6)).unwrap().amount,
            dec!(3500)
        );
        assert_eq!(
            pay(TierMode::Marginal, &bands(), dec!(-5000), dec!(-0.05))
                .unwrap()
                .amount,
            dec!(0)
        );
    }
}
