//! Basel on every backend against the exact partial sum π²/6 − ψ₁(N+1).

use gearbox_core::Dd;
use gearbox_host::kit::{self, Bound};

/// The exact S(N), computed independently of the plugin: for small N the sum
/// itself in double-double, for large N the Euler–Maclaurin expansion of the tail
/// ζ(2) − S(N) = 1/N − 1/(2N²) + 1/(6N³) − 1/(30N⁵) + 1/(42N⁷) − …
fn exact_basel(n: u64) -> f64 {
    if n <= 100_000 {
        let mut s = Dd::ZERO;
        for k in (1..=n).rev() {
            let k = Dd::from(k as f64);
            s = s + (k * k).recip();
        }
        return s.to_f64();
    }
    let zeta2 = Dd {
        hi: 1.6449340668482264,
        lo: 3.040672350398476e-17,
    };
    let x = Dd::from(n as f64);
    let inv = x.recip();
    let inv2 = inv * inv;
    let tail = inv - inv2 * Dd::from(0.5) + inv * inv2 * Dd::from(1.0 / 6.0)
        - inv * inv2 * inv2 * Dd::from(1.0 / 30.0)
        + inv * inv2 * inv2 * inv2 * Dd::from(1.0 / 42.0);
    (zeta2 - tail).to_f64()
}

#[test]
fn reference_agrees_with_its_two_methods_where_they_overlap() {
    // Both branches of exact_basel must agree at the switch-over.
    let n = 100_000u64;
    let direct = exact_basel(n);
    let x = n as f64;
    let asymptotic = 1.6449340668482264 - (1.0 / x - 0.5 / (x * x) + 1.0 / (6.0 * x * x * x));
    assert!(
        (direct - asymptotic).abs() < 4e-16,
        "{direct} vs {asymptotic}"
    );
}

#[test]
fn basel_small_and_medium_n_within_bounds_on_every_backend() {
    for n in [1u64, 2, 10, 1_000, 1_000_000, 10_000_000] {
        let reports = kit::check_series(
            "basel",
            &[("n", &n.to_string())],
            exact_basel(n),
            // Correctly rounded on the CPU; within 2 ulp on the GPU.
            Bound::ulps(0.0, 2.0),
        );
        assert!(reports.len() >= 2, "serial and rayon must both run");
    }
}

#[test]
fn basel_1e8_on_the_cpu_backends_within_one_ulp() {
    let exact = exact_basel(100_000_000);
    for backend in kit::backends().iter().filter(|b| b.name != "wgpu") {
        let (value, _) = kit::run_series(backend, "basel", &[("n", "1e8")]).unwrap();
        assert!(
            gearbox_core::dd::ulp_error(value, exact) <= 1.0,
            "{}: {value} vs {exact}",
            backend.name
        );
    }
}

#[test]
fn serial_and_rayon_agree_bit_for_bit_for_any_thread_count() {
    use gearbox_core::BackendOptions;
    let serial = kit::open_backend("serial", &BackendOptions::default()).unwrap();
    let (reference, _) = kit::run_series(&serial, "basel", &[("n", "3e7")]).unwrap();
    for threads in [1, 2, 3, 7] {
        let rayon = kit::open_backend(
            "rayon",
            &BackendOptions {
                threads: Some(threads),
                adapter: None,
            },
        )
        .unwrap();
        let (value, _) = kit::run_series(&rayon, "basel", &[("n", "3e7")]).unwrap();
        assert_eq!(
            value.to_bits(),
            reference.to_bits(),
            "{threads} threads: {value} vs serial {reference}"
        );
    }
}
