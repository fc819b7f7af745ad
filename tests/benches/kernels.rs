//! criterion benchmarks of every CPU kernel, through the real path (library
//! loaded at run time, one call across the boundary per chunk or slab) on the
//! serial backend, at sizes where that overhead is negligible.
//!
//! `cargo build --release --workspace && cargo bench -p gearbox-tests`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gearbox_core::BackendOptions;
use gearbox_host::grid::GridRequest;
use gearbox_host::kit;

fn series(c: &mut Criterion) {
    let serial = kit::open_backend("serial", &BackendOptions::default()).expect("serial backend");
    let mut group = c.benchmark_group("series kernels (serial)");
    let n: u64 = 1 << 22;
    group.throughput(Throughput::Elements(n));
    let n = n.to_string();
    for (workload, extra) in [
        ("basel", None),
        ("kempner", Some(("exclude", "9"))),
        ("kempner", Some(("exclude", "42"))),
        ("trig", None),
    ] {
        let mut params = vec![("n", n.as_str())];
        params.extend(extra);
        let label = format!("{workload} {params:?}");
        group.bench_function(label, |b| {
            b.iter(|| kit::run_series(&serial, workload, &params).expect("runs"))
        });
    }
    group.finish();
}

fn grids(c: &mut Criterion) {
    let serial = kit::open_backend("serial", &BackendOptions::default()).expect("serial backend");
    let mut group = c.benchmark_group("grid kernels (serial)");
    group.sample_size(20);
    for (workload, params, points) in [
        ("velocity", [("grid", "100x200x100")], 2_000_000u64),
        ("sincos", [("n", "2000000")], 2_000_000),
    ] {
        group.throughput(Throughput::Elements(points));
        group.bench_function(workload, |b| {
            b.iter(|| {
                kit::run_grid(&serial, workload, &params, &GridRequest::default()).expect("runs")
            })
        });
    }
    group.finish();
}

criterion_group!(kernels, series, grids);
criterion_main!(kernels);
