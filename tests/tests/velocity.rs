//! velocity on every backend against the conversion formula evaluated here, point
//! by point in double-double, independently of the plugin (no hoisting, no shared
//! code but the double-double sin/cos of gearbox_core::math).
//!
//! # Error bound
//! Each output is a sum of three terms tₘ = cₘ·vₘ, a trig coefficient cₘ (a product
//! of at most two of sin φ, cos φ, sin λ, cos λ) times an input. With the unit
//! roundoff u = 2⁻⁵³, a kernel that evaluates it in f64 errs by at most
//! - 4u·Σ|tₘ| from its own arithmetic: ≤ 2 roundings in a term's products, 2 in the sums;
//! - 4u·Σ|tₘ| from its sin/cos (each within 1 ulp ≤ 2u relative, ≤ 2 per term);
//! - 8u·Σ|cₘ| when it generated the inputs itself: the SciPy-style Legendre
//!   evaluations err by at most 8u in absolute terms on [−1, 1] (checked below).
//!
//! So the test measures errors in units of u·(Σ|tₘ| + Σ|cₘ|) and allows 8 of them:
//! a relative bound where the terms are large, an absolute one where they cancel.

use std::path::Path;

use gearbox_core::dd::Dd;
use gearbox_core::math::sin_cos_dd;
use gearbox_host::grid::{GridOutcome, GridRequest};
use gearbox_host::kit::{self, Bound, ScratchDir};
use gearbox_host::npy::NpyWriter;

/// Unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;

/// Allowed error, in units of u·(Σ|tₘ| + Σ|cₘ|), on CPU and GPU backends (module doc).
const BOUND: f64 = 8.0;

/// NumPy's linspace(start, stop, num), written out: i·step + start, last = stop.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let step = (stop - start) / (num.max(2) - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if num > 1 {
        v[num - 1] = stop;
    }
    v
}

/// The seed's axes for an nlat × nlon × nr grid: latitude, radius, longitude.
fn seed_axes(nlat: usize, nlon: usize, nr: usize) -> [Vec<f64>; 3] {
    [
        linspace(-90.0, 90.0, nlat),
        linspace(3485.0, 6371.0, nr),
        linspace(0.0, 360.0, nlon),
    ]
}

/// Legendre P₂ and P₃ at an f64 argument, in double-double.
fn p2(x: f64) -> Dd {
    let x = Dd::from(x);
    (Dd::from(3.0) * x * x - Dd::from(1.0)) * Dd::from(0.5)
}

fn p3(x: f64) -> Dd {
    let x = Dd::from(x);
    (Dd::from(5.0) * x * x * x - Dd::from(3.0) * x) * Dd::from(0.5)
}

/// The seed's inputs (vlat, vlon, vrad) at (latitude, radius, longitude), exact
/// but for the f64 roundings of the polynomials' arguments, which define them.
fn seed_inputs(lat: f64, r: f64, lon: f64) -> [Dd; 3] {
    [
        p3(lat / 90.0),
        p2(lon / 180.0 - 1.0),
        p3((r - 4928.0) / 1443.0),
    ]
}

/// (vx, vy, vz) at one point, each with its error unit u·(Σ|tₘ| + Σ|cₘ|).
fn convert(lat: f64, lon: f64, [vlat, vlon, vrad]: [Dd; 3]) -> Vec<(f64, f64)> {
    let (sphi, cphi) = sin_cos_dd(lat.to_radians());
    let (slam, clam) = sin_cos_dd(lon.to_radians());
    let out = |terms: [(Dd, Dd); 3]| {
        let mut sum = Dd::ZERO;
        let mut scale = 0.0;
        for (c, v) in terms {
            let t = c * v;
            sum = sum + t;
            scale += t.to_f64().abs() + c.to_f64().abs();
        }
        (sum.to_f64(), U * scale)
    };
    vec![
        out([(-slam, vlon), (-(sphi * clam), vlat), (cphi * clam, vrad)]),
        out([(clam, vlon), (-(sphi * slam), vlat), (cphi * slam, vrad)]),
        out([(cphi, vlat), (sphi, vrad), (Dd::ZERO, Dd::ZERO)]),
    ]
}

fn dims(grid: &str) -> (usize, usize, usize) {
    let v: Vec<usize> = grid.split('x').map(|s| s.parse().unwrap()).collect();
    (v[0], v[1], v[2])
}

#[test]
fn the_reference_inputs_bound_the_scipy_style_evaluation() {
    // The plugin evaluates P₂ and P₃ as SciPy's lpmv does (series and recurrence);
    // this checks the 8u absolute bound the module doc relies on, for the same
    // evaluation order, over a fine sweep of [−1, 1].
    let scipy_p1 = |x: f64| -(1.0 - (1.0 + x));
    let scipy_p2 = |x: f64| {
        let r1 = -3.0 * (1.0 + x);
        (1.0 + r1) + (-0.5 * r1 * (1.0 + x))
    };
    let scipy_p3 = |x: f64| {
        let q1 = scipy_p1(x);
        let q2 = (3.0 * x * q1 - 1.0) / 2.0;
        (5.0 * x * q2 - 2.0 * q1) / 3.0
    };
    let mut worst: f64 = 0.0;
    for i in 0..=200_000 {
        let x = -1.0 + i as f64 / 100_000.0;
        worst = worst
            .max((scipy_p2(x) - p2(x).to_f64()).abs() / U)
            .max((scipy_p3(x) - p3(x).to_f64()).abs() / U);
    }
    eprintln!("worst Legendre evaluation error: {worst:.2} u");
    assert!(worst <= 8.0, "{worst} u");
}

#[test]
fn velocity_small_grid_every_element_on_every_backend() {
    let grid = "50x80x30";
    let (nlat, nlon, nr) = dims(grid);
    let [lat, rad, lon] = seed_axes(nlat, nlon, nr);
    let reference = |idx: &[u64]| {
        let (i, j, k) = (idx[0] as usize, idx[1] as usize, idx[2] as usize);
        convert(lat[i], lon[k], seed_inputs(lat[i], rad[j], lon[k]))
    };
    let reports = kit::check_grid(
        "velocity",
        &[("grid", grid)],
        None,
        &reference,
        Bound::ulps(BOUND, BOUND),
    );
    assert!(reports.len() >= 2, "serial and rayon must both run");
    let serial = &reports[0].outcome;
    for r in &reports[1..] {
        if r.backend == "rayon" {
            assert_same_bits(serial, &r.outcome);
        }
    }
}

#[test]
fn velocity_matches_the_numpy_peer_at_its_sample_points() {
    // `velocity_numpy.py 50 80 30` (NumPy, SciPy's lpmv): samples (vx, vy, vz) and checksums.
    let peer = [
        ([0, 0, 0], [-1.0, 1.0, 0.9999999999999999]),
        (
            [16, 7, 16],
            [0.1418399572571845, 0.566623468806582, 0.1328862191847937],
        ),
        (
            [25, 15, 40],
            [
                0.030705902402859014,
                0.5013768034650482,
                -0.032229832855779246,
            ],
        ),
        (
            [33, 22, 64],
            [
                0.015577731437520392,
                0.16968788529379178,
                -0.5786073294177556,
            ],
        ),
        ([49, 29, 79], [-0.9999999999999997, 1.0000000000000002, 1.0]),
    ];
    let peer_sums = [16.00252412503996, 37538.67413350042, 0.0];
    let peer_sumsq = [17042.54475129692, 32184.7859715244, 16527.37748979505];
    let backend = kit::open_backend("serial", &Default::default()).unwrap();
    let (out, _) = kit::run_grid(
        &backend,
        "velocity",
        &[("grid", "50x80x30")],
        &GridRequest::default(),
    )
    .unwrap();
    for (index, values) in peer {
        let sample = out
            .samples
            .iter()
            .find(|s| s.index == index)
            .unwrap_or_else(|| panic!("no sample at {index:?}"));
        for (got, want) in sample.values.iter().zip(values) {
            // One libm's sin/cos against another's: a few u of the terms (≤ 3).
            assert!(
                (got - want).abs() <= 8.0 * 3.0 * U,
                "at {index:?}: {got:e} vs NumPy {want:e}"
            );
        }
    }
    for (c, (sum, sumsq)) in out.checksums.iter().zip(peer_sums.iter().zip(peer_sumsq)) {
        // 120 000 points, each within 48u; NumPy's pairwise sums add about as much.
        assert!(
            (c.sum - sum).abs() <= 1e-10,
            "Σ{}: {} vs {sum}",
            c.name,
            c.sum
        );
        assert!(
            (c.sum_sq - sumsq).abs() <= 1e-10 + 1e-15 * sumsq,
            "Σ{}²: {} vs {sumsq}",
            c.name,
            c.sum_sq
        );
    }
}

fn assert_same_bits(a: &GridOutcome, b: &GridOutcome) {
    for (x, y) in a.checksums.iter().zip(&b.checksums) {
        assert_eq!(x.sum.to_bits(), y.sum.to_bits(), "Σ{}", x.name);
        assert_eq!(x.sum_sq.to_bits(), y.sum_sq.to_bits(), "Σ{}²", x.name);
    }
    for (x, y) in a.samples.iter().zip(&b.samples) {
        assert_eq!(x, y);
    }
}

/// Writes `values` (of `shape`) to `dir/name.npy`.
fn write_npy(dir: &Path, name: &str, shape: &[u64], values: &[f64]) {
    let w = NpyWriter::create(&dir.join(format!("{name}.npy")), shape).unwrap();
    w.write_at(0, values).unwrap();
    w.finish().unwrap();
}

/// A reproducible value in [−1, 1) for index `i` (not the seed's fields, so the
/// test shows the inputs really come from the files).
fn noise(i: u64) -> f64 {
    let z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    let z = z.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

#[test]
fn velocity_reads_inputs_and_axes_from_npy_files() {
    let (nlat, nlon, nr) = (7usize, 11usize, 5usize);
    let shape = [nlat as u64, nr as u64, nlon as u64];
    let n = nlat * nr * nlon;
    // Uneven axes (a user's grid need not be a linspace) and arbitrary fields.
    let lat: Vec<f64> = (0..nlat).map(|i| -80.0 + 23.0 * i as f64 + 0.37).collect();
    let rad: Vec<f64> = (0..nr).map(|j| 3500.0 + 500.0 * j as f64).collect();
    let lon: Vec<f64> = (0..nlon).map(|k| 33.0 * k as f64 + 1.5).collect();
    let fields: Vec<Vec<f64>> = (0..3)
        .map(|f| (0..n as u64).map(|i| noise(i * 3 + f)).collect())
        .collect();
    let dir = ScratchDir::new("velocity-in");
    write_npy(dir.path(), "latitude", &[nlat as u64], &lat);
    write_npy(dir.path(), "radius", &[nr as u64], &rad);
    write_npy(dir.path(), "longitude", &[nlon as u64], &lon);
    for (name, values) in ["vlat", "vlon", "vrad"].iter().zip(&fields) {
        write_npy(dir.path(), name, &shape, values);
    }
    let reference = |idx: &[u64]| {
        let flat = ((idx[0] * nr as u64 + idx[1]) * nlon as u64 + idx[2]) as usize;
        let input = |f: usize| Dd::from(fields[f][flat]);
        convert(
            lat[idx[0] as usize],
            lon[idx[2] as usize],
            [input(0), input(1), input(2)],
        )
    };
    let grid = format!("{nlat}x{nlon}x{nr}");
    let reports = kit::check_grid(
        "velocity",
        &[("grid", &grid)],
        Some(dir.path()),
        &reference,
        Bound::ulps(BOUND, BOUND),
    );
    assert!(reports.len() >= 2);
}

/// The error of a run of `velocity` on serial with `input_dir`, as one line.
fn input_error(grid: &str, dir: &Path) -> String {
    let backend = kit::open_backend("serial", &Default::default()).unwrap();
    let request = GridRequest {
        input_dir: Some(dir.to_path_buf()),
        ..GridRequest::default()
    };
    let e = kit::run_grid(&backend, "velocity", &[("grid", grid)], &request)
        .map(drop)
        .expect_err("the run should fail");
    let line = format!("{e:#}");
    assert!(!line.contains('\n'), "not one line: {line}");
    line
}

#[test]
fn missing_or_misshapen_inputs_are_refused() {
    let dir = ScratchDir::new("velocity-bad");
    let e = input_error("2x3x4", dir.path());
    assert!(
        e.contains("latitude.npy") && e.contains("cannot open"),
        "{e}"
    );

    write_npy(dir.path(), "latitude", &[2], &[0.0, 1.0]);
    write_npy(dir.path(), "radius", &[4], &[1.0; 4]);
    write_npy(dir.path(), "longitude", &[3], &[1.0; 3]);
    write_npy(dir.path(), "vlat", &[2, 4, 3], &[0.0; 24]);
    write_npy(dir.path(), "vlon", &[2, 4, 3], &[0.0; 24]);
    let e = input_error("2x3x4", dir.path());
    assert!(e.contains("vrad.npy") && e.contains("cannot open"), "{e}");

    // (nlat, nlon, nr) instead of the layout's (nlat, nr, nlon).
    write_npy(dir.path(), "vrad", &[2, 3, 4], &[0.0; 24]);
    let e = input_error("2x3x4", dir.path());
    assert!(
        e.contains("vrad.npy") && e.contains("shape [2, 3, 4], expected [2, 4, 3]"),
        "{e}"
    );

    // An axis of the wrong length (the grid asks for 5 longitudes).
    let e = input_error("2x5x4", dir.path());
    assert!(
        e.contains("longitude.npy") && e.contains("expected [5]"),
        "{e}"
    );
}

#[test]
fn a_grid_too_big_for_memory_is_refused_before_reading() {
    let dir = ScratchDir::new("velocity-huge");
    let e = input_error("100000x100000x1000", dir.path());
    assert!(e.contains("need") && e.contains("GiB"), "{e}");
}

#[test]
fn malformed_grids_are_one_line_errors() {
    let lib = kit::registry()
        .workload("velocity")
        .expect("velocity plugin");
    for bad in ["0x3x3", "3x3", "axbxc", "3x3x3x3"] {
        let e = lib
            .instantiate([("grid", bad)])
            .map(drop)
            .expect_err("accepted");
        let e = format!("{e:#}");
        assert!(
            e.contains(&format!(
                "--grid must be NLATxNLONxNR with positive sizes, got {bad:?}"
            )),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}

/// Σ and Σ² of (vx, vy, vz) over the seed grid, exactly (to double-double), from
/// the separable structure of the formula: each term is f(i)·g(j)·h(k).
fn seed_checksums(nlat: usize, nlon: usize, nr: usize) -> [[f64; 2]; 3] {
    let [lat, rad, lon] = seed_axes(nlat, nlon, nr);
    let sum = |v: &[Dd]| v.iter().fold(Dd::ZERO, |a, &b| a + b);
    let trig = |deg: &[f64]| -> (Vec<Dd>, Vec<Dd>) {
        deg.iter().map(|d| sin_cos_dd(d.to_radians())).unzip()
    };
    let (sphi, cphi) = trig(&lat);
    let (slam, clam) = trig(&lon);
    let vlat: Vec<Dd> = lat.iter().map(|&l| p3(l / 90.0)).collect();
    let vlon: Vec<Dd> = lon.iter().map(|&l| p2(l / 180.0 - 1.0)).collect();
    let vrad: Vec<Dd> = rad.iter().map(|&r| p3((r - 4928.0) / 1443.0)).collect();
    let one_i = vec![Dd::from(1.0); nlat];
    let one_j = vec![Dd::from(1.0); nr];
    let one_k = vec![Dd::from(1.0); nlon];
    let mul = |a: &[Dd], b: &[Dd]| -> Vec<Dd> { a.iter().zip(b).map(|(&x, &y)| x * y).collect() };
    // A term: coefficient × (factor along i) × (factor along j) × (factor along k).
    type Term = (f64, Vec<Dd>, Vec<Dd>, Vec<Dd>);
    let field = |terms: Vec<Term>| -> [f64; 2] {
        let s = terms.iter().fold(Dd::ZERO, |acc, (c, fi, fj, fk)| {
            acc + Dd::from(*c) * sum(fi) * sum(fj) * sum(fk)
        });
        let mut q = Dd::ZERO;
        for (ca, ai, aj, ak) in &terms {
            for (cb, bi, bj, bk) in &terms {
                q = q + Dd::from(ca * cb)
                    * sum(&mul(ai, bi))
                    * sum(&mul(aj, bj))
                    * sum(&mul(ak, bk));
            }
        }
        [s.to_f64(), q.to_f64()]
    };
    [
        field(vec![
            (-1.0, one_i.clone(), one_j.clone(), mul(&slam, &vlon)),
            (-1.0, mul(&sphi, &vlat), one_j.clone(), clam.clone()),
            (1.0, cphi.clone(), vrad.clone(), clam.clone()),
        ]),
        field(vec![
            (1.0, one_i.clone(), one_j.clone(), mul(&clam, &vlon)),
            (-1.0, mul(&sphi, &vlat), one_j.clone(), slam.clone()),
            (1.0, cphi.clone(), vrad.clone(), slam.clone()),
        ]),
        field(vec![
            (1.0, mul(&cphi, &vlat), one_j.clone(), one_k.clone()),
            (1.0, sphi.clone(), vrad.clone(), one_k),
        ]),
    ]
}

#[test]
fn checksums_reference_agrees_with_a_direct_sum_on_a_small_grid() {
    let (nlat, nlon, nr) = (9, 13, 4);
    let [lat, rad, lon] = seed_axes(nlat, nlon, nr);
    let mut direct = [[Dd::ZERO; 2]; 3];
    for &la in &lat {
        for &r in &rad {
            for &lo in &lon {
                for (d, (v, _)) in direct
                    .iter_mut()
                    .zip(convert(la, lo, seed_inputs(la, r, lo)))
                {
                    d[0] = d[0] + Dd::from(v);
                    d[1] = d[1] + Dd::from(v) * Dd::from(v);
                }
            }
        }
    }
    for (s, d) in seed_checksums(nlat, nlon, nr).iter().zip(direct) {
        assert!((s[0] - d[0].to_f64()).abs() < 1e-13, "{s:?} vs {d:?}");
        assert!((s[1] - d[1].to_f64()).abs() < 1e-13, "{s:?} vs {d:?}");
    }
}

/// The seed's full 500 × 800 × 300 grid (120 million points) on serial and rayon:
/// checksums within the accumulated error bound of the exact ones, and serial and
/// rayon identical to the bit.
#[test]
fn velocity_full_seed_grid_on_the_cpu_backends() {
    let (nlat, nlon, nr) = (500, 800, 300);
    let exact = seed_checksums(nlat, nlon, nr);
    let points = (nlat * nlon * nr) as f64;
    // Per point |x| ≤ 3 (every factor is within [−1, 1]) and the error is at most
    // BOUND·u·(3 + 3); a square errs by at most 2·3 + δ times that.
    let delta = BOUND * U * 6.0;
    let bounds = [points * delta, points * (6.0 + delta) * delta];
    let mut outcomes = Vec::new();
    for backend in kit::backends().iter().filter(|b| b.name != "wgpu") {
        let (out, seconds) = kit::run_grid(
            backend,
            "velocity",
            &[("grid", "500x800x300")],
            &GridRequest::default(),
        )
        .unwrap();
        eprintln!("{}: {seconds:.3} s", backend.name);
        for (c, e) in out.checksums.iter().zip(exact) {
            eprintln!(
                "  Σ{} = {:.17e} (exact {:.17e}), Σ{}² = {:.17e} (exact {:.17e})",
                c.name, c.sum, e[0], c.name, c.sum_sq, e[1]
            );
            assert!((c.sum - e[0]).abs() <= bounds[0], "Σ{}", c.name);
            assert!((c.sum_sq - e[1]).abs() <= bounds[1], "Σ{}²", c.name);
        }
        outcomes.push(out);
    }
    assert_eq!(outcomes.len(), 2, "serial and rayon must both run");
    assert_same_bits(&outcomes[0], &outcomes[1]);
}
