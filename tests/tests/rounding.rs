//! Correct rounding on the CPU backends: basel and kempner return the double
//! nearest the exact partial sum, trig a double within 1 ulp of it. References
//! from `tests/reference/series.py` (mpmath closed forms at 50 digits; kempner
//! in integer fixed point), which also prints how close each sum lies to a
//! rounding midpoint: basel 1e9 is 0.012 ulp from one, basel 1e3 0.038 ulp.
//! Serial runs up to 10⁸ (CI time), rayon at every N.

use gearbox_core::BackendOptions;
use gearbox_core::dd::ulp_error;
use gearbox_host::kit;

/// (N, the double nearest S(N) = Σ 1/k²).
const BASEL: [(&str, f64); 6] = [
    ("1", 1.0),
    ("10", 1.5497677311665408),
    ("1e3", 1.64393456668156),
    ("1e6", 1.6449330668487265),
    ("1e8", 1.6449340568482265),
    ("1e9", 1.6449340658482265),
];

/// (N, the double nearest K(N) = Σ 1/k over k ≤ N without the digit 9).
const KEMPNER: [(&str, f64); 6] = [
    ("1", 1.0),
    ("10", 2.817857142857143),
    ("1e3", 6.590720190283038),
    ("1e6", 11.01565184987295),
    ("1e8", 13.277605949854024),
    ("1e9", 14.241913010380646),
];

/// (N, the double nearest T(N) = Σ cos(k)/k).
const TRIG: [(&str, f64); 6] = [
    ("1", 0.5403023058681398),
    ("10", -0.040049729136752546),
    ("1e3", 0.04305687846016729),
    ("1e6", 0.04201965387100965),
    ("1e8", 0.04201951253521256),
    ("1e9", 0.04201950674389242),
];

/// Runs `workload` at every N of `cases` on serial (N ≤ 10⁸) and rayon and asserts
/// each result is within `ulps` of the reference.
fn check(workload: &str, cases: &[(&str, f64)], ulps: f64) {
    let serial = kit::open_backend("serial", &BackendOptions::default()).expect("serial");
    let rayon = kit::open_backend("rayon", &BackendOptions::default()).expect("rayon");
    for &(n, reference) in cases {
        let small = n.parse::<f64>().expect("N") <= 1e8;
        for backend in [&rayon].into_iter().chain(small.then_some(&serial)) {
            let (value, _) = kit::run_series(backend, workload, &[("n", n)]).unwrap();
            let error = ulp_error(value, reference);
            assert!(
                error <= ulps,
                "{workload} N = {n} on {}: {value:e} is {error} ulp from {reference:e}",
                backend.name
            );
        }
    }
}

#[test]
fn basel_is_correctly_rounded() {
    check("basel", &BASEL, 0.0);
}

#[test]
fn kempner_is_correctly_rounded() {
    check("kempner", &KEMPNER, 0.0);
}

#[test]
fn trig_is_within_one_ulp() {
    check("trig", &TRIG, 1.0);
}
