//! Dividing an amount by weights so that the parts add up to the whole exactly, to the unit.
//!
//! Largest remainder: each part first gets its share rounded down to the unit; the units left
//! over go one each to the parts with the largest remainders. Ties go to the part listed first,
//! so callers list parts in a stable order (the target sheet lists them by key).

use rust_decimal::Decimal;

/// Why an allocation could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocateError {
    /// The weights add up to zero or less, or one is negative.
    BadWeights,
    /// The total is not a whole number of units, or too large to divide exactly.
    NotDivisible,
}

/// Splits `total` into parts proportional to `weights`, each a multiple of `unit`.
pub fn allocate(total: Decimal, weights: &[Decimal], unit: Decimal) -> Result<Vec<Decimal>, AllocateError> {
    if weights.is_empty() {
        return Ok(Vec::new());
    }
    if weights.iter().any(|w| *w < Decimal::ZERO) {
        return Err(AllocateError::BadWeights);
    }
    let units = whole(total.checked_div(unit).ok_or(AllocateError::NotDivisible)?)?;
    // Scale every weight to an integer by the largest number of decimals among them.
    let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
    let factor = Decimal::from_i128_with_scale(10i128.pow(scale), 0);
    let ints: Vec<i128> = weights
        .iter()
        .map(|w| w.checked_mul(factor).ok_or(AllocateError::NotDivisible).and_then(whole))
        .collect::<Result<_, _>>()?;
    let sum: i128 = ints.iter().sum();
    if sum <= 0 {
        return Err(AllocateError::BadWeights);
    }
    let mut parts = Vec::with_capacity(ints.len());
    let mut remainders = Vec::with_capacity(ints.len());
    for (i, w) in ints.iter().enumerate() {
        let product = units.checked_mul(*w).ok_or(AllocateError::NotDivisible)?;
        parts.push(product.div_euclid(sum));
        remainders.push((product.rem_euclid(sum), i));
    }
    let mut left = units - parts.iter().sum::<i128>();
    // Largest remainder first; on equal remainders, the part listed first.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|p| {
            Decimal::try_from_i128_with_scale(p, 0)
                .map(|d| d * unit)
                .map_err(|_| AllocateError::NotDivisible)
        })
        .collect()
}

fn whole(d: Decimal) -> Result<i128, AllocateError> {
    if d.fract() != Decimal::ZERO {
        return Err(AllocateError::NotDivisible);
    }
    Ok(d.mantissa() / 10i128.pow(d.scale()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parts_add_up_to_the_whole_to_the_cent() {
        // 100.00 in thirds: 33.34 + 33.33 + 33.33; the first listed takes the extra cent.
        let parts = allocate(dec!(100), &[dec!(1), dec!(1), dec!(1)], dec!(0.01)).unwrap();
        assert_eq!(parts, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
        assert_eq!(parts.iter().sum::<Decimal>(), dec!(100));
    }

    #[test]
    fn weights_by_level() {
        // 1,000,000 over senior 1.5, mid 1.0, junior 0.7 (sum 3.2):
        // 468,750.00, 312,500.00, 218,750.00 exactly.
        let parts = allocate(dec!(1000000), &[dec!(1.5), dec!(1.0), dec!(0.7)], dec!(0.01)).unwrap();
        assert_eq!(parts, vec![dec!(468750), dec!(312500), dec!(218750)]);
        // 100 over 1.5, 1, 0.7: exact shares 46.875, 31.25, 21.875 → floors 46.87, 31.25, 21.87,
        // remainders .5, 0, .5 cent: one cent left, the tie goes to the first → 46.88.
        let parts = allocate(dec!(100), &[dec!(1.5), dec!(1), dec!(0.7)], dec!(0.01)).unwrap();
        assert_eq!(parts, vec![dec!(46.88), dec!(31.25), dec!(21.87)]);
    }

    #[test]
    fn largest_remainder_wins_over_order() {
        // 10 units over 1, 2, 4 (sum 7): exact 1.43, 2.86, 5.71; floors 1 + 2 + 5 = 8 leave two
        // units, and the remainders 3/7, 6/7, 5/7 give them to the second and third parts.
        assert_eq!(
            allocate(dec!(10), &[dec!(1), dec!(2), dec!(4)], dec!(1)).unwrap(),
            vec![dec!(1), dec!(3), dec!(6)]
        );
    }

    #[test]
    fn bad_weights_are_errors() {
        assert_eq!(
            allocate(dec!(10), &[dec!(0), dec!(0)], dec!(1)),
            Err(AllocateError::BadWeights)
        );
        assert_eq!(
            allocate(dec!(10), &[dec!(-1), dec!(2)], dec!(1)),
            Err(AllocateError::BadWeights)
        );
        assert_eq!(
            allocate(dec!(10.005), &[dec!(1)], dec!(0.01)),
            Err(AllocateError::NotDivisible)
        );
    }
}
