//! Trig on every backend against exact partial sums T(N) = Σ cos(k)/k, computed here
//! independently of the plugin and of gearbox's sin/cos: e^{ik} comes from the
//! double-double constant e^i by repeated multiplication (direct sums up to 10⁶)
//! or binary powering (the tail expansion for larger N), never from an argument
//! reduction.

use gearbox_core::{BackendOptions, Dd};
use gearbox_host::kit::{self, Bound};

/// cos 1 and sin 1 in double-double (from 120-digit decimal values).
const COS1: Dd = Dd {
    hi: 0.5403023058681398,
    lo: -4.760954612604417e-17,
};
const SIN1: Dd = Dd {
    hi: 0.8414709848078965,
    lo: 1.776845092935536e-18,
};

/// −ln(2 sin ½) = 0.04201950582536896172579838403790203712453892055703…
const LIMIT: Dd = Dd {
    hi: 0.04201950582536896,
    lo: 2.3860821712848556e-18,
};

/// A complex number (re, im) in double-double.
type C = (Dd, Dd);

fn mul((a, b): C, (c, d): C) -> C {
    (a * c - b * d, a * d + b * c)
}

fn div((a, b): C, (c, d): C) -> C {
    let norm = c * c + d * d;
    ((a * c + b * d) / norm, (b * c - a * d) / norm)
}

const ONE: C = (Dd { hi: 1.0, lo: 0.0 }, Dd { hi: 0.0, lo: 0.0 });
const E_I: C = (COS1, SIN1);

/// e^{in} by binary powering (absolute error about n · 2⁻¹⁰⁷).
fn cis(mut n: u64) -> C {
    let (mut acc, mut base) = (ONE, E_I);
    while n > 0 {
        if n & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        n >>= 1;
    }
    acc
}

/// T(n) term by term, e^{ik} = e^{i(k−1)} · e^i (error about k · 2⁻¹⁰⁶).
fn direct(n: u64) -> Dd {
    let mut z = ONE;
    let mut sum = Dd::ZERO;
    for k in 1..=n {
        z = mul(z, E_I);
        sum = sum + z.0 / Dd::from(k as f64);
    }
    sum
}

/// T(n) = −ln(2 sin ½) − Re Σ_{k>n} z^k/k, z = e^i, with the tail from summation by
/// parts repeated: Σ_{k≥m} z^k f(k) = z^m Σ_j a_j f^{(j)}(m), where
/// Σ_j a_j t^j = 1/(1 − z e^t) (so a_0 = 1/(1 − z), a_j = z/(1 − z) Σ_{i=1..j} a_{j−i}/i!)
/// and f^{(j)}(m) = (−1)^j j!/m^{j+1}. Terms fall like j!/m^j; 16 of them for m ≥ 10⁵.
fn by_tail(n: u64) -> Dd {
    let m = n + 1;
    let one_minus_z = (ONE.0 - COS1, -SIN1);
    let ratio = div(E_I, one_minus_z);
    let mut a = vec![div(ONE, one_minus_z)];
    let mut factorial = vec![1.0f64];
    for j in 1..16usize {
        factorial.push(factorial[j - 1] * j as f64);
        let mut acc = (Dd::ZERO, Dd::ZERO);
        for i in 1..=j {
            let inv_fact = Dd::from(factorial[i]).recip();
            acc = (acc.0 + a[j - i].0 * inv_fact, acc.1 + a[j - i].1 * inv_fact);
        }
        a.push(mul(ratio, acc));
    }
    let inv_m = Dd::from(m as f64).recip();
    let mut series = (Dd::ZERO, Dd::ZERO);
    let mut power = inv_m; // j!/m^{j+1} with the sign (−1)^j
    for (j, aj) in a.iter().enumerate() {
        series = (series.0 + aj.0 * power, series.1 + aj.1 * power);
        power = -(power * inv_m * Dd::from((j + 1) as f64));
    }
    LIMIT - mul(cis(m), series).0
}

/// The exact T(n): direct up to 10⁶, the tail expansion beyond.
fn exact_trig(n: u64) -> Dd {
    if n <= 1_000_000 {
        direct(n)
    } else {
        by_tail(n)
    }
}

/// Within 1 ulp on CPU backends, 2 ulp on the GPU (the terms that carry the
/// rounding error, the first 2¹⁴, are double-doubles on both).
fn bound() -> Bound {
    Bound::ulps(1.0, 2.0)
}

#[test]
fn the_two_references_agree() {
    for n in [100_000u64, 400_000, 1_000_000] {
        let (a, b) = (direct(n), by_tail(n));
        assert!((a - b).to_f64().abs() < 1e-26, "{n}: {a:?} vs {b:?}");
    }
}

#[test]
fn the_plugins_closed_form_matches_the_reference() {
    let lib = kit::registry().workload("trig").expect("trig built");
    for n in [
        1u64,
        7,
        9_999,
        10_000,
        1_000_000,
        100_000_000,
        1_000_000_000_000,
    ] {
        let instance = lib.instantiate([("n", n.to_string().as_str())]).unwrap();
        let exact = instance.exact().unwrap().expect("trig has a closed form");
        let reference = exact_trig(n).to_f64();
        assert!(
            gearbox_core::dd::ulp_error(exact, reference) <= 0.5,
            "{n}: exact() {exact:e} vs reference {reference:e}"
        );
    }
}

#[test]
fn up_to_1e6_within_bounds_on_every_backend() {
    for n in [1u64, 2, 10, 1_000, 123_457, 1_000_000] {
        let reference = exact_trig(n).to_f64();
        let reports = kit::check_series("trig", &[("n", &n.to_string())], reference, bound());
        assert!(reports.len() >= 2, "serial and rayon must both run");
    }
}

/// 10⁸ on every backend (about 0.3 s on lavapipe).
#[test]
fn e8_within_bounds_on_every_backend() {
    let n = 100_000_000;
    let reference = exact_trig(n).to_f64();
    kit::check_series("trig", &[("n", "1e8")], reference, bound());
}

#[test]
fn serial_and_rayon_agree_bit_for_bit_for_any_thread_count() {
    let params = [("n", "3e7")];
    let serial = kit::open_backend("serial", &BackendOptions::default()).expect("serial");
    let (expected, _) = kit::run_series(&serial, "trig", &params).unwrap();
    for threads in [1, 2, 3, 7] {
        let options = BackendOptions {
            threads: Some(threads),
            ..BackendOptions::default()
        };
        let rayon = kit::open_backend("rayon", &options).expect("rayon");
        let (value, _) = kit::run_series(&rayon, "trig", &params).unwrap();
        assert_eq!(
            value.to_bits(),
            expected.to_bits(),
            "{threads} threads: {value:e} vs serial {expected:e}"
        );
    }
}
