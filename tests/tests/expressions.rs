//! The expression language on every backend (docs/EXPRESSIONS.md): the `series`
//! workload against exact sums and against the hand-written plugins, and every
//! function of the language wired to the right implementation on the CPU and the
//! GPU, each measured against a double-double reference.

use gearbox_core::Dd;
use gearbox_core::math as m;
use gearbox_host::kit::{self, Bound};
use gearbox_tests::reference::functions;

/// `series` with `term` (and constants `with`) over `from..=n` on every backend,
/// checked against `reference` within `bound`.
fn check(term: &str, with: &str, from: u64, n: u64, reference: f64, bound: Bound) {
    let (from, n) = (from.to_string(), n.to_string());
    let params = [
        ("term", term),
        ("with", with),
        ("from", from.as_str()),
        ("n", n.as_str()),
    ];
    kit::check_series("series", &params, reference, bound);
}

/// Σ term(k) for k in `first..=last` in double-double, in the order written.
fn dd_sum(first: u64, last: u64, term: impl Fn(f64) -> Dd) -> Dd {
    (first..=last).fold(Dd::ZERO, |s, k| s + term(k as f64))
}

#[test]
fn basel_as_a_formula_is_within_an_ulp_of_the_exact_sum_and_of_the_plugin() {
    for n in [1_000u64, 1_000_000, 30_000_000] {
        let ns = n.to_string();
        let exact = kit::registry()
            .workload("basel")
            .unwrap()
            .instantiate([("n", ns.as_str())])
            .unwrap()
            .exact()
            .unwrap()
            .unwrap();
        // Each term 1/k² is rounded once (the plugin carries it as a double-double).
        check("1/k**2", "", 1, n, exact, Bound::ulps(1.0, 2.0));
    }
}

#[test]
fn trig_as_a_formula_matches_the_exact_sum_to_its_error_bound() {
    // Past 2.6e7 terms: lavapipe's f64 round() broke the GPU's cos there.
    for n in [100_000u64, 30_000_000] {
        let ns = n.to_string();
        let instance = kit::registry()
            .workload("trig")
            .unwrap()
            .instantiate([("n", ns.as_str())])
            .unwrap();
        let exact = instance.exact().unwrap().unwrap();
        // Terms rounded once each, ≤ 1 ulp of cos and the division: the error is
        // a random walk far below Σ|cos k|/k ≈ ln N · 2/π, bounded here by it.
        let abs_sum = (n as f64).ln() + 1.0;
        let limit = 4.0 * f64::EPSILON * abs_sum;
        check(
            "cos(k)/k",
            "",
            1,
            n,
            exact,
            Bound::absolute(exact, limit, limit),
        );
    }
}

#[test]
fn constants_are_values_of_the_formula_and_a_new_value_gives_a_new_sum() {
    for p in [2.5, 3.25] {
        let with = format!("p={p}");
        let reference = dd_sum(1, 20_000, |k| {
            Dd::from(k).ln() * (Dd::from(k).ln() * Dd::from(-p)).exp()
        });
        let reference = reference.to_f64();
        check(
            "log(k)/k**p",
            &with,
            1,
            20_000,
            reference,
            Bound::ulps(2.0, 2.0),
        );
    }
}

#[test]
fn other_first_indices_and_closed_forms() {
    // Σ 1/(k(k+1)) over from..=n telescopes to 1/from − 1/(n+1).
    let (from, n) = (1_000u64, 5_000_000u64);
    let exact = (Dd::from(from as f64).recip() - Dd::from((n + 1) as f64).recip()).to_f64();
    check("1/(k*(k+1))", "", from, n, exact, Bound::ulps(1.0, 2.0));
    // A geometric series with a constant: Σ_{k=0}^{n} r^k, r = 1 - 2^-10.
    let r = 1.0 - 2f64.powi(-10);
    let exact =
        ((Dd::from(1.0) - Dd::from(r).powi(100_001)) / (Dd::from(1.0) - Dd::from(r))).to_f64();
    check(
        "r**k",
        &format!("r={r:?}"),
        0,
        100_000,
        exact,
        Bound::ulps(2.0, 2.0),
    );
}

/// An argument inside `name`'s domain for index k = 1..=200, and a second one.
fn arguments(name: &str) -> (&'static str, &'static str) {
    match name {
        "asin" | "acos" | "atanh" => ("-0.995 + 0.00995*k", ""),
        "acosh" => ("1 + 0.25*k", ""),
        "log" | "log2" | "log10" | "cbrt" => ("0.0625*k", ""),
        "log1p" => ("-0.995 + 0.125*k", ""),
        "pow" => ("0.0625*k", "2.75 - 0.03125*k"),
        "atan2" | "hypot" => ("-5 + 0.05*k", "3 - 0.0625*k"),
        "sinh" | "cosh" | "exp" | "exp2" | "expm1" => ("-20 + 0.2*k", ""),
        _ => ("-25 + 0.25*k", ""),
    }
}

/// The value of a linear argument `a + b*k` as the formula computes it.
fn argument(text: &str, k: f64) -> f64 {
    let (a, b) = match (text.split_once(" + "), text.split_once(" - ")) {
        (Some((a, b)), _) => (a.to_string(), b.to_string()),
        (None, Some((a, b))) => (a.to_string(), format!("-{b}")),
        (None, None) => ("0".to_string(), text.to_string()),
    };
    let b: f64 = b.trim_end_matches("*k").parse().unwrap();
    let a: f64 = a.parse().unwrap();
    if text.contains(" + ") || text.contains(" - ") {
        a + b * k
    } else {
        b * k
    }
}

#[test]
fn every_function_of_the_math_library_on_every_backend() {
    let (first, last) = (1u64, 200u64);
    for f in functions() {
        let (x, y) = arguments(f.name);
        let term = if f.arity == 1 {
            format!("{}({x})", f.name)
        } else {
            format!("{}({x}, {y})", f.name)
        };
        let y = |k: f64| if f.arity == 2 { argument(y, k) } else { 0.0 };
        let reference = dd_sum(first, last, |k| (f.reference)(argument(x, k), y(k)));
        let abs = dd_sum(first, last, |k| (f.reference)(argument(x, k), y(k)).abs()).to_f64();
        // ≤ 1 ulp per value, and the sum's own rounding.
        let limit = 2.0 * f64::EPSILON * abs + f64::EPSILON * reference.hi.abs();
        let reference = reference.to_f64();
        check(
            &term,
            "",
            first,
            last,
            reference,
            Bound::absolute(reference, limit, limit),
        );
    }
}

#[test]
fn sin_cos_degrees_and_the_exact_operations_on_every_backend() {
    let (first, last) = (1u64, 720u64);
    // π/180 to double-double accuracy.
    let d2r = Dd::new(0.017453292519943295, 2.9486522708701687e-19);
    let sin_d = |d: f64| (Dd::from(d - 360.0 * (d / 360.0).round()) * d2r).sin_cos();
    type Case = (&'static str, fn(f64) -> f64);
    let exact_ops: [Case; 12] = [
        ("floor(k/7 - 30)", |k| (k / 7.0 - 30.0).floor()),
        ("ceil(k/7 - 30)", |k| (k / 7.0 - 30.0).ceil()),
        ("trunc(k/7 - 30)", |k| (k / 7.0 - 30.0).trunc()),
        ("round(k/4 - 30)", |k| (k / 4.0 - 30.0).round_ties_even()),
        ("abs(k - 300)", |k| (k - 300.0).abs()),
        ("sqrt(k)", f64::sqrt),
        ("min(k, 500) - max(k, 100)", |k| k.min(500.0) - k.max(100.0)),
        ("where((k > 100) & ~(k == 200) | (k < 5), k, -k)", |k| {
            if (k > 100.0 && k != 200.0) || k < 5.0 {
                k
            } else {
                -k
            }
        }),
        ("(k >= 10) + (k <= 20) + (k != 30)", |k| {
            f64::from(u8::from(k >= 10.0) + u8::from(k <= 20.0) + u8::from(k != 30.0))
        }),
        ("radians(k) - pi*k/180", |k| {
            m::radians(k) - std::f64::consts::PI * k / 180.0
        }),
        ("degrees(k/100)", |k| m::degrees(k / 100.0)),
        ("-k**2 + 2**-3", |k| -(k * k) + 0.125),
    ];
    for (term, f) in exact_ops {
        let reference = dd_sum(first, last, |k| Dd::from(f(k))).to_f64();
        check(term, "", first, last, reference, Bound::ulps(0.5, 0.5));
    }
    // Squares, so that the sums over whole turns do not cancel to nothing.
    for (term, part) in [("sind(k + 0.5)**2", 0), ("cosd(k + 0.5)**2", 1)] {
        let pick = |k: f64| {
            let (s, c) = sin_d(k + 0.5);
            let v = if part == 0 { s } else { c };
            v * v
        };
        let reference = dd_sum(first, last, pick).to_f64();
        // ≤ 1 ulp per value, doubled by the square, and the product's rounding.
        let limit = 3.0 * f64::EPSILON * reference;
        check(
            term,
            "",
            first,
            last,
            reference,
            Bound::absolute(reference, limit, limit),
        );
    }
    // Exactly zero on the axes: Σ sind(180 k) and Σ cosd(90 + 180 k) are 0.
    check("sind(180*k)", "", first, last, 0.0, Bound::ulps(0.0, 0.0));
    check(
        "cosd(90 + 180*k)",
        "",
        first,
        last,
        0.0,
        Bound::ulps(0.0, 0.0),
    );
}

#[test]
fn a_term_that_is_one_value_is_that_value_on_every_backend() {
    // A one-term range gives the term itself: the GPU's and CPU's functions agree.
    for (term, value) in [
        ("exp(1)", m::exp(1.0)),
        ("log(10)", m::log(10.0)),
        ("e", std::f64::consts::E),
    ] {
        check(term, "", 1, 1, value, Bound::ulps(0.0, 0.0));
    }
}

/// `values` as a little-endian float64 `.npy` file of `shape`.
fn write_npy(path: &std::path::Path, shape: &[u64], values: &[f64]) {
    let mut bytes = gearbox_host::npy::header(shape);
    bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn evaluate_over_npy_files_takes_the_shape_from_them_and_hoists_the_axes() {
    let dir = kit::ScratchDir::new("evaluate-files");
    let (nlat, nr, nlon) = (7u64, 3u64, 11u64);
    let lat: Vec<f64> = (0..nlat).map(|i| -90.0 + 30.0 * i as f64).collect();
    let lon: Vec<f64> = (0..nlon).map(|k| 36.0 * k as f64).collect();
    let n = (nlat * nr * nlon) as usize;
    let vlat: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let vrad: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * 1e-3).collect();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    write_npy(&input.join("lat.npy"), &[nlat], &lat);
    write_npy(&input.join("lon.npy"), &[nlon], &lon);
    write_npy(&input.join("vlat.npy"), &[nlat, nr, nlon], &vlat);
    write_npy(&input.join("vrad.npy"), &[nlat, nr, nlon], &vrad);
    for backend in kit::backends() {
        let output = dir.path().join(format!("out-{}", backend.name));
        let o = std::process::Command::new(kit::target_dir().join("gearbox"))
            .args([
                "run",
                "evaluate",
                "--backend",
                &backend.name,
                "--json",
                "--axes",
                "lat:0, lon:2",
            ])
            .args([
                "--expr",
                "vz = cos(radians(lat))*vlat + sin(radians(lat))*vrad; w = cosd(lon)*vlat",
            ])
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .env_remove("GEARBOX_PLUGIN_PATH")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let vz = gearbox_host::npy::read(&output.join("vz.npy"), &[nlat, nr, nlon]).unwrap();
        let w = gearbox_host::npy::read(&output.join("w.npy"), &[nlat, nr, nlon]).unwrap();
        for i in 0..n {
            let (la, lo) = (i / (nr * nlon) as usize, i % nlon as usize);
            let phi = m::radians(lat[la]);
            let want = m::cos(phi) * vlat[i] + m::sin(phi) * vrad[i];
            assert_eq!(
                vz[i].to_bits(),
                want.to_bits(),
                "vz[{i}] on {}",
                backend.name
            );
            assert_eq!(
                w[i].to_bits(),
                (m::cosd(lon[lo]) * vlat[i]).to_bits(),
                "w[{i}] on {}",
                backend.name
            );
        }
    }
}
