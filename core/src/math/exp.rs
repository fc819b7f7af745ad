//! exp, exp2, expm1, and the double-double exponential that pow and the
//! hyperbolic functions round once.
//!
//! All reduce `x = k·ln2 + r` with `k = round(x/ln2)`, `|r| ≤ ln2/2`, and scale
//! by 2ᵏ in two exact factors ([`scale`]), so overflow to ∞ and gradual underflow
//! happen in the last multiplication. `exp` is fdlibm's: a rational form of
//! eʳ accurate to 2⁻⁵⁹. The double-double path ([`exp_parts`]) evaluates
//! eʳ − 1 = r + r²/2 + r³·T(r) with r²/2 exact and T the Taylor series to r¹⁴
//! (truncation 2⁻⁶⁶), and returns eˣ = 2ᵏ·(h + l) with about 2⁻⁶⁰ relative error.

use super::{clamp, pow2, scale};
use crate::dd::{fast_two_sum, two_prod, two_sum};

pub(super) const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO; LN2_HI has 33 significant bits, so `k·LN2_HI` is
/// exact for |k| < 2²⁰.
pub(super) const LN2_HI: f64 = 6.931_471_803_691_238e-1;
pub(super) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// ln 2 as a double-double (ln 2 = LN2 + LN2_TAIL to 2⁻¹⁰⁶).
const LN2: f64 = std::f64::consts::LN_2;
const LN2_TAIL: f64 = 2.319_046_813_846_299_6e-17;

// fdlibm's exp: r·(eʳ+1)/(eʳ−1) ≈ 2 + P1 r² + … + P5 r¹⁰ on [−ln2/2, ln2/2].
const P1: f64 = 1.666_666_666_666_660_2e-1;
const P2: f64 = -2.777_777_777_701_559_3e-3;
const P3: f64 = 6.613_756_321_437_934e-5;
const P4: f64 = -1.653_390_220_546_525_2e-6;
const P5: f64 = 4.138_136_797_057_238_5e-8;

/// 1/3!, 1/4!, …, 1/14!.
const TAYLOR: [f64; 12] = [
    0.16666666666666666,
    0.041666666666666664,
    0.008333333333333333,
    0.001388888888888889,
    0.0001984126984126984,
    2.48015873015873e-05,
    2.7557319223985893e-06,
    2.755731922398589e-07,
    2.505210838544172e-08,
    2.08767569878681e-09,
    1.6059043836821613e-10,
    1.1470745597729725e-11,
];

/// eˣ within 1 ulp; ∞ above 709.78, 0 below −745.13, NaN for NaN.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let x = clamp(x, 800.0); // beyond, the result is ∞ or 0 all the same
    let k = (x * INV_LN2).round_ties_even();
    let hi = x - k * LN2_HI; // exact
    let lo = k * LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    scale(y, k)
}

/// `e^(rh + rl) − 1` as a double-double, for `|rh| ≤ 0.35`, `|rl| ≤ 2⁻³⁰`.
#[inline(always)]
fn expm1_kernel(rh: f64, rl: f64) -> (f64, f64) {
    let (p, e) = two_prod(rh, rh);
    let mut t = TAYLOR[11];
    for c in TAYLOR[..11].iter().rev() {
        t = *c + rh * t;
    }
    let tail = (rh * p) * t;
    let (s, se) = fast_two_sum(rh, 0.5 * p);
    let lo = se + 0.5 * e + tail + rl * (1.0 + rh + 0.5 * p);
    fast_two_sum(s, lo)
}

/// `e^(xh + xl) = 2ᵏ·(h + l)` as `(k, h, l)`, `h + l` in [0.7, 1.42], about
/// 2⁻⁶⁰ relative error, for `|xh| ≤ 800` and `|xl| ≤ 2⁻³⁰`.
#[inline(always)]
pub(super) fn exp_parts(xh: f64, xl: f64) -> (f64, f64, f64) {
    let k = (xh * INV_LN2).round_ties_even();
    let (rh, rl) = two_sum(xh - k * LN2_HI, xl - k * LN2_LO);
    let (q, ql) = expm1_kernel(rh, rl);
    let (h, hl) = fast_two_sum(1.0, q);
    (k, h, hl + ql)
}

/// `e^(xh + xl)` rounded once, for a double-double exponent (∞ and 0 beyond the
/// thresholds; NaN for NaN).
#[inline(always)]
pub(super) fn exp_dd(xh: f64, xl: f64) -> f64 {
    let big = xh.is_nan() || xh.abs() > 800.0; // NaN's xl may be anything
    let (xh, xl) = (clamp(xh, 800.0), if big { 0.0 } else { xl });
    let (k, h, l) = exp_parts(xh, xl);
    scale(h + l, k)
}

/// 2ˣ within 1 ulp (exact for whole x in range).
#[inline(always)]
pub fn exp2(x: f64) -> f64 {
    let x = clamp(x, 1100.0);
    let k = x.round_ties_even();
    let f = x - k; // exact, |f| ≤ 1/2
    let (rh, e) = two_prod(f, LN2);
    let (q, ql) = expm1_kernel(rh, e + f * LN2_TAIL);
    let (h, hl) = fast_two_sum(1.0, q);
    scale(h + (hl + ql), k)
}

/// eˣ − 1 within 1 ulp, accurate for tiny x (expm1(±0) = ±0, −1 below −38).
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    let xc = if x < -40.0 { -40.0 } else { clamp(x, 800.0) };
    let (k, h, l) = exp_parts(xc, 0.0);
    // 2ᵏ(h + l) − 1 = 2ᵏ·((h + l) − 2⁻ᵏ); 2⁻ᵏ vanishes next to h for k > 60.
    let t = if k > 60.0 { 0.0 } else { pow2(-k) };
    let (a, ae) = two_sum(h, -t);
    let y = scale(a + (ae + l), k);
    if x == 0.0 { x } else { y }
}
