//! Double-double arithmetic: an unevaluated sum `hi + lo` with `|lo| ≤ ulp(hi)/2`,
//! about 106 bits of precision. Used for compensated partial sums, their
//! deterministic combination, and reference values.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// A double-double number `hi + lo`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dd {
    /// Leading part: the value rounded to f64.
    pub hi: f64,
    /// Trailing error term.
    pub lo: f64,
}

/// Knuth's TwoSum: `a + b = s + e` exactly, with `s = fl(a + b)`.
#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// `a + b = s + e` exactly, assuming `|a| ≥ |b|` (or `a == 0`).
#[inline(always)]
pub fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `a · b = p + e` exactly (uses a fused multiply-add).
#[inline(always)]
pub fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    /// Zero.
    pub const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    /// A double-double from a leading part and a trailing part (renormalised).
    pub fn new(hi: f64, lo: f64) -> Dd {
        let (hi, lo) = two_sum(hi, lo);
        Dd { hi, lo }
    }

    /// The nearest f64.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }

    /// `self + x` for an f64 `x`, error-free up to the final renormalisation.
    #[inline(always)]
    pub fn add_f64(self, x: f64) -> Dd {
        let (s, e) = two_sum(self.hi, x);
        let (hi, lo) = fast_two_sum(s, e + self.lo);
        Dd { hi, lo }
    }

    /// The reciprocal `1 / self`.
    pub fn recip(self) -> Dd {
        Dd::from(1.0) / self
    }

    /// Square root.
    pub fn sqrt(self) -> Dd {
        if self.hi <= 0.0 {
            return Dd::new(self.hi.sqrt(), 0.0);
        }
        let x = self.hi.sqrt();
        let (p, e) = two_prod(x, x);
        let r = ((self.hi - p) - e + self.lo) / (2.0 * x);
        Dd::new(x, r)
    }

    /// Absolute value.
    pub fn abs(self) -> Dd {
        if self.hi < 0.0 { -self } else { self }
    }
}

impl From<f64> for Dd {
    fn from(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }
}

impl Add for Dd {
    type Output = Dd;
    /// Accurate double-double addition (Joldes–Muller–Popescu, 2 TwoSums).
    #[inline(always)]
    fn add(self, b: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, b.hi);
        let (t, f) = two_sum(self.lo, b.lo);
        let (s, e) = fast_two_sum(s, e + t);
        let (hi, lo) = fast_two_sum(s, e + f);
        Dd { hi, lo }
    }
}

impl Neg for Dd {
    type Output = Dd;
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Sub for Dd {
    type Output = Dd;
    fn sub(self, b: Dd) -> Dd {
        self + (-b)
    }
}

impl Mul for Dd {
    type Output = Dd;
    fn mul(self, b: Dd) -> Dd {
        let (p, e) = two_prod(self.hi, b.hi);
        let e = e + (self.hi * b.lo + self.lo * b.hi);
        let (hi, lo) = fast_two_sum(p, e);
        Dd { hi, lo }
    }
}

impl Div for Dd {
    type Output = Dd;
    fn div(self, b: Dd) -> Dd {
        let q1 = self.hi / b.hi;
        let r = self - b * Dd::from(q1);
        let q2 = r.hi / b.hi;
        let r = r - b * Dd::from(q2);
        let q3 = r.hi / b.hi;
        Dd::new(q1, q2) + Dd::from(q3)
    }
}

/// Distance between two f64 values in units in the last place of `exact`
/// (0 when equal; measured against the spacing of f64 numbers at `exact`).
pub fn ulp_error(value: f64, exact: f64) -> f64 {
    if value == exact {
        return 0.0;
    }
    let ulp = if exact == 0.0 {
        f64::from_bits(1)
    } else {
        let e = exact.abs();
        f64::from_bits(e.to_bits() + 1) - e
    };
    (value - exact).abs() / ulp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sum_is_exact() {
        let (s, e) = two_sum(1.0, 1e-20);
        assert_eq!(s, 1.0);
        assert_eq!(e, 1e-20);
    }

    #[test]
    fn division_reaches_double_double_precision() {
        let third = Dd::from(1.0) / Dd::from(3.0);
        let back = third * Dd::from(3.0) - Dd::from(1.0);
        assert!(back.to_f64().abs() < 1e-31, "{back:?}");
    }

    #[test]
    fn sqrt_of_two_squares_back() {
        let r = Dd::from(2.0).sqrt();
        assert!((r * r - Dd::from(2.0)).to_f64().abs() < 1e-31);
    }

    #[test]
    fn ulp_error_counts_spacing() {
        let x = 1.0f64;
        assert_eq!(ulp_error(f64::from_bits(x.to_bits() + 3), x), 3.0);
        assert_eq!(ulp_error(x, x), 0.0);
    }
}
