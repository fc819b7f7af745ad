// f64 sine and cosine for the GPU, the algorithm of gearbox_core::math (Rust):
// the f64 sin/cos built-ins are silently wrong on lavapipe (docs/GPU.md), so
// these use only + - * / floor and select.
//   1. j = round_f64(x * 2/pi) (ties to even), q = j mod 4;
//   2. r = x - j*pi/2 as a double-double, with pi/2 split in three doubles and
//      j*c0, j*c1 formed exactly (Dekker's product: j is cut into two 21-bit
//      halves and c0, c1 are stored pre-split in 26-bit halves, so every partial
//      product is exact with or without fused multiply-adds); accurate for
//      |x| <= 2^42 (about 4.4e12);
//   3. fdlibm's minimax kernels on [-pi/4, pi/4] (error < 1 ulp);
//   4. the quadrant swaps and negates the two results with select.
// Prepended by the wgpu backend to every workload's WGSL. Names start with fm_
// except the public functions sin_f64, cos_f64, sincos_f64, tan_f64, radians_f64,
// degrees_f64, sincosd_f64, sind_f64, cosd_f64, round_f64 and trunc_f64.

const FM_FRAC_2_PI: f64 = 0.6366197723675814lf;
// pi/2 = C0 + C1 + C2; C0 = C0_HI + C0_LO and C1 = C1_HI + C1_LO (26-bit halves).
const FM_PIO2_C0: f64 = 1.5707963267948966lf;
const FM_PIO2_C0_HI: f64 = 1.5707963407039642lf;
const FM_PIO2_C0_LO: f64 = -1.3909067675399456e-8lf;
const FM_PIO2_C1: f64 = 6.123233995736766e-17lf;
const FM_PIO2_C1_HI: f64 = 6.123233932053594e-17lf;
const FM_PIO2_C1_LO: f64 = 6.368317178484799e-25lf;
const FM_PIO2_C2: f64 = -1.4973849048591698e-33lf;

// fdlibm __kernel_sin and __kernel_cos coefficients.
const FM_S1: f64 = -1.6666666666666632e-1lf;
const FM_S2: f64 = 8.33333333332249e-3lf;
const FM_S3: f64 = -1.984126982985795e-4lf;
const FM_S4: f64 = 2.7557313707070068e-6lf;
const FM_S5: f64 = -2.5050760253406863e-8lf;
const FM_S6: f64 = 1.58969099521155e-10lf;
const FM_C1: f64 = 4.1666666666666602e-2lf;
const FM_C2: f64 = -1.388888888887411e-3lf;
const FM_C3: f64 = 2.480158728947673e-5lf;
const FM_C4: f64 = -2.7557314351390663e-7lf;
const FM_C5: f64 = 2.087572321298175e-9lf;
const FM_C6: f64 = -1.1359647557788195e-11lf;

// j * (c_hi + c_lo) = p + e exactly, for a whole number 0 <= |j| < 2^42 and a
// constant c = c_hi + c_lo pre-split in 26-bit halves (Dekker), as vec2(p, e).
fn fm_two_prod_j(j: f64, c: f64, c_hi: f64, c_lo: f64) -> vec2<f64> {
    let j_hi = trunc(j * 4.76837158203125e-7lf) * 2097152.0lf; // 2^-21, 2^21; trunc keeps |j_lo| < 2^21 for negative j too
    let j_lo = j - j_hi;
    let p = j * c;
    let e = (((j_hi * c_hi - p) + j_hi * c_lo) + j_lo * c_hi) + j_lo * c_lo;
    return vec2<f64>(p, e);
}

// sin(x + y) for |x| <= pi/4, |y| <= ulp(x)/2.
fn fm_kernel_sin(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = FM_S2 + z * (FM_S3 + z * FM_S4) + z * w * (FM_S5 + z * FM_S6);
    let v = z * x;
    return x - ((z * (0.5lf * y - v * r) - y) - v * FM_S1);
}

// cos(x + y) for |x| <= pi/4, |y| <= ulp(x)/2.
fn fm_kernel_cos(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z * (FM_C1 + z * (FM_C2 + z * FM_C3)) + w * w * (FM_C4 + z * (FM_C5 + z * FM_C6));
    let hz = 0.5lf * z;
    let v = fp_barrier(1.0lf - hz); // keep (1 - v) - hz from being folded to 0
    return v + (((1.0lf - v) - hz) + (z * r - x * y));
}

// x rounded to a whole number, ties to even, from floor alone: lavapipe's f64
// round() is wrong from 2^24 on (it returned 2^24 - 1 + ... for cos's j, so
// cos(k) read as 1 for every k past 2.6e7). Whole |x| >= 2^52 pass through.
fn round_f64(x: f64) -> f64 {
    let r = floor(x + 0.5lf); // x + 0.5 is exact for |x| < 2^52
    let tie_to_odd = (r - x) == 0.5lf && (r - 2.0lf * floor(r * 0.5lf)) == 1.0lf;
    return select(select(r, r - 1.0lf, tie_to_odd), x, abs(x) >= 4503599627370496.0lf);
}

// x rounded toward zero: lavapipe's f64 trunc() is wrong past 2^31; floor and
// ceil are right at every magnitude.
fn trunc_f64(x: f64) -> f64 {
    return select(floor(x), ceil(x), x < 0.0lf);
}

// x = j*pi/2 + (r_hi + r_lo) as vec3(r_hi, r_lo, j), |r| <~ pi/4.
fn fm_reduce(x: f64) -> vec3<f64> {
    let j = round_f64(x * FM_FRAC_2_PI);
    let pe0 = fm_two_prod_j(j, FM_PIO2_C0, FM_PIO2_C0_HI, FM_PIO2_C0_LO);
    let pe1 = fm_two_prod_j(j, FM_PIO2_C1, FM_PIO2_C1_HI, FM_PIO2_C1_LO);
    // x and j*C0 are within a factor of two of each other (or j = 0): exact.
    let t = x - pe0.x;
    let a = two_sum(t, -pe0.y);
    let b = two_sum(a.x, -pe1.x);
    let lo = (a.y + b.y) - (pe1.y + j * FM_PIO2_C2);
    let r = two_sum(b.x, lo);
    return vec3<f64>(r.x, r.y, j);
}

// vec2(sin x, cos x), each within 1 ulp for |x| <= 2^42.
fn sincos_f64(x: f64) -> vec2<f64> {
    let red = fm_reduce(x);
    return fm_quadrant(red.z, red.x, red.y);
}

// vec2(sin, cos) of j quarter turns plus r + rr radians (|r| <~ pi/4, j whole):
// the kernels, then the quadrant's swap and signs.
fn fm_quadrant(j: f64, r: f64, rr: f64) -> vec2<f64> {
    let s = fm_kernel_sin(r, rr);
    let c = fm_kernel_cos(r, rr);
    let q = j - 4.0lf * floor(j * 0.25lf); // 0, 1, 2 or 3
    let odd = q == 1.0lf || q == 3.0lf;
    let s1 = select(s, c, odd);
    let c1 = select(c, s, odd);
    return vec2<f64>(select(s1, -s1, q >= 2.0lf), select(c1, -c1, q == 1.0lf || q == 2.0lf));
}

// pi/180 and 180/pi as double-doubles.
const FM_D2R_HI: f64 = 0.017453292519943295lf;
const FM_D2R_LO: f64 = 2.9486522708701687e-19lf;
const FM_R2D_HI: f64 = 57.29577951308232lf;
const FM_R2D_LO: f64 = -1.9878495670576283e-15lf;

// x degrees in radians: x*pi/180 rounded from a double-double product.
fn radians_f64(x: f64) -> f64 {
    let p = two_prod(x, FM_D2R_HI);
    return p.x + (p.y + x * FM_D2R_LO);
}

// x radians in degrees: x*180/pi rounded from a double-double product.
fn degrees_f64(x: f64) -> f64 {
    let p = two_prod(x, FM_R2D_HI);
    return p.x + (p.y + x * FM_R2D_LO);
}

// vec2(sin, cos) of d degrees, each within 1 ulp for |d| < 2^45 and exact at
// multiples of 90: d = 90*j + t exactly, then t*pi/180 as a double-double.
fn sincosd_f64(d: f64) -> vec2<f64> {
    let j = round_f64(d * (1.0lf / 90.0lf));
    let t = d - j * 90.0lf; // exact
    let p = two_prod(t, FM_D2R_HI);
    return fm_quadrant(j, p.x, p.y + t * FM_D2R_LO);
}

// sin of d degrees.
fn sind_f64(d: f64) -> f64 {
    return sincosd_f64(d).x;
}

// cos of d degrees.
fn cosd_f64(d: f64) -> f64 {
    return sincosd_f64(d).y;
}

// sin x within 1 ulp for |x| <= 2^42.
fn sin_f64(x: f64) -> f64 {
    return sincos_f64(x).x;
}

// cos x within 1 ulp for |x| <= 2^42.
fn cos_f64(x: f64) -> f64 {
    return sincos_f64(x).y;
}

// fdlibm __kernel_tan coefficients: tan(x) ~ x + T0 x^3 + ... + T12 x^27 on [0, 0.6744].
const FM_T0: f64 = 3.333333333333341e-1lf;
const FM_T1: f64 = 1.3333333333320124e-1lf;
const FM_T2: f64 = 5.396825397622605e-2lf;
const FM_T3: f64 = 2.1869488294859542e-2lf;
const FM_T4: f64 = 8.8632398235993e-3lf;
const FM_T5: f64 = 3.5920791075913124e-3lf;
const FM_T6: f64 = 1.4562094543252903e-3lf;
const FM_T7: f64 = 5.880412408202641e-4lf;
const FM_T8: f64 = 2.464631348184699e-4lf;
const FM_T9: f64 = 7.817944429395571e-5lf;
const FM_T10: f64 = 7.140724913826082e-5lf;
const FM_T11: f64 = -1.8558637485527546e-5lf;
const FM_T12: f64 = 2.590730518636337e-5lf;
const FM_PIO4: f64 = 0.7853981633974483lf;
const FM_PIO4_LO: f64 = 3.061616997868383e-17lf;

// tan(x + y) for |x| <= pi/4, or -1/tan(x + y) if cot; both of fdlibm's
// paths evaluated, one selected.
fn fm_kernel_tan(x0: f64, y0: f64, cot: bool) -> f64 {
    let big = abs(x0) >= 0.6744lf;
    let neg = x0 < 0.0lf;
    let xa = select(x0, -x0, neg);
    let ya = select(y0, -y0, neg);
    let x = select(x0, (FM_PIO4 - xa) + (FM_PIO4_LO - ya), big);
    let y = select(y0, 0.0lf, big);
    let z = x * x;
    let w = z * z;
    let r0 = FM_T1 + w * (FM_T3 + w * (FM_T5 + w * (FM_T7 + w * (FM_T9 + w * FM_T11))));
    let v = z * (FM_T2 + w * (FM_T4 + w * (FM_T6 + w * (FM_T8 + w * (FM_T10 + w * FM_T12)))));
    let s = z * x;
    let r = y + z * (s * (r0 + v) + y) + FM_T0 * s;
    let wt = fp_barrier(x + r);
    let sgn = select(1.0lf, -1.0lf, cot);
    var near = sgn - 2.0lf * (x - (wt * wt / (wt + sgn) - r));
    near = select(near, -near, neg);
    // -1/(x + r) with one correction step: d = 1 + q (x + r) ~ 0.
    let lo = r - (wt - x);
    let q = fp_barrier(-1.0lf / wt);
    let p = fm_two_prod(q, wt);
    let d = (1.0lf + p.x) + (p.y + q * lo);
    let inv = q + q * d;
    return select(select(wt, inv, cot), near, big);
}

// tan x within 1 ulp for |x| <= 2^42.
fn tan_f64(x: f64) -> f64 {
    let red = fm_reduce(x);
    let j = red.z;
    let odd = j - 2.0lf * floor(j * 0.5lf) == 1.0lf;
    return select(fm_kernel_tan(red.x, red.y, odd), x, x == 0.0lf);
}
