//! Elementary f64 functions for kernels, each within 1 ulp over its whole C99
//! domain (±0, subnormals, ±∞, NaN, overflow and underflow thresholds) and
//! branch-free on its main path, so a loop calling them vectorises (no libm).
//!
//! The same algorithms live in `shaders/f64_math.wgsl` as `<name>_f64` (the GPU's
//! f64 transcendental built-ins are silently wrong, see docs/PLUGINS.md). They
//! follow fdlibm's reductions and approximations; where fdlibm's last rounding
//! steps could exceed 1 ulp the result is carried as a double-double and rounded
//! once (pow, exp2, expm1, log2, log10, log1p, the hyperbolic functions).
//! Special cases are chosen with selects after the main path, never branched on.
//!
//! Families: [`exp`](self::exp()) (exp, exp2, expm1), [`log`](self::log())
//! (log, log2, log10, log1p), [`pow`](self::pow()) (pow, cbrt, hypot),
//! trigonometric (sin, cos, tan and their inverses), hyperbolic, [`erf`](self::erf()).
//!
//! Each function takes an `f64` or a [`Block`] of lanes ([`Real`]): a closure
//! over blocks vectorises at the CPU's level in any plugin ([`block`]). The
//! scalar forms, with their accuracy, are in [`scalar`].

pub mod block;
mod erf;
mod exp;
mod hyperbolic;
mod inverse;
mod log;
mod pow;
mod trig;

/// The scalar functions (`f64` → `f64`), each within 1 ulp; [`crate::math`]'s
/// generic forms call them.
pub mod scalar {
    pub use super::erf::{erf, erfc};
    pub use super::exp::{exp, exp2, expm1};
    pub use super::hyperbolic::{acosh, asinh, atanh, cosh, sinh, tanh};
    pub use super::inverse::{acos, asin, atan, atan2};
    pub use super::log::{log, log1p, log2, log10};
    pub use super::pow::{cbrt, hypot, pow};
    pub use super::trig::{cos, cosd, degrees, radians, sin, sind, tan};
}

pub use block::{
    Block, Real, acos, acosh, asin, asinh, atan, atan2, atanh, cbrt, cos, cosd, cosh, degrees, erf,
    erfc, exp, exp2, expm1, hypot, log, log1p, log2, log10, map_blocks, pow, radians, sin, sind,
    sinh, tan, tanh,
};
pub use trig::{sin_cos, sin_cos_dd, sin_cos_degrees, sin_cos_turns};

use crate::dd::{fast_two_sum, two_prod, two_sum};

/// 2ⁿ for a whole `n` in [−1022, 1023], built from its bits.
#[inline(always)]
fn pow2(n: f64) -> f64 {
    f64::from_bits(((n as i64 + 1023) as u64) << 52)
}

/// `y · 2ᵏ` for a whole `|k| ≤ 2044`, rounded once: two exact factors keep the
/// intermediate normal, so results that overflow or fall in the subnormal range
/// come out as one multiplication would give them.
#[inline(always)]
fn scale(y: f64, k: f64) -> f64 {
    let k1 = (k * 0.5).floor();
    y * pow2(k1) * pow2(k - k1)
}

/// `x` clamped to `[−limit, limit]`; NaN stays NaN.
#[inline(always)]
fn clamp(x: f64, limit: f64) -> f64 {
    if x > limit {
        limit
    } else if x < -limit {
        -limit
    } else {
        x
    }
}

/// Double-double `(ah + al) · (bh + bl)`.
#[inline(always)]
fn dd_mul(ah: f64, al: f64, bh: f64, bl: f64) -> (f64, f64) {
    let (p, e) = two_prod(ah, bh);
    fast_two_sum(p, e + (ah * bl + al * bh))
}

/// Double-double `(ah + al) / (bh + bl)` (one correction step, about 2⁻¹⁰⁴).
#[inline(always)]
fn dd_div(ah: f64, al: f64, bh: f64, bl: f64) -> (f64, f64) {
    let q = ah / bh;
    let (p, e) = two_prod(q, bh);
    let r = (((ah - p) - e) + al) - q * bl;
    fast_two_sum(q, r / bh)
}

/// Double-double `(ah + al) + (bh + bl)`.
#[inline(always)]
fn dd_add(ah: f64, al: f64, bh: f64, bl: f64) -> (f64, f64) {
    let (s, e) = two_sum(ah, bh);
    fast_two_sum(s, e + (al + bl))
}

/// `sqrt(h + l)` as a double-double, for `h + l ≥ 0` (0 and ∞ pass through).
#[inline(always)]
fn dd_sqrt(h: f64, l: f64) -> (f64, f64) {
    let r = h.sqrt();
    let (p, e) = two_prod(r, r);
    let c = (((h - p) - e) + l) / (2.0 * r);
    fast_two_sum(r, if r > 0.0 && r < f64::INFINITY { c } else { 0.0 })
}
