//! A minimal unsigned big integer, just enough to evaluate annuity formulas as
//! exact fractions (the schedule module and the servicing options share it): `(120000 + bp)^n` has about 8,200 bits at 480 months, far beyond
//! `u128`. Little-endian `u32` limbs, no allocation tricks; a schedule needs a few
//! hundred small multiplications, which take microseconds.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BigUint {
    /// Little-endian base-2^32 digits, without trailing zero limbs.
    limbs: Vec<u32>,
}

impl BigUint {
    pub(crate) fn from_u64(v: u64) -> BigUint {
        let mut b = BigUint {
            limbs: vec![v as u32, (v >> 32) as u32],
        };
        b.trim();
        b
    }

    pub(crate) fn pow(base: u64, exp: u32) -> BigUint {
        let mut r = BigUint::from_u64(1);
        // Multiply by as many factors of `base` at once as fit in a u64
        // (three for a monthly-rate base near 2^17): a third of the passes
        // over the limbs, the same exact result.
        let (mut chunk, mut per_chunk) = (1u64, 0u32);
        while base > 1 && per_chunk < exp {
            match chunk.checked_mul(base) {
                Some(c) => (chunk, per_chunk) = (c, per_chunk + 1),
                None => break,
            }
        }
        let mut left = exp;
        if per_chunk > 1 {
            while left >= per_chunk {
                r.mul_u64(chunk);
                left -= per_chunk;
            }
        }
        for _ in 0..left {
            r.mul_u64(base);
        }
        r
    }

    /// `self × m`, leaving `self` as it is.
    pub(crate) fn times(&self, m: u64) -> BigUint {
        let mut r = self.clone();
        r.mul_u64(m);
        r
    }

    /// `self + o`, leaving both as they are.
    pub(crate) fn plus(&self, o: &BigUint) -> BigUint {
        let mut r = self.clone();
        r.add(o);
        r
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    pub(crate) fn mul_u64(&mut self, m: u64) {
        let mut carry: u128 = 0;
        for limb in &mut self.limbs {
            let t = u128::from(*limb) * u128::from(m) + carry;
            *limb = t as u32; // keep the low 32 bits; the rest carries
            carry = t >> 32;
        }
        while carry > 0 {
            self.limbs.push(carry as u32);
            carry >>= 32;
        }
        self.trim();
    }

    pub(crate) fn add(&mut self, o: &BigUint) {
        if self.limbs.len() < o.limbs.len() {
            self.limbs.resize(o.limbs.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let t = u64::from(*limb) + u64::from(o.limbs.get(i).copied().unwrap_or(0)) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// `self - o`, or `None` if that would be negative.
    pub(crate) fn checked_sub(&self, o: &BigUint) -> Option<BigUint> {
        if self.cmp_big(o) == Ordering::Less {
            return None;
        }
        let mut limbs = self.limbs.clone();
        let mut borrow = 0i64;
        for (i, limb) in limbs.iter_mut().enumerate() {
            let mut t = i64::from(*limb) - i64::from(o.limbs.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(t < 0);
            if t < 0 {
                t += 1 << 32;
            }
            *limb = t as u32;
        }
        let mut r = BigUint { limbs };
        r.trim();
        Some(r)
    }

    pub(crate) fn cmp_big(&self, o: &BigUint) -> Ordering {
        self.limbs
            .len()
            .cmp(&o.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(o.limbs.iter().rev()))
    }

    /// `floor(self / den)` when the quotient is known to be at most `max_q`: a binary
    /// search on `q * den <= self`, exact and simple (64 small multiplications).
    pub(crate) fn div_floor_bounded(&self, den: &BigUint, max_q: u64) -> u64 {
        let (mut lo, mut hi) = (0u64, max_q);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let mut t = den.clone();
            t.mul_u64(mid);
            if t.cmp_big(self) == Ordering::Greater {
                hi = mid - 1;
            } else {
                lo = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_u128(b: &BigUint) -> Option<u128> {
        if b.limbs.len() > 4 {
            return None;
        }
        Some(
            b.limbs
                .iter()
                .rev()
                .fold(0u128, |acc, l| (acc << 32) | u128::from(*l)),
        )
    }

    #[test]
    fn powers_match_native() {
        assert_eq!(to_u128(&BigUint::pow(120_490, 7)), Some(120_490u128.pow(7)));
        assert_eq!(to_u128(&BigUint::pow(7, 0)), Some(1));
        assert_eq!(to_u128(&BigUint::pow(0, 3)), Some(0));
        // 2^480 has exactly 481 bits: 15 full limbs and a 16th holding 1.
        let big = BigUint::pow(2, 480);
        assert_eq!(big.limbs.len(), 16);
        assert_eq!(big.limbs.last(), Some(&1));
    }

    proptest! {
        #[test]
        fn chunked_power_equals_one_factor_at_a_time(base in 0u64..=1 << 20, exp in 0u32..=400) {
            let mut reference = BigUint::from_u64(1);
            for _ in 0..exp {
                reference.mul_u64(base);
            }
            prop_assert_eq!(BigUint::pow(base, exp), reference);
        }

        #[test]
        fn arithmetic_matches_u128(a in any::<u64>(), b in any::<u64>(), m in any::<u64>()) {
            let (ba, bb) = (BigUint::from_u64(a), BigUint::from_u64(b));
            let mut sum = ba.clone();
            sum.add(&bb);
            prop_assert_eq!(to_u128(&sum), Some(u128::from(a) + u128::from(b)));
            let mut prod = ba.clone();
            prod.mul_u64(m);
            prop_assert_eq!(to_u128(&prod), Some(u128::from(a) * u128::from(m)));
            prop_assert_eq!(ba.cmp_big(&bb), a.cmp(&b));
            let diff = ba.checked_sub(&bb).and_then(|d| to_u128(&d));
            prop_assert_eq!(diff, a.checked_sub(b).map(u128::from));
            if b > 0 {
                prop_assert_eq!(prod.div_floor_bounded(&bb, u64::MAX), {
                    let q = u128::from(a) * u128::from(m) / u128::from(b);
                    u64::try_from(q).unwrap_or(u64::MAX)
                });
            }
        }
    }
}
