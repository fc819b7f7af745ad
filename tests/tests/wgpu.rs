//! GPU-specific checks of the wgpu backend, with probe workloads from
//! `tests/fixtures/gpu-series` and `tests/fixtures/gpu-grid`: u64 index offsets,
//! double-double compensation, the loop-budget guard, refused f64 built-ins,
//! progress accounting, and grids in several batches against the serial backend.
//! Skipped with a notice where no adapter exists (failing under `CI=true`).

#[allow(dead_code, reason = "shared helpers; this file uses the fixture ones")]
mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use gearbox_core::{BackendOptions, ChunkPlan, Dd};
use gearbox_host::grid::{GridOutcome, GridRequest};
use gearbox_host::kit;
use gearbox_host::{Monitor, OpenBackend, Registry, Silent};

/// The probe workloads, installed in a scratch directory under gearbox library names.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let dir = common::scratch("wgpu-fixtures");
        common::install("fixture_gpu_series", &dir, "gearbox_plugin_gpu_probe");
        common::install("fixture_gpu_grid", &dir, "gearbox_plugin_gpu_grid");
        Registry::discover(&[dir]).expect("fixtures load")
    })
}

fn gpu() -> Option<&'static OpenBackend> {
    static GPU: OnceLock<Option<OpenBackend>> = OnceLock::new();
    GPU.get_or_init(|| kit::open_backend("wgpu", &BackendOptions::default()))
        .as_ref()
}

/// Counts the units a backend reports done.
#[derive(Default)]
struct Count(AtomicU64);

impl Monitor for Count {
    fn advance(&self, done: u64) {
        self.0.fetch_add(done, Ordering::Relaxed);
    }
}

/// Runs probe `case` over `first..=last` on `backend`.
fn probe(
    backend: &OpenBackend,
    case: &str,
    first: u64,
    last: u64,
    monitor: &dyn Monitor,
) -> anyhow::Result<f64> {
    let lib = registry().workload("gpu-probe").expect("probe fixture");
    let (first, last) = (first.to_string(), last.to_string());
    let instance = lib.instantiate([("case", case), ("first", &*first), ("last", &*last)])?;
    let (a, b) = instance.range()?;
    Ok(backend
        .run_series(&instance, &ChunkPlan::new(a, b), monitor)?
        .sum
        .to_f64())
}

#[test]
fn u64_offsets_past_2_to_the_32_are_summed_exactly() {
    let Some(gpu) = gpu() else { return };
    for (first, n) in [
        (1u64, 1_000u64),
        (4_294_967_000, 3_000_000),
        (1_000_000_000_000, 10_000_000),
    ] {
        let last = first + n - 1;
        let count = Count::default();
        let value = probe(gpu, "offset", first, last, &count).unwrap();
        // Σ (k − first) = n(n − 1)/2, exact in f64 for these n.
        assert_eq!(value, (n * (n - 1) / 2) as f64, "first {first}, n {n}");
        assert_eq!(
            count.0.load(Ordering::Relaxed),
            ChunkPlan::new(first, last).len(),
            "progress must add up to the plan's chunks"
        );
    }
}

#[test]
fn partial_sums_are_compensated_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    // One invocation, one workgroup, many workgroups.
    for n in [512u64, 100_000, 1 << 20] {
        let value = probe(gpu, "compensated", 1, n, &Silent).unwrap();
        // 1 + (n − 1)·2⁻⁶⁰: a plain f64 sum, or a double-double sum whose error
        // terms the driver optimised away, returns 1.
        let expected = 1.0 + (n - 1) as f64 * 2f64.powi(-60);
        assert_ne!(expected, 1.0);
        assert_eq!(value, expected, "n = {n}");
    }
}

#[test]
fn a_truncated_loop_is_an_error_not_a_wrong_sum() {
    let Some(gpu) = gpu() else { return };
    let stalled = probe(gpu, "stall", 1, 100_000, &Silent).unwrap_err();
    assert!(
        format!("{stalled:#}").contains("stopped iterating early"),
        "{stalled:#}"
    );
    // 300 loop iterations per term: past lavapipe's per-invocation budget. A GPU
    // without such a budget must return the right sum instead.
    let serial = kit::open_backend("serial", &BackendOptions::default()).unwrap();
    let exact = probe(&serial, "budget", 1, 300_000, &Silent).unwrap();
    match probe(gpu, "budget", 1, 300_000, &Silent) {
        Err(e) => assert!(
            format!("{e:#}").contains("stopped iterating early"),
            "{e:#}"
        ),
        Ok(value) => {
            assert!(
                !gpu.device.device.contains("llvmpipe"),
                "lavapipe cannot finish 300 iterations per term × 512 terms, yet returned {value}"
            );
            assert!(
                gearbox_core::dd::ulp_error(value, exact) <= 4.0,
                "{value} vs {exact}"
            );
        }
    }
}

#[test]
fn numeric_parameters_reach_the_shader_as_values_and_it_compiles_once() {
    let Some(gpu) = gpu() else { return };
    let lib = registry().workload("gpu-probe").expect("probe fixture");
    let n = 20_000u64;
    for (i, p) in ["-2", "1", "0.5", "-1.5"].into_iter().enumerate() {
        let last = n.to_string();
        let instance = lib
            .instantiate([
                ("case", "power"),
                ("first", "1"),
                ("last", &*last),
                ("p", p),
            ])
            .unwrap();
        let run = gpu
            .run_series(&instance, &ChunkPlan::new(1, n), &Silent)
            .unwrap();
        // Σ k^p with every term exp(p·ln k) in double-double, independent of pow.
        let exponent = Dd::from(p.parse::<f64>().unwrap());
        let reference = (1..=n)
            .fold(Dd::ZERO, |acc, k| {
                acc + (exponent * Dd::from(k as f64).ln()).exp()
            })
            .to_f64();
        let value = run.sum.to_f64();
        assert!(
            gearbox_core::dd::ulp_error(value, reference) <= 1.0,
            "p = {p}: {value:e} vs {reference:e}"
        );
        let compiled = run.phases.iter().any(|phase| phase.name == "compile");
        assert_eq!(
            compiled,
            i == 0,
            "p = {p}: the shader must compile for the first value only"
        );
    }
}

#[test]
fn f64_cos_in_a_workload_is_refused() {
    let Some(gpu) = gpu() else { return };
    let e = format!("{:#}", probe(gpu, "cos", 1, 10, &Silent).unwrap_err());
    assert!(e.contains("built-in cos on f64"), "{e}");
    assert!(e.contains("workload WGSL line"), "{e}");
}

#[test]
fn a_workload_without_wgsl_is_refused() {
    let Some(gpu) = gpu() else { return };
    let lib = kit::registry().workload("basel").expect("basel");
    let instance = lib.instantiate([("n", "10")]).unwrap();
    // basel has WGSL; the grid fixture's `nowgsl` case has none.
    assert!(
        gpu.run_series(&instance, &ChunkPlan::new(1, 10), &Silent)
            .is_ok()
    );
    let grid = registry().workload("gpu-grid").expect("grid fixture");
    let instance = grid.instantiate([("case", "nowgsl")]).unwrap();
    let e = gpu
        .run_grid(&instance, &GridRequest::default(), &Silent)
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("workload gpu-grid has no GPU kernel"),
        "{e:#}"
    );
}

#[test]
fn a_layout_that_declares_an_axis_table_the_workload_does_not_compute_is_refused() {
    let Some(gpu) = gpu() else { return };
    let lib = registry().workload("gpu-grid").expect("grid fixture");
    let instance = lib.instantiate([("case", "notable")]).unwrap();
    let e = gpu
        .run_grid(&instance, &GridRequest::default(), &Silent)
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("the table of axis 0 has 0 values, expected 80"),
        "{e:#}"
    );
}

/// Runs grid probe `case` on `backend`.
fn grid(backend: &OpenBackend, params: &[(&str, &str)], monitor: &dyn Monitor) -> GridOutcome {
    let lib = registry().workload("gpu-grid").expect("grid fixture");
    let instance = lib.instantiate(params.iter().copied()).unwrap();
    backend
        .run_grid(&instance, &GridRequest::default(), monitor)
        .unwrap_or_else(|e| panic!("{params:?} on {}: {e:#}", backend.name))
}

#[test]
fn grids_match_the_serial_backend_bit_for_bit() {
    let Some(gpu) = gpu() else { return };
    let serial = kit::open_backend("serial", &BackendOptions::default()).unwrap();
    // 3-D with axes and generated inputs; 1-D without axes or inputs, large
    // enough to need several batches on lavapipe (128 MiB per binding).
    for params in [
        &[("case", "xyz")][..],
        // What the shader reads in place of axis x: a table the workload derives.
        &[("case", "tables")][..],
        &[("case", "flat"), ("n", "20000003")][..],
    ] {
        let count = Count::default();
        let on_gpu = grid(gpu, params, &count);
        let on_cpu = grid(&serial, params, &Silent);
        assert_eq!(on_gpu.checksums, on_cpu.checksums, "{params:?}");
        assert_eq!(on_gpu.samples, on_cpu.samples, "{params:?}");
        let slabs = on_gpu.layout.dims[0].div_ceil(
            gearbox_core::plan::SlabPlan::new(
                on_gpu.layout.dims[0],
                on_gpu.layout.row_len(),
                gearbox_host::grid::SLAB_ELEMENTS,
            )
            .rows,
        );
        assert_eq!(count.0.load(Ordering::Relaxed), slabs, "{params:?}");
    }
}

#[test]
fn gpu_time_of_passes_is_reported_within_the_wall_clock_compute_time() {
    let Some(gpu) = gpu() else { return };
    let lib = kit::registry().workload("basel").expect("basel");
    let instance = lib.instantiate([("n", "10000000")]).unwrap();
    let (first, last) = instance.range().unwrap();
    let outcome = gpu
        .run_series(&instance, &ChunkPlan::new(first, last), &Silent)
        .unwrap();
    let phase = |name: &str| {
        outcome
            .phases
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.seconds)
    };
    let wall = phase("compute").expect("a compute phase");
    // Every adapter gearbox runs on (lavapipe, NVIDIA) has timestamp queries.
    let on_gpu = phase("gpu compute").unwrap_or_else(|| {
        panic!(
            "no \"gpu compute\" phase on {}: {:?}",
            gpu.device.device, outcome.phases
        )
    });
    assert!(
        on_gpu > 0.0 && on_gpu <= wall,
        "gpu compute {on_gpu} s, compute {wall} s"
    );
}
