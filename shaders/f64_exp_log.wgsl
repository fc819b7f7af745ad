// f64 exp, exp2, expm1, log, log2, log10, log1p, pow, cbrt and hypot for the
// GPU: the algorithms of gearbox_core::math (core/src/math/{exp,log,pow}.rs),
// line for line, with the double-double steps written out (fm_two_prod splits
// by masking bits, so it is exact whether or not the driver fuses or
// reassociates). Special cases are chosen with select, never branched on.
// Needs SHADER_INT64 (bit-level reduction). Names start with fm_ except the
// public <name>_f64 functions.

// ---- shared helpers --------------------------------------------------------

const FM_SIGN: u64 = 0x8000000000000000lu;
const FM_ABS: u64 = 0x7ffffffffffffffflu;
const FM_INF_BITS: u64 = 0x7ff0000000000000lu;

fn fm_is_nan(x: f64) -> bool {
    return (bitcast<u64>(x) & FM_ABS) > FM_INF_BITS;
}

fn fm_is_inf(x: f64) -> bool {
    return (bitcast<u64>(x) & FM_ABS) == FM_INF_BITS;
}

fn fm_inf() -> f64 {
    return bitcast<f64>(FM_INF_BITS);
}

fn fm_nan() -> f64 {
    return bitcast<f64>(0x7ff8000000000000lu);
}

// |x| with the sign of s.
fn fm_copysign(x: f64, s: f64) -> f64 {
    return bitcast<f64>((bitcast<u64>(x) & FM_ABS) | (bitcast<u64>(s) & FM_SIGN));
}

fn fm_sign_negative(x: f64) -> bool {
    return (bitcast<u64>(x) & FM_SIGN) != 0lu;
}

// 2^n for a whole n in [-1022, 1023], from its bits.
fn fm_pow2(n: f64) -> f64 {
    return bitcast<f64>(u64(i64(n) + 1023li) << 52u);
}

// y * 2^k for a whole |k| <= 2044, rounded once (two exact factors).
fn fm_scale(y: f64, k: f64) -> f64 {
    let k1 = floor(k * 0.5lf);
    return y * fm_pow2(k1) * fm_pow2(k - k1);
}

// x clamped to [-limit, limit]; NaN stays NaN.
fn fm_clamp(x: f64, limit: f64) -> f64 {
    return select(select(x, -limit, x < -limit), limit, x > limit);
}

// a + b = s + e exactly, for |a| >= |b| or a = 0.
fn fm_fast_two_sum(a: f64, b: f64) -> vec2<f64> {
    let s = fp_barrier(a + b);
    return vec2<f64>(s, b - (s - a));
}

// The top 26 significant bits of a (the rest truncated): a = hi + (a - hi)
// with both parts of at most 27 bits.
fn fm_split_hi(a: f64) -> f64 {
    return bitcast<f64>(bitcast<u64>(a) & 0xfffffffff8000000lu);
}

// a * b = p + e (Dekker's product; exact to 2^-104 relative), no fma needed.
fn fm_two_prod(a: f64, b: f64) -> vec2<f64> {
    let p = fp_barrier(a * b);
    let ah = fm_split_hi(a);
    let al = a - ah;
    let bh = fm_split_hi(b);
    let bl = b - bh;
    return vec2<f64>(p, (((ah * bh - p) + ah * bl) + al * bh) + al * bl);
}

// a - (p.x + p.y) for p an exact product close to a; the barrier keeps the
// driver from reassociating it into a - (p.x + p.y), which loses p.y.
fn fm_residual(a: f64, p: vec2<f64>) -> f64 {
    return fp_barrier(a - p.x) - p.y;
}

fn fm_dd_mul(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let p = fm_two_prod(a.x, b.x);
    return fm_fast_two_sum(p.x, p.y + (a.x * b.y + a.y * b.x));
}

fn fm_dd_div(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let q = fp_barrier(a.x / b.x);
    let p = fm_two_prod(q, b.x);
    let r = (fm_residual(a.x, p) + a.y) - q * b.y;
    return fm_fast_two_sum(q, r / b.x);
}

fn fm_dd_add(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let s = two_sum(a.x, b.x);
    return fm_fast_two_sum(s.x, s.y + (a.y + b.y));
}

// sqrt(a.x + a.y) as a double-double; 0 and infinity pass through.
fn fm_dd_sqrt(a: vec2<f64>) -> vec2<f64> {
    let r = sqrt(a.x);
    let p = fm_two_prod(r, r);
    let c = (fm_residual(a.x, p) + a.y) / (2.0lf * r);
    return fm_fast_two_sum(r, select(0.0lf, c, r > 0.0lf && !fm_is_inf(r)));
}

// ---- exp family ------------------------------------------------------------

const FM_INV_LN2: f64 = 1.4426950408889634lf;
const FM_LN2_HI: f64 = 6.931471803691238e-1lf; // 33 bits: k * FM_LN2_HI exact
const FM_LN2_LO: f64 = 1.9082149292705877e-10lf;
const FM_LN2: f64 = 0.6931471805599453lf;
const FM_LN2_TAIL: f64 = 2.3190468138462996e-17lf;
const FM_P1: f64 = 1.6666666666666602e-1lf;
const FM_P2: f64 = -2.7777777777015593e-3lf;
const FM_P3: f64 = 6.613756321437934e-5lf;
const FM_P4: f64 = -1.6533902205465252e-6lf;
const FM_P5: f64 = 4.1381367970572385e-8lf;

// e^x within 1 ulp (fdlibm's rational form).
fn exp_f64(x_in: f64) -> f64 {
    let x = fm_clamp(x_in, 800.0lf);
    let k = round(x * FM_INV_LN2);
    let hi = x - k * FM_LN2_HI;
    let lo = k * FM_LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (FM_P1 + t * (FM_P2 + t * (FM_P3 + t * (FM_P4 + t * FM_P5))));
    let y = 1.0lf - ((lo - (r * c) / (2.0lf - c)) - hi);
    return fm_scale(y, k);
}

// e^(rh + rl) - 1 as a double-double, |rh| <= 0.35 (Taylor to r^14).
fn fm_expm1_kernel(rh: f64, rl: f64) -> vec2<f64> {
    let p = fm_two_prod(rh, rh);
    var t = 1.1470745597729725e-11lf;
    t = 1.6059043836821613e-10lf + rh * t;
    t = 2.08767569878681e-09lf + rh * t;
    t = 2.505210838544172e-08lf + rh * t;
    t = 2.755731922398589e-07lf + rh * t;
    t = 2.7557319223985893e-06lf + rh * t;
    t = 2.48015873015873e-05lf + rh * t;
    t = 0.0001984126984126984lf + rh * t;
    t = 0.001388888888888889lf + rh * t;
    t = 0.008333333333333333lf + rh * t;
    t = 0.041666666666666664lf + rh * t;
    t = 0.16666666666666666lf + rh * t;
    let tail = (rh * p.x) * t;
    let s = fm_fast_two_sum(rh, 0.5lf * p.x);
    let lo = s.y + 0.5lf * p.y + tail + rl * (1.0lf + rh + 0.5lf * p.x);
    return fm_fast_two_sum(s.x, lo);
}

// e^(xh + xl) = 2^k (h + l) as vec3(k, h, l), for |xh| <= 800.
fn fm_exp_parts(xh: f64, xl: f64) -> vec3<f64> {
    let k = round(xh * FM_INV_LN2);
    let r = two_sum(xh - k * FM_LN2_HI, xl - k * FM_LN2_LO);
    let q = fm_expm1_kernel(r.x, r.y);
    let h = fm_fast_two_sum(1.0lf, q.x);
    return vec3<f64>(k, h.x, h.y + q.y);
}

// e^(xh + xl) rounded once.
fn fm_exp_dd(xh: f64, xl: f64) -> f64 {
    let big = !(abs(xh) <= 800.0lf);
    let e = fm_exp_parts(fm_clamp(xh, 800.0lf), select(xl, 0.0lf, big));
    return fm_scale(e.y + e.z, e.x);
}

// 2^x within 1 ulp.
fn exp2_f64(x_in: f64) -> f64 {
    let x = fm_clamp(x_in, 1100.0lf);
    let k = round(x);
    let f = x - k;
    let r = fm_two_prod(f, FM_LN2);
    let q = fm_expm1_kernel(r.x, r.y + f * FM_LN2_TAIL);
    let h = fm_fast_two_sum(1.0lf, q.x);
    return fm_scale(h.x + (h.y + q.y), k);
}

// e^x - 1 within 1 ulp.
fn expm1_f64(x: f64) -> f64 {
    let xc = select(fm_clamp(x, 800.0lf), -40.0lf, x < -40.0lf);
    let e = fm_exp_parts(xc, 0.0lf);
    let t = select(fm_pow2(-e.x), 0.0lf, e.x > 60.0lf);
    let a = two_sum(e.y, -t);
    let y = fm_scale(a.x + (a.y + e.z), e.x);
    return select(y, x, x == 0.0lf);
}

// ---- log family ------------------------------------------------------------

const FM_LG1: f64 = 6.666666666666735e-1lf;
const FM_LG2: f64 = 3.999999999940942e-1lf;
const FM_LG3: f64 = 2.857142874366239e-1lf;
const FM_LG4: f64 = 2.2222198432149784e-1lf;
const FM_LG5: f64 = 1.818357216161805e-1lf;
const FM_LG6: f64 = 1.5313837699209373e-1lf;
const FM_LG7: f64 = 1.4798198605116586e-1lf;

// x = 2^k m, m in [sqrt(1/2), sqrt(2)), as vec2(k, m), for finite x > 0.
fn fm_log_reduce(x: f64) -> vec2<f64> {
    let sub = x < 2.2250738585072014e-308lf;
    let xs = select(x, x * 18014398509481984.0lf, sub);
    let bits = i64(bitcast<u64>(xs));
    let e = (bits - 0x3fe6a09e667f3bcdli) >> 52u;
    let m = bitcast<f64>(u64(bits - (e << 52u)));
    return vec2<f64>(f64(e) - select(0.0lf, 54.0lf, sub), m);
}

// C99's special values of a logarithm at x, y elsewhere.
fn fm_log_specials(x: f64, y: f64) -> f64 {
    let pos = select(y, fm_inf(), fm_is_inf(x));
    let r = select(fm_nan(), pos, x > 0.0lf);
    return select(r, -fm_inf(), x == 0.0lf);
}

// ln x within 1 ulp (fdlibm).
fn log_f64(x: f64) -> f64 {
    let km = fm_log_reduce(x);
    let k = km.x;
    let f = km.y - 1.0lf;
    let hfsq = 0.5lf * f * f;
    let s = f / (2.0lf + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (FM_LG2 + w * (FM_LG4 + w * FM_LG6));
    let t2 = z * (FM_LG1 + w * (FM_LG3 + w * (FM_LG5 + w * FM_LG7)));
    let r = t2 + t1;
    let y = k * FM_LN2_HI - ((hfsq - (s * (hfsq + r) + k * FM_LN2_LO)) - f);
    return fm_log_specials(x, y);
}

// ln(xh + xl) as a double-double (about 2^-70 relative), finite xh > 0.
fn fm_log_dd(xh: f64, xl: f64) -> vec2<f64> {
    let km = fm_log_reduce(xh);
    let k = km.x;
    let m = km.y;
    let ml = xl * fm_pow2(fm_clamp(-k, 1000.0lf));
    let lo_b = m < 0.8944271909999159lf;
    let hi_b = m > 1.118033988749895lf;
    let b = select(select(1.0lf, 1.25lf, hi_b), 0.8lf, lo_b);
    let lbh = select(select(0.0lf, 0.22314355131420976lf, hi_b), -0.2231435513142097lf, lo_b);
    let lbl = select(select(0.0lf, -9.091270597324799e-18lf, hi_b), 9.091270597324798e-18lf, lo_b);
    let n = two_sum(m - b, ml);
    let d = two_sum(m, b);
    let dl = d.y + ml;
    let sh = fp_barrier(n.x / d.x);
    let p = fm_two_prod(sh, d.x);
    let sl = ((fm_residual(n.x, p) + n.y) - sh * dl) / d.x;
    let a = fm_two_prod(sh, sh);
    let c = fm_two_prod(a.x, sh);
    let cube_lo = c.y + a.y * sh + 3.0lf * a.x * sl;
    let t = fm_two_prod(c.x, 0.6666666666666666lf);
    let te = t.y + c.x * 3.700743415417188e-17lf + 0.6666666666666666lf * cube_lo;
    let z = a.x;
    let poly = 0.4lf + z * (0.2857142857142857lf + z * (0.2222222222222222lf
        + z * (0.18181818181818182lf + z * (0.15384615384615385lf + z * 0.13333333333333333lf))));
    let tail = (c.x * z) * poly;
    let u = two_sum(k * FM_LN2_HI, lbh);
    let v = two_sum(u.x, 2.0lf * sh);
    let w = two_sum(v.x, t.x);
    let lo = (u.y + v.y + w.y) + (k * FM_LN2_LO + lbl) + (2.0lf * sl + te + tail);
    return fm_fast_two_sum(w.x, lo);
}

// ln(xh + xl) * (c.x + c.y), rounded once.
fn fm_scaled_log(xh: f64, xl: f64, c: vec2<f64>) -> f64 {
    let l = fm_log_dd(xh, xl);
    let p = fm_two_prod(l.x, c.x);
    return p.x + (p.y + (l.x * c.y + l.y * c.x));
}

// log2 x within 1 ulp.
fn log2_f64(x: f64) -> f64 {
    return fm_log_specials(x, fm_scaled_log(x, 0.0lf, vec2<f64>(1.4426950408889634lf, 2.0355273740931033e-17lf)));
}

// log10 x within 1 ulp.
fn log10_f64(x: f64) -> f64 {
    return fm_log_specials(x, fm_scaled_log(x, 0.0lf, vec2<f64>(0.4342944819032518lf, 1.098319650216765e-17lf)));
}

// ln(1 + x) within 1 ulp.
fn log1p_f64(x: f64) -> f64 {
    let h = two_sum(1.0lf, x);
    let y = fm_log_specials(h.x, fm_scaled_log(h.x, h.y, vec2<f64>(1.0lf, 0.0lf)));
    return select(y, x, abs(x) < 1e-18lf);
}

// ---- pow, cbrt, hypot --------------------------------------------------------

fn fm_is_odd(y: f64) -> bool {
    let h = 0.5lf * y;
    return y == trunc_f64(y) && h != trunc_f64(h);
}

// x^y within 1 ulp, with C99's special cases.
fn pow_f64(x: f64, y: f64) -> f64 {
    let ax = abs(x);
    let l = fm_log_dd(ax, 0.0lf);
    let w = fm_two_prod(y, l.x);
    var r = fm_exp_dd(w.x, w.y + y * l.y);
    let odd = fm_is_odd(y);
    r = select(r, -r, x < 0.0lf && odd);
    let edge0 = select(0.0lf, fm_inf(), (ax == 0.0lf) == (y < 0.0lf));
    let edge = select(edge0, -edge0, odd && fm_sign_negative(x));
    let y_inf = select(select(0.0lf, fm_inf(), (ax < 1.0lf) == (y < 0.0lf)), 1.0lf, ax == 1.0lf);
    r = select(r, edge, ax == 0.0lf || fm_is_inf(ax));
    r = select(r, y_inf, fm_is_inf(y));
    r = select(r, fm_nan(), x < 0.0lf && !fm_is_inf(x) && y != trunc_f64(y));
    r = select(r, fm_nan(), fm_is_nan(x) || fm_is_nan(y));
    return select(r, 1.0lf, y == 0.0lf || x == 1.0lf);
}

// cbrt x within 1 ulp (fdlibm).
fn cbrt_f64(x: f64) -> f64 {
    let ax = abs(x);
    let sub = ax < 2.2250738585072014e-308lf;
    let a = select(ax, ax * 18014398509481984.0lf, sub);
    let hi = u32(bitcast<u64>(a) >> 32u);
    var t = bitcast<f64>(u64(hi / 3u + 715094163u) << 32u);
    var r = (t * t) * (t / a);
    t = t * ((1.87595182427177lf + r * (-1.8849797954337717lf + r * 1.6214297201053545lf))
        + ((r * r) * r) * (-0.758397934778766lf + r * 0.14599619288661245lf));
    t = bitcast<f64>((bitcast<u64>(t) + 0x80000000lu) & 0xffffffffc0000000lu);
    let s = t * t;
    let q = a / s;
    let w = t + t;
    t = t + t * ((q - t) / (w + q));
    t = select(t, t * 3.814697265625e-6lf, sub);
    return select(fm_copysign(t, x), x, ax == 0.0lf || fm_is_inf(ax) || fm_is_nan(ax));
}

// sqrt(x^2 + y^2) within 1 ulp, no spurious overflow or underflow.
fn hypot_f64(x: f64, y: f64) -> f64 {
    let ax = abs(x);
    let ay = abs(y);
    let big = max(ax, ay);
    let small = min(ax, ay);
    let pre = select(select(1.0lf, fm_pow2(600.0lf), big < 1e-300lf), fm_pow2(-600.0lf), big > 1e300lf);
    let b0 = big * pre;
    let e = f64(i32(bitcast<u64>(b0) >> 52u) - 1023);
    let down = fm_pow2(-e);
    let b = b0 * down;
    let s = small * pre * down;
    let p = fm_two_prod(b, b);
    let q = fm_two_prod(s, s);
    let h = two_sum(p.x, q.x);
    let rt = fm_dd_sqrt(vec2<f64>(h.x, h.y + p.y + q.y));
    var r = (rt.x + rt.y) * fm_pow2(e) / pre;
    r = select(r, 0.0lf, big == 0.0lf);
    r = select(r, fm_nan(), fm_is_nan(x) || fm_is_nan(y));
    return select(r, fm_inf(), fm_is_inf(ax) || fm_is_inf(ay));
}
