//! Every function of gearbox's f64 math on every backend, through the
//! `gpu-math` fixture grid: serial and rayon run `gearbox_core::math`, wgpu the
//! shared WGSL's `<name>_f64`. Each output is checked against the double-double
//! reference: at most 1 ulp everywhere. GEARBOX_MATH_GRID_POINTS sets the inputs
//! per function (hard cases and special values first, then random over every
//! binade); CI uses 2¹⁵ (about 10 s, mostly the references; the 10⁶ run takes 2¾ min).

#[allow(dead_code, reason = "shared helpers; this file uses the fixture ones")]
mod common;

use std::sync::OnceLock;

use gearbox_core::dd::Dd;
use gearbox_host::grid::GridRequest;
use gearbox_host::kit::{self, ScratchDir};
use gearbox_host::npy::{self, NpyWriter};
use gearbox_host::{Registry, Silent};
use gearbox_tests::reference::{MathFn, functions, inputs, ulps};

/// The `gpu-math` fixture, installed in a scratch directory under a gearbox library name.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let dir = common::scratch("math-fixture");
        common::install("fixture_gpu_math", &dir, "gearbox_plugin_gpu_math");
        Registry::discover(&[dir]).expect("fixture loads")
    })
}

fn points() -> usize {
    std::env::var("GEARBOX_MATH_GRID_POINTS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(1 << 15, |v| v as usize)
}

fn write(path: &std::path::Path, values: &[f64]) {
    let w = NpyWriter::create(path, &[values.len() as u64]).unwrap();
    w.write_at(0, values).unwrap();
    w.finish().unwrap();
}

/// The reference of every input, on all cores.
fn references(f: &MathFn, xs: &[(f64, f64)]) -> Vec<Dd> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = xs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = xs
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|&(x, y)| (f.reference)(x, y))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn every_function_within_one_ulp_on_every_backend() {
    let n = points();
    let mut failures = Vec::new();
    let mut backends_seen = 0;
    for f in functions() {
        let xs = inputs(f.name, n, 2);
        let refs = references(&f, &xs);
        let dir = ScratchDir::new("gpu-math-in");
        let x: Vec<f64> = xs.iter().map(|p| p.0).collect();
        let y: Vec<f64> = xs.iter().map(|p| p.1).collect();
        write(&dir.path().join("x.npy"), &x);
        write(&dir.path().join("y.npy"), &y);
        let count = xs.len().to_string();
        let params = [("function", f.name), ("n", count.as_str())];
        backends_seen = kit::backends().len();
        for backend in kit::backends() {
            let out = ScratchDir::new("gpu-math-out");
            let request = GridRequest {
                input_dir: Some(dir.path().to_path_buf()),
                output_dir: Some(out.path().to_path_buf()),
                ..GridRequest::default()
            };
            let instance = registry()
                .workload("gpu-math")
                .expect("gpu-math fixture")
                .instantiate(params)
                .unwrap();
            let start = std::time::Instant::now();
            backend
                .run_grid(&instance, &request, &Silent)
                .unwrap_or_else(|e| panic!("{} on {}: {e:#}", f.name, backend.name));
            let seconds = start.elapsed().as_secs_f64();
            let values = npy::read(&out.path().join("f.npy"), &[xs.len() as u64]).unwrap();
            let (mut worst, mut sum, mut at) = (0.0f64, 0.0, 0);
            for (i, (&v, &r)) in values.iter().zip(&refs).enumerate() {
                let e = ulps(v, r);
                sum += e;
                if e > worst {
                    (worst, at) = (e, i);
                }
            }
            eprintln!(
                "{:<6} {:<6} max {:.3} ulp  mean {:.4} ulp  N {}  {:.2} s  (worst: f({:e}, {:e}) = {:e}, exact {:e})",
                f.name,
                backend.name,
                worst,
                sum / xs.len() as f64,
                xs.len(),
                seconds,
                xs[at].0,
                xs[at].1,
                values[at],
                refs[at].to_f64()
            );
            if worst > 1.0 {
                failures.push(format!(
                    "{} on {}: {worst} ulp at {:?}",
                    f.name, backend.name, xs[at]
                ));
            }
        }
    }
    assert!(backends_seen >= 2, "serial and rayon must both run");
    assert!(failures.is_empty(), "over 1 ulp: {failures:#?}");
}
