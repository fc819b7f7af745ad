//! The test kit: one way to cross-check a workload on every backend against a
//! reference. Plugin tests (gearbox's own and third-party ones) call it.
//!
//! ```no_run
//! use gearbox_core::kit;
//! // Σ 1/k² for k ≤ 1000 on serial, rayon and wgpu, within 1 ulp on CPUs and 4 on the GPU.
//! let exact = 1.643934566681559803;
//! kit::check_series("basel", &[("n", "1000")], exact, kit::Bound::ulps(1.0, 4.0));
//! ```

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use crate::backend::BackendOptions;
use crate::dd::ulp_error;
use crate::host::{OpenBackend, Registry, Silent};
use crate::plan::ChunkPlan;

/// How far a backend's result may be from the reference.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// Maximum error on CPU backends, in ulps of the reference.
    pub cpu_ulps: f64,
    /// Maximum error on GPU backends, in ulps of the reference.
    pub gpu_ulps: f64,
}

impl Bound {
    /// A bound in ulps, one for CPU backends and one for GPU backends.
    pub fn ulps(cpu_ulps: f64, gpu_ulps: f64) -> Bound {
        Bound { cpu_ulps, gpu_ulps }
    }

    /// A bound given as an absolute error, converted to ulps of `reference`.
    pub fn absolute(reference: f64, cpu: f64, gpu: f64) -> Bound {
        let spacing = f64::from_bits(reference.abs().to_bits() + 1) - reference.abs();
        Bound {
            cpu_ulps: cpu / spacing,
            gpu_ulps: gpu / spacing,
        }
    }

    fn for_backend(&self, backend: &str) -> f64 {
        if is_gpu(backend) {
            self.gpu_ulps
        } else {
            self.cpu_ulps
        }
    }
}

/// One backend's result in a cross-check.
#[derive(Clone, Debug)]
pub struct Report {
    /// Backend name.
    pub backend: String,
    /// Device it ran on.
    pub device: String,
    /// The value computed.
    pub value: f64,
    /// Its error against the reference, in ulps.
    pub ulps: f64,
    /// Wall time of the run.
    pub seconds: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<8} {:<40} {:>24.17e} {:>8.2} ulp {:>9.4} s",
            self.backend, self.device, self.value, self.ulps, self.seconds
        )
    }
}

fn is_gpu(backend: &str) -> bool {
    backend == "wgpu"
}

/// The registry the kit uses: `GEARBOX_PLUGIN_PATH`, then the test binary's target directory.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::discover(&[]).unwrap_or_else(|e| panic!("gearbox libraries: {e:#}"))
    })
}

/// Opens backend `name`. A GPU backend with no usable adapter fails the test when
/// `CI=true`, and otherwise is skipped with a visible notice (`None`).
pub fn open_backend(name: &str, options: &BackendOptions) -> Option<OpenBackend> {
    let slot = registry().backend(name);
    let opened = slot
        .library
        .map_err(anyhow::Error::msg)
        .and_then(|lib| lib.open(options));
    match opened {
        Ok(backend) => Some(backend),
        Err(e) if is_gpu(name) && std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("NOTICE: skipping the {name} backend (no usable GPU adapter here): {e:#}");
            None
        }
        Err(e) => panic!("backend {name} is unavailable: {e:#}"),
    }
}

/// Every backend the kit checks: serial, rayon, and wgpu where an adapter exists.
pub fn backends() -> &'static [OpenBackend] {
    static OPEN: OnceLock<Vec<OpenBackend>> = OnceLock::new();
    OPEN.get_or_init(|| {
        crate::host::BUILTIN_BACKENDS
            .iter()
            .filter_map(|name| open_backend(name, &BackendOptions::default()))
            .collect()
    })
}

/// Sums series `workload` with `params` on `backend`, returning the value and its wall time.
pub fn run_series(
    backend: &OpenBackend,
    workload: &str,
    params: &[(&str, &str)],
) -> anyhow::Result<(f64, f64)> {
    let lib = registry()
        .workload(workload)
        .ok_or_else(|| anyhow::anyhow!("workload {workload} not found"))?;
    let instance = lib.instantiate(params.iter().copied())?;
    let (first, last) = instance.range()?;
    let start = Instant::now();
    let outcome = backend.run_series(&instance, &ChunkPlan::new(first, last), &Silent)?;
    Ok((outcome.sum.to_f64(), start.elapsed().as_secs_f64()))
}

/// Runs series `workload` on every available backend and asserts each result is
/// within `bound` of `reference`; prints one line per backend. Returns the reports.
pub fn check_series(
    workload: &str,
    params: &[(&str, &str)],
    reference: f64,
    bound: Bound,
) -> Vec<Report> {
    let reports: Vec<Report> = backends()
        .iter()
        .map(|backend| {
            let (value, seconds) = run_series(backend, workload, params)
                .unwrap_or_else(|e| panic!("{workload} {params:?} on {}: {e:#}", backend.name));
            Report {
                backend: backend.name.clone(),
                device: backend.device.device.clone(),
                value,
                ulps: ulp_error(value, reference),
                seconds,
            }
        })
        .collect();
    eprintln!("{workload} {params:?}: reference {reference:.17e}");
    for r in &reports {
        eprintln!("  {r}");
    }
    for r in &reports {
        let limit = bound.for_backend(&r.backend);
        assert!(
            r.ulps <= limit,
            "{workload} {params:?} on {}: {:.17e} is {:.2} ulp from the reference {reference:.17e} (bound {limit} ulp)",
            r.backend,
            r.value,
            r.ulps
        );
    }
    reports
}

/// Directory holding the built gearbox libraries next to the running test binary.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().expect("test binary directory");
    if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}
