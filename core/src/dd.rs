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

/// ln 2 as a double-double.
const LN2: Dd = Dd {
    hi: std::f64::consts::LN_2,
    lo: 2.319_046_813_846_299_6e-17,
};

impl Dd {
    /// e^self to about 2⁻¹⁰² relative: `self = k·ln2 + r`, |r| ≤ ln2/2, then eʳ
    /// by its Taylor series.
    /// ∞ or 0 beyond the f64 range. Slow: for references and `exact()`.
    pub fn exp(self) -> Dd {
        if self.hi > 709.8 {
            return Dd::from(f64::INFINITY);
        }
        if self.hi < -745.2 || self.hi.is_nan() {
            return Dd::from(if self.hi.is_nan() { f64::NAN } else { 0.0 });
        }
        let k = (self.hi / LN2.hi).round();
        // k·ln 2 to 2⁻¹⁴⁰: ln 2 to 160 bits (LN2 + LN2_TAIL), the products exact.
        const LN2_TAIL: f64 = 5.707_708_438_416_212e-34;
        let (p1, e1) = two_prod(k, LN2.hi);
        let (p2, e2) = two_prod(k, LN2.lo);
        let r = self - Dd::new(p1, e1) - Dd::new(p2, e2) - Dd::from(k * LN2_TAIL);
        // e^r = 1 + r + r²/2! + … ; |r| ≤ 0.347, so 27 terms reach 2⁻¹³⁰.
        let (mut term, mut y) = (r, Dd::from(1.0) + r);
        for n in 2..=27 {
            term = term * r / Dd::from(n as f64);
            y = y + term;
        }
        y.mul_pow2(k)
    }

    /// ln self to about 2⁻¹⁰⁰ relative, for finite self > 0: self = 2ᵉ·m with
    /// m in [√½, √2], then ln m = 2·atanh u = 2(u + u³/3 + u⁵/5 + …),
    /// u = (m − 1)/(m + 1), |u| ≤ 0.172 (m − 1 is exact, so m near 1 keeps its
    /// relative accuracy). NaN below 0, −∞ at 0, ∞ at ∞.
    pub fn ln(self) -> Dd {
        if self.hi.is_nan() || self.hi <= 0.0 || self.hi == f64::INFINITY {
            return Dd::from(self.hi.ln());
        }
        let e = self.hi.log2().round();
        let m = self.mul_pow2(-e);
        let u = (m - Dd::from(1.0)) / (m + Dd::from(1.0));
        let u2 = u * u;
        let (mut p, mut s) = (u, u);
        for n in 1..=24 {
            p = p * u2;
            s = s + p / Dd::from((2 * n + 1) as f64);
        }
        s * Dd::from(2.0) + LN2 * Dd::from(e)
    }

    /// self · 2ᵉ for a whole |e| ≤ 2000, in two exact factors (so a subnormal
    /// result rounds once; ±∞ or 0 past the range).
    pub fn mul_pow2(self, e: f64) -> Dd {
        let e1 = (e / 2.0).floor();
        let (a, b) = (2f64.powi(e1 as i32), 2f64.powi((e - e1) as i32));
        let hi = self.hi * a * b;
        if !hi.is_finite() || hi == 0.0 {
            return Dd::from(hi);
        }
        Dd::new(hi, self.lo * a * b)
    }

    /// selfⁿ by binary powering (n < 0 through the reciprocal); about
    /// 2⁻¹⁰⁰·|n| relative.
    pub fn powi(self, n: i64) -> Dd {
        let (mut acc, mut base, mut m) = (Dd::from(1.0), self, n.unsigned_abs());
        while m > 0 {
            if m & 1 == 1 {
                acc = acc * base;
            }
            base = base * base;
            m >>= 1;
        }
        if n < 0 { acc.recip() } else { acc }
    }

    /// (sin self, cos self) to about 2⁻¹⁰⁰ for |self| ≤ 2⁴²
    /// ([`crate::math::sin_cos_dd`] of hi, corrected by lo to first order,
    /// whose square is below 2⁻²⁰⁰).
    pub fn sin_cos(self) -> (Dd, Dd) {
        let (s, c) = crate::math::sin_cos_dd(self.hi);
        let lo = Dd::from(self.lo);
        (s + c * lo, c - s * lo)
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
