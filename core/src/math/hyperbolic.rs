//! sinh, cosh, tanh and their inverses, each rounded once from a double-double.
//!
//! sinh, cosh, tanh: from e^|x| − 1 = em as a double-double with relative
//! error about 2⁻⁶⁰ ([`expm1_dd`]): sinh = em(em + 2)/(2(em + 1)),
//! cosh = (E + 1/E)/2, tanh = em/(em + 2) with em = e^{2|x|} − 1; beyond
//! |x| = 40 both sinh and cosh are e^|x|/2, scaled without intermediate overflow.
//! asinh, acosh, atanh: ln of |x| + √(x² ± 1) or of (1 + |x|)/(1 − |x|), each
//! argument formed as a double-double and passed to the double-double logarithm,
//! so arguments near 0 and near 1 keep their relative accuracy.

use super::exp::exp_parts;
use super::log::log_dd;
use super::{dd_add, dd_div, dd_mul, dd_sqrt, pow2, scale};
use crate::dd::{fast_two_sum, two_prod, two_sum};

/// ln 2 as a double-double.
const LN2: (f64, f64) = (std::f64::consts::LN_2, 2.319_046_813_846_299_6e-17);

/// e^a − 1 as a double-double for 0 ≤ a ≤ 80 (NaN for NaN).
#[inline(always)]
fn expm1_dd(a: f64) -> (f64, f64) {
    let (k, h, l) = exp_parts(a, 0.0);
    let (s, se) = two_sum(h, -pow2(-k));
    let (m, ml) = fast_two_sum(s, se + l);
    let p = pow2(k);
    (m * p, ml * p)
}

/// e^a / 2 for 40 < a (∞ past the overflow threshold).
#[inline(always)]
fn half_exp(a: f64) -> f64 {
    let (k, h, l) = exp_parts(if a > 800.0 { 800.0 } else { a }, 0.0);
    scale(h + l, k - 1.0)
}

/// sinh x within 1 ulp.
#[inline(always)]
pub fn sinh(x: f64) -> f64 {
    let a = x.abs();
    let (e, el) = expm1_dd(if a > 40.0 { 40.0 } else { a });
    let (ph, pl) = two_sum(e, 2.0);
    let (nh, nl) = dd_mul(e, el, ph, pl + el);
    let (dh, dl) = two_sum(e, 1.0);
    let (q, ql) = dd_div(nh, nl, 2.0 * dh, 2.0 * (dl + el));
    let r = if a > 40.0 { half_exp(a) } else { q + ql };
    if a < 1e-9 { x } else { r.copysign(x) }
}

/// cosh x within 1 ulp.
#[inline(always)]
pub fn cosh(x: f64) -> f64 {
    let a = x.abs();
    let (e, el) = expm1_dd(if a > 40.0 { 40.0 } else { a });
    let (eh, ell) = two_sum(1.0, e);
    let (ih, il) = dd_div(1.0, 0.0, eh, ell + el);
    let (s, sl) = dd_add(eh, ell + el, ih, il);
    let r = 0.5 * (s + sl);
    if a > 40.0 { half_exp(a) } else { r }
}

/// tanh x within 1 ulp (±1 beyond |x| ≈ 19).
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let (e, el) = expm1_dd(if a > 40.0 { 80.0 } else { 2.0 * a });
    let (dh, dl) = two_sum(e, 2.0);
    let (q, ql) = dd_div(e, el, dh, dl + el);
    let r = (q + ql).copysign(x);
    if a < 1e-9 { x } else { r }
}

/// ln(uh + ul) + (ln 2 if `double`), rounded once.
#[inline(always)]
fn log_rounded(uh: f64, ul: f64, double: bool) -> f64 {
    let (h, l) = log_dd(uh, ul);
    let (c, cl) = if double { LN2 } else { (0.0, 0.0) };
    let (s, sl) = dd_add(h, l, c, cl);
    s + sl
}

/// asinh x within 1 ulp.
#[inline(always)]
pub fn asinh(x: f64) -> f64 {
    let a = x.abs();
    let large = a > 268_435_456.0; // 2²⁸: asinh a = ln 2a to 2⁻⁵⁸
    let (p, pe) = two_prod(a, a);
    let (s, se) = two_sum(1.0, p);
    let (r, rl) = dd_sqrt(s, se + pe);
    let (u, ue) = two_sum(a, r);
    let (u, ul) = if large { (a, 0.0) } else { (u, ue + rl) };
    let y = log_rounded(u, ul, large).copysign(x);
    if a < 1e-9 || a == f64::INFINITY { x } else { y }
}

/// acosh x within 1 ulp (NaN below 1).
#[inline(always)]
pub fn acosh(x: f64) -> f64 {
    let large = x > 268_435_456.0;
    let (p, pe) = two_prod(x, x);
    let (s, se) = two_sum(p, -1.0);
    let (r, rl) = dd_sqrt(s, se + pe);
    let (u, ue) = two_sum(x, r);
    let (u, ul) = if large { (x, 0.0) } else { (u, ue + rl) };
    let y = log_rounded(u, ul, large);
    if x == f64::INFINITY {
        x
    } else if x >= 1.0 {
        y
    } else {
        f64::NAN
    }
}

/// atanh x within 1 ulp (±∞ at ±1, NaN beyond).
#[inline(always)]
pub fn atanh(x: f64) -> f64 {
    let a = x.abs();
    let (n, nl) = two_sum(1.0, a);
    let (d, dl) = two_sum(1.0, -a);
    let (q, ql) = dd_div(n, nl, d, dl);
    let y = (0.5 * log_rounded(q, ql, false)).copysign(x);
    if a < 1e-9 {
        x
    } else if a < 1.0 {
        y
    } else if a == 1.0 {
        f64::INFINITY.copysign(x)
    } else {
        f64::NAN
    }
}
