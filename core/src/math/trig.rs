//! f64 sine, cosine and tangent for the series and grid kernels: accurate (≤ 1 ulp)
//! and branch-free, so a loop calling them vectorises; plus a double-double
//! variant for tables and reference values.
//!
//! The algorithm, shared with `shaders/f64_math.wgsl` (which must not use the
//! GPU's f64 `sin`/`cos` built-ins, see docs/GPU.md):
//! 1. `j = round(x · 2/π)` (ties to even), `q = j mod 4`;
//! 2. `r = x − j·π/2` as a double-double `r_hi + r_lo`, with π/2 split in three
//!    doubles and the products `j·c₀`, `j·c₁` formed exactly (`two_prod`), so the
//!    reduction stays accurate for every `|x| ≤ 2⁴²` (≈ 4.4e12), integers near
//!    multiples of π/2 included;
//! 3. fdlibm's minimax kernels for sin and cos on [−π/4, π/4] (error < 1 ulp),
//!    with the `r_lo` correction;
//! 4. the quadrant picks and negates the two results with selects, not branches.

use crate::dd::{Dd, two_prod, two_sum};

use std::f64::consts::{FRAC_2_PI, FRAC_PI_2};

/// π/2 = Σ PIO2\[i\] to about 210 bits.
const PIO2: [f64; 4] = [
    FRAC_PI_2,
    6.123233995736766e-17,
    -1.4973849048591698e-33,
    5.562271104316826e-50,
];

// fdlibm __kernel_sin coefficients: sin(x) ≈ x + S1 x³ + … + S6 x¹³ on [−π/4, π/4].
const S1: f64 = -0.16666666666666632;
const S2: f64 = 0.00833333333332249;
const S3: f64 = -0.0001984126982985795;
const S4: f64 = 2.7557313707070068e-06;
const S5: f64 = -2.5050760253406863e-08;
const S6: f64 = 1.58969099521155e-10;

// fdlibm __kernel_cos coefficients: cos(x) ≈ 1 − x²/2 + C1 x⁴ + … + C6 x¹⁴.
const C1: f64 = 0.0416666666666666;
const C2: f64 = -0.001388888888887411;
const C3: f64 = 2.480158728947673e-05;
const C4: f64 = -2.7557314351390663e-07;
const C5: f64 = 2.087572321298175e-09;
const C6: f64 = -1.1359647557788195e-11;

/// `x = j·π/2 + (r_hi + r_lo)`: returns `(r_hi, r_lo, j)` with `|r| ≲ π/4`.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64, f64) {
    let j = (x * FRAC_2_PI).round_ties_even();
    let (p0, e0) = two_prod(j, PIO2[0]);
    let (p1, e1) = two_prod(j, PIO2[1]);
    // x and p0 are within a factor of two of each other (or p0 = 0): exact.
    let t = x - p0;
    let (a, ae) = two_sum(t, -e0);
    let (b, be) = two_sum(a, -p1);
    let lo = (ae + be) - (e1 + j * PIO2[2]);
    let (r_hi, r_lo) = two_sum(b, lo);
    (r_hi, r_lo, j)
}

/// sin(x + y) for |x| ≤ π/4, |y| ≤ ulp(x)/2 (fdlibm `__kernel_sin`).
#[inline(always)]
fn kernel_sin(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * S1)
}

/// cos(x + y) for |x| ≤ π/4, |y| ≤ ulp(x)/2 (fdlibm `__kernel_cos`).
#[inline(always)]
fn kernel_cos(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// `(sin x, cos x)`, each within 1 ulp for `|x| ≤ 2⁴²`; branch-free so loops
/// over it vectorise. Returns NaN for infinite or NaN `x`.
#[inline(always)]
pub fn sin_cos(x: f64) -> (f64, f64) {
    let (r, rr, j) = reduce(x);
    let s = kernel_sin(r, rr);
    let c = kernel_cos(r, rr);
    // j is a whole number below 2⁶³ in magnitude for finite x in range; the
    // cast saturates (and the result is NaN anyway) beyond.
    let q = j as i64;
    let (s, c) = if q & 1 == 0 { (s, c) } else { (c, s) };
    let sin = if q & 2 == 0 { s } else { -s };
    let cos = if (q + 1) & 2 == 0 { c } else { -c };
    (sin, cos)
}

/// sin x within 1 ulp for `|x| ≤ 2⁴²` (see [`sin_cos`]).
#[inline(always)]
pub fn sin(x: f64) -> f64 {
    sin_cos(x).0
}

/// cos x within 1 ulp for `|x| ≤ 2⁴²` (see [`sin_cos`]).
#[inline(always)]
pub fn cos(x: f64) -> f64 {
    sin_cos(x).1
}

// fdlibm __kernel_tan coefficients: tan(x) ≈ x + T0 x³ + … + T12 x²⁷ on [0, 0.6744].
const T: [f64; 13] = [
    3.333_333_333_333_341e-1,
    1.333_333_333_332_012_4e-1,
    5.396_825_397_622_605e-2,
    2.186_948_829_485_954_2e-2,
    8.863_239_823_599_3e-3,
    3.592_079_107_591_312_4e-3,
    1.456_209_454_325_290_3e-3,
    5.880_412_408_202_641e-4,
    2.464_631_348_184_699e-4,
    7.817_944_429_395_571e-5,
    7.140_724_913_826_082e-5,
    -1.855_863_748_552_754_6e-5,
    2.590_730_518_636_337e-5,
];
const PIO4: f64 = std::f64::consts::FRAC_PI_4;
const PIO4_LO: f64 = 3.061_616_997_868_383e-17;

/// tan(x + y) for |x| ≤ π/4 (fdlibm `__kernel_tan`), or −1/tan(x + y) if `cot`;
/// both of fdlibm's paths are evaluated and one is selected.
#[inline(always)]
fn kernel_tan(x: f64, y: f64, cot: bool) -> f64 {
    // Near ±π/4, tan(x) = tan(π/4 − x') with x' small.
    let big = x.abs() >= 0.6744;
    let neg = x < 0.0;
    let (xa, ya) = if neg { (-x, -y) } else { (x, y) };
    let (x, y) = if big {
        ((PIO4 - xa) + (PIO4_LO - ya), 0.0)
    } else {
        (x, y)
    };
    let z = x * x;
    let w = z * z;
    let r = T[1] + w * (T[3] + w * (T[5] + w * (T[7] + w * (T[9] + w * T[11]))));
    let v = z * (T[2] + w * (T[4] + w * (T[6] + w * (T[8] + w * (T[10] + w * T[12])))));
    let s = z * x;
    let r = y + z * (s * (r + v) + y) + T[0] * s;
    let w = x + r;
    let sign = if cot { -1.0 } else { 1.0 };
    let near = sign - 2.0 * (x - (w * w / (w + sign) - r));
    let near = if neg { -near } else { near };
    // −1/(x + r) with one correction step: d = 1 + q·(x + r) ≈ 0.
    let lo = r - (w - x);
    let q = -1.0 / w;
    let (p, pe) = two_prod(q, w);
    let d = (1.0 + p) + (pe + q * lo);
    let inv = q + q * d;
    if big {
        near
    } else if cot {
        inv
    } else {
        w
    }
}

/// tan x within 1 ulp for `|x| ≤ 2⁴²` (the reduction of [`sin_cos`]); tan(±0) =
/// ±0, NaN for infinite or NaN x.
#[inline(always)]
pub fn tan(x: f64) -> f64 {
    let (r, rr, j) = reduce(x);
    let odd = (j + 6_755_399_441_055_744.0).to_bits() & 1 == 1;
    let t = kernel_tan(r, rr, odd);
    if x == 0.0 { x } else { t }
}

/// `(sin x, cos x)` as double-doubles, accurate to about 2⁻¹⁰⁰ relative for
/// `|x| ≤ 2⁴²`: a four-part reduction and Taylor series in double-double.
/// Slow (hundreds of flops): for tables and reference values, not inner loops.
pub fn sin_cos_dd(x: f64) -> (Dd, Dd) {
    let j = (x * FRAC_2_PI).round_ties_even();
    let (p0, e0) = two_prod(j, PIO2[0]);
    let (p1, e1) = two_prod(j, PIO2[1]);
    let (p2, e2) = two_prod(j, PIO2[2]);
    let r = Dd::from(x - p0) - Dd::from(e0) - Dd::new(p1, e1) - Dd::new(p2, e2)
        + Dd::from(-j * PIO2[3]);
    let r2 = r * r;
    // Taylor series; |r| ≤ 0.79, so 2n + 1 ≤ 31 leaves terms below 2⁻¹¹⁰.
    let (mut s, mut c) = (r, Dd::from(1.0));
    let (mut ts, mut tc) = (r, Dd::from(1.0));
    for n in 1..=15 {
        let (a, b) = ((2 * n) as f64, (2 * n + 1) as f64);
        ts = -(ts * r2) / Dd::from(a * b);
        tc = -(tc * r2) / Dd::from((a - 1.0) * a);
        s = s + ts;
        c = c + tc;
    }
    let q = j as i64;
    let (s, c) = if q & 1 == 0 { (s, c) } else { (c, s) };
    let sin = if q & 2 == 0 { s } else { -s };
    let cos = if (q + 1) & 2 == 0 { c } else { -c };
    (sin, cos)
}

/// `(sin 2πa, cos 2πa)` for `|a| < 2⁵⁰` (a in turns), each within 1 ulp: the cheap
/// reduction for arguments given as fractions of a turn (e.g. 2π·a for a uniform
/// in [0, 1)). The quarter-turn split `a = j/4 + t` is exact in binary, so the only
/// reduction error is that of 2π·t, formed as a double-double; then the kernels of
/// [`sin_cos`]. Branch-free, about a third cheaper than `sin_cos(TAU * a)`.
#[inline(always)]
pub fn sin_cos_turns(a: f64) -> (f64, f64) {
    const TAU_HI: f64 = std::f64::consts::TAU;
    /// 2π − TAU_HI.
    const TAU_LO: f64 = 2.4492935982947064e-16;
    let j = (a * 4.0).round_ties_even();
    let t = a - j * 0.25; // exact: |t| ≤ 1/8 and a, j/4 share the binade grid
    let r = TAU_HI * t;
    let rr = TAU_HI.mul_add(t, -r) + TAU_LO * t;
    quadrant(j, r, rr)
}

/// `(sin, cos)` of `j` quarter turns plus `r + rr` radians (|r| ≲ π/4, `j` whole,
/// |j| < 2⁵¹): the kernels of [`sin_cos`], then the quadrant's swap and signs.
#[inline(always)]
fn quadrant(j: f64, r: f64, rr: f64) -> (f64, f64) {
    let s = kernel_sin(r, rr);
    let c = kernel_cos(r, rr);
    // j mod 4 from the low bits of j + 1.5·2⁵² (|j| < 2⁵¹): vector-friendly,
    // unlike a float-to-int cast.
    let q = (j + 6_755_399_441_055_744.0).to_bits();
    let (s, c) = if q & 1 == 0 { (s, c) } else { (c, s) };
    let sin = if q & 2 == 0 { s } else { -s };
    let cos = if q.wrapping_add(1) & 2 == 0 { c } else { -c };
    (sin, cos)
}

/// π/180 = D2R_HI + D2R_LO.
const D2R_HI: f64 = 0.017453292519943295;
const D2R_LO: f64 = 2.9486522708701687e-19;
/// 180/π = R2D_HI + R2D_LO.
const R2D_HI: f64 = 57.29577951308232;
const R2D_LO: f64 = -1.9878495670576283e-15;

/// `x · (c_hi + c_lo)` rounded once from a double-double product (within 0.5 ulp
/// but for results within about 2⁻⁵⁰ ulp of a midpoint).
#[inline(always)]
fn times_dd(x: f64, c_hi: f64, c_lo: f64) -> f64 {
    let (p, e) = two_prod(x, c_hi);
    p + (e + x * c_lo)
}

/// `x` degrees in radians, x·π/180 rounded from a double-double product.
#[inline(always)]
pub fn radians(x: f64) -> f64 {
    times_dd(x, D2R_HI, D2R_LO)
}

/// `x` radians in degrees, x·180/π rounded from a double-double product.
#[inline(always)]
pub fn degrees(x: f64) -> f64 {
    times_dd(x, R2D_HI, R2D_LO)
}

/// `(sin, cos)` of `d` degrees, each within 1 ulp for `|d| < 2⁴⁵`, and exact where
/// the value is 0 or ±1 (sin 180° = 0, cos 90° = 0): `d = 90·j + t` is split
/// exactly (|t| ≤ 45), so only t·π/180 is rounded, as a double-double. Branch-free.
#[inline(always)]
pub fn sin_cos_degrees(d: f64) -> (f64, f64) {
    let j = (d * (1.0 / 90.0)).round_ties_even();
    // Exact: d and 90·j are within a factor of two of each other (or j = 0).
    let t = d - j * 90.0;
    let (r, e) = two_prod(t, D2R_HI);
    quadrant(j, r, e + t * D2R_LO)
}

/// sin of `d` degrees (see [`sin_cos_degrees`]).
#[inline(always)]
pub fn sind(d: f64) -> f64 {
    sin_cos_degrees(d).0
}

/// cos of `d` degrees (see [`sin_cos_degrees`]).
#[inline(always)]
pub fn cosd(d: f64) -> f64 {
    sin_cos_degrees(d).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dd::ulp_error;

    #[test]
    fn degrees_are_exact_at_the_axes_and_within_an_ulp_elsewhere() {
        for k in -8i32..=8 {
            let (s, c) = sin_cos_degrees(90.0 * k as f64);
            let (es, ec) =
                [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, 0.0)][k.rem_euclid(4) as usize];
            assert_eq!((s, c), (es, ec), "{k}·90°");
        }
        for d in [
            1e-300,
            0.5,
            30.0,
            44.9,
            45.0,
            60.0,
            123.456,
            -271.0,
            1e6 + 0.25,
            3.5e13,
        ] {
            let (s, c) = sin_cos_degrees(d);
            // Reference: d − 360·m exactly, then double-double radians.
            let m = (d / 360.0).round();
            let r = (Dd::from(d - 360.0 * m)) * Dd::new(D2R_HI, D2R_LO);
            let (rs, rc) = r.sin_cos();
            assert!(ulp_error(s, rs.to_f64()) <= 1.0, "sind({d})");
            assert!(ulp_error(c, rc.to_f64()) <= 1.0, "cosd({d})");
        }
    }

    #[test]
    fn radians_and_degrees_round_the_exact_product() {
        assert_eq!(radians(180.0), std::f64::consts::PI);
        assert_eq!(degrees(std::f64::consts::PI), 180.0);
        for x in [1.0, 0.1, 33.3, -1e5, 7e-200] {
            let exact = Dd::from(x) * Dd::new(D2R_HI, D2R_LO);
            assert!(ulp_error(radians(x), exact.to_f64()) <= 0.5, "{x}");
        }
    }

    /// e^{i} in double-double (from 120-digit decimal values).
    const COS1: Dd = Dd {
        hi: 0.5403023058681398,
        lo: -4.760954612604417e-17,
    };
    const SIN1: Dd = Dd {
        hi: 0.8414709848078965,
        lo: 1.776845092935536e-18,
    };

    /// (cos n, sin n) by binary powering of e^{i}: no argument reduction at all,
    /// so independent of [`sin_cos_dd`]; absolute error about n · 2⁻¹⁰⁷.
    fn cis_by_powering(mut n: u64) -> (Dd, Dd) {
        let mul = |(a, b): (Dd, Dd), (c, d): (Dd, Dd)| (a * c - b * d, a * d + b * c);
        let (mut acc, mut base) = ((Dd::from(1.0), Dd::ZERO), (COS1, SIN1));
        while n > 0 {
            if n & 1 == 1 {
                acc = mul(acc, base);
            }
            base = mul(base, base);
            n >>= 1;
        }
        acc
    }

    /// Integers and doubles that stress the reduction: numerators of convergents
    /// of π/2 (|x − mπ/2| down to 5e-13), the nearest doubles to mπ/2, big integers.
    fn hard_cases() -> Vec<f64> {
        let mut xs = vec![
            0.0,
            1e-300,
            1e-8,
            0.5,
            1.0,
            11.0,
            355.0,
            52174.0,
            573204.0,
            5419351.0,
            42781604.0,
            411557987.0,
            2549491779.0,
            17969367914.0,
            21053343141.0,
            881156436695.0,
            902209779836.0,
            1e12 - 1.0,
            1e12,
            999_999_999_989.0,
            2f64.powi(40),
            2f64.powi(42),
        ];
        for m in [1u64, 2, 3, 4, 5, 100, 12345, 1 << 20, 98765432, 6 << 37] {
            let x = m as f64 * PIO2[0];
            xs.extend([x, x.next_up(), x.next_down()]);
        }
        xs.extend(xs.clone().into_iter().map(|x| -x));
        xs
    }

    /// A reproducible spread over [0, 1e12]: log-uniform magnitudes and integers.
    fn spread(count: usize) -> Vec<f64> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..count)
            .map(|i| {
                let x = 10f64.powf(next() * 15.0 - 3.0);
                if i % 2 == 0 { x.round() } else { x }
            })
            .collect()
    }

    #[test]
    fn double_double_matches_powering_at_integers() {
        for n in [
            1u64,
            2,
            7,
            355,
            1_000_000,
            100_000_000,
            902209779836,
            999_999_999_999,
        ] {
            let (s, c) = sin_cos_dd(n as f64);
            let (pc, ps) = cis_by_powering(n);
            // Powering multiplies the ~2⁻¹⁰⁷ error of the e^{i} constant by n.
            let tol = 1e-30 + n as f64 * 2e-32;
            assert!((s - ps).to_f64().abs() < tol, "sin {n}: {s:?} vs {ps:?}");
            assert!((c - pc).to_f64().abs() < tol, "cos {n}: {c:?} vs {pc:?}");
        }
    }

    #[test]
    fn within_one_ulp_of_the_double_double_reference() {
        let mut worst: f64 = 0.0;
        for x in hard_cases().into_iter().chain(spread(200_000)) {
            let (s, c) = sin_cos(x);
            let (rs, rc) = sin_cos_dd(x);
            let (es, ec) = (ulp_error(s, rs.to_f64()), ulp_error(c, rc.to_f64()));
            assert!(es <= 1.0, "sin({x:e}) = {s:e}, reference {rs:?}: {es} ulp");
            assert!(ec <= 1.0, "cos({x:e}) = {c:e}, reference {rc:?}: {ec} ulp");
            worst = worst.max(es).max(ec);
        }
        eprintln!("worst error: {worst} ulp");
    }

    #[test]
    fn within_one_ulp_of_std() {
        for x in hard_cases().into_iter().chain(spread(200_000)) {
            let (s, c) = sin_cos(x);
            let (ss, sc) = x.sin_cos();
            assert!(ulp_error(s, ss) <= 1.0, "sin({x:e}): {s:e} vs std {ss:e}");
            assert!(ulp_error(c, sc) <= 1.0, "cos({x:e}): {c:e} vs std {sc:e}");
        }
    }

    #[test]
    fn sin_and_cos_agree_with_sin_cos() {
        for x in spread(1000) {
            assert_eq!((sin(x), cos(x)), sin_cos(x));
        }
    }

    #[test]
    fn non_finite_inputs_give_nan() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let (s, c) = sin_cos(x);
            assert!(s.is_nan() && c.is_nan(), "{x}: {s} {c}");
        }
    }
}

#[cfg(test)]
mod turns_tests {
    use super::*;
    use crate::dd::ulp_error;

    /// (sin 2πa, cos 2πa) to double-double accuracy: 2πa as hi + lo, then
    /// sin(hi + lo) ≈ sin hi + lo·cos hi (the lo² term is below 2⁻¹⁰⁰).
    fn reference(a: f64) -> (f64, f64) {
        let x = Dd::from(a) * Dd::new(std::f64::consts::TAU, 2.4492935982947064e-16);
        let (s, c) = sin_cos_dd(x.hi);
        let lo = Dd::from(x.lo);
        ((s + c * lo).to_f64(), (c - s * lo).to_f64())
    }

    #[test]
    fn turns_within_one_ulp_over_the_unit_interval_and_beyond() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut worst: f64 = 0.0;
        let specials = [
            0.0,
            0.125,
            0.25,
            0.375,
            0.5,
            0.75,
            1.0 - f64::EPSILON / 2.0,
            -0.3,
            7.6,
            1e6 + 0.1,
        ];
        for i in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let a = if i < specials.len() {
                specials[i]
            } else {
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            let (s, c) = sin_cos_turns(a);
            let (rs, rc) = reference(a);
            // At quarter turns the value is exactly 0; the reference's 2π (≈ 107
            // bits) leaves about 1e-33 there.
            let err = |v: f64, r: f64| {
                if r.abs() < 1e-30 {
                    v.abs() / 1e-30
                } else {
                    ulp_error(v, r)
                }
            };
            let (es, ec) = (err(s, rs), err(c, rc));
            assert!(
                es <= 1.0 && ec <= 1.0,
                "a = {a:e}: ({s:e}, {c:e}) vs ({rs:e}, {rc:e})"
            );
            worst = worst.max(es).max(ec);
        }
        eprintln!("sin_cos_turns: worst {worst:.3} ulp");
    }
}
