//! atan, atan2, asin and acos.
//!
//! atan is fdlibm's: |x| is mapped into [−7/16, 7/16] by one of five Möbius
//! maps t = (a|x| + b)/(c|x| + d) chosen with selects, then
//! atan|x| = atan(c_id) + t − t·S(t²). The last sum is carried as a
//! double-double ([`atan_parts`]) so that atan2 can add the rounding error of
//! y/x and π without a second rounding. asin and acos use fdlibm's rational
//! R(t) for (asin s − s)/s and, for |x| ≥ ½, asin x = π/2 − 2·asin √((1−|x|)/2)
//! with the square root as a double-double (instead of fdlibm's two sub-paths).

use super::{dd_add, dd_sqrt, pow2};
use crate::dd::{two_prod, two_sum};

/// atan of 0.5, 1, 1.5 and ∞ as double-doubles (hi, lo).
const ATAN_HI: [f64; 4] = [
    4.636_476_090_008_061e-1,
    std::f64::consts::FRAC_PI_4,
    9.827_937_232_473_29e-1,
    std::f64::consts::FRAC_PI_2,
];
const ATAN_LO: [f64; 4] = [
    2.269_877_745_296_168_7e-17,
    3.061_616_997_868_383e-17,
    1.390_331_103_123_099_8e-17,
    6.123_233_995_736_766e-17,
];
// fdlibm's atan: S(z) = aT0 z + aT1 z² + … + aT10 z¹¹.
const AT: [f64; 11] = [
    3.333_333_333_333_293e-1,
    -1.999_999_999_987_648_3e-1,
    1.428_571_427_250_346_6e-1,
    -1.111_111_040_546_235_6e-1,
    9.090_887_133_436_507e-2,
    -7.691_876_205_044_83e-2,
    6.661_073_137_387_531e-2,
    -5.833_570_133_790_573_5e-2,
    4.976_877_994_615_932_4e-2,
    -3.653_157_274_421_691_6e-2,
    1.628_582_011_536_578_2e-2,
];
const PI: (f64, f64) = (std::f64::consts::PI, 1.224_646_799_147_353_2e-16);
const PIO2: (f64, f64) = (ATAN_HI[3], ATAN_LO[3]);
const PIO4: (f64, f64) = (ATAN_HI[1], ATAN_LO[1]);

/// atan a for a ≥ 0 (or NaN) plus `corr`, as an unrounded pair (hi, lo).
#[inline(always)]
fn atan_parts(a: f64, corr: f64) -> (f64, f64) {
    // (na·a + nb)/(da·a + db) and the constant for each interval.
    let (na, nb, da, db, hi, lo) = if a < 0.4375 {
        (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    } else if a < 0.6875 {
        (2.0, -1.0, 1.0, 2.0, ATAN_HI[0], ATAN_LO[0])
    } else if a < 1.1875 {
        (1.0, -1.0, 1.0, 1.0, ATAN_HI[1], ATAN_LO[1])
    } else if a < 2.4375 {
        (1.0, -1.5, 1.5, 1.0, ATAN_HI[2], ATAN_LO[2])
    } else {
        (0.0, -1.0, 1.0, 0.0, ATAN_HI[3], ATAN_LO[3])
    };
    // The last map is −1/a, written apart so that a = ∞ gives −0, not 0·∞.
    let t = if da == 1.0 && db == 0.0 {
        -1.0 / a
    } else {
        (na * a + nb) / (da * a + db)
    };
    // d t / d a = (na·db − nb·da)/(da·a + db)²: carries corr through the map.
    let den = da * a + db;
    let dt = corr * (na * db - nb * da) / (den * den);
    let z = t * t;
    let w = z * z;
    let s1 = z * (AT[0] + w * (AT[2] + w * (AT[4] + w * (AT[6] + w * (AT[8] + w * AT[10])))));
    let s2 = w * (AT[1] + w * (AT[3] + w * (AT[5] + w * (AT[7] + w * AT[9]))));
    let (h, he) = two_sum(hi, t);
    (h, he + ((lo - t * (s1 + s2)) + dt / (1.0 + z)))
}

/// atan x within 1 ulp (±π/2 at ±∞).
#[inline(always)]
pub fn atan(x: f64) -> f64 {
    let (h, l) = atan_parts(x.abs(), 0.0);
    (h + l).copysign(x)
}

/// atan(y/x) in the quadrant of (x, y), within 1 ulp, with C99's special cases
/// (signed zeros and infinities give ±0, ±π/4, ±π/2, ±3π/4, ±π).
#[inline(always)]
pub fn atan2(y: f64, x: f64) -> f64 {
    // Scaled by 2⁶⁰⁰ when y is tiny, so that the residual below never works on
    // subnormal products (exact with a fused multiply-add, but not with the
    // GPU's split products); atan2 does not change under the scaling.
    let up = if y.abs() < 1e-290 { pow2(600.0) } else { 1.0 };
    let (ax, ay) = (x.abs() * up, y.abs() * up);
    // |y/x| = q + ql exactly, ql from the residual of the division.
    let q = ay / ax;
    let (p, pe) = two_prod(q, ax);
    let ql = ((ay - p) - pe) / ax;
    let ql = if q < 1e300 && q > 1e-300 { ql } else { 0.0 };
    let (h, l) = atan_parts(q, ql);
    // Both zero or both infinite: 0 or π/4 (0/0 and ∞/∞ are NaN).
    let both_zero = ax == 0.0 && ay == 0.0;
    let both_inf = ax == f64::INFINITY && ay == f64::INFINITY;
    let (h, l) = if both_zero {
        (0.0, 0.0)
    } else if both_inf {
        PIO4
    } else {
        (h, l)
    };
    // x < 0 (or −0): π − atan|y/x|.
    let (a, al) = dd_add(PI.0, PI.1, -h, -l);
    let left = a + al;
    let r = if x.is_sign_negative() { left } else { h + l };
    let r = r.copysign(y);
    if x.is_nan() || y.is_nan() { x + y } else { r }
}

// fdlibm's asin/acos: (asin s − s)/s ≈ P(t)/Q(t), t = s².
const PS: [f64; 6] = [
    1.666_666_666_666_666_6e-1,
    -3.255_658_186_224_009e-1,
    2.012_125_321_348_629_3e-1,
    -4.005_553_450_067_941e-2,
    7.915_349_942_898_145e-4,
    3.479_331_075_960_212e-5,
];
const QS: [f64; 4] = [
    -2.403_394_911_734_414,
    2.020_945_760_233_505_7,
    -6.882_839_716_054_533e-1,
    7.703_815_055_590_194e-2,
];

/// (asin s − s)/s for t = s² ≤ ¼.
#[inline(always)]
fn asin_ratio(t: f64) -> f64 {
    let p = t * (PS[0] + t * (PS[1] + t * (PS[2] + t * (PS[3] + t * (PS[4] + t * PS[5])))));
    let q = 1.0 + t * (QS[0] + t * (QS[1] + t * (QS[2] + t * QS[3])));
    p / q
}

/// `c − σ·(v + vl)(1 + R(t))`, rounded once, for x ≥ −1: |x| < ½ uses
/// (v, vl, t) = (x, 0, x²) with `small`'s (c, σ); |x| ≥ ½ uses v + vl = 2√t,
/// t = (1 − |x|)/2 exactly, with `big`'s.
#[inline(always)]
fn arc(x: f64, small: ((f64, f64), f64), big: ((f64, f64), f64)) -> f64 {
    let ax = x.abs();
    let is_small = ax < 0.5;
    let t = if is_small { x * x } else { 0.5 * (1.0 - ax) };
    let (sh, sl) = dd_sqrt(t, 0.0);
    let (v, vl, ((c, cl), sigma)) = if is_small {
        (x, 0.0, small)
    } else {
        (2.0 * sh, 2.0 * sl, big)
    };
    let w = asin_ratio(t);
    let (a, ae) = two_sum(c, -sigma * v);
    a + ((ae + cl) - sigma * (vl + v * w))
}

/// asin x within 1 ulp (NaN for |x| > 1).
#[inline(always)]
pub fn asin(x: f64) -> f64 {
    // For |x|: |x| < ½: x + x·R;  |x| ≥ ½: π/2 − 2s(1 + R).
    let r = arc(x.abs(), ((0.0, 0.0), -1.0), (PIO2, 1.0)).copysign(x);
    if x.abs() > 1.0 { f64::NAN } else { r }
}

/// acos x within 1 ulp (NaN for |x| > 1).
#[inline(always)]
pub fn acos(x: f64) -> f64 {
    // |x| < ½: π/2 − (x + x·R);  x ≥ ½: 2s(1 + R);  x ≤ −½: π − 2s(1 + R).
    let big = if x < 0.0 {
        (PI, 1.0)
    } else {
        ((0.0, 0.0), -1.0)
    };
    let r = arc(x, (PIO2, 1.0), big);
    if x.abs() > 1.0 { f64::NAN } else { r }
}
