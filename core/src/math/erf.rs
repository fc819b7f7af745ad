//! erf and erfc, on fdlibm's four intervals of |x| (all evaluated, one
//! selected): |x| < 0.84375: erf = x + x·P/Q(x²); below 1.25: erf = c + P/Q(|x| − 1)
//! with c = 0.845062911510467529297 (24 bits); below 28:
//! erfc = e^(−x² − 0.5625 + R/S(1/x²))/x, with −x² exact as a double-double and
//! the exponential and division rounded once (fdlibm rounds three times there);
//! erf = 1 − erfc. fdlibm's minimax errors: 2⁻⁵⁷·⁹, 2⁻⁵⁹·¹, 2⁻⁶²·⁶, 2⁻⁶¹·⁵.

use super::exp::exp_parts;
use super::{dd_add, dd_div, dd_mul, scale};
use crate::dd::{fast_two_sum, two_prod, two_sum};

/// The 24-bit constant c near erf(1), and 1 − c (exact).
const ERX: f64 = 8.450_629_115_104_675e-1;
const ONE_MINUS_ERX: f64 = 1.0 - ERX;
/// 2/√π.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

// erf on [0, 0.84375]: (erf x − x)/x ≈ PP(z)/QQ(z), z = x².
const PP: [f64; 5] = [
    1.283_791_670_955_125_6e-1,
    -3.250_421_072_470_015e-1,
    -2.848_174_957_559_851e-2,
    -5.770_270_296_489_442e-3,
    -2.376_301_665_665_016_3e-5,
];
const QQ: [f64; 5] = [
    3.979_172_239_591_553_5e-1,
    6.502_224_998_876_73e-2,
    5.081_306_281_875_766e-3,
    1.324_947_380_043_216_4e-4,
    -3.960_228_278_775_368e-6,
];
// erf on [0.84375, 1.25]: erf(1 + s) − c ≈ PA(s)/QA(s).
const PA: [f64; 7] = [
    -2.362_118_560_752_659_4e-3,
    4.148_561_186_837_483_3e-1,
    -3.722_078_760_357_013e-1,
    3.183_466_199_011_617_5e-1,
    -1.108_946_942_823_966_8e-1,
    3.547_830_432_561_823_6e-2,
    -2.166_375_594_868_791e-3,
];
const QA: [f64; 6] = [
    1.064_208_804_008_442_3e-1,
    5.403_979_177_021_71e-1,
    7.182_865_441_419_627e-2,
    1.261_712_198_087_616_4e-1,
    1.363_708_391_202_905e-2,
    1.198_449_984_679_910_8e-2,
];
// erfc on [1.25, 1/0.35] (RA/SA) and [1/0.35, 28] (RB/SB, last terms 0):
// ln(x·erfc x) + x² + 0.5625 ≈ R(s)/S(s), s = 1/x².
const RA: [f64; 8] = [
    -9.864_944_034_847_148e-3,
    -6.938_585_727_071_818e-1,
    -1.055_862_622_532_329_1e1,
    -6.237_533_245_032_601e1,
    -1.623_966_694_625_734_6e2,
    -1.846_050_929_067_110_3e2,
    -8.128_743_550_630_66e1,
    -9.814_329_344_169_145,
];
const SA: [f64; 8] = [
    1.965_127_166_743_925_7e1,
    1.376_577_541_435_190_4e2,
    4.345_658_774_752_292_3e2,
    6.453_872_717_332_679e2,
    4.290_081_400_275_678_3e2,
    1.086_350_055_417_794_3e2,
    6.570_249_770_319_282,
    -6.042_441_521_485_81e-2,
];
const RB: [f64; 8] = [
    -9.864_942_924_700_1e-3,
    -7.992_832_376_805_23e-1,
    -1.775_795_491_775_475_2e1,
    -1.606_363_848_558_219_2e2,
    -6.375_664_433_683_896e2,
    -1.025_095_131_611_077_2e3,
    -4.835_191_916_086_514e2,
    0.0,
];
const SB: [f64; 8] = [
    3.033_806_074_348_246e1,
    3.257_925_129_965_739e2,
    1.536_729_586_084_437e3,
    3.199_858_219_508_595_7e3,
    2.553_050_406_433_164_4e3,
    4.745_285_412_069_554e2,
    -2.244_095_244_658_582e1,
    0.0,
];

/// Σ cₖ xᵏ by compensated Horner (each step's rounding errors carried along),
/// as a double-double: erfc cancels against these quotients.
#[inline(always)]
fn horner<const N: usize>(c: &[f64; N], x: f64) -> (f64, f64) {
    let (mut h, mut l) = (c[N - 1], 0.0);
    for k in (0..N - 1).rev() {
        let (p, pe) = two_prod(h, x);
        let (s, se) = two_sum(p, c[k]);
        (h, l) = (s, (pe + se) + l * x);
    }
    (h, l)
}

/// (Σ pₖ xᵏ)/(1 + x Σ qₖ xᵏ) as a double-double.
#[inline(always)]
fn rational<const N: usize, const M: usize>(p: &[f64; N], q: &[f64; M], x: f64) -> (f64, f64) {
    let (ph, pl) = horner(p, x);
    let (qh, ql) = horner(q, x);
    let (dh, dl) = dd_mul(qh, ql, x, 0.0);
    let (dh, de) = fast_two_sum(1.0, dh);
    dd_div(ph, pl, dh, de + dl)
}

/// (erf x − x)/x for |x| < 0.84375.
#[inline(always)]
fn small_ratio(x: f64) -> (f64, f64) {
    rational(&PP, &QQ, x * x)
}

/// erf(1 + s) − c for |x| in [0.84375, 1.25], s = |x| − 1.
#[inline(always)]
fn mid_part(a: f64) -> (f64, f64) {
    rational(&PA, &QA, a - 1.0)
}

/// erfc a for 1.25 ≤ a (0 beyond 28, NaN for NaN), rounded once.
#[inline(always)]
fn tail(a: f64) -> f64 {
    let a = if a > 28.0 { 28.0 } else { a };
    let near = a < 2.857_142_857_142_857;
    let mut r = [0.0; 8];
    let mut q = [0.0; 8];
    for k in 0..8 {
        r[k] = if near { RA[k] } else { RB[k] };
        q[k] = if near { SA[k] } else { SB[k] };
    }
    let (p, pe) = two_prod(a, a);
    let (s, sl) = dd_div(1.0, 0.0, p, pe);
    let (rh, rl) = rational(&r, &q, s + sl);
    let (e, ee) = two_sum(-p, -0.5625);
    let (e, ee) = dd_add(e, ee - pe, rh, rl);
    let (k, h, l) = exp_parts(e, ee);
    let (v, vl) = dd_div(h, l, a, 0.0);
    scale(v + vl, k)
}

/// erf x within 1 ulp (±1 beyond |x| ≈ 5.9).
#[inline(always)]
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    let (y, yl) = small_ratio(x);
    let small = x + x * (y + yl);
    let small = if a < 1e-9 {
        x * TWO_OVER_SQRT_PI
    } else {
        small
    };
    let (m, ml) = mid_part(a);
    let mid = (ERX + (m + ml)).copysign(x);
    let far = (1.0 - tail(a)).copysign(x);
    if a < 0.84375 {
        small
    } else if a < 1.25 {
        mid
    } else {
        far
    }
}

/// erfc x = 1 − erf x within 1 ulp, accurate where it is tiny (0 beyond 27.3,
/// 2 below −5.9).
#[inline(always)]
pub fn erfc(x: f64) -> f64 {
    let a = x.abs();
    let (h, he) = two_sum(1.0, -x);
    let (y, yl) = small_ratio(x);
    let (xy, xye) = two_prod(x, y);
    let (d, de) = two_sum(h, -xy);
    let small = d + ((de + he) - (xye + x * yl));
    let (m, ml) = mid_part(a);
    let (d, de) = two_sum(ONE_MINUS_ERX, -m);
    let mid = if x > 0.0 {
        d + (de - ml)
    } else {
        1.0 + (ERX + m)
    };
    let t = tail(a);
    let far = if x > 0.0 { t } else { 2.0 - t };
    if a < 0.84375 {
        small
    } else if a < 1.25 {
        mid
    } else {
        far
    }
}
