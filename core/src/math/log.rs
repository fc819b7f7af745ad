//! log, log2, log10, log1p, and the double-double logarithm behind them and pow.
//!
//! All write `x = 2ᵏ·m` with m in [√½, √2) (subnormals scaled by 2⁵⁴ first).
//! `log` is fdlibm's: with f = m − 1 and s = f/(2 + f),
//! log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)), R minimax to 2⁻⁵⁸·⁴⁵.
//! [`log_dd`] reduces further, m = b·(1 + s)/(1 − s) with b one of 0.8, 1, 1.25
//! (|s| ≤ 0.062), and sums k·ln2 + ln b + 2s + ⅔s³ + s⁵·P(s²) as a
//! double-double (2s and ⅔s³ exact to 2⁻¹⁰⁰; P the atanh series to s¹⁵),
//! about 2⁻⁷⁰ relative: enough for pow's y·log x up to the overflow threshold.

use super::exp::{LN2_HI, LN2_LO};
use super::{clamp, pow2};
use crate::dd::{fast_two_sum, two_prod, two_sum};

// fdlibm's log: R(z) = Lg1 z + … + Lg7 z⁷.
const LG1: f64 = 6.666_666_666_666_735e-1;
const LG2: f64 = 3.999_999_999_940_942e-1;
const LG3: f64 = 2.857_142_874_366_239e-1;
const LG4: f64 = 2.222_219_843_214_978_4e-1;
const LG5: f64 = 1.818_357_216_161_805e-1;
const LG6: f64 = 1.531_383_769_920_937_3e-1;
const LG7: f64 = 1.479_819_860_511_658_6e-1;

/// ln 1.25 and ln 0.8 (of the double nearest 0.8) as double-doubles.
const LN_125: (f64, f64) = (0.22314355131420976, -9.091270597324799e-18);
const LN_08: (f64, f64) = (-0.2231435513142097, 9.091270597324798e-18);
/// 2/3 as a double-double.
const TWO_THIRDS: (f64, f64) = (0.6666666666666666, 3.700743415417188e-17);
/// 1/ln 2 and 1/ln 10 as double-doubles.
const INV_LN2: (f64, f64) = (std::f64::consts::LOG2_E, 2.0355273740931033e-17);
const INV_LN10: (f64, f64) = (std::f64::consts::LOG10_E, 1.098319650216765e-17);

/// `x = 2ᵏ·m`, m in [√½, √2), as `(k, m)` for finite x > 0.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * 18014398509481984.0 } else { x }; // 2⁵⁴
    let bits = xs.to_bits() as i64;
    let e = (bits - 0x3fe6_a09e_667f_3bcd) >> 52;
    let m = f64::from_bits((bits - (e << 52)) as u64);
    (e as f64 - if sub { 54.0 } else { 0.0 }, m)
}

/// The C99 special values of a logarithm: NaN below 0 and for NaN, −∞ at 0,
/// +∞ at +∞; `y` elsewhere.
#[inline(always)]
fn specials(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        x
    } else if x > 0.0 {
        y
    } else {
        f64::NAN
    }
}

/// ln x within 1 ulp.
#[inline(always)]
pub fn log(x: f64) -> f64 {
    let (k, m) = reduce(x);
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let y = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
    specials(x, y)
}

/// ln(xh + xl) as a double-double (about 2⁻⁷⁰ relative), for finite
/// `xh > 0`, `|xl| ≤ ulp(xh)`; other inputs give unspecified values.
#[inline(always)]
pub(super) fn log_dd(xh: f64, xl: f64) -> (f64, f64) {
    let (k, m) = reduce(xh);
    let ml = xl * pow2(clamp(-k, 1000.0));
    let (b, (lbh, lbl)) = if m < 0.894_427_190_999_915_9 {
        (0.8, LN_08)
    } else if m > 1.118_033_988_749_895 {
        (1.25, LN_125)
    } else {
        (1.0, (0.0, 0.0))
    };
    // s = (m − b)/(m + b) as a double-double; m − b is exact (Sterbenz).
    let (nh, nl) = two_sum(m - b, ml);
    let (dh, de) = two_sum(m, b);
    let dl = de + ml;
    let sh = nh / dh;
    let (p, pe) = two_prod(sh, dh);
    let sl = ((((nh - p) - pe) + nl) - sh * dl) / dh;
    // ⅔s³ as a double-double.
    let (a, ae) = two_prod(sh, sh);
    let (c, ce) = two_prod(a, sh);
    let cube_lo = ce + ae * sh + 3.0 * a * sl;
    let (t, te) = two_prod(c, TWO_THIRDS.0);
    let te = te + c * TWO_THIRDS.1 + TWO_THIRDS.0 * cube_lo;
    // s⁵·(2/5 + 2/7 s² + … + 2/15 s¹⁰).
    let poly = 2.0 / 5.0
        + a * (2.0 / 7.0
            + a * (2.0 / 9.0 + a * (2.0 / 11.0 + a * (2.0 / 13.0 + a * (2.0 / 15.0)))));
    let tail = (c * a) * poly;
    let (u, ue) = two_sum(k * LN2_HI, lbh);
    let (v, ve) = two_sum(u, 2.0 * sh);
    let (w, we) = two_sum(v, t);
    let lo = (ue + ve + we) + (k * LN2_LO + lbl) + (2.0 * sl + te + tail);
    fast_two_sum(w, lo)
}

/// ln(xh + xl) · (ch + cl), rounded once.
#[inline(always)]
fn scaled_log(xh: f64, xl: f64, (ch, cl): (f64, f64)) -> f64 {
    let (h, l) = log_dd(xh, xl);
    let (p, e) = two_prod(h, ch);
    p + (e + (h * cl + l * ch))
}

/// log₂ x within 1 ulp (exact at powers of two).
#[inline(always)]
pub fn log2(x: f64) -> f64 {
    specials(x, scaled_log(x, 0.0, INV_LN2))
}

/// log₁₀ x within 1 ulp.
#[inline(always)]
pub fn log10(x: f64) -> f64 {
    specials(x, scaled_log(x, 0.0, INV_LN10))
}

/// ln(1 + x) within 1 ulp, accurate for tiny x (log1p(±0) = ±0, −∞ at −1).
#[inline(always)]
pub fn log1p(x: f64) -> f64 {
    let (h, l) = two_sum(1.0, x);
    let y = specials(h, scaled_log(h, l, (1.0, 0.0)));
    if x.abs() < 1e-18 { x } else { y }
}
