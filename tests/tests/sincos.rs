//! sincos on every backend. bᵢ = sin(2πaᵢ)² + cos(2πaᵢ)² is 1 in exact arithmetic,
//! so every element is checked against 1: with sin and cos each within 1 ulp (≤ 2u
//! relative, u = 2⁻⁵³) and three roundings in s² + c², |b − 1| ≤ 4u·(s² + c²) + 3u
//! ≈ 7u. That check cannot see the random numbers, so the test also draws aᵢ itself
//! (SplitMix64, written out here from its published definition) and recomputes
//! b − 1 with the same f64 sin/cos as the CPU kernel: every bᵢ − 1 is a small
//! multiple of 2⁻⁵³, so Σ(b − 1) is exact in any order and must match the CPU
//! backends' checksum to the bit, which it would not with other aᵢ.

use gearbox_core::dd::Dd;
use gearbox_core::math::sin_cos_turns;
use gearbox_host::grid::{GridOutcome, GridRequest};
use gearbox_host::kit::{self, Bound};

/// Unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;

/// The i-th output of SplitMix64 (Steele, Lea & Flood 2014; Vigna's splitmix64.c)
/// started from state `seed`.
fn splitmix64(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i + 1));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// aᵢ: the top 53 bits of the i-th output, as a fraction of 2⁵³.
fn a(seed: u64, i: u64) -> f64 {
    (splitmix64(seed, i) >> 11) as f64 / 9_007_199_254_740_992.0
}

/// b − 1 at index i, evaluated as the CPU kernel's formula says.
fn b_minus_1(seed: u64, i: u64) -> f64 {
    let (s, c) = sin_cos_turns(a(seed, i));
    (s * s + c * c) - 1.0
}

#[test]
fn splitmix64_matches_the_reference_implementation() {
    // splitmix64.c seeded with 0.
    assert_eq!(splitmix64(0, 0), 0xe220_a839_7b1d_cdaf);
    assert_eq!(splitmix64(0, 1), 0x6e78_9e6a_a1b9_65f4);
    assert_eq!(splitmix64(0, 2), 0x06c4_5d18_8009_454f);
}

#[test]
fn every_element_is_one_within_rounding_on_every_backend() {
    let one = |_: &[u64]| vec![(1.0, U), (0.0, U)];
    let reports = kit::check_grid(
        "sincos",
        &[("n", "300000"), ("seed", "7")],
        None,
        &one,
        Bound::ulps(7.0, 7.0),
    );
    assert!(reports.len() >= 2, "serial and rayon must both run");
}

/// Checks a CPU outcome against the test's own draw of every aᵢ, to the bit.
fn assert_matches_the_generator(out: &GridOutcome, n: u64, seed: u64) {
    let mut sum = 0.0; // exact: every term is a small multiple of 2⁻⁵³
    for i in 0..n {
        sum += b_minus_1(seed, i);
    }
    let [b, bm1] = [&out.checksums[0], &out.checksums[1]];
    assert_eq!(bm1.sum, sum, "Σ(b − 1)");
    assert_eq!(b.sum, (Dd::from(n as f64) + Dd::from(sum)).to_f64(), "Σb");
    for s in &out.samples {
        let d = b_minus_1(seed, s.index[0]);
        assert_eq!(s.values, vec![1.0 + d, d], "at {:?}", s.index);
    }
}

#[test]
fn cpu_backends_draw_the_documented_random_numbers() {
    let (n, seed) = (1_000_003u64, 12_345u64);
    for backend in kit::backends().iter().filter(|b| b.name != "wgpu") {
        let params = [("n", "1000003"), ("seed", "12345")];
        let (out, _) = kit::run_grid(backend, "sincos", &params, &GridRequest::default())
            .unwrap_or_else(|e| panic!("{}: {e:#}", backend.name));
        assert_matches_the_generator(&out, n, seed);
    }
}

#[test]
fn a_different_seed_gives_different_numbers_on_every_backend() {
    // On wgpu the seed is a value in the shader's parameter uniform, not shader text.
    for backend in kit::backends() {
        let run = |seed: &str| {
            kit::run_grid(
                backend,
                "sincos",
                &[("n", "100000"), ("seed", seed)],
                &GridRequest::default(),
            )
            .unwrap()
            .0
        };
        let (x, y) = (run("1"), run("2"));
        assert_ne!(
            x.checksums[1].sum_sq, y.checksums[1].sum_sq,
            "{}: seeds 1 and 2 gave the same numbers",
            backend.name
        );
        assert_eq!(
            run("1").checksums[1].sum_sq,
            x.checksums[1].sum_sq,
            "{}: the same seed twice gave different numbers",
            backend.name
        );
    }
}

#[test]
fn gpu_results_are_one_within_rounding_at_the_seed_size() {
    let Some(gpu) = kit::backends().iter().find(|b| b.name == "wgpu") else {
        eprintln!("NOTICE: no wgpu backend here; skipped");
        return;
    };
    let (out, seconds) = kit::run_grid(gpu, "sincos", &[("n", "1e7")], &GridRequest::default())
        .expect("sincos on wgpu");
    eprintln!(
        "wgpu 1e7: {seconds:.3} s, Σ(b − 1) = {:e}",
        out.checksums[1].sum
    );
    assert!(out.checksums[1].sum.abs() <= 1e7 * 7.0 * U);
    assert!(out.checksums[1].sum_sq <= 1e7 * (7.0 * U) * (7.0 * U));
}

/// The seed's N = 1e8 on serial and rayon: the documented numbers, and the same bits.
#[test]
fn seed_size_on_the_cpu_backends() {
    let mut outcomes = Vec::new();
    for backend in kit::backends().iter().filter(|b| b.name != "wgpu") {
        let (out, seconds) = kit::run_grid(backend, "sincos", &[], &GridRequest::default())
            .unwrap_or_else(|e| panic!("{}: {e:#}", backend.name));
        eprintln!(
            "{}: {seconds:.3} s, Σb = {:.17e}, Σ(b − 1) = {:e}",
            backend.name, out.checksums[0].sum, out.checksums[1].sum
        );
        outcomes.push(out);
    }
    assert_eq!(outcomes.len(), 2, "serial and rayon must both run");
    let [serial, rayon] = [&outcomes[0], &outcomes[1]];
    for (x, y) in serial.checksums.iter().zip(&rayon.checksums) {
        assert_eq!(x.sum.to_bits(), y.sum.to_bits(), "Σ{}", x.name);
        assert_eq!(x.sum_sq.to_bits(), y.sum_sq.to_bits(), "Σ{}²", x.name);
    }
    assert_eq!(serial.samples, rayon.samples);
    assert_matches_the_generator(serial, 100_000_000, 0);
}

#[test]
fn bad_sizes_are_one_line_errors() {
    let lib = kit::registry().workload("sincos").expect("sincos plugin");
    for (name, value) in [("n", "0"), ("n", "-5"), ("seed", "x")] {
        let e = format!(
            "{:#}",
            lib.instantiate([(name, value)])
                .map(drop)
                .expect_err("accepted")
        );
        assert!(e.contains(&format!("--{name}")) && !e.contains('\n'), "{e}");
    }
}
