//! pow, cbrt and hypot.
//!
//! pow: `|x|^y = e^(y·ln|x|)` with ln|x| a double-double (`log_dd`, 2⁻⁷⁰) times
//! y exactly (`two_prod`), then the double-double exponential rounded once;
//! the sign and C99's special cases are selected afterwards.
//! cbrt: fdlibm's (a bit-level first guess, a polynomial to 23 bits, one
//! rounded Newton step; < 0.667 ulp). hypot: both scaled by a power of two so
//! the larger is in [1, 2), x² + y² as a double-double, its square root with
//! one correction: about 0.5 ulp, no spurious overflow or underflow.

use super::exp::exp_dd;
use super::log::log_dd;
use super::{dd_sqrt, pow2};
use crate::dd::{fast_two_sum, two_prod, two_sum};

/// Whether `y` is an odd whole number.
#[inline(always)]
fn is_odd(y: f64) -> bool {
    let h = 0.5 * y;
    y == y.trunc() && h != h.trunc()
}

/// xʸ within 1 ulp, with C99's special cases (pow(x, ±0) = 1, pow(1, y) = 1,
/// signed zeros and infinities for x = ±0, ±∞, NaN for x < 0 and y not whole).
#[inline(always)]
pub fn pow(x: f64, y: f64) -> f64 {
    let ax = x.abs();
    let (lh, ll) = log_dd(ax, 0.0);
    let (wh, we) = two_prod(y, lh);
    let r = exp_dd(wh, we + y * ll);
    let odd = is_odd(y);
    let r = if x < 0.0 && odd { -r } else { r };
    // x = ±0 or ±∞: 0 or ∞ by the sign of y (and of x for odd y).
    let edge = if (ax == 0.0) == (y < 0.0) {
        f64::INFINITY
    } else {
        0.0
    };
    let edge = if odd && x.is_sign_negative() {
        -edge
    } else {
        edge
    };
    // y = ±∞: 1 at |x| = 1, else 0 or ∞.
    let y_inf = if ax == 1.0 {
        1.0
    } else if (ax < 1.0) == (y < 0.0) {
        f64::INFINITY
    } else {
        0.0
    };
    let r = if ax == 0.0 || ax == f64::INFINITY {
        edge
    } else {
        r
    };
    let r = if y.abs() == f64::INFINITY { y_inf } else { r };
    let r = if x < 0.0 && x.is_finite() && y != y.trunc() {
        f64::NAN
    } else {
        r
    };
    let r = if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        r
    };
    if y == 0.0 || x == 1.0 { 1.0 } else { r }
}

// fdlibm's cbrt: a polynomial for 1/cbrt(r), r = t³/x, to 23 bits.
const CP0: f64 = 1.875_951_824_271_77;
const CP1: f64 = -1.884_979_795_433_771_7;
const CP2: f64 = 1.621_429_720_105_354_5;
const CP3: f64 = -0.758_397_934_778_766;
const CP4: f64 = 0.145_996_192_886_612_45;

/// ∛x within 1 ulp (sign kept; ±0, ±∞ and NaN returned as they are).
#[inline(always)]
pub fn cbrt(x: f64) -> f64 {
    let ax = x.abs();
    let sub = ax < f64::MIN_POSITIVE;
    let a = if sub { ax * 18014398509481984.0 } else { ax }; // 2⁵⁴
    // First guess: divide the exponent (and top mantissa bits) by 3.
    let hi = (a.to_bits() >> 32) as u32;
    let t = f64::from_bits(((hi / 3 + 715_094_163) as u64) << 32);
    let r = (t * t) * (t / a);
    let t = t * ((CP0 + r * (CP1 + r * CP2)) + ((r * r) * r) * (CP3 + r * CP4));
    // Round t to 23 bits, away from zero, so t·t is exact and t ≥ ∛a.
    let t = f64::from_bits((t.to_bits() + 0x8000_0000) & 0xffff_ffff_c000_0000);
    let s = t * t;
    let q = a / s;
    let w = t + t;
    let t = t + t * ((q - t) / (w + q));
    let t = if sub { t * 3.814697265625e-6 } else { t }; // 2⁻¹⁸
    let t = t.copysign(x);
    if ax == 0.0 || !ax.is_finite() { x } else { t }
}

/// √(x² + y²) within 1 ulp, without spurious overflow or underflow;
/// ∞ if either is infinite (even with a NaN), else NaN for a NaN.
#[inline(always)]
pub fn hypot(x: f64, y: f64) -> f64 {
    let (ax, ay) = (x.abs(), y.abs());
    let (big, small) = if ax >= ay { (ax, ay) } else { (ay, ax) };
    // Bring big to [1, 2): 2⁶⁰⁰ pre-scaling keeps the factors normal.
    let pre = if big > 1e300 {
        pow2(-600.0)
    } else if big < 1e-300 {
        pow2(600.0)
    } else {
        1.0
    };
    let (b, s) = (big * pre, small * pre);
    let e = ((b.to_bits() >> 52) as i64 - 1023) as f64;
    let down = pow2(-e);
    let (b, s) = (b * down, s * down);
    let (p, pe) = two_prod(b, b);
    let (q, qe) = two_prod(s, s);
    let (h, he) = two_sum(p, q);
    let (rh, rl) = dd_sqrt(h, he + pe + qe);
    let (r, _) = fast_two_sum(rh, rl);
    let r = r * pow2(e) / pre;
    let r = if big == 0.0 { 0.0 } else { r };
    let r = if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        r
    };
    if ax == f64::INFINITY || ay == f64::INFINITY {
        f64::INFINITY
    } else {
        r
    }
}
