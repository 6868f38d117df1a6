//! The fast path of the level payment (等额本息): decides how the exact annuity
//! `P·bp / (d·(1 − (d/a)^n))`, `a = d + bp`, rounds to the fen from `(d/a)^n` in
//! 128-bit fixed point, without big integers. It answers only when its proven error
//! bound settles the answer; otherwise (an exact tie, an exact whole fen, or a value
//! within 2^-53 fen of either) it answers `None` and the caller evaluates its
//! exact fraction with [`crate::bigint`]. Callers: [`crate::schedule`] (monthly,
//! half up) and [`crate::servicing::schedule_options`] (any period, any rounding).
//!
//! # Error bound
//!
//! Every fixed-point number here is a real in `[0, 1)` times `2^128`, so one unit
//! is `u = 2^-128`. The base `z̃ = floor(d·2^128 / a)` is below `z = d/a` by less
//! than `u`, and each product `floor(x̃·ỹ / 2^128)` is below the product of its
//! inputs by less than `u`. If `x̃ = x − e_x` and `ỹ = y − e_y` with
//! `0 ≤ x, y ≤ 1` and `e_x, e_y ≥ 0`, then `x·y − e_x − e_y ≤ x̃·ỹ ≤ x·y`: errors
//! only add up, and never change sign. Power by squaring builds `z^n` as a tree of
//! `n` leaves `z̃` and `n − 1` products, so the computed `Ỹ` satisfies
//! `0 ≤ z^n − Ỹ < (2n − 1)·u`. Hence `W = 1 − z^n` lies in `(W̃ − 2n·u, W̃]` with
//! `W̃ = 1 − Ỹ`, and since `V = P·bp / (d·W)` is decreasing in `W`,
//!
//! ```text
//! 2V > t  whenever  2·P·bp·2^128 > t·d·W̃           (exact 256-bit integers)
//! 2V < t  whenever  2·P·bp·2^128 < t·d·(W̃ − 2n)
//! ```
//!
//! The fast path finds the integer `t` with `t < 2V < t + 1` this way, after which
//! `floor(V) = t / 2` and the fraction is below a half when `t` is even and above
//! it when `t` is odd: all any rounding mode needs. `W ≥ 1/(d + 1)`, so the bound
//! moves `V` by at most `V·2n·u / W < 2^48 · 960 · 2^-128 · 2^17 < 2^-53` fen; only
//! values that close to a whole or half fen go to the exact fraction.

use std::cmp::Ordering;

/// A 256-bit unsigned integer as (high, low) halves; tuples compare as numbers.
type U256 = (u128, u128);

/// `a × b`, exactly.
fn mul_wide(a: u128, b: u128) -> U256 {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // Three numbers below 2^64 each: no overflow.
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let low = (mid << 64) | (p00 & LOW);
    // The true product is below 2^256, so the high half cannot overflow.
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// `x >> s` for `s < 256`.
fn shr(x: U256, s: u32) -> U256 {
    match s {
        0 => x,
        1..=127 => (x.0 >> s, (x.1 >> s) | (x.0 << (128 - s))),
        _ => (0, x.0 >> (s - 128)),
    }
}

/// Number of significant bits.
fn bits(x: U256) -> u32 {
    if x.0 > 0 {
        256 - x.0.leading_zeros()
    } else {
        128 - x.1.leading_zeros()
    }
}

/// `floor(d·2^128 / a)` for `d < a < 2^64`: `d / a` in fixed point, rounded down.
fn ratio(d: u64, a: u64) -> u128 {
    let a = u128::from(a);
    let shifted = u128::from(d) << 64;
    let (high, rem) = (shifted / a, shifted % a);
    (high << 64) | ((rem << 64) / a)
}

/// `z^n` in fixed point, rounded down at every product (`n ≥ 1`): below the exact
/// power of the exact base by less than `2n − 1` units (module documentation).
fn pow_fixed(z: u128, n: u32) -> u128 {
    let mul = |x: u128, y: u128| mul_wide(x, y).0;
    let (mut result, mut base, mut e) = (None, z, n);
    while e > 0 {
        if e & 1 == 1 {
            result = Some(result.map_or(base, |r| mul(r, base)));
        }
        e >>= 1;
        if e > 0 {
            base = mul(base, base);
        }
    }
    result.unwrap_or(0)
}

/// `floor(V)` and how `V − floor(V)` compares with one half (never `Equal`), for
/// `V = p·bp / (d·(1 − (d / (d + bp))^n))`; `None` when the error bound cannot
/// settle it (see the module documentation). Needs `1 ≤ n`, `1 ≤ bp`,
/// `p·bp < 2^126` and `d + bp < 2^64`.
pub(crate) fn floor_and_half(p: u64, bp: u32, n: u32, d: u64) -> Option<(u64, Ordering)> {
    if n == 0 || bp == 0 {
        return None;
    }
    let y = pow_fixed(ratio(d, d.checked_add(u64::from(bp))?), n);
    if y == 0 {
        return None; // W̃ would be 2^128; unreachable for the accepted rates and terms
    }
    // W̃ = 2^128 − Ỹ; the true W lies in (W̃ − slack, W̃].
    let w = y.wrapping_neg();
    let slack = 2 * u128::from(n);
    let w_low = w.checked_sub(slack).filter(|&x| x > 0)?;
    let two_m = u128::from(p).checked_mul(u128::from(bp))?.checked_mul(2)?;
    let d = u128::from(d);
    let scaled = (two_m, 0u128); // 2·p·bp·2^128

    // How 2V compares with t, when the bound decides it.
    let compare = |t: u128| -> Option<Ordering> {
        let td = t.checked_mul(d)?;
        if scaled > mul_wide(td, w) {
            Some(Ordering::Greater)
        } else if scaled < mul_wide(td, w_low) {
            Some(Ordering::Less)
        } else {
            None
        }
    };

    // A first guess at floor(2V) from the top 64 bits of d·W̃ (relative error below
    // 2^-62, so within one of the answer); the exact comparisons then settle it.
    let den = mul_wide(d, w);
    let s = bits(den).checked_sub(64)?;
    let (den_high, den_short) = shr(den, s);
    let (num_high, num_short) = shr(scaled, s);
    if den_high != 0 || num_high != 0 || den_short == 0 {
        return None;
    }
    let mut t = num_short / den_short;
    for _ in 0..4 {
        if compare(t)? == Ordering::Less {
            t = t.checked_sub(1)?;
        } else if compare(t + 1)? == Ordering::Greater {
            t += 1;
        } else {
            // t < 2V < t + 1.
            let half = if t & 1 == 1 {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            return Some((u64::try_from(t >> 1).ok()?, half));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigint::BigUint;
    use proptest::prelude::*;

    /// `b × x`.
    fn times(b: &BigUint, x: u128) -> BigUint {
        let high = b.times((x >> 64) as u64).times(1 << 32).times(1 << 32);
        high.plus(&b.times(x as u64))
    }

    fn times_2_128(x: &BigUint) -> BigUint {
        (0..4).fold(x.clone(), |acc, _| acc.times(1 << 32))
    }

    #[test]
    fn wide_products_are_exact() {
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_wide(3, 5), (0, 15));
        assert_eq!(shr((1, 0), 1), (0, 1 << 127));
        assert_eq!(shr((4, 8), 130), (0, 1));
        assert_eq!(bits((0, 0)), 0);
        assert_eq!(bits((1, 0)), 129);
    }

    #[test]
    fn ties_and_whole_fen_are_left_to_the_exact_fraction() {
        // 60 fen at 10 % for a month: exactly 60.5 fen.
        assert_eq!(floor_and_half(60, 1000, 1, 120_000), None);
        // 1,200 yuan at 1 bp for a month: exactly 1,200.01 yuan, a whole fen.
        assert_eq!(floor_and_half(120_000, 1, 1, 120_000), None);
        // The benchmark's mortgage takes the fast path: 1,592.18 yuan.
        assert_eq!(
            floor_and_half(30_000_000, 490, 360, 120_000),
            Some((159_218, Ordering::Less))
        );
    }

    proptest! {
        /// The lemma the fast path rests on, checked with exact big integers:
        /// `Ỹ ≤ (d/a)^n·2^128 < Ỹ + 2n − 1`, i.e. `Ỹ·a^n ≤ d^n·2^128 < (Ỹ + 2n − 1)·a^n`.
        #[test]
        fn fixed_point_power_is_within_its_bound(
            d in prop_oneof![Just(120_000u64), Just(40_000u64)],
            bp in 1u32..=9999,
            n in 1u32..=480,
        ) {
            let a_n = BigUint::pow(d + u64::from(bp), n);
            let y = pow_fixed(ratio(d, d + u64::from(bp)), n);
            let exact = times_2_128(&BigUint::pow(d, n));
            prop_assert!(times(&a_n, y).cmp_big(&exact).is_le());
            prop_assert!(exact.cmp_big(&times(&a_n, y + 2 * u128::from(n) - 1)).is_lt());
        }
    }
}
