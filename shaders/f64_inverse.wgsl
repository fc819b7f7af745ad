// f64 atan, atan2, asin, acos and the hyperbolic functions sinh, cosh, tanh,
// asinh, acosh, atanh for the GPU: the algorithms of gearbox_core::math
// (core/src/math/{inverse,hyperbolic}.rs). Uses f64_exp_log.wgsl's helpers.

const FM_PI_HI: f64 = 3.141592653589793lf;
const FM_PI_LO: f64 = 1.2246467991473532e-16lf;
const FM_PIO2_HI: f64 = 1.5707963267948966lf;
const FM_PIO2_LO: f64 = 6.123233995736766e-17lf;
const FM_AT0: f64 = 3.333333333333293e-1lf;
const FM_AT1: f64 = -1.9999999999876483e-1lf;
const FM_AT2: f64 = 1.4285714272503466e-1lf;
const FM_AT3: f64 = -1.1111110405462356e-1lf;
const FM_AT4: f64 = 9.090887133436507e-2lf;
const FM_AT5: f64 = -7.69187620504483e-2lf;
const FM_AT6: f64 = 6.661073137387531e-2lf;
const FM_AT7: f64 = -5.8335701337905735e-2lf;
const FM_AT8: f64 = 4.9768779946159324e-2lf;
const FM_AT9: f64 = -3.6531572744216916e-2lf;
const FM_AT10: f64 = 1.6285820115365782e-2lf;

// atan a for a >= 0 (or NaN) plus corr, as an unrounded pair (fdlibm's five
// intervals, chosen with select).
fn fm_atan_parts(a: f64, corr: f64) -> vec2<f64> {
    let i0 = a < 0.4375lf;
    let i1 = a < 0.6875lf;
    let i2 = a < 1.1875lf;
    let i3 = a < 2.4375lf;
    let na = select(0.0lf, select(select(select(1.0lf, 1.0lf, i2), 2.0lf, i1), 1.0lf, i0), i3);
    let nb = select(-1.0lf, select(select(select(-1.5lf, -1.0lf, i2), -1.0lf, i1), 0.0lf, i0), i3);
    let da = select(1.0lf, select(select(select(1.5lf, 1.0lf, i2), 1.0lf, i1), 0.0lf, i0), i3);
    let db = select(0.0lf, select(select(select(1.0lf, 1.0lf, i2), 2.0lf, i1), 1.0lf, i0), i3);
    let hi = select(FM_PIO2_HI, select(select(select(9.82793723247329e-1lf, 7.853981633974483e-1lf, i2),
        4.636476090008061e-1lf, i1), 0.0lf, i0), i3);
    let lo = select(FM_PIO2_LO, select(select(select(1.3903311031230998e-17lf, 3.061616997868383e-17lf, i2),
        2.2698777452961687e-17lf, i1), 0.0lf, i0), i3);
    let den = da * a + db;
    let t = select((na * a + nb) / den, -1.0lf / a, !i3);
    let dt = corr * (na * db - nb * da) / (den * den);
    let z = t * t;
    let w = z * z;
    let s1 = z * (FM_AT0 + w * (FM_AT2 + w * (FM_AT4 + w * (FM_AT6 + w * (FM_AT8 + w * FM_AT10)))));
    let s2 = w * (FM_AT1 + w * (FM_AT3 + w * (FM_AT5 + w * (FM_AT7 + w * FM_AT9))));
    let h = two_sum(hi, t);
    return vec2<f64>(h.x, h.y + ((lo - t * (s1 + s2)) + dt / (1.0lf + z)));
}

// atan x within 1 ulp.
fn atan_f64(x: f64) -> f64 {
    let p = fm_atan_parts(abs(x), 0.0lf);
    return fm_copysign(p.x + p.y, x);
}

// atan(y/x) in the quadrant of (x, y) within 1 ulp, C99's special cases.
fn atan2_f64(y: f64, x: f64) -> f64 {
    // Scaled by 2^600 when y is tiny, so that the residual never works on
    // subnormal products (fm_two_prod is inexact there).
    let up = select(1.0lf, fm_pow2(600.0lf), abs(y) < 1e-290lf);
    let ax = abs(x) * up;
    let ay = abs(y) * up;
    let q = fp_barrier(ay / ax);
    let p = fm_two_prod(q, ax);
    let ql = select(0.0lf, fm_residual(ay, p) / ax, q < 1e300lf && q > 1e-300lf);
    var hl = fm_atan_parts(q, ql);
    let both_zero = ax == 0.0lf && ay == 0.0lf;
    let both_inf = fm_is_inf(ax) && fm_is_inf(ay);
    hl = select(hl, vec2<f64>(0.7853981633974483lf, 3.061616997868383e-17lf), both_inf);
    hl = select(hl, vec2<f64>(0.0lf, 0.0lf), both_zero);
    let a = fm_dd_add(vec2<f64>(FM_PI_HI, FM_PI_LO), -hl);
    let left = a.x + a.y;
    let r = fm_copysign(select(hl.x + hl.y, left, fm_sign_negative(x)), y);
    return select(r, x + y, fm_is_nan(x) || fm_is_nan(y));
}

// (asin s - s)/s for t = s^2 <= 1/4 (fdlibm's rational form).
fn fm_asin_ratio(t: f64) -> f64 {
    let p = t * (1.6666666666666666e-1lf + t * (-3.255658186224009e-1lf + t * (2.0121253213486293e-1lf
        + t * (-4.005553450067941e-2lf + t * (7.915349942898145e-4lf + t * 3.4793310759602117e-5lf)))));
    let q = 1.0lf + t * (-2.403394911734414lf + t * (2.0209457602335057lf
        + t * (-6.882839716054533e-1lf + t * 7.703815055590194e-2lf)));
    return p / q;
}

// c - sigma (v + vl)(1 + R(t)), rounded once: |x| < 1/2 uses (x, 0, x^2) and
// small's (c.x, c.y, sigma); |x| >= 1/2 uses v + vl = 2 sqrt(t), t = (1 - |x|)/2.
fn fm_arc(x: f64, small: vec3<f64>, big: vec3<f64>) -> f64 {
    let ax = abs(x);
    let is_small = ax < 0.5lf;
    let t = select(0.5lf * (1.0lf - ax), x * x, is_small);
    let s = fm_dd_sqrt(vec2<f64>(t, 0.0lf));
    let v = select(2.0lf * s.x, x, is_small);
    let vl = select(2.0lf * s.y, 0.0lf, is_small);
    let c = select(big, small, is_small);
    let w = fm_asin_ratio(t);
    let a = two_sum(c.x, -c.z * v);
    return a.x + ((a.y + c.y) - c.z * (vl + v * w));
}

// asin x within 1 ulp.
fn asin_f64(x: f64) -> f64 {
    let r = fm_copysign(fm_arc(abs(x), vec3<f64>(0.0lf, 0.0lf, -1.0lf), vec3<f64>(FM_PIO2_HI, FM_PIO2_LO, 1.0lf)), x);
    return select(r, fm_nan(), abs(x) > 1.0lf);
}

// acos x within 1 ulp.
fn acos_f64(x: f64) -> f64 {
    let big = select(vec3<f64>(0.0lf, 0.0lf, -1.0lf), vec3<f64>(FM_PI_HI, FM_PI_LO, 1.0lf), x < 0.0lf);
    let r = fm_arc(x, vec3<f64>(FM_PIO2_HI, FM_PIO2_LO, 1.0lf), big);
    return select(r, fm_nan(), abs(x) > 1.0lf);
}

// ---- hyperbolic ----------------------------------------------------------------

// e^a - 1 as a double-double for 0 <= a <= 80.
fn fm_expm1_dd(a: f64) -> vec2<f64> {
    let e = fm_exp_parts(a, 0.0lf);
    let s = two_sum(e.y, -fm_pow2(-e.x));
    let m = fm_fast_two_sum(s.x, s.y + e.z);
    let p = fm_pow2(e.x);
    return m * p;
}

// e^a / 2 for a > 40.
fn fm_half_exp(a: f64) -> f64 {
    let e = fm_exp_parts(select(a, 800.0lf, a > 800.0lf), 0.0lf);
    return fm_scale(e.y + e.z, e.x - 1.0lf);
}

// sinh x within 1 ulp.
fn sinh_f64(x: f64) -> f64 {
    let a = abs(x);
    let e = fm_expm1_dd(select(a, 40.0lf, a > 40.0lf));
    let p = two_sum(e.x, 2.0lf);
    let n = fm_dd_mul(e, vec2<f64>(p.x, p.y + e.y));
    let d = two_sum(e.x, 1.0lf);
    let q = fm_dd_div(n, vec2<f64>(2.0lf * d.x, 2.0lf * (d.y + e.y)));
    let r = select(q.x + q.y, fm_half_exp(a), a > 40.0lf);
    return select(fm_copysign(r, x), x, a < 1e-9lf);
}

// cosh x within 1 ulp.
fn cosh_f64(x: f64) -> f64 {
    let a = abs(x);
    let e = fm_expm1_dd(select(a, 40.0lf, a > 40.0lf));
    let big_e = two_sum(1.0lf, e.x);
    let ee = vec2<f64>(big_e.x, big_e.y + e.y);
    let inv = fm_dd_div(vec2<f64>(1.0lf, 0.0lf), ee);
    let s = fm_dd_add(ee, inv);
    return select(0.5lf * (s.x + s.y), fm_half_exp(a), a > 40.0lf);
}

// tanh x within 1 ulp.
fn tanh_f64(x: f64) -> f64 {
    let a = abs(x);
    let e = fm_expm1_dd(select(2.0lf * a, 80.0lf, a > 40.0lf));
    let d = two_sum(e.x, 2.0lf);
    let q = fm_dd_div(e, vec2<f64>(d.x, d.y + e.y));
    return select(fm_copysign(q.x + q.y, x), x, a < 1e-9lf);
}

// ln(u.x + u.y) (+ ln 2 if double), rounded once.
fn fm_log_rounded(u: vec2<f64>, double: bool) -> f64 {
    let l = fm_log_dd(u.x, u.y);
    let c = select(vec2<f64>(0.0lf, 0.0lf), vec2<f64>(FM_LN2, FM_LN2_TAIL), double);
    let s = fm_dd_add(l, c);
    return s.x + s.y;
}

// asinh x within 1 ulp.
fn asinh_f64(x: f64) -> f64 {
    let a = abs(x);
    let large = a > 268435456.0lf;
    let p = fm_two_prod(a, a);
    let s = two_sum(1.0lf, p.x);
    let r = fm_dd_sqrt(vec2<f64>(s.x, s.y + p.y));
    let u = two_sum(a, r.x);
    let uu = select(vec2<f64>(u.x, u.y + r.y), vec2<f64>(a, 0.0lf), large);
    let y = fm_copysign(fm_log_rounded(uu, large), x);
    return select(y, x, a < 1e-9lf || fm_is_inf(a));
}

// acosh x within 1 ulp (NaN below 1).
fn acosh_f64(x: f64) -> f64 {
    let large = x > 268435456.0lf;
    let p = fm_two_prod(x, x);
    let s = two_sum(p.x, -1.0lf);
    let r = fm_dd_sqrt(vec2<f64>(s.x, s.y + p.y));
    let u = two_sum(x, r.x);
    let uu = select(vec2<f64>(u.x, u.y + r.y), vec2<f64>(x, 0.0lf), large);
    let y = fm_log_rounded(uu, large);
    return select(select(fm_nan(), y, x >= 1.0lf), x, fm_is_inf(x) && x > 0.0lf);
}

// atanh x within 1 ulp (+-inf at +-1, NaN beyond).
fn atanh_f64(x: f64) -> f64 {
    let a = abs(x);
    let n = two_sum(1.0lf, a);
    let d = two_sum(1.0lf, -a);
    let q = fm_dd_div(n, d);
    let y = fm_copysign(0.5lf * fm_log_rounded(q, false), x);
    var r = select(fm_nan(), fm_copysign(fm_inf(), x), a == 1.0lf);
    r = select(r, y, a < 1.0lf);
    return select(r, x, a < 1e-9lf);
}
