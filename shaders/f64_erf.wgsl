// f64 erf and erfc for the GPU: the algorithm of gearbox_core::math
// (core/src/math/erf.rs): fdlibm's four intervals, all evaluated and one
// selected, its rational approximations by compensated Horner, and erfc's
// exp(-x^2 - 0.5625 + R/S)/x as a double-double rounded once. Uses
// f64_exp_log.wgsl's helpers.

const FM_ERX: f64 = 8.450629115104675e-1lf;
const FM_ONE_MINUS_ERX: f64 = 1.5493708848953247e-1lf;

// One compensated Horner step: h * x + c.
fn fm_horner_step(h: vec2<f64>, x: f64, c: f64) -> vec2<f64> {
    let p = fm_two_prod(h.x, x);
    let s = two_sum(p.x, c);
    return vec2<f64>(s.x, (p.y + s.y) + h.y * x);
}

// p / (1 + x q) as a double-double, p and q double-doubles.
fn fm_erf_rational(p: vec2<f64>, q: vec2<f64>, x: f64) -> vec2<f64> {
    let d = fm_dd_mul(q, vec2<f64>(x, 0.0lf));
    let e = fm_fast_two_sum(1.0lf, d.x);
    return fm_dd_div(p, vec2<f64>(e.x, e.y + d.y));
}

// Sum of PP[k] x^k by compensated Horner, as a double-double.
fn fm_erf_pp(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-2.3763016656650163e-05lf, 0.0lf);
    h = fm_horner_step(h, x, -0.005770270296489442lf);
    h = fm_horner_step(h, x, -0.02848174957559851lf);
    h = fm_horner_step(h, x, -0.3250421072470015lf);
    h = fm_horner_step(h, x, 0.12837916709551256lf);
    return h;
}

// Sum of QQ[k] x^k by compensated Horner, as a double-double.
fn fm_erf_qq(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-3.960228278775368e-06lf, 0.0lf);
    h = fm_horner_step(h, x, 0.00013249473800432164lf);
    h = fm_horner_step(h, x, 0.005081306281875766lf);
    h = fm_horner_step(h, x, 0.0650222499887673lf);
    h = fm_horner_step(h, x, 0.39791722395915535lf);
    return h;
}

// Sum of PA[k] x^k by compensated Horner, as a double-double.
fn fm_erf_pa(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-0.002166375594868791lf, 0.0lf);
    h = fm_horner_step(h, x, 0.035478304325618236lf);
    h = fm_horner_step(h, x, -0.11089469428239668lf);
    h = fm_horner_step(h, x, 0.31834661990116175lf);
    h = fm_horner_step(h, x, -0.3722078760357013lf);
    h = fm_horner_step(h, x, 0.41485611868374833lf);
    h = fm_horner_step(h, x, -0.0023621185607526594lf);
    return h;
}

// Sum of QA[k] x^k by compensated Horner, as a double-double.
fn fm_erf_qa(x: f64) -> vec2<f64> {
    var h = vec2<f64>(0.011984499846799107lf, 0.0lf);
    h = fm_horner_step(h, x, 0.01363708391202905lf);
    h = fm_horner_step(h, x, 0.12617121980876164lf);
    h = fm_horner_step(h, x, 0.07182865441419627lf);
    h = fm_horner_step(h, x, 0.540397917702171lf);
    h = fm_horner_step(h, x, 0.10642088040084423lf);
    return h;
}

// Sum of RA[k] x^k by compensated Horner, as a double-double.
fn fm_erf_ra(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-9.814329344169145lf, 0.0lf);
    h = fm_horner_step(h, x, -81.2874355063066lf);
    h = fm_horner_step(h, x, -184.60509290671104lf);
    h = fm_horner_step(h, x, -162.39666946257347lf);
    h = fm_horner_step(h, x, -62.37533245032601lf);
    h = fm_horner_step(h, x, -10.558626225323291lf);
    h = fm_horner_step(h, x, -0.6938585727071818lf);
    h = fm_horner_step(h, x, -0.009864944034847148lf);
    return h;
}

// Sum of SA[k] x^k by compensated Horner, as a double-double.
fn fm_erf_sa(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-0.0604244152148581lf, 0.0lf);
    h = fm_horner_step(h, x, 6.570249770319282lf);
    h = fm_horner_step(h, x, 108.63500554177944lf);
    h = fm_horner_step(h, x, 429.00814002756783lf);
    h = fm_horner_step(h, x, 645.3872717332679lf);
    h = fm_horner_step(h, x, 434.56587747522923lf);
    h = fm_horner_step(h, x, 137.65775414351904lf);
    h = fm_horner_step(h, x, 19.651271667439257lf);
    return h;
}

// Sum of RB[k] x^k by compensated Horner, as a double-double.
fn fm_erf_rb(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-483.5191916086514lf, 0.0lf);
    h = fm_horner_step(h, x, -1025.0951316110772lf);
    h = fm_horner_step(h, x, -637.5664433683896lf);
    h = fm_horner_step(h, x, -160.63638485582192lf);
    h = fm_horner_step(h, x, -17.757954917754752lf);
    h = fm_horner_step(h, x, -0.799283237680523lf);
    h = fm_horner_step(h, x, -0.0098649429247001lf);
    return h;
}

// Sum of SB[k] x^k by compensated Horner, as a double-double.
fn fm_erf_sb(x: f64) -> vec2<f64> {
    var h = vec2<f64>(-22.44095244658582lf, 0.0lf);
    h = fm_horner_step(h, x, 474.5285412069554lf);
    h = fm_horner_step(h, x, 2553.0504064331644lf);
    h = fm_horner_step(h, x, 3199.8582195085955lf);
    h = fm_horner_step(h, x, 1536.729586084437lf);
    h = fm_horner_step(h, x, 325.7925129965739lf);
    h = fm_horner_step(h, x, 30.33806074348246lf);
    return h;
}

// erfc a for a >= 1.25 (0 beyond 28), rounded once.
fn fm_erfc_tail(a_in: f64) -> f64 {
    let a = select(a_in, 28.0lf, a_in > 28.0lf);
    let p = fm_two_prod(a, a);
    let sd = fm_dd_div(vec2<f64>(1.0lf, 0.0lf), p);
    let s = sd.x + sd.y;
    let near = a < 2.857142857142857lf;
    let ra = fm_erf_rational(fm_erf_ra(s), fm_erf_sa(s), s);
    let rb = fm_erf_rational(fm_erf_rb(s), fm_erf_sb(s), s);
    let r = select(rb, ra, near);
    let e0 = two_sum(-p.x, -0.5625lf);
    let e = fm_dd_add(vec2<f64>(e0.x, e0.y - p.y), r);
    let parts = fm_exp_parts(e.x, e.y);
    let v = fm_dd_div(parts.yz, vec2<f64>(a, 0.0lf));
    return fm_scale(v.x + v.y, parts.x);
}

// erf x within 1 ulp.
fn erf_f64(x: f64) -> f64 {
    let a = abs(x);
    let z = x * x;
    let y = fm_erf_rational(fm_erf_pp(z), fm_erf_qq(z), z);
    let small = select(x + x * (y.x + y.y), x * 1.1283791670955126lf, a < 1e-9lf);
    let s = a - 1.0lf;
    let m = fm_erf_rational(fm_erf_pa(s), fm_erf_qa(s), s);
    let mid = fm_copysign(FM_ERX + (m.x + m.y), x);
    let far = fm_copysign(1.0lf - fm_erfc_tail(a), x);
    return select(select(far, mid, a < 1.25lf), small, a < 0.84375lf);
}

// erfc x within 1 ulp.
fn erfc_f64(x: f64) -> f64 {
    let a = abs(x);
    let h = two_sum(1.0lf, -x);
    let z = x * x;
    let y = fm_erf_rational(fm_erf_pp(z), fm_erf_qq(z), z);
    let xy = fm_two_prod(x, y.x);
    let d = two_sum(h.x, -xy.x);
    let small = d.x + ((d.y + h.y) - (xy.y + x * y.y));
    let s = a - 1.0lf;
    let m = fm_erf_rational(fm_erf_pa(s), fm_erf_qa(s), s);
    let dm = two_sum(FM_ONE_MINUS_ERX, -m.x);
    let mid = select(1.0lf + (FM_ERX + m.x), dm.x + (dm.y - m.y), x > 0.0lf);
    let t = fm_erfc_tail(a);
    let far = select(2.0lf - t, t, x > 0.0lf);
    return select(select(far, mid, a < 1.25lf), small, a < 0.84375lf);
}
